import Foundation
@testable import KernelDump
import PageTables

/// A small writer of makedumpfile's kdump-compressed format, for tests: it
/// turns an ELF dump (a fixture snapshot) into a kdump file with any of the
/// four codecs, optionally flattened, optionally leaving zero pages out as
/// `makedumpfile -d 1` does. Debian's makedumpfile writes neither snappy nor
/// zstd; this writer is how those two are tested. The layout follows
/// makedumpfile's diskdump_mod.h, written independently of our reader's code.
struct KdumpWriter {
    var codec: PageCodec?
    var flattened = false
    var excludeZeroPages = false
    /// Pages to store uncompressed even with a codec (makedumpfile does this
    /// when compression does not shrink a page).
    var storeRawWhenLarger = true
    /// makedumpfile writes its headers and page descriptors in the dumped
    /// machine's byte order (big-endian for s390x); the bitmaps are bytes.
    var bigEndian = false

    func write(from dump: DumpFile, pageSize: Int, release: String, machine: String, to url: URL) throws {
        // Pages the ELF dump holds, from its PT_LOAD segments.
        var present = Set<UInt64>()
        for s in dump.segments where s.type == 1 && s.fileSize > 0 {
            var pa = s.physicalAddress / UInt64(pageSize)
            while pa * UInt64(pageSize) < s.physicalAddress + s.fileSize { present.insert(pa); pa += 1 }
        }
        let maxPfn = (present.max() ?? 0) + 1
        let block = pageSize
        let bitmapBytes = ((Int(maxPfn) + 7) / 8 + block - 1) / block * block
        var first = [UInt8](repeating: 0, count: bitmapBytes)
        var second = first
        var pages: [(UInt64, [UInt8])] = []
        for pfn in present.sorted() {
            // Snapshots keep partial pages: whatever is absent reads as zero.
            // Only a page held whole can be judged a zero page.
            let base = pfn * UInt64(pageSize)
            var bytes = [UInt8](repeating: 0, count: pageSize)
            var whole = true
            if let all = try? dump.memory.read(PhysicalAddress(base), count: pageSize) {
                bytes = all
            } else {
                whole = false
                for i in 0..<pageSize {
                    if let v = try? dump.memory.read(PhysicalAddress(base + UInt64(i)), count: 1) { bytes[i] = v[0] }
                }
            }
            first[Int(pfn / 8)] |= 1 << UInt8(pfn % 8)
            if excludeZeroPages && whole && bytes.allSatisfy({ $0 == 0 }) { continue }
            second[Int(pfn / 8)] |= 1 << UInt8(pfn % 8)
            pages.append((pfn, bytes))
        }

        var noteBytes: [UInt8] = []
        for n in dump.notes {
            let name = Array(n.name.utf8) + [0]
            noteBytes += le(UInt64(name.count), 4) + le(UInt64(n.descriptor.count), 4) + le(UInt64(n.type), 4)
            noteBytes += name + [UInt8](repeating: 0, count: (4 - name.count % 4) % 4)
            noteBytes += n.descriptor + [UInt8](repeating: 0, count: (4 - n.descriptor.count % 4) % 4)
        }
        let vmcoreinfo = dump.notes.first { $0.name == "VMCOREINFO" }?.descriptor ?? []

        // Block 0: disk_dump_header. Block 1..: kdump_sub_header, then notes.
        let subHeaderSize = 104
        let subBlocks = (subHeaderSize + noteBytes.count + vmcoreinfo.count + block - 1) / block
        let bitmapBlocks = 2 * bitmapBytes / block
        let descOffset = (1 + subBlocks + bitmapBlocks) * block
        var header = [UInt8](repeating: 0, count: block)
        header.replaceSubrange(0..<8, with: Array("KDUMP   ".utf8))
        header.replaceSubrange(8..<12, with: le(6, 4))
        func put(_ text: String, at: Int) {
            let b = Array(text.utf8.prefix(64))
            header.replaceSubrange(at..<at + b.count, with: b)
        }
        put("Linux", at: 12)
        put(release, at: 12 + 2 * 65)
        put(machine, at: 12 + 4 * 65)
        header.replaceSubrange(424..<428, with: le(UInt64(codec?.rawValue ?? 0), 4))
        header.replaceSubrange(428..<432, with: le(UInt64(block), 4))
        header.replaceSubrange(432..<436, with: le(UInt64(subBlocks), 4))
        header.replaceSubrange(436..<440, with: le(UInt64(bitmapBlocks), 4))
        header.replaceSubrange(440..<444, with: le(maxPfn, 4))
        header.replaceSubrange(460..<464, with: le(1, 4))

        var sub = [UInt8](repeating: 0, count: subBlocks * block)
        let notesAt = block + subHeaderSize
        let infoAt = notesAt + noteBytes.count
        sub.replaceSubrange(8..<12, with: le(excludeZeroPages ? 1 : 0, 4))
        sub.replaceSubrange(32..<40, with: le(UInt64(infoAt), 8))
        sub.replaceSubrange(40..<48, with: le(UInt64(vmcoreinfo.count), 8))
        sub.replaceSubrange(48..<56, with: le(UInt64(notesAt), 8))
        sub.replaceSubrange(56..<64, with: le(UInt64(noteBytes.count), 8))
        sub.replaceSubrange(88..<96, with: le(maxPfn, 8))
        sub.replaceSubrange(96..<104, with: le(maxPfn, 8))
        sub.replaceSubrange(subHeaderSize..<subHeaderSize + noteBytes.count, with: noteBytes)
        sub.replaceSubrange(infoAt - block..<infoAt - block + vmcoreinfo.count, with: vmcoreinfo)

        var descriptors: [UInt8] = []
        var data: [UInt8] = []
        let dataOffset = descOffset + 24 * pages.count
        for (_, bytes) in pages {
            var stored = bytes
            var flags: UInt32 = 0
            if let codec, let packed = codec.compress(bytes), !(storeRawWhenLarger && packed.count >= bytes.count) {
                stored = packed
                flags = codec.rawValue
            }
            descriptors += le(UInt64(dataOffset + data.count), 8) + le(UInt64(stored.count), 4) + le(UInt64(flags), 4) + le(0, 8)
            data += stored
        }

        let pieces: [(Int, [UInt8])] = [(0, header), (block, sub), ((1 + subBlocks) * block, first + second),
                                        (descOffset, descriptors), (dataOffset, data)]
        var out: [UInt8] = []
        if flattened {
            var head = [UInt8](repeating: 0, count: 4096)
            head.replaceSubrange(0..<12, with: Array("makedumpfile".utf8))
            head.replaceSubrange(16..<24, with: be(1))
            head.replaceSubrange(24..<32, with: be(1))
            out = head
            // Pieces out of order, as makedumpfile writes descriptors and data
            // interleaved and patches the header last.
            for (offset, bytes) in pieces.reversed() where !bytes.isEmpty {
                out += be(UInt64(offset)) + be(UInt64(bytes.count)) + bytes
            }
            out += [UInt8](repeating: 0xff, count: 16)
        } else {
            for (offset, bytes) in pieces {
                if out.count < offset { out += [UInt8](repeating: 0, count: offset - out.count) }
                out += bytes
            }
        }
        try Data(out).write(to: url)
    }

    private func le(_ v: UInt64, _ n: Int) -> [UInt8] {
        let bytes = (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        return bigEndian ? bytes.reversed() : bytes
    }
    private func be(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(7 - $0))) } }
}
