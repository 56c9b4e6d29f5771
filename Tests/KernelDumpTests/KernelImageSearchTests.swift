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
}
