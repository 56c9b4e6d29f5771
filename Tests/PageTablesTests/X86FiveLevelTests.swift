import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

@Suite struct X86FiveLevelTests {
    @Test func holesUnderARealP4DAreLabelledP4D() {
        let m = SparseMemory()
        m.addPage(0x1000)
        m.addPage(0x2000)
        m.write(0x1000, value: 0x2067)       // pgd[0] -> an empty P4D table
        let arch = X86_64Paging(fiveLevel: true)
        let markers = MarkerTable([
            AddressMarker(start: 0, name: "User Space"),
            AddressMarker(start: 1 << 63, name: "Kernel Space"),
        ])
        var text = ""
        var f = X86PtdumpFormatter()
        let merger = RangeMerger(architecture: arch, markers: markers) { text += f.format($0) }
        PageWalker(architecture: arch, memory: m).walk(
            root: PhysicalAddress(0x1000),
            ranges: [WalkRange(0, 1 << 56), WalkRange(0xff10_0000_0000_0000, .max)], into: merger)
        #expect(text == """
            ---[ User Space ]---
            0x0000000000000000-0x0001000000000000         256T                               p4d
            0x0001000000000000-0xff10000000000000    16715520T                               pgd
            ---[ Kernel Space ]---
            0xff10000000000000-0x0000000000000000          60P                               pgd

            """)
    }

    @Test func fourLevelFoldsP4DAtRunTime() {
        let g = X86_64Paging(fiveLevel: false).geometry
        #expect(g[.p4d].isFolded)
        #expect(g.realDepth(.p4d) == .pgd)
        #expect(g.realDepth(.pud) == .pud)
        #expect(g.addressEnd(0xffff_ff80_0000_0000, .max, at: .pgd) == .max)
        #expect(g.addressEnd(0, 1 << 47, at: .pgd) == 1 << 39)
    }
}
