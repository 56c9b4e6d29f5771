import Foundation
import Testing
@testable import KernelDump

/// Every capture whose kernel ran its boot-time W+X check (DEBUG_WX) keeps
/// the kernel's own lines in wx-check.txt: check-wx on the snapshot must print
/// the same verdicts, in order, with x86's PTI preface between them
/// ("Checking user space page tables", the user copy of init_top_pgt).
@Suite struct KernelWXVerdictTests {
    static var states: [String] {
        kernelArchitectures.map(\.name).flatMap { arch in
            Fixtures.states(arch)
                .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("wx-check.txt").path) }
                .map { "\(arch)/\($0.lastPathComponent)" }
        }
    }

    @Test func enoughStatesRanTheCheck() {
        #expect(Self.states.filter { $0.hasPrefix("x86_64/6.12-") }.count >= 6, "\(Self.states)")
    }

    /// The check's own lines of a console or dmesg excerpt, without the log
    /// level ("<6>") and time stamp ("[    2.87] "); a test module's are not.
    static func checkLines(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            var rest = Substring(line)
            if rest.hasPrefix("<"), let close = rest.firstIndex(of: ">") { rest = rest[rest.index(after: close)...] }
            if rest.hasPrefix("["), let close = rest.range(of: "] ") { rest = rest[close.upperBound...] }
            let text = String(rest)
            return text.contains("W+X mappings:") || text.hasSuffix("Checking user space page tables") ? text : nil
        }
    }

    @Test(arguments: states)
    func verdictsAreTheKernels(_ state: String) throws {
        let dir = Fixtures.root.appendingPathComponent(state)
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let kernels = Self.checkLines(try String(contentsOf: dir.appendingPathComponent("wx-check.txt"), encoding: .utf8))
        let report = try Actions.checkWX(DumpRequest(core: snapshot.path))
        let ours = report.tables.flatMap { [$0.preface, $0.verdict].compactMap { $0 } }
        #expect(ours == kernels)
    }

    /// A snapshot made before snapshots kept the PTI user copy of
    /// init_top_pgt (the 6.1 W+X captures, whose kernels ran with PTI off)
    /// cannot tell PTI's state: check-wx says so rather than staying silent;
    /// one made now keeps the page and warns of nothing.
    @Test func aMissingPTIUserCopyIsSaid() throws {
        let old = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/custom-wx-failed/snapshot.core.zst"))
        let oldReport = try Actions.checkWX(DumpRequest(core: old.path))
        #expect(oldReport.warnings.contains { $0.hasPrefix("the PTI user copy of the PGD at ") })
        #expect(oldReport.tables.count == 1)
        let new = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/6.12-pti/snapshot.core.zst"))
        let newReport = try Actions.checkWX(DumpRequest(core: new.path))
        #expect(!newReport.warnings.contains { $0.contains("PTI user copy") })
        #expect(newReport.tables.count == 2)
    }
}
