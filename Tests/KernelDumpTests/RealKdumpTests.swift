import Foundation
import Testing
@testable import KernelDump
import PageTables

/// kdump-compressed dumps written by the real tools (makedumpfile 1.7.2 with
/// -c/-l, -d 0/31, -F, on x86_64 and, big-endian, s390x's own build run under
/// qemu-user; QEMU 7.2's kdump-zlib), cut down to the pages the walk
/// reads with Resources/recipe/kdump/kdump-subset.py (header, notes, 1st bitmap
/// and every kept page's compressed bytes are the tools' own). Symbols come
/// from a System.map holding only what the listing needs.
@Suite struct RealKdumpTests {
    struct Case: CustomStringConvertible, Sendable {
        var state: String
        var dump: String
        var description: String { "kdump/\(state)/\(dump)" }
    }

    static let root = Fixtures.root.appendingPathComponent("kdump")

    static var cases: [Case] {
        Fixtures.states("kdump").flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
                .filter { $0.hasSuffix(".zst") }.sorted()
                .map { Case(state: dir.lastPathComponent, dump: $0) }
        }
    }

    static let tables: [(String, TableChoice)] = [
        ("kernel.txt", .kernel), ("current_kernel.txt", .currentKernel), ("current_user.txt", .currentUser),
        ("kernel_page_tables.txt", .kernel),
    ]

    @Test func everyCodecAndFormIsCovered() {
        let names = Self.cases.map(\.dump)
        #expect(names.contains { $0.hasPrefix("zlib") } && names.contains { $0.hasPrefix("lzo") })
        #expect(names.contains { $0.contains(".flat") })
        #expect(names.contains { $0.contains("-d31") })
        #expect(Set(Self.cases.map(\.state)).count >= 4)
        // makedumpfile on a big-endian machine writes big-endian headers.
        #expect(Self.cases.contains { $0.state.hasPrefix("s390x") })
    }

    func listing(_ dump: URL, map: URL, table: TableChoice) throws -> (String, ListingResult) {
        var request = DumpRequest(core: dump.path, systemMap: map.path)
        request.searchDebugFiles = false
        var text = ""
        let result = try Actions.listing(request, table: table, cpu: 0, write: { text += $0 }, diagnostic: { _ in })
        return (text, result)
    }

    @Test(arguments: cases)
    func listingIsTheKernelsOrTheElfDumps(_ c: Case) throws {
        let dir = Self.root.appendingPathComponent(c.state)
        let dump = try Fixtures.decompressed(dir.appendingPathComponent(c.dump))
        let file = try DumpFile(path: dump.path)
        guard case .kdump(let header, _, let flattened) = file.format else {
            Issue.record("\(c): not read as kdump-compressed")
            return
        }
        // The file name says what the tool was asked for.
        #expect(flattened == c.dump.contains(".flat"))
        #expect(header.codecs.map(\.description) == [String(c.dump.prefix { $0 != "-" && $0 != "." })])
        if c.dump.contains("-d31") { #expect(header.dumpLevel == 31) }
        #expect(header.byteOrder == (c.state.hasPrefix("s390x") ? .big : .little))

        let map = dir.appendingPathComponent("System.map")
        let textFiles = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("page_tables").path)) ?? []
        var compared = 0
        for (file, table) in Self.tables {
            let expected: String
            let textFile = dir.appendingPathComponent("page_tables/\(file)")
            if let text = try? String(contentsOf: textFile, encoding: .utf8) {
                expected = text
            } else if c.state.hasPrefix("debian-stock") && file != "kernel_page_tables.txt" {
                // The stock kernel prints no listing: the same state's ELF
                // dump (its fixture is checked against QEMU's info tlb) is the reference.
                let elf = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/debian-stock-4level/snapshot.core.zst"))
                expected = try Fixtures.listing(snapshot: elf, table: table)
            } else {
                continue
            }
            let (ours, result) = try listing(dump, map: map, table: table)
            let comparison = LineComparison(ours: ours, kernels: expected)
            print("\(c) \(file): \(comparison)")
            #expect(comparison.lines > 10)
            #expect(result.problems.isEmpty)
            #expect(ours == expected, "\(comparison)")
            compared += 1
        }
        // Every text the kernel printed is compared; the stock kernel's three tables otherwise.
        #expect(compared == (textFiles.isEmpty ? 3 : textFiles.count))
    }
}
