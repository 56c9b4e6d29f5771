import Foundation
import Testing
@testable import KernelDump
import PageTables
import TestSupport

/// Dump files synthesised in code: good ones open, bad ones give one clear message.
@Suite struct ElfCoreReaderTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-test-\(getpid())-\(name)").path
    }

    static func vmcoreinfo(_ extra: String = "") -> ElfFile.Note {
        let text = """
            OSRELEASE=6.1.0-test
            PAGESIZE=4096
            SYMBOL(init_top_pgt)=ffffffff82000000
            NUMBER(phys_base)=0
            NUMBER(pgtable_l5_enabled)=0
            KERNELOFFSET=0
            NUMBER(KERNEL_IMAGE_SIZE)=1073741824
            \(extra)
            """
        return ElfFile.Note(name: "VMCOREINFO", type: 0, descriptor: Array(text.utf8))
    }

    /// A core whose kernel table (PGD at 0x2000000) maps one 4K page.
    static func writeCore(_ name: String, notes: [ElfFile.Note] = [vmcoreinfo()]) throws -> String {
        let m = SparseMemory()
        m.write(0x200_0000 + 273 * 8, value: 0x200_1063)
        m.write(0x200_1000, value: 0x200_2063)
        m.write(0x200_2000, value: 0x200_3063)
        m.write(0x200_3000, value: 0x5000 | 0x163 | 1 << 63)
        let ranges = m.pages.keys.sorted().map { (start: $0, bytes: m.pages[$0]!) }
        let path = temporaryPath(name)
        try SnapshotWriter(machine: 62, notes: notes, ranges: ranges).write(to: path)
        return path
    }

    func message(_ request: DumpRequest) -> String? {
        do {
            _ = try Actions.open(request)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func synthesisedCoreListsItsOneMapping() throws {
        let path = try Self.writeCore("good")
        var text = ""
        let result = try Actions.listing(DumpRequest(core: path), table: .kernel, cpu: 0, write: { text += $0 }, diagnostic: { _ in })
        #expect(result.problems.isEmpty)
        #expect(text.contains("0xffff888000000000-0xffff888000001000           4K     RW                 GLB NX pte\n"))
        // Without address_markers and symbols the markers are computed.
        #expect(text.hasPrefix("---[ User Space ]---\n"))
    }

    @Test func notADumpFile() throws {
        let path = Self.temporaryPath("not-elf")
        try Data("hello, this is not a dump".utf8).write(to: URL(fileURLWithPath: path))
        #expect(message(DumpRequest(core: path)) == "\(path): not a dump kptdump reads (ELF core, kdump-compressed \"KDUMP\", or flattened \"makedumpfile\"); it starts with 68 65 6c 6c 6f 2c 20 74")
    }

    @Test func missingFile() {
        let path = Self.temporaryPath("does-not-exist")
        #expect(message(DumpRequest(core: path)) == "\(path): cannot open: No such file or directory")
    }

    @Test func elfButNotACore() throws {
        let path = try Self.writeCore("exec")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[16] = 2   // ET_EXEC
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(message(DumpRequest(core: path)) == "\(path): ELF file of type 2, not a core dump (ET_CORE = 4)")
    }

    @Test func truncatedSegmentsAreMarkedNotFatal() throws {
        let path = try Self.writeCore("truncated")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 4096 - 100).write(to: URL(fileURLWithPath: path))
        var text = ""
        var diagnostics: [String] = []
        let result = try Actions.listing(DumpRequest(core: path), table: .kernel, cpu: 0,
                                         write: { text += $0 }, diagnostic: { diagnostics.append($0) })
        #expect(!result.problems.isEmpty)
        #expect(diagnostics.contains { $0.contains("truncated: PT_LOAD at offset") })
        // The PMD table lost its last 100 bytes: the PUD entry pointing at it is marked.
        #expect(text.contains("0xffff888000000000-0xffff888040000000           1G !! table 0x2002000 not in dump pud\n"))
    }

    /// One note segment and four pages: five headers of 56 bytes from offset 64.
    @Test func truncatedProgramHeaders() throws {
        let path = try Self.writeCore("truncated-headers")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(100).write(to: URL(fileURLWithPath: path))
        #expect(message(DumpRequest(core: path)) == "\(path): truncated: 5 program headers needs bytes 0x40..0x158 but the file has 100 bytes")
    }

    @Test func noVmcoreinfoAndNoVmlinux() throws {
        let path = try Self.writeCore("no-vmcoreinfo", notes: [])
        #expect(message(DumpRequest(core: path)) == "\(path): no VMCOREINFO note in the dump and no vmlinux given; pass --vmlinux or --system-map")
    }

    /// A segment whose stored bytes run past the top of the physical space (a
    /// fuzzer's find): the memory scan for a VMCOREINFO note must not wrap.
    @Test func segmentPastTheTopOfPhysicalMemory() throws {
        var bytes = [UInt8](repeating: 0, count: 8192)
        bytes.replaceSubrange(4100..<4110, with: Array("VMCOREINFO".utf8))
        let path = Self.temporaryPath("past-the-top")
        try SnapshotWriter(machine: 62, notes: [], ranges: [(start: 0xffff_ffff_ffff_f000, bytes: bytes)]).write(to: path)
        #expect(message(DumpRequest(core: path)) == "\(path): no VMCOREINFO note in the dump and no vmlinux given; pass --vmlinux or --system-map")
    }

    /// /proc/kcore has a segment for the kernel image besides the RAM that
    /// holds it, and reads zeros through the image's alias where the kernel
    /// unmapped it (init memory freed under PTI, reused for page tables).
    /// Where segments overlap, RAM as a whole is read.
    @Test func overlappingSegmentsReadTheRAMSegment() throws {
        let ram = [UInt8](repeating: 0xaa, count: 4 * 4096)
        let alias = [UInt8](repeating: 0, count: 4096)
        let path = Self.temporaryPath("overlap")
        try SnapshotWriter(machine: 62, notes: [], ranges: [(start: 0x10_0000, bytes: ram), (start: 0x10_2000, bytes: alias)]).write(to: path)
        let file = try #require(try ElfFile.probe(path))
        let memory = ElfCoreMemory(file: file, segments: try file.segments())
        #expect(try memory.read(PhysicalAddress(0x10_2000), count: 16) == [UInt8](repeating: 0xaa, count: 16))
        #expect(try memory.read(PhysicalAddress(0x10_1ff8), count: 16) == [UInt8](repeating: 0xaa, count: 16))
        #expect(try memory.read(PhysicalAddress(0x10_3000), count: 8) == [UInt8](repeating: 0xaa, count: 8))
    }

    /// Where RAM's segment is cut short in the file, an overlapping segment
    /// that still holds the byte answers.
    @Test func anOverlapStoredInTheFileWinsOverRAMCutShort() throws {
        let path = Self.temporaryPath("overlap-cut")
        let alias = [UInt8](repeating: 0xbb, count: 4096)
        let ram = [UInt8](repeating: 0xaa, count: 4 * 4096)
        try SnapshotWriter(machine: 62, notes: [], ranges: [(start: 0x10_3000, bytes: alias), (start: 0x10_0000, bytes: ram)]).write(to: path)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64)
        #expect(truncate(path, off_t(size - 4096)) == 0, "RAM is written last: its last page goes")
        let file = try #require(try ElfFile.probe(path))
        let memory = ElfCoreMemory(file: file, segments: try file.segments())
        #expect(try memory.read(PhysicalAddress(0x10_3000), count: 8) == [UInt8](repeating: 0xbb, count: 8))
        #expect(try memory.read(PhysicalAddress(0x10_0000), count: 8) == [UInt8](repeating: 0xaa, count: 8))
    }

    @Test func vmcoreinfoWithoutPhysBase() throws {
        let note = ElfFile.Note(name: "VMCOREINFO", type: 0, descriptor: Array("OSRELEASE=6.1\nSYMBOL(init_top_pgt)=ffffffff82000000\n".utf8))
        let path = try Self.writeCore("no-phys-base", notes: [note])
        #expect(message(DumpRequest(core: path)) == "\(path): VMCOREINFO field NUMBER(phys_base) has an unusable value 'missing'")
    }

    @Test func snapshotRefusesToOverwriteItsInput() throws {
        let path = try Self.writeCore("self-overwrite")
        #expect(throws: DumpError.self) { try Actions.snapshot(DumpRequest(core: path), output: path) }
        #expect(message(DumpRequest(core: path)) == nil)
    }

    @Test func vmcoreinfoParsing() {
        let info = VmcoreInfo(text: "OSRELEASE=6.1.0\nNUMBER(x)=-1\nSYMBOL(a)=ffffffff81000000\ngarbage\nPAGESIZE=abc\n")
        #expect(info.osRelease == "6.1.0")
        #expect(info.number("x") == UInt64.max)
        #expect(info.symbol("a") == 0xffff_ffff_8100_0000)
        #expect(info.pageSize == nil)
    }
}

extension ElfCoreReaderTests {
    /// A "vmlinux" carrying only a GNU build-id note, against a dump whose
    /// VMCOREINFO names another build.
    @Test func vmlinuxWithAnotherBuildIDIsRefused() throws {
        let core = try Self.writeCore("buildid-dump", notes: [Self.vmcoreinfo("BUILD-ID=00112233445566778899aabbccddeeff00112233")])
        let buildID: [UInt8] = [0xde, 0xad, 0xbe, 0xef] + [UInt8](repeating: 0x11, count: 16)
        let vmlinux = Self.temporaryPath("buildid-vmlinux")
        try SnapshotWriter(machine: 62, notes: [ElfFile.Note(name: "GNU", type: 3, descriptor: buildID)], ranges: [])
            .write(to: vmlinux)
        #expect(message(DumpRequest(core: core, vmlinux: vmlinux)) ==
            "\(vmlinux) does not match \(core): BUILD-ID is deadbeef11111111111111111111111111111111 in vmlinux but 00112233445566778899aabbccddeeff00112233 in the dump")
    }
}
