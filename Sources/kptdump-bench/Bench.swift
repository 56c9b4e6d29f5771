import ArgumentParser
import KernelDump

/// The benchmark's own executable: kept out of kptdump so users never see it.
/// `Resources/bench/run.sh` drives it; see the README's "Benchmarks".
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kptdump-bench",
        abstract: "Measure kptdump's listing against the floor of reading its table pages once; write synthetic dumps for scale.",
        subcommands: [Measure.self, Pages.self, Generate.self]
    )
}

/// The dump and table both subcommands read.
struct DumpOptions: ParsableArguments {
    @Argument(help: "The dump.") var dump: String
    @Option(help: "vmlinux with symbols.") var vmlinux: String?
    @Option(name: .customLong("system-map"), help: "System.map.") var systemMap: String?
    @Option(help: "Which table: kernel, current-kernel, current-user, efi.") var table: String = "kernel"

    var request: DumpRequest { DumpRequest(core: dump, vmlinux: vmlinux, systemMap: systemMap) }

    func choice() throws -> TableChoice {
        guard let choice = TableChoice(rawValue: table) else { throw ValidationError("unknown table '\(table)'") }
        return choice
    }
}

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the listing of one dump (best of --repeat runs, pages in the OS cache) and the floor: reading the same table pages once each through the same reader.")

    @OptionGroup var input: DumpOptions
    @Option(name: .customLong("repeat"), help: "Runs to take the best of.") var repeats: Int = 5
    @Flag(help: "One JSON object instead of text.") var json = false

    func run() throws {
        let choice = try input.choice()
        do {
            let report = try Actions.benchmark(input.request, table: choice, repeats: repeats)
            print(json ? report.json : report.text)
        } catch {
            print("kptdump-bench: \(error.description)")
            throw ExitCode(2)
        }
    }
}

struct Pages: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the physical address and size of each distinct read the listing makes (hex and decimal, one per line): the input of Resources/bench/floor.c.")

    @OptionGroup var input: DumpOptions

    func run() throws {
        let choice = try input.choice()
        do {
            let reads = try Actions.tableReads(input.request, table: choice)
            print(reads.map { String($0.address, radix: 16) + " " + String($0.count) }.joined(separator: "\n"))
        } catch {
            print("kptdump-bench: \(error.description)")
            throw ExitCode(2)
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic x86-64 ELF core whose vmalloc area maps N PTE tables of 4K pages (about N x 4 KiB of file).")

    @Option(name: .customLong("pte-tables"), help: "How many PTE tables (1 to 262144).") var pteTables: Int
    @Option(name: .shortAndLong, help: "The core to write.") var output: String

    func run() throws {
        do {
            let s = try ScaleCoreGenerator(pteTables: pteTables).write(to: output)
            print("\(output): \(s.tablePages) table pages, \(s.mappedPages) mapped 4K pages, \(s.fileBytes) bytes")
        } catch {
            print("kptdump-bench: \(error.description)")
            throw ExitCode(2)
        }
    }
}
