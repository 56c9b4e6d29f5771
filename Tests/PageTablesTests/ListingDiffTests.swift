import Testing
@testable import PageTables

/// The text parser and the range-by-range diff, on small listings written by
/// hand in each architecture's form.
@Suite struct ListingDiffTests {
    static let x86 = """
        ---[ User Space ]---
        0x0000000000000000-0xffff880000000000    16777096T                               pgd
        ---[ Low Kernel Mapping ]---
        0xffff888000000000-0xffff888000200000           2M     RW                 GLB NX pte
        0xffff888000200000-0xffff888000400000           2M     ro                 GLB NX pte
        0xffff888000400000-0xffff888040000000        1020M     RW         PSE     GLB NX pmd
        0xffff888040000000-0xffff890000000000         511G                               pud
        ---[ High Kernel Mapping ]---
        0xffffffff80000000-0xffffffff81000000          16M                               pmd
        0xffffffff81000000-0xffffffff81200000           2M     ro         PSE     GLB x  pmd
        0xffffffff81200000-0x0000000000000000        1006M                               pmd
        ... 3 entries skipped ... 

        """

    @Test func parsesX86Text() throws {
        let p = try ParsedListing(text: Self.x86)
        #expect(p.regions.map(\.name) == ["User Space", "Low Kernel Mapping", "High Kernel Mapping"])
        #expect(p.lineCount == 8)
        let ro = p.regions[1].lines[1]
        #expect(ro.start == 0xffff_8880_0020_0000 && ro.size == 0x20_0000 && ro.level == "pte")
        #expect(ro.attributes == ["ro", "GLB", "NX"])
        #expect(!p.regions[1].lines[3].isPresent)
        #expect(p.regions[2].skipped == 3)
        // The last line ends at 0: its size wraps as the kernel's arithmetic does.
        #expect(p.regions[2].lines[2].size == 0 &- 0xffff_ffff_8120_0000)
    }

    @Test func parsesArm64AndRiscvText() throws {
        let arm = try ParsedListing(text: """
            ---[ Linear Mapping start ]---
            0xffff000000000000-0xffff000040000000           1G PUD       RW NX SHD AF        BLK UXN    MEM/NORMAL
            0xffff000040000000-0xffff000042000000          32M PMD
            0xffff000042000000-0xffff000042002000           8K PTE !! table 0x13000 not in dump

            """)
        #expect(arm.regions[0].lines[0].level == "pud")
        #expect(arm.regions[0].lines[0].attributes.last == "MEM/NORMAL")
        #expect(arm.regions[0].lines[2].mark == "!! table 0x13000 not in dump")
        let riscv = try ParsedListing(text: """
            ---[ Kernel mapping ]---
            0xffffffff80000000-0xffffffff80200000    0x0000000080200000         2M PMD     D A G . . X R V

            """)
        #expect(riscv.regions[0].lines[0].physical == 0x8020_0000)
        #expect(riscv.regions[0].lines[0].attributes == ["D", "A", "G", ".", ".", "X", "R", "V"])
    }

    @Test(arguments: ["0xffff888000000000 2M RW pte\n", "---[ A ]---\nhello\n", "", "0x1-0x2   12Q pte\n"])
    func rejectsNonListings(_ text: String) {
        #expect(throws: ListingTextError.self) { try ParsedListing(text: text) }
    }

    /// Moves every line of `region` by `delta`, as KASLR moves a region's base.
    func shifted(_ text: String, region: String, by delta: UInt64) -> String {
        var inside = false
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("---[") { inside = line.contains(region) }
            guard inside, line.hasPrefix("0x") else { return String(line) }
            let s = UInt64(line.dropFirst(2).prefix(16), radix: 16)! &+ delta
            let e = UInt64(line.dropFirst(21).prefix(16), radix: 16)! &+ delta
            return hex16(s) + "-" + hex16(e) + line.dropFirst(37)
        }.joined(separator: "\n")
    }

    @Test func randomisedBasesAreNotDifferences() throws {
        let a = try ParsedListing(text: Self.x86)
        var text = shifted(Self.x86, region: "Low Kernel", by: 0x40_0000_0000)
        text = shifted(text, region: "High Kernel", by: 0x2a0_0000)
        let b = try ParsedListing(text: text)
        #expect(a != b)
        let diff = ListingDiff(a, b)
        #expect(diff.isEmpty)
        #expect(diff.regionsCompared == 3)
        // The kernel truncated the High Kernel Mapping: not compared, and said so.
        #expect(diff.notCompared == ["High Kernel Mapping"])
    }

    @Test func oneWritableRangeIsNamedExactly() throws {
        let a = try ParsedListing(text: Self.x86)
        let text = Self.x86.replacingFirst("2M     ro                 GLB NX pte", with: "2M     RW                 GLB NX pte")
        let diff = ListingDiff(a, try ParsedListing(text: text))
        #expect(diff.changes.count == 1)
        let c = try #require(diff.changes.first)
        #expect(c.kind == .attributes && c.region == "Low Kernel Mapping")
        #expect(c.offset == 0x20_0000 && c.size == 0x20_0000)
        #expect(c.lineA?.attributes == ["ro", "GLB", "NX"] && c.lineB?.attributes == ["RW", "GLB", "NX"])
        let report = diff.report(labelA: "a", labelB: "b", a: a, b: try ParsedListing(text: text), details: true)
        #expect(report.contains("attributes  [Low Kernel Mapping] +0x200000 2M\n"))
        #expect(report.contains("  A 0xffff888000200000-0xffff888000400000  pte  ro GLB NX\n"))
    }

    @Test func splitHugePageAddedRemovedAndMarkers() throws {
        let a = try ParsedListing(text: Self.x86)
        // The 1020M of 2M pages: its first 2M split into 4K pages with the same
        // attributes, and the rest unmapped; a new region appears in B.
        let text = Self.x86.replacingFirst(
            "0xffff888000400000-0xffff888040000000        1020M     RW         PSE     GLB NX pmd",
            with: """
                0xffff888000400000-0xffff888000600000           2M     RW                 GLB NX pte
                0xffff888000600000-0xffff888040000000        1018M                               pmd
                """).replacingFirst("---[ High Kernel Mapping ]---", with: """
                ---[ Extra ]---
                0xffff890000000000-0xffffffff80000000          10T                               pgd
                ---[ High Kernel Mapping ]---
                """)
        let diff = ListingDiff(a, try ParsedListing(text: text))
        #expect(diff.changes.map(\.kind) == [.level, .removed])
        #expect(diff.changes.map(\.size) == [0x20_0000, 1018 << 20])
        #expect(diff.regionChanges == [ListingDiff.RegionChange(name: "Extra", onlyIn: .b, lines: 1)])
    }

    @Test func holesCompareEqualAtAnyLevel() throws {
        let a = try ParsedListing(text: """
            ---[ R ]---
            0xffff888000000000-0xffff888000001000           4K     RW                 GLB NX pte
            0xffff888000001000-0xffff888000200000        2044K                               pte
            0xffff888000200000-0xffff888040000000        1022M                               pmd

            """)
        let b = try ParsedListing(text: """
            ---[ R ]---
            0xffff888000000000-0xffff888000001000           4K     RW                 GLB NX pte
            0xffff888000001000-0xffff888040000000     1048572K                               pud

            """)
        #expect(ListingDiff(a, b).isEmpty)
    }
}

@Suite struct RangeSelectionTests {
    let access = RangeAccess(present: true, writable: true, executable: false, user: false)
    func range(_ level: TableLevel = .pte, marker: Int = 0, start: UInt64 = 0x1000) -> MappedRange {
        MappedRange(start: start, end: start + 0x1000, level: level, protection: 1, effective: 1,
                    physicalStart: nil, problem: nil, markerIndex: marker)
    }

    @Test func filterWordsAndNegation() {
        var s = RangeSelection()
        s.addFilter("w !x GLB")
        #expect(s.selects(range(), access: access, words: ["RW", "GLB", "NX"], regions: []))
        #expect(!s.selects(range(), access: access, words: ["RW", "NX"], regions: []))
        var x = RangeSelection()
        x.addFilter("x")
        #expect(!x.selects(range(), access: access, words: ["RW", "GLB", "NX"], regions: []))
        // Holes pass only a filter about presence.
        let hole = RangeAccess(present: false, writable: false, executable: false, user: false)
        var notNX = RangeSelection()
        notNX.addFilter("!NX")
        #expect(!notNX.selects(range(), access: hole, words: [], regions: []))
        var holes = RangeSelection()
        holes.addFilter("!present pmd")
        #expect(holes.selects(range(.pmd), access: hole, words: [], regions: []))
        #expect(!holes.selects(range(.pte), access: hole, words: [], regions: []))
    }

    @Test func rangesByAddressAndMarker() {
        var s = RangeSelection()
        #expect(s.addRange("0x2000+0x1000") == nil)
        #expect(s.selects(range(start: 0x2000), access: access, words: [], regions: []))
        #expect(!s.selects(range(start: 0x3000), access: access, words: [], regions: []))
        #expect(s.addRange("0x5000-0x4000") != nil)
        var top = RangeSelection()
        #expect(top.addRange("0xfffffffffffff000+0x1000") == nil)
        #expect(top.intervals == [0xffff_ffff_ffff_f000...UInt64.max])
        var named = RangeSelection()
        _ = named.addRange("vmalloc")
        _ = named.addRange("nothing")
        let markers = MarkerTable([AddressMarker(start: 0, name: "User"), AddressMarker(start: 1, name: "vmalloc() Area"),
                                   AddressMarker(start: 2, name: "vmalloc() End")])
        let (indices, unmatched) = named.regions(in: markers)
        #expect(indices == [1, 2] && unmatched == ["nothing"])
        #expect(named.selects(range(marker: 1), access: access, words: [], regions: indices))
        #expect(!named.selects(range(marker: 0), access: access, words: [], regions: indices))
    }

    @Test func jsonLinesReadBackAsTheSameListing() throws {
        var r = range(.pmd, start: 0xffff_8880_0000_0000)
        r.end = 0xffff_8880_0020_0000
        r.physicalStart = PhysicalAddress(0x20_0000)
        r.physicallyContiguous = true
        let hole = MappedRange(start: r.end, end: 0, level: .pud, protection: 0, effective: 0,
                               physicalStart: nil, problem: nil, markerIndex: 0)
        let none = RangeAccess(present: false, writable: false, executable: false, user: false)
        let text = ListingJSON.line(r, marker: "Low \"Kernel\"", attributes: ["RW", "PSE", "NX"], access: access) + "\n"
            + ListingJSON.line(hole, marker: "Low \"Kernel\"", attributes: [], access: none) + "\n"
        #expect(text.hasPrefix(#"{"marker": "Low \"Kernel\"", "start": "0xffff888000000000", "end": "0xffff888000200000", "size": 2097152, "level": "pmd", "present": true, "attributes": ["RW", "PSE", "NX"], "writable": true, "executable": false"#))
        #expect(text.contains(#""phys": "0x0000000000200000", "contiguous": true}"#))
        let parsed = try ListingJSON.parse(text)
        #expect(parsed.regions.count == 1 && parsed.regions[0].name == "Low \"Kernel\"")
        #expect(parsed.regions[0].lines[0] == ListingLine(start: r.start, size: 0x20_0000, level: "pmd",
                                                          attributes: ["RW", "PSE", "NX"], physical: 0x20_0000))
        #expect(parsed.regions[0].lines[1].size == 0 &- r.end && !parsed.regions[0].lines[1].isPresent)
        #expect(throws: ListingTextError.self) { try ListingJSON.parse("{\"marker\": 1}\n") }
        #expect(throws: ListingTextError.self) { try ListingJSON.parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n") }
    }
}
