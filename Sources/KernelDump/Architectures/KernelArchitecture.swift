import PageTables

/// One architecture as the rest of kptdump sees it: which dumps are its, what
/// its CPU notes hold, where its kernel image sits before a layout is known,
/// and the layout reader that turns a kernel into tables. Everything else of
/// the architecture (its `PagingArchitecture`, entry decoding, `ListingFormat`,
/// markers, W+X rule) is reached through the `TableSpec`s its layout returns.
///
/// Adding an architecture (the model is drgn's libdrgn/platform.h checklist):
/// 1. A folder `Architectures/<Name>/` holding everything of it.
/// 2. A `PagingArchitecture`: geometry, the `p?d_none/bad/leaf/present`
///    predicates of its pgtable.h, table and leaf addresses, protection bits,
///    the W+X rule and verdict text of its DEBUG_WX check (with
///    `isExpectedWX` for ranges its check skips, as s390's lowcore), the
///    protection bits per level where they differ (`protection(_:at:)`:
///    s390's segment and page entries), the entry byte order (big-endian
///    tables on s390x, and ppc64's whatever the kernel's order), and, if it
///    decodes user entries, `describeUserEntry` (swap, migration, hwpoison).
/// 3. A `ListingFormat` for its ptdump's lines: `TableDrivenFormatter.Style`
///    (attribute table, level names, optional physical column) when its
///    ptdump prints like arm64's and riscv's, or a formatter of its own
///    (ppc64: inclusive ends, the physical column, holes not printed; s390x:
///    holes as `I`, marker pairs).
/// 4. A `KernelLayout`: the tables it lists (kernel, efi, current, a process's),
///    each a `TableSpec` with root, walk ranges, markers (from the dump: its
///    VMCOREINFO, symbols, the kernel's own marker array), merge policy
///    (`MarkerAdvance`, `startsAtPGDZero`, `finalAddress`) and format.
/// 5. A value conforming to this protocol, and one line in `kernelArchitectures`.
/// 6. Tests: a paging file (sparse tables, one test per level and leaf kind),
///    a real-kernel fixture judged by the kernel's own listing, and the
///    paging forms in `fuzzPagingForms`.
/// Nothing outside the folder and the registry line needs to change.
public protocol KernelArchitecture: Sendable {
    /// The name `info` and `map` print: the kernel's `uname -m` spelling where
    /// it has one (`x86_64`), else the architecture's usual one (`arm64`).
    var name: String { get }

    /// The debugfs tables the architecture's kernels have (`--table`).
    var tables: [TableChoice] { get }

    /// What a process's table (`--pid`) covers, for help text.
    var processTableExtent: String { get }

    /// The kernel's W+X rule and the tables its check walks, for help text.
    var wxRule: String { get }

    /// `e_machine` of the architecture's ELF cores.
    var elfMachine: UInt16 { get }

    /// The `utsname.machine` strings a kdump-compressed header may carry.
    var utsMachines: [String] { get }

    /// The page-table base and control registers of each CPU, from the dump's
    /// notes (QEMU's CPU notes); empty where the notes hold none.
    func cpuStates(notes: [ElfFile.Note], bigEndian: Bool) -> [CPUState]

    /// The physical address of a kernel-image address from `phys_base` alone,
    /// where the architecture's image has a fixed link-time base; nil elsewhere
    /// (its `placeImage` gives the session a translation instead).
    func imagePhysical(_ va: UInt64, physBase: UInt64) -> PhysicalAddress?

    /// The physical address of a kernel-image address from VMCOREINFO alone,
    /// before a layout is read (for the dump's own kallsyms); nil when
    /// VMCOREINFO holds no such offset.
    func imagePhysical(_ va: UInt64, vmcoreinfo: VmcoreInfo) -> PhysicalAddress?

    /// The KASLR offset and phys_base found by walking the CPUs' tables, for a
    /// dump whose VMCOREINFO lacks phys_base; nil where it cannot be done.
    func imageFromTables(cpus: [CPUState], memory: any PhysicalMemory, linkText: UInt64) -> (kaslr: UInt64, physBase: UInt64)?

    /// Where the kernel image (and the linear map) sits, for an architecture
    /// whose kernel-virtual addresses need more than `phys_base`: a stage of
    /// the session, run once its symbols are known, before any layout. Nil
    /// when the architecture needs none or the dump cannot say (the layout
    /// then explains what is missing).
    func placeImage(_ session: KernelSession) throws(DumpError) -> ImagePlacement?

    /// Reads the kernel's layout: the reader of the tables this architecture lists.
    func readLayout(_ session: KernelSession) throws(DumpError) -> any KernelLayout

    /// Paging forms with their listing formats, for the fuzz targets: each form
    /// the architecture walks, and how an entry's output address is written
    /// (`shift` and `bits` of the page-frame field) so fuzz inputs can aim
    /// entries at the pages they supply.
    var fuzzPagingForms: [FuzzPagingForm] { get }
}

/// Where a kernel's image sits (`KernelArchitecture.placeImage`).
public struct ImagePlacement: Sendable {
    /// Physical address of a kernel-image or linear-map virtual address.
    public var translate: @Sendable (UInt64) -> UInt64?
    /// Facts derived on the way, kept in snapshots (`NUMBER(name)`).
    public var facts: [String: UInt64]
    /// How it was found, for `info`.
    public var source: String

    public init(translate: @escaping @Sendable (UInt64) -> UInt64?, facts: [String: UInt64] = [:], source: String) {
        self.translate = translate
        self.facts = facts
        self.source = source
    }
}

/// A paging form for the fuzz targets (`KernelArchitecture.fuzzPagingForms`).
public struct FuzzPagingForm: Sendable {
    public var paging: any PagingArchitecture
    public var format: any ListingFormat
    /// Where the page-frame number sits in an entry and how wide it is.
    public var frameShift: UInt64
    public var frameBits: UInt64

    public init(paging: any PagingArchitecture, format: any ListingFormat, frameShift: UInt64, frameBits: UInt64) {
        self.paging = paging
        self.format = format
        self.frameShift = frameShift
        self.frameBits = frameBits
    }
}

extension KernelArchitecture {
    public func cpuStates(notes: [ElfFile.Note], bigEndian: Bool) -> [CPUState] { [] }
    public func imagePhysical(_ va: UInt64, physBase: UInt64) -> PhysicalAddress? { nil }
    public func imagePhysical(_ va: UInt64, vmcoreinfo: VmcoreInfo) -> PhysicalAddress? { nil }
    public func imageFromTables(cpus: [CPUState], memory: any PhysicalMemory, linkText: UInt64) -> (kaslr: UInt64, physBase: UInt64)? { nil }
    public func placeImage(_ session: KernelSession) throws(DumpError) -> ImagePlacement? { nil }
}

/// The architecture whose cores carry `machine`, or nil.
public func kernelArchitecture(elfMachine machine: UInt16) -> (any KernelArchitecture)? {
    kernelArchitectures.first { $0.elfMachine == machine }
}

/// The architecture a kdump-compressed header names, or nil.
public func kernelArchitecture(utsMachine machine: String) -> (any KernelArchitecture)? {
    kernelArchitectures.first { $0.utsMachines.contains(machine) }
}

/// Help text built from every architecture's own words, so the command line
/// names none itself.
public enum ArchitectureHelp {
    /// "x86_64: kernel, current-kernel, current-user, efi; arm64: kernel, efi; …"
    public static var tables: String {
        kernelArchitectures.map { "\($0.name): \($0.tables.map(\.rawValue).joined(separator: ", "))" }.joined(separator: "; ")
    }

    /// The architectures whose kernels have per-CPU current tables.
    public static var perCPUTables: String {
        kernelArchitectures.filter { $0.tables.contains(.currentKernel) }.map(\.name).joined(separator: ", ")
    }

    /// "x86_64: both halves…; arm64: its user space; …"
    public static var processTables: String {
        kernelArchitectures.map { "\($0.name): \($0.processTableExtent)" }.joined(separator: "; ")
    }

    /// "x86_64: effective RW and not NX…; arm64: …"
    public static var wxRules: String {
        kernelArchitectures.map { "\($0.name): \($0.wxRule)" }.joined(separator: "; ")
    }
}

/// "x86_64 (62), arm64 (183)…": what the registry reads, for refusals.
var supportedMachinesText: String {
    kernelArchitectures.map { "\($0.name) (ELF machine \($0.elfMachine))" }.joined(separator: ", ")
}
