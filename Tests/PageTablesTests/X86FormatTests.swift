import Testing
@testable import PageTables
@testable import KernelDump

@Suite struct X86FormatTests {
    @Test(arguments: [
        (UInt64(4096), "        4K"),
        (0x3000, "       12K"),
        (0x1800, "        6K"),
        (1000, "     1000B"),
        (1 << 47, "      128T"),
        (0x1fd000, "     2036K"),
        (0, "        0E"),
        (0xff0f_0000_0000_0000, " 16715520T"),
        (0x0010_0000_0000_0000, "        4P"),
    ])
    func sizeUsesTheLargestWholeUnit(size: UInt64, expected: String) {
        #expect(PtdumpSize.field(size) == expected)
    }

    @Test func notPresentPrintsThirtySpaces() {
        #expect(X86PtdumpFormatter.flags(0x62, level: .pte) == String(repeating: " ", count: 30))
    }

    @Test func patBitMeansPSEAbovePTEAndPATAtPTE() {
        // Bit 7 is PSE at PMD and PAT at PTE; bit 12 (PAT_LARGE) never reaches
        // the flags because PTE_FLAGS_MASK removes it.
        #expect(X86PtdumpFormatter.flags(0x1 | 0x80, level: .pte) == "    ro             PAT     x  ")
        #expect(X86PtdumpFormatter.flags(0x1 | 0x80, level: .pmd) == "    ro         PSE         x  ")
        #expect(X86_64Paging(fiveLevel: false).protection(0x1000 | 0x81) == 0x81)
    }

    @Test func espfixLineLimitSkipsAndCounts() {
        var f = X86PtdumpFormatter()
        var out = f.format(.marker(index: 0, AddressMarker(start: 0, name: "ESPfix Area", maxLines: 2)))
        for i in 0..<5 as Range<UInt64> {
            out += f.format(.range(MappedRange(start: i << 12, end: (i + 1) << 12, level: .pte, protection: 0,
                                               effective: 0, markerIndex: 0)))
        }
        out += f.format(.marker(index: 1, AddressMarker(start: 0x10000, name: "Next")))
        #expect(out == """
            ---[ ESPfix Area ]---
            0x0000000000000000-0x0000000000001000           4K                               pte
            0x0000000000001000-0x0000000000002000           4K                               pte
            ... 3 entries skipped ... 
            ---[ Next ]---

            """)
    }
}
