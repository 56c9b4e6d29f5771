import Foundation
import Testing
@testable import KernelDump

/// Every x86-64 capture whose kernel ran its boot-time W+X check (DEBUG_WX)
/// keeps the kernel's own lines in wx-check.txt: check-wx on the snapshot
/// must print the same verdicts, in order, with the PTI preface between
/// them ("Checking user space page tables", the user copy of init_top_pgt).
@Suite struct KernelWXVerdictTests {
    static var states: [String] {
        Fixtures.states("x86_64")
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("wx-check.txt").path) }
            .map(\.lastPathComponent)
    }

    @Test func enoughStatesRanTheCheck() {
        #expect(Self.states.filter { $0.hasPrefix("6.12-") }.count >= 6, "\(Self.states)")
    }

    @Test(arguments: states)
    func verdictsAreTheKernels(_ state: String) throws {
        let dir = Fixtures.root.appendingPathComponent("x86_64/\(state)")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        // "<6>x86/mm: ..." lines; the test module's own lines are not the check's.
        let kernels = try String(contentsOf: dir.appendingPathComponent("wx-check.txt"), encoding: .utf8)
            .split(separator: "\n").map { String($0.drop(while: { $0 != ">" }).dropFirst()) }
            .filter { $0.hasPrefix("x86/mm: ") }
        let report = try Actions.checkWX(DumpRequest(core: snapshot.path))
        let ours = report.tables.flatMap { [$0.preface, $0.verdict].compactMap { $0 } }
        #expect(ours == kernels)
    }
}
