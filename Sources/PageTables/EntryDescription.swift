/// What a user-space entry is, in the kinds the kernel itself distinguishes
/// (include/linux/swapops.h, `pte_special()`, `pte_devmap()`) and PAGEMAP_SCAN
/// and /proc/PID/pagemap report: for `--json` on user tables.
///
/// Only the first entry of a range is described. Entries merge into one range
/// only when their flag bits are equal, and on x86-64 those include the swap
/// type and the soft-dirty, uffd-wp and exclusive bits, so every entry of a
/// range shares the kind; only the swap offset (or PFN) differs.
public struct EntryDescription: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A present page.
        case normal
        /// `pte_special()`: a PFN map, the zero page, no `struct page` to count.
        case special
        /// `pte_devmap()`: ZONE_DEVICE memory (DAX, device pages).
        case devmap
        /// Not present to the MMU but to the kernel (`pte_present()`): PROT_NONE
        /// or a NUMA hinting fault.
        case protNone = "prot_none"
        /// A page on swap device `swapType` at `swapOffset`.
        case swap
        case migrationRead = "migration_read"
        case migrationReadExclusive = "migration_read_exclusive"
        case migrationWrite = "migration_write"
        case deviceWrite = "device_private_write"
        case deviceRead = "device_private_read"
        case deviceExclusiveWrite = "device_exclusive_write"
        case deviceExclusiveRead = "device_exclusive_read"
        /// One type for both in later kernels: SWP_DEVICE_EXCLUSIVE (read in
        /// 7.2's and 7.3's include/linux/swap.h; 6.12's has the two above).
        case deviceExclusive = "device_exclusive"
        /// A poisoned page (memory failure).
        case hwpoison
        /// A PTE marker (userfaultfd write-protection of an unpopulated page on
        /// 6.1: `uffdWP`); `swapOffset` holds the marker bits.
        case pteMarker = "pte_marker"
        /// 5.19 to 6.1's SWP_SWAPIN_ERROR: a page whose swap-in failed.
        case swapinError = "swapin_error"
        /// A swap type above the swap devices whose meaning this kernel's
        /// layout does not tell (a PTE marker, or a kind `SwapTypes` could not
        /// name): `swapType` says which.
        case nonSwap = "non_swap"
    }

    public var kind: Kind
    /// The swap type and offset of a non-present entry; for migration,
    /// device and hwpoison entries the offset is the page frame number.
    public var swapType: UInt64?
    public var swapOffset: UInt64?
    public var softDirty: Bool
    public var uffdWP: Bool
    /// Non-present entries: `PG_anon_exclusive` kept across swap-out.
    public var exclusive: Bool
    /// A PTE marker's PTE_MARKER_GUARD (BIT(2) of its offset; MADV_GUARD_INSTALL,
    /// pagemap's PM_GUARD_REGION) and PTE_MARKER_POISONED (BIT(1)) bits
    /// (include/linux/swapops.h, read in 7.3); false for every other kind.
    public var guardRegion: Bool {
        kind == .pteMarker && (swapOffset ?? 0) & 4 != 0
    }
    public var poisoned: Bool {
        kind == .pteMarker && (swapOffset ?? 0) & 2 != 0
    }

    /// Equal for two entries that describe alike but for their swap offset
    /// or page frame: what `--json` keeps equal within a range.
    public var mergeKey: UInt64 {
        let kindIndex = UInt64(Kind.allCases.firstIndex(of: kind) ?? 0) + 1
        return kindIndex | (swapType.map { $0 + 1 } ?? 0) << 8
            | (softDirty ? 1 << 16 : 0) | (uffdWP ? 1 << 17 : 0) | (exclusive ? 1 << 18 : 0)
            | (guardRegion ? 1 << 19 : 0) | (poisoned ? 1 << 20 : 0)
    }

    public init(kind: Kind, swapType: UInt64? = nil, swapOffset: UInt64? = nil,
                softDirty: Bool = false, uffdWP: Bool = false, exclusive: Bool = false) {
        self.kind = kind
        self.swapType = swapType
        self.swapOffset = swapOffset
        self.softDirty = softDirty
        self.uffdWP = uffdWP
        self.exclusive = exclusive
    }
}

/// Which swap types name real swap devices and which the kernel reserves for
/// other entries, as one kernel's configuration lays them out. Built by the
/// caller from the dump (MAX_SWAPFILES from DWARF, the configuration from
/// symbols); what it cannot tell stays nil and decodes as `nonSwap`.
public struct SwapTypes: Sendable, Equatable {
    /// `MAX_SWAPFILES`: types below it are swap devices.
    public var maxSwapfiles: UInt64?
    /// The reserved types at and above `maxSwapfiles` that could be named.
    public var reserved: [UInt64: EntryDescription.Kind]

    public init(maxSwapfiles: UInt64? = nil, reserved: [UInt64: EntryDescription.Kind] = [:]) {
        self.maxSwapfiles = maxSwapfiles
        self.reserved = reserved
    }

    /// The kind of swap type `type`; `swap` only when `MAX_SWAPFILES` is known.
    public func kind(of type: UInt64) -> EntryDescription.Kind {
        if let max = maxSwapfiles, type < max { return .swap }
        return reserved[type] ?? .nonSwap
    }

    /// Whether every type from `maxSwapfiles` to 31 is named. The kinds are
    /// laid out upwards from MAX_SWAPFILES, so a kind the symbols missed (a
    /// renamed function, a snapshot cut before its name was asked for) would
    /// shift every name above it: fewer named than reserved means no name can
    /// be trusted. Only type 31 may stay unnamed, when no release tells a PTE
    /// marker from 5.19-6.1's swapin-error type.
    public func namesEveryReservedType(releaseKnown: Bool) -> Bool {
        guard let max = maxSwapfiles, max <= 32 else { return false }
        let unnamed = 32 - Int(max) - reserved.count
        return unnamed == 0 || (unnamed == 1 && reserved[31] == nil && !releaseKnown)
    }

    /// The reserved types in the order include/linux/swap.h (Linux 6.1)
    /// assigns them upwards from MAX_SWAPFILES: hwpoison, migration's three,
    /// the device's four, then the PTE marker and 6.0/6.1's swapin-error type.
    /// Those last two are named when both are there (two types left over).
    /// A single one left over is 5.19 to 6.1's swapin-error type (a kernel
    /// without PTE markers) or, from 6.2 ("mm: use pte markers for swap
    /// errors" made markers unconditional), the marker; it is named only
    /// when `version` tells which.
    /// `singleDeviceExclusive`: the device's three types of later kernels
    /// (write, read, exclusive; 7.2, 7.3) rather than 6.12's four.
    public static func layout(maxSwapfiles: UInt64, memoryFailure: Bool, migration: Bool,
                              devicePrivate: Bool, singleDeviceExclusive: Bool = false,
                              version: KernelVersion? = nil) -> SwapTypes {
        var reserved: [UInt64: EntryDescription.Kind] = [:]
        var next = maxSwapfiles
        if memoryFailure { reserved[next] = .hwpoison; next += 1 }
        if migration {
            for k in [EntryDescription.Kind.migrationRead, .migrationReadExclusive, .migrationWrite] {
                reserved[next] = k
                next += 1
            }
        }
        if devicePrivate {
            let kinds: [EntryDescription.Kind] = singleDeviceExclusive
                ? [.deviceWrite, .deviceRead, .deviceExclusive]
                : [.deviceWrite, .deviceRead, .deviceExclusiveWrite, .deviceExclusiveRead]
            for k in kinds {
                reserved[next] = k
                next += 1
            }
        }
        if next + 2 == 32 {
            reserved[next] = .pteMarker
            reserved[next + 1] = .swapinError
        } else if next + 1 == 32, let version {
            if version >= KernelVersion(6, 2) { reserved[next] = .pteMarker }
            else if version >= KernelVersion(5, 19) { reserved[next] = .swapinError }
        }
        return SwapTypes(maxSwapfiles: maxSwapfiles, reserved: reserved.filter { $0.key < 32 })
    }
}

extension PagingArchitecture {
    /// Architectures whose user entries are not decoded yet describe none.
    public func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription? { nil }

    public var decodesUserEntries: Bool { false }
}
