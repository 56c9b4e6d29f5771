/// `kptdump --json`: JSON Lines, one object per range, in listing order, so
/// `jq` can select ranges without reading the whole listing first.
///
///     {"marker": "vmalloc() Area", "start": "0xffffa005c0000000",
///      "end": "0xffffa005c0001000", "size": 4096, "level": "pte",
///      "present": true, "attributes": ["RW", "GLB", "NX"], "writable": true,
///      "executable": false, "user": false, "phys": "0x0000000003c4d000",
///      "contiguous": true}
///
/// Addresses are strings (`0x%016lx`), because jq reads numbers as doubles;
/// `size` is a number. `phys` is the physical address at `start` when the range
/// begins with a present leaf, and `contiguous` says whether the whole range
/// maps one physical run. A range the walker could not follow has `problem`.
///
/// User entries (x86-64, lower half) also say what they are, as the kernel
/// tells them apart (`EntryDescription`), for the range's first entry:
/// `kind` (normal, special, devmap, prot_none, swap, migration_*, device_*,
/// hwpoison, pte_marker, non_swap), `soft_dirty` and `uffd_wp`; non-present ones add
/// `swap_type`, `swap_offset` (a PFN for migration, device and hwpoison
/// entries) and `exclusive`; PTE markers add `guard` and `poisoned`.
public enum ListingJSON {
    /// The object for one range (no trailing newline).
    public static func line(_ range: MappedRange, marker: String, attributes: [String],
                            access: RangeAccess, entry: EntryDescription? = nil) -> String {
        var fields: [String] = [
            field("marker", JSONText.string(marker)),
            field("start", JSONText.string(hex16(range.start))),
            field("end", JSONText.string(hex16(range.end))),
            field("size", String(range.size)),
            field("level", JSONText.string(range.level.name)),
            field("present", String(access.present && range.problem == nil)),
            field("attributes", "[" + attributes.map(JSONText.string).joined(separator: ", ") + "]"),
            field("writable", String(access.present && access.writable)),
            field("executable", String(access.present && access.executable)),
            field("user", String(access.present && access.user)),
        ]
        if let pa = range.physicalStart {
            fields.append(field("phys", JSONText.string(hex16(pa.rawValue))))
            fields.append(field("contiguous", String(range.physicallyContiguous)))
        }
        if let problem = range.problem {
            fields.append(field("problem", JSONText.string(problem.description)))
        }
        if let entry {
            fields.append(field("kind", JSONText.string(entry.kind.rawValue)))
            if let type = entry.swapType, let offset = entry.swapOffset {
                fields.append(field("swap_type", String(type)))
                fields.append(field("swap_offset", String(offset)))
                fields.append(field("exclusive", String(entry.exclusive)))
            }
            fields.append(field("soft_dirty", String(entry.softDirty)))
            fields.append(field("uffd_wp", String(entry.uffdWP)))
            if entry.kind == .pteMarker {
                fields.append(field("guard", String(entry.guardRegion)))
                fields.append(field("poisoned", String(entry.poisoned)))
            }
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    static func field(_ key: String, _ value: String) -> String { JSONText.string(key) + ": " + value }

    /// Reads `--json` output back as a listing (for `diff`). Each non-empty
    /// line is one object; consecutive objects with the same `marker` form a
    /// region.
    public static func parse(_ text: String) throws(ListingTextError) -> ParsedListing {
        var regions: [ListingRegion] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if raw.allSatisfy({ $0 == " " || $0 == "\r" }) { continue }
            var parser = JSONParser(Array(raw.utf8))
            guard let value = try? parser.document(), case .object(let o) = value else {
                throw ListingTextError(line: number, reason: "not a JSON object")
            }
            guard case .string(let marker)? = o["marker"], case .string(let startText)? = o["start"],
                  case .string(let endText)? = o["end"], case .string(let level)? = o["level"],
                  let start = ParsedListing.hexValue(Substring(startText)),
                  let end = ParsedListing.hexValue(Substring(endText)) else {
                throw ListingTextError(line: number, reason: "a range needs marker, start, end and level")
            }
            var words: [String] = []
            if case .array(let list)? = o["attributes"] {
                for case .string(let w) in list { words.append(w) }
            }
            if case .bool(false)? = o["present"] { words = [] }
            var mark: String?
            if case .string(let p)? = o["problem"] { mark = "!! " + p }
            var physical: UInt64?
            if case .string(let p)? = o["phys"] { physical = ParsedListing.hexValue(Substring(p)) }
            let line = ListingLine(start: start, size: end &- start, level: level, attributes: words,
                                   physical: physical, mark: mark)
            if regions.last?.name != marker { regions.append(ListingRegion(name: marker)) }
            regions[regions.count - 1].lines.append(line)
        }
        guard !regions.isEmpty else { throw ListingTextError(line: 0, reason: "no JSON ranges") }
        return ParsedListing(regions: regions)
    }
}

/// A JSON value, as much of JSON as a listing needs; numbers stay text.
enum JSONValue: Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null
}

/// A small recursive-descent JSON reader, bounded in depth.
struct JSONParser {
    struct Failure: Error {}
    let bytes: [UInt8]
    var at = 0
    var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws(Failure) -> JSONValue {
        let v = try value()
        skipSpace()
        guard at == bytes.count else { throw Failure() }
        return v
    }

    mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[at]) { at += 1 }
    }

    mutating func expect(_ c: UInt8) throws(Failure) {
        skipSpace()
        guard at < bytes.count, bytes[at] == c else { throw Failure() }
        at += 1
    }

    mutating func value() throws(Failure) -> JSONValue {
        skipSpace()
        guard at < bytes.count, depth < 32 else { throw Failure() }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            at += 1
            var o: [String: JSONValue] = [:]
            skipSpace()
            if at < bytes.count && bytes[at] == UInt8(ascii: "}") { at += 1; return .object(o) }
            repeat {
                skipSpace()
                guard case .string(let key) = try value() else { throw Failure() }
                try expect(UInt8(ascii: ":"))
                o[key] = try value()
                skipSpace()
            } while try separator(close: UInt8(ascii: "}"))
            return .object(o)
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            at += 1
            var a: [JSONValue] = []
            skipSpace()
            if at < bytes.count && bytes[at] == UInt8(ascii: "]") { at += 1; return .array(a) }
            repeat {
                a.append(try value())
                skipSpace()
            } while try separator(close: UInt8(ascii: "]"))
            return .array(a)
        case UInt8(ascii: "\""):
            return .string(try string())
        default:
            return try literal()
        }
    }

    /// After an element: true for `,`, false for the closing bracket.
    mutating func separator(close: UInt8) throws(Failure) -> Bool {
        guard at < bytes.count else { throw Failure() }
        let c = bytes[at]
        at += 1
        if c == UInt8(ascii: ",") { return true }
        if c == close { return false }
        throw Failure()
    }

    mutating func string() throws(Failure) -> String {
        at += 1
        var out: [UInt8] = []
        while at < bytes.count {
            let c = bytes[at]
            at += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            guard at < bytes.count else { break }
            let e = bytes[at]
            at += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard at + 4 <= bytes.count,
                      let v = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(v) else { throw Failure() }
                at += 4
                out += Array(String(Character(scalar)).utf8)
            default: out.append(e)
            }
        }
        throw Failure()
    }

    mutating func literal() throws(Failure) -> JSONValue {
        let start = at
        while at < bytes.count, !([0x2c, 0x7d, 0x5d, 0x20, 0x09, 0x0a, 0x0d] as [UInt8]).contains(bytes[at]) { at += 1 }
        let word = String(decoding: bytes[start..<at], as: UTF8.self)
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default:
            guard !word.isEmpty, Double(word) != nil else { throw Failure() }
            return .number(word)
        }
    }
}
