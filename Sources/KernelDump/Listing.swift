import PageTables

/// The outcome of one listing walk.
public struct ListingResult {
    public var statistics: WalkStatistics
    public var writableExecutablePages: UInt64
    /// Ranges the walker had to mark (unreadable or looping tables).
    public var problems: [MappedRange]
    /// Table pages the dump level left out, read as zeros: address and size.
    public var zeroFilledTables: [UInt64: Int] = [:]
}

/// The walk's view of a filtered dump (makedumpfile -d). A page-table page that
/// a live entry points to is never free, cache or user data, so when the dump
/// left it out, it was left out as a zero page: it reads as zeros. Pages that
/// were never in the dump still fail, and are marked.
final class FilteredTableMemory: PhysicalMemory {
    let base: any PhysicalMemory
    private(set) var zeroFilled: [UInt64: Int] = [:]

    init(_ base: any PhysicalMemory) { self.base = base }

    func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
        do {
            return try base.read(address, count: count)
        } catch .excluded(_) {
            zeroFilled[address.rawValue] = max(zeroFilled[address.rawValue] ?? 0, count)
            return [UInt8](repeating: 0, count: count)
        }
    }
}

/// Walks `spec` and streams the kernel's text listing to `write`, line by line.
public func writeListing(_ spec: TableSpec, memory: any PhysicalMemory, write: @escaping (String) -> Void) -> ListingResult {
    var x86 = X86PtdumpFormatter()
    var problems: [MappedRange] = []
    let style = spec.style
    var tableDriven: TableDrivenFormatter?
    if case .tableDriven(let s) = style { tableDriven = TableDrivenFormatter(style: s) }
    let merger = RangeMerger(architecture: spec.architecture, markers: spec.markers,
                             markerAdvance: spec.markerAdvance) { event in
        if case .range(let r) = event, r.problem != nil { problems.append(r) }
        let text = tableDriven?.format(event) ?? x86.format(event)
        if !text.isEmpty { write(text) }
    }
    let tables = FilteredTableMemory(memory)
    let walker = PageWalker(architecture: spec.architecture, memory: tables, kasan: spec.kasan)
    walker.walk(root: spec.root, ranges: spec.ranges, into: merger)
    return ListingResult(statistics: walker.statistics, writableExecutablePages: merger.writableExecutablePages,
                         problems: problems, zeroFilledTables: tables.zeroFilled)
}
