import Foundation
import Testing
@testable import KernelDump
import PageTables

/// Real panics of a 6.1 kernel built with PTDUMP_DEBUGFS, kallsyms and BTF
/// (Resources/recipe/kdump-custom), captured by a real kdump kernel and cut
/// down with kdump-subset.py. Right before it panicked, the crasher read the
/// kernel's own page_tables/kernel, current_kernel and current_user on the
/// panicking CPU (twice: both readings were identical) and printed them: the
/// judge here is the kernel's text, and kptdump reads the dump alone (no
/// vmlinux, no System.map).
@Suite struct RealPanicOwnListingTests {
    static let root = Fixtures.root.appendingPathComponent("real-panic-custom")
    static var states: [String] { Fixtures.states("real-panic-custom").map(\.lastPathComponent) }

    static func text(_ state: String, _ name: String) throws -> String {
        try String(contentsOf: try Fixtures.decompressed(root.appendingPathComponent(state).appendingPathComponent(name + ".zst")), encoding: .utf8)
    }

    static func request(_ state: String) throws -> DumpRequest {
        var request = DumpRequest(core: try Fixtures.decompressed(root.appendingPathComponent(state).appendingPathComponent("vmcore-subset.kdump.zst")).path)
        request.searchDebugFiles = false
        return request
    }

    @Test func bothStatesArePresent() {
        #expect(Self.states == ["nopti-cpu0", "pti-cpu0"])
    }

    /// No --cpu: the panicking CPU's tables, the ones the crasher's own reads showed.
    @Test(arguments: states)
    func everyTableFromTheDumpAloneIsTheKernelsOwn(state: String) throws {
        let truth = try Self.text(state, "truth.txt")
        let crasher = try #require(truth.split(separator: "\n").first { $0.hasPrefix("crasher ") })
        let pid = try #require(crasher.split(separator: " ").first { $0.hasPrefix("pid=") }).dropFirst(4)
        let (session, _) = try Actions.open(try Self.request(state))
        #expect(session.symbols.sources.first?.hasPrefix("the dump's kallsyms") == true)
        for (table, file) in [(TableChoice.kernel, "kernel.txt"), (.currentKernel, "current_kernel.txt"), (.currentUser, "current_user.txt")] {
            var ours = ""
            var origin = ""
            let result = try Actions.listing(try Self.request(state), table: table, cpu: defaultCPU, write: { ours += $0 },
                                             diagnostic: { if $0.hasPrefix(table.rawValue + ":") { origin = $0 } })
            let comparison = LineComparison(ours: ours, kernels: try Self.text(state, file))
            #expect(comparison.differing == 0, "\(state) \(file): \(comparison)")
            #expect(comparison.lines > 100)
            #expect(result.problems.isEmpty)
            if table != .kernel { #expect(origin.contains("CPU 0 (panicked): pid \(pid) (ptcrasher)"), "\(origin)") }
        }
    }
}
