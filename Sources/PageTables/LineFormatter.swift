/// The shape of every ptdump but x86's (arm64, riscv, powerpc, s390): a marker
/// prints as `---[ name ]---`, each range the kernel prints as one line, with no
/// per-region state. A conforming formatter says which ranges print, how, and
/// what a line reads back as; the events, `line(_:)` and `diff`'s record are
/// shared here.
public protocol LineFormatter: ListingFormatter {
    /// Whether the kernel prints this range (powerpc and riscv skip holes).
    func prints(_ range: MappedRange) -> Bool

    /// The range's line, newline included.
    func appendLine(_ range: MappedRange, to out: inout ASCIILine)

    /// The range as `diff` reads its printed line back.
    func parsed(_ range: MappedRange) -> ListingLine
}

extension LineFormatter {
    public mutating func format(_ event: ListingEvent, into out: inout ASCIILine) {
        switch event {
        case .marker(_, let marker):
            out.append("---[ ")
            out.append(text: marker.name)
            out.append(" ]---\n")
        case .range(let range):
            if prints(range) { appendLine(range, to: &out) }
        }
    }

    public func line(_ range: MappedRange) -> String {
        var out = ASCIILine()
        appendLine(range, to: &out)
        return out.string
    }

    public mutating func record(_ event: ListingEvent, into listing: inout ParsedListing) {
        switch event {
        case .marker(_, let marker):
            listing.startRegion(marker.name)
        case .range(let range):
            if prints(range) { listing.append(parsed(range)) }
        }
    }
}
