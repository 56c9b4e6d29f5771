/// A ptdump listing read back from its text: the kernel's own debugfs file
/// (x86's `page_tables/*`, the `*_page_tables` of arm64, riscv, s390 and
/// powerpc from the release that prints level names) or ours, which is the same
/// text. `diff` compares two of these.
public struct ParsedListing: Sendable, Equatable {
    public var regions: [ListingRegion]

    public init(regions: [ListingRegion]) { self.regions = regions }

    /// Every line, in order.
    public var lineCount: Int { regions.reduce(0) { $0 + $1.lines.count } }
}

/// The lines printed under one `---[ NAME ]---` header.
public struct ListingRegion: Sendable, Equatable {
    public var name: String
    public var lines: [ListingLine]
    /// x86's `... N entries skipped ...`: the kernel printed only the first lines.
    public var skipped: Int

    public init(name: String, lines: [ListingLine] = [], skipped: Int = 0) {
        self.name = name
        self.lines = lines
        self.skipped = skipped
    }
}

/// One range line as the text shows it.
public struct ListingLine: Sendable, Equatable {
    public var start: UInt64
    /// `end - start`, wrapping as the kernel's unsigned arithmetic does (the last
    /// line of a listing ends at 0).
    public var size: UInt64
    /// The level name, lower case: pgd, p4d, pud, pmd, pte; empty where the
    /// text does not say (powerpc's before 7.x).
    public var level: String
    /// The attribute words as printed (`RW`, `NX`, `GLB`, `MEM/NORMAL`, ...);
    /// empty for a hole.
    public var attributes: [String]
    /// riscv's physical-address column.
    public var physical: UInt64?
    /// kptdump's `!! ...` mark for an entry it could not follow.
    public var mark: String?

    public init(start: UInt64, size: UInt64, level: String, attributes: [String],
                physical: UInt64? = nil, mark: String? = nil) {
        self.start = start
        self.size = size
        self.level = level
        self.attributes = attributes
        self.physical = physical
        self.mark = mark
    }

    /// A line with attributes maps something; a hole prints none, and arm64
    /// prints `F` (fault) for an entry whose valid bit is clear.
    public var isPresent: Bool { !attributes.isEmpty && !attributes.contains("F") }
}

/// Why a text could not be read as a listing.
public struct ListingTextError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
}

extension ParsedListing {
    static let levelNames: Set<String> = ["pgd", "p4d", "pud", "pmd", "pte"]

    /// Reads ptdump text. Accepts every form the kernel prints: x86's flags
    /// before the level, arm64's and riscv's level before the attributes, and
    /// riscv's physical column. Lines before the first header go into a region
    /// with an empty name.
    public init(text: String) throws(ListingTextError) {
        var regions: [ListingRegion] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " }) { continue }
            if line.hasPrefix("---[ ") && line.hasSuffix(" ]---") {
                regions.append(ListingRegion(name: String(line.dropFirst(5).dropLast(5))))
                continue
            }
            if regions.isEmpty { regions.append(ListingRegion(name: "")) }
            if line.hasPrefix("... ") {
                let words = line.split(separator: " ")
                guard words.count >= 3, let n = Int(words[1]), words[2].hasPrefix("entr") else {
                    throw ListingTextError(line: number, reason: "not a ptdump line: \(line.prefix(80))")
                }
                regions[regions.count - 1].skipped += n
                continue
            }
            guard let parsed = Self.rangeLine(line) else {
                throw ListingTextError(line: number, reason: "not a ptdump line: \(line.prefix(80))")
            }
            regions[regions.count - 1].lines.append(parsed)
        }
        guard !regions.isEmpty else { throw ListingTextError(line: 0, reason: "no ptdump lines") }
        self.regions = regions
    }

    /// `0x%016lx-0x%016lx   [0x%016lx ] %9lu%c <rest>`. powerpc prints the
    /// end inclusive (`addr - 1`): a page-aligned start with an end whose page
    /// offset is all ones is read so. s390 prints a hole as the word `I`.
    static func rangeLine(_ line: Substring) -> ListingLine? {
        let words = line.split(separator: " ")
        guard words.count >= 2 else { return nil }
        let bounds = words[0].split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = hexValue(bounds[0]), let end = hexValue(bounds[1]) else { return nil }
        var index = 1
        var physical: UInt64?
        if words[index].hasPrefix("0x") {
            physical = hexValue(words[index])
            guard physical != nil else { return nil }
            index += 1
        }
        guard index < words.count, let unit = words[index].last, "BKMGTPE".contains(unit),
              UInt64(words[index].dropLast()) != nil else { return nil }
        index += 1
        var rest = words[index...].map(String.init)
        var level: String
        if let first = rest.first, levelNames.contains(first.lowercased()) {
            level = first.lowercased()
            rest.removeFirst()
        } else if let last = rest.last, levelNames.contains(last.lowercased()) {
            level = last.lowercased()
            rest.removeLast()
        } else if physical != nil && start & 0xfff == 0 && end & 0xfff == 0xfff {
            // powerpc before 7.x (inclusive end, physical column) prints no level.
            level = ""
        } else {
            return nil
        }
        var mark: String?
        if let bang = rest.firstIndex(of: "!!") {
            mark = rest[bang...].joined(separator: " ")
            rest = Array(rest[..<bang])
        }
        if rest == ["I"] { rest = [] }
        let inclusive = start & 0xfff == 0 && end & 0xfff == 0xfff
        return ListingLine(start: start, size: end &- start &+ (inclusive ? 1 : 0), level: level, attributes: rest,
                           physical: physical, mark: mark)
    }

    static func hexValue(_ s: Substring) -> UInt64? {
        guard s.hasPrefix("0x"), s.count > 2, s.count <= 18 else { return nil }
        return UInt64(s.dropFirst(2), radix: 16)
    }
}
