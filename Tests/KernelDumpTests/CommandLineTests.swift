import Foundation
import Testing

/// Runs the built `kptdump` binary as a user would.
@Suite struct CommandLineTests {
    static var binary: URL {
        // The test bundle lives in .build/<config>/; the binary sits beside it.
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kptdump").path) {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("kptdump")
    }

    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func listsTheShippedSample() throws {
        let sample = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/debian-stock-4level/snapshot.core.zst"))
        let r = try run(["--core", sample.path])
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out.hasPrefix("---[ User Space ]---\n"))
        #expect(r.out.contains("---[ High Kernel Mapping ]---\n"))
        // The final flush is at address 0: the last range ends at 0x0000000000000000.
        #expect(r.out.split(separator: "\n").last?.dropFirst(18).hasPrefix("-0x0000000000000000   ") == true)
    }

    @Test func currentTableSaysWhichCPUAndCR3() throws {
        let sample = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/debian-stock-4level/snapshot.core.zst"))
        let r = try run(["--core", sample.path, "--table", "current-kernel", "--cpu", "1"])
        #expect(r.status == 0)
        #expect(r.err.contains("current-kernel: CPU 1: CR3 0x"))
        let bad = try run(["--core", sample.path, "--table", "current-kernel", "--cpu", "7"])
        #expect(bad.status == 2)
        #expect(bad.err.contains("no saved CR3 for CPU 7 (the dump has 2 CPU register notes with CR3)"))
    }

    /// `kptdump DUMP` as kdump-tools users type it, on a makedumpfile dump,
    /// and `info --json` on the same file.
    @Test func positionalKdumpDumpAndInfoJSON() throws {
        let dir = Fixtures.root.appendingPathComponent("kdump/custom-4level-makedumpfile")
        let dump = try Fixtures.decompressed(dir.appendingPathComponent("zlib-d31.kdump.zst"))
        let map = dir.appendingPathComponent("System.map").path
        let r = try run([dump.path, "--system-map", map])
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out == (try String(contentsOf: dir.appendingPathComponent("page_tables/kernel.txt"), encoding: .utf8)))
        let both = try run([dump.path, "--core", "/other/dump"])
        #expect(both.status != 0 && both.err.contains("two dumps given"))
        let info = try run(["info", "--json", dump.path, "--system-map", map])
        #expect(info.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(info.out.utf8)) as? [String: Any]
        #expect((object?["format"] as? String)?.hasPrefix("kdump-compressed") == true)
        #expect((object?["format"] as? String)?.contains("dump level 31") == true)
        #expect(object?["architecture"] as? String == "x86_64")
    }

    @Test func badInputExitsTwoWithOneMessage() throws {
        let r = try run(["--core", "/nonexistent/vmcore"])
        #expect(r.status == 2)
        #expect(r.err == "kptdump: /nonexistent/vmcore: cannot open: No such file or directory\n")
        #expect(r.out.isEmpty)
    }

    @Test func helpNamesTheTablesAndExitStatuses() throws {
        let r = try run(["--help"])
        #expect(r.status == 0)
        #expect(r.out.contains("Exit status"))
        let list = try run(["list", "--help"])
        #expect(list.out.contains("current-kernel"))
    }

    /// diff's exit statuses are diff(1)'s: 0 same, 1 different, 2 trouble.
    @Test func diffExitStatuses() throws {
        let text = Fixtures.root.appendingPathComponent("x86_64/custom-4level/page_tables/kernel.txt")
        let same = try run(["diff", text.path, text.path])
        #expect(same.status == 0, "\(same.err)")
        #expect(same.out.contains("ranges: no differences"))
        let changed = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: changed) }
        let original = try String(contentsOf: text, encoding: .utf8)
        // Only the first such line: the direct map's executable page.
        let line = try #require(original.range(of: "4K     ro                 GLB x  pte"))
        try original.replacingCharacters(in: line, with: "4K     RW                 GLB x  pte")
            .write(to: changed, atomically: true, encoding: .utf8)
        let differ = try run(["diff", "--details", text.path, changed.path])
        #expect(differ.status == 1)
        #expect(differ.out.contains("ranges: 1 difference in 1 region (1 attributes)"), "\(differ.out)")
        #expect(differ.out.contains("attributes  [Low Kernel Mapping]"))
        let missing = try run(["diff", text.path, "/nonexistent/listing"])
        #expect(missing.status == 2 && missing.err.contains("/nonexistent/listing: cannot open"))
        let one = try run(["diff", text.path])
        #expect(one.status != 0 && one.err.contains("diff needs two inputs"))
    }

    @Test func checkWXVtopAndJSONOnTheSample() throws {
        let sample = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/debian-stock-4level/snapshot.core.zst"))
        let wx = try run(["check-wx", sample.path])
        #expect(wx.status == 0, "\(wx.err)")
        #expect(wx.out == "x86/mm: Checked W+X mappings: passed, no W+X pages found.\n")
        let mapped = try run(["vtop", "--core", sample.path, "--table", "current-kernel", "0xffffffffff5fd000"])
        #expect(mapped.err.isEmpty)
        let unmapped = try run(["vtop", "--core", sample.path, "0x1000"])
        #expect(unmapped.status == 1)
        #expect(unmapped.out.hasSuffix("not mapped (pgd entry not present)\n"))
        let json = try run(["--core", sample.path, "--json", "--filter", "!NX"])
        #expect(json.status == 0)
        let lines = json.out.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(o?["executable"] as? Bool == true && o?["present"] as? Bool == true)
        }
        let failed = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/custom-wx-failed/snapshot.core.zst"))
        let wxFailed = try run(["check-wx", failed.path])
        #expect(wxFailed.status == 1)
        #expect(wxFailed.out.hasPrefix("x86/mm: Checked W+X mappings: FAILED, 1 W+X pages found.\n"))
        let badRange = try run(["--core", sample.path, "--range", "no such region"])
        #expect(badRange.status == 2 && badRange.err.contains("its markers are: User Space"))
    }
}
