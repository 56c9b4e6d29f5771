import Testing
import PageTables
import TestSupport
@testable import KernelDump

/// s390x tables built in code (big-endian): a region-third top table, a
/// segment table with a 1M large leaf and a 2K page table. Lines follow
/// arch/s390/mm/dump_pagetables.c: every range printed, holes as `I`, the
/// level named by the kernel's level number, the last range ending at max_addr.
@Suite struct S390xPagingTests {
    typealias P = S390xPaging

    static func listing(_ m: SparseMemory, lowcoreMayBeWX: Bool) -> (String, RangeMerger) {
        let arch = P(top: .region3, lowcoreMayBeWX: lowcoreMayBeWX)
        var formatter = S390xListingFormat(levelNames: arch.levelNames).makeFormatter(physicalColumn: false)
        var text = ""
        let markers = MarkerTable([AddressMarker(start: 0, name: "Kernel Virtual Address Space"),
                                   AddressMarker(start: 0, name: "Lowcore Start"),
                                   AddressMarker(start: 0x2000, name: "Lowcore End")])
        let merger = RangeMerger(architecture: arch, markers: markers, markerAdvance: .untilCurrentFromFirst) {
            text += formatter.format($0)
        }
        merger.finalAddress = 1 << 42
        PageWalker(architecture: arch, memory: m).walk(root: PhysicalAddress(0x10000), ranges: [WalkRange(0, 1 << 42)], into: merger)
        return (text, merger)
    }

    static func tables() -> SparseMemory {
        let m = SparseMemory()
        for page in stride(from: 0x10000 as UInt64, to: 0x34000, by: 0x1000) { m.addPage(page) }
        for i in 0..<2048 as Range<UInt64> {
            m.write(0x10000 + i * 8, value: i == 0 ? 0x20000 | 0x07 : P.region3Empty, order: .big)
            m.write(0x20000 + i * 8, value: i == 0 ? 0x30800 : i == 1 ? 0x10_0000 | 0x400 | P.pageProtect : 0x20, order: .big)
        }
        for i in 0..<256 as Range<UInt64> {
            let pte: UInt64 = i == 0 ? 0x5000 : i == 1 ? 0x6000 | P.pageNoExec : P.pageInvalid
            m.write(0x30800 + i * 8, value: pte, order: .big)
        }
        return m
    }

    /// Segment entry 0 points at the page table in the second half of its page
    /// (2K tables), entry 1 is a 1M read-only leaf.
    @Test func regionThirdTopLargeSegmentAndHoles() {
        let (text, merger) = Self.listing(Self.tables(), lowcoreMayBeWX: false)
        #expect(text == """
            ---[ Kernel Virtual Address Space ]---
            ---[ Lowcore Start ]---
            0x0000000000000000-0x0000000000001000         4K PTE RW X
            0x0000000000001000-0x0000000000002000         4K PTE RW NX
            ---[ Lowcore End ]---
            0x0000000000002000-0x0000000000100000      1016K PTE I
            0x0000000000100000-0x0000000000200000         1M PMD RO X
            0x0000000000200000-0x0000000080000000      2046M PMD I
            0x0000000080000000-0x0000040000000000      4094G PUD I

            """)
        #expect(merger.writableExecutablePages == 1)
        // Where the kernel's entry code needs it, the first lowcore page is not counted.
        #expect(Self.listing(Self.tables(), lowcoreMayBeWX: true).1.writableExecutablePages == 0)
    }

    @Test func levelNamesFollowTheTopTable() {
        #expect(P(top: .region3).levelNames == ["PUD", "PUD", "PUD", "PMD", "PTE"])
        #expect(P(top: .region2).levelNames == ["PGD", "PGD", "PUD", "PMD", "PTE"])
        #expect(P(top: .region1).levelNames == ["ASCE", "PGD", "PUD", "PMD", "PTE"])
        #expect(P(top: .region2).geometry[.p4d].isFolded && !P(top: .region2).geometry[.pud].isFolded)
        #expect(P(top: .region3).wxVerdict(writableExecutablePages: 0, nonUXNPages: 0)
            == "Checked W+X mappings: passed, no unexpected W+X pages found")
    }

    /// A process whose mm grew a region-first table (mapped above 2^53): its
    /// user space is the whole space, and a page at 2^60 is walked.
    @Test func regionFirstUserSpaceIsWalkedToTheTop() {
        let m = SparseMemory()
        for page in stride(from: 0x10000 as UInt64, to: 0x21000, by: 0x1000) { m.addPage(page) }
        for i in 0..<2048 as Range<UInt64> {
            m.write(0x10000 + i * 8, value: i == 128 ? 0x14000 | 0x0c : 0x0c | 0x20, order: .big)
            m.write(0x14000 + i * 8, value: i == 0 ? 0x18000 | 0x08 : 0x08 | 0x20, order: .big)
            m.write(0x18000 + i * 8, value: i == 0 ? 0x1c000 | 0x04 : 0x04 | 0x20, order: .big)
            m.write(0x1c000 + i * 8, value: i == 0 ? 0x20000 : 0x20, order: .big)
        }
        for i in 0..<256 as Range<UInt64> { m.write(0x20000 + i * 8, value: i == 0 ? 0x5000 : P.pageInvalid, order: .big) }
        let arch = P(top: .region1)
        #expect(P.Top.region3.walkEnd == 1 << 42 && P.Top.region1.walkEnd == .max)
        var leaves: [UInt64] = []
        let collector = LeafCollector(architecture: arch) { leaves.append($0.address) }
        PageWalker(architecture: arch, memory: m).walk(root: PhysicalAddress(0x10000),
                                                       ranges: [WalkRange(0, P.Top.region1.walkEnd)], into: collector)
        #expect(leaves == [1 << 60])
    }
}
