import ArgumentParser
import KernelDump

struct CheckWX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-wx",
        abstract: "Run the kernel's boot-time W+X check (CONFIG_DEBUG_WX) on a dump.",
        discussion: """
            Walks the tables the kernel checks with the kernel's own rule (\(ArchitectureHelp.wxRules)). \
            Prints the kernel's verdict line for each walk, then each offending range with \
            its marker region and nearest symbol.

            Exit status: 0 passed; 1 W+X pages found (the kernel's FAILED); 2 unusable input; \
            3 passed, but some tables could not be read.
            """
    )

    @OptionGroup var input: InputOptions

    func run() throws {
        let report = try reportingErrors { () throws(DumpError) in try Actions.checkWX(input.request, progress: terminalProgress()) }
        for w in report.warnings { diagnose("warning: \(w)") }
        let out = OutputBuffer()
        out.write(report.text)
        out.flush()
        if report.failed { throw ExitCode(1) }
        if report.incomplete { throw ExitCode(ExitStatus.incomplete) }
    }
}
