import PageTables

/// Wraps a memory and remembers every byte range read successfully, so a
/// snapshot can keep exactly what a walk needed.
public final class RecordingMemory: PhysicalMemory {
    public let base: any PhysicalMemory
    public private(set) var recorded: [UInt64: Int] = [:]
    public var isRecording = true

    public init(_ base: any PhysicalMemory) { self.base = base }

    public func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
        let bytes = try base.read(address, count: count)
        if isRecording { recorded[address.rawValue] = max(recorded[address.rawValue] ?? 0, count) }
        return bytes
    }

    /// Recorded ranges, sorted and with overlapping or touching ranges merged.
    public func mergedRanges() -> [(start: UInt64, count: UInt64)] {
        var out: [(UInt64, UInt64)] = []
        for (start, count) in recorded.sorted(by: { $0.key < $1.key }) {
            let end = start &+ UInt64(count)
            if let last = out.last, start <= last.0 &+ last.1 {
                out[out.count - 1].1 = max(last.1, end - last.0)
            } else {
                out.append((start, UInt64(count)))
            }
        }
        return out
    }
}
