/// `--summary`: mapped bytes by page size, overall and per marker region, the
/// way /proc/meminfo's DirectMap4k/2M/1G count the direct map.
public struct ListingSummary: Sendable {
    public struct Row: Sendable, Equatable {
        public var region: String
        /// Mapped bytes and range count per level (0 = PGD ... 4 = PTE).
        public var bytes = [UInt64](repeating: 0, count: 5)
        public var ranges = [Int](repeating: 0, count: 5)
    }

    public let geometry: PagingGeometry
    public private(set) var rows: [Row] = []
    public private(set) var writableExecutablePages: UInt64 = 0
    public private(set) var markedRanges = 0

    public init(geometry: PagingGeometry) { self.geometry = geometry }

    /// Counts one range; holes and marked ranges map nothing.
    public mutating func add(_ range: MappedRange, region: String, access: RangeAccess, isWX: Bool) {
        if range.problem != nil { markedRanges += 1; return }
        guard access.present else { return }
        if rows.last?.region != region { rows.append(Row(region: region)) }
        let i = range.level.rawValue
        rows[rows.count - 1].bytes[i] &+= range.size
        rows[rows.count - 1].ranges[i] += 1
        if isWX { writableExecutablePages &+= range.size >> UInt64(geometry.pageShift) }
    }

    /// The levels that hold any mapping, deepest first (4K before 2M before 1G).
    var usedLevels: [TableLevel] {
        TableLevel.allCases.reversed().filter { level in rows.contains { $0.bytes[level.rawValue] != 0 } }
    }

    /// Bytes one leaf maps at `level` (the PTE level maps a page).
    func pageSizeName(_ level: TableLevel) -> String {
        let span = level == .pte ? geometry.pageSize : geometry.entrySpan(level)
        return PtdumpSize.text(span)
    }

    public var text: String {
        let levels = usedLevels
        var out = "mapped, by page size:\n"
        for level in levels {
            let bytes = rows.reduce(UInt64(0)) { $0 &+ $1.bytes[level.rawValue] }
            let ranges = rows.reduce(0) { $0 + $1.ranges[level.rawValue] }
            out += "  " + pad(pageSizeName(level), 5) + " " + level.name + " " + pad(String(bytes >> 10), 14, left: true)
                + " kB in " + String(ranges) + " ranges\n"
        }
        out += "by region (kB, and each page size's share of the region):\n"
        for row in rows {
            let total = row.bytes.reduce(UInt64(0), &+)
            var line = "  " + pad(row.region, 28)
            for level in levels where row.bytes[level.rawValue] != 0 {
                let b = row.bytes[level.rawValue]
                let share = total == 0 ? 0 : Double(b) / Double(total) * 100
                line += "  " + pageSizeName(level) + ": " + String(b >> 10) + " kB (" + percent(share) + ")"
            }
            out += line + "\n"
        }
        out += "W+X pages: \(writableExecutablePages)\n"
        if markedRanges > 0 { out += "marked ranges (not counted): \(markedRanges)\n" }
        return out
    }

    func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? fill + s : s + fill
    }

    func percent(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}
