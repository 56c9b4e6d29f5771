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

    @Option(help: "Which table: \(TableChoice.allCases.map(\.rawValue).joined(separator: ", ")). x86-64 has all four (page_tables/*); arm64 and riscv64 have kernel and efi (kernel_page_tables, efi_page_tables).")
    var table: TableChoice = .kernel

    @Option(help: "CPU whose CR3 gives the current-kernel and current-user tables (x86-64).")
    var cpu: Int = 0

    @Flag(name: .shortAndLong, help: "Also print what was detected, and walk statistics, on stderr.")
    var verbose = false

    func run() throws {
        let out = OutputBuffer()
        let result = try reportingErrors { () throws(DumpError) in
            let (session, layout) = try Actions.open(input.request)
            if verbose {
                for (key, value) in Actions.describe(session, layout) where key != "warning" { diagnose("\(key): \(value)") }
            }
            return try Actions.listing(session, layout, table: table, cpu: cpu, write: out.write, diagnostic: diagnose)
        }
        out.flush()
        if verbose {
            let s = result.statistics
            diagnose("walk: \(s.tablesRead) table pages read (\(s.tableBytesRead) bytes), \(s.cacheHits) cache hits, \(s.badEntries) bad entries, \(s.problems) marked")
            if !result.zeroFilledTables.isEmpty {
                diagnose("walk: \(result.zeroFilledTables.count) table pages were left out of the dump by its dump level; a live entry points to each, so each was a zero page and was read as zeros")
            }
        }
        if !result.problems.isEmpty { throw ExitCode(ExitStatus.incomplete) }
    }
}

/// Buffers stdout writes into large chunks.
final class OutputBuffer {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        writeAll(1, buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
