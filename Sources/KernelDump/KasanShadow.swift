import PageTables

extension KernelSession {
    /// The KASAN early-shadow tables (`kasan_early_shadow_{p4d,pud,pmd,pte}`),
    /// nil for a kernel without KASAN (generic or software tags). mm/ptdump.c
    /// is the same on every architecture: an upper entry pointing at one of
    /// them is noted once, at PTE level, with `kasan_early_shadow_pte[0]`,
    /// instead of being walked.
    func kasanEarlyShadow() throws(DumpError) -> KasanEarlyShadow? {
        guard let pteVA = symbols["kasan_early_shadow_pte"], let ptePA = kernelImagePhysical(pteVA) else { return nil }
        var tables: [TableLevel: PhysicalAddress] = [.pte: ptePA]
        for (level, name) in [(TableLevel.p4d, "kasan_early_shadow_p4d"), (.pud, "kasan_early_shadow_pud"),
                              (.pmd, "kasan_early_shadow_pmd")] {
            if let va = symbols[name], let pa = kernelImagePhysical(va) { tables[level] = pa }
        }
        let first = try readKernelImage(pteVA, count: 8, name: "kasan_early_shadow_pte")
        return KasanEarlyShadow(tables: tables, pteValue: decodeInteger(first, at: 0, size: 8, order: byteOrder) ?? 0)
    }

    /// What `info` says of KASAN: "no" only where a complete symbol table
    /// (kallsyms, a System.map, a vmlinux, a snapshot of one) would have
    /// named the early shadow; VMCOREINFO alone (5.10's, with no kallsyms)
    /// cannot tell.
    func kasanDescription(_ kasan: KasanEarlyShadow?) -> String {
        if kasan != nil { return "yes (early-shadow tables noted once)" }
        return symbols.tables.contains(where: \.isComplete)
            ? "no" : "not known (no symbol table to name kasan_early_shadow_pte: give --vmlinux or --system-map)"
    }
}
