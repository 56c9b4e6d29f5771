import Foundation
import Testing
@testable import KernelDump
import PageTables

/// Real panics of Debian's stock 6.1 and 6.12 kernels (one with the other CPU
/// idle), captured by a real kdump kernel
/// (`makedumpfile -l -d 31` of /proc/vmcore, `-d 23` for 6.12-nopti-cpu1, whose
/// `-d 31` lacks the crasher's task_struct; Resources/recipe/kdump-panic),
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
        /// The task on the other CPU: the spinner, or its idle task (pid 0).
        var otherPID: Int32
        var otherComm: String
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
                     otherPID: Int32(field("busy", "pid") ?? field("idle", "pid") ?? "") ?? -1,
                     otherComm: field("busy", "comm") ?? field("idle", "comm") ?? "",
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

    @Test func everyFixtureIsPresent() {
        #expect(Set(Self.states).isSuperset(of: ["nopti-cpu1", "pti-cpu0", "6.1-nopti-cpu0-idle"]))
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
        let other = try Actions.cpuTask(session, layout, cpu: 1 - truth.panicCPU)
        #expect(other.task.pid == truth.otherPID && other.task.comm == truth.otherComm)
        let ps = try Actions.processList(try Self.request(state)).text
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

    /// An idle CPU runs on whatever mm it last loaded, which a flush can have
    /// moved to init_mm while its idle task's active_mm still names an
    /// exited process's: its table is the loaded one (checked against CR3 by
    /// currentTablesAreTheCPUsOwn).
    @Test(arguments: states.filter { $0.hasSuffix("-idle") })
    func anIdleCPUsTableIsTheMMItHadLoaded(state: String) throws {
        let truth = try Self.truth(state)
        let (session, layout) = try Actions.open(try Self.request(state))
        let idle = try Actions.cpuTask(session, layout, cpu: 1 - truth.panicCPU)
        #expect(idle.task.pid == 0 && idle.task.mm == 0)
        #expect(idle.whose.hasPrefix("loaded mm"))
        #expect(idle.mm != idle.task.activeMM, "the capture shows an active_mm the CPU had left")
    }

    /// The snapshot `snapshot` rewritten without the pages holding `addresses`.
    static func withoutPages(_ snapshot: String, of addresses: [UInt64], _ name: String) throws -> String {
        let (session, layout) = try Actions.open(DumpRequest(core: snapshot))
        let spec = try #require(try layout.table(.kernel, session: session, cpu: 0))
        let reader = KernelVirtualReader(spec: spec, session: session)
        let cut = try Set(addresses.map { try reader.physical($0, what: "task") & ~0xfff })
        let file = try #require(try ElfFile.probe(snapshot))
        var ranges: [(start: UInt64, bytes: [UInt8])] = []
        for segment in try file.segments() where segment.type == 1 {
            var at: UInt64 = 0
            while at < segment.fileSize {
                let pa = segment.physicalAddress + at
                let length = min(segment.fileSize - at, 4096 - (pa & 0xfff))
                if !cut.contains(pa & ~0xfff) {
                    ranges.append((pa, try file.read(offset: segment.offset + at, count: Int(length))))
                }
                at += length
            }
        }
        let path = ElfCoreReaderTests.temporaryPath(name)
        try SnapshotWriter(machine: 62, notes: try file.notes(), ranges: ranges).write(to: path)
        return path
    }

    /// makedumpfile 1.7.2's -d 31 leaves out some 6.12 task_structs (slab
    /// pages it takes for user pages), the crasher's among them. Without that
    /// page the crasher's CPU still gets its table (the loaded mm) and ps
    /// still marks both CPUs; without a task in the middle of the list, ps
    /// reads the list from both ends and loses only that task.
    @Test func aTaskStructLeftOutOfTheDumpLosesOnlyItself() throws {
        let state = "6.12-nopti-cpu1"
        let truth = try Self.truth(state)
        let snapshot = ElfCoreReaderTests.temporaryPath("panic-snapshot")
        _ = try Actions.snapshot(try Self.request(state), output: snapshot)
        let (session, layout) = try Actions.open(DumpRequest(core: snapshot))
        let crasher = try Actions.cpuTask(session, layout, cpu: truth.panicCPU)
        let all = try Actions.tasks(session, layout)
        #expect(all.last?.address == crasher.task.address, "the crasher is the newest task")
        let middle = all[all.count / 2]
        // Every task, and CPU 1's idle task (CPU 0's is init_task).
        let header = 1, idle = 1

        let noCrasher = try Self.withoutPages(snapshot, of: [crasher.task.address], "panic-no-crasher")
        var warnings: [String] = []
        var ps = try Actions.processList(DumpRequest(core: noCrasher), diagnostic: { warnings.append($0) }).text
        #expect(ps.split(separator: "\n").count == header + all.count + idle)
        #expect(ps.contains("    \(truth.crasherPID)  ?   "), "\(ps)")
        #expect(ps.contains("CPU \(truth.panicCPU) (panicked)") && ps.contains("CPU \(1 - truth.panicCPU)\n"))
        #expect(warnings.contains { $0.contains("CPU \(truth.panicCPU): its task could not be read") })
        let (holedSession, holedLayout) = try Actions.open(DumpRequest(core: noCrasher))
        let table = try #require(try holedLayout.table(.currentKernel, session: holedSession, cpu: truth.panicCPU))
        #expect(table.root.rawValue == truth.cr3[truth.panicCPU] & ~UInt64(0x1fff))

        let noMiddle = try Self.withoutPages(snapshot, of: [middle.address], "panic-no-middle")
        warnings = []
        ps = try Actions.processList(DumpRequest(core: noMiddle), diagnostic: { warnings.append($0) }).text
        #expect(ps.split(separator: "\n").count == header + all.count - 1 + idle)
        #expect(!ps.contains(hex16(middle.address)))
        #expect(warnings.contains { $0.contains("cannot be read") && $0.contains("from both ends") })
    }

    /// --pid with current-user is the process's PTI user copy, as the kernel's
    /// current_user file shows it while that process runs.
    @Test func pidWithCurrentUserIsThePTIUserCopy() throws {
        let truth = try Self.truth("pti-cpu0")
        var origin = ""
        _ = try Actions.listing(try Self.request("pti-cpu0"), table: .currentUser, cpu: defaultCPU,
                                process: ProcessChoice(pid: truth.otherPID, comm: nil),
                                write: { _ in }, diagnostic: { if $0.hasPrefix("task") { origin = $0 } })
        #expect(origin.contains("PTI user PGD \(hex(truth.cr3[1]))"), "\(origin)")
    }
}
