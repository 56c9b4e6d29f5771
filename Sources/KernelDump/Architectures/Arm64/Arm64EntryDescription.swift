import PageTables

/// arm64's user entries, from arch/arm64/include/asm/pgtable.h and
/// pgtable-prot.h. The swap layout changed twice since the PTE_FILE bit left
/// (4.0): 6.0 took bit 2 for PG_anon_exclusive and narrowed the type to
/// bits 3-7 ("arm64/pgtable: support __HAVE_ARCH_PTE_SWP_EXCLUSIVE"); 6.10
/// replaced PTE_PROT_NONE (bit 58) with PTE_PRESENT_INVALID overlaying nG
/// (bit 11), gave bit 58 to uffd-wp and moved the type to bits 6-10 and the
/// offset to bits 12-61 (Ryan Roberts' uffd-wp series).
extension Arm64Paging {
    /// PTE_SPECIAL, PTE_DEVMAP (5.7+; unused before, from 4.3 when PTE_WRITE
    /// moved to DBM), PTE_PROT_NONE (before 6.10), PTE_UFFD_WP (6.10+).
    static let softwareSpecial: UInt64 = 1 << 56
    static let softwareDevmap: UInt64 = 1 << 57
    static let softwareBit58: UInt64 = 1 << 58

    /// The layout of `release` (OSRELEASE), or nil for releases before 4.3,
    /// where bit 57 was PTE_WRITE, or an unreadable release.
    public static func swapPTEFormat(release: String) -> SwapPTEFormat? {
        guard let v = KernelVersion(release: release), v >= KernelVersion(4, 3) else { return nil }
        if v < KernelVersion(6, 0) {
            // bits 2-7 swap type, 8-57 offset, 58 PTE_PROT_NONE.
            return SwapPTEFormat(name: "arm64, Linux 4.3 to 5.19", presentBits: valid | softwareBit58, validBit: valid,
                                 special: softwareSpecial, devmap: softwareDevmap,
                                 typeShift: 2, typeBits: 6, offsetShift: 8, offsetBits: 50)
        }
        if v < KernelVersion(6, 10) {
            // bit 2 exclusive, 3-7 swap type, 8-57 offset, 58 PTE_PROT_NONE (checked on 6.1).
            return SwapPTEFormat(name: "arm64, Linux 6.0 to 6.9", presentBits: valid | softwareBit58, validBit: valid,
                                 special: softwareSpecial, devmap: softwareDevmap,
                                 typeShift: 3, offsetShift: 8, offsetBits: 50, swapExclusive: 1 << 2)
        }
        // bit 2 exclusive, 3 uffd-wp, 6-10 swap type, 11 PTE_PRESENT_INVALID
        // (zero in swap entries, set with !PTE_VALID on PROT_NONE), 12-61 offset.
        return SwapPTEFormat(name: "arm64, Linux 6.10 and later", presentBits: valid | notGlobal, validBit: valid,
                             special: softwareSpecial, devmap: softwareDevmap, uffdWP: softwareBit58,
                             typeShift: 6, offsetShift: 12, offsetBits: 50,
                             swapExclusive: 1 << 2, swapUffdWP: 1 << 3)
    }

    public var decodesUserEntries: Bool { swapPTEFormat != nil }

    public func describeUserEntry(_ entry: UInt64, at level: TableLevel, swapTypes: SwapTypes) -> EntryDescription? {
        swapPTEFormat?.describe(entry, swapTypes: swapTypes)
    }
}
