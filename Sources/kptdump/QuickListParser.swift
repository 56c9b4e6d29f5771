import KernelDump

/// Reads the plain `list` command lines without ArgumentParser, whose reflection
/// over the command definitions (Mirror, protocol-conformance scans of the whole
/// binary) cost 14M instructions of the 46M that listing the shipped sample took
/// (callgrind). It accepts only what it reads exactly as ArgumentParser does and
/// returns nil for everything else: help, version, completions, other
/// subcommands, `--`, unknown or repeated options, values that look like
/// options, and what `validate()` would refuse. Those go to ArgumentParser, which
/// prints its usual message. `QuickListParserTests` holds the two to the same
/// `ListArguments` for every line this one accepts, and these tables to `List`'s
/// options.
enum QuickListParser {
    /// Words that name another subcommand (or help) anywhere on the line: a
    /// dump named like one would be ambiguous, so ArgumentParser decides.
    /// The tests check this against `Kptdump.configuration.subcommands`.
    static let otherCommands: Set<String> = ["diff", "check-wx", "vtop", "ps", "snapshot", "info", "map", "help"]

    /// `List`'s flags.
    static let flags: [String: WritableKeyPath<ListArguments, Bool> & Sendable] = [
        "--json": \.json, "--summary": \.summary, "--phys": \.phys, "--verbose": \.verbose, "-v": \.verbose,
    ]
    /// Short names, by their long one: a repeat under either is a repeat.
    static let longNames = ["-v": "--verbose"]

    /// `List`'s options with a value: each stores it, or returns false when
    /// ArgumentParser would refuse it.
    static let options: [String: @Sendable (inout ListArguments, String) -> Bool] = [
        "--core": { $0.core = $1; return true },
        "--vmlinux": { $0.vmlinux = $1; return true },
        "--system-map": { $0.systemMap = $1; return true },
        "--debug-root": { $0.debugRoot = $1; return true },
        "--comm": { $0.comm = $1; return true },
        "--filter": { $0.filter.append($1); return true },
        "--range": { $0.range.append($1); return true },
        "--table": { a, v in TableChoice(rawValue: v).map { a.table = $0 } != nil },
        "--cpu": { a, v in Int(v).map { a.cpu = $0 } != nil },
        "--pid": { a, v in Int32(v).map { a.pid = $0 } != nil },
    ]

    /// Options that may be given more than once (arrays).
    static let repeatable: Set<String> = ["--filter", "--range"]

    /// `arguments` without the program name.
    static func parse(_ arguments: [String]) -> ListArguments? {
        var parsed = ListArguments()
        var seen = Set<String>()
        var rest = arguments[...]
        if rest.first == "list" { rest = rest.dropFirst() }
        while let word = rest.popFirst() {
            if word == "list" || otherCommands.contains(word) { return nil }
            guard word.hasPrefix("-") else {
                guard parsed.dumpfile == nil, !word.isEmpty else { return nil }
                parsed.dumpfile = word
                continue
            }
            var name = word
            var inline: String?
            if let eq = word.firstIndex(of: "=") {
                name = String(word[..<eq])
                inline = String(word[word.index(after: eq)...])
            }
            // Repeating a single option or flag is left to ArgumentParser's rules.
            if !repeatable.contains(name) {
                guard seen.insert(longNames[name] ?? name).inserted else { return nil }
            }
            if let flag = flags[name] {
                guard inline == nil else { return nil }
                parsed[keyPath: flag] = true
                continue
            }
            guard let store = options[name], let value = inline ?? rest.popFirst(),
                  !value.isEmpty, !value.hasPrefix("-"), store(&parsed, value) else { return nil }
        }
        return parsed.refusal == nil ? parsed : nil
    }
}
