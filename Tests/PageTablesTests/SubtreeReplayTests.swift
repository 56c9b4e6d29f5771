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
    /// shape). Markers start inside the shared span.
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
        walker.walk(root: PhysicalAddress(0x1000), ranges: [WalkRange(0xffff_fa00_0000_0000, 0xffff_fa80_0000_0000)],
                    into: merger)
        return (events, walker.statistics.replayedSubtrees, walker.statistics.tablesRead + walker.statistics.cacheHits)
    }

    @Test(arguments: [[], [0xffff_fa00_4020_0000], [0xffff_fa01_0000_0000, 0xffff_fa3f_ffe0_1000]] as [[UInt64]])
    func replayedWalkEmitsTheWalkedEvents(_ markers: [UInt64]) {
        let walked = walk(replays: false, markers: markers)
        let replayed = walk(replays: true, markers: markers)
        #expect(walked.replayed == 0)
        #expect(replayed.replayed > 500, "the shared tables were walked each time")
        #expect(walked.text.count > 100_000)
        #expect(replayed.text == walked.text)
        // The replay counts the visits a walk makes (the walk's budget is the same).
        #expect(replayed.visits == walked.visits)
    }
}
