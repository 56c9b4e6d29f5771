/// How one architecture's ptdump prints a listing: its line format, its
/// attribute words and any per-region state (x86 limits lines per region).
/// A `TableSpec` carries one; `TableDrivenFormatter.Style` is the format of
/// the ptdumps that print from an attribute table (arm64, riscv).
public protocol ListingFormat: Sendable {
    /// A fresh formatter for one listing; `physicalColumn` is `--phys`.
    func makeFormatter(physicalColumn: Bool) -> any ListingFormatter

    /// The attribute words the listing prints for `range` (empty for a hole),
    /// for `--filter` and JSON.
    func words(_ range: MappedRange) -> [String]
}

/// Formats one listing's events, in order.
public protocol ListingFormatter {
    /// Appends the text for one event (possibly nothing, possibly several
    /// lines), each line ending in a newline.
    mutating func format(_ event: ListingEvent, into out: inout ASCIILine)

    /// Appends the text for `ranges` moved by `shift`, one after the other,
    /// all in the current region (a replayed subtree's, `RangeMerger.emitReplayed`).
    mutating func formatReplayed(_ ranges: [MappedRange], shift: UInt64, into out: inout ASCIILine)

    /// One range as the listing prints it, whatever the region's line limit.
    func line(_ range: MappedRange) -> String

    /// Adds the event to `listing` as reading back the text `format` prints
    /// would: the same lines, regions and skipped counts, without the text
    /// (for `diff`, which compares listings).
    mutating func record(_ event: ListingEvent, into listing: inout ParsedListing)
}

extension ListingFormatter {
    public mutating func formatReplayed(_ ranges: [MappedRange], shift: UInt64, into out: inout ASCIILine) {
        for range in ranges { format(.range(range.moved(by: shift)), into: &out) }
    }

    /// Text for one event; see `format(_:into:)`.
    public mutating func format(_ event: ListingEvent) -> String {
        var out = ASCIILine()
        format(event, into: &out)
        return out.string
    }
}

extension ListingFormat {
    /// One range as the listing prints it (W+X offenders, `map` tooltips).
    public func line(_ range: MappedRange) -> String {
        makeFormatter(physicalColumn: false).line(range)
    }
}

/// The size column of x86's ptdump, `%9lu%c` after dividing by 1024 while the
/// value stays whole (units `BKMGTPE`), which also names sizes in `vtop`,
/// `map`, summaries and diff reports.
public enum PtdumpSize {
    /// The nine-column field, right-aligned.
    public static func field(_ size: UInt64) -> String {
        var out = ASCIILine(capacity: 10)
        append(size, to: &out)
        return out.string
    }

    /// The size alone: `4K`, `2M`, `512B`.
    public static func text(_ size: UInt64) -> String {
        String(field(size).drop(while: { $0 == " " }))
    }

    static let byteUnits: [UInt8] = Array("BKMGTPE".utf8)
    /// The units of the ptdumps that print `size >> 10` (arm64, riscv, s390).
    public static let kilobyteUnits: [UInt8] = Array("KMGTPE".utf8)

    public static func append(_ size: UInt64, to out: inout ASCIILine) {
        append(scaled: size, units: byteUnits, to: &out)
    }

    /// `delta` in `units[0]`, divided by 1024 while it stays whole.
    public static func append(scaled delta: UInt64, units: [UInt8], to out: inout ASCIILine) {
        var delta = delta
        var unit = 0
        while delta & 1023 == 0 && unit + 1 < units.count {
            delta >>= 10
            unit += 1
        }
        out.decimal(delta, width: 9)
        out.append(byte: units[unit])
    }
}

extension ParsedListing {
    /// Starts the region a marker line announces.
    public mutating func startRegion(_ name: String) {
        regions.append(ListingRegion(name: name))
    }

    /// Adds one range line to the current region (to an unnamed first region
    /// when no marker came yet, as the text reader does).
    public mutating func append(_ line: ListingLine) {
        if regions.isEmpty { regions.append(ListingRegion(name: "")) }
        regions[regions.count - 1].lines.append(line)
    }

    /// Adds a `... N entries skipped ...` count to the current region.
    public mutating func addSkipped(_ count: Int) {
        if regions.isEmpty { regions.append(ListingRegion(name: "")) }
        regions[regions.count - 1].skipped += count
    }
}

extension ListingLine {
    /// The line a formatter prints for `range`, as the text reader reads it:
    /// the level lower-cased, the attribute words, the mark of an entry that
    /// could not be followed in place of the attributes.
    public init(_ range: MappedRange, levelName: String, attributes: [String], physical: UInt64?) {
        let mark = range.problem.map { $0.tag.split(separator: " ").joined(separator: " ") }
        self.init(start: range.start, size: range.end &- range.start, level: levelName.lowercased(),
                  attributes: mark == nil ? attributes : [], physical: physical, mark: mark)
    }
}
