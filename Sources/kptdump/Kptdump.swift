import ArgumentParser
import Glibc
import KernelDump

/// Exit statuses scripts can rely on.
enum ExitStatus {
    /// The listing was printed and every table could be read.
    static let success: Int32 = 0
    /// The input could not be used; nothing (or only part) was printed.
    static let error: Int32 = 2
    /// The listing was printed, but some entries are marked because their
    /// tables were missing from the dump or looped.
    static let incomplete: Int32 = 3
}

@main
struct Kptdump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kptdump",
        abstract: "Print a Linux kernel's page tables the way the kernel's own ptdump does.",
        discussion: """
            Reads a crash dump (ELF: kdump's vmcore, makedumpfile -E, QEMU dump-guest-memory, \
            virsh dump --memory-only; makedumpfile's kdump-compressed format with zlib, lzo, \
            snappy or zstd, also flattened (-F) and filtered (-d)) or, with no dump, the running \
            kernel through /proc/kcore (as root). The output is the text of /sys/kernel/debug/page_tables/<table> for that \
            kernel at that moment.

            Exit status: 0 listing complete; 2 unusable input; 3 listing printed but some \
            entries are marked because their tables are missing from the dump.
            """,
        version: versionText,
        subcommands: [List.self, Diff.self, CheckWX.self, Vtop.self, Ps.self, Snapshot.self, Info.self, Map.self],
        defaultSubcommand: List.self
    )

    /// The plain `list` lines skip ArgumentParser (see `QuickListParser`);
    /// everything else, help and errors included, goes through it.
    static func main() {
        if let arguments = QuickListParser.parse(Array(CommandLine.arguments.dropFirst())) {
            Glibc.exit(arguments.run())
        }
        main(nil)
    }
}

/// Options shared by every subcommand that reads a kernel.
struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Crash dump to read; the same as --core.", valueName: "dumpfile"))
    var dumpfile: String?

    @Option(name: .long, help: "Crash dump to read (default: the running kernel's /proc/kcore).")
    var core: String?

    @Option(name: .long, help: "vmlinux with symbols (default: found by build-id or release in the distribution's debug paths, or beside the dump).")
    var vmlinux: String?

    @Option(name: .customLong("system-map"), help: "System.map to take symbols from (default: found like vmlinux when there is none).")
    var systemMap: String?

    @Option(name: .customLong("debug-root"), help: ArgumentHelp("Also look for vmlinux and System.map under this directory, as if it were / (an unpacked -dbg package).", valueName: "dir"))
    var debugRoot: String?

    func validate() throws {
        if let refusal = Self.refusal(dumpfile: dumpfile, core: core) { throw ValidationError(refusal) }
    }

    /// What `validate` refuses (`QuickListParser` asks it too).
    static func refusal(dumpfile: String?, core: String?) -> String? {
        guard let dumpfile, let core, dumpfile != core else { return nil }
        return "two dumps given: '\(dumpfile)' and --core '\(core)'"
    }

    var request: DumpRequest {
        DumpRequest(core: core ?? dumpfile, vmlinux: vmlinux, systemMap: systemMap, debugRoot: debugRoot)
    }
}

/// Prints `message` to stderr as `kptdump: message`.
func diagnose(_ message: String) {
    writeAll(2, Array("kptdump: \(message)\n".utf8))
}

/// A progress line for long walks when stderr is a terminal (the commands
/// whose output goes to the same terminal while they walk ask only then).
func terminalProgress() -> ProgressLine? {
    isatty(2) != 0 ? ProgressLine { writeAll(2, Array($0.utf8)) } : nil
}

/// Writes every byte to file descriptor `fd`, retrying short writes.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
    }
}

/// Runs `body`, turning a `DumpError` into one message and exit status 2.
func reportingErrors<T>(_ body: () throws(DumpError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        diagnose(error.description)
        throw ExitCode(ExitStatus.error)
    }
}
