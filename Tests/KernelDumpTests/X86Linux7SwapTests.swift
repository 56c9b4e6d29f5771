import Foundation
import Testing
@testable import KernelDump
import PageTables

/// x86-64 user entries on Linux 7.x (Resources/recipe/debian-stock-swap,
/// 7.x modes): Debian's stock 7.2 (DEVICE_PRIVATE=y, three device types:
/// the PTE marker is type 31 only with those three) and a 7.3 build without
/// DEVICE_PRIVATE; both victims hold swap on two devices, uffd-wp and guard
/// PTE markers, hwpoison, PROT_NONE and the zero page, with pagemap read
/// just before the dump.
@Suite struct X86Linux7SwapTests {
    @Test(arguments: ["x86_64/debian-7.2-stock-swap", "x86_64/7.3-swap"])
    func everyPageAgreesWithPagemap(fixture: String) throws {
        let judge = try PagemapJudge(fixture)
        #expect(judge.spec.architecture.decodesUserEntries)
        let counts = try judge.check()
        print("\(fixture) pagemap agreement by kind: \(counts.sorted { $0.key < $1.key })")
        #expect(counts["normal", default: 0] >= 500)
        #expect(counts["swap", default: 0] >= 24)
        #expect(counts["hwpoison"] == 1)
        #expect(counts["prot_none"] == 2)
        // Four uffd-wp markers and two guard markers, all named.
        #expect(counts["pte_marker"] == 6)
        #expect(counts["non_swap"] == nil)
        #expect(counts["uffd-wp entries", default: 0] >= 6)
        #expect(counts["guard markers"] == 2)
    }

    @Test func stock72NamesThreeDeviceTypes() throws {
        let judge = try PagemapJudge("x86_64/debian-7.2-stock-swap")
        let types = judge.types
        #expect(types.maxSwapfiles == 24)
        #expect(types.kind(of: 24) == .hwpoison)
        #expect(types.kind(of: 28) == .deviceWrite && types.kind(of: 29) == .deviceRead)
        #expect(types.kind(of: 30) == .deviceExclusive && types.kind(of: 31) == .pteMarker)
    }

    @Test(arguments: ["x86_64/debian-7.2-stock-swap", "x86_64/7.3-swap"])
    func checkWXGivesTheKernelsVerdict(fixture: String) throws {
        let dir = Fixtures.root.appendingPathComponent(fixture)
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        // "<6>[    2.874146] x86/mm: ..." (7.3's build prints no time: "<6>x86/mm: ...").
        let kernels = try String(contentsOf: dir.appendingPathComponent("wx-dmesg.txt"), encoding: .utf8)
            .split(separator: "\n").compactMap { line -> String? in
                guard let mm = line.range(of: "x86/mm: ") else { return nil }
                return String(line[mm.lowerBound...])
            }
        let report = try Actions.checkWX(DumpRequest(core: snapshot.path))
        let verdicts = report.tables.compactMap(\.verdict)
        #expect(!kernels.isEmpty && verdicts == kernels)
    }
}
