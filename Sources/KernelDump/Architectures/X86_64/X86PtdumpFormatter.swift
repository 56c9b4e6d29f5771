import PageTables

/// x86's listing format: arch/x86/mm/dump_pagetables.c.
public struct X86ListingFormat: ListingFormat {
    public init() {}

    public func makeFormatter(physicalColumn: Bool) -> any ListingFormatter {
        X86PtdumpFormatter(physicalColumn: physicalColumn)
    }

    /// The words of `printk_prot()`'s columns, blank columns left out.
    public func words(_ range: MappedRange) -> [String] {
        typealias P = X86_64Paging
        let prot = range.protection, level = range.level
        guard prot & P.present != 0 else { return [] }
        var words: [String] = []
        if prot & P.user != 0 { words.append("USR") }
        words.append(prot & P.rw != 0 ? "RW" : "ro")
        if prot & P.pwt != 0 { words.append("PWT") }
        if prot & P.pcd != 0 { words.append("PCD") }
        if level <= .pmd && prot & P.pse != 0 { words.append("PSE") }
        if (level == .pte && prot & P.pat != 0) || ((level == .pmd || level == .pud) && prot & P.patLarge != 0) {
            words.append("PAT")
        }
        if prot & P.global != 0 { words.append("GLB") }
        words.append(prot & P.nx != 0 ? "NX" : "x")
        return words
    }
}

/// Prints listing events exactly as arch/x86/mm/dump_pagetables.c does.
public struct X86PtdumpFormatter: ListingFormatter {
    private var linesInRegion = 0
    private var regionMaxLines = 0
    /// `--phys`: a physical column after the range, in riscv's form (not the kernel's x86 text).
    public var physicalColumn = false

    public init(physicalColumn: Bool = false) { self.physicalColumn = physicalColumn }

    /// Appends the text for one event to `out`.
    public mutating func format(_ event: ListingEvent, into out: inout ASCIILine) {
        switch event {
        case .marker(let index, let marker):
            if index > 0 && regionMaxLines > 0 && linesInRegion > regionMaxLines {
                let skipped = linesInRegion - regionMaxLines
                out.append(text: "... \(skipped) entr\(skipped == 1 ? "y" : "ies") skipped ... \n")
            }
            linesInRegion = 0
            regionMaxLines = marker.maxLines
            out.append("---[ ")
            out.append(text: marker.name)
            out.append(" ]---\n")
        case .range(let range):
            defer { linesInRegion += 1 }
            if regionMaxLines > 0 && linesInRegion >= regionMaxLines { return }
            Self.appendLine(range, physicalColumn: physicalColumn, to: &out)
        }
    }

    /// Past the region's limit each range only counts (ESPfix's 131,000 of
    /// Debian 6.1 print 16 lines and a count).
    public mutating func formatReplayed(_ ranges: [MappedRange], shift: UInt64, into out: inout ASCIILine) {
        var i = 0
        while i < ranges.count && !(regionMaxLines > 0 && linesInRegion >= regionMaxLines) {
            format(.range(ranges[i].moved(by: shift)), into: &out)
            i += 1
        }
        linesInRegion += ranges.count - i
    }

    /// Keeps the text's decisions: the lines past a region's limit are counted,
    /// and the count reaches the listing only when the next marker prints it.
    public mutating func record(_ event: ListingEvent, into listing: inout ParsedListing) {
        switch event {
        case .marker(let index, let marker):
            if index > 0 && regionMaxLines > 0 && linesInRegion > regionMaxLines {
                listing.addSkipped(linesInRegion - regionMaxLines)
            }
            linesInRegion = 0
            regionMaxLines = marker.maxLines
            listing.startRegion(marker.name)
        case .range(let range):
            defer { linesInRegion += 1 }
            if regionMaxLines > 0 && linesInRegion >= regionMaxLines { return }
            listing.append(ListingLine(range, levelName: range.level.name,
                                       attributes: X86ListingFormat().words(range), physical: nil))
        }
    }

    /// One range line: `0x%016lx-0x%016lx   %9lu%c <flags><level>`.
    public func line(_ range: MappedRange) -> String {
        var out = ASCIILine()
        Self.appendLine(range, physicalColumn: physicalColumn, to: &out)
        return out.string
    }

    static func appendLine(_ range: MappedRange, physicalColumn: Bool, to out: inout ASCIILine) {
        out.hex16(range.start)
        out.append("-")
        out.hex16(range.end)
        out.append("   ")
        if physicalColumn { out.physicalColumn(range.physicalStart) }
        PtdumpSize.append(range.size, to: &out)
        out.append(" ")
        if let problem = range.problem {
            let tag = problem.tag
            out.append(text: tag)
            out.spaces(29 - tag.count)
            out.append(" ")
        } else {
            appendFlags(range.protection, level: range.level, to: &out)
        }
        out.append(text: range.level.name)
        out.append("\n")
    }

    /// `printk_prot()`: 30 columns of flags, or 30 spaces when not present.
    public static func flags(_ prot: UInt64, level: TableLevel) -> String {
        var out = ASCIILine(capacity: 30)
        appendFlags(prot, level: level, to: &out)
        return out.string
    }

    static func appendFlags(_ prot: UInt64, level: TableLevel, to out: inout ASCIILine) {
        typealias P = X86_64Paging
        guard prot & P.present != 0 else { return out.spaces(30) }
        // StaticStrings: a String per word would cost more than the walk.
        let blank: StaticString = "    "
        out.append(prot & P.user != 0 ? "USR " : blank)
        out.append(prot & P.rw != 0 ? "RW " : "ro " as StaticString)
        out.append(prot & P.pwt != 0 ? "PWT " : blank)
        out.append(prot & P.pcd != 0 ? "PCD " : blank)
        out.append(level <= .pmd && prot & P.pse != 0 ? "PSE " : blank)
        let pat = (level == .pte && prot & P.pat != 0)
            || ((level == .pmd || level == .pud) && prot & P.patLarge != 0)
        out.append(pat ? "PAT " : blank)
        out.append(prot & P.global != 0 ? "GLB " : blank)
        out.append(prot & P.nx != 0 ? "NX " : "x  " as StaticString)
    }
}
