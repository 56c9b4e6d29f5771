import Foundation
import Testing
@testable import KernelDump
import PageTables

/// A listing formats its lines into one buffer and hands them out in chunks
/// of about 64 KiB: the chunks, joined, must be the lines the formatter gives
/// one event at a time, and no line may be cut between two chunks.
@Suite struct ListingChunkTests {
    @Test func chunksJoinToTheLinesFormattedOneByOne() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("kptdump-chunks-\(getpid()).core").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 40 PTE tables of the synthetic layout give about 3,200 lines, over 250 KiB.
        _ = try ScaleCoreGenerator(pteTables: 40).write(to: path)

        var chunks: [String] = []
        _ = try Actions.listing(DumpRequest(core: path), table: .kernel, cpu: 0,
                                write: { chunks.append($0) }, diagnostic: { _ in })

        let (session, layout) = try Actions.open(DumpRequest(core: path))
        let spec = try #require(try layout.table(.kernel, session: session, cpu: 0))
        var formatter = X86PtdumpFormatter()
        var oneByOne = ""
        _ = walkEvents(spec, memory: session.memory) { oneByOne += formatter.format($0) }

        #expect(chunks.count > 3, "the listing spans several chunks")
        #expect(chunks.allSatisfy { $0.hasSuffix("\n") })
        #expect(chunks.dropLast().allSatisfy { $0.utf8.count >= 60_000 && $0.utf8.count <= 1 << 16 })
        #expect(chunks.joined() == oneByOne)
        #expect(oneByOne.split(separator: "\n").count > 3_000)
    }
}
