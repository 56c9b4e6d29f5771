import ArgumentParser
import KernelDump

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a small ELF core holding only what the page-table walks need.",
        discussion: """
            The snapshot keeps the page-table pages of every table the dump has (kernel, each \
            CPU's current tables, EFI), the dump's notes and the few kernel variables and symbols \
            the walk used. kptdump reads it like the original dump, without vmlinux.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(name: .shortAndLong, help: "Where to write the snapshot.")
    var output: String

    func run() throws {
        let summary = try reportingErrors { () throws(DumpError) in
            try Actions.snapshot(input.request, output: output)
        }
        diagnose("wrote \(output): \(summary.bytes) bytes of memory in \(summary.ranges) ranges; tables: \(summary.tables.joined(separator: ", "))")
        for s in summary.skipped { diagnose("not in snapshot: \(s)") }
    }
}
