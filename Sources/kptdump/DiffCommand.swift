import ArgumentParser
import KernelDump

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two listings range by range.",
        discussion: """
            Each input is a dump or snapshot (its --table is walked), ptdump text (the \
            kernel's own /sys/kernel/debug/page_tables/* or *_page_tables file, or kptdump's \
            output), or kptdump's --json output. Addresses are compared relative to each \
            marker region's first mapped range, so KASLR's randomised bases do not count as \
            differences. A summary comes first; --details lists each difference with both \
            sides' own addresses.

            Exit status: 0 same, 1 different, 2 error (as diff(1)).
            """
    )

    @Argument(help: ArgumentHelp("Two inputs: A then B. With --core, only B.", valueName: "input"))
    var inputs: [String] = []

    @Option(name: .long, help: "The first input (A), as in the other commands.")
    var core: String?

    @Option(name: .long, help: "vmlinux for the dump inputs; give it twice for different kernels (A's, then B's).")
    var vmlinux: [String] = []

    @Option(name: .customLong("system-map"), help: "System.map for the dump inputs; twice for different kernels.")
    var systemMap: [String] = []

    @Option(name: .customLong("debug-root"), help: ArgumentHelp("Also look for vmlinux and System.map under this directory.", valueName: "dir"))
    var debugRoot: String?

    @Option(help: "Which table to walk in dump inputs.")
    var table: TableChoice = .kernel

    @Option(help: "CPU whose page-table base gives current-kernel and current-user (\(ArchitectureHelp.perCPUTables)).")
    var cpu: Int?

    @Flag(help: "After the summary, list each difference.")
    var details = false

    var paths: [String] { (core.map { [$0] } ?? []) + inputs }

    func validate() throws {
        guard paths.count == 2 else {
            throw ValidationError("diff needs two inputs (got \(paths.count)): A and B, or --core A and B")
        }
        if vmlinux.count > 2 || systemMap.count > 2 { throw ValidationError("--vmlinux and --system-map are given at most twice") }
    }

    /// The request for input `i`: its own --vmlinux/--system-map when given
    /// twice, the shared one when given once.
    func request(_ i: Int) -> DumpRequest {
        func pick(_ list: [String]) -> String? { list.count == 2 ? list[i] : list.first }
        return DumpRequest(core: paths[i], vmlinux: pick(vmlinux), systemMap: pick(systemMap), debugRoot: debugRoot)
    }

    func run() throws {
        let outcome = try reportingErrors { () throws(DumpError) in
            try Actions.diff(request(0), request(1), table: table, cpu: cpu ?? defaultCPU, details: details)
        }
        let out = OutputBuffer()
        out.write(outcome.report)
        out.flush()
        if !outcome.same { throw ExitCode(1) }
    }
}
