import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

/// A table walked again under the same merger state is replayed, not walked:
/// the events must be exactly those of walking it (checked against a walk
/// with replays off), including where a marker starts inside a shared span.
@Suite struct SubtreeReplayTests {
    /// x86 4-level: PUD 0x2000's 512 entries all point at PMD 0x3000, whose 512
    /// entries all point at PTE 0x4000, which maps every 16th page (ESPfix's
    /// shape). Markers start inside the shared span. The walk covers 32G, so
    /// that the walk without replays stays within its revisit budget (16,384
    /// PTE tables, a million events).
    func walk(replays: Bool, markers: [UInt64]) -> (text: [ListingEvent], replayed: Int, visits: Int) {
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000, 0x4000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 500 * 8, value: 0x2063)
        for i in 0..<512 as Range<UInt64> {
            m.write(0x2000 + i * 8, value: 0x3063)
            m.write(0x3000 + i * 8, value: 0x4063)
        }
        for i in stride(from: 1, to: 512, by: 16) as StrideTo<UInt64> {
            m.write(0x4000 + i * 8, value: 0x9000 | 0x161 | 1 << 63)
        }
        let arch = X86_64Paging(fiveLevel: false)
        var list = [AddressMarker(start: 0, name: "User Space"), AddressMarker(start: 1 << 63, name: "Kernel Space")]
        list += markers.enumerated().map { AddressMarker(start: $0.element, name: "M\($0.offset)") }
        var events: [ListingEvent] = []
        let merger = RangeMerger(architecture: arch, markers: MarkerTable(list)) { events.append($0) }
        let walker = PageWalker(architecture: arch, memory: m)
        walker.replaysSubtrees = replays
        walker.walk(root: PhysicalAddress(0x1000), ranges: [WalkRange(0xffff_fa00_0000_0000, 0xffff_fa08_0000_0000)],
                    into: merger)
        return (events, walker.statistics.replayedSubtrees, walker.statistics.tablesRead + walker.statistics.cacheHits)
    }

    @Test(arguments: [[], [0xffff_fa00_4020_0000], [0xffff_fa01_0000_0000, 0xffff_fa07_ffe0_1000]] as [[UInt64]])
    func replayedWalkEmitsTheWalkedEvents(_ markers: [UInt64]) {
        let walked = walk(replays: false, markers: markers)
        let replayed = walk(replays: true, markers: markers)
        #expect(walked.replayed == 0)
        #expect(replayed.replayed > 500, "the shared tables were walked each time")
        #expect(walked.text.count > 1_000_000)
        #expect(replayed.text == walked.text)
        // The replay counts the visits a walk makes.
        #expect(replayed.visits == walked.visits)
    }

    /// x86's KASAN early shadow with no symbols to name it: 32 PGD entries
    /// (16T) -> one PUD table -> one PMD table -> one PTE table -> one page.
    /// `pteEvery`: which PTEs map the page (1: all, as the kernel's; 2: every
    /// other one, so each walk of the PTE table emits 512 ranges).
    func earlyShadow(pteEvery: UInt64, maxReplayWork: Int? = nil, maxRevisits: Int? = nil) -> (ranges: [MappedRange], statistics: WalkStatistics) {
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000, 0x4000] as [UInt64] { m.addPage(page) }
        for i in 472..<504 as Range<UInt64> { m.write(0x1000 + i * 8, value: 0x2063) }
        for i in 0..<512 as Range<UInt64> {
            m.write(0x2000 + i * 8, value: 0x3063)
            m.write(0x3000 + i * 8, value: 0x4063)
            if i % pteEvery == 0 { m.write(0x4000 + i * 8, value: 0x9000 | 0x161 | 1 << 63) }
        }
        let arch = X86_64Paging(fiveLevel: false)
        let markers = MarkerTable([AddressMarker(start: 0, name: "User Space"), AddressMarker(start: 1 << 63, name: "Kernel Space")])
        var ranges: [MappedRange] = []
        let merger = RangeMerger(architecture: arch, markers: markers) { if case .range(let r) = $0 { ranges.append(r) } }
        let walker = PageWalker(architecture: arch, memory: m)
        if let maxReplayWork { walker.maxReplayWork = maxReplayWork }
        if let maxRevisits { walker.maxRevisits = maxRevisits }
        walker.walk(root: PhysicalAddress(0x1000), ranges: [WalkRange(0xffff_8000_0000_0000, .max)], into: merger)
        return (ranges, walker.statistics)
    }

    /// 512^3 PTE-table visits per PGD entry: before replays stopped counting
    /// against the revisit budget, the walk stopped after half a PGD entry.
    @Test func earlyShadowWithoutItsSymbolsIsWalkedWhole() {
        let (ranges, statistics) = earlyShadow(pteEvery: 1)
        #expect(statistics.problems == 0)
        #expect(statistics.tablesRead == 4)
        let shadow = ranges.filter { $0.protection != 0 }
        #expect(shadow.count == 1)
        #expect(shadow.first?.start == 0xffff_ec00_0000_0000 && shadow.first?.end == 0xffff_fc00_0000_0000)
        #expect(shadow.first?.level == .pte)
        #expect(ranges.allSatisfy { $0.problem == nil })
    }

    /// Replays that emit ranges are still bounded: with every other PTE mapped
    /// the region would be 2^34 ranges. Once the replay budget is spent,
    /// revisits are walked under the revisit budget, which stops the walk and
    /// marks the rest.
    @Test func replaysThatEmitRangesAreBounded() {
        let (ranges, statistics) = earlyShadow(pteEvery: 2, maxReplayWork: 100_000, maxRevisits: 1_000)
        #expect(statistics.problems > 0)
        #expect(ranges.contains { if case .walkStopped = $0.problem { true } else { false } })
        // The replays' 100,000, then at most 1,000 PTE tables walked again.
        #expect(ranges.count <= 100_000 + 1_001 * 512)
        #expect(ranges.count > 100_000)
    }
}
