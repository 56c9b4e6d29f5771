import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

/// `kptdump map`'s picture, drawn from x86-64 tables built in code and walked
/// through the real walker and merger.
@Suite struct AddressSpaceMapTests {
    let markers = MarkerTable([
        AddressMarker(start: 0, name: "User Space"),
        AddressMarker(start: 1 << 63, name: "Kernel Space"),
        // A name that needs escaping in XML.
        AddressMarker(start: 0xffff_8880_0000_0000, name: "Direct <map> & \"co\""),
    ])
    let ranges = [WalkRange(0, 1 << 47), WalkRange(0xffff_8800_0000_0000, .max)]
    let nx: UInt64 = 1 << 63

    /// PGD 0x1000 -> [273] PUD 0x2000 -> [0] PMD 0x3000 -> [0] 2M RW NX at 0;
    /// [1] either a 2M RW NX leaf at 0x200000 or, `split`, PTE 0x4000 -> 512
    /// pages alternately RW NX and ro NX (a direct map broken up by
    /// set_memory_ro()). `wx` makes pmd[2] a 2M RW executable leaf.
    func directMap(split: Bool, wx: Bool = false) -> SparseMemory {
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000, 0x4000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 273 * 8, value: 0x2063)                       // pgd[273] -> PUD
        m.write(0x2000 + 0 * 8, value: 0x3063)                         // pud[0] -> PMD
        m.write(0x3000 + 0 * 8, value: 0x00_0000 | 0x1e3 | nx)         // pmd[0]: 2M RW GLB NX
        if split {
            m.write(0x3000 + 1 * 8, value: 0x4063)                     // pmd[1] -> PTE
            for i in 0..<512 as Range<UInt64> {                       // pte[i]: RW NX / ro NX
                m.write(0x4000 + i * 8, value: (0x20_0000 + i << 12) | (i % 2 == 0 ? 0x163 : 0x161) | nx)
            }
        } else {
            m.write(0x3000 + 1 * 8, value: 0x20_0000 | 0x1e3 | nx)     // pmd[1]: 2M RW GLB NX
        }
        if wx { m.write(0x3000 + 2 * 8, value: 0x40_0000 | 0x1e3) }    // pmd[2]: 2M RW GLB x
        return m
    }

    func map(_ memory: SparseMemory) -> AddressSpaceMap {
        let arch = X86_64Paging(fiveLevel: false)
        var map = AddressSpaceMap(architecture: arch, options: .init(title: "test <table>", subtitle: "x86_64 & friends"))
        let merger = RangeMerger(architecture: arch, markers: markers) { map.add($0) }
        PageWalker(architecture: arch, memory: memory).walk(root: PhysicalAddress(0x1000), ranges: ranges, into: merger)
        return map
    }

    func count(_ needle: String, in haystack: String) -> Int {
        haystack.split(separator: needle, omittingEmptySubsequences: false).count - 1
    }

    @Test func oneBandPerMarkerRegion() {
        let m = map(directMap(split: false))
        #expect(m.bands.map(\.name) == markers.markers.map(\.name))
        let svg = m.svg()
        #expect(count("<g class=\"band\"", in: svg) == 3)
        #expect(svg.contains("data-region=\"User Space\""))
        #expect(svg.contains("data-region=\"Direct &lt;map&gt; &amp; &quot;co&quot;\""))
        // Each band is labelled with its addresses (inclusive ends).
        #expect(svg.contains("0xffff888000000000 – 0xffffffffffffffff"))
        #expect(svg.contains("0x0000000000000000 – 0xffff87ffffffffff"))
    }

    @Test func writableExecutableRangesAreRed() {
        let m = map(directMap(split: false, wx: true))
        let direct = m.bands[2]
        let wx = direct.segments.filter { $0.fill == .writableExecutable }
        #expect(wx.map(\.range.start) == [0xffff_8880_0040_0000])
        let svg = m.svg()
        #expect(svg.contains("class=\"wx\"><title>0xffff888000400000-0xffff888000600000 pmd RW x</title>"))
        #expect(svg.contains(">512 W+X pages<"))
        // Without the executable leaf nothing is red.
        #expect(!map(directMap(split: false)).svg().contains("class=\"wx\"><title>"))
    }

    @Test func directMapSplitIntoSmallPagesShowsAsFragmented() {
        let whole = map(directMap(split: false))
        let split = map(directMap(split: true))
        let (wholeBytes, wholeRanges) = whole.bytesByLevel(whole.bands[2])
        #expect(wholeBytes[TableLevel.pmd.rawValue] == 4 << 20 && wholeRanges[TableLevel.pmd.rawValue] == 1)
        #expect(wholeBytes[TableLevel.pte.rawValue] == 0)
        let (splitBytes, splitRanges) = split.bytesByLevel(split.bands[2])
        #expect(splitBytes[TableLevel.pmd.rawValue] == 2 << 20 && splitBytes[TableLevel.pte.rawValue] == 2 << 20)
        #expect(splitRanges[TableLevel.pte.rawValue] == 512)
        // The shares bar and its words.
        #expect(whole.svg().contains(">2M 100% (1)<"))
        #expect(split.svg().contains(">4K 50% (512)  2M 50% (1)<"))
        #expect(split.svg().contains("class=\"share pte\""))
        // And the band itself: every 4K range keeps a piece of its own.
        let width = 1344
        let wholeCells = whole.layout(whole.bands[2].segments, width: width).cells
        let splitCells = split.layout(split.bands[2].segments, width: width).cells
        #expect(wholeCells.count < 10)
        #expect(splitCells.filter { $0.single && $0.fill == .mapped(.pte, writable: false) }.count == 256)
        #expect(splitCells.filter { $0.single && $0.fill == .mapped(.pte, writable: true) }.count == 256)
    }

    @Test func unreadableTableIsDrawnMarked() {
        let memory = directMap(split: false)
        memory.write(0x3000 + 1 * 8, value: 0x7_0000_0000 | 0x63)     // pmd[1] -> a PTE table nowhere
        let m = map(memory)
        #expect(m.bands[2].segments.contains { $0.fill == .marked })
        let svg = m.svg()
        #expect(svg.contains("class=\"marked\"><title>"))
        #expect(svg.contains(">1 marked<"))
        #expect(AddressSpaceMapTests.xmlProblem(svg) == nil)
    }

    /// The scale: a range of n pages is 1 + log2(n) units; holes at most 3.
    @Test(arguments: [
        (UInt64(0x1000), false, 1.0), (0x20_0000, false, 10.0), (0x4000_0000, false, 19.0),
        (0x1000, true, 1.0), (0x8000, true, 3.0), (0x7700_0000_0000, true, 3.0),
    ])
    func unitsGrowWithTheLogOfTheSize(size: UInt64, hole: Bool, units: Double) {
        let m = map(directMap(split: false))
        let range = MappedRange(start: 0xffff_8880_0000_0000, end: 0xffff_8880_0000_0000 + size, level: .pte,
                                protection: hole ? 0 : 0x163, effective: hole ? 0 : 0x163)
        let segment = AddressSpaceMap.Segment(range: range, fill: hole ? .hole : .mapped(.pte, writable: true),
                                              access: RangeAccess(present: !hole, writable: true, executable: false, user: false))
        #expect(m.units(segment) == units)
    }

    /// A 4K page between holes of 119T stays visible; among ten thousand
    /// ranges narrower than a pixel, one W+X page still colours a column.
    @Test func smallRangesStayVisible() {
        let m = map(directMap(split: false))
        func segment(_ start: UInt64, _ size: UInt64, _ fill: AddressSpaceMap.Fill) -> AddressSpaceMap.Segment {
            AddressSpaceMap.Segment(range: MappedRange(start: start, end: start &+ size, level: .pte, protection: 0, effective: 0),
                                    fill: fill, access: RangeAccess(present: fill != .hole, writable: true, executable: true, user: false))
        }
        let lonely = [segment(0, 0x7700_0000_0000, .hole), segment(0x7700_0000_0000, 0x1000, .mapped(.pte, writable: false)),
                      segment(0x7700_0000_1000, 0x7700_0000_0000, .hole)]
        let (cells, _) = m.layout(lonely, width: 100)
        #expect(cells.contains { $0.fill == .mapped(.pte, writable: false) && $0.width >= 10 })

        var crowd: [AddressSpaceMap.Segment] = []
        for i in 0..<10_000 as Range<UInt64> {
            let fill: AddressSpaceMap.Fill = i == 5_001 ? .writableExecutable : i % 2 == 0 ? .hole : .mapped(.pte, writable: false)
            crowd.append(segment(i << 12, 0x1000, fill))
        }
        let (crowdCells, columns) = m.layout(crowd, width: 100)
        #expect(columns.filter { $0.fill == .writableExecutable }.count == 1)
        #expect(columns.allSatisfy { $0.writable })
        #expect(crowdCells.count <= 100)
    }

    @Test func pictureIsWellFormedXML() {
        let m = map(directMap(split: true, wx: true))
        let svg = m.svg()
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(AddressSpaceMapTests.xmlProblem(svg) == nil)
        #expect(svg.contains("<title>test &lt;table&gt;</title>"))
        let html = m.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        let start = html.firstRange(of: "<svg ")
        let end = html.firstRange(of: "</svg>")
        #expect(start != nil && end != nil)
        if let start, let end {
            #expect(AddressSpaceMapTests.xmlProblem(String(html[start.lowerBound..<end.upperBound])) == nil)
        }
        // The checker itself catches what it is for.
        #expect(AddressSpaceMapTests.xmlProblem("<svg><g></svg>") != nil)
        #expect(AddressSpaceMapTests.xmlProblem("<svg><text>a & b</text></svg>") != nil)
        #expect(AddressSpaceMapTests.xmlProblem("<svg a=\"<\"/>") != nil)
        #expect(AddressSpaceMapTests.xmlProblem("<svg/><svg/>") != nil)
    }

    /// A small well-formedness check (Foundation's XMLDocument is not on
    /// Linux): tags balance, one root, attributes quoted, `<` never in
    /// attribute values and `&` only as an entity. Returns the first problem.
    static func xmlProblem(_ text: String) -> String? {
        let s = Array(text.utf8)
        var i = 0
        var stack: [String] = []
        var roots = 0
        func starts(_ p: String) -> Bool { s[i...].starts(with: Array(p.utf8)) }
        func skip(past p: String) -> Bool {
            let pattern = Array(p.utf8)
            while i < s.count { if s[i...].starts(with: pattern) { i += pattern.count; return true }; i += 1 }
            return false
        }
        func entityOK(at j: Int) -> Bool {
            guard let semi = s[j...].prefix(10).firstIndex(of: UInt8(ascii: ";")) else { return false }
            let name = String(decoding: s[(j + 1)..<semi], as: UTF8.self)
            return ["amp", "lt", "gt", "quot", "apos"].contains(name)
                || (name.hasPrefix("#") && name.dropFirst().allSatisfy(\.isNumber) && name.count > 1)
        }
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x2d || b == 0x3a || b == 0x5f
        }
        func name() -> String {
            let j = i
            while i < s.count && isNameByte(s[i]) { i += 1 }
            return String(decoding: s[j..<i], as: UTF8.self)
        }
        while i < s.count {
            let b = s[i]
            if b == UInt8(ascii: "&") {
                if !entityOK(at: i) { return "bare & at \(i)" }
                i += 1
            } else if b == UInt8(ascii: "<") {
                if starts("<?") { if !skip(past: "?>") { return "unterminated <?" }; continue }
                if starts("<!--") { if !skip(past: "-->") { return "unterminated comment" }; continue }
                if starts("</") {
                    i += 2
                    let n = name()
                    guard i < s.count, s[i] == UInt8(ascii: ">") else { return "bad end tag </\(n) at \(i)" }
                    i += 1
                    guard stack.popLast() == n else { return "</\(n)> closes the wrong element at \(i)" }
                    continue
                }
                i += 1
                let n = name()
                if n.isEmpty { return "< without a name at \(i)" }
                if stack.isEmpty { roots += 1; if roots > 1 { return "second root <\(n)>" } }
                while true {
                    while i < s.count && s[i] == UInt8(ascii: " ") { i += 1 }
                    guard i < s.count else { return "unterminated <\(n)" }
                    if starts("/>") { i += 2; break }
                    if s[i] == UInt8(ascii: ">") { i += 1; stack.append(n); break }
                    let attribute = name()
                    guard !attribute.isEmpty, i + 1 < s.count, s[i] == UInt8(ascii: "="), s[i + 1] == UInt8(ascii: "\"") else {
                        return "bad attribute in <\(n)> at \(i)"
                    }
                    i += 2
                    while i < s.count && s[i] != UInt8(ascii: "\"") {
                        if s[i] == UInt8(ascii: "<") { return "< in attribute \(attribute) at \(i)" }
                        if s[i] == UInt8(ascii: "&") && !entityOK(at: i) { return "bare & in attribute \(attribute) at \(i)" }
                        i += 1
                    }
                    guard i < s.count else { return "unterminated attribute \(attribute)" }
                    i += 1
                }
            } else {
                if stack.isEmpty && b != UInt8(ascii: "\n") && b != UInt8(ascii: " ") { return "text outside the root at \(i)" }
                i += 1
            }
        }
        return stack.isEmpty ? (roots == 1 ? nil : "no root element") : "unclosed <\(stack.last ?? "")>"
    }
}
