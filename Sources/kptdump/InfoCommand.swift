import ArgumentParser
import KernelDump

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print what was detected about the kernel, and from where."
    )

    @OptionGroup var input: InputOptions

    func run() throws {
        let rows = try reportingErrors { () throws(DumpError) in
            let (session, layout) = try Actions.open(input.request)
            var rows = Actions.describe(session, layout)
            for w in session.warnings { rows.append(("warning", w)) }
            return rows
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (key, value) in rows {
            print(key + ":" + String(repeating: " ", count: width - key.count + 1) + value)
        }
    }
}
