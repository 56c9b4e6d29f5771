import Foundation
import Testing
@testable import KernelDump
import PageTables

/// Dumps without VMCOREINFO: the KASLR offset and phys_base are found through a
/// CPU's CR3. Checked against a real dump that does carry VMCOREINFO.
@Suite struct KernelImageSearchTests {
    @Test(arguments: ["custom-4level", "custom-5level", "custom-pti"])
    func cr3SearchAgreesWithVMCOREINFO(_ state: String) throws {
        let snapshot = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/\(state)/snapshot.core.zst"))
        let session = try KernelSession(DumpRequest(core: snapshot.path))
        let info = try #require(session.vmcoreinfo)
        // `_text` of these kernels in System.map (CONFIG_PHYSICAL_START 0x1000000).
        let linkText: UInt64 = 0xffff_ffff_8100_0000
        let found = try #require(session.architecture.imageFromTables(cpus: session.cpus, memory: session.coreMemory, linkText: linkText))
        #expect(found.kaslr == info.kernelOffset)
        #expect(found.physBase == info.number("phys_base"))
    }

    /// riscv64 fixtures without the snapshot's own placement fact
    /// (Resources/recipe/riscv64/banner-fixture.py removed it), read with no
    /// vmlinux and no program header that maps the image: how the image was
    /// placed, and the listing, which must still be the kernel's own.
    @Test(arguments: [
        // 5.10: VMCOREINFO has no riscv lines; the banner's text ("Linux version
        // OSRELEASE (") at linux_banner's address places it.
        ("5.10-sv39-banner", "linux_banner found at physical"),
        // 7.3: VMCOREINFO's NUMBER(va_kernel_pa_offset) places it.
        ("7.3-sv48-vmcoreinfo", "VMCOREINFO NUMBER(va_kernel_pa_offset), confirmed by swapper_pg_dir"),
    ])
    func riscvImageIsPlacedWithoutVmlinux(fixture: String, source: String) throws {
        let dir = Fixtures.root.appendingPathComponent("riscv64/\(fixture)")
        let core = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        var request = DumpRequest(core: core.path)
        request.searchDebugFiles = false
        let (session, layout) = try Actions.open(request)
        let riscv = try #require(layout as? Riscv64KernelLayout)
        #expect(session.vmlinuxFile == nil)
        #expect(riscv.imageOffsetSource.hasPrefix(source), "\(riscv.imageOffsetSource)")
        let kernels = try String(contentsOf: dir.appendingPathComponent("page_tables/kernel_page_tables.txt"), encoding: .utf8)
        #expect(try Fixtures.listing(snapshot: core, table: .kernel) == kernels)
    }
}

/// Releases outside the judged range get a warning; inside it, none.
@Suite struct JudgedReleaseTests {
    @Test(arguments: [("5.10.262", false), ("6.1.0-27-amd64", false), ("7.3.0-rc7", false), ("7.3.5", false),
                      ("5.4.0-150-generic", true), ("4.18.0-348.el8.x86_64", true), ("7.4.0", true), ("8.0.1", true),
                      ("not a release", false)])
    func warnsOutsideTheJudgedRange(release: String, warns: Bool) {
        #expect((JudgedReleases.warning(release: release) != nil) == warns)
    }
}
