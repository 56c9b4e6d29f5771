/// riscv64's user entries, from arch/riscv/include/asm/pgtable.h and
/// pgtable-bits.h. 6.3 took bit 6 for PG_anon_exclusive and moved the swap
/// type to bits 7-11 and the offset to bit 12 up ("riscv/mm: support
/// __HAVE_ARCH_PTE_SWP_EXCLUSIVE"). Later releases added bits that are zero
/// on earlier ones, so they are read from 6.3 on: `_PAGE_DEVMAP` (RSW bit
/// 9), soft-dirty (bit 59; bit 3 in swap entries) and uffd-wp (bit 60 with
/// Svrsw60t59b; bit 4 in swap entries).
extension Riscv64Paging {
    /// `_PAGE_SPECIAL` (RSW bit 8).
    static let softwareSpecial: UInt64 = 1 << 8

    /// The layout of `release` (OSRELEASE), or nil for an unreadable release or
    /// one before 4.15, the first with riscv64 paging.
    public static func swapPTEFormat(release: String) -> SwapPTEFormat? {
        guard let v = KernelVersion(release: release), v >= KernelVersion(4, 15) else { return nil }
        // `pte_present()`: V or _PAGE_PROT_NONE (the G bit, which user pages never set).
        if v < KernelVersion(6, 3) {
            // bits 6-10 swap type, 11 and up offset (checked on 6.1).
            return SwapPTEFormat(name: "riscv64, Linux 4.15 to 6.2", presentBits: present | protNone, validBit: present,
                                 special: softwareSpecial, typeShift: 6, offsetShift: 11, offsetBits: 53)
        }
        // bit 3 soft-dirty, 4 uffd-wp, 6 exclusive, 7-11 swap type, 12 and up offset.
        return SwapPTEFormat(name: "riscv64, Linux 6.3 and later", presentBits: present | protNone, validBit: present,
                             special: softwareSpecial, devmap: 1 << 9, softDirty: 1 << 59, uffdWP: 1 << 60,
                             typeShift: 7, offsetShift: 12, offsetBits: 52,
                             swapExclusive: 1 << 6, swapSoftDirty: 1 << 3, swapUffdWP: 1 << 4)
    }

    public var decodesUserEntries: Bool { swapPTEFormat != nil }

    public func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription? {
        swapPTEFormat?.describe(entry, swapTypes: swapTypes)
    }
}
