import ArgumentParser
import KernelDump

struct Map: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Draw a page table's address space as an SVG picture.",
        discussion: """
            One band per marker region (the listing's ---[ NAME ]--- headers), its ranges in \
            address order on a compressed scale (a range's width grows with the log of its \
            size; holes are squeezed), coloured by page size, read-only pale, W+X red, marked \
            ranges hatched, with lanes for writable, executable and user pages and, per \
            region, a bar of mapped bytes by page size. The legend on the picture explains \
            the scale. Open the SVG (or the --html page) in a browser; hover for each range's \
            listing line.

            Exit status: 0 drawn; 2 unusable input; 3 drawn, but some ranges are marked \
            because their tables could not be read.
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Which table, as for list: \(ArchitectureHelp.tables).")
    var table: TableChoice = .kernel

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the picture to this file (default: standard output).", valueName: "file"))
    var output: String?

    @Flag(help: "Wrap the SVG in an HTML page.")
    var html = false

    func run() throws {
        let (text, incomplete) = try reportingErrors { () throws(DumpError) in
            let map = try Actions.map(input.request, table: table, html: html, progress: terminalProgress(), diagnostic: diagnose)
            if let output { try Actions.write(map.text, toFile: output) }
            return map
        }
        if output == nil {
            let out = OutputBuffer()
            out.write(text)
            out.flush()
        }
        if incomplete { throw ExitCode(ExitStatus.incomplete) }
    }
}
