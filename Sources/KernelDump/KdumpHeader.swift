import PageTables

/// The headers of makedumpfile's kdump-compressed format ("KDUMP   "), as
/// makedumpfile's diskdump_mod.h lays them out for 64-bit kernels: the
/// disk_dump_header in block 0, the kdump_sub_header in block 1, then the two
/// bitmaps (`bitmap_blocks` blocks for both), then one page_desc per dumped page.
/// makedumpfile writes the headers and page descriptors in the dumped
/// machine's byte order (big-endian for s390x and ppc64 BE); `header_version`,
/// a small number, tells which. Every field is checked against the file before
/// it is used.
public struct KdumpHeader: Sendable {
    public static let signature = Array("KDUMP   ".utf8)

    /// Header status bit DUMP_DH_COMPRESSED_INCOMPLETE: the writer ran out of space.
    public static let statusIncomplete: UInt32 = 0x8

    public var headerVersion: Int
    /// The byte order of every multi-byte field.
    public var byteOrder: ByteOrder
    public var machine: String
    public var status: UInt32
    public var blockSize: Int
    public var subHeaderBlocks: UInt64
    public var bitmapBlocks: UInt64
    public var maxMapnr: UInt64
    /// makedumpfile's -d level (header version 1 and later): which kinds of
    /// page it left out. 1 zero, 2 cache, 4 private cache, 8 user, 16 free.
    public var dumpLevel: Int?
    public var split: Bool
    public var vmcoreinfo: (offset: UInt64, size: UInt64)?
    public var notes: (offset: UInt64, size: UInt64)?

    /// Offset of the bitmaps and of the page descriptors in the file.
    public var bitmapOffset: UInt64 { (1 + subHeaderBlocks) * UInt64(blockSize) }
    /// Bytes of one bitmap (the 1st, "exists"; the 2nd, "dumped").
    public var bitmapBytes: UInt64 { bitmapBlocks * UInt64(blockSize) / 2 }
    public var descriptorOffset: UInt64 { (1 + subHeaderBlocks + bitmapBlocks) * UInt64(blockSize) }

    /// The compressions the header's status names.
    public var codecs: [PageCodec] { PageCodec.allCases.filter { status & $0.rawValue != 0 } }

    public var isIncomplete: Bool { status & Self.statusIncomplete != 0 }

    /// Parses and checks the headers at the start of `source`.
    public init(_ source: any ByteSource) throws(DumpError) {
        let path = source.path
        let block0 = try Self.readHeader(source, offset: 0, count: 464, what: "disk_dump_header")
        let versionField = { (order: ByteOrder) in decodeInteger(block0, at: 8, size: 4, order: order) ?? 0 }
        let order: ByteOrder = (1..<64).contains(versionField(.little)) ? .little : .big
        byteOrder = order
        func u32(_ b: [UInt8], _ at: Int) -> UInt64 { decodeInteger(b, at: at, size: 4, order: order) ?? 0 }
        func u64(_ b: [UInt8], _ at: Int) -> UInt64 { decodeInteger(b, at: at, size: 8, order: order) ?? 0 }
        func text(_ at: Int) -> String {
            String(decoding: block0[at..<at + 65].prefix { $0 != 0 }, as: UTF8.self)
        }
        guard Array(block0[0..<8]) == Self.signature else {
            if Array(block0[0..<8]) == Array("DISKDUMP".utf8) {
                throw .unsupportedDump(path: path, reason: "a dump of the old diskdump driver (\"DISKDUMP\"); only makedumpfile's kdump-compressed format (\"KDUMP\") is read")
            }
            throw .badFormat(path: path, offset: 0, what: "kdump signature", reason: "not \"KDUMP   \"")
        }
        let version = u32(block0, 8)
        guard version >= 1, version < 64 else {
            throw .badFormat(path: path, offset: 8, what: "header_version", reason: "\(versionField(.little)), in neither byte order a version from 1 to 63")
        }
        headerVersion = Int(version)
        machine = text(12 + 4 * 65)
        // struct timeval is 8-aligned: it starts at 408, status follows at 424.
        status = UInt32(u32(block0, 424))
        let block = u32(block0, 428)
        guard block >= 4096, block <= 1 << 18, block & (block - 1) == 0 else {
            throw .badFormat(path: path, offset: 428, what: "block_size", reason: "\(Int32(truncatingIfNeeded: block)), expected a power of two from 4096 to 256 KiB")
        }
        blockSize = Int(block)
        subHeaderBlocks = u32(block0, 432)
        bitmapBlocks = u32(block0, 436)
        let narrowMapnr = u32(block0, 440)
        guard subHeaderBlocks >= 1, subHeaderBlocks < 1 << 20 else {
            throw .badFormat(path: path, offset: 432, what: "sub_hdr_size", reason: "\(subHeaderBlocks) blocks")
        }
        guard bitmapBlocks >= 2, bitmapBlocks % 2 == 0 else {
            throw .badFormat(path: path, offset: 436, what: "bitmap_blocks", reason: "\(bitmapBlocks); the two bitmaps need an even count of at least 2")
        }

        // kdump_sub_header, 64-bit layout; later fields exist from later versions.
        let sub = try Self.readHeader(source, offset: UInt64(blockSize), count: 104, what: "kdump_sub_header")
        // phys_base (offset 0) is not read: QEMU 7.2 writes VMCOREINFO's
        // decimal NUMBER(phys_base) digits there as if they were hex.
        dumpLevel = headerVersion >= 1 ? Int(Int32(truncatingIfNeeded: u32(sub, 8))) : nil
        split = headerVersion >= 2 && u32(sub, 12) != 0
        if headerVersion >= 3, u64(sub, 40) > 0 { vmcoreinfo = (u64(sub, 32), u64(sub, 40)) }
        if headerVersion >= 4, u64(sub, 56) > 0 { notes = (u64(sub, 48), u64(sub, 56)) }
        maxMapnr = headerVersion >= 6 ? u64(sub, 96) : narrowMapnr

        let capacity = bitmapBytes * 8
        guard maxMapnr > 0, maxMapnr <= capacity else {
            throw .badFormat(path: path, offset: headerVersion >= 6 ? UInt64(blockSize) + 96 : 440, what: "max_mapnr",
                             reason: "\(maxMapnr) pages, but the bitmaps (\(bitmapBlocks) blocks) hold \(capacity)")
        }
        guard descriptorOffset <= source.size else {
            throw .truncated(path: path, what: "the kdump bitmaps", offset: bitmapOffset,
                             needed: bitmapBlocks * UInt64(blockSize), fileSize: source.size)
        }
        for (name, area) in [("VMCOREINFO", vmcoreinfo), ("ELF notes", notes)] {
            guard let area else { continue }
            let (end, overflow) = area.offset.addingReportingOverflow(area.size)
            guard !overflow, end <= source.size, area.size < 1 << 26 else {
                throw .truncated(path: path, what: "the \(name) area of the sub-header", offset: area.offset,
                                 needed: area.size, fileSize: source.size)
            }
        }
    }

    private static func readHeader(_ source: any ByteSource, offset: UInt64, count: Int, what: String) throws(DumpError) -> [UInt8] {
        guard offset + UInt64(count) <= source.size else {
            throw .truncated(path: source.path, what: what, offset: offset, needed: UInt64(count), fileSize: source.size)
        }
        return try source.read(offset: offset, count: count)
    }

    /// The ELF machine number of `machine` (utsname), for the architectures we read.
    public var elfMachine: UInt16? {
        kernelArchitecture(utsMachine: machine)?.elfMachine
    }

    /// What the dump level left out, in makedumpfile's words.
    public var dumpLevelDescription: String? {
        guard let level = dumpLevel else { return nil }
        let kinds = [(1, "zero"), (2, "cache"), (4, "private cache"), (8, "user"), (16, "free")]
            .filter { level & $0.0 != 0 }.map(\.1)
        return kinds.isEmpty ? "\(level) (nothing excluded)" : "\(level) (excludes \(kinds.joined(separator: ", ")) pages)"
    }
}

/// Parses a run of ELF notes (Elf64_Nhdr: namesz, descsz, type; name and
/// descriptor each padded to 4 bytes), as a kdump header's note area holds
/// them. Stops at the first note that would run past the end.
public func parseNoteBytes(_ bytes: [UInt8], order: ByteOrder = .little) -> [ElfFile.Note] {
    var notes: [ElfFile.Note] = []
    var at = 0
    func pad(_ n: Int) -> Int { (n + 3) & ~3 }
    while at + 12 <= bytes.count {
        guard let nameSize = decodeInteger(bytes, at: at, size: 4, order: order),
              let descSize = decodeInteger(bytes, at: at + 4, size: 4, order: order),
              let type = decodeInteger(bytes, at: at + 8, size: 4, order: order),
              nameSize < 1 << 16, descSize < 1 << 26 else { break }
        let nameAt = at + 12
        let descAt = nameAt + pad(Int(nameSize))
        let end = descAt + pad(Int(descSize))
        guard descAt + Int(descSize) <= bytes.count else { break }
        let name = String(decoding: bytes[nameAt..<nameAt + Int(nameSize)].prefix { $0 != 0 }, as: UTF8.self)
        notes.append(ElfFile.Note(name: name, type: UInt32(type), descriptor: Array(bytes[descAt..<descAt + Int(descSize)])))
        at = end
    }
    return notes
}
