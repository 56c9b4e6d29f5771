import CElfUtils
import Glibc
import PageTables

/// The only file that calls libelf and libdw. Every call's failure becomes a
/// `DumpError` carrying `elf_errmsg` at once.
public final class ElfFile {
    public let path: String
    public let fileSize: UInt64
    /// Kept open for as long as libelf reads through its descriptor.
    private let file: FileBytes
    let elf: OpaquePointer

    /// One program header, as the file states it.
    public struct Segment: Sendable, Equatable {
        public var type: UInt32
        public var offset: UInt64
        public var virtualAddress: UInt64
        public var physicalAddress: UInt64
        public var fileSize: UInt64
        public var memorySize: UInt64
        /// `PT_LOAD`: the segment maps memory.
        public var isLoad: Bool { type == UInt32(PT_LOAD) }
    }

    /// One ELF note: its name without the terminating NUL, its type and its bytes.
    public struct Note: Sendable, Equatable {
        public var name: String
        public var type: UInt32
        public var descriptor: [UInt8]
    }

    /// Opens `path` read-only. Returns nil when the file does not start with the
    /// ELF magic (the "not mine" answer of a format probe).
    ///
    /// `mapped`: libelf maps the file rather than copying each section it
    /// reads into memory of its own: for a vmlinux, whose symbol and string
    /// tables (6 MB in Debian's) would otherwise cost a copy and a fresh page
    /// each 4 KiB. libelf checks every section against the file's size, so a
    /// truncated file is an error, not a fault; a file cut while it is open
    /// would fault, which is why dumps (which may still be being written) are
    /// read, not mapped.
    public static func probe(_ path: String, mapped: Bool = false) throws(DumpError) -> ElfFile? {
        let file = try FileBytes(path: path)
        guard try file.readPrefix(count: 4) == [0x7f, 0x45, 0x4c, 0x46] else { return nil }
        return try ElfFile(file: file, mapped: mapped)
    }

    private init(file: FileBytes, mapped: Bool) throws(DumpError) {
        self.path = file.path
        self.file = file
        self.fileSize = file.size
        _ = elf_version(UInt32(EV_CURRENT))
        guard let elf = elf_begin(file.fd, mapped ? ELF_C_READ_MMAP : ELF_C_READ, nil) else {
            throw .elf(path: path, operation: "elf_begin", message: Self.lastError())
        }
        self.elf = elf
    }

    deinit {
        elf_end(elf)
    }

    static func lastError() -> String {
        guard let msg = elf_errmsg(-1) else { return "unknown libelf error" }
        return String(cString: msg)
    }

    private func failure(_ operation: String) -> DumpError {
        .elf(path: path, operation: operation, message: Self.lastError())
    }

    /// The ELF header's fields that the readers use.
    public struct Header: Sendable, Equatable {
        /// `e_type`.
        public var type: UInt16
        /// `e_machine`.
        public var machine: UInt16
        /// ELFDATA2MSB.
        public var bigEndian: Bool
        /// `e_type == ET_CORE`.
        public var isCore: Bool { type == UInt16(ET_CORE) }
    }

    /// The ELF header.
    public func header() throws(DumpError) -> Header {
        let ehdr = try rawHeader()
        return Header(type: ehdr.e_type, machine: ehdr.e_machine, bigEndian: ehdr.e_ident.5 == UInt8(ELFDATA2MSB))
    }

    private func rawHeader() throws(DumpError) -> GElf_Ehdr {
        var ehdr = GElf_Ehdr()
        guard gelf_getehdr(elf, &ehdr) != nil else { throw failure("reading the ELF header") }
        return ehdr
    }

    /// True for ELFDATA2MSB files.
    public func isBigEndian() throws(DumpError) -> Bool {
        try header().bigEndian
    }

    /// All program headers, each checked to lie inside the file.
    public func segments() throws(DumpError) -> [Segment] {
        var count = 0
        guard elf_getphdrnum(elf, &count) == 0 else { throw failure("elf_getphdrnum") }
        let ehdr = try rawHeader()
        // libelf quietly reports 0 headers when the table is cut off; check the
        // header's own count against the file (PN_XNUM = 0xffff defers to libelf).
        let declared = ehdr.e_phnum == 0xffff ? count : Int(ehdr.e_phnum)
        let tableSize = UInt64(declared) * UInt64(ehdr.e_phentsize)
        let (tableEnd, overflow) = ehdr.e_phoff.addingReportingOverflow(tableSize)
        guard !overflow, tableEnd <= fileSize else {
            throw .truncated(path: path, what: "\(declared) program headers", offset: ehdr.e_phoff, needed: tableSize, fileSize: fileSize)
        }
        var result: [Segment] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            var ph = GElf_Phdr()
            guard gelf_getphdr(elf, Int32(i), &ph) != nil else { throw failure("reading program header \(i)") }
            result.append(Segment(type: ph.p_type, offset: ph.p_offset, virtualAddress: ph.p_vaddr,
                                  physicalAddress: ph.p_paddr, fileSize: ph.p_filesz, memorySize: ph.p_memsz))
        }
        return result
    }

    /// Notes from every PT_NOTE segment (for cores) or SHT_NOTE section (for
    /// vmlinux when it has no segments of that kind).
    public func notes() throws(DumpError) -> [Note] {
        var result: [Note] = []
        for segment in try segments() where segment.type == UInt32(PT_NOTE) {
            let (end, overflow) = segment.offset.addingReportingOverflow(segment.fileSize)
            guard !overflow, end <= fileSize else {
                throw .truncated(path: path, what: "PT_NOTE segment", offset: segment.offset,
                                 needed: segment.fileSize, fileSize: fileSize)
            }
            guard segment.fileSize > 0 else { continue }
            guard let data = elf_getdata_rawchunk(elf, Int64(segment.offset), Int(segment.fileSize), ELF_T_NHDR) else {
                throw failure("reading notes at offset \(hex(segment.offset))")
            }
            result += parseNotes(data)
        }
        return result
    }

    private func parseNotes(_ data: UnsafeMutablePointer<Elf_Data>) -> [Note] {
        var result: [Note] = []
        var offset = 0
        let size = data.pointee.d_size
        guard let base = data.pointee.d_buf else { return [] }
        while offset < size {
            var nhdr = GElf_Nhdr()
            var nameOffset = 0
            var descOffset = 0
            let next = gelf_getnote(data, offset, &nhdr, &nameOffset, &descOffset)
            if next == 0 || next <= offset { break }
            let nameBytes = UnsafeRawBufferPointer(start: base + nameOffset, count: Int(nhdr.n_namesz))
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            let desc = [UInt8](UnsafeRawBufferPointer(start: base + descOffset, count: Int(nhdr.n_descsz)))
            result.append(Note(name: name, type: nhdr.n_type, descriptor: desc))
            offset = next
        }
        return result
    }

    /// The symbol table (SHT_SYMTAB; link-time addresses and sizes; symbols
    /// at 0 and unnamed ones left out), read in place in libelf's copy of
    /// the section: the index keeps this file open.
    public func symbolIndex() throws(DumpError) -> SymbolIndex {
        var section: OpaquePointer? = nil
        while let scn = elf_nextscn(elf, section) {
            section = scn
            var shdr = GElf_Shdr()
            guard gelf_getshdr(scn, &shdr) != nil else { throw failure("gelf_getshdr") }
            guard shdr.sh_type == UInt32(SHT_SYMTAB), shdr.sh_entsize > 0 else { continue }
            guard let data = elf_getdata(scn, nil) else { throw failure("reading the symbol table") }
            guard let strings = elf_getscn(elf, Int(shdr.sh_link)), let stringData = elf_getdata(strings, nil) else {
                throw failure("reading the symbol table's string table")
            }
            let is64 = gelf_getclass(elf) == ELFCLASS64
            // libelf's data is in memory form: Elf64_Sym or Elf32_Sym, host order.
            let entrySize = is64 ? MemoryLayout<Elf64_Sym>.size : MemoryLayout<Elf32_Sym>.size
            // The section header's size is only a claim; the data libelf read is what exists.
            let count = Int(min(shdr.sh_size, UInt64(data.pointee.d_size))) / entrySize
            guard count > 0, let symbols = data.pointee.d_buf, let names = stringData.pointee.d_buf else { continue }
            let table = ElfSymbolTable(owner: self, symbols: UnsafeRawPointer(symbols), count: count, is64: is64,
                                       names: UnsafeRawPointer(names), namesSize: Int(stringData.pointee.d_size))
            let (entries, groups) = table.index()
            return SymbolIndex(entries: entries, groups: groups)
        }
        return .empty
    }

    /// The GNU build-id, if the file has one.
    public func buildID() -> [UInt8]? {
        var ptr: UnsafeRawPointer? = nil
        let n = dwelf_elf_gnu_build_id(elf, &ptr)
        guard n > 0, let ptr else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: ptr, count: Int(n)))
    }

    /// Reads `count` bytes at `offset`, throwing when the file ends first.
    public func read(offset: UInt64, count: Int) throws(DumpError) -> [UInt8] {
        // Not zeroed first: a table page per call on a listing's way.
        try file.read(offset: offset, count: count)
    }

    public func read(offset: UInt64, into buffer: inout [UInt8]) throws(DumpError) {
        try file.read(offset: offset, into: &buffer)
    }
}

extension ElfFile {
    /// Bytes at link-time virtual address `address` of an allocated section with
    /// file contents (for reading `linux_banner` out of a vmlinux).
    public func sectionBytes(at address: UInt64, count: Int) throws(DumpError) -> [UInt8]? {
        var section: OpaquePointer? = nil
        while let scn = elf_nextscn(elf, section) {
            section = scn
            var shdr = GElf_Shdr()
            guard gelf_getshdr(scn, &shdr) != nil else { throw .elf(path: path, operation: "gelf_getshdr", message: Self.lastError()) }
            guard shdr.sh_type != UInt32(SHT_NOBITS), shdr.sh_addr != 0,
                  address >= shdr.sh_addr, address - shdr.sh_addr < shdr.sh_size else { continue }
            let within = address - shdr.sh_addr
            let n = Int(min(UInt64(count), shdr.sh_size - within))
            return try read(offset: shdr.sh_offset + within, count: n)
        }
        return nil
    }
}

extension ElfFile {
    /// Byte offsets of structure members, read from the DWARF of a vmlinux:
    /// `wanted` maps a structure name to member names, and the result maps
    /// "struct.member" to its offset. The first complete definition of each
    /// structure is used; members inside anonymous structs and unions (as
    /// mm_struct's are since Linux 5.x) are found with their offsets added.
    /// Names not found are absent from the result.
    public func memberOffsets(_ wanted: [String: [String]]) throws(DumpError) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        var pending = Set(wanted.keys)
        try forEachTopLevelDIE { die in
            if dwarf_tag(&die) == Int32(DW_TAG_structure_type), let cName = dwarf_diename(&die),
               dwarf_hasattr(&die, UInt32(DW_AT_declaration)) == 0 {
                let name = String(cString: cName)
                if pending.contains(name), let members = wanted[name] {
                    pending.remove(name)
                    var found: [String: UInt64] = [:]
                    Self.collectMembers(&die, base: 0, depth: 0, into: &found)
                    for m in members { if let o = found[m] { result["\(name).\(m)"] = o } }
                }
            }
            return !pending.isEmpty
        }
        return result
    }

    /// Calls `body` with each DIE directly under a compilation unit, in order,
    /// until it returns false.
    func forEachTopLevelDIE(_ body: (inout Dwarf_Die) -> Bool) throws(DumpError) {
        guard let dwarf = dwarf_begin_elf(elf, DWARF_C_READ, nil) else {
            throw .elf(path: path, operation: "dwarf_begin_elf (no DWARF debug information?)",
                       message: String(cString: dwarf_errmsg(-1)))
        }
        defer { dwarf_end(dwarf) }
        var offset: Dwarf_Off = 0
        var next: Dwarf_Off = 0
        var headerSize = 0
        while dwarf_nextcu(dwarf, offset, &next, &headerSize, nil, nil, nil) == 0 {
            defer { offset = next }
            var cu = Dwarf_Die()
            guard dwarf_offdie(dwarf, offset + Dwarf_Off(headerSize), &cu) != nil else { continue }
            var die = Dwarf_Die()
            guard dwarf_child(&cu, &die) == 0 else { continue }
            while true {
                if !body(&die) { return }
                var sibling = Dwarf_Die()
                guard dwarf_siblingof(&die, &sibling) == 0 else { break }
                die = sibling
            }
        }
    }

    /// Every named member of the structure or union `die`, with anonymous
    /// members' own members folded in at their offsets.
    static func collectMembers(_ die: inout Dwarf_Die, base: UInt64, depth: Int, into found: inout [String: UInt64]) {
        guard depth < 8 else { return }
        var member = Dwarf_Die()
        guard dwarf_child(&die, &member) == 0 else { return }
        while true {
            if dwarf_tag(&member) == Int32(DW_TAG_member) {
                var location: UInt64 = 0
                var attribute = Dwarf_Attribute()
                if dwarf_attr(&member, UInt32(DW_AT_data_member_location), &attribute) != nil {
                    var value: Dwarf_Word = 0
                    if dwarf_formudata(&attribute, &value) == 0 { location = value }
                }
                if let cName = dwarf_diename(&member) {
                    let name = String(cString: cName)
                    if found[name] == nil { found[name] = base + location }
                } else {
                    var typeAttribute = Dwarf_Attribute()
                    var type = Dwarf_Die()
                    if dwarf_attr(&member, UInt32(DW_AT_type), &typeAttribute) != nil,
                       dwarf_formref_die(&typeAttribute, &type) != nil {
                        collectMembers(&type, base: base + location, depth: depth + 1, into: &found)
                    }
                }
            }
            var sibling = Dwarf_Die()
            guard dwarf_siblingof(&member, &sibling) == 0 else { break }
            member = sibling
        }
    }

    /// The element count of the array variable `name` (the first definition
    /// in the DWARF, static ones included), or nil when there is none. Reads
    /// sizes the kernel only states in its types, as `swap_info[MAX_SWAPFILES]`.
    public func arrayLength(ofVariable name: String) throws(DumpError) -> UInt64? {
        var found: UInt64?
        var seen = false
        try forEachTopLevelDIE { die in
            if dwarf_tag(&die) == Int32(DW_TAG_variable), dwarf_hasattr(&die, UInt32(DW_AT_declaration)) == 0,
               let cName = dwarf_diename(&die), String(cString: cName) == name {
                found = Self.arrayCount(&die)
                seen = true
            }
            return !seen
        }
        return found
    }

    /// The count of the first dimension of `variable`'s array type, through
    /// typedefs and qualifiers: DW_AT_count, or DW_AT_upper_bound + 1.
    static func arrayCount(_ variable: inout Dwarf_Die) -> UInt64? {
        var type = Dwarf_Die()
        var attribute = Dwarf_Attribute()
        guard dwarf_attr(&variable, UInt32(DW_AT_type), &attribute) != nil,
              dwarf_formref_die(&attribute, &type) != nil else { return nil }
        for _ in 0..<8 where dwarf_tag(&type) != Int32(DW_TAG_array_type) {
            var inner = Dwarf_Die()
            guard dwarf_attr(&type, UInt32(DW_AT_type), &attribute) != nil,
                  dwarf_formref_die(&attribute, &inner) != nil else { return nil }
            type = inner
        }
        var subrange = Dwarf_Die()
        guard dwarf_tag(&type) == Int32(DW_TAG_array_type), dwarf_child(&type, &subrange) == 0,
              dwarf_tag(&subrange) == Int32(DW_TAG_subrange_type) else { return nil }
        var value: Dwarf_Word = 0
        if dwarf_attr(&subrange, UInt32(DW_AT_count), &attribute) != nil, dwarf_formudata(&attribute, &value) == 0 {
            return value
        }
        if dwarf_attr(&subrange, UInt32(DW_AT_upper_bound), &attribute) != nil, dwarf_formudata(&attribute, &value) == 0 {
            return value &+ 1
        }
        return nil
    }
}
