import PageTables

/// 64-bit Book3S PowerPC paging (radix, and the hash MMU's Linux tables) as
/// Linux 6.12 describes it in arch/powerpc/include/asm/book3s/64/pgtable.h,
/// radix.h and hash.h.
///
/// Both MMUs walk the same four-level Linux tree (P4D folded,
/// asm-generic/pgtable-nop4d.h) of big-endian entries (`__be64` whatever the
/// kernel's own byte order, because the radix MMU reads them so). The index
/// widths are the kernel's run-time variables (`__pgd_index_size` ...), which
/// radix and hash set differently, so the geometry comes from the dump.
public struct Ppc64Paging: PagingArchitecture {
    /// Which MMU the kernel runs: radix walks these tables in hardware; under
    /// hash they hold what the kernel inserts into the hashed page table.
    public enum MMU: String, Sendable { case radix, hash }

    // book3s/64/pgtable.h (values as `pte_val()` returns them, CPU order).
    public static let exec: UInt64 = 0x1
    public static let write: UInt64 = 0x2
    public static let read: UInt64 = 0x4
    public static let privileged: UInt64 = 0x8
    public static let nonIdempotent: UInt64 = 0x20
    public static let tolerant: UInt64 = 0x30
    public static let dirty: UInt64 = 0x80
    public static let accessed: UInt64 = 0x100
    /// `_PAGE_SPECIAL` (`_RPAGE_SW2`).
    public static let special: UInt64 = 0x400
    /// `_PAGE_SOFT_DIRTY` (`_RPAGE_SW3`), also in swap entries.
    public static let softDirty: UInt64 = 0x200
    /// `_PAGE_INVALID` (`_RPAGE_SW0`): present to the kernel, invalid to the MMU.
    public static let invalid: UInt64 = 0x2000_0000_0000_0000
    /// `_PAGE_PTE`: the entry maps memory (a leaf at PUD/PMD).
    public static let pte: UInt64 = 0x4000_0000_0000_0000
    public static let present: UInt64 = 0x8000_0000_0000_0000
    /// `PMD_MASKED_BITS` = `PUD_MASKED_BITS` = `P4D_MASKED_BITS`: what is not
    /// the next table's physical address in an upper entry.
    static let maskedBits: UInt64 = 0xc000_0000_0000_00ff
    /// `RADIX_P4D_BAD_BITS`; hash's `p4d_bad()` is `p4d_val == 0`, which the
    /// none check before it already took.
    static let radixBadBits: UInt64 = 0x6000_0000_0000_00e0
    /// `_PAGE_PA_MAX`: `PTE_RPN_MASK` is these low bits above the page offset.
    static let physicalBits: UInt64 = 53

    public let mmu: MMU
    public let geometry: PagingGeometry
    /// `pg_level[].mask`: the bits `note_page()` compares (its flags' masks).
    public let protectionMask: UInt64
    /// `PTE_RPN_MASK`.
    public let rpnMask: UInt64
    /// How this release encodes user entries (`swapPTEFormat(release:pageShift:)`);
    /// nil leaves them undecoded.
    public var swapPTEFormat: SwapPTEFormat?

    /// `indexBits`: `__pgd_index_size`, `__pud_index_size`, `__pmd_index_size`,
    /// `__pte_index_size` as the kernel set them.
    public init(mmu: MMU, pageShift: Int, indexBits: (pgd: Int, pud: Int, pmd: Int, pte: Int), protectionMask: UInt64) {
        self.mmu = mmu
        self.protectionMask = protectionMask
        let pmdShift = pageShift + indexBits.pte
        let pudShift = pmdShift + indexBits.pmd
        let pgdShift = pudShift + indexBits.pud
        geometry = PagingGeometry(levels: [
            LevelGeometry(shift: pgdShift, entries: 1 << indexBits.pgd),
            LevelGeometry(shift: pgdShift, entries: 1),
            LevelGeometry(shift: pudShift, entries: 1 << indexBits.pud),
            LevelGeometry(shift: pmdShift, entries: 1 << indexBits.pmd),
            LevelGeometry(shift: pageShift, entries: 1 << indexBits.pte),
        ], byteOrder: .big, pageShift: pageShift)
        rpnMask = ((1 << Self.physicalBits) - 1) & ~((1 << UInt64(pageShift)) - 1)
    }

    /// The top of what the tables index: `PGDIR_SIZE * PTRS_PER_PGD`.
    public var spanBits: Int { geometry[.pgd].shift + geometry[.pgd].entries.trailingZeroBitCount }

    public func isNone(_ entry: UInt64, at level: TableLevel) -> Bool { entry == 0 }

    /// `p4d_bad()` (the PGD's entries, P4D folded).
    public func isBad(_ entry: UInt64, at level: TableLevel) -> Bool {
        mmu == .radix && entry & Self.radixBadBits != 0
    }

    /// `pud_leaf()` / `pmd_leaf()`: `_PAGE_PTE`. 6.12 has no `p4d_leaf()`.
    public func isLeaf(_ entry: UInt64, at level: TableLevel) -> Bool {
        (level == .pud || level == .pmd || level == .pte) && entry & Self.pte != 0
    }

    /// `pud_present()` is `_PAGE_PRESENT`; `pmd_present()` and `pte_present()`
    /// also count `_PAGE_INVALID` (an entry being changed, or PROT_NONE).
    public func isPresent(_ entry: UInt64, at level: TableLevel) -> Bool {
        switch level {
        case .pmd, .pte: return entry & (Self.present | Self.invalid) != 0
        default: return entry & Self.present != 0
        }
    }

    /// Valid and granting some access: PROT_NONE keeps `_PAGE_PRESENT` (with
    /// `_PAGE_PRIVILEGED` and none of R, W, X), which no access gets through.
    public func mapsInHardware(_ entry: UInt64) -> Bool {
        entry & Self.present != 0 && entry & (Self.read | Self.write | Self.exec) != 0
    }

    /// Upper entries hold the next table's physical address (`__pgtable_ptr_val()`).
    public func tableAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        PhysicalAddress(entry & ~Self.maskedBits)
    }

    /// `pte_val() & PTE_RPN_MASK`, as the kernel's ptdump prints it.
    public func leafAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        PhysicalAddress(entry & rpnMask)
    }

    public func protection(_ entry: UInt64) -> UInt64 { entry & protectionMask }

    public var tracksEffectiveProtection: Bool { false }

    public func effectiveProtection(higher: UInt64?, own: UInt64) -> UInt64 { own }

    /// `note_prot_wx()`: `pte_write() && pte_exec()` of the range's flags.
    public func isWritableAndExecutable(protection: UInt64, effective: UInt64) -> Bool {
        protection & (Self.write | Self.exec) == Self.write | Self.exec
    }

    public func access(protection: UInt64, effective: UInt64) -> RangeAccess {
        RangeAccess(present: protection & (Self.present | Self.invalid) != 0, writable: protection & Self.write != 0,
                    executable: protection & Self.exec != 0, user: protection & Self.privileged == 0)
    }

    /// arch/powerpc/mm/ptdump/ptdump.c, `ptdump_check_wx()`.
    public func wxVerdict(writableExecutablePages: UInt64, nonUXNPages: UInt64) -> String {
        writableExecutablePages == 0
            ? "Checked W+X mappings: passed, no W+X pages found"
            : "Checked W+X mappings: FAILED, \(writableExecutablePages) W+X pages found"
    }

}
