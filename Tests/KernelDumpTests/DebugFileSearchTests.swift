import Foundation
import Testing
@testable import KernelDump

/// Finding a dump's vmlinux and System.map with no flags: a fake debug root
/// laid out like an installed -dbg package, with the test binary itself
/// standing in for vmlinux (an ELF with symbols and a build-id).
@Suite struct DebugFileSearchTests {
    static let release = "9.9.9-kptdump-test"

    /// A fresh directory under the temporary one.
    static func root(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-debugroot-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func place(_ source: String, at path: String, under root: URL) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: source)
    }

    /// The running test binary, and its build-id as hex.
    static func testBinary() throws -> (String, String) {
        let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let elf = try #require(try ElfFile.probe(path))
        let id = try #require(elf.buildID()).map { String($0, radix: 16).leftPadded(2) }.joined()
        return (path, id)
    }

    @Test func candidatesPutBuildIdFirstThenReleaseThenTheDumpsDirectory() {
        let search = DebugFileSearch(root: "/r/", dumpDirectory: "/var/crash/202611210501")
        let paths = search.vmlinuxCandidates(release: "6.1.0-56-amd64", buildID: "ABCDEF0123")
        #expect(paths.first == "/r/usr/lib/debug/.build-id/ab/cdef0123.debug")
        #expect(paths.contains("/r/usr/lib/debug/boot/vmlinux-6.1.0-56-amd64"))
        #expect(paths.suffix(2) == ["/var/crash/202611210501/vmlinux-6.1.0-56-amd64", "/var/crash/202611210501/vmlinux"])
        // A build-id that is not hex is not made into a path.
        #expect(!search.vmlinuxCandidates(release: nil, buildID: "../../etc").contains { $0.contains(".build-id") })
    }

    @Test func findsTheMatchingVmlinuxAndSkipsOthersWithTheirReason() throws {
        let (binary, id) = try Self.testBinary()
        let root = try Self.root("match")
        defer { try? FileManager.default.removeItem(at: root) }
        // At the build-id path: a stripped ELF (no symbols); by release: the real one.
        try Self.place("/bin/true", at: "usr/lib/debug/.build-id/\(id.prefix(2))/\(id.dropFirst(2)).debug", under: root)
        try Self.place(binary, at: "usr/lib/debug/boot/vmlinux-\(Self.release)", under: root)
        let info = VmcoreInfo(text: "OSRELEASE=\(Self.release)\nBUILD-ID=\(id)\n")
        var report = DebugFileReport()
        let found = KernelFacts.findVmlinux(DebugFileSearch(root: root.path), release: Self.release, info: info,
                                              dump: "dump", report: &report)
        #expect(found?.path == root.path + "/usr/lib/debug/boot/vmlinux-\(Self.release)")
        #expect(report.skipped.count == 1)
        #expect(report.skipped.first?.contains("no symbol table") == true || report.skipped.first?.contains("BUILD-ID") == true)
    }

    @Test func refusesAVmlinuxOfAnotherBuild() throws {
        let (binary, _) = try Self.testBinary()
        let root = try Self.root("mismatch")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.place(binary, at: "usr/lib/debug/boot/vmlinux-\(Self.release)", under: root)
        let info = VmcoreInfo(text: "OSRELEASE=\(Self.release)\nBUILD-ID=00112233445566778899aabbccddeeff00112233\n")
        var report = DebugFileReport()
        let found = KernelFacts.findVmlinux(DebugFileSearch(root: root.path), release: Self.release, info: info,
                                              dump: "dump", report: &report)
        #expect(found == nil)
        #expect(report.skipped.count == 1 && report.skipped[0].contains("does not match dump: BUILD-ID"))
    }

    @Test func skipsDebiansPlaceholderSystemMapAndTakesTheRealOne() throws {
        let root = try Self.root("map")
        defer { try? FileManager.default.removeItem(at: root) }
        let boot = root.appendingPathComponent("boot")
        try FileManager.default.createDirectory(at: boot, withIntermediateDirectories: true)
        try "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n"
            .write(to: boot.appendingPathComponent("System.map-\(Self.release)"), atomically: true, encoding: .utf8)
        let info = VmcoreInfo(text: "OSRELEASE=\(Self.release)\nSYMBOL(init_uts_ns)=ffffffff82bfb000\nKERNELOFFSET=1000000\n")
        var report = DebugFileReport()
        #expect(KernelFacts.findSystemMap(DebugFileSearch(root: root.path), release: Self.release, info: info, report: &report) == nil)
        #expect(report.skipped.first?.contains("placeholder") == true)

        // The -dbg package's own map: init_uts_ns plus the KASLR offset must be VMCOREINFO's.
        let debug = root.appendingPathComponent("usr/lib/debug/boot")
        try FileManager.default.createDirectory(at: debug, withIntermediateDirectories: true)
        var lines = (0..<200).map { String(format: "ffffffff81%06x T f%d", $0 * 16, $0) }
        lines.append("ffffffff81bfb000 D init_uts_ns")
        try lines.joined(separator: "\n").write(to: debug.appendingPathComponent("System.map-\(Self.release)"), atomically: true, encoding: .utf8)
        report = DebugFileReport()
        let map = KernelFacts.findSystemMap(DebugFileSearch(root: root.path), release: Self.release, info: info, report: &report)
        #expect(map?.path == debug.appendingPathComponent("System.map-\(Self.release)").path)

        // The same map against a dump whose init_uts_ns is elsewhere: skipped.
        let other = VmcoreInfo(text: "OSRELEASE=\(Self.release)\nSYMBOL(init_uts_ns)=ffffffff90000000\nKERNELOFFSET=1000000\n")
        report = DebugFileReport()
        #expect(KernelFacts.findSystemMap(DebugFileSearch(root: root.path), release: Self.release, info: other, report: &report)?.path == nil)
        #expect(report.skipped.contains { $0.contains("init_uts_ns is") })
    }
}
