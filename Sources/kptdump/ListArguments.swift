import Glibc
import KernelDump

/// What `list` was asked, as plain values. `List` (through ArgumentParser) and
/// `QuickListParser` both produce one, so the listing runs from the same values
/// whichever of the two read the command line.
struct ListArguments: Equatable {
    var dumpfile: String?
    var core: String?
    var vmlinux: String?
    var systemMap: String?
    var debugRoot: String?
    var table: TableChoice = .kernel
    var cpu: Int?
    var pid: Int32?
    var comm: String?
    var json = false
    var summary = false
    var phys = false
    var filter: [String] = []
    var range: [String] = []
    var verbose = false

    /// What ArgumentParser's `validate()` of `List` would refuse, or nil.
    var refusal: String? {
        InputOptions.refusal(dumpfile: dumpfile, core: core) ?? OutputOptions.refusal(json: json, summary: summary, phys: phys)
    }

    var request: DumpRequest {
        DumpRequest(core: core ?? dumpfile, vmlinux: vmlinux, systemMap: systemMap, debugRoot: debugRoot)
    }

    func listingOptions() throws(DumpError) -> ListingOptions {
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

    /// Prints the listing on stdout (diagnostics on stderr) and returns the
    /// exit status (`ExitStatus`).
    func run() -> Int32 {
        let out = OutputBuffer()
        let result: ListingResult
        do {
            let (session, layout) = try Actions.open(request)
            if verbose {
                for (key, value) in Actions.describe(session, layout) where key != "warning" { diagnose("\(key): \(value)") }
            }
            let process = pid != nil || comm != nil ? ProcessChoice(pid: pid, comm: comm) : nil
            result = try Actions.listing(session, layout, table: table, cpu: cpu ?? defaultCPU, options: try listingOptions(),
                                         process: process, write: out.write, diagnostic: diagnose)
        } catch {
            diagnose(error.description)
            return ExitStatus.error
        }
        out.flush()
        if verbose {
            let s = result.statistics
            diagnose("walk: \(s.tablesRead) table pages read (\(s.tableBytesRead) bytes), \(s.cacheHits) cache hits, \(s.replayedSubtrees) shared subtrees replayed, \(s.badEntries) bad entries, \(s.problems) marked")
            if !result.zeroFilledTables.isEmpty {
                diagnose("walk: \(result.zeroFilledTables.count) table pages were left out of the dump by its dump level; a live entry points to each, so each was a zero page and was read as zeros")
            }
        }
        return result.problems.isEmpty ? ExitStatus.success : ExitStatus.incomplete
    }
}
