/// Compares two listings range by range, not line by line.
///
/// Regions are matched by their marker name (the n-th region of a name with the
/// n-th of the same name). Inside a region every address is taken relative to
/// the region's anchor, the start of its first present line (or of its first
/// line when nothing is mapped), so KASLR's randomised bases and a randomised
/// kernel text offset do not make every line differ. Holes compare equal
/// whatever level they were found at: a hole's level says how deep the tables
/// go, not what is mapped.
public struct ListingDiff: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A hole in A is mapped in B.
        case added
        /// Mapped in A, a hole in B.
        case removed
        /// Mapped in both at the same level, with different attributes.
        case attributes
        /// Mapped in both with the same attributes at another level: a huge page
        /// split or merged.
        case level
        /// Both the attributes and the level differ.
        case attributesAndLevel = "attributes+level"
        /// One side could not be read (a `!!` mark).
        case marked
    }

    /// One stretch of a region where A and B disagree in the same way.
    public struct Change: Sendable, Equatable {
        public var region: String
        public var kind: Kind
        /// Offsets from the region's anchor, `[start, end)`.
        public var offset: UInt64
        public var size: UInt64
        /// The anchors, so each side's own addresses can be printed.
        public var anchorA: UInt64
        public var anchorB: UInt64
        public var lineA: ListingLine?
        public var lineB: ListingLine?
    }

    /// A marker present on one side only.
    public struct RegionChange: Sendable, Equatable {
        public var name: String
        public var onlyIn: Side
        public var lines: Int
    }

    public enum Side: String, Sendable { case a = "A", b = "B" }

    public var changes: [Change] = []
    public var regionChanges: [RegionChange] = []
    /// Regions compared (present on both sides).
    public var regionsCompared = 0
    /// Regions the kernel truncates (`... N entries skipped ...`), whose visible
    /// lines are not a full picture and so are not compared.
    public var notCompared: [String] = []

    public var isEmpty: Bool { changes.isEmpty && regionChanges.isEmpty }

    public init(_ a: ParsedListing, _ b: ParsedListing) {
        var remaining = Self.keyed(b)
        var order: [String] = []
        for (key, regionA) in Self.keyed(a) {
            order.append(key.display)
            guard let i = remaining.firstIndex(where: { $0.0 == key }) else {
                regionChanges.append(RegionChange(name: key.display, onlyIn: .a, lines: regionA.lines.count))
                continue
            }
            let regionB = remaining.remove(at: i).1
            regionsCompared += 1
            if regionA.skipped > 0 || regionB.skipped > 0 {
                notCompared.append(key.display)
                continue
            }
            changes += Self.compare(regionA, regionB, name: key.display)
        }
        for (key, regionB) in remaining {
            regionChanges.append(RegionChange(name: key.display, onlyIn: .b, lines: regionB.lines.count))
        }
    }

    struct RegionKey: Equatable {
        var name: String
        var occurrence: Int
        var display: String { occurrence == 0 ? name : "\(name) #\(occurrence + 1)" }
    }

    static func keyed(_ listing: ParsedListing) -> [(RegionKey, ListingRegion)] {
        var seen: [String: Int] = [:]
        return listing.regions.map { region in
            let n = seen[region.name, default: 0]
            seen[region.name] = n + 1
            return (RegionKey(name: region.name, occurrence: n), region)
        }
    }

    /// The region's anchor: its first present line, else its first line.
    static func anchor(_ region: ListingRegion) -> UInt64 {
        (region.lines.first(where: \.isPresent) ?? region.lines.first)?.start ?? 0
    }

    struct Segment {
        var start: UInt64
        var end: UInt64
        var line: ListingLine
    }

    /// The region's lines in anchor-relative coordinates, sorted. Lines before
    /// the anchor wrap to the top of the space and sort last on both sides.
    static func segments(_ region: ListingRegion, anchor: UInt64) -> [Segment] {
        region.lines.map { line in
            let start = line.start &- anchor
            let (end, overflow) = start.addingReportingOverflow(line.size)
            return Segment(start: start, end: overflow || line.size == 0 ? .max : end, line: line)
        }.sorted { $0.start < $1.start }
    }

    static func compare(_ a: ListingRegion, _ b: ListingRegion, name: String) -> [Change] {
        let anchorA = anchor(a), anchorB = anchor(b)
        let segA = segments(a, anchor: anchorA), segB = segments(b, anchor: anchorB)
        var points = Set<UInt64>()
        for s in segA + segB { points.insert(s.start); points.insert(s.end) }
        let cuts = points.sorted()
        var changes: [Change] = []
        var ia = 0, ib = 0
        for (from, to) in zip(cuts, cuts.dropFirst()) {
            while ia < segA.count && segA[ia].end <= from { ia += 1 }
            while ib < segB.count && segB[ib].end <= from { ib += 1 }
            let la = ia < segA.count && segA[ia].start <= from ? segA[ia].line : nil
            let lb = ib < segB.count && segB[ib].start <= from ? segB[ib].line : nil
            guard let kind = difference(la, lb) else { continue }
            if var last = changes.last, last.kind == kind, last.offset &+ last.size == from,
               last.lineA == la, last.lineB == lb {
                last.size = to &- last.offset
                changes[changes.count - 1] = last
                continue
            }
            changes.append(Change(region: name, kind: kind, offset: from, size: to &- from,
                                  anchorA: anchorA, anchorB: anchorB, lineA: la, lineB: lb))
        }
        return changes
    }

    /// Words that only restate the level (x86's PSE, arm64's BLK); the level
    /// itself is compared instead.
    static let levelWords: Set<String> = ["PSE", "BLK"]

    /// An unknown (empty) level agrees with any: a text that prints none.
    static func sameLevel(_ a: String?, _ b: String?) -> Bool {
        a == b || a == "" || b == ""
    }

    /// How two lines covering the same stretch differ, or nil when they agree.
    static func difference(_ a: ListingLine?, _ b: ListingLine?) -> Kind? {
        if a?.mark != nil || b?.mark != nil {
            return a?.mark == b?.mark && sameLevel(a?.level, b?.level) ? nil : .marked
        }
        let presentA = a?.isPresent ?? false, presentB = b?.isPresent ?? false
        switch (presentA, presentB) {
        case (false, false): return nil
        case (false, true): return .added
        case (true, false): return .removed
        default: break
        }
        guard let a, let b else { return nil }
        let sameAttributes = a.attributes.filter { !levelWords.contains($0) }
            == b.attributes.filter { !levelWords.contains($0) }
        switch (sameAttributes, sameLevel(a.level, b.level)) {
        case (true, true): return nil
        case (false, true): return .attributes
        case (true, false): return .level
        case (false, false): return .attributesAndLevel
        }
    }
}
