import PageTables

/// arm64 as the rest of kptdump sees it (`KernelArchitecture`). Its CPU
/// registers come from the crash context, not from notes, and its layout
/// installs the address translator.
struct Arm64Architecture: KernelArchitecture {
    var name: String { "arm64" }
    var elfMachine: UInt16 { 183 }   // EM_AARCH64
    var utsMachines: [String] { ["aarch64", "arm64"] }
    var tables: [TableChoice] { [.kernel, .efi] }
    var processTableExtent: String { "its user space (TTBR0)" }
    var wxRule: String { "writable and not PXN, plus kernel pages without UXN, in init_mm" }

    /// arch/arm64/kernel/crash_core.c writes `kimage_voffset`, the image's
    /// virtual-minus-physical offset.
    func imagePhysical(_ va: UInt64, vmcoreinfo: VmcoreInfo) -> PhysicalAddress? {
        vmcoreinfo.number("kimage_voffset").map { PhysicalAddress(va &- $0) }
    }

    /// `__lm_to_phys()` for the linear map, `__kimg_to_phys()` for the image,
    /// from VMCOREINFO alone (Linux 6.1: PAGE_OFFSET = -(1 << VA_BITS),
    /// PAGE_END = -(1 << (VA_BITS_MIN - 1))). A VMCOREINFO without these
    /// numbers places nothing; the layout then says which one is missing.
    func placeImage(_ session: KernelSession) throws(DumpError) -> ImagePlacement? {
        guard let info = session.vmcoreinfo, let vaBits = info.number("VA_BITS"), (36...52).contains(vaBits),
              let kimageVoffset = info.number("kimage_voffset"), let physOffset = info.number("PHYS_OFFSET") else { return nil }
        guard let pageSize = info.pageSize, [4096, 16384, 65536].contains(pageSize) else { return nil }
        let (pageOffset, pageEnd) = Arm64Paging.linearMap(vaBits: Int(vaBits), pageShift: pageSize.trailingZeroBitCount)
        return ImagePlacement(translate: { va in
            if va >= pageOffset && va < pageEnd { return (va & ~pageOffset) &+ physOffset }
            return va &- kimageVoffset
        }, source: "VMCOREINFO: kimage_voffset, PHYS_OFFSET, VA_BITS")
    }

    func readLayout(_ session: KernelSession) throws(DumpError) -> any KernelLayout {
        try Arm64KernelLayout.read(session)
    }

    var fuzzPagingForms: [FuzzPagingForm] {
        let mask = Arm64Paging.attributes6_1.mask
        let forms = [Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: mask),
                     Arm64Paging(pageShift: 12, vaBits: 39, protectionMask: mask),
                     Arm64Paging(pageShift: 14, vaBits: 47, protectionMask: mask),
                     Arm64Paging(pageShift: 16, vaBits: 42, protectionMask: mask),
                     Arm64Paging(pageShift: 16, vaBits: 52, lpa2: false, protectionMask: mask)]
        return forms.map {
            FuzzPagingForm(paging: $0, format: TableDrivenFormatter.Style(levelNames: $0.levelNames, attributes: Arm64Paging.attributes6_1,
                                                                          printsEmptyRanges: true),
                           frameShift: 12, frameBits: 36)
        }
    }
}
