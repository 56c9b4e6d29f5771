/// Which ranges of a listing to print: `--filter` on attributes and `--range`
/// on addresses or marker regions. An empty selection keeps everything, and
/// then the listing is the kernel's text byte for byte.
public struct RangeSelection: Sendable, Equatable {
    /// One `--filter` word.
    public enum Term: Sendable, Equatable {
        case writable, executable, user, present
        /// A level name: pgd, p4d, pud, pmd, pte.
        case level(String)
        /// An attribute word exactly as the listing prints it (`GLB`, `PSE`, `MEM/NORMAL`).
        case word(String)
    }

    /// A term and whether it must hold (false for a negated term).
    public struct Condition: Sendable, Equatable {
        public var term: Term
        public var wanted: Bool
    }

    /// Conditions that must all be met.
    public var terms: [Condition] = []
    /// Address intervals `[start, end]` (inclusive ends, so the top of the space fits).
    public var intervals: [ClosedRange<UInt64>] = []
    /// Region names as given to `--range`, matched against the marker names.
    public var regionNames: [String] = []

    public init() {}

    public var isEmpty: Bool { terms.isEmpty && intervals.isEmpty && regionNames.isEmpty }

    /// Parses `--filter`: words separated by spaces or commas, each optionally
    /// negated with `!` or `-`. `w`, `x`, `u` (or `user`) and `present` test the
    /// architecture's own bits (x86's effective protection); a level name tests
    /// the level; any other word must appear among the printed attributes.
    /// Only present ranges pass, unless a term is about presence itself.
    public mutating func addFilter(_ text: String) {
        for raw in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            var word = Substring(raw)
            var wanted = true
            if word.first == "!" || (word.first == "-" && word.count > 1) {
                wanted = false
                word = word.dropFirst()
            }
            let term: Term
            switch word.lowercased() {
            case "w", "write", "writable": term = .writable
            case "x", "exec", "executable": term = .executable
            case "u", "user": term = .user
            case "present", "p": term = .present
            case "pgd", "p4d", "pud", "pmd", "pte": term = .level(word.lowercased())
            default: term = .word(String(word))
            }
            terms.append(Condition(term: term, wanted: wanted))
        }
    }

    /// Parses `--range`: `START-END` or `START+SIZE` in hex (`0x` optional) or
    /// decimal, or else a marker name. Returns an error message, or nil.
    public mutating func addRange(_ text: String) -> String? {
        for (separator, isSize) in [("+", true), ("-", false)] {
            let parts = text.split(separator: Character(separator), maxSplits: 1)
            guard parts.count == 2, let a = Self.number(parts[0]), let b = Self.number(parts[1]) else { continue }
            if isSize {
                guard b > 0 else { return "--range \(text): the size is zero" }
                let (last, overflow) = a.addingReportingOverflow(b - 1)
                intervals.append(a...(overflow ? .max : last))
            } else {
                guard b > a else { return "--range \(text): the end is not above the start" }
                intervals.append(a...(b - 1))
            }
            return nil
        }
        if let a = Self.number(Substring(text)) {
            intervals.append(a...a)
            return nil
        }
        regionNames.append(text)
        return nil
    }

    static func number(_ s: Substring) -> UInt64? {
        let t = s.trimmingSpaces
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt64(t.dropFirst(2), radix: 16) }
        return UInt64(t) ?? UInt64(t, radix: 16)
    }

    /// The marker indices a region name selects: an exact match, ignoring case,
    /// else every marker whose name contains it. Names that select nothing are
    /// returned so the caller can say so.
    public func regions(in markers: MarkerTable) -> (indices: Set<Int>, unmatched: [String]) {
        var indices = Set<Int>()
        var unmatched: [String] = []
        for name in regionNames {
            let wanted = name.lowercased()
            let names = markers.markers.map { $0.name.lowercased() }
            var hits = names.indices.filter { names[$0] == wanted }
            if hits.isEmpty { hits = names.indices.filter { names[$0].contains(wanted) } }
            if hits.isEmpty { unmatched.append(name) }
            indices.formUnion(hits)
        }
        return (indices, unmatched)
    }

    /// Whether `range` is printed. `words` are its printed attributes.
    public func selects(_ range: MappedRange, access: RangeAccess, words: [String], regions: Set<Int>) -> Bool {
        if !intervals.isEmpty || !regionNames.isEmpty {
            let last = range.end &- 1
            let inInterval = intervals.contains { $0.lowerBound <= last && range.start <= $0.upperBound }
            guard inInterval || regions.contains(range.markerIndex) else { return false }
        }
        // Filters are about what is mapped: holes pass only a filter that asks
        // about presence itself (`!present`).
        if !terms.isEmpty && !terms.contains(where: { $0.term == .present })
            && !(access.present && range.problem == nil) {
            return false
        }
        for condition in terms {
            let holds: Bool
            switch condition.term {
            case .writable: holds = access.present && access.writable
            case .executable: holds = access.present && access.executable
            case .user: holds = access.present && access.user
            case .present: holds = access.present && range.problem == nil
            case .level(let name): holds = range.level.name == name
            case .word(let w): holds = words.contains(w)
            }
            if holds != condition.wanted { return false }
        }
        return true
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
