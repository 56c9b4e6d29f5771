import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

/// mm/ptdump.c: an entry pointing at a shared KASAN early-shadow table is noted
/// once at PTE level with kasan_early_shadow_pte[0], without effective_prot and
/// without descending.
@Suite struct KasanShortcutTests {
    @Test func entriesPointingAtTheEarlyShadowAreNotedAtPTELevel() {
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x8000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 273 * 8, value: 0x2063)          // pgd[273] -> PUD 0x2000
        m.write(0x2000 + 0 * 8, value: 0x8063)            // pud[0] -> early-shadow PMD
        m.write(0x2000 + 1 * 8, value: 0x8063)            // pud[1] -> early-shadow PMD
        let shadowPTE: UInt64 = 0x9000 | 0x161 | 1 << 63  // ro GLB NX
        let kasan = KasanEarlyShadow(tables: [.pmd: PhysicalAddress(0x8000), .pte: PhysicalAddress(0xa000)],
                                     pteValue: shadowPTE)
        let arch = X86_64Paging(fiveLevel: false)
        let markers = MarkerTable([AddressMarker(start: 0, name: "User Space"),
                                   AddressMarker(start: 1 << 63, name: "Kernel Space")])
        var text = ""
        var f = X86PtdumpFormatter()
        let merger = RangeMerger(architecture: arch, markers: markers) { text += f.format($0) }
        let walker = PageWalker(architecture: arch, memory: m, kasan: kasan)
        walker.walk(root: PhysicalAddress(0x1000),
                    ranges: [WalkRange(0, 1 << 47), WalkRange(0xffff_8800_0000_0000, .max)], into: merger)
        // Two 1G PUD entries become one 2G range at level pte. The early-shadow
        // PMD page is empty: had the walk entered it, it would print pmd holes,
        // and it would have read three tables instead of two.
        #expect(text.contains("0xffff888000000000-0xffff888080000000           2G     ro                 GLB NX pte\n"))
        #expect(walker.statistics.tablesRead == 2)
    }
}
