/// Prints listing events the way the table-driven ptdumps do: arm64
/// (arch/arm64/mm/ptdump.c) and riscv (arch/riscv/mm/ptdump.c). Both print
/// `0x%016lx-0x%016lx   `, the size as `%9lu%c` with units `KMGTPE`, the level
/// name and the attribute table; they differ in the columns described here.
public struct TableDrivenFormatter: LineFormatter, Sendable {
    public struct Style: ListingFormat {
        /// `pg_level[].name`, PGD first.
        public var levelNames: [String]
        public var attributes: ProtectionTable
        /// riscv: ` 0x%016lx ` with the physical address of the range's first entry.
        public var physicalColumn: (@Sendable (UInt64) -> UInt64)?
        /// arm64 prints every range; riscv only those whose protection is non-zero.
        public var printsEmptyRanges: Bool

        public init(levelNames: [String], attributes: ProtectionTable,
                    physicalColumn: (@Sendable (UInt64) -> UInt64)? = nil, printsEmptyRanges: Bool) {
            self.levelNames = levelNames
            self.attributes = attributes
            self.physicalColumn = physicalColumn
            self.printsEmptyRanges = printsEmptyRanges
        }
    }

    public let style: Style
    /// `--phys` where the kernel prints no physical column (arm64): the address
    /// mapped at the range's start, in riscv's column.
    public var physicalColumn: Bool

    public init(style: Style, physicalColumn: Bool = false) {
        self.style = style
        self.physicalColumn = physicalColumn
    }

    /// Text for one event, each line ending in a newline; empty for a range the
    /// kernel does not print.
    public func format(_ event: ListingEvent) -> String {
        var out = ASCIILine()
        var copy = self
        copy.format(event, into: &out)
        return out.string
    }

    public func prints(_ range: MappedRange) -> Bool {
        range.problem != nil || range.protection != 0 || style.printsEmptyRanges
    }

    public func parsed(_ range: MappedRange) -> ListingLine {
        ListingLine(range, levelName: style.levelNames[range.level.rawValue], attributes: style.words(range),
                    physical: style.physicalColumn.map { $0(range.firstEntry) })
    }

    public func appendLine(_ range: MappedRange, to out: inout ASCIILine) {
        out.hex16(range.start)
        out.append("-")
        out.hex16(range.end)
        out.append("   ")
        if let physical = style.physicalColumn {
            out.append(" ")
            out.hex16(physical(range.firstEntry))
            out.append(" ")
        } else if physicalColumn {
            out.physicalColumn(range.physicalStart)
        }
        Self.appendSize(range.size, to: &out)
        out.append(" ")
        out.append(text: style.levelNames[range.level.rawValue])
        if let problem = range.problem {
            out.append(" ")
            out.append(text: problem.tag)
        } else if range.protection != 0 {
            style.attributes.append(range.protection, to: &out)
        }
        out.append("\n")
    }

    /// `delta = size >> 10`, then divided by 1024 while it stays whole, with
    /// units `KMGTPE`.
    public static func sizeField(_ size: UInt64) -> String {
        var out = ASCIILine(capacity: 10)
        appendSize(size, to: &out)
        return out.string
    }

    static func appendSize(_ size: UInt64, to out: inout ASCIILine) {
        PtdumpSize.append(scaled: size >> 10, units: PtdumpSize.kilobyteUnits, to: &out)
    }
}

extension TableDrivenFormatter.Style {
    public func makeFormatter(physicalColumn: Bool) -> any ListingFormatter {
        TableDrivenFormatter(style: self, physicalColumn: physicalColumn)
    }

    public func words(_ range: MappedRange) -> [String] {
        guard range.protection != 0 else { return [] }
        return attributes.words(range.protection)
    }
}
