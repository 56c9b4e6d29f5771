import PageTables

/// x86-64's user entries, from arch/x86/include/asm/pgtable_types.h and
/// pgtable_64.h (Linux 6.1).
extension X86_64Paging {
    /// `_PAGE_SPECIAL` (SOFTW1), `_PAGE_UFFD_WP` (SOFTW2), `_PAGE_SOFT_DIRTY`
    /// (SOFTW3). `_PAGE_DEVMAP` (SOFTW4) moved: see `devmapBit(release:)`.
    static let special: UInt64 = 1 << 9
    static let uffdWP: UInt64 = 1 << 10
    static let softDirty: UInt64 = 1 << 11

    /// `_PAGE_DEVMAP` of `release`: none before 4.5 (which introduced it as
    /// SOFTW4, bit 58); bit 57 from 6.6, when user shadow stacks moved SOFTW4
    /// to 57 and gave 58 to `_PAGE_SAVED_DIRTY`, which every write-protected
    /// dirty page carries ("x86/mm: Introduce _PAGE_SAVED_DIRTY"). Zero (no
    /// devmap kind) for an unreadable release. The devmap bit was later
    /// removed altogether ("mm: remove devmap related functions and page table
    /// bits"); a release without it simply never has the bit set.
    public static func devmapBit(release: String?) -> UInt64 {
        guard let release, let v = KernelVersion(release: release), v >= KernelVersion(4, 5) else { return 0 }
        return v >= KernelVersion(6, 6) ? 1 << 57 : 1 << 58
    }
    /// In a swap entry the low bits carry `_PAGE_SWP_SOFT_DIRTY` (the RW bit),
    /// `_PAGE_SWP_UFFD_WP` (USER) and `_PAGE_SWP_EXCLUSIVE` (PWT).
    static let swapSoftDirty: UInt64 = 1 << 1
    static let swapUffdWP: UInt64 = 1 << 2
    static let swapExclusive: UInt64 = 1 << 3

    public var decodesUserEntries: Bool { swapLayoutKnown }

    public func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription? {
        guard entry != 0, swapLayoutKnown else { return nil }
        // pte_present(): P, or PROTNONE (the G bit, which user pages never set).
        if entry & (Self.present | Self.protNone) != 0 {
            var kind: EntryDescription.Kind = .normal
            if entry & Self.present == 0 { kind = .protNone }
            else if entry & devmap != 0 { kind = .devmap }
            else if entry & Self.special != 0 { kind = .special }
            return EntryDescription(kind: kind, softDirty: entry & Self.softDirty != 0,
                                    uffdWP: entry & Self.uffdWP != 0)
        }
        // `__swp_type`: bits 59-63; `__swp_offset`: bits 9-58, stored inverted.
        let type = entry >> 59
        let offset = (~entry << 5) >> 14
        let kind = swapTypes.kind(of: type)
        // A marker's uffd-wp is its PTE_MARKER_UFFD_WP bit (BIT(0)), as pagemap reads it.
        let markerWP = kind == .pteMarker && offset & 1 != 0
        return EntryDescription(kind: kind, swapType: type, swapOffset: offset,
                                softDirty: entry & Self.swapSoftDirty != 0,
                                uffdWP: entry & Self.swapUffdWP != 0 || markerWP,
                                exclusive: entry & Self.swapExclusive != 0)
    }
}
