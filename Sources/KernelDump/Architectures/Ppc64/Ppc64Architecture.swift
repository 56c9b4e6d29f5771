import PageTables

/// 64-bit Book3S PowerPC (radix and hash MMUs, either byte order) as the rest
/// of kptdump sees it. The kernel's addresses are `PAGE_OFFSET` plus the
/// physical one, image included (`__pa()`), so no placement is searched for.
struct Ppc64Architecture: KernelArchitecture {
    var name: String { "ppc64" }
    var elfMachine: UInt16 { 21 }   // EM_PPC64
    var utsMachines: [String] { ["ppc64le", "ppc64"] }
    var tables: [TableChoice] { [.kernel] }
    var processTableExtent: String { "its user space (quadrant 0), either MMU" }
    var wxRule: String { "_PAGE_WRITE and _PAGE_EXEC, in init_mm" }

    /// The linear map's reach: `MAX_PHYSMEM_BITS` from VMCOREINFO, else 46
    /// bits, the smallest linear map of a Book3S 64 kernel (hash, 4K pages).
    static func linear(_ va: UInt64, physicalBits: UInt64?) -> UInt64? {
        let bits = min(physicalBits ?? 46, 60)
        guard va >= Ppc64KernelLayout.pageOffset, va - Ppc64KernelLayout.pageOffset < 1 << bits else { return nil }
        return va - Ppc64KernelLayout.pageOffset
    }

    func imagePhysical(_ va: UInt64, vmcoreinfo: VmcoreInfo) -> PhysicalAddress? {
        Self.linear(va, physicalBits: vmcoreinfo.number("MAX_PHYSMEM_BITS")).map { PhysicalAddress($0) }
    }

    func placeImage(_ session: KernelSession) throws(DumpError) -> ImagePlacement? {
        let bits = session.vmcoreinfo?.number("MAX_PHYSMEM_BITS")
        return ImagePlacement(translate: { va in Self.linear(va, physicalBits: bits) },
                              source: "PAGE_OFFSET \(hex16(Ppc64KernelLayout.pageOffset)) (__pa())")
    }

    func readLayout(_ session: KernelSession) throws(DumpError) -> any KernelLayout {
        try Ppc64KernelLayout.read(session)
    }

    var fuzzPagingForms: [FuzzPagingForm] {
        [(Ppc64Paging.MMU.radix, 16, (13, 9, 9, 5)), (.hash, 16, (8, 10, 10, 8)), (.radix, 12, (13, 9, 9, 9))].map { mmu, shift, bits in
            let flags = Ppc64ListingFormat.builtInFlags(pageShift: shift)
            let paging = Ppc64Paging(mmu: mmu, pageShift: shift, indexBits: bits, protectionMask: flags.reduce(0) { $0 | $1.mask })
            return FuzzPagingForm(paging: paging,
                                  format: Ppc64ListingFormat(flags: Array(repeating: flags, count: 5), rpnMask: paging.rpnMask),
                                  frameShift: UInt64(shift), frameBits: UInt64(53 - shift))
        }
    }
}
