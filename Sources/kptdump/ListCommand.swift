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

    func run() throws {
        let out = OutputBuffer()
        let result = try reportingErrors { () throws(DumpError) in
            let (session, layout) = try Actions.open(input.request)
            if verbose {
                for (key, value) in Actions.describe(session, layout) where key != "warning" { diagnose("\(key): \(value)") }
            }
            let process = pid != nil || comm != nil ? ProcessChoice(pid: pid, comm: comm) : nil
            return try Actions.listing(session, layout, table: table, cpu: cpu ?? defaultCPU, options: try output.options(),
                                       process: process, write: out.write, diagnostic: diagnose)
        }
        out.flush()
        if verbose {
            let s = result.statistics
            diagnose("walk: \(s.tablesRead) table pages read (\(s.tableBytesRead) bytes), \(s.cacheHits) cache hits, \(s.replayedSubtrees) shared subtrees replayed, \(s.badEntries) bad entries, \(s.problems) marked")
            if !result.zeroFilledTables.isEmpty {
                diagnose("walk: \(result.zeroFilledTables.count) table pages were left out of the dump by its dump level; a live entry points to each, so each was a zero page and was read as zeros")
            }
        }
        if !result.problems.isEmpty { throw ExitCode(ExitStatus.incomplete) }
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
        if json && summary { throw ValidationError("--json and --summary are exclusive") }
        if phys && (json || summary) { throw ValidationError("--phys adds a text column; JSON has \"phys\" already, and --summary has no ranges") }
    }

    func options() throws(DumpError) -> ListingOptions {
        var o = ListingOptions()
        o.output = json ? .json : summary ? .summary : .text
        o.physicalColumn = phys
        // On a terminal stderr, unless the listing itself scrolls by on it.
        if isatty(1) == 0 { o.progress = terminalProgress() }
        for f in filter { o.selection.addFilter(f) }
        for r in range {
            if let problem = o.selection.addRange(r) { throw .badRequest(problem) }
        }
        return o
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
