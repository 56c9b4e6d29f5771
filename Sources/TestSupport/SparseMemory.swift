import PageTables

/// A sparse physical memory held in a dictionary of pages: for tests and for
/// tables built in code.
public final class SparseMemory: PhysicalMemory {
    public let pageSize: UInt64
    public private(set) var pages: [UInt64: [UInt8]] = [:]

    public init(pageSize: UInt64 = 4096) { self.pageSize = pageSize }

    /// Stores `value` as `size` little- or big-endian bytes at `address`, creating
    /// zero-filled pages as needed.
    public func write(_ address: UInt64, value: UInt64, size: Int = 8, order: ByteOrder = .little) {
        for i in 0..<size {
            let shift = order == .little ? 8 * i : 8 * (size - 1 - i)
            writeByte(address &+ UInt64(i), UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    public func writeBytes(_ address: UInt64, _ bytes: [UInt8]) {
        for (i, b) in bytes.enumerated() { writeByte(address &+ UInt64(i), b) }
    }

    /// Makes a zero-filled page exist at `address` (rounded down).
    public func addPage(_ address: UInt64) {
        let base = address & ~(pageSize - 1)
        if pages[base] == nil { pages[base] = [UInt8](repeating: 0, count: Int(pageSize)) }
    }

    private func writeByte(_ address: UInt64, _ byte: UInt8) {
        let base = address & ~(pageSize - 1)
        addPage(base)
        pages[base]![Int(address - base)] = byte
    }

    public func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var cursor = address.rawValue
        var left = count
        while left > 0 {
            let base = cursor & ~(pageSize - 1)
            guard let page = pages[base] else { throw .notInDump(PhysicalAddress(cursor)) }
            let offset = Int(cursor - base)
            let n = min(left, Int(pageSize) - offset)
            out.append(contentsOf: page[offset..<offset + n])
            left -= n
            let (next, overflow) = cursor.addingReportingOverflow(UInt64(n))
            if overflow && left > 0 { throw .notInDump(PhysicalAddress(cursor)) }
            cursor = next
        }
        return out
    }
}
