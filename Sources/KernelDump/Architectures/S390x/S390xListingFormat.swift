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

    struct Formatter: ListingFormatter {
        let format: S390xListingFormat
        /// `--phys`: the address mapped at the range's start, which the kernel does not print.
        let physicalColumn: Bool

        mutating func format(_ event: ListingEvent, into out: inout ASCIILine) {
            switch event {
            case .marker(_, let marker):
                out.append("---[ ")
                out.append(text: marker.name)
                out.append(" ]---\n")
            case .range(let range):
                appendLine(range, to: &out)
            }
        }

        func line(_ range: MappedRange) -> String {
            var out = ASCIILine()
            appendLine(range, to: &out)
            return out.string
        }

        mutating func record(_ event: ListingEvent, into listing: inout ParsedListing) {
            switch event {
            case .marker(_, let marker):
                listing.startRegion(marker.name)
            case .range(let range):
                let words = format.words(range)
                listing.append(ListingLine(range, levelName: format.levelNames[range.level.rawValue],
                                           attributes: words == ["I"] ? [] : words, physical: nil))
            }
        }

        func appendLine(_ range: MappedRange, to out: inout ASCIILine) {
            out.hex16(range.start)
            out.append("-")
            out.hex16(range.end)
            out.append(" ")
            if physicalColumn { out.physicalColumn(range.physicalStart) }
            // delta = size >> 10, divided by 1024 while whole, units "KMGTPE".
            var delta = range.size >> 10
            var unit = 0
            let units: [UInt8] = Array("KMGTPE".utf8)
            while delta & 0x3ff == 0 && unit + 1 < units.count {
                delta >>= 10
                unit += 1
            }
            out.decimal(delta, width: 9)
            out.append(byte: units[unit])
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
