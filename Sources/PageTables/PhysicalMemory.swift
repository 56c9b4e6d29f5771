/// Byte order of multi-byte values in guest memory.
public enum ByteOrder: Sendable {
    case little
    case big
}

/// Why guest memory could not be read. These are data for the walker (a marked
/// entry), not reasons to stop a run.
public enum MemoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No part of the dump holds this physical address.
    case notInDump(PhysicalAddress)
    /// The dump says the page exists but its bytes could not be read (truncated file,
    /// I/O error, bad compression).
    case unreadable(PhysicalAddress, reason: String)
    /// The page existed, but the dump's filter left it out (makedumpfile -d:
    /// zero, cache, user or free pages).
    case excluded(PhysicalAddress)

    public var description: String {
        switch self {
        case .notInDump(let pa): return "physical address \(pa) is not in the dump"
        case .unreadable(let pa, let why): return "physical address \(pa) could not be read: \(why)"
        case .excluded(let pa): return "physical address \(pa) was left out of the dump by its dump level"
        }
    }
}

/// The one interface through which the walker, the architectures and the
/// formatters see guest memory.
///
/// Implementations: an ELF core's PT_LOAD segments, /proc/kcore through the direct
/// map, a kdump-compressed file, or a sparse in-memory image in tests.
public protocol PhysicalMemory: AnyObject {
    /// Reads exactly `count` bytes starting at `address`.
    ///
    /// - Throws: `MemoryError` when any byte of the range is missing. Partial reads
    ///   are never returned.
    func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8]
}

extension PhysicalMemory {
    /// Reads one integer of `size` bytes (1...8) in the given byte order.
    public func readInteger(_ address: PhysicalAddress, size: Int, order: ByteOrder) throws(MemoryError) -> UInt64 {
        let bytes = try read(address, count: size)
        return decodeInteger(bytes, at: 0, size: size, order: order) ?? 0
    }
}

/// Decodes `size` bytes (1...8) at `offset` in `bytes`; nil when they run out.
public func decodeInteger(_ bytes: [UInt8], at offset: Int, size: Int, order: ByteOrder) -> UInt64? {
    guard size >= 1, size <= 8, offset >= 0, offset <= bytes.count - size else { return nil }
    var value: UInt64 = 0
    for i in 0..<size {
        let b = UInt64(bytes[offset + i])
        switch order {
        case .little: value |= b << (8 * UInt64(i))
        case .big: value = (value << 8) | b
        }
    }
    return value
}
