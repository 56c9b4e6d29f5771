import PageTables

/// A dump file opened by its format, probed from its first bytes: an ELF core
/// (kdump's vmcore, `makedumpfile -E`, QEMU and virsh ELF dumps, /proc/kcore,
/// snapshots), makedumpfile's kdump-compressed format, or either in the
/// flattened form. Everything above this sees only memory, notes and machine.
public struct DumpFile {
    public enum Format {
        case elf(ElfFile)
        case kdump(KdumpHeader, KdumpMemory, flattened: Bool)
    }

    public let path: String
    public let format: Format
    /// The ELF machine number (62 x86-64, 183 AArch64, 243 RISC-V).
    public let machine: UInt16
    public let bigEndian: Bool
    public let notes: [ElfFile.Note]
    /// Program headers (ELF only): some pair a kernel virtual address with its
    /// physical one (kexec-tools' kernel-text segment, /proc/kcore's KCORE_TEXT).
    public let segments: [ElfFile.Segment]
    public let memory: any DumpMemory
    /// Things about the file itself the user should know.
    public private(set) var warnings: [String]

    public init(path: String) throws(DumpError) {
        let bytes = try FileBytes(path: path)
        let magic = bytes.size >= 12 ? try bytes.read(offset: 0, count: 12) : try bytes.read(offset: 0, count: Int(bytes.size))
        if magic.starts(with: [0x7f, 0x45, 0x4c, 0x46]) {
            guard let file = try ElfFile.probe(path) else { throw .unknownFormat(path: path, magic: magic) }
            try self.init(elf: file)
        } else if magic.starts(with: KdumpHeader.signature) || magic.starts(with: Array("DISKDUMP".utf8)) {
            try self.init(kdump: bytes, flattened: false)
        } else if magic.starts(with: FlattenedBytes.signature) {
            let flat = try FlattenedBytes(bytes)
            let inner = flat.size >= 8 ? try flat.read(offset: 0, count: 8) : []
            if inner.starts(with: [0x7f, 0x45, 0x4c, 0x46]) {
                throw .unsupportedDump(path: path, reason: "a flattened ELF dump (makedumpfile -E -F); rebuild it with `makedumpfile -R out.elf < \(path)`")
            }
            guard inner.starts(with: KdumpHeader.signature) else {
                throw .badFormat(path: path, offset: FlattenedBytes.headerSize, what: "flattened dump",
                                 reason: "its first record does not start a kdump-compressed header")
            }
            try self.init(kdump: flat, flattened: true)
            if flat.missingEndMark {
                warnings.append("\(path): the flattened records stop without their end mark; the file may be cut short")
            }
        } else if let (tool, decompress) = Self.wholeFileCompression(magic) {
            throw .unsupportedDump(path: path, reason: "compressed as a whole with \(tool) (as kdump-tools' KDUMP_COMPRESSION does); decompress a copy first: \(decompress) \(path)")
        } else {
            throw .unknownFormat(path: path, magic: Array(magic.prefix(8)))
        }
    }

    /// Magic numbers of whole-file compressors, with the command that undoes each.
    static func wholeFileCompression(_ magic: [UInt8]) -> (String, String)? {
        let known: [([UInt8], String, String)] = [
            ([0x1f, 0x8b], "gzip", "gzip -dk"), (Array("BZh".utf8), "bzip2", "bzip2 -dk"),
            ([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz", "xz -dk"), ([0x04, 0x22, 0x4d, 0x18], "lz4", "lz4 -d"),
            ([0x28, 0xb5, 0x2f, 0xfd], "zstd", "zstd -d"),
        ]
        return known.first { magic.starts(with: $0.0) }.map { ($0.1, $0.2) }
    }

    private init(elf file: ElfFile) throws(DumpError) {
        let header = try file.header()
        guard header.isCore else { throw .notCore(path: file.path, type: header.type) }
        path = file.path
        format = .elf(file)
        machine = header.machine
        bigEndian = header.bigEndian
        segments = try file.segments()
        notes = try file.notes()
        let memory = ElfCoreMemory(file: file, segments: segments)
        self.memory = memory
        warnings = memory.truncatedSegments.map { s in
            "\(file.path): truncated: PT_LOAD at offset \(hex(s.offset)) (physical \(hex(s.physicalAddress))) needs \(s.fileSize) bytes but the file has \(file.fileSize); pages there are marked"
        }
    }

    private init(kdump source: any ByteSource, flattened: Bool) throws(DumpError) {
        let header = try KdumpHeader(source)
        guard let machine = header.elfMachine else {
            throw .unsupportedDump(path: source.path, reason: "a dump of a '\(header.machine)' machine; kptdump reads \(supportedMachinesText)")
        }
        if header.split {
            throw .unsupportedDump(path: source.path, reason: "one part of a split dump (makedumpfile --split); join the parts with `makedumpfile --reassemble`")
        }
        let memory = try KdumpMemory(source: source, header: header)
        path = source.path
        format = .kdump(header, memory, flattened: flattened)
        self.machine = machine
        bigEndian = header.byteOrder == .big
        segments = []
        self.memory = memory
        var notes: [ElfFile.Note] = []
        if let area = header.notes {
            notes = parseNoteBytes(try source.read(offset: area.offset, count: Int(area.size)), order: header.byteOrder)
        }
        // The sub-header keeps VMCOREINFO's text apart too; use it when the
        // notes lack it.
        if !notes.contains(where: { $0.name == "VMCOREINFO" }), let area = header.vmcoreinfo {
            notes.append(ElfFile.Note(name: "VMCOREINFO", type: 0, descriptor: try source.read(offset: area.offset, count: Int(area.size))))
        }
        self.notes = notes
        var warnings: [String] = []
        if header.isIncomplete {
            warnings.append("\(source.path): makedumpfile marked this dump incomplete (the disk filled up while writing); pages it did not write are marked")
        }
        self.warnings = warnings
    }

    /// One line for `info`: the format, its compression and filtering.
    public var formatDescription: String {
        switch format {
        case .elf(let file):
            let loads = segments.filter(\.isLoad).count
            return "ELF core (\(loads) PT_LOAD segment\(loads == 1 ? "" : "s"), \(file.fileSize) bytes)"
        case .kdump(let h, let memory, let flattened):
            var parts = ["kdump-compressed (makedumpfile format, header version \(h.headerVersion))"]
            if flattened { parts.append("flattened") }
            let codecs = h.codecs.map(\.description)
            parts.append(codecs.isEmpty ? "uncompressed pages" : codecs.joined(separator: "+"))
            if let level = h.dumpLevelDescription { parts.append("dump level \(level)") }
            parts.append("\(memory.dumpedPages) of \(h.maxMapnr) pages stored")
            return parts.joined(separator: ", ")
        }
    }
}
