import PageTables

/// Where to read a kernel from, as the user gave it.
public struct DumpRequest: Sendable {
    /// A dump file, or nil for the running kernel through /proc/kcore.
    public var core: String?
    public var vmlinux: String?
    public var systemMap: String?
    public var kcorePath = "/proc/kcore"
    /// Look for a vmlinux (and System.map) when none is named.
    public var searchDebugFiles = true
    /// Prefix for the distribution debug paths (an unpacked -dbg package).
    public var debugRoot: String?

    public init(core: String?, vmlinux: String? = nil, systemMap: String? = nil, debugRoot: String? = nil) {
        self.core = core
        self.vmlinux = vmlinux
        self.systemMap = systemMap
        self.debugRoot = debugRoot
    }
}

/// A kernel opened for reading, in stages that each complete before the next:
/// the dump (format, memory, notes, CPU registers), VMCOREINFO, the chain of
/// symbol sources (the dump's own kallsyms last), and where the image sits
/// (`imagePlacement`, the architecture's `placeImage`). Architecture-neutral:
/// each `KernelLayout` then reads its architecture's specifics out of it, and
/// writes nothing back.
public final class KernelSession {
    public let path: String
    public let isLive: Bool
    /// The dump file and its format.
    public let dump: DumpFile
    public let machine: UInt16
    public let architecture: any KernelArchitecture
    public let bigEndian: Bool
    public let notes: [ElfFile.Note]
    public let vmcoreinfo: VmcoreInfo?
    /// Where VMCOREINFO came from ("ELF note", "/sys/kernel/vmcoreinfo", "snapshot").
    public let vmcoreinfoSource: String?
    public let cpus: [CPUState]
    public let symbols: SymbolChain
    public let memory: RecordingMemory
    public let coreMemory: any DumpMemory
    /// The dump's program headers (ELF only); some pair a kernel virtual address
    /// with its physical one (kexec-tools' kernel-text segment, /proc/kcore's KCORE_TEXT).
    public let segments: [ElfFile.Segment]
    /// Things the user should know that did not stop the run.
    public private(set) var warnings: [String] = []

    public static let snapshotNoteName = "KPTDUMP"

    public init(_ request: DumpRequest) throws(DumpError) {
        let path = request.core ?? request.kcorePath
        self.isLive = request.core == nil
        self.path = path
        let dump = try DumpFile(path: path)
        self.dump = dump
        self.machine = dump.machine
        self.bigEndian = dump.bigEndian
        guard let architecture = kernelArchitecture(elfMachine: machine) else {
            throw .unsupportedMachine(path: path, machine: machine)
        }
        self.architecture = architecture
        self.segments = dump.segments
        self.notes = dump.notes
        self.coreMemory = dump.memory
        self.memory = RecordingMemory(dump.memory)
        warnings += dump.warnings

        var info: VmcoreInfo? = nil
        var infoSource: String? = nil
        if let note = notes.first(where: { $0.name == "VMCOREINFO" }) {
            info = VmcoreInfo(text: String(decoding: note.descriptor.prefix { $0 != 0 }, as: UTF8.self))
            if case .kdump = dump.format { infoSource = "the kdump header's notes" } else { infoSource = "ELF note" }
        } else if isLive, let bytes = try? FileBytes.readWhole("/sys/kernel/vmcoreinfo", limit: 1 << 16) {
            let text = String(decoding: bytes, as: UTF8.self)
            info = Self.liveVmcoreinfo(sysfsText: text, memory: coreMemory)
            infoSource = info == nil ? nil : "/sys/kernel/vmcoreinfo"
        } else if let (found, pa) = Self.scanForVmcoreinfo(coreMemory) {
            // QEMU without -device vmcoreinfo (riscv cannot have it): the kernel's
            // own note still sits in its memory.
            info = found
            infoSource = "note found in memory at physical \(hex(pa))"
        }
        self.vmcoreinfo = info
        self.vmcoreinfoSource = infoSource
        self.cpus = architecture.cpuStates(notes: notes, bigEndian: bigEndian)
        // The vmlinux is read once: its link-time symbols serve the match check,
        // the kernel-image search and the symbol table.
        var vmlinux: (path: String, symbols: SymbolIndex)? = nil
        var report = DebugFileReport()
        var systemMap: (path: String, symbols: SymbolIndex)? = nil
        if let given = request.systemMap { systemMap = (given, try Self.readMap(given)) }
        if let named = request.vmlinux {
            guard let elf = try ElfFile.probe(named) else { throw .notElf(path: named) }
            let linkSymbols = try elf.symbolIndex()
            try Self.checkMatch(vmlinux: elf, symbols: linkSymbols, dump: path, info: info)
            vmlinux = (named, linkSymbols)
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
            imageOffset = architecture.imageFromTables(cpus: cpus, memory: coreMemory, linkText: linkText)
        }
        self.derivedImage = imageOffset
        self.vmlinuxFile = vmlinux.flatMap { v in try? ElfFile.probe(v.path) }
        self.symbols = Self.symbolChain(systemMap: systemMap, path: path, isLive: isLive, info: info, notes: notes,
                                            vmlinux: vmlinux, kernelOffset: imageOffset?.kaslr)
        if let imageOffset {
            warnings.append("no phys_base in VMCOREINFO: the kernel image was found through CPU 0's CR3 (KASLR offset \(hex(imageOffset.kaslr)), phys_base \(hex(imageOffset.physBase)))")
        }
        if info == nil && !symbols.hasFullTable {
            throw .noVmcoreinfo(path: path)
        }
        if !symbols.hasFullTable, let info { loadKallsyms(info) }
        imagePlacement = try architecture.placeImage(self)
    }

    /// Why the dump's own kallsyms was not used, when it was tried and failed.
    public private(set) var kallsymsProblem: String?

    /// Decodes the kernel's own symbol table from the dump, when VMCOREINFO
    /// says where it is and no vmlinux, System.map or kallsyms file was given.
    private func loadKallsyms(_ info: VmcoreInfo) {
        guard let locations = KallsymsLocations(info) else { return }
        let order: ByteOrder = bigEndian ? .big : .little
        do {
            let index = try KallsymsDecoder.decode(locations, info: info, order: order) { va, count in
                guard let pa = self.imagePhysicalBeforeLayout(va) else {
                    throw DumpError.unreadableVariable(name: "kallsyms", address: va, reason: "the kernel image's place is not known yet")
                }
                return try self.memory.read(pa, count: count)
            }
            symbols.insert(SymbolTable(source: "the dump's kallsyms (\(index.count) symbols)", index: index))
        } catch {
            kallsymsProblem = error.description
            warn("the dump's kallsyms could not be used: \(error.description)")
        }
    }

    /// The kernel image's physical place from VMCOREINFO alone, before any
    /// layout has installed its translator: by phys_base, or by what the
    /// architecture's VMCOREINFO says (`KernelArchitecture.imagePhysical`).
    func imagePhysicalBeforeLayout(_ va: UInt64) -> PhysicalAddress? {
        if let pa = kernelImagePhysical(va) { return pa }
        return vmcoreinfo.flatMap { architecture.imagePhysical(va, vmcoreinfo: $0) }
    }

    /// The vmlinux, when one was given or found: its section bytes serve content
    /// searches (riscv's kernel image has no VMCOREINFO of its own place).
    public let vmlinuxFile: ElfFile?

    /// Finds the kernel's VMCOREINFO note in physical memory: its 12-byte header,
    /// the name "VMCOREINFO" padded to 12 bytes, then the text, which starts
    /// with OSRELEASE (kernel/crash_core.c writes it first).
    static func scanForVmcoreinfo(_ memory: any DumpMemory) -> (VmcoreInfo, UInt64)? {
        let pattern = Array("VMCOREINFO\0\0OSRELEASE=".utf8)
        var found: VmcoreInfo?
        let at = memory.firstMatch(pattern) { hit in
            guard hit >= 12, let header = try? memory.read(PhysicalAddress(hit - 12), count: 12),
                  decodeInteger(header, at: 0, size: 4, order: .little) == 11,
                  let size = decodeInteger(header, at: 4, size: 4, order: .little), size > 10, size < 1 << 16,
                  let text = try? memory.read(PhysicalAddress(hit + 12), count: Int(size)) else { return false }
            let info = VmcoreInfo(text: String(decoding: text.prefix { $0 != 0 }, as: UTF8.self))
            guard info.osRelease != nil else { return false }
            found = info
            return true
        }
        guard let found, let at else { return nil }
        return (found, at - 12)
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
        let bytes = try FileBytes.readWhole(path, limit: 1 << 28)
        return bytes.withUnsafeBufferPointer { SymbolIndex.parseMap($0) }
    }

    private static func symbolChain(systemMap: (path: String, symbols: SymbolIndex)?, path: String, isLive: Bool, info: VmcoreInfo?,
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
        if let note = notes.first(where: { $0.name == snapshotNoteName }) {
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

    /// The System.map the user named, if any.
    public let systemMapGiven: String?

    /// What the search for a vmlinux and System.map found and passed over.
    public let debugFiles: DebugFileReport

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The first candidate that is an ELF file with symbols and matches the
    /// dump (BUILD-ID, else release). A vmlinux that cannot be checked (no
    /// VMCOREINFO) is not taken on trust.
    static func findVmlinux(_ search: DebugFileSearch, release: String?, info: VmcoreInfo?, dump: String,
                            report: inout DebugFileReport) -> (path: String, symbols: SymbolIndex)? {
        report.searched = true
        for candidate in search.vmlinuxCandidates(release: release, buildID: info?.buildID) {
            report.looked.append(candidate)
            guard FileSystem.isReadableFile(candidate) else { continue }
            guard info != nil else {
                report.skipped.append("\(candidate): cannot be checked against a dump without VMCOREINFO; pass --vmlinux to use it")
                continue
            }
            do {
                guard let elf = try ElfFile.probe(candidate) else {
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
                return (candidate, symbols)
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
                  let bytes = try? FileBytes.readWhole(candidate, limit: 1 << 28) else { continue }
            if bytes.count < 4096, DebugFileSearch.isPlaceholderMap(String(decoding: bytes, as: UTF8.self)) {
                report.skipped.append("\(candidate): a placeholder (the real System.map is in the -dbg package)")
                continue
            }
            let index = bytes.withUnsafeBufferPointer { SymbolIndex.parseMap($0) }
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


    /// Notes a problem that does not stop the run.
    /// Records `message` once, however many walks run into the same thing.
    public func warn(_ message: String) {
        if !warnings.contains(message) { warnings.append(message) }
    }

    // MARK: Kernel variables

    /// `phys_base`: where the kernel image sits physically, from VMCOREINFO.
    public var physBase: UInt64? {
        vmcoreinfo?.number("phys_base") ?? derivedImage?.physBase ?? snapshotFacts?.number("phys_base")
    }

    /// The "KPTDUMP" note of a snapshot: symbols used, and facts derived when the
    /// original dump had no VMCOREINFO.
    public var snapshotFacts: VmcoreInfo? {
        notes.first { $0.name == Self.snapshotNoteName }.map { VmcoreInfo(text: String(decoding: $0.descriptor, as: UTF8.self)) }
    }

    /// KASLR offset and phys_base found from the page tables, for dumps without
    /// VMCOREINFO (QEMU without `-device vmcoreinfo`).
    public let derivedImage: (kaslr: UInt64, physBase: UInt64)?

    /// Where the image sits, for architectures whose kernel-virtual addresses
    /// need more than phys_base: the session's last stage
    /// (`KernelArchitecture.placeImage`), before any layout is read.
    public private(set) var imagePlacement: ImagePlacement?

    /// Facts derived from the dump rather than read from VMCOREINFO, kept in
    /// snapshots so that the small file opens the same way (`NUMBER(name)`).
    public var derivedFacts: [String: UInt64] {
        cachedFacts.merging(imagePlacement?.facts ?? [:]) { own, _ in own }
    }
    /// Facts found by readers of this session as they run (MAX_SWAPFILES).
    var cachedFacts: [String: UInt64] = [:]

    /// `taskLayout()`'s answer, read once: the DWARF scan is the costly part.
    var cachedTaskLayout: TaskLayout??
    var cachedSwapTypes: SwapTypes?
    var cachedBTF: (types: BTFTypes, source: String)??
    /// Why the kernel's BTF was not read, once it was tried.
    public internal(set) var btfProblem: String?
    var cachedCrash: CrashContext?

    /// `virtual - physical` of the PT_LOAD segment that maps `va` with both
    /// addresses known, if any.
    public func segmentOffset(containing va: UInt64) -> UInt64? {
        for s in segments where s.isLoad && s.physicalAddress != .max && s.virtualAddress != s.physicalAddress
            && va >= s.virtualAddress && va - s.virtualAddress < s.memorySize {
            return s.virtualAddress &- s.physicalAddress
        }
        return nil
    }

    /// Physical address of a kernel virtual address: `__pa_symbol` for the
    /// image, and on arm64 and riscv also the linear map.
    public func kernelImagePhysical(_ va: UInt64) -> PhysicalAddress? {
        if let imagePlacement { return imagePlacement.translate(va).map { PhysicalAddress($0) } }
        guard let physBase else { return nil }
        return architecture.imagePhysical(va, physBase: physBase)
    }

    /// Reads `count` bytes of a kernel-image object, through `translate` when
    /// given (a placement being tried) instead of the session's own.
    public func readKernelImage(_ va: UInt64, count: Int, name: String,
                                translate: ((UInt64) -> UInt64?)? = nil) throws(DumpError) -> [UInt8] {
        let physical = translate.map { t in t(va).map { PhysicalAddress($0) } } ?? kernelImagePhysical(va)
        guard let pa = physical else {
            throw .unreadableVariable(name: name, address: va, reason: "not a kernel-image address, or phys_base unknown")
        }
        do {
            return try memory.read(pa, count: count)
        } catch {
            throw .unreadableVariable(name: name, address: va, reason: error.description)
        }
    }

    /// Reads the 64-bit kernel variable `name`, or nil when the symbol is unknown.
    public func readVariable(_ name: String, size: Int = 8, translate: ((UInt64) -> UInt64?)? = nil) throws(DumpError) -> UInt64? {
        guard let va = symbols[name] else { return nil }
        let bytes = try readKernelImage(va, count: size, name: name, translate: translate)
        return decodeInteger(bytes, at: 0, size: size, order: bigEndian ? .big : .little)
    }

    /// A NUL-terminated string in the kernel image (at most `limit` bytes), read
    /// a page-bounded chunk at a time.
    public func readCString(_ va: UInt64, limit: Int = 64) -> String? {
        var out: [UInt8] = []
        var cursor = va
        while out.count < limit {
            let toPageEnd = Int(0x1000 - (cursor & 0xfff))  // the smallest page size
            let n = min(limit - out.count, toPageEnd)
            guard let pa = kernelImagePhysical(cursor) else { return nil }
            // A snapshot may hold only the string's own bytes: fall back to one byte.
            guard let chunk = (try? memory.read(pa, count: n)) ?? (try? memory.read(pa, count: 1)) else { return nil }
            if let nul = chunk.firstIndex(of: 0) {
                return String(decoding: out + chunk[..<nul], as: UTF8.self)
            }
            out += chunk
            cursor &+= UInt64(chunk.count)
        }
        return nil
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
