/// Minimal JSON text output: what `--json` needs, with no Foundation.
public enum JSONText {
    /// `s` as a JSON string literal.
    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let digits = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// An object from ordered (key, value) pairs. A key given more than once
    /// becomes an array of its values, in order.
    public static func object(_ rows: [(String, String)], indent: String = "  ") -> String {
        var keys: [String] = []
        var values: [String: [String]] = [:]
        for (k, v) in rows {
            if values[k] == nil { keys.append(k) }
            values[k, default: []].append(v)
        }
        let lines = keys.map { k -> String in
            let vs = values[k]!
            let value = vs.count == 1 ? string(vs[0]) : "[" + vs.map(string).joined(separator: ", ") + "]"
            return indent + string(k) + ": " + value
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }
}

extension String {
    public func replacingSpaces(with replacement: String) -> String {
        split(separator: " ", omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
