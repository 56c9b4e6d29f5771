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

/// A kernel opened for reading, in stages that each produce a value before the
/// next begins: the dump (`DumpFile`: format, memory, notes; with the
/// architecture and its CPU registers), the kernel's facts (`KernelFacts`:
/// VMCOREINFO, the vmlinux and System.map, the symbol chain), and where the
/// image sits (`imagePlacement`, the architecture's `placeImage`). Later
/// readers (layouts, tasks, types) take what they need from it; answers read
/// on demand are kept in `Once` boxes, so no reader stores into the session.
public final class KernelSession {
    public let path: String
    public let isLive: Bool
    /// Stage 1: the dump file and its format.
    public let dump: DumpFile
    public let architecture: any KernelArchitecture
    public let cpus: [CPUState]
    /// The dump's memory, recording what is read (a snapshot keeps that).
    public let memory: RecordingMemory
    /// Stage 2: what the kernel says of itself.
    public let facts: KernelFacts
    /// Stage 3: where the image sits, for architectures whose kernel-virtual
    /// addresses need more than phys_base (`KernelArchitecture.placeImage`).
    public private(set) var imagePlacement: ImagePlacement?
    /// Things the user should know that did not stop the run.
    public private(set) var warnings: [String] = []

    public static let snapshotNoteName = "KPTDUMP"

    public init(_ request: DumpRequest) throws(DumpError) {
        let path = request.core ?? request.kcorePath
        self.isLive = request.core == nil
        self.path = path
        let dump = try DumpFile(path: path)
        self.dump = dump
        guard let architecture = kernelArchitecture(elfMachine: dump.machine) else {
            throw .unsupportedMachine(path: path, machine: dump.machine)
        }
        self.architecture = architecture
        self.memory = RecordingMemory(dump.memory)
        self.cpus = architecture.cpuStates(notes: dump.notes, bigEndian: dump.bigEndian)
        self.facts = try KernelFacts(request, dump: dump, path: path, isLive: isLive,
                                     architecture: architecture, cpus: cpus, memory: memory)
        warnings = dump.warnings + facts.warnings
        // Placing the image may read variables through candidate placements
        // (`readVariable(_:translate:)`); it is the one stage that needs the
        // session itself, and the last.
        imagePlacement = try architecture.placeImage(self)
        kallsymsProblem = facts.kallsymsProblem
        retryKallsymsThroughPlacement()
    }

    /// The dump's kallsyms, when VMCOREINFO names it but could not place the
    /// image (riscv 6.1: no riscv lines), read again once the placement stage
    /// found the image.
    private func retryKallsymsThroughPlacement() {
        guard let placement = imagePlacement, kallsymsProblem != nil, !symbols.hasFullTable, let info = vmcoreinfo,
              KernelFacts.loadKallsyms(info, into: symbols, memory: memory, order: byteOrder,
                                       imagePhysical: { va in placement.translate(va).map { PhysicalAddress($0) } }) == nil
        else { return }
        kallsymsProblem = nil
        warnings.removeAll { $0.hasPrefix(KernelFacts.kallsymsWarning) }
    }

    public var machine: UInt16 { dump.machine }
    /// The dump file's byte order (its headers and notes).
    public var bigEndian: Bool { dump.bigEndian }
    /// The kernel's byte order, for its variables (`KernelFacts.byteOrder`).
    public var byteOrder: ByteOrder { facts.byteOrder }
    public var notes: [ElfFile.Note] { dump.notes }
    /// The dump's program headers (ELF only); some pair a kernel virtual address
    /// with its physical one (kexec-tools' kernel-text segment, /proc/kcore's KCORE_TEXT).
    public var segments: [ElfFile.Segment] { dump.segments }
    /// The dump's memory without recording.
    public var coreMemory: any DumpMemory { dump.memory }
    public var vmcoreinfo: VmcoreInfo? { facts.vmcoreinfo }
    public var vmcoreinfoSource: String? { facts.vmcoreinfoSource }
    public var symbols: SymbolChain { facts.symbols }
    public var vmlinuxFile: ElfFile? { facts.vmlinuxFile }
    public var systemMapGiven: String? { facts.systemMapGiven }
    public var debugFiles: DebugFileReport { facts.debugFiles }
    public var derivedImage: (kaslr: UInt64, physBase: UInt64)? { facts.derivedImage }
    /// Why the dump's kallsyms could not be used, if it was tried and failed.
    public private(set) var kallsymsProblem: String?

    /// Notes a problem that does not stop the run.
    /// Records `message` once, however many walks run into the same thing.
    public func warn(_ message: String) {
        if !warnings.contains(message) { warnings.append(message) }
    }

    // MARK: Kernel variables

    /// `phys_base` (`KernelFacts.physBase`).
    public var physBase: UInt64? { facts.physBase }
    /// The "KPTDUMP" note of a snapshot (`KernelFacts.snapshotFacts`).
    public var snapshotFacts: VmcoreInfo? { facts.snapshotFacts }

    /// Facts derived from the dump rather than read from VMCOREINFO, kept in
    /// snapshots so that the small file opens the same way (`NUMBER(name)`).
    public var derivedFacts: [String: UInt64] {
        var facts = imagePlacement?.facts ?? [:]
        if let max = swapTypesOnce.computed?.maxSwapfiles { facts["MAX_SWAPFILES"] = max }
        return facts
    }

    // Answers read on demand, once each (by the files named).
    /// `taskLayout()` (Tasks.swift): the DWARF scan is the costly part.
    let taskLayoutOnce = Once<TaskLayout?>()
    /// `swapTypes()` (SwapTypesReader.swift).
    let swapTypesOnce = Once<SwapTypes>()
    /// `kernelBTF()` (KernelTypes.swift), with why it was not read.
    let btfOnce = Once<(found: (types: BTFTypes, source: String)?, problem: String?)>()
    /// `crashContext()` (CrashContext.swift).
    let crashOnce = Once<CrashContext>()

    /// Why the kernel's BTF was not read, once it was tried.
    public var btfProblem: String? { btfOnce.computed?.problem }

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
        return decodeInteger(bytes, at: 0, size: size, order: byteOrder)
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
