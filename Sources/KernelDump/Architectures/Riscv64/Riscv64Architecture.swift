import PageTables

/// riscv64 as the rest of kptdump sees it (`KernelArchitecture`). Its layout
/// installs the address translator; its dumps carry no CPU registers kptdump reads.
struct Riscv64Architecture: KernelArchitecture {
    var name: String { "riscv64" }
    var elfMachine: UInt16 { 243 }   // EM_RISCV
    var utsMachines: [String] { ["riscv64"] }
    var tables: [TableChoice] { [.kernel, .efi] }
    var processTableExtent: String { "its user space" }
    var wxRule: String { "W and X, in init_mm" }

    /// `va_kernel_pa_offset`: one offset for the image and the linear map as
    /// kptdump reads them (`Riscv64KernelLayout.findImage`).
    func placeImage(_ session: KernelSession) throws(DumpError) -> ImagePlacement? {
        let swapperVA = try requireSymbol(session, "swapper_pg_dir")
        let (offset, source) = try Riscv64KernelLayout.findImage(session, swapperVA: swapperVA)
        return ImagePlacement(translate: { va in va &- offset }, facts: ["va_kernel_pa_offset": offset], source: source)
    }

    /// VMCOREINFO's `NUMBER(va_kernel_pa_offset)` (6.12, 7.3), for the image
    /// (from `KERNEL_LINK_ADDR` up) before any placement: what the dump's own
    /// kallsyms is read through.
    func imagePhysical(_ va: UInt64, vmcoreinfo: VmcoreInfo) -> PhysicalAddress? {
        guard let offset = vmcoreinfo.number("va_kernel_pa_offset"), let link = vmcoreinfo.number("KERNEL_LINK_ADDR"),
              va >= link else { return nil }
        return PhysicalAddress(va &- offset)
    }

    func readLayout(_ session: KernelSession) throws(DumpError) -> any KernelLayout {
        try Riscv64KernelLayout.read(session)
    }

    var fuzzPagingForms: [FuzzPagingForm] {
        let attributes = Riscv64Paging.attributes6_1
        return [Riscv64Paging.Mode.sv39, .sv48, .sv57].map { mode in
            let paging = Riscv64Paging(mode: mode, protectionMask: attributes.mask)
            return FuzzPagingForm(paging: paging,
                                  format: TableDrivenFormatter.Style(levelNames: paging.levelNames, attributes: attributes,
                                                                     physicalColumn: { paging.physicalAddress($0) },
                                                                     printsEmptyRanges: false),
                                  frameShift: 10, frameBits: 44)
        }
    }
}
