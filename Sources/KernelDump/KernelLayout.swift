import PageTables

/// Which page table to list, named as the debugfs files: x86 has
/// /sys/kernel/debug/page_tables/{kernel,current_kernel,current_user,efi};
/// arm64 and riscv have /sys/kernel/debug/{kernel,efi}_page_tables.
public enum TableChoice: String, CaseIterable, Sendable {
    case kernel
    case currentKernel = "current-kernel"
    case currentUser = "current-user"
    case efi
}

/// One table ready to walk: its root, the ranges ptdump walks, the markers, the
/// architecture that classifies its entries and the format that prints them.
public struct TableSpec {
    public var name: String
    public var root: PhysicalAddress
    public var ranges: [WalkRange]
    public var architecture: any PagingArchitecture
    public var markers: MarkerTable
    public var kasan: KasanEarlyShadow?
    /// How the root was found, printed by --verbose and `info`.
    public var origin: String
    /// How the architecture's ptdump prints the listing.
    public var format: any ListingFormat
    public var markerAdvance: MarkerAdvance
    /// Set for JSON output: user entries are described with it.
    public var swapTypes: SwapTypes? = nil
    /// Where the last range ends (`RangeMerger.finalAddress`): 0, the top of
    /// the address space, except for a walk of user space alone.
    public var finalAddress: UInt64 = 0
    /// The state the kernel's note_page() starts from (`RangeMerger.startsAtPGDZero`).
    public var startsAtPGDZero = false
    /// Kernel addresses the kernel reaches without an entry in this table; read
    /// by `KernelVirtualReader` (task structs, `mm->pgd`), never listed.
    public var linearMap: LinearMapping? = nil
}

/// A kernel virtual range at a fixed distance from the physical addresses it
/// maps, with no entries in the Linux page table: ppc64's linear map under the
/// hash MMU is bolted into the hashed page table, which is the hypervisor's
/// (QEMU's) and not in the dump.
public struct LinearMapping: Sendable, Equatable {
    public var start: UInt64
    public var end: UInt64
    /// The physical address of `start`.
    public var physicalStart: UInt64

    public init(start: UInt64, end: UInt64, physicalStart: UInt64) {
        (self.start, self.end, self.physicalStart) = (start, end, physicalStart)
    }

    /// `va`'s physical address, when `va` is in the range.
    public func physical(_ va: UInt64) -> UInt64? {
        va >= start && va < end ? physicalStart &+ (va &- start) : nil
    }
}

/// What one architecture reads out of a kernel: the tables it can list and the
/// facts behind them. Each conforming type derives everything from the dump,
/// VMCOREINFO and the symbols, and records where each fact came from.
public protocol KernelLayout {
    /// The table behind one debugfs file; nil when the kernel's own file is
    /// empty in this state (no EFI runtime services).
    func table(_ choice: TableChoice, session: KernelSession, cpu: Int) throws(DumpError) -> TableSpec?

    /// Rows for `info` and `--verbose`: what was detected and from where.
    func describe(_ session: KernelSession) -> [(String, String)]

    /// The tables the kernel's boot-time W+X check walks, in its order, each
    /// with the line the kernel prints before walking it (or nil).
    func wxCheckTables(_ session: KernelSession) throws(DumpError) -> [(preface: String?, spec: TableSpec)]

    /// The table of a process whose `mm->pgd` is at `root`. x86-64 lists both
    /// halves, as its current_kernel file does; arm64 (TTBR0) and riscv list
    /// the user space below TASK_SIZE, under one `User Space` marker, in the
    /// kernel's listing format (the kernel itself has no such file there).
    func processTable(root: PhysicalAddress, session: KernelSession) throws(DumpError) -> TableSpec

    /// The user-mode copy of a process's table (x86 PTI's current_user).
    func userTable(of spec: TableSpec, session: KernelSession) throws(DumpError) -> TableSpec
}

/// `cpu:` for "the CPU the dump is about": the one that panicked in a crash
/// dump, CPU 0 in a QEMU dump.
public let defaultCPU = -1

extension TableSpec {
    /// `spec`'s format for a user space `[0, taskSize)` rooted at `root`.
    func userSpace(root: PhysicalAddress, taskSize: UInt64) -> TableSpec {
        var spec = self
        spec.root = root
        spec.ranges = [WalkRange(0, taskSize)]
        spec.finalAddress = taskSize
        spec.markers = MarkerTable([AddressMarker(start: 0, name: "User Space"),
                                    AddressMarker(start: taskSize, name: "User Space end")])
        spec.kasan = nil
        return spec
    }
}

extension KernelLayout {
    /// Only x86's PTI keeps a second, user-mode table.
    public func userTable(of spec: TableSpec, session: KernelSession) throws(DumpError) -> TableSpec {
        throw .noTable(name: "current-user", reason: "this architecture keeps no separate user-mode table")
    }

    /// `describe`'s rows in the order every layout prints them: the dump, the
    /// architecture, its paging rows, where the kernel's facts came from
    /// (VMCOREINFO, release, symbols), then the layout's own details.
    func describeRows(_ session: KernelSession, architecture: String, paging: [(String, String)],
                      details: [(String, String)]) -> [(String, String)] {
        [("dump", session.path + (session.isLive ? " (live)" : "")), ("architecture", architecture)] + paging + [
            ("VMCOREINFO", session.vmcoreinfoSource ?? "none"),
            ("release", session.vmcoreinfo?.osRelease ?? "unknown"),
            ("symbols", session.symbols.sources.joined(separator: ", ")),
        ] + details
    }

    /// The kernel's own table (init_mm's), which every layout has.
    public func kernelTable(_ session: KernelSession) throws(DumpError) -> TableSpec {
        guard let kernel = try table(.kernel, session: session, cpu: 0) else {
            throw .noTable(name: "kernel", reason: "no kernel page table")
        }
        return kernel
    }

    /// The kernel's table under one unnamed marker: what powerpc's and s390's
    /// `ptdump_check_wx()` walk.
    public func kernelTableUnderOneMarker(_ session: KernelSession) throws(DumpError) -> TableSpec {
        var spec = try kernelTable(session)
        spec.markers = MarkerTable([AddressMarker(start: 0, name: "")])
        return spec
    }

    /// arm64 and riscv check init_mm's table once.
    public func wxCheckTables(_ session: KernelSession) throws(DumpError) -> [(preface: String?, spec: TableSpec)] {
        guard let spec = try table(.kernel, session: session, cpu: 0) else { return [] }
        return [(nil, spec)]
    }
}

/// Reads the layout of the kernel in `session`, for its architecture.
public func readKernelLayout(_ session: KernelSession) throws(DumpError) -> any KernelLayout {
    try session.architecture.readLayout(session)
}
