import PageTables

/// The kernel's VMCOREINFO text (kernel/crash_core.c): `KEY=VALUE` lines such as
/// `OSRELEASE=6.1.0`, `PAGESIZE=4096`, `SYMBOL(init_top_pgt)=ffffffff...`,
/// `NUMBER(pgtable_l5_enabled)=1`, `KERNELOFFSET=2a000000`.
public struct VmcoreInfo: Sendable, Equatable {
    /// Lines in their original order, for `info` and snapshots.
    public let lines: [(key: String, value: String)]
    private let values: [String: String]

    public static func == (a: VmcoreInfo, b: VmcoreInfo) -> Bool { a.values == b.values }

    /// Parses the note's text. Lines without `=` are ignored, as makedumpfile does;
    /// the first occurrence of a key wins.
    public init(text: String) {
        var lines: [(String, String)] = []
        var values: [String: String] = [:]
        // Bytes, not Characters: the note is ASCII, and splitting it by
        // grapheme cost 2.9M instructions per run (callgrind, issue 16).
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0a || bytes[i] == 0 {
                defer { start = i + 1 }
                guard let eq = bytes[start..<i].firstIndex(of: 0x3d) else { continue }
                let key = String(decoding: bytes[start..<eq], as: UTF8.self)
                let value = String(decoding: bytes[(eq + 1)..<i], as: UTF8.self)
                lines.append((key, value))
                if values[key] == nil { values[key] = value }
            }
        }
        self.lines = lines
        self.values = values
    }

    public subscript(key: String) -> String? { values[key] }

    public var osRelease: String? { values["OSRELEASE"] }
    public var buildID: String? { values["BUILD-ID"] }

    /// `SYMBOL(name)`, hexadecimal without prefix.
    public func symbol(_ name: String) -> UInt64? { parseHex(values["SYMBOL(\(name))"]) }

    /// `NUMBER(name)`, decimal and possibly negative; returned as its bit pattern.
    public func number(_ name: String) -> UInt64? { parseDecimal(values["NUMBER(\(name))"]) }

    /// `OFFSET(struct.member)`, decimal.
    public func offset(_ name: String) -> UInt64? { parseDecimal(values["OFFSET(\(name))"]) }


    /// `KERNELOFFSET`, the KASLR displacement of the kernel image (hex).
    public var kernelOffset: UInt64? { parseHex(values["KERNELOFFSET"]) }
    public var pageSize: UInt64? { parseDecimal(values["PAGESIZE"]) }

    func parseHex(_ s: String?) -> UInt64? {
        guard var s = s?.trimmingSpaces, !s.isEmpty else { return nil }
        if s.hasPrefix("0x") { s.removeFirst(2) }
        return UInt64(s, radix: 16)
    }

    func parseDecimal(_ s: String?) -> UInt64? {
        guard let s = s?.trimmingSpaces, !s.isEmpty else { return nil }
        if let v = UInt64(s) { return v }
        if let v = Int64(s) { return UInt64(bitPattern: v) }
        if s.hasPrefix("0x"), let v = UInt64(s.dropFirst(2), radix: 16) { return v }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s.removeLast() }
        return String(s)
    }
}
