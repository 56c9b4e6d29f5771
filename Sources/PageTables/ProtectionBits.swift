/// One row of an architecture ptdump's `prot_bits[]` table: the text printed for
/// a group of entry bits, as arch/arm64/mm/ptdump.c and arch/riscv/mm/ptdump.c
/// print them.
public struct ProtectionBit: Sendable, Equatable {
    /// How the row decides between `set` and `clear`.
    public enum Match: Sendable, Equatable {
        /// `(prot & mask) == value` (arm64; riscv before 6.7).
        case equals(UInt64)
        /// `prot & mask != 0` (riscv from 6.7 on, where `val` was dropped).
        case anySet
    }

    /// How a matching row renders. Most print `set` as it is; riscv from 6.7 on
    /// formats two rows with the bits' value.
    public enum Rendering: Sendable, Equatable {
        case text
        /// `RSW(%d)` with `(prot & mask) >> shift`.
        case number(shift: Int)
        /// `MT(%s)` with the Svpbmt memory type: NC, IO or `??`.
        case svpbmt(noncacheable: UInt64, io: UInt64)
    }

    public var mask: UInt64
    public var match: Match
    /// Printed when the row matches; nil prints nothing.
    public var set: String?
    /// Printed when it does not; nil prints nothing (arm64's memory types).
    public var clear: String?
    public var rendering: Rendering

    public init(mask: UInt64, value: UInt64, set: String?, clear: String?) {
        self.mask = mask
        self.match = .equals(value)
        self.set = set
        self.clear = clear
        self.rendering = .text
    }

    public init(mask: UInt64, anySet set: String, clear: String, rendering: Rendering = .text) {
        self.mask = mask
        self.match = .anySet
        self.set = set
        self.clear = clear
        self.rendering = rendering
    }

    /// The text of this row for `prot`, without the leading space; nil when the
    /// kernel prints nothing for it.
    public func text(for prot: UInt64) -> String? {
        let bits = prot & mask
        let matches: Bool
        switch match {
        case .equals(let value): matches = bits == value
        case .anySet: matches = bits != 0
        }
        guard matches, let set else { return matches ? nil : clear }
        switch rendering {
        case .text:
            return set
        case .number(let shift):
            return set.replacingFirst("%d", with: String(bits >> UInt64(shift)))
        case .svpbmt(let nc, let io):
            let name = bits == nc ? "NC" : bits == io ? "IO" : "??"
            return set.replacingFirst("%s", with: name)
        }
    }
}

/// A whole `prot_bits[]` table, in the kernel's print order.
public struct ProtectionTable: Sendable, Equatable {
    public var bits: [ProtectionBit]

    public init(_ bits: [ProtectionBit]) { self.bits = bits }

    /// `pg_level[].mask`: the OR of every row's mask; `note_page()` compares
    /// only these bits of an entry.
    public var mask: UInt64 { bits.reduce(0) { $0 | $1.mask } }

    /// `dump_prot()`: each row's text preceded by one space.
    public func describe(_ prot: UInt64) -> String {
        var out = ASCIILine(capacity: 64)
        append(prot, to: &out)
        return out.string
    }

    /// The words `describe` prints, row by row (a row's text may be blank
    /// padding, which prints as no word).
    public func words(_ prot: UInt64) -> [String] {
        bits.compactMap { $0.text(for: prot) }.flatMap { $0.split(separator: " ").map(String.init) }
    }

    func append(_ prot: UInt64, to out: inout ASCIILine) {
        for bit in bits {
            if let s = bit.text(for: prot) {
                out.append(" ")
                out.append(text: s)
            }
        }
    }
}

extension String {
    /// The string with the first `pattern` replaced, without Foundation.
    func replacingFirst(_ pattern: String, with replacement: String) -> String {
        let chars = Array(self), pat = Array(pattern)
        guard !pat.isEmpty, chars.count >= pat.count else { return self }
        for i in 0...(chars.count - pat.count) where Array(chars[i..<i + pat.count]) == pat {
            return String(chars[..<i]) + replacement + String(chars[(i + pat.count)...])
        }
        return self
    }
}
