import PageTables

/// The outcome of one listing walk.
public struct ListingResult {
    public var statistics: WalkStatistics
    public var writableExecutablePages: UInt64
    /// Ranges the walker had to mark (unreadable or looping tables).
    public var problems: [MappedRange]
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
    let walker = PageWalker(architecture: spec.architecture, memory: memory, kasan: spec.kasan)
    walker.walk(root: spec.root, ranges: spec.ranges, into: merger)
    return ListingResult(statistics: walker.statistics, writableExecutablePages: merger.writableExecutablePages,
                         problems: problems)
}
