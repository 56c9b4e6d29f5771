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
