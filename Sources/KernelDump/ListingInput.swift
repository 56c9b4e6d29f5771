import PageTables

/// One side of `kptdump diff`: a listing read from ptdump text (the kernel's
/// own debugfs file, or kptdump's output), from kptdump's `--json` output, or
/// walked from a dump or snapshot.
public struct ListingInput {
    public var listing: ParsedListing
    /// What the input was, for the report's A:/B: lines.
    public var label: String

    /// What a file holds, judged from its first bytes.
    public enum Kind: Equatable {
        case text, json, dump
    }

    /// Text starts with a marker header or a range; JSON with `{`; anything
    /// else is left to the dump probe, which names the format it expected.
    public static func kind(of path: String) throws(DumpError) -> Kind {
        let head = try FileBytes.readHead(path, count: 64)
        let text = head.drop(while: { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 })
        if text.starts(with: Array("---[".utf8)) || text.starts(with: Array("0x".utf8)) { return .text }
        if text.first == UInt8(ascii: "{") { return .json }
        return .dump
    }

    /// Reads `request.core` (a file of any kind above). `table` and `cpu` choose
    /// what a dump lists; text and JSON are what they are.
    public static func load(_ request: DumpRequest, table: TableChoice, cpu: Int) throws(DumpError) -> ListingInput {
        guard let path = request.core else {
            return ListingInput(listing: try walked(request, table: table, cpu: cpu, path: "/proc/kcore"),
                                label: "/proc/kcore (\(table.rawValue))")
        }
        switch try kind(of: path) {
        case .text:
            let text = String(decoding: try readAll(path), as: UTF8.self)
            return ListingInput(listing: try parse(text, path: path), label: "\(path) (ptdump text)")
        case .json:
            let text = String(decoding: try readAll(path), as: UTF8.self)
            do {
                return ListingInput(listing: try ListingJSON.parse(text), label: "\(path) (kptdump JSON)")
            } catch {
                throw .badFormat(path: path, offset: 0, what: "JSON listing", reason: error.description)
            }
        case .dump:
            return ListingInput(listing: try walked(request, table: table, cpu: cpu, path: path),
                                label: "\(path) (\(table.rawValue))")
        }
    }

    /// A dump's table as the lines and regions of its listing, walked without
    /// printing it.
    static func walked(_ request: DumpRequest, table: TableChoice, cpu: Int, path: String) throws(DumpError) -> ParsedListing {
        let (session, layout) = try Actions.open(request)
        guard let spec = try layout.table(table, session: session, cpu: cpu) else {
            // The kernel's own file is empty in this state: nothing to compare.
            throw .badFormat(path: path, offset: 0, what: "ptdump text", reason: "line 0: no ptdump lines")
        }
        let (listing, _) = recordListing(spec, memory: session.memory)
        guard !listing.regions.isEmpty else {
            throw .badFormat(path: path, offset: 0, what: "ptdump text", reason: "line 0: no ptdump lines")
        }
        return listing
    }

    static func parse(_ text: String, path: String) throws(DumpError) -> ParsedListing {
        do {
            return try ParsedListing(text: text)
        } catch {
            throw .badFormat(path: path, offset: 0, what: "ptdump text", reason: error.description)
        }
    }

    /// Listings are text files of a few hundred kilobytes; a file far larger
    /// than any listing is refused rather than read whole.
    static let maximumTextBytes = 256 << 20

    static func readAll(_ path: String) throws(DumpError) -> [UInt8] {
        do {
            return try FileBytes.readWhole(path, limit: maximumTextBytes)
        } catch .badFormat(let path, _, _, _) {
            throw .badFormat(path: path, offset: 0, what: "listing", reason: "larger than \(maximumTextBytes >> 20) MiB; not a ptdump listing")
        }
    }

}
