import ArgumentParser
import Testing
@testable import kptdump

/// The quick `list` parser must read every line it accepts exactly as
/// ArgumentParser reads it, and must accept the lines users type most.
@Suite struct QuickListParserTests {
    /// ArgumentParser's reading of `line`: the `List` values, or nil when it
    /// refuses the line or picks another subcommand.
    func fullParse(_ line: [String]) -> ListArguments? {
        (try? Kptdump.parseAsRoot(line) as? List)?.arguments
    }

    @Test func acceptsTheCommonLinesAsArgumentParserReadsThem() {
        let lines: [[String]] = [
            ["dump.core"],
            ["list", "dump.core"],
            ["--core", "dump.core"],
            ["/tmp/vmcore", "--vmlinux", "/usr/lib/debug/vmlinux", "--system-map=/boot/System.map"],
            ["list", "vmcore", "--table", "current-user", "--cpu", "1", "-v"],
            ["vmcore", "--json", "--filter", "w x", "--filter=!user", "--range", "vmalloc", "--range=0xffff0000+0x1000"],
            ["--summary", "vmcore", "--debug-root", "/srv/dbg", "--pid", "+42", "--verbose"],
            ["vmcore", "--phys", "--comm", "sshd", "--core", "vmcore"],
            [],
            ["list"],
        ]
        for line in lines {
            let quick = QuickListParser.parse(line)
            #expect(quick != nil, "\(line)")
            #expect(quick == fullParse(line), "\(line)")
        }
    }

    @Test func leavesEverythingElseToArgumentParser() {
        let lines: [[String]] = [
            ["--help"], ["-h"], ["--version"], ["help"], ["info", "vmcore"], ["vmcore", "diff"],
            ["--generate-completion-script", "bash"], ["--experimental-dump-help"],
            ["vmcore", "--"], ["vmcore", "--cpu", "-1"], ["vmcore", "--cpu", "0x1"], ["vmcore", "--table", "bogus"],
            ["vmcore", "--json", "--summary"], ["vmcore", "--phys", "--json"], ["a", "--core", "b"], ["a", "b"],
            ["vmcore", "--cpu", "1", "--cpu", "2"], ["vmcore", "-v", "--verbose"], ["vmcore", "--json=true"],
            ["vmcore", "--vmlinux"], ["vmcore", "--vmlinux="], ["vmcore", "-vx"], ["vmcore", "--bogus", "x"],
            ["vmcore", "list"], [""],
        ]
        for line in lines {
            #expect(QuickListParser.parse(line) == nil, "\(line)")
        }
    }

    /// Every option `list`'s help names is one the quick parser reads, and no
    /// other: an option added to `List` alone would otherwise be dropped
    /// from `ListArguments` without a word.
    @Test func knowsEveryOptionOfList() throws {
        let help = List.helpMessage(columns: 1000)
        // The option column: lines that start with a dash, up to the help text
        // (`-v, --verbose`, `--core <core>`).
        var named = Set<String>()
        for line in help.split(separator: "\n") {
            let entry = line.drop(while: { $0 == " " })
            guard entry.hasPrefix("-"), let column = entry.split(separator: "  ").first else { continue }
            for name in column.split(separator: ",") {
                named.insert(String(name.drop(while: { $0 == " " }).prefix { $0 != " " && $0 != "=" }))
            }
        }
        named.subtract(["-h", "--help"])
        let known = Set(QuickListParser.flags.keys).union(QuickListParser.options.keys)
        #expect(named == known)
        #expect(QuickListParser.repeatable.isSubset(of: QuickListParser.options.keys))
    }

    @Test func namesEveryOtherSubcommand() {
        let names = Set(Kptdump.configuration.subcommands.map { $0._commandName })
        #expect(names.subtracting(["list"]).union(["help"]) == QuickListParser.otherCommands)
    }

    /// Lines drawn at random from words users type (and mistype): whenever the
    /// quick parser accepts one, ArgumentParser must read the same values.
    @Test func agreesWithArgumentParserOnRandomLines() {
        let words = ["list", "vmcore", "/tmp/dump", "--core", "--vmlinux", "--vmlinux=v", "--system-map", "--debug-root",
                     "--table", "kernel", "current-user", "efi", "bogus", "--cpu", "--cpu=3", "1", "+2", "0x10", "-1",
                     "--pid", "--comm", "sshd", "--json", "--summary", "--phys", "--filter", "w x", "!user", "--filter=x",
                     "--range", "vmalloc", "--range=0x1000", "-v", "--verbose", "-h", "--", "", "info", "=", "--=x"]
        var generator = SplitMix(seed: 0x6b70_7464)
        var accepted = 0
        for _ in 0..<2500 {
            let count = Int(generator.next() % 7)
            let line = (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }
            guard let quick = QuickListParser.parse(line) else { continue }
            accepted += 1
            #expect(quick == fullParse(line), "\(line)")
        }
        // Enough accepted lines that the comparison means something.
        #expect(accepted > 250, "\(accepted) accepted")
    }
}

/// A small seeded generator, so a failing line can be found again.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
