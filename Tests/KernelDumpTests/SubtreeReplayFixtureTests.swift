import Foundation
import Testing
@testable import KernelDump
import PageTables

/// Every fixture snapshot's kernel table, walked with and without replaying
/// shared subtrees, and with and without noting runs of empty entries at
/// once: the same events and W+X counts. x86's ESPfix area is the subtree
/// every x86 kernel shares hundreds of times.
@Suite struct SubtreeReplayFixtureTests {
    static var snapshots: [String] {
        ["x86_64", "arm64", "riscv64", "ppc64", "s390x"].flatMap { arch in
            Fixtures.states(arch).filter {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("snapshot.core.zst").path)
            }.map { "\(arch)/\($0.lastPathComponent)" }
        }
    }

    func events(_ spec: TableSpec, _ memory: any PhysicalMemory, replays: Bool,
                emptyRuns: Bool = true) -> ([ListingEvent], UInt64, Int) {
        var out: [ListingEvent] = []
        let merger = RangeMerger(architecture: spec.architecture, markers: spec.markers,
                                 markerAdvance: spec.markerAdvance) { out.append($0) }
        merger.finalAddress = spec.finalAddress
        merger.startsAtPGDZero = spec.startsAtPGDZero
        let walker = PageWalker(architecture: spec.architecture, memory: memory, kasan: spec.kasan)
        walker.replaysSubtrees = replays
        walker.batchesEmptyRuns = emptyRuns
        walker.walk(root: spec.root, ranges: spec.ranges, into: merger)
        return (out, merger.writableExecutablePages, walker.statistics.replayedSubtrees)
    }

    @Test(arguments: snapshots)
    func replaysChangeNothing(_ state: String) throws {
        let snapshot = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("\(state)/snapshot.core.zst"))
        let (session, layout) = try Actions.open(DumpRequest(core: snapshot.path))
        let spec = try layout.kernelTable(session)
        let walked = events(spec, session.memory, replays: false)
        let replayed = events(spec, session.memory, replays: true)
        #expect(walked.0 == replayed.0, "\(state)")
        #expect(walked.1 == replayed.1)
        if state.hasPrefix("x86_64") { #expect(replayed.2 > 100, "\(state): ESPfix not replayed") }
    }

    @Test(arguments: snapshots)
    func emptyRunsAtOnceChangeNothing(_ state: String) throws {
        let snapshot = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("\(state)/snapshot.core.zst"))
        let (session, layout) = try Actions.open(DumpRequest(core: snapshot.path))
        let spec = try layout.kernelTable(session)
        let single = events(spec, session.memory, replays: true, emptyRuns: false)
        let batched = events(spec, session.memory, replays: true, emptyRuns: true)
        // The first difference, not the whole arrays: a diff of thousands of
        // events takes swift-testing minutes.
        let differ = zip(single.0, batched.0).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(differ == nil && single.0.count == batched.0.count,
                "\(state): \(single.0.count) events one by one, \(batched.0.count) at once, first difference at \(differ.map(String.init) ?? "the end")")
        #expect(single.1 == batched.1)
    }
}
