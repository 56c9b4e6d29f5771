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
}
