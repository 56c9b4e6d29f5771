import Foundation
import Testing
@testable import KernelDump
import PageTables

/// `diff` on real listings: the same state read through different dump
/// formats is the same, and two kernels differ only where they should.
@Suite struct RealDiffTests {
    func request(_ path: String, map: URL? = nil) -> DumpRequest {
        var r = DumpRequest(core: path, systemMap: map?.path)
        r.searchDebugFiles = false
        return r
    }

    /// The ELF snapshot of the same state, for kdump fixtures without the
    /// kernel's x86 text (our text parser reads x86's, arm64's and riscv's lines).
    static let elfOfState = [
        "debian-stock-makedumpfile": "x86_64/debian-stock-4level",
        "s390x-7.3-makedumpfile": "s390x/7.3-plain",
        "ppc64le-7.3-makedumpfile": "ppc64/7.3-radix-64k-pid",
    ]

    /// Each kdump file (makedumpfile and QEMU) against the kernel's own text of
    /// the same moment, and the others against the ELF dump of the same state.
    @Test(arguments: RealKdumpTests.cases)
    func kdumpAndElfOfOneStateAreTheSame(_ c: RealKdumpTests.Case) throws {
        let dir = RealKdumpTests.root.appendingPathComponent(c.state)
        let dump = try Fixtures.decompressed(dir.appendingPathComponent(c.dump))
        let map = dir.appendingPathComponent("System.map")
        let other: DumpRequest
        let text = dir.appendingPathComponent("page_tables/kernel.txt")
        let hasText = FileManager.default.fileExists(atPath: text.path)
        if hasText {
            other = request(text.path)
        } else {
            let state = try #require(Self.elfOfState[c.state], "\(c.state): no ELF dump of the same state named")
            let elf = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("\(state)/snapshot.core.zst"))
            other = request(elf.path)
        }
        // Only x86 (page_tables/kernel.txt, not kernel_page_tables.txt) has current tables.
        let onlyKernel = FileManager.default.fileExists(atPath: dir.appendingPathComponent("page_tables/kernel_page_tables.txt").path)
        let tables: [TableChoice] = onlyKernel ? [.kernel] : [.kernel, .currentKernel]
        for table in tables {
            let mine = table == .kernel || !hasText
                ? other : request(dir.appendingPathComponent("page_tables/current_kernel.txt").path)
            let outcome = try Actions.diff(request(dump.path, map: map), mine, table: table, cpu: 0, details: true)
            #expect(outcome.same, "\(c) \(table.rawValue):\n\(outcome.report)")
            #expect(outcome.report.contains("ranges: no differences"))
        }
    }

    /// powerpc's text (inclusive ends; 7.x with level names, 6.12 without) and
    /// s390's (holes as `I`) read back: the kernel's own file and the snapshot
    /// of the same moment are the same listing.
    @Test(arguments: ["ppc64/7.3-radix-64k", "ppc64/7.3-hash-64k", "ppc64/6.12-radix-64k", "ppc64/6.12-hash-64k",
                      "s390x/6.12-plain", "s390x/7.3-plain", "s390x/7.3-r2"])
    func kernelsTextOfOtherFormsEqualsTheDump(_ state: String) throws {
        let dir = Fixtures.root.appendingPathComponent(state)
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let text = dir.appendingPathComponent("page_tables/kernel_page_tables.txt")
        let outcome = try Actions.diff(request(snapshot.path), request(text.path), table: .kernel, cpu: 0, details: true)
        #expect(outcome.same, "\(state):\n\(outcome.report)")
        #expect(outcome.report.contains("ranges: no differences"))
        let parsed = try ParsedListing(text: String(contentsOf: text, encoding: .utf8))
        #expect(parsed.lineCount > 20)
    }

    /// A level-less powerpc 6.12 line still differs by its flags: the same text
    /// with one range's `w` taken away is reported as a change of attributes.
    @Test func levelLessPowerpcLinesStillDifferByFlags() throws {
        let dir = Fixtures.root.appendingPathComponent("ppc64/6.12-radix-64k")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let text = try String(contentsOf: dir.appendingPathComponent("page_tables/kernel_page_tables.txt"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.hasPrefix("0x") && $0.contains("  w  ") })
        lines[index] = lines[index].replacingOccurrences(of: "  w  ", with: "     ")
        let edited = FileManager.default.temporaryDirectory.appendingPathComponent("ppc64-6.12-edited-\(getpid()).txt")
        try lines.joined(separator: "\n").write(to: edited, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: edited) }
        let outcome = try Actions.diff(request(snapshot.path), request(edited.path), table: .kernel, cpu: 0, details: true)
        #expect(!outcome.same)
        #expect(outcome.report.contains("attributes"), "\(outcome.report)")
    }

    /// Two boots of one kernel, both 4-level and 1 GiB but with 2 CPUs and 1,
    /// then 4-level against 5-level: the randomised bases (page_offset_base,
    /// vmalloc_base, vmemmap_base, the kernel text) cause no difference. What
    /// remains is the second CPU's entry area and the direct map around the
    /// kernel image, whose physical place KASLR also randomises (its read-only
    /// alias splits other 2M pages).
    @Test func fourLevelAgainstFiveLevelDiffersOnlyWhereExpected() throws {
        let four = Fixtures.root.appendingPathComponent("kdump/custom-4level-qemu/page_tables/kernel.txt")
        let five = Fixtures.root.appendingPathComponent("x86_64/custom-5level/page_tables/kernel.txt")
        let a = try ParsedListing(text: String(contentsOf: four, encoding: .utf8))
        let b = try ParsedListing(text: String(contentsOf: five, encoding: .utf8))
        let diff = ListingDiff(a, b)
        #expect(diff.regionChanges.isEmpty)
        #expect(Set(diff.changes.map(\.region)) == ["Low Kernel Mapping", "CPU entry Area"])
        // CPU 1's entry area exists only in A.
        #expect(diff.changes.filter { $0.region == "CPU entry Area" }.allSatisfy { $0.kind == .removed })
        // In the direct map, no stretch is mapped on one side only: 1 GiB each.
        #expect(!diff.changes.contains { $0.region == "Low Kernel Mapping" && ($0.kind == .added || $0.kind == .removed) })
        // Without the randomisation, every region's first mapped line would
        // differ: the anchors are far apart.
        #expect(a.regions[3].lines[0].start != b.regions[3].lines[0].start)
    }

    /// Our JSON output read back is the same listing as the kernel's text.
    @Test func jsonOutputDiffsCleanAgainstTheKernelsText() throws {
        let dir = Fixtures.root.appendingPathComponent("x86_64/custom-pti")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        var options = ListingOptions()
        options.output = .json
        var json = ""
        _ = try Actions.listing(request(snapshot.path), table: .kernel, cpu: 0, options: options,
                                write: { json += $0 }, diagnostic: { _ in })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-\(UUID().uuidString).json")
        try json.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let outcome = try Actions.diff(request(path.path), request(dir.appendingPathComponent("page_tables/kernel.txt").path),
                                       table: .kernel, cpu: 0, details: true)
        #expect(outcome.same, "\(outcome.report)")
        #expect(outcome.report.contains("(kptdump JSON)"))
    }
}
