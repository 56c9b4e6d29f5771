import ArgumentParser
import KernelDump

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List the dumped kernel's tasks: pid, comm, task_struct and page-table base.",
        discussion: """
            Follows init_task.tasks with the structure offsets from the vmlinux's DWARF (or \
            a snapshot that kept them). Kernel threads have no page table of their own (-).
            """
    )

    @OptionGroup var input: InputOptions

    func run() throws {
        let report = try reportingErrors { () throws(DumpError) in try Actions.processList(input.request, diagnostic: diagnose) }
        let out = OutputBuffer()
        out.write(report.text)
        out.flush()
    }
}
