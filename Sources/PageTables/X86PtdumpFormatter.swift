/// Prints listing events exactly as arch/x86/mm/dump_pagetables.c does.
public struct X86PtdumpFormatter {
    private var linesInRegion = 0
    private var regionMaxLines = 0

    public init() {}

    /// Text for one event (possibly empty, possibly several lines), each line
    /// ending in a newline.
    public mutating func format(_ event: ListingEvent) -> String {
        switch event {
        case .marker(let index, let marker):
            var out = ""
            if index > 0 && regionMaxLines > 0 && linesInRegion > regionMaxLines {
                let skipped = linesInRegion - regionMaxLines
                out += "... \(skipped) entr\(skipped == 1 ? "y" : "ies") skipped ... \n"
            }
            linesInRegion = 0
            regionMaxLines = marker.maxLines
            return out + "---[ \(marker.name) ]---\n"
        case .range(let range):
            defer { linesInRegion += 1 }
            if regionMaxLines > 0 && linesInRegion >= regionMaxLines { return "" }
            return Self.line(range)
        }
    }

    /// One range line: `0x%016lx-0x%016lx   %9lu%c <flags><level>`.
    public static func line(_ range: MappedRange) -> String {
        var out = hex16(range.start) + "-" + hex16(range.end) + "   "
        out += sizeField(range.size) + " "
        if let problem = range.problem {
            out += pad(problem.tag, to: 29) + " "
        } else {
            out += flags(range.protection, level: range.level)
        }
        out += range.level.name + "\n"
        return out
    }

    /// The size with the kernel's units: divide by 1024 only while the value
    /// stays whole, so a non-round size stays in a small unit.
    public static func sizeField(_ size: UInt64) -> String {
        let units: [Character] = ["B", "K", "M", "G", "T", "P", "E"]
        var delta = size
        var unit = 0
        while delta & 1023 == 0 && unit + 1 < units.count {
            delta >>= 10
            unit += 1
        }
        return pad(String(delta), to: 9, left: true) + String(units[unit])
    }

    /// `printk_prot()`: 30 columns of flags, or 30 spaces when not present.
    public static func flags(_ prot: UInt64, level: TableLevel) -> String {
        typealias P = X86_64Paging
        guard prot & P.present != 0 else { return String(repeating: " ", count: 30) }
        var out = ""
        out += prot & P.user != 0 ? "USR " : "    "
        out += prot & P.rw != 0 ? "RW " : "ro "
        out += prot & P.pwt != 0 ? "PWT " : "    "
        out += prot & P.pcd != 0 ? "PCD " : "    "
        out += level <= .pmd && prot & P.pse != 0 ? "PSE " : "    "
        let pat = (level == .pte && prot & P.pat != 0)
            || ((level == .pmd || level == .pud) && prot & P.patLarge != 0)
        out += pat ? "PAT " : "    "
        out += prot & P.global != 0 ? "GLB " : "    "
        out += prot & P.nx != 0 ? "NX " : "x  "
        return out
    }

    static func pad(_ s: String, to width: Int, left: Bool = false) -> String {
        let n = max(0, width - s.count)
        let fill = String(repeating: " ", count: n)
        return left ? fill + s : s + fill
    }
}
