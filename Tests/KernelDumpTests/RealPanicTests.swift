import Foundation
import Testing
@testable import KernelDump
import PageTables

/// Real panics of Debian's stock 6.1 kernel, captured by a real kdump kernel
/// (`makedumpfile -l -d 31` of /proc/vmcore; Resources/recipe/kdump-panic),
/// cut down with kdump-subset.py to the pages a snapshot made without any
/// vmlinux read: the tables, the kernel's kallsyms and BTF, the task and
/// runqueue pages. The truth was taken over QMP just before the panic:
/// `truth.txt` (which task ran where, which CPU panicked) and each CPU's CR3.
/// The `*-with-vmlinux.txt` listings are kptdump's own from the full dump with
/// the -dbg vmlinux: the tests check that the dump alone gives the same text.
@Suite struct RealPanicTests {
    static let root = Fixtures.root.appendingPathComponent("real-panic")
    static var states: [String] { Fixtures.states("real-panic").map(\.lastPathComponent) }

    struct Truth {
        var crasherPID: Int32
        var panicCPU: Int
        var busyPID: Int32
        var pti: Bool
        /// CR3 of each CPU, as `info registers` showed it.
        var cr3: [UInt64]
    }

    static func text(_ state: String, _ name: String) throws -> String {
        let file = try Fixtures.decompressed(root.appendingPathComponent(state).appendingPathComponent(name + ".zst"))
        return try String(contentsOf: file, encoding: .utf8)
    }

    static func truth(_ state: String) throws -> Truth {
        let lines = try text(state, "truth.txt").split(separator: "\n")
        func field(_ key: String, _ name: String) -> String? {
            guard let line = lines.first(where: { $0.hasPrefix(key + " ") }) else { return nil }
            return line.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
        }
        let cmdline = lines.first { $0.hasPrefix("cmdline") } ?? ""
        let cr3 = try text(state, "cr3.txt").split(separator: "\n").compactMap { line in
            line.split(separator: "=").last.flatMap { UInt64($0, radix: 16) }
        }
        return Truth(crasherPID: Int32(field("crasher", "pid") ?? "") ?? -1,
                     panicCPU: Int(field("crasher", "cpu") ?? "") ?? -1,
                     busyPID: Int32(field("busy", "pid") ?? "") ?? -1,
                     pti: cmdline.contains("pti=on"), cr3: cr3)
    }

    static func request(_ state: String) throws -> DumpRequest {
        let dump = try Fixtures.decompressed(root.appendingPathComponent(state).appendingPathComponent("vmcore-subset.kdump.zst"))
        var request = DumpRequest(core: dump.path)
        request.searchDebugFiles = false
        return request
    }

    static func listing(_ state: String, table: TableChoice, cpu: Int) throws -> (text: String, origin: String) {
        var text = ""
        var origin = ""
        _ = try Actions.listing(try request(state), table: table, cpu: cpu, write: { text += $0 },
                                diagnostic: { if $0.hasPrefix(table.rawValue + ":") { origin = $0 } })
        return (text, origin)
    }

    @Test func bothFixturesArePresent() {
        #expect(Self.states == ["nopti-cpu1", "pti-cpu0"])
    }

    @Test(arguments: states)
    func symbolsAndTypesComeFromTheDumpAlone(state: String) throws {
        let (session, _) = try Actions.open(try Self.request(state))
        #expect(session.symbols.sources.first?.hasPrefix("the dump's kallsyms") == true)
        #expect(session.kallsymsProblem == nil)
        let types = try #require(session.taskLayout())
        #expect(types.source.hasPrefix("BTF in the dump"))
        #expect(types.activeMM != nil && types.runqueueCurrent != nil && types.runqueueIdle != nil)
    }

    @Test(arguments: states)
    func theKernelListingFromTheDumpAloneEqualsTheOneWithVmlinux(state: String) throws {
        let ours = try Self.listing(state, table: .kernel, cpu: defaultCPU).text
        let comparison = LineComparison(ours: ours, kernels: try Self.text(state, "kernel-with-vmlinux.txt"))
        #expect(comparison.differing == 0, "\(comparison)")
        #expect(comparison.lines > 100)
    }

    @Test(arguments: states)
    func thePanicAndEachCPUsTaskAreTheTruths(state: String) throws {
        let truth = try Self.truth(state)
        let (session, layout) = try Actions.open(try Self.request(state))
        let context = session.crashContext()
        #expect(context.panicCPU == truth.panicCPU)
        #expect(context.crashTime != nil)
        let crasher = try Actions.cpuTask(session, layout, cpu: truth.panicCPU)
        #expect(crasher.task.pid == truth.crasherPID && crasher.task.comm == "crasher")
        let busy = try Actions.cpuTask(session, layout, cpu: 1 - truth.panicCPU)
        #expect(busy.task.pid == truth.busyPID && busy.task.comm == "spinner")
        let ps = try Actions.processList(try Self.request(state))
        #expect(ps.contains("CPU \(truth.panicCPU) (panicked)"))
        #expect(ps.contains("swapper/1"), "each CPU's idle task is listed")
    }

    /// current-kernel with no --cpu is the panicking CPU's; every CPU's root is
    /// the kernel half of the CR3 it ran with, and current-user is the PTI user
    /// copy exactly when PTI was on.
    @Test(arguments: states)
    func currentTablesAreTheCPUsOwn(state: String) throws {
        let truth = try Self.truth(state)
        let (session, layout) = try Actions.open(try Self.request(state))
        let byDefault = try #require(try layout.table(.currentKernel, session: session, cpu: defaultCPU))
        let panicking = try #require(try layout.table(.currentKernel, session: session, cpu: truth.panicCPU))
        #expect(byDefault.root == panicking.root)
        for cpu in 0..<2 {
            let kernel = try #require(try layout.table(.currentKernel, session: session, cpu: cpu))
            #expect(kernel.root.rawValue == truth.cr3[cpu] & ~UInt64(0x1fff), "CPU \(cpu)")
            let user = try #require(try layout.table(.currentUser, session: session, cpu: cpu))
            #expect(user.root.rawValue == (truth.pti ? kernel.root.rawValue | 0x1000 : kernel.root.rawValue), "CPU \(cpu)")
            // Where the CPU was caught on the user copy, its CR3 is that copy.
            if truth.cr3[cpu] & 0x1000 != 0 { #expect(user.root.rawValue == truth.cr3[cpu]) }
        }
        let (_, origin) = try Self.listing(state, table: .currentKernel, cpu: defaultCPU)
        #expect(origin.contains("CPU \(truth.panicCPU) (panicked): pid \(truth.crasherPID) (crasher)"))
    }

    @Test(arguments: states)
    func currentListingsFromTheDumpAloneEqualTheOnesWithVmlinux(state: String) throws {
        for cpu in 0..<2 {
            for (table, name) in [(TableChoice.currentKernel, "current-kernel"), (.currentUser, "current-user")] {
                let ours = try Self.listing(state, table: table, cpu: cpu).text
                let comparison = LineComparison(ours: ours, kernels: try Self.text(state, "\(name)-cpu\(cpu)-with-vmlinux.txt"))
                #expect(comparison.differing == 0, "\(name) CPU \(cpu): \(comparison)")
            }
        }
    }

    /// --pid with current-user is the process's PTI user copy, as the kernel's
    /// current_user file shows it while that process runs.
    @Test func pidWithCurrentUserIsThePTIUserCopy() throws {
        let truth = try Self.truth("pti-cpu0")
        var origin = ""
        _ = try Actions.listing(try Self.request("pti-cpu0"), table: .currentUser, cpu: defaultCPU,
                                process: ProcessChoice(pid: truth.busyPID, comm: nil),
                                write: { _ in }, diagnostic: { if $0.hasPrefix("task") { origin = $0 } })
        #expect(origin.contains("PTI user PGD \(hex(truth.cr3[1]))"), "\(origin)")
    }
}
