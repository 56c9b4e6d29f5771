import ArgumentParser
import Glibc
import KernelDump

extension TableChoice: ExpressibleByArgument {}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print a page-table listing (the default command)."
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Which table: \(TableChoice.allCases.map(\.rawValue).joined(separator: ", ")); by architecture, \(ArchitectureHelp.tables).")
    var table: TableChoice = .kernel

    @Option(help: "CPU whose table current-kernel and current-user list (\(ArchitectureHelp.perCPUTables)): in a QEMU dump its saved CR3 (default CPU 0); in a kdump crash dump the table of the task it ran (default: the CPU that panicked). Live (/proc/kcore has no registers) they are kptdump's own process's tables.")
    var cpu: Int?

    @Option(help: "List this process's page table (\(ArchitectureHelp.processTables)); needs a vmlinux with DWARF, or a snapshot that kept the offsets.")
    var pid: Int32?

    @Option(help: "List the page table of the first process with this name.")
    var comm: String?

    @OptionGroup var output: OutputOptions

    @Flag(name: .shortAndLong, help: "Also print what was detected, and walk statistics, on stderr.")
    var verbose = false

    /// The parsed values, as `QuickListParser` would give them.
    var arguments: ListArguments {
        ListArguments(dumpfile: input.dumpfile, core: input.core, vmlinux: input.vmlinux, systemMap: input.systemMap,
                      debugRoot: input.debugRoot, table: table, cpu: cpu, pid: pid, comm: comm,
                      json: output.json, summary: output.summary, phys: output.phys, filter: output.filter,
                      range: output.range, verbose: verbose)
    }

    func run() throws {
        let status = arguments.run()
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}

/// How the listing is printed and which ranges it keeps.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON Lines, one object per range (start, end, size, level, attributes, writable, executable, user, phys, contiguous, marker).")
    var json = false

    @Flag(help: "Print mapped bytes by page size, overall and per marker region, instead of the ranges.")
    var summary = false

    @Flag(help: "Add a physical-address column to the text: the address mapped at each range's start, blank for holes, in the column of the ptdumps that print one (listings that have it already keep theirs). diff reads it.")
    var phys = false

    @Option(help: ArgumentHelp("Keep ranges with all these attributes: w, x, user, present, a level (pte ... pgd) or a word as printed (GLB, PSE, MEM/NORMAL); '!' negates. Example: 'w x'.", valueName: "words"))
    var filter: [String] = []

    @Option(help: ArgumentHelp("Keep ranges overlapping START-END, START+SIZE or ADDRESS (hex), or a marker region by name ('vmalloc'). Repeatable.", valueName: "range"))
    var range: [String] = []

    func validate() throws {
        if let refusal = Self.refusal(json: json, summary: summary, phys: phys) { throw ValidationError(refusal) }
    }

    /// What `validate` refuses (`QuickListParser` asks it too).
    static func refusal(json: Bool, summary: Bool, phys: Bool) -> String? {
        if json && summary { return "--json and --summary are exclusive" }
        if phys && (json || summary) { return "--phys adds a text column; JSON has \"phys\" already, and --summary has no ranges" }
        return nil
    }
}

/// Buffers stdout writes into large chunks.
final class OutputBuffer {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        writeAll(1, buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
