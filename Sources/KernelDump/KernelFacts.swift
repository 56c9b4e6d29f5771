import PageTables

/// The second stage of a `KernelSession`: what the kernel says of itself,
/// before any page table is read. VMCOREINFO from the first source that has it
/// (the dump's note, /sys/kernel/vmcoreinfo live, the kernel's note found in
/// memory), the vmlinux and System.map (given or found and checked against the
/// dump), the chain of symbol sources with the dump's own kallsyms last, and,
/// for a dump without phys_base, where the image was found through CPU 0's
/// table. It reads only the opened dump; it writes into nothing.
public struct KernelFacts {
    public let vmcoreinfo: VmcoreInfo?
    /// Where VMCOREINFO came from ("ELF note", "/sys/kernel/vmcoreinfo", ...).
    public let vmcoreinfoSource: String?
    public let symbols: SymbolChain
    /// The vmlinux, when one was given or found: its section bytes serve content
    /// searches (riscv's kernel image has no VMCOREINFO of its own place) and
    /// its DWARF serves structure layouts.
    public let vmlinuxFile: ElfFile?
    /// The System.map the user named, if any.
    public let systemMapGiven: String?
    /// What the search for a vmlinux and System.map found and passed over.
    public let debugFiles: DebugFileReport
    /// KASLR offset and phys_base found from the page tables, for dumps without
    /// VMCOREINFO (QEMU without `-device vmcoreinfo`).
    public let derivedImage: (kaslr: UInt64, physBase: UInt64)?
    /// Why the dump's own kallsyms was not used, when it was tried and failed.
    public let kallsymsProblem: String?
    /// What the user should know from this stage.
    public let warnings: [String]
    /// The kernel's own byte order, for its variables in memory. Usually the
    /// dump's, but QEMU writes a ppc64le guest's dump with a big-endian ELF
    /// header and notes: then the kernel's VMCOREINFO note, found in memory,
    /// or the vmlinux's ELF header says which it is.
    public let byteOrder: ByteOrder
    /// The "KPTDUMP" note of a snapshot: symbols used, and facts derived when
    /// the original dump had no VMCOREINFO.
    public let snapshotFacts: VmcoreInfo?

    /// `phys_base`: where the kernel image sits physically, from VMCOREINFO,
    /// else found through the tables, else kept by a snapshot.
    public var physBase: UInt64? {
        Self.physBase(vmcoreinfo, derivedImage, snapshotFacts)
    }

    private static func physBase(_ info: VmcoreInfo?, _ derived: (kaslr: UInt64, physBase: UInt64)?,
                                 _ snapshot: VmcoreInfo?) -> UInt64? {
        info?.number("phys_base") ?? derived?.physBase ?? snapshot?.number("phys_base")
    }

    /// Reads the facts of `dump` (opened from `path`; `isLive` for /proc/kcore).
    init(_ request: DumpRequest, dump: DumpFile, path: String, isLive: Bool,
         architecture: any KernelArchitecture, cpus: [CPUState], memory: any PhysicalMemory) throws(DumpError) {
        let notes = dump.notes
        let snapshotFacts = notes.first { $0.name == KernelSession.snapshotNoteName }
            .map { VmcoreInfo(text: String(decoding: $0.descriptor, as: UTF8.self)) }
        self.snapshotFacts = snapshotFacts
        var warnings: [String] = []
        var info: VmcoreInfo? = nil
        var infoSource: String? = nil
        var order: ByteOrder = dump.bigEndian ? .big : .little
        if let note = notes.first(where: { $0.name == "VMCOREINFO" }) {
            info = VmcoreInfo(text: String(decoding: note.descriptor.prefix { $0 != 0 }, as: UTF8.self))
            if case .kdump = dump.format { infoSource = "the kdump header's notes" } else { infoSource = "ELF note" }
        } else if isLive, let bytes = try? FileBytes.readWhole("/sys/kernel/vmcoreinfo", limit: 1 << 16) {
            let text = String(decoding: bytes, as: UTF8.self)
            info = Self.liveVmcoreinfo(sysfsText: text, memory: dump.memory)
            infoSource = info == nil ? nil : "/sys/kernel/vmcoreinfo"
        } else if let (found, pa, noteOrder) = Self.scanForVmcoreinfo(dump.memory) {
            // QEMU without -device vmcoreinfo (riscv cannot have it): the kernel's
            // own note still sits in its memory, in the kernel's byte order.
            info = found
            infoSource = "note found in memory at physical \(hex(pa))"
            order = noteOrder
        }
        self.vmcoreinfo = info
        self.vmcoreinfoSource = infoSource
        self.byteOrder = order
        // The vmlinux is read once: its link-time symbols serve the match check,
        // the kernel-image search and the symbol table.
        var vmlinux: (path: String, symbols: SymbolIndex, file: ElfFile)? = nil
        var report = DebugFileReport()
        var systemMap: (path: String, symbols: SymbolIndex)? = nil
        if let given = request.systemMap { systemMap = (given, try Self.readMap(given)) }
        if let named = request.vmlinux {
            guard let elf = try ElfFile.probe(named, mapped: true) else { throw .notElf(path: named) }
            let linkSymbols = try elf.symbolIndex()
            if linkSymbols.count == 0 {
                warnings.append("\(named) has no symbol table (stripped, or cut short before its section headers): its symbols are not used")
            }
            if let big = try? elf.isBigEndian() { order = big ? .big : .little }
            try Self.checkMatch(vmlinux: elf, symbols: linkSymbols, dump: path, info: info)
            vmlinux = (named, linkSymbols, elf)
        } else if request.searchDebugFiles {
            let search = DebugFileSearch(root: request.debugRoot ?? "", dumpDirectory: isLive ? nil : Self.directory(of: path))
            let release = info?.osRelease ?? (isLive ? FileSystem.runningRelease() : nil)
            vmlinux = Self.findVmlinux(search, release: release, info: info, dump: path, report: &report)
            if vmlinux == nil && systemMap == nil {
                systemMap = Self.findSystemMap(search, release: release, info: info, report: &report)
            }
        }
        self.debugFiles = report
        self.systemMapGiven = request.systemMap
        var imageOffset: (kaslr: UInt64, physBase: UInt64)? = nil
        if info?.number("phys_base") == nil, let linkText = vmlinux?.symbols["_text"] {
            imageOffset = architecture.imageFromTables(cpus: cpus, memory: dump.memory, linkText: linkText)
        }
        self.derivedImage = imageOffset
        self.vmlinuxFile = vmlinux?.file
        let symbols = Self.symbolChain(systemMap: systemMap, path: path, isLive: isLive, info: info, notes: notes,
                                       vmlinux: vmlinux.map { ($0.path, $0.symbols) }, kernelOffset: imageOffset?.kaslr)
        self.symbols = symbols
        if let imageOffset {
            warnings.append("no phys_base in VMCOREINFO: the kernel image was found through CPU 0's CR3 (KASLR offset \(hex(imageOffset.kaslr)), phys_base \(hex(imageOffset.physBase)))")
        }
        if info == nil && !symbols.hasFullTable {
            throw .noVmcoreinfo(path: path)
        }
        var kallsymsProblem: String? = nil
        if !symbols.hasFullTable, let info {
            let physBase = Self.physBase(info, imageOffset, snapshotFacts)
            kallsymsProblem = Self.loadKallsyms(info, into: symbols, memory: memory, order: order) { va in
                if let physBase, let pa = architecture.imagePhysical(va, physBase: physBase) { return pa }
                return architecture.imagePhysical(va, vmcoreinfo: info)
            }
            if let kallsymsProblem { warnings.append("\(Self.kallsymsWarning)\(kallsymsProblem)") }
        }
        self.kallsymsProblem = kallsymsProblem
        self.warnings = warnings
    }

    /// Decodes the kernel's own symbol table from the dump, when VMCOREINFO
    /// says where it is and no vmlinux, System.map or kallsyms file was given;
    /// `imagePhysical` places the image before any layout is read. Returns why
    /// it could not be used, if it was tried and failed.
    static let kallsymsWarning = "the dump's kallsyms could not be used: "

    static func loadKallsyms(_ info: VmcoreInfo, into symbols: SymbolChain, memory: any PhysicalMemory, order: ByteOrder,
                                     imagePhysical: @escaping (UInt64) -> PhysicalAddress?) -> String? {
        guard let locations = KallsymsLocations(info) else { return nil }
        do {
            let index = try KallsymsDecoder.decode(locations, info: info, order: order) { va, count in
                guard let pa = imagePhysical(va) else {
                    throw DumpError.unreadableVariable(name: "kallsyms", address: va, reason: "the kernel image's place is not known yet")
                }
                return try memory.read(pa, count: count)
            }
            symbols.insert(SymbolTable(source: "the dump's kallsyms (\(index.count) symbols)", index: index))
            return nil
        } catch {
            return error.description
        }
    }

    /// Finds the kernel's VMCOREINFO note in physical memory: its 12-byte header,
    /// the name "VMCOREINFO" padded to 12 bytes, then the text, which starts
    /// with OSRELEASE (kernel/crash_core.c writes it first).
    /// The header's name size (11) says the kernel's byte order.
    static func scanForVmcoreinfo(_ memory: any DumpMemory) -> (VmcoreInfo, UInt64, ByteOrder)? {
        let pattern = Array("VMCOREINFO\0\0OSRELEASE=".utf8)
        var found: (VmcoreInfo, ByteOrder)?
        let at = memory.firstMatch(pattern) { hit in
            guard hit >= 12, let header = try? memory.read(PhysicalAddress(hit - 12), count: 12),
                  let order = [ByteOrder.little, .big].first(where: { decodeInteger(header, at: 0, size: 4, order: $0) == 11 }),
                  let size = decodeInteger(header, at: 4, size: 4, order: order), size > 10, size < 1 << 16,
                  let text = try? memory.read(PhysicalAddress(hit + 12), count: Int(size)) else { return false }
            let info = VmcoreInfo(text: String(decoding: text.prefix { $0 != 0 }, as: UTF8.self))
            guard info.osRelease != nil else { return false }
            found = (info, order)
            return true
        }
        guard let found, let at else { return nil }
        return (found.0, at - 12, found.1)
    }

    /// /sys/kernel/vmcoreinfo holds "PHYS SIZE" of the note in memory.
    static func liveVmcoreinfo(sysfsText: String, memory: any PhysicalMemory) -> VmcoreInfo? {
        let f = sysfsText.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard f.count >= 2, let pa = UInt64(f[0], radix: 16), let size = Int(f[1], radix: 16), size < 1 << 20,
              let bytes = try? memory.read(PhysicalAddress(pa), count: size) else { return nil }
        // The note header (12 bytes) and "VMCOREINFO\0" padded to 12 precede the text.
        let text = String(decoding: bytes.dropFirst(24), as: UTF8.self)
        return VmcoreInfo(text: text)
    }

    /// A System.map's (or /proc/kallsyms') symbols, read as bytes.
    static func readMap(_ path: String) throws(DumpError) -> SymbolIndex {
        SymbolIndex.parseMap(try StableBytes.file(path, limit: 1 << 28))
    }

    static func symbolChain(systemMap: (path: String, symbols: SymbolIndex)?, path: String, isLive: Bool, info: VmcoreInfo?,
                                    notes: [ElfFile.Note], vmlinux: (path: String, symbols: SymbolIndex)?,
                                    kernelOffset: UInt64?) -> SymbolChain {
        var tables: [SymbolTable] = []
        let offset = kernelOffset ?? info?.kernelOffset ?? 0
        if let vmlinux {
            tables.append(SymbolTable(source: vmlinux.path, index: vmlinux.symbols, shift: offset))
        }
        if let map = systemMap {
            tables.append(SymbolTable(source: map.path, index: map.symbols, shift: offset))
        } else if isLive && tables.isEmpty, let index = try? readMap("/proc/kallsyms") {
            let table = SymbolTable(source: "/proc/kallsyms", index: index)
            // Without root, kallsyms shows zeros: useless, so leave it out.
            if table["_stext"] ?? 0 != 0 { tables.append(table) }
        }
        if let note = notes.first(where: { $0.name == KernelSession.snapshotNoteName }) {
            let text = String(decoding: note.descriptor, as: UTF8.self)
            tables.append(.vmcoreinfo(VmcoreInfo(text: text), source: "\(path) (snapshot symbols)"))
        }
        if let info { tables.append(.vmcoreinfo(info, source: "VMCOREINFO")) }
        return SymbolChain(tables)
    }

    /// Refuses a vmlinux that is not the dump's kernel: BUILD-ID when both have
    /// one, else OSRELEASE against the vmlinux's banner.
    static func checkMatch(vmlinux: ElfFile, symbols: SymbolIndex, dump: String, info: VmcoreInfo?) throws(DumpError) {
        guard let info else { return }
        if let dumpID = info.buildID?.lowercased(), let id = vmlinux.buildID() {
            let vmID = id.map { String($0, radix: 16).leftPadded(2) }.joined()
            if !vmID.hasPrefix(dumpID) && !dumpID.hasPrefix(vmID) {
                throw .vmlinuxMismatch(vmlinux: vmlinux.path, dump: dump, field: "BUILD-ID", vmlinuxValue: vmID, dumpValue: dumpID)
            }
            return
        }
        guard let release = info.osRelease else { return }
        guard let banner = symbols["linux_banner"],
              let bytes = try vmlinux.sectionBytes(at: banner, count: 256) else { return }
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        let words = text.split(separator: " ")
        if words.count >= 3, words[0] == "Linux", words[1] == "version", words[2] != release {
            throw .vmlinuxMismatch(vmlinux: vmlinux.path, dump: dump, field: "OSRELEASE", vmlinuxValue: String(words[2]), dumpValue: release)
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The first candidate that is an ELF file with symbols and matches the
    /// dump (BUILD-ID, else release). A vmlinux that cannot be checked (no
    /// VMCOREINFO) is not taken on trust.
    static func findVmlinux(_ search: DebugFileSearch, release: String?, info: VmcoreInfo?, dump: String,
                            report: inout DebugFileReport) -> (path: String, symbols: SymbolIndex, file: ElfFile)? {
        report.searched = true
        for candidate in search.vmlinuxCandidates(release: release, buildID: info?.buildID) {
            report.looked.append(candidate)
            guard FileSystem.isReadableFile(candidate) else { continue }
            guard info != nil else {
                report.skipped.append("\(candidate): cannot be checked against a dump without VMCOREINFO; pass --vmlinux to use it")
                continue
            }
            do {
                guard let elf = try ElfFile.probe(candidate, mapped: true) else {
                    report.skipped.append("\(candidate): not an ELF file")
                    continue
                }
                let symbols = try elf.symbolIndex()
                guard symbols.count > 0 else {
                    report.skipped.append("\(candidate): no symbol table (a stripped image)")
                    continue
                }
                try checkMatch(vmlinux: elf, symbols: symbols, dump: dump, info: info)
                report.vmlinux = candidate
                return (candidate, symbols, elf)
            } catch {
                report.skipped.append("\(candidate): \(error.description)")
            }
        }
        return nil
    }

    /// The first System.map candidate with real symbols whose `init_uts_ns`
    /// agrees with VMCOREINFO's (after the KASLR offset).
    static func findSystemMap(_ search: DebugFileSearch, release: String?, info: VmcoreInfo?,
                              report: inout DebugFileReport) -> (path: String, symbols: SymbolIndex)? {
        for candidate in search.systemMapCandidates(release: release) {
            report.looked.append(candidate)
            guard FileSystem.isReadableFile(candidate),
                  let bytes = try? StableBytes.file(candidate, limit: 1 << 28) else { continue }
            if bytes.buffer.count < 4096, DebugFileSearch.isPlaceholderMap(String(decoding: bytes.buffer, as: UTF8.self)) {
                report.skipped.append("\(candidate): a placeholder (the real System.map is in the -dbg package)")
                continue
            }
            let index = SymbolIndex.parseMap(bytes)
            let table = SymbolTable(source: candidate, index: index, shift: info?.kernelOffset ?? 0)
            if let info, let want = info.symbol("init_uts_ns"), let have = table["init_uts_ns"], want != have {
                report.skipped.append("\(candidate): init_uts_ns is \(hex(have)) there but \(hex(want)) in the dump")
                continue
            }
            guard table.count > 100 else {
                report.skipped.append("\(candidate): only \(table.count) symbols")
                continue
            }
            report.systemMap = candidate
            return (candidate, index)
        }
        return nil
    }
}
