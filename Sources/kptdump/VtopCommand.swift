import ArgumentParser
import KernelDump

struct Vtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtop",
        abstract: "Translate virtual addresses, showing each level's table, index, entry and flags.",
        discussion: """
            Each address is a hex number (0x optional) or a symbol, with an optional +offset \
            (jiffies, init_task+0x10). Leaves are read as the MMU reads them: a leaf whose \
            present bit is clear does not map.

            Exit status: 0 every address mapped; 1 some address not mapped; 2 unusable input; \
            3 a table on the way is missing from the dump.
            """
    )

    @Argument(help: ArgumentHelp("The dump (a file; optional, as for every subcommand), then virtual addresses or symbols.", valueName: "address"))
    var addresses: [String] = []

    @Option(name: .long, help: "Crash dump to read (default: the running kernel's /proc/kcore).")
    var core: String?

    @Option(name: .long, help: "vmlinux with symbols (default: found by build-id or release).")
    var vmlinux: String?

    @Option(name: .customLong("system-map"), help: "System.map to take symbols from.")
    var systemMap: String?

    @Option(name: .customLong("debug-root"), help: ArgumentHelp("Also look for vmlinux and System.map under this directory.", valueName: "dir"))
    var debugRoot: String?

    @Option(help: "Which table translates (current-kernel is the CPU's own table, for user addresses, on \(ArchitectureHelp.perCPUTables)).")
    var table: TableChoice = .kernel

    @Option(help: "CPU whose page-table base gives current-kernel and current-user (\(ArchitectureHelp.perCPUTables)).")
    var cpu: Int?

    @Option(help: "Translate through this process's table (\(ArchitectureHelp.processTables); needs a vmlinux with DWARF, or a snapshot that kept the offsets). User addresses also get their entry decoded: swap type and offset, migration, hwpoison, special, soft-dirty.")
    var pid: Int32?

    @Option(help: "Translate through the table of the first process with this name.")
    var comm: String?

    func validate() throws {
        if addresses.isEmpty { throw ValidationError("give at least one address") }
    }

    func run() throws {
        let (dump, addresses) = Actions.dumpArgument(self.addresses, core: core)
        if addresses.isEmpty { throw ValidationError("give at least one address after the dump") }
        let request = DumpRequest(core: core ?? dump, vmlinux: vmlinux, systemMap: systemMap, debugRoot: debugRoot)
        let report = try reportingErrors { () throws(DumpError) in
            try Actions.vtop(request, addresses: addresses, table: table, cpu: cpu ?? defaultCPU,
                             process: pid != nil || comm != nil ? ProcessChoice(pid: pid, comm: comm) : nil)
        }
        let out = OutputBuffer()
        out.write(report.text)
        out.flush()
        if report.incomplete { throw ExitCode(ExitStatus.incomplete) }
        if !report.allMapped { throw ExitCode(1) }
    }
}
