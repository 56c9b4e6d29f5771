import PageTables

/// Physical memory of an ELF core: the PT_LOAD segments, found by physical
/// address. Covers kdump's /proc/vmcore, `makedumpfile -E`, QEMU's
/// `dump-guest-memory` and `virsh dump --memory-only`; /proc/kcore too, whose RAM
/// and text segments carry their physical address and whose others say -1.
public final class ElfCoreMemory: DumpMemory {
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
        for s in segments where s.isLoad && s.physicalAddress != UInt64.max && s.memorySize > 0 {
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
            // Stored bytes past the top of the physical space are nobody's.
            available = min(available, span)
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
        // Segments overlap where the kernel image has a segment of its own
        // besides the RAM holding it (/proc/vmcore, /proc/kcore). Scan back
        // and keep the lowest-starting one, RAM as a whole: /proc/kcore reads
        // the image's segment through the image's virtual alias, which reads
        // as zeros where the kernel unmapped it (init memory freed under PTI,
        // since reused for page tables), while the direct map holds the data.
        // One that stores the byte in the file wins over one cut short there.
        var found: Extent?
        var stored: Extent?
        var i = lo - 1
        while i >= 0 {
            let e = extents[i]
            if pa - e.physical < e.memorySize {
                found = e
                if pa - e.physical < e.fileSize { stored = e }
            }
            if lo - i > 4 { break }
            i -= 1
        }
        return stored ?? found
    }

    public func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
        // The usual read (a table page) lies in one segment's file bytes:
        // straight from the file, without the zeroed copy below.
        if let e = extent(containing: address.rawValue), address.rawValue - e.physical < e.fileSize,
           UInt64(count) <= e.fileSize - (address.rawValue - e.physical) {
            do {
                return try file.read(offset: e.fileOffset + (address.rawValue - e.physical), count: count)
            } catch {
                throw .unreadable(address, reason: error.description)
            }
        }
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

    /// Each segment's stored bytes in 8 MiB chunks.
    public func forEachStoredChunk(_ body: (UInt64, [UInt8]) -> Bool) {
        let chunk: UInt64 = 8 << 20
        for e in extents {
            var within: UInt64 = 0
            while within < e.fileSize {
                let n = Int(min(chunk, e.fileSize - within))
                var bytes = [UInt8](repeating: 0, count: n)
                do { try file.read(offset: e.fileOffset + within, into: &bytes) } catch { break }
                if !body(e.physical + within, bytes) { return }
                within += chunk
            }
        }
    }
}
