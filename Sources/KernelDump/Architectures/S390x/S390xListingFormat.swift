import PageTables

/// How s390's ptdump prints (arch/s390/mm/dump_pagetables.c, 6.12): every
/// range, holes included, as `0x%016lx-0x%016lx ` (end exclusive), the size
/// `%9lu%c ` in KMGTPE, the level name, then `I` (invalid) or `RO`/`RW` and
/// `NX`/`X`; markers are `---[ name Start ]---` / `End` headers.
public struct S390xListingFormat: ListingFormat {
    /// By the walker's level (`S390xPaging.levelNames`).
    public var levelNames: [String]

    public init(levelNames: [String]) { self.levelNames = levelNames }

    public func makeFormatter(physicalColumn: Bool) -> any ListingFormatter {
        Formatter(format: self, physicalColumn: physicalColumn)
    }

    public func words(_ range: MappedRange) -> [String] {
        let p = range.protection
        if p & S390xPaging.pageInvalid != 0 { return ["I"] }
        return [p & S390xPaging.pageProtect != 0 ? "RO" : "RW", p & S390xPaging.pageNoExec != 0 ? "NX" : "X"]
    }

    struct Formatter: LineFormatter {
        let format: S390xListingFormat
        /// `--phys`: the address mapped at the range's start, which the kernel does not print.
        let physicalColumn: Bool

        /// Every range, holes included.
        func prints(_ range: MappedRange) -> Bool { true }

        /// A hole's `I` is no attribute: the text reader reads it as none.
        func parsed(_ range: MappedRange) -> ListingLine {
            let words = format.words(range)
            return ListingLine(range, levelName: format.levelNames[range.level.rawValue],
                               attributes: words == ["I"] ? [] : words, physical: nil)
        }

        func appendLine(_ range: MappedRange, to out: inout ASCIILine) {
            out.hex16(range.start)
            out.append("-")
            out.hex16(range.end)
            out.append(" ")
            if physicalColumn { out.physicalColumn(range.physicalStart) }
            PtdumpSize.append(scaled: range.size >> 10, units: PtdumpSize.kilobyteUnits, to: &out)
            out.append(" ")
            out.append(text: format.levelNames[range.level.rawValue])
            out.append(" ")
            if let problem = range.problem {
                out.append(text: problem.tag)
            } else {
                out.append(text: format.words(range).joined(separator: " "))
            }
            out.append("\n")
        }
    }
}
