import PageTables

/// riscv64's user entries, from arch/riscv/include/asm/pgtable.h and
/// pgtable-bits.h. 6.3 took bit 6 for PG_anon_exclusive and moved the swap
/// type to bits 7-11 and the offset to bit 12 up ("riscv/mm: support
/// __HAVE_ARCH_PTE_SWP_EXCLUSIVE"). `_PAGE_DEVMAP` (RSW bit 9) came later
/// but is zero before, so it is read from 6.3 on (6.12's pgtable-bits.h has
/// it). Soft-dirty and uffd-wp are not read: 6.12 has none; 7.3 has them
/// (bits 59 and 60, in swap entries bits 3 and 4) only on a CPU with the
/// Svrsw60t59b extension (`riscv_has_extension_unlikely`, decided at boot,
/// not in the tables), and on T-HEAD cores bits 59-63 are memory types set
/// on every normal page. QEMU 7.2 has no such CPU: the 7.3 capture
/// (riscv64/7.3-sv57-swap) has them zero and agrees with pagemap; which
/// release added them is not known here.
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
        // bit 6 exclusive, 7-11 swap type, 12 and up offset (checked on 6.12).
        return SwapPTEFormat(name: "riscv64, Linux 6.3 and later", presentBits: present | protNone, validBit: present,
                             special: softwareSpecial, devmap: 1 << 9,
                             typeShift: 7, offsetShift: 12, offsetBits: 52,
                             swapExclusive: 1 << 6)
    }

    public var decodesUserEntries: Bool { swapPTEFormat != nil }

    public func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription? {
        swapPTEFormat?.describe(entry, swapTypes: swapTypes)
    }
}
