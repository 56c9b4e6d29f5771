import PageTables

/// Writes a small ELF core that holds only what a walk needed: the byte ranges
/// it read, the dump's notes, and a "KPTDUMP" note naming the symbols it used.
/// kptdump (and any ELF-core reader) opens the result like the original dump.
public struct SnapshotWriter {
    public var machine: UInt16
    public var notes: [ElfFile.Note]
    public var ranges: [(start: UInt64, bytes: [UInt8])]
    /// The file's byte order: the kernel's, so that a reader takes the
    /// kernel's variables in the order the file declares (s390x is big-endian).
    public var bigEndian: Bool

    public init(machine: UInt16, notes: [ElfFile.Note], ranges: [(start: UInt64, bytes: [UInt8])], bigEndian: Bool = false) {
        self.machine = machine
        self.notes = notes
        self.ranges = ranges
        self.bigEndian = bigEndian
    }

    /// The "KPTDUMP" note text: `SYMBOL(name)=hex` and `SYMBOL_SIZE(name)=dec` lines.
    /// `facts` are values derived from the original dump (`NUMBER(name)=dec`).
    public static func symbolNote(_ symbols: [String: UInt64], sizes: [String: UInt64], complete: Bool,
                                  facts: [String: UInt64], offsets: [String: UInt64] = [:]) -> ElfFile.Note {
        // COMPLETE=1: a name absent here was absent from the original symbol table.
        var text = complete ? "COMPLETE=1\n" : ""
        for (name, value) in facts.sorted(by: { $0.key < $1.key }) { text += "NUMBER(\(name))=\(value)\n" }
        for (name, value) in offsets.sorted(by: { $0.key < $1.key }) { text += "OFFSET(\(name))=\(value)\n" }
        for (name, value) in symbols.sorted(by: { $0.key < $1.key }) {
            text += "SYMBOL(\(name))=\(String(value, radix: 16))\n"
            if let size = sizes[name] { text += "SYMBOL_SIZE(\(name))=\(size)\n" }
        }
        return ElfFile.Note(name: KernelSession.snapshotNoteName, type: 0, descriptor: Array(text.utf8))
    }

    /// The whole file's bytes.
    public func bytes() -> [UInt8] {
        var out = Self.header(machine: machine, notes: notes,
                              segments: ranges.map { (start: $0.start, size: UInt64($0.bytes.count)) }, bigEndian: bigEndian)
        out.reserveCapacity(out.count + ranges.reduce(0) { $0 + $1.bytes.count })
        for r in ranges { out += r.bytes }
        return out
    }

    /// The ELF header, program headers and note bytes of an ET_CORE file whose
    /// PT_LOAD segments (physical `start`, `size` bytes) follow the notes back to
    /// back in the order given. Writers that stream the segments' bytes (the
    /// benchmark's scale generator) append them after this.
    public static func header(machine: UInt16, notes: [ElfFile.Note], segments: [(start: UInt64, size: UInt64)],
                              bigEndian: Bool = false) -> [UInt8] {
        let w = FieldWriter(bigEndian: bigEndian)
        var noteBlob: [UInt8] = []
        for n in notes {
            let name = Array(n.name.utf8) + [0]
            w.append32(&noteBlob, UInt32(name.count))
            w.append32(&noteBlob, UInt32(n.descriptor.count))
            w.append32(&noteBlob, n.type)
            noteBlob += name
            pad4(&noteBlob)
            noteBlob += n.descriptor
            pad4(&noteBlob)
        }
        let phnum = 1 + segments.count
        let headerSize = 64 + 56 * phnum
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + noteBlob.count)
        // ELF header: ELFCLASS64, ELFDATA2LSB or ELFDATA2MSB, EV_CURRENT, ET_CORE.
        out += [0x7f, 0x45, 0x4c, 0x46, 2, bigEndian ? 2 : 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        w.append16(&out, 4)
        w.append16(&out, machine)
        w.append32(&out, 1)
        w.append64(&out, 0)              // e_entry
        w.append64(&out, 64)             // e_phoff
        w.append64(&out, 0)              // e_shoff
        w.append32(&out, 0)              // e_flags
        w.append16(&out, 64)             // e_ehsize
        w.append16(&out, 56)             // e_phentsize
        w.append16(&out, UInt16(min(phnum, 0xffff)))
        w.append16(&out, 64)             // e_shentsize
        w.append16(&out, 0)
        w.append16(&out, 0)
        var offset = UInt64(headerSize)
        phdr(&out, w, type: 4, offset: offset, paddr: 0, size: UInt64(noteBlob.count))
        offset += UInt64(noteBlob.count)
        for s in segments {
            phdr(&out, w, type: 1, offset: offset, paddr: s.start, size: s.size)
            offset += s.size
        }
        out += noteBlob
        return out
    }

    /// Writes the file, refusing to overwrite the input it was made from.
    public func write(to path: String) throws(DumpError) {
        try OutputFile(path: path).write(bytes())
    }

    private static func phdr(_ out: inout [UInt8], _ w: FieldWriter, type: UInt32, offset: UInt64, paddr: UInt64, size: UInt64) {
        w.append32(&out, type)
        w.append32(&out, 0)          // p_flags
        w.append64(&out, offset)
        w.append64(&out, 0)          // p_vaddr: unknown, and not needed
        w.append64(&out, paddr)
        w.append64(&out, size)
        w.append64(&out, size)
        w.append64(&out, type == 4 ? 4 : 0)
    }
}

/// Appends ELF fields in one byte order.
private struct FieldWriter {
    var bigEndian: Bool
    func append(_ b: inout [UInt8], _ v: UInt64, bytes: Int) {
        for i in 0..<bytes {
            let shift = UInt64(8 * (bigEndian ? bytes - 1 - i : i))
            b.append(UInt8(truncatingIfNeeded: v >> shift))
        }
    }
    func append16(_ b: inout [UInt8], _ v: UInt16) { append(&b, UInt64(v), bytes: 2) }
    func append32(_ b: inout [UInt8], _ v: UInt32) { append(&b, UInt64(v), bytes: 4) }
    func append64(_ b: inout [UInt8], _ v: UInt64) { append(&b, v, bytes: 8) }
}

private func pad4(_ b: inout [UInt8]) { while b.count % 4 != 0 { b.append(0) } }
