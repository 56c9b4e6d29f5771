import KernelDump

/// Reads the plain `list` command lines without ArgumentParser, whose reflection
/// over the command definitions (Mirror, protocol-conformance scans of the whole
/// binary) cost 14M instructions of the 46M that listing the shipped sample took
/// (callgrind). It accepts only what it reads exactly as ArgumentParser does and
/// returns nil for everything else: help, version, completions, other
/// subcommands, `--`, unknown or repeated options, values that look like
/// options, and what `validate()` would refuse. Those go to ArgumentParser, which
/// prints its usual message. `QuickListParserTests` holds the two to the same
/// `ListArguments` for every line this one accepts.
enum QuickListParser {
    /// Words that name another subcommand (or help) anywhere on the line: a
    /// dump named like one would be ambiguous, so ArgumentParser decides.
    /// The tests check this against `Kptdump.configuration.subcommands`.
    static let otherCommands: Set<String> = ["diff", "check-wx", "vtop", "ps", "snapshot", "info", "map", "help"]

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
            if name != "--filter" && name != "--range" {
                guard seen.insert(name == "-v" ? "--verbose" : name).inserted else { return nil }
            }
            if name == "--json" || name == "--summary" || name == "--phys" || name == "-v" || name == "--verbose" {
                guard inline == nil else { return nil }
                switch name {
                case "--json": parsed.json = true
                case "--summary": parsed.summary = true
                case "--phys": parsed.phys = true
                default: parsed.verbose = true
                }
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard let next = rest.popFirst() else { return nil }
                value = next
            }
            guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
            switch name {
            case "--core": parsed.core = value
            case "--vmlinux": parsed.vmlinux = value
            case "--system-map": parsed.systemMap = value
            case "--debug-root": parsed.debugRoot = value
            case "--comm": parsed.comm = value
            case "--filter": parsed.filter.append(value)
            case "--range": parsed.range.append(value)
            case "--table":
                guard let table = TableChoice(rawValue: value) else { return nil }
                parsed.table = table
            case "--cpu":
                guard let cpu = Int(value) else { return nil }
                parsed.cpu = cpu
            case "--pid":
                guard let pid = Int32(value) else { return nil }
                parsed.pid = pid
            default:
                return nil
            }
        }
        // What InputOptions.validate and OutputOptions.validate refuse.
        if let dumpfile = parsed.dumpfile, let core = parsed.core, dumpfile != core { return nil }
        if parsed.json && parsed.summary { return nil }
        if parsed.phys && (parsed.json || parsed.summary) { return nil }
        return parsed
    }
}
