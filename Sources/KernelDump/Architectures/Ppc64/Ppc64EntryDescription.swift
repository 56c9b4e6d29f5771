import PageTables

/// ppc64's (Book3S) user entries, from arch/powerpc/include/asm/book3s/64/pgtable.h,
/// the same under radix and hash: a swap entry is the type in bits 0-4 and the
/// offset at PAGE_SHIFT up to `_PAGE_PA_MAX` (`PTE_RPN_MASK`), with `_PAGE_PTE`
/// set and `_PAGE_PRESENT` clear. Read in 5.10, 6.12 and 7.3: 5.10 keeps the
/// swap soft-dirty bit just above the type (bit 5); 6.12 and 7.3 keep it in
/// `_PAGE_SOFT_DIRTY` and use bit 5 (`_PAGE_NON_IDEMPOTENT`) for
/// `_PAGE_SWP_EXCLUSIVE`. The change is taken to be "powerpc/pgtable: support
/// __HAVE_ARCH_PTE_SWP_EXCLUSIVE for book3s" in 6.0; releases between 5.10 and
/// 6.12 were not read. `_PAGE_DEVMAP` (`_RPAGE_SW1`, gone by 7.3) is not read:
/// a ZONE_DEVICE page reads as normal. powerpc has no uffd-wp bits.
extension Ppc64Paging {
    /// `pte_present()`: `_PAGE_PRESENT` or `_PAGE_INVALID`; `pte_protnone()`:
    /// present with none of R, W, X. Nil for an unreadable release or one
    /// before 5.10, the first the layout was read from.
    public static func swapPTEFormat(release: String, pageShift: Int) -> SwapPTEFormat? {
        guard let v = KernelVersion(release: release), v >= KernelVersion(5, 10) else { return nil }
        let exclusiveBit = v >= KernelVersion(6, 0)
        return SwapPTEFormat(name: exclusiveBit ? "ppc64 Book3S, Linux 6.0 and later" : "ppc64 Book3S, Linux 5.10 to 5.19",
                             presentBits: present | invalid, validBit: read | write | exec, special: special,
                             softDirty: softDirty, typeShift: 0, offsetShift: pageShift,
                             offsetBits: Int(physicalBits) - pageShift,
                             swapExclusive: exclusiveBit ? nonIdempotent : 0,
                             swapSoftDirty: exclusiveBit ? softDirty : 1 << 5)
    }

    public var decodesUserEntries: Bool { swapPTEFormat != nil }

    /// PMD leaves (THP) keep the PTE's bits (`pmd_pte()` is a cast).
    public func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription? {
        swapPTEFormat?.describe(entry, swapTypes: swapTypes)
    }
}
