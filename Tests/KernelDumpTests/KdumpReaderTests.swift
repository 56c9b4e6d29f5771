import Foundation
import Testing
@testable import KernelDump
import PageTables

/// kdump-compressed dumps written from real fixtures by our test writer (all
/// four codecs, raw pages, the flattened form, zero pages left out) must list
/// exactly what the kernel printed for that state.
@Suite struct KdumpReaderTests {
    struct Case: CustomStringConvertible, Sendable {
        var fixture: String
        var file: String
        var table: TableChoice
        var codec: PageCodec?
        var flattened = false
        var excludeZero = false
        /// makedumpfile on a big-endian machine writes big-endian headers.
        var bigEndian = false
        var description: String {
            "\(fixture)/\(file) \(codec?.description ?? "raw")\(flattened ? " flattened" : "")\(excludeZero ? " -d 1" : "")\(bigEndian ? " big-endian" : "")"
        }
    }

    static let cases: [Case] = [
        Case(fixture: "x86_64/custom-4level", file: "kernel.txt", table: .kernel, codec: .zlib),
        Case(fixture: "x86_64/custom-4level", file: "current_user.txt", table: .currentUser, codec: .lzo),
        Case(fixture: "x86_64/custom-4level", file: "kernel.txt", table: .kernel, codec: .snappy),
        Case(fixture: "x86_64/custom-4level", file: "kernel.txt", table: .kernel, codec: .zstd),
        Case(fixture: "x86_64/custom-4level", file: "kernel.txt", table: .kernel, codec: nil),
        Case(fixture: "x86_64/custom-pti", file: "current_user.txt", table: .currentUser, codec: .zlib, flattened: true),
        Case(fixture: "x86_64/custom-5level", file: "kernel.txt", table: .kernel, codec: .zstd, excludeZero: true),
        Case(fixture: "arm64/64k-52", file: "kernel_page_tables.txt", table: .kernel, codec: .snappy, flattened: true),
        Case(fixture: "riscv64/sv48", file: "kernel_page_tables.txt", table: .kernel, codec: .lzo, excludeZero: true),
        Case(fixture: "s390x/6.12-plain", file: "kernel_page_tables.txt", table: .kernel, codec: .zlib, bigEndian: true),
        Case(fixture: "s390x/6.12-r2", file: "kernel_page_tables.txt", table: .kernel, codec: .lzo, flattened: true, bigEndian: true),
        Case(fixture: "ppc64/6.12-radix-64k", file: "kernel_page_tables.txt", table: .kernel, codec: .zstd),
    ]

    static func write(_ c: Case) throws -> URL {
        let dir = Fixtures.root.appendingPathComponent(c.fixture)
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let dump = try DumpFile(path: snapshot.path)
        let info = VmcoreInfo(text: String(decoding: dump.notes.first { $0.name == "VMCOREINFO" }?.descriptor ?? [], as: UTF8.self))
        let pageSize = Int(info.pageSize ?? 4096)
        let machine = ["x86_64": "x86_64", "arm64": "aarch64", "riscv64": "riscv64", "s390x": "s390x", "ppc64": "ppc64le"][String(c.fixture.split(separator: "/")[0])]!
        let out = FileManager.default.temporaryDirectory
            .appendingPathComponent("kptdump-kdump-\(getpid())-\(UUID().uuidString)")
        let writer = KdumpWriter(codec: c.codec, flattened: c.flattened, excludeZeroPages: c.excludeZero, bigEndian: c.bigEndian)
        try writer.write(from: dump, pageSize: pageSize, release: info.osRelease ?? "", machine: machine, to: out)
        return out
    }

    @Test(arguments: cases)
    func listingEqualsTheKernels(_ c: Case) throws {
        let kdump = try Self.write(c)
        defer { try? FileManager.default.removeItem(at: kdump) }
        let dump = try DumpFile(path: kdump.path)
        guard case .kdump(let header, _, let flattened) = dump.format else {
            Issue.record("\(c): not read as kdump-compressed")
            return
        }
        #expect(flattened == c.flattened)
        #expect(header.byteOrder == (c.bigEndian ? .big : .little))
        #expect(header.codecs == (c.codec.map { [$0] } ?? []))
        let kernels = try String(contentsOf: Fixtures.root.appendingPathComponent("\(c.fixture)/page_tables/\(c.file)"), encoding: .utf8)
        var ours = ""
        let result = try Actions.listing(DumpRequest(core: kdump.path), table: c.table, cpu: 0,
                                         write: { ours += $0 }, diagnostic: { _ in })
        let comparison = LineComparison(ours: ours, kernels: kernels)
        print("kdump \(c): \(comparison); \(result.zeroFilledTables.count) table pages read as left-out zero pages")
        // Leaving zero pages out must leave some table pages out here, or the
        // case would not test the zero-filling at all.
        #expect((result.zeroFilledTables.count > 0) == c.excludeZero)
        #expect(comparison.lines > 10)
        #expect(ours == kernels, "\(comparison)")
    }
}
