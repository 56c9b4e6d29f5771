import Glibc
import PageTables

/// Physical memory read from a dump file, whatever its format: what the walk
/// reads through, plus a way to scan every stored byte once (for finding the
/// VMCOREINFO note or the kernel image by content).
public protocol DumpMemory: PhysicalMemory {
    /// Calls `body` with (physical address, bytes) for the stored memory in
    /// address order, in chunks of a few MiB; stops when `body` returns false.
    func forEachStoredChunk(_ body: (UInt64, [UInt8]) -> Bool)
}

extension DumpMemory {
    /// The first place where `pattern` occurs and `accept` agrees, scanning in
    /// address order and stopping there. Not read through the walk's recording
    /// reader, so a snapshot stays small.
    public func firstMatch(_ pattern: [UInt8], where accept: (UInt64) -> Bool) -> UInt64? {
        guard !pattern.isEmpty else { return nil }
        var result: UInt64?
        // The last pattern.count - 1 bytes of the previous chunk, when it ends
        // where this one starts: a match may straddle the two.
        var tail: [UInt8] = []
        var tailEnd: UInt64 = 0
        forEachStoredChunk { physical, bytes in
            // Matches that straddle the seam first (a small buffer), then the
            // chunk itself, without copying it.
            if physical == tailEnd, !tail.isEmpty {
                let seam = tail + bytes.prefix(pattern.count - 1)
                let base = physical - UInt64(tail.count)
                for at in matches(of: pattern, in: seam) where at < tail.count {
                    if accept(base + UInt64(at)) { result = base + UInt64(at); return false }
                }
            }
            for at in matches(of: pattern, in: bytes) {
                if accept(physical + UInt64(at)) { result = physical + UInt64(at); return false }
            }
            tail = Array(bytes.suffix(pattern.count - 1))
            tailEnd = physical + UInt64(bytes.count)
            return true
        }
        return result
    }
}

/// Offsets of `pattern` in `hay`, lazily, in increasing order.
func matches(of pattern: [UInt8], in hay: [UInt8]) -> UnfoldSequence<Int, Int> {
    sequence(state: 0) { from in
        guard from + pattern.count <= hay.count else { return nil }
        let found: Int? = hay.withUnsafeBytes { h in
            pattern.withUnsafeBytes { n in
                guard let hb = h.baseAddress, let nb = n.baseAddress else { return nil }
                return findBytes(hb, from: from, to: hay.count, needle: nb, length: pattern.count)
            }
        }
        guard let at = found else { return nil }
        from = at + 1
        return at
    }
}

/// The first offset in `[from, to)` where `length` bytes equal `needle`: memchr
/// for the first byte, memcmp for the rest (glibc's memmem is not imported).
func findBytes(_ base: UnsafeRawPointer, from: Int, to: Int, needle: UnsafeRawPointer, length: Int) -> Int? {
    let first = Int32(needle.load(as: UInt8.self))
    var at = from
    while at + length <= to {
        guard let p = memchr(base + at, first, to - length + 1 - at) else { return nil }
        let offset = base.distance(to: UnsafeRawPointer(p))
        if memcmp(base + offset, needle, length) == 0 { return offset }
        at = offset + 1
    }
    return nil
}
