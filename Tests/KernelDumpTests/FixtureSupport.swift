import Foundation
@testable import KernelDump
import PageTables

/// Real-kernel fixtures under Resources/fixtures/<arch>/<state>/: a snapshot of
/// the dump (zstd), the kernel's own page_tables text captured at the same
/// moment, and for the stock kernel QEMU's `info tlb`.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Resources/fixtures")

    /// Fixture directories for an architecture, sorted.
    static func states(_ arch: String) -> [URL] {
        let dir = root.appendingPathComponent(arch)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent($0) }
    }

    /// Decompresses `file.zst` into a temporary file once per process run.
    static func decompressed(_ file: URL) throws -> URL {
        let out = FileManager.default.temporaryDirectory
            .appendingPathComponent("kptdump-fixture-\(getpid())-\(file.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent)-\(file.deletingLastPathComponent().lastPathComponent)-\(file.deletingPathExtension().lastPathComponent)")
        if FileManager.default.fileExists(atPath: out.path) { return out }
        // Tests run in parallel: decompress under a private name, then rename,
        // so no test ever sees a half-written file.
        let partial = out.appendingPathExtension("part-\(UUID().uuidString)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["zstd", "-d", "-q", "-f", file.path, "-o", partial.path]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw FixtureError.zstd(file.path) }
        guard rename(partial.path, out.path) == 0 else { throw FixtureError.zstd(file.path) }
        return out
    }

    enum FixtureError: Error { case zstd(String) }

    /// Our listing of `table` from a snapshot, as a string.
    static func listing(snapshot: URL, table: TableChoice, cpu: Int = 0) throws -> String {
        var text = ""
        _ = try Actions.listing(DumpRequest(core: snapshot.path), table: table, cpu: cpu,
                                write: { text += $0 }, diagnostic: { _ in })
        return text
    }
}

/// Counts of a line-by-line comparison.
struct LineComparison: CustomStringConvertible {
    var lines: Int
    var differing: Int
    var firstDifference: String?

    init(ours: String, kernels: String) {
        let a = ours.split(separator: "\n", omittingEmptySubsequences: false)
        let b = kernels.split(separator: "\n", omittingEmptySubsequences: false)
        lines = max(a.count, b.count) - 1
        differing = 0
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : "<missing>"
            let y = i < b.count ? b[i] : "<missing>"
            if x != y {
                differing += 1
                if firstDifference == nil { firstDifference = "line \(i + 1):\n  ours:   \(x)\n  kernel: \(y)" }
            }
        }
    }

    var description: String {
        "\(lines) lines, \(differing) differing" + (firstDifference.map { "; first at \($0)" } ?? "")
    }
}
