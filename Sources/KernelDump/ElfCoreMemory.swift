import CElfUtils
import Glibc
import PageTables

/// Physical memory of an ELF core: the PT_LOAD segments, found by physical
/// address. Covers kdump's /proc/vmcore, `makedumpfile -E`, QEMU's
/// `dump-guest-memory` and `virsh dump --memory-only`; /proc/kcore too, whose RAM
/// and text segments carry their physical address and whose others say -1.
public final class ElfCoreMemory: PhysicalMemory {
    struct Extent {
        var physical: UInt64
        var fileOffset: UInt64
        /// Bytes stored in the file (clamped to what the file really has).
        var fileSize: UInt64
        /// Bytes the segment spans in memory; past `fileSize` it reads as zeros
        /// unless the file was cut short.
        var memorySize: UInt64
        var truncated: Bool
    }

    public let file: ElfFile
    private let extents: [Extent]
    /// Segments that promise more bytes than the file holds.
    public let truncatedSegments: [ElfFile.Segment]

    public init(file: ElfFile, segments: [ElfFile.Segment]) {
        self.file = file
        var extents: [Extent] = []
        var truncated: [ElfFile.Segment] = []
        for s in segments where s.type == UInt32(PT_LOAD) && s.physicalAddress != UInt64.max && s.memorySize > 0 {
            var available = s.fileSize
            var cut = false
            let (end, overflow) = s.offset.addingReportingOverflow(s.fileSize)
            if overflow || end > file.fileSize {
                available = s.offset >= file.fileSize ? 0 : file.fileSize - s.offset
                cut = true
                truncated.append(s)
            }
            // Guard against a segment whose physical range wraps past the top.
            let span = min(max(s.memorySize, s.fileSize), UInt64.max - s.physicalAddress)
            extents.append(Extent(physical: s.physicalAddress, fileOffset: s.offset, fileSize: available,
                                  memorySize: span, truncated: cut))
        }
        self.extents = extents.sorted { $0.physical < $1.physical }
        self.truncatedSegments = truncated
    }

    private func extent(containing pa: UInt64) -> Extent? {
        var lo = 0
        var hi = extents.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if extents[mid].physical <= pa { lo = mid + 1 } else { hi = mid }
        }
        // Overlapping segments (kdump's kernel-text segment overlaps RAM): scan back.
        var i = lo - 1
        while i >= 0 {
            let e = extents[i]
            if pa - e.physical < e.memorySize { return e }
            if lo - i > 4 { break }
            i -= 1
        }
        return nil
    }

    public func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let pa = address.rawValue &+ UInt64(done)
            guard let e = extent(containing: pa) else { throw .notInDump(PhysicalAddress(pa)) }
            let within = pa - e.physical
            let n = Int(min(UInt64(count - done), e.memorySize - within))
            if within < e.fileSize {
                let fromFile = Int(min(UInt64(n), e.fileSize - within))
                var chunk = [UInt8](repeating: 0, count: fromFile)
                do {
                    try file.read(offset: e.fileOffset + within, into: &chunk)
                } catch {
                    throw .unreadable(PhysicalAddress(pa), reason: error.description)
                }
                out.replaceSubrange(done..<done + fromFile, with: chunk)
                if fromFile < n && e.truncated {
                    throw .unreadable(PhysicalAddress(pa &+ UInt64(fromFile)), reason: "the dump file is truncated")
                }
            } else if e.truncated && within < e.memorySize {
                throw .unreadable(PhysicalAddress(pa), reason: "the dump file is truncated")
            }
            done += n
        }
        return out
    }

    /// Physical addresses where `pattern` occurs in the dump's stored bytes, in
    /// address order, at most `limit` of them. Reads each segment once in large
    /// chunks; not through the walk's recording reader, so a snapshot stays small.
    public func search(_ pattern: [UInt8], limit: Int) -> [UInt64] {
        var hits: [UInt64] = []
        _ = firstMatch(pattern) { hits.append($0); return hits.count >= limit }
        return hits
    }

    /// The first place where `pattern` occurs and `accept` agrees, scanning in
    /// address order and stopping there.
    public func firstMatch(_ pattern: [UInt8], where accept: (UInt64) -> Bool) -> UInt64? {
        guard !pattern.isEmpty else { return nil }
        let chunk = 8 << 20
        var buffer = [UInt8](repeating: 0, count: chunk + pattern.count)
        for e in extents {
            var within: UInt64 = 0
            while within < e.fileSize {
                let n = Int(min(UInt64(chunk + pattern.count - 1), e.fileSize - within))
                var slice = [UInt8](repeating: 0, count: n)
                do { try file.read(offset: e.fileOffset + within, into: &slice) } catch { break }
                buffer.replaceSubrange(0..<n, with: slice)
                var from = 0
                while from + pattern.count <= n {
                    let found: Int? = buffer.withUnsafeBytes { hay in
                        pattern.withUnsafeBytes { needle in
                            guard let base = hay.baseAddress, let want = needle.baseAddress else { return nil }
                            return findBytes(base, from: from, to: n, needle: want, length: pattern.count)
                        }
                    }
                    // A hit in the overlap is found again at the start of the next chunk.
                    guard let at = found, at < chunk else { break }
                    let hit = e.physical + within + UInt64(at)
                    if accept(hit) { return hit }
                    from = at + 1
                }
                within += UInt64(chunk)
            }
        }
        return nil
    }
}

/// The first offset in `[from, to)` where `length` bytes equal `needle`: memchr
/// for the first byte, memcmp for the rest (glibc's memmem is not imported).
private func findBytes(_ base: UnsafeRawPointer, from: Int, to: Int, needle: UnsafeRawPointer, length: Int) -> Int? {
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
