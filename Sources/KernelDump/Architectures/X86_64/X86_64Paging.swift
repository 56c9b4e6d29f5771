import PageTables

/// x86-64 paging, 4-level and 5-level, as arch/x86/include/asm/pgtable*.h
/// defines its predicates (checked against Linux 6.1).
public struct X86_64Paging: PagingArchitecture {
    // Bits from arch/x86/include/asm/pgtable_types.h.
    public static let present: UInt64 = 1 << 0
    public static let rw: UInt64 = 1 << 1
    public static let user: UInt64 = 1 << 2
    public static let pwt: UInt64 = 1 << 3
    public static let pcd: UInt64 = 1 << 4
    public static let accessed: UInt64 = 1 << 5
    public static let dirty: UInt64 = 1 << 6
    public static let pse: UInt64 = 1 << 7
    public static let pat: UInt64 = 1 << 7
    public static let global: UInt64 = 1 << 8
    public static let protNone: UInt64 = 1 << 8
    public static let patLarge: UInt64 = 1 << 12
    public static let nx: UInt64 = 1 << 63
    /// `_PAGE_KNL_ERRATUM_MASK`: stray A/D bits do not make an entry non-none.
    static let erratumMask: UInt64 = accessed | dirty

    public let geometry: PagingGeometry
    public let fiveLevel: Bool
    /// `__PHYSICAL_MASK`: 52 bits, less the SME encryption bit when SME is on.
    public let physicalMask: UInt64
    /// `_PAGE_ENC`, part of `_KERNPG_TABLE`.
    public let encryptionMask: UInt64
    /// `IS_ENABLED(CONFIG_PAGE_TABLE_ISOLATION)`: NX is ignored by pgd_bad/p4d_bad.
    public let ptiConfigured: Bool

    /// `PTE_PFN_MASK`, `PHYSICAL_PAGE_MASK`.
    public let pfnMask: UInt64
    /// `PTE_FLAGS_MASK`.
    public let flagsMask: UInt64
    /// Whether swap PTEs have the L1TF layout (type in 59-63, offset inverted
    /// in 9-58) that `describeUserEntry` decodes: true from 4.18 and on
    /// kernels with the L1TF backport; older layouts are not decoded.
    public var swapLayoutKnown = true
    /// `_PAGE_DEVMAP` of this kernel (`devmapBit(release:)`); 6.1's by default.
    public var devmap: UInt64 = 1 << 58

    public init(fiveLevel: Bool, encryptionMask: UInt64 = 0, ptiConfigured: Bool = true) {
        self.fiveLevel = fiveLevel
        self.encryptionMask = encryptionMask
        self.physicalMask = ((1 << 52) - 1) & ~encryptionMask
        self.ptiConfigured = ptiConfigured
        self.pfnMask = physicalMask & ~UInt64(0xfff)
        self.flagsMask = ~pfnMask
        // With 4-level paging the kernel folds P4D at run time: pgdir_shift is 39
        // and ptrs_per_p4d is 1.
        self.geometry = PagingGeometry(levels: [
            LevelGeometry(shift: fiveLevel ? 48 : 39, entries: 512),
            LevelGeometry(shift: 39, entries: fiveLevel ? 512 : 1),
            LevelGeometry(shift: 30, entries: 512),
            LevelGeometry(shift: 21, entries: 512),
            LevelGeometry(shift: 12, entries: 512),
        ])
    }

    /// `_KERNPG_TABLE`.
    var kernelTable: UInt64 { Self.present | Self.rw | Self.accessed | Self.dirty | encryptionMask }

    public func isNone(_ entry: UInt64, at level: TableLevel) -> Bool {
        // pgd_none() has no A/D erratum workaround; the lower levels do.
        level == .pgd ? entry == 0 : entry & ~Self.erratumMask == 0
    }

    public func isBad(_ entry: UInt64, at level: TableLevel) -> Bool {
        let flags = entry & flagsMask
        var ignore = Self.user
        if ptiConfigured { ignore |= Self.nx }
        switch level {
        case .pgd: return flags & ~ignore != kernelTable
        case .p4d: return flags & ~(ignore | kernelTable) != 0
        default: return false
        }
    }

    public func isLeaf(_ entry: UInt64, at level: TableLevel) -> Bool {
        switch level {
        case .pgd, .p4d: return false
        case .pud: return entry & (Self.pse | Self.present) == Self.pse | Self.present
        case .pmd: return entry & Self.pse != 0
        case .pte: return entry & Self.present != 0
        }
    }

    public func isPresent(_ entry: UInt64, at level: TableLevel) -> Bool {
        switch level {
        case .pmd: return entry & (Self.present | Self.protNone | Self.pse) != 0
        default: return entry & Self.present != 0
        }
    }

    public func tableAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        PhysicalAddress(entry & pfnMask)
    }

    public func leafAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        let span = geometry.entrySpan(level)
        // `protnone_mask()`: a non-present entry (PROT_NONE) keeps its PFN
        // inverted, against L1TF speculation.
        let value = entry != 0 && entry & Self.present == 0 ? ~entry : entry
        return PhysicalAddress(value & pfnMask & ~(span &- 1))
    }

    /// `pte_present()`: the present bit, or PROT_NONE.
    public func isPresentToKernel(_ entry: UInt64) -> Bool { entry & (Self.present | Self.protNone) != 0 }

    public func protection(_ entry: UInt64) -> UInt64 { entry & flagsMask }

    public var tracksEffectiveProtection: Bool { true }

    public func effectiveProtection(higher: UInt64?, own: UInt64) -> UInt64 {
        guard let higher else { return own }
        return (higher & own & (Self.user | Self.rw)) | ((higher | own) & Self.nx)
    }

    public func isWritableAndExecutable(protection: UInt64, effective: UInt64) -> Bool {
        effective & Self.rw != 0 && effective & Self.nx == 0
    }

    public func access(protection: UInt64, effective: UInt64) -> RangeAccess {
        RangeAccess(present: protection & Self.present != 0, writable: effective & Self.rw != 0,
                    executable: effective & Self.nx == 0, user: effective & Self.user != 0)
    }

    /// arch/x86/mm/dump_pagetables.c, `ptdump_walk_pgd_level_core()`.
    public func wxVerdict(writableExecutablePages: UInt64, nonUXNPages: UInt64) -> String {
        writableExecutablePages == 0
            ? "x86/mm: Checked W+X mappings: passed, no W+X pages found."
            : "x86/mm: Checked W+X mappings: FAILED, \(writableExecutablePages) W+X pages found."
    }
}
