import Foundation
import Testing
@testable import KernelDump
import PageTables

/// Debian's stock 6.12 kernel, a release none of the code was written
/// against (Resources/recipe/debian-stock-swap with KVER=6.12...): the same
/// victim as on 6.1, its /proc/PID/pagemap read just before the dump, and the
/// kernel's boot-time W+X verdict from dmesg.
@Suite struct Debian612Tests {
    static let fixture = "x86_64/debian-6.12-swap"

    /// From 6.6, bit 58 is _PAGE_SAVED_DIRTY, which every write-protected dirty
    /// page carries (THP, uffd-wp, copy-on-write), and devmap is bit 57: read
    /// with 6.1's bits, 557 of the 561 present pages were "devmap".
    @Test func everyPageAgreesWithPagemap() throws {
        let judge = try PagemapJudge(Self.fixture)
        #expect(judge.pages.count > 600)
        #expect(judge.spec.architecture.decodesUserEntries)
        let counts = try judge.check()
        print("\(Self.fixture) pagemap agreement by kind: \(counts.sorted { $0.key < $1.key })")
        #expect(counts["normal", default: 0] >= 500)
        #expect(counts["swap", default: 0] >= 16)
        #expect(counts["hwpoison"] == 1)
        #expect(counts["prot_none"] == 2)
        // 6.2 folded the swapin error into the PTE marker: one leftover type.
        #expect(counts["pte_marker", default: 0] >= 1)
        #expect(counts["devmap"] == nil)
    }

    @Test func checkWXGivesTheKernelsVerdict() throws {
        let dir = Fixtures.root.appendingPathComponent(Self.fixture)
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        // "<6>[    2.874146] x86/mm: Checked W+X mappings: ..." without level and time.
        let kernels = try String(contentsOf: dir.appendingPathComponent("wx-dmesg.txt"), encoding: .utf8)
            .split(separator: "\n").compactMap { line in line.range(of: "] ").map { String(line[$0.upperBound...]) } }
        let report = try Actions.checkWX(DumpRequest(core: snapshot.path))
        let verdicts = report.tables.compactMap(\.verdict)
        #expect(!kernels.isEmpty && verdicts.count == kernels.count)
        #expect(verdicts == kernels)
    }
}
