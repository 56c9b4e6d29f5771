import ArgumentParser
import KernelDump

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print what was detected about the kernel, and from where."
    )

    @OptionGroup var input: InputOptions

    @Flag(help: "Print one JSON object instead of text; a key that occurs more than once (warning, skipped) holds an array.")
    var json = false

    func run() throws {
        let (rows, jsonText) = try reportingErrors { () throws(DumpError) in
            let (session, layout) = try Actions.open(input.request)
            return (Actions.describe(session, layout, tool: versionText), Actions.describeJSON(session, layout, tool: versionText))
        }
        if json {
            print(jsonText, terminator: "")
            return
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (key, value) in rows {
            print(key + ":" + String(repeating: " ", count: width - key.count + 1) + value)
        }
    }
}
