import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

/// Tables built in code and listed; each expected line was derived by hand from
/// the rules of mm/pagewalk.c, mm/ptdump.c and arch/x86/mm/dump_pagetables.c.
@Suite struct X86FourLevelTests {
    let markers = MarkerTable([
        AddressMarker(start: 0, name: "User Space"),
        AddressMarker(start: 1 << 63, name: "Kernel Space"),
        AddressMarker(start: 0xffff_8880_0000_0000, name: "Test Area"),
    ])
    let ranges = [WalkRange(0, 1 << 47), WalkRange(0xffff_8800_0000_0000, .max)]

    /// PGD 0x1000 -> [273] PUD 0x2000 -> [0] 1G leaf, [1] PMD 0x3000 ->
    /// [0] 2M leaf (executable), [1] PTE 0x4000 -> [0,1] RW NX, [2] ro X.
    func sampleMemory() -> SparseMemory {
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000, 0x4000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 273 * 8, value: 0x2063)                      // pgd[273] -> PUD
        m.write(0x2000 + 0 * 8, value: 0x4000_0000 | 0x1e3 | 1 << 63)  // pud[0]: 1G RW GLB NX
        m.write(0x2000 + 1 * 8, value: 0x3063)                         // pud[1] -> PMD
        m.write(0x3000 + 0 * 8, value: 0x20_0000 | 0x1e3)              // pmd[0]: 2M RW GLB X
        m.write(0x3000 + 1 * 8, value: 0x4063)                         // pmd[1] -> PTE
        m.write(0x4000 + 0 * 8, value: 0x5000 | 0x163 | 1 << 63)       // pte[0]: RW GLB NX
        m.write(0x4000 + 1 * 8, value: 0x6000 | 0x163 | 1 << 63)       // pte[1]: same flags
        m.write(0x4000 + 2 * 8, value: 0x7000 | 0x161)                 // pte[2]: ro GLB X
        return m
    }

    func listing(_ memory: SparseMemory, root: UInt64 = 0x1000) -> (String, RangeMerger) {
        var text = ""
        var formatter = X86PtdumpFormatter()
        let arch = X86_64Paging(fiveLevel: false)
        let merger = RangeMerger(architecture: arch, markers: markers) { text += formatter.format($0) }
        PageWalker(architecture: arch, memory: memory).walk(root: PhysicalAddress(root), ranges: ranges, into: merger)
        return (text, merger)
    }

    /// The merger says whether a range maps one physical run: pte[0] and pte[1]
    /// map 0x5000 and 0x6000; moving pte[1] elsewhere breaks the run.
    @Test func physicalContiguityOfARange() {
        func eightK(_ m: SparseMemory) -> MappedRange? {
            var found: MappedRange?
            let arch = X86_64Paging(fiveLevel: false)
            let merger = RangeMerger(architecture: arch, markers: markers) { event in
                if case .range(let r) = event, r.size == 0x2000, r.level == .pte { found = r }
            }
            PageWalker(architecture: arch, memory: m).walk(root: PhysicalAddress(0x1000), ranges: ranges, into: merger)
            return found
        }
        let m = sampleMemory()
        #expect(eightK(m)?.physicalStart == PhysicalAddress(0x5000))
        #expect(eightK(m)?.physicallyContiguous == true)
        m.write(0x4000 + 1 * 8, value: 0x9000 | 0x163 | 1 << 63)
        #expect(eightK(m)?.physicallyContiguous == false)
    }

    @Test func listingMatchesTheKernelRules() {
        let (text, merger) = listing(sampleMemory())
        #expect(text == """
            ---[ User Space ]---
            0x0000000000000000-0xffff880000000000    16777096T                               pgd
            ---[ Kernel Space ]---
            0xffff880000000000-0xffff888000000000         512G                               pgd
            ---[ Test Area ]---
            0xffff888000000000-0xffff888040000000           1G     RW         PSE     GLB NX pud
            0xffff888040000000-0xffff888040200000           2M     RW         PSE     GLB x  pmd
            0xffff888040200000-0xffff888040202000           8K     RW                 GLB NX pte
            0xffff888040202000-0xffff888040203000           4K     ro                 GLB x  pte
            0xffff888040203000-0xffff888040400000        2036K                               pte
            0xffff888040400000-0xffff888080000000        1020M                               pmd
            0xffff888080000000-0xffff890000000000         510G                               pud
            0xffff890000000000-0x0000000000000000         119T                               pgd

            """)
        // Only the executable 2M page is writable: 512 W+X pages, as note_wx counts.
        #expect(merger.writableExecutablePages == 512)
    }

    @Test func tableOutsideTheDumpIsAMarkedEntry() {
        let m = sampleMemory()
        m.write(0x3000 + 1 * 8, value: 0x7_0000_0000 | 0x63)   // pmd[1] -> a PTE table nowhere
        let (text, _) = listing(m)
        #expect(text.contains("0xffff888040200000-0xffff888040400000           2M !! table 0x700000000 not in dump pmd\n"))
        #expect(text.hasSuffix("0xffff890000000000-0x0000000000000000         119T                               pgd\n"))
    }

    @Test func tablePointingAtItsAncestorIsNotEntered() {
        let m = sampleMemory()
        m.write(0x3000 + 2 * 8, value: 0x3063)                  // pmd[2] -> its own PMD table
        m.write(0x2000 + 2 * 8, value: 0x2063)                  // pud[2] -> its own PUD table
        let (text, _) = listing(m)
        #expect(text.contains("0xffff888040400000-0xffff888040600000           2M !! table 0x3000 cycle         pmd\n"))
        #expect(text.contains("0xffff888080000000-0xffff8880c0000000           1G !! table 0x2000 cycle         pud\n"))
    }

    @Test func tablesAllPointingAtOneTableStayBounded() {
        // Every entry of every level points to the same page: 512^4 notes if
        // followed blindly. The walk must end, with marked entries.
        let m = SparseMemory()
        m.addPage(0x1000)
        m.addPage(0x2000)
        for i in 0..<512 as Range<UInt64> { m.write(0x2000 + i * 8, value: 0x2063) }
        m.write(0x1000 + 273 * 8, value: 0x2063)
        let arch = X86_64Paging(fiveLevel: false)
        var marked = 0
        let merger = RangeMerger(architecture: arch, markers: markers) {
            if case .range(let r) = $0, r.problem != nil { marked += 1 }
        }
        let walker = PageWalker(architecture: arch, memory: m)
        walker.maxTotalVisits = 1 << 12
        walker.walk(root: PhysicalAddress(0x1000), ranges: ranges, into: merger)
        #expect(marked > 0)
    }

    @Test func sharedTablesBeyondTheRevisitBudgetStopTheWalk() {
        // pgd[273] -> one PUD table whose 512 entries share one PMD table, whose
        // 512 entries share one PTE table: no cycle, 262,656 visits in all. With
        // a budget of 1,000 revisits the walk stops in the second PUD entry and
        // the rest of the space is one marked range. Replays are off: they are
        // bounded apart (SubtreeReplayTests), and would walk this whole.
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000, 0x4000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 273 * 8, value: 0x2063)
        for i in 0..<512 as Range<UInt64> {
            m.write(0x2000 + i * 8, value: 0x3063)
            m.write(0x3000 + i * 8, value: 0x4063)
        }
        m.write(0x4000, value: 0x9000 | 0x163 | 1 << 63)
        let arch = X86_64Paging(fiveLevel: false)
        var text = ""
        var formatter = X86PtdumpFormatter()
        let merger = RangeMerger(architecture: arch, markers: markers) { text += formatter.format($0) }
        let walker = PageWalker(architecture: arch, memory: m)
        walker.maxRevisits = 1000
        walker.replaysSubtrees = false
        walker.walk(root: PhysicalAddress(0x1000), ranges: ranges, into: merger)
        let lines = text.split(separator: "\n")
        // Revisits: the root (once per walk range: 1), the PTE table from PUD
        // entry 0's PMD entries 1..511 (511), the PMD table again (1), then the
        // PTE table from PUD entry 1's PMD entries 0..486 (487): 1,000. The
        // 1,001st, PMD entry 487 (1G + 487 * 2M), stops the walk.
        #expect(lines.last == "0xffff88807ce00000-0x0000000000000000   125302834M !! walk stopped after 1004 table visits pmd")
        #expect(lines.filter { $0.contains("!!") }.count == 1)
        #expect(lines.contains("0xffff888000000000-0xffff888000001000           4K     RW                 GLB NX pte"))
    }

    @Test func rootOutsideTheDumpIsMarkedNotFatal() {
        let (text, _) = listing(SparseMemory(), root: 0x9000)
        #expect(text.contains("0xffff880000000000-0x0000000000000000         120T !! table 0x9000 not in dump   pgd\n"))
    }

    @Test func lastPageOfTheAddressSpace() {
        // pgd[511] -> PUD [511] -> PMD [511] -> PTE [511]: the page at 0xfffffffffffff000.
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000, 0x4000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 511 * 8, value: 0x2063)
        m.write(0x2000 + 511 * 8, value: 0x3063)
        m.write(0x3000 + 511 * 8, value: 0x4063)
        m.write(0x4000 + 511 * 8, value: 0x8000 | 0x161 | 1 << 63)
        let (text, _) = listing(m)
        #expect(text.hasSuffix("""
            0xffffffffffe00000-0xfffffffffffff000        2044K                               pte
            0xfffffffffffff000-0x0000000000000000           4K     ro                 GLB NX pte

            """))
    }
}
