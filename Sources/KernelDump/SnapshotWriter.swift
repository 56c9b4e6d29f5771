import PageTables

/// Writes a small ELF core that holds only what a walk needed: the byte ranges
/// it read, the dump's notes, and a "KPTDUMP" note naming the symbols it used.
/// kptdump (and any ELF-core reader) opens the result like the original dump.
public struct SnapshotWriter {
    public var machine: UInt16
    public var notes: [ElfFile.Note]
    public var ranges: [(start: UInt64, bytes: [UInt8])]

    public init(machine: UInt16, notes: [ElfFile.Note], ranges: [(start: UInt64, bytes: [UInt8])]) {
        self.machine = machine
        self.notes = notes
        self.ranges = ranges
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
                              segments: ranges.map { (start: $0.start, size: UInt64($0.bytes.count)) })
        out.reserveCapacity(out.count + ranges.reduce(0) { $0 + $1.bytes.count })
        for r in ranges { out += r.bytes }
        return out
    }

    /// The ELF header, program headers and note bytes of an ET_CORE file whose
    /// PT_LOAD segments (physical `start`, `size` bytes) follow the notes back to
    /// back in the order given. Writers that stream the segments' bytes (the
    /// benchmark's scale generator) append them after this.
    public static func header(machine: UInt16, notes: [ElfFile.Note], segments: [(start: UInt64, size: UInt64)]) -> [UInt8] {
        var noteBlob: [UInt8] = []
        for n in notes {
            let name = Array(n.name.utf8) + [0]
            append32(&noteBlob, UInt32(name.count))
            append32(&noteBlob, UInt32(n.descriptor.count))
            append32(&noteBlob, n.type)
            noteBlob += name
            pad4(&noteBlob)
            noteBlob += n.descriptor
            pad4(&noteBlob)
        }
        let phnum = 1 + segments.count
        let headerSize = 64 + 56 * phnum
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + noteBlob.count)
        // ELF header: ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ET_CORE.
        out += [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        append16(&out, 4)
        append16(&out, machine)
        append32(&out, 1)
        append64(&out, 0)              // e_entry
        append64(&out, 64)             // e_phoff
        append64(&out, 0)              // e_shoff
        append32(&out, 0)              // e_flags
        append16(&out, 64)             // e_ehsize
        append16(&out, 56)             // e_phentsize
        append16(&out, UInt16(min(phnum, 0xffff)))
        append16(&out, 64)             // e_shentsize
        append16(&out, 0)
        append16(&out, 0)
        var offset = UInt64(headerSize)
        phdr(&out, type: 4, offset: offset, paddr: 0, size: UInt64(noteBlob.count))
        offset += UInt64(noteBlob.count)
        for s in segments {
            phdr(&out, type: 1, offset: offset, paddr: s.start, size: s.size)
            offset += s.size
        }
        out += noteBlob
        return out
    }

    /// Writes the file, refusing to overwrite the input it was made from.
    public func write(to path: String) throws(DumpError) {
        try OutputFile(path: path).write(bytes())
    }

    private static func phdr(_ out: inout [UInt8], type: UInt32, offset: UInt64, paddr: UInt64, size: UInt64) {
        append32(&out, type)
        append32(&out, 0)          // p_flags
        append64(&out, offset)
        append64(&out, 0)          // p_vaddr: unknown, and not needed
        append64(&out, paddr)
        append64(&out, size)
        append64(&out, size)
        append64(&out, type == 4 ? 4 : 0)
    }
}

private func append16(_ b: inout [UInt8], _ v: UInt16) { for i in 0..<2 { b.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
private func append32(_ b: inout [UInt8], _ v: UInt32) { for i in 0..<4 { b.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
private func append64(_ b: inout [UInt8], _ v: UInt64) { for i in 0..<8 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
private func pad4(_ b: inout [UInt8]) { while b.count % 4 != 0 { b.append(0) } }
