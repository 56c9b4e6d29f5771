import Foundation
import Testing
@testable import KernelDump
import PageTables

/// A test kernel (Resources/recipe/x86_64-wx) with CONFIG_DEBUG_WX maps one
/// vmalloc page read-only at boot and, with kptdump_wx=1, one W+X page; a
/// debugfs write later makes the read-only page writable. Its own boot-time
/// verdict is in each state's wx-check.txt (from dmesg).
@Suite struct WXAndMomentTests {
    func snapshot(_ state: String) throws -> String {
        try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/\(state)/snapshot.core.zst")).path
    }

    func kernelLines(_ state: String) throws -> [String] {
        try String(contentsOf: Fixtures.root.appendingPathComponent("x86_64/\(state)/wx-check.txt"), encoding: .utf8)
            .split(separator: "\n").map { String($0.drop(while: { $0 != ">" }).dropFirst()) }
    }

    @Test(arguments: ["custom-wx-before", "custom-wx-failed", "custom-wx-second-boot"])
    func verdictIsTheKernelsOwn(_ state: String) throws {
        let report = try Actions.checkWX(DumpRequest(core: try snapshot(state)))
        let verdict = try #require(report.tables.first?.verdict)
        #expect(try kernelLines(state).contains(verdict), "\(state): \(verdict)")
        #expect(report.tables.count == 1, "no PTI in this kernel")
    }

    /// The deliberate W+X page is the one offender, at the address the kernel logged.
    @Test func theDeliberateWXPageIsNamed() throws {
        let report = try Actions.checkWX(DumpRequest(core: try snapshot("custom-wx-failed")))
        #expect(report.failed)
        let logged = try #require(try kernelLines("custom-wx-failed").first { $0.contains("W+X vmalloc page at") })
        let address = try #require(logged.split(separator: " ").first { $0.hasPrefix("ffff") })
        let offenders = try #require(report.tables.first?.offenders)
        #expect(offenders.count == 1)
        #expect(offenders.first?.hasPrefix("0x\(address)-") == true, "\(offenders)")
        #expect(offenders.first?.hasSuffix("W+X [vmalloc() Area]") == true)
    }

    /// Before and after the debugfs write: exactly the one page differs, read-only then writable.
    @Test func oneWritablePageIsTheOnlyDifference() throws {
        let outcome = try Actions.diff(DumpRequest(core: try snapshot("custom-wx-before")),
                                       DumpRequest(core: try snapshot("custom-wx-after")),
                                       table: .kernel, cpu: 0, details: true)
        #expect(!outcome.same)
        let before = try ParsedListing(text: String(contentsOf: Fixtures.root.appendingPathComponent("x86_64/custom-wx-before/page_tables/kernel.txt"), encoding: .utf8))
        let after = try ParsedListing(text: String(contentsOf: Fixtures.root.appendingPathComponent("x86_64/custom-wx-after/page_tables/kernel.txt"), encoding: .utf8))
        let diff = ListingDiff(before, after)
        #expect(diff.changes.count == 1)
        let change = try #require(diff.changes.first)
        let logged = try #require(try kernelLines("custom-wx-before").first { $0.contains("read-only vmalloc page at") })
        let address = try #require(logged.split(separator: " ").first { $0.hasPrefix("ffff") })
        #expect(hex(change.anchorA + change.offset) == "0x\(address)" && change.size == 4096)
        #expect(change.kind == .attributes && change.region == "vmalloc() Area")
        #expect(change.lineA?.attributes == ["ro", "GLB", "NX"] && change.lineB?.attributes == ["RW", "GLB", "NX"])
        // The dumps say the same as the kernel's own texts.
        #expect(outcome.report.contains("ranges: 1 difference in 1 region (1 attributes)"))
    }

    /// Two boots of one kernel with the same QEMU command: every randomised
    /// base differs, and only the direct map around the kernel image differs,
    /// because KASLR also placed the image elsewhere in physical memory (its
    /// read-only alias splits other 2M pages).
    @Test func twoBootsDifferOnlyInThePhysicalPlacementOfTheImage() throws {
        let outcome = try Actions.diff(DumpRequest(core: try snapshot("custom-wx-before")),
                                       DumpRequest(core: try snapshot("custom-wx-second-boot")),
                                       table: .kernel, cpu: 0, details: true)
        let a = try ParsedListing(text: String(contentsOf: Fixtures.root.appendingPathComponent("x86_64/custom-wx-before/page_tables/kernel.txt"), encoding: .utf8))
        let b = try ParsedListing(text: String(contentsOf: Fixtures.root.appendingPathComponent("x86_64/custom-wx-second-boot/page_tables/kernel.txt"), encoding: .utf8))
        let diff = ListingDiff(a, b)
        #expect(Set(diff.changes.map(\.region)) == ["Low Kernel Mapping"], "\(outcome.report)")
        #expect(!diff.changes.contains { $0.kind == .added || $0.kind == .removed })
        for name in ["Low Kernel Mapping", "vmalloc() Area", "Vmemmap"] {
            let first = { (l: ParsedListing) in l.regions.first { $0.name == name }?.lines.first?.start }
            #expect(first(a) != nil && first(a) != first(b), "\(name) starts at the same address in both boots")
        }
    }

    /// `--summary` counts what the kernel's own text shows: per region and page
    /// size, the bytes of its present lines (no region here is truncated but
    /// ESPfix, whose walk is full in the summary), and the W+X pages.
    @Test(arguments: ["custom-wx-before", "custom-wx-failed"])
    func summaryAddsUpTheKernelsLines(_ state: String) throws {
        var options = ListingOptions()
        options.output = .summary
        var text = ""
        _ = try Actions.listing(DumpRequest(core: try snapshot(state)), table: .kernel, cpu: 0, options: options,
                                write: { text += $0 }, diagnostic: { _ in })
        let kernel = try ParsedListing(text: String(contentsOf: Fixtures.root.appendingPathComponent("x86_64/\(state)/page_tables/kernel.txt"), encoding: .utf8))
        for region in kernel.regions where region.skipped == 0 {
            var parts: [String] = []
            let present = region.lines.filter(\.isPresent)
            let total = present.reduce(UInt64(0)) { $0 + $1.size }
            guard total > 0 else { continue }
            for (level, name) in [("pte", "4K"), ("pmd", "2M"), ("pud", "1G")] {
                let bytes = present.filter { $0.level == level }.reduce(UInt64(0)) { $0 + $1.size }
                if bytes > 0 { parts.append("\(name): \(bytes >> 10) kB") }
            }
            let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("  \(region.name) ") })
            var rest = Substring(row)
            for part in parts {
                let found = try #require(rest.range(of: part), "\(region.name): \(part) not in \(row)")
                rest = rest[found.upperBound...]
            }
        }
        #expect(text.hasSuffix("W+X pages: \(state == "custom-wx-failed" ? 1 : 0)\n"))
    }
}
