import Foundation
import Testing
@testable import KernelDump
import PageTables

/// A real panic of Debian's stock arm64 6.1 kernel (4K pages, 48-bit VA,
/// KASLR, KPTI) captured by a real kdump kernel
/// (Resources/recipe/kdump-panic-arm64), cut down with kdump-subset.py. The
/// truth was taken over QEMU's gdb stub just before the panic: each CPU's
/// TTBR0_EL1 and which task ran where. The `*-with-vmlinux.txt` listings are
/// kptdump's own from the full dump with the -dbg vmlinux; the recipe's
/// independent walk (Python, from TTBR1 and each TTBR0; its result is
/// `walk.txt`, not read here) agreed with them. This kernel's kallsyms lists functions only (no
/// CONFIG_KALLSYMS_ALL), so tasks and types need the small System.map kept
/// with the fixture (23 lines of the kernel's).
@Suite struct RealPanicArm64Tests {
    static let dir = Fixtures.root.appendingPathComponent("real-panic-arm64/6.1-cpu1")

    static func text(_ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        if name.hasSuffix(".zst") { return try String(contentsOf: try Fixtures.decompressed(url), encoding: .utf8) }
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func request(systemMap: Bool) throws -> DumpRequest {
        var request = DumpRequest(core: try Fixtures.decompressed(dir.appendingPathComponent("vmcore-subset.kdump.zst")).path)
        request.searchDebugFiles = false
        if systemMap { request.systemMap = dir.appendingPathComponent("System.map").path }
        return request
    }

    /// `cpuN TTBR0_EL1=0x...` of ttbr.txt, without ASID (63:48) and CnP (bit 0).
    static func ttbr0() throws -> [UInt64] {
        try text("ttbr.txt.zst").split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("TTBR0_EL1=0x") }
                .flatMap { UInt64($0.dropFirst(12), radix: 16) }
                .map { $0 & 0x0000_ffff_ffff_fffe }
        }
    }

    /// The kernel listing needs no symbols beyond VMCOREINFO: the dump alone
    /// gives kptdump's own text made with the vmlinux.
    @Test func theKernelListingFromTheDumpAloneEqualsTheOneWithVmlinux() throws {
        var ours = ""
        _ = try Actions.listing(try Self.request(systemMap: false), table: .kernel, cpu: defaultCPU, write: { ours += $0 }, diagnostic: { _ in })
        let comparison = LineComparison(ours: ours, kernels: try Self.text("kernel-with-vmlinux.txt.zst"))
        #expect(comparison.differing == 0, "\(comparison)")
        #expect(comparison.lines > 300)
    }

    /// Without data symbols in kallsyms the dump alone cannot name tasks;
    /// it says why, and which files would do.
    @Test func aFunctionsOnlyKallsymsIsSaid() throws {
        let (session, _) = try Actions.open(try Self.request(systemMap: false))
        let problem = try #require(session.kallsymsProblem)
        #expect(problem.contains("functions only") && problem.contains("CONFIG_KALLSYMS_ALL"))
        #expect(session.taskLayout() == nil)
        #expect(session.missingTypesMessage("tasks").contains("linux-image-6.1.0-57-arm64-dbg"))
        #expect(session.crashContext().panicCPUProblem?.contains("no symbol panic_cpu") == true)
    }

    @Test func withTheSystemMapThePanicAndEachCPUsTableAreTheTruths() throws {
        let (session, layout) = try Actions.open(try Self.request(systemMap: true))
        #expect(try #require(session.taskLayout()).source.hasPrefix("BTF in the dump"))
        #expect(session.crashContext().panicCPU == 1)
        let ttbr0 = try Self.ttbr0()
        #expect(ttbr0.count == 2)
        for (cpu, comm) in [(0, "spinner"), (1, "crasher")] {
            let running = try Actions.cpuTask(session, layout, cpu: cpu)
            #expect(running.task.comm == comm)
            #expect(running.pgdPhysical.rawValue == ttbr0[cpu], "CPU \(cpu)")
        }
        let ps = try Actions.processList(try Self.request(systemMap: true)).text
        #expect(ps == (try Self.text("ps-with-vmlinux.txt.zst")))
        #expect(ps.contains("crasher") && ps.contains("CPU 1 (panicked)"))
    }

    /// Each CPU's task's table from the dump and the small System.map equals
    /// kptdump's own listing made with the vmlinux (which the walk from that
    /// CPU's TTBR0 agreed with); its root is checked against TTBR0 above.
    @Test func eachCPUsUserTableEqualsTheOneWithVmlinux() throws {
        for (cpu, pid) in [(0, Int32(123)), (1, Int32(127))] {
            var ours = ""
            _ = try Actions.listing(try Self.request(systemMap: true), table: .kernel, cpu: defaultCPU,
                                    process: ProcessChoice(pid: pid, comm: nil), write: { ours += $0 }, diagnostic: { _ in })
            let comparison = LineComparison(ours: ours, kernels: try Self.text("user-cpu\(cpu)-with-vmlinux.txt.zst"))
            #expect(comparison.differing == 0, "CPU \(cpu): \(comparison)")
        }
    }

    @Test func checkWXGivesTheKernelsVerdict() throws {
        let kernels = KernelWXVerdictTests.checkLines(try Self.text("wx-check.txt"))
        let report = try Actions.checkWX(try Self.request(systemMap: false))
        #expect(report.tables.map(\.verdict) == kernels)
    }
}
