/// What an architecture tells the generic walker about its entries.
///
/// The walker reproduces mm/pagewalk.c and mm/ptdump.c; an architecture only
/// answers the questions those files ask of `p?d_none`, `p?d_bad`, `p?d_leaf`,
/// `p?d_present`, the table pointer and the protection bits. Each predicate is
/// asked only for a level whose child is not folded: the walker supplies the
/// constant answers of include/asm-generic/pgtable-nop?d.h itself.
///
/// An architecture implements this next to its `ListingFormat` and layout
/// (see `KernelArchitecture` in KernelDump for the checklist). The merger's
/// break rule (a line ends where protection, level or marker changes) is the
/// generic one of mm/ptdump.c; a ptdump that also breaks where the physical
/// address jumps (ppc64's) will need it made a requirement here.
public protocol PagingArchitecture: Sendable {
    /// The paging form of the table being walked.
    var geometry: PagingGeometry { get }

    /// `p?d_none()` (and `pte_none()`).
    func isNone(_ entry: UInt64, at level: TableLevel) -> Bool

    /// `pgd_bad()` / `p4d_bad()`: the walker asks only at PGD and P4D, where
    /// `p?d_none_or_clear_bad()` turns a bad entry into a hole.
    func isBad(_ entry: UInt64, at level: TableLevel) -> Bool

    /// `p?d_leaf()`: the entry maps memory itself instead of pointing to a table.
    func isLeaf(_ entry: UInt64, at level: TableLevel) -> Bool

    /// `pud_present()` / `pmd_present()`: a non-leaf entry that is not present is
    /// not descended into.
    func isPresent(_ entry: UInt64, at level: TableLevel) -> Bool

    /// The physical address of the table a non-leaf entry points to.
    func tableAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress

    /// The physical address a present leaf maps at its first byte.
    func leafAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress

    /// `pte_present()`: the PTE maps a page as far as the kernel is concerned
    /// (PROT_NONE pages included), as opposed to a swap or other entry.
    func isPresentToKernel(_ entry: UInt64) -> Bool

    /// The leaf's hardware valid bit: whether the MMU translates through it.
    /// Narrower than `isPresentToKernel`, which also counts PROT_NONE pages.
    func mapsInHardware(_ entry: UInt64) -> Bool

    /// The bits that the listing compares and prints (x86: `val & PTE_FLAGS_MASK`).
    func protection(_ entry: UInt64) -> UInt64

    /// The same for an entry noted at `level` (nil: the final flush). Only an
    /// architecture whose ptdump reads the bits differently by level needs it
    /// (s390: a PTE's invalid bit is an upper entry's large-page bit, and a
    /// hole above the PTEs is noted as invalid); the default is `protection`.
    func protection(_ entry: UInt64, at level: TableLevel?) -> UInt64

    /// Whether the architecture's ptdump has an `effective_prot` hook (x86 does;
    /// arm64 and riscv compare only the entry's own bits).
    var tracksEffectiveProtection: Bool { get }

    /// Combines the effective protection of the level above (nil at the top)
    /// with this entry's own bits.
    func effectiveProtection(higher: UInt64?, own: UInt64) -> UInt64

    /// True when a range with this effective protection is both writable and
    /// executable, by the architecture's W+X rule.
    func isWritableAndExecutable(protection: UInt64, effective: UInt64) -> Bool

    /// Why a non-none entry is an encoding the MMU rejects at this level (a
    /// block where the granule allows none, a reserved type), or nil. The
    /// walker marks such an entry instead of following or printing it.
    func invalidEncoding(_ entry: UInt64, at level: TableLevel) -> String?

    /// What a range with this protection allows, by the architecture's own
    /// bits: for filters, JSON and summaries.
    func access(protection: UInt64, effective: UInt64) -> RangeAccess

    /// True for a kernel range that user space could execute, which arm64's
    /// W+X check counts as "non-UXN" pages; false elsewhere.
    func isUserExecutable(protection: UInt64) -> Bool

    /// Whether the kernel's W+X check leaves this writable and executable
    /// range out (s390 lets the first lowcore page be W+X where its entry code
    /// needs it). False by default.
    func isExpectedWX(start: UInt64, end: UInt64) -> Bool

    /// What `vtop` calls the table read at `level`: the generic name ("pgd")
    /// by default, the architecture's own where its tables have other names
    /// (s390's region and segment tables).
    func tableName(_ level: TableLevel) -> String

    /// The verdict line the kernel's boot-time W+X check prints for these counts.
    func wxVerdict(writableExecutablePages: UInt64, nonUXNPages: UInt64) -> String

    /// What a non-none user-space entry at `level` is (a leaf, or a
    /// non-present entry), or nil where the architecture's encodings are not
    /// decoded. Kernel entries reuse the software bits for other purposes.
    func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription?

    /// False when `describeUserEntry` knows no encoding for this kernel (its
    /// release predates or postdates every layout the architecture knows).
    var decodesUserEntries: Bool { get }

    /// The end of the run of PTEs from `start` up to `limit` (exclusive) that
    /// share `entries[start]`'s protection, are all zero or all non-zero, and
    /// (after the first) have valid encodings. Implemented once below; a
    /// requirement so that a call through `any PagingArchitecture` runs the
    /// loop with this type's own methods, not one existential call per entry.
    func pteRunEnd(_ entries: [UInt64], from start: Int, limit: Int) -> Int

    /// The first index in `entries` whose PTE does not map the page that
    /// follows on physically from `expected` for the first (`pageSize`
    /// apart), or `entries.endIndex`. A requirement for the same reason.
    func firstDiscontiguousPTE(_ entries: ArraySlice<UInt64>, expected: UInt64, pageSize: UInt64) -> Int
}

/// The access a mapped range grants, decoded from its protection bits.
public struct RangeAccess: Sendable, Equatable {
    public var present: Bool
    public var writable: Bool
    public var executable: Bool
    public var user: Bool

    public init(present: Bool, writable: Bool, executable: Bool, user: Bool) {
        self.present = present
        self.writable = writable
        self.executable = executable
        self.user = user
    }
}

// Inlinable so that each architecture (in another module) gets these
// specialized for its own type: they run once per entry.
extension PagingArchitecture {
    /// arm64's and riscv's `isPresent` at PTE level already counts PROT_NONE.
    @inlinable public func isPresentToKernel(_ entry: UInt64) -> Bool { isPresent(entry, at: .pte) }

    /// x86's `isPresent` at PTE level is already the P bit alone.
    @inlinable public func mapsInHardware(_ entry: UInt64) -> Bool { isPresent(entry, at: .pte) }

    /// Architectures without a rule accept every encoding the kernel accepts.
    @inlinable public func invalidEncoding(_ entry: UInt64, at level: TableLevel) -> String? { nil }

    @inlinable public func isUserExecutable(protection: UInt64) -> Bool { false }

    @inlinable public func isExpectedWX(start: UInt64, end: UInt64) -> Bool { false }

    public func tableName(_ level: TableLevel) -> String { level.name }

    @inlinable public func protection(_ entry: UInt64, at level: TableLevel?) -> UInt64 { protection(entry) }

    @inlinable public func pteRunEnd(_ entries: [UInt64], from start: Int, limit: Int) -> Int {
        let first = entries[start]
        let prot = protection(first)
        var end = start + 1
        while end < limit {
            let next = entries[end]
            if (next == 0) != (first == 0) || protection(next) != prot { break }
            if next != 0 && invalidEncoding(next, at: .pte) != nil { break }
            end += 1
        }
        return end
    }

    @inlinable public func firstDiscontiguousPTE(_ entries: ArraySlice<UInt64>, expected: UInt64, pageSize: UInt64) -> Int {
        var at = expected
        for i in entries.indices {
            if leafAddress(entries[i], at: .pte).rawValue != at { return i }
            at &+= pageSize
        }
        return entries.endIndex
    }
}
