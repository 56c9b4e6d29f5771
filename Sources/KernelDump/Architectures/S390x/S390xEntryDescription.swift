import PageTables

/// s390's user entries, from arch/s390/include/asm/pgtable.h (5.10, 6.12 and
/// 7.3 agree on PTEs but for the E bit). IBM numbers bits from the top: a swap PTE is
/// `_PAGE_INVALID | _PAGE_PROTECT` with the offset in bits 0-51 (value bits
/// 12-63), the type in 57-61 (value bits 2-6), E (bit 52, `_PAGE_LARGE`)
/// for PG_anon_exclusive since "s390/pgtable: support
/// __HAVE_ARCH_PTE_SWP_EXCLUSIVE" in 6.0, and S (bit 62, `_PAGE_SOFT_DIRTY`).
/// An empty PTE is `_PAGE_INVALID`, not 0. s390 has no uffd-wp bits.
///
/// Segment (PMD) leaves, transparent huge pages, have bits of their own,
/// which moved after 6.12 (7.3 has `_SEGMENT_ENTRY_PRESENT` at bit 63 and
/// READ/WRITE at 0x4000/0x8000, where 6.12 had READ/WRITE at bits 63/62 and
/// soft-dirty at 0x4000); which release moved them is not known here, so a
/// segment leaf reads as a present page without its soft-dirty bit.
extension S390xPaging {
    /// `_PAGE_READ`: `pte_protnone()` is present without it.
    static let pageRead: UInt64 = 0x010
    static let pageSpecial: UInt64 = 0x040
    static let pageSoftDirty: UInt64 = 0x002
    static let pageLarge: UInt64 = 0x800

    /// Nil for an unreadable release or one before 5.10, the first the
    /// layout was read from.
    public static func swapPTEFormat(release: String) -> SwapPTEFormat? {
        guard let v = KernelVersion(release: release), v >= KernelVersion(5, 10) else { return nil }
        return SwapPTEFormat(name: "s390x, Linux 5.10 and later", presentBits: pagePresent, validBit: pageRead,
                             special: pageSpecial, softDirty: pageSoftDirty, typeShift: 2, offsetShift: 12,
                             offsetBits: 52, swapExclusive: v >= KernelVersion(6, 0) ? pageLarge : 0,
                             swapSoftDirty: pageSoftDirty, noneValue: pageInvalid)
    }

    public var decodesUserEntries: Bool { swapPTEFormat != nil }

    public func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription? {
        guard let format = swapPTEFormat else { return nil }
        if level == .pte { return format.describe(entry, swapTypes: swapTypes) }
        return isLeaf(entry, at: level) ? EntryDescription(kind: .normal) : nil
    }
}
