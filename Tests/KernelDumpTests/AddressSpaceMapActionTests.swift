import Foundation
import Testing
@testable import KernelDump
import PageTables

/// `kptdump map` on real kernels: the shipped sample, an arm64 kernel, and the
/// test kernel that maps one W+X page.
@Suite struct AddressSpaceMapActionTests {
    func snapshot(_ path: String) throws -> String {
        try Fixtures.decompressed(Fixtures.root.appendingPathComponent(path)).path
    }

    /// The `---[ NAME ]---` headers of our own listing, in order.
    func markerNames(_ snapshot: String, table: TableChoice = .kernel) throws -> [String] {
        try Fixtures.listing(snapshot: URL(fileURLWithPath: snapshot), table: table)
            .split(separator: "\n").filter { $0.hasPrefix("---[ ") }
            .map { String($0.dropFirst(5).dropLast(5)) }
    }

    func bands(_ svg: String) -> [String] {
        svg.split(separator: "<g class=\"band\" data-region=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    @Test func drawsTheShippedSample() throws {
        let core = try snapshot("x86_64/debian-stock-4level/snapshot.core.zst")
        let (svg, incomplete) = try Actions.map(DumpRequest(core: core))
        #expect(!incomplete)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("kernel page table of \(core)"))
        #expect(svg.contains("x86_64 · Linux 6.1.0-"))
        // One band per region the listing announces, in its order.
        let names = try markerNames(core)
        #expect(bands(svg) == names)
        #expect(names.contains("Low Kernel Mapping") && names.contains("ESPfix Area"))
        // The direct map is mostly 2M pages with some 4K: both shares shown.
        let lowKernel = try #require(svg.split(separator: "<g class=\"band\"").first { $0.contains("data-region=\"Low Kernel Mapping\"") })
        #expect(lowKernel.contains("class=\"share pte\"") && lowKernel.contains("class=\"share pmd\""))
        // The stock kernel passes its W+X check: nothing red.
        #expect(!svg.contains("class=\"wx\"><title>"))
        // Tooltips are the listing's own lines.
        let listing = try Fixtures.listing(snapshot: URL(fileURLWithPath: core), table: .kernel)
        let firstMapped = try #require(listing.split(separator: "\n").first { $0.contains(" RW ") })
        #expect(svg.contains("<title>\(firstMapped)</title>"))
        #expect(balanced(svg))
    }

    @Test func drawsAnArm64Kernel() throws {
        let core = try snapshot("arm64/4k-48/snapshot.core.zst")
        let (svg, incomplete) = try Actions.map(DumpRequest(core: core))
        #expect(!incomplete)
        #expect(bands(svg) == (try markerNames(core)))
        #expect(bands(svg).first == "Linear Mapping start")
        #expect(svg.contains("arm64 · "))
        #expect(balanced(svg))
    }

    @Test func theDeliberateWXPageIsRed() throws {
        let core = try snapshot("x86_64/custom-wx-failed/snapshot.core.zst")
        let (svg, incomplete) = try Actions.map(DumpRequest(core: core))
        #expect(!incomplete)
        let vmalloc = try #require(svg.split(separator: "<g class=\"band\"").first { $0.contains("data-region=\"vmalloc() Area\"") })
        #expect(vmalloc.contains("class=\"wx\"><title>"))
        #expect(vmalloc.contains(">1 W+X page<"))
        #expect(balanced(svg))
    }

    /// The command line writes the HTML page to the file -o names.
    @Test func commandWritesTheFile() throws {
        let core = try snapshot("x86_64/debian-stock-4level/snapshot.core.zst")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-map-\(getpid()).html")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CommandLineTests().run(["map", core, "--html", "-o", out.path])
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out.isEmpty)
        let page = try String(contentsOf: out, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(page.hasSuffix("</svg>\n</body></html>\n"))
        let bad = try CommandLineTests().run(["map", core, "--table", "nonsense"])
        #expect(bad.status != 0)
    }

    /// Every element that opens closes (the PageTables tests check the
    /// structure fully; here the counts must agree).
    func balanced(_ svg: String) -> Bool {
        func count(_ s: String) -> Int { svg.components(separatedBy: s).count - 1 }
        return count("<g ") == count("</g>") && count("<svg ") == 1 && count("</svg>") == 1
            && count("<title>") == count("</title>") && !svg.contains("& ")
    }
}
