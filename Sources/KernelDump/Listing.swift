import PageTables

/// The outcome of one listing walk.
public struct ListingResult {
    public var statistics: WalkStatistics
    public var writableExecutablePages: UInt64
    /// arm64: kernel pages user space could execute.
    public var nonUXNPages: UInt64 = 0
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

/// How a listing is printed: the kernel's text (the default), JSON Lines, or a
/// summary; with a selection of ranges.
public struct ListingOptions: Sendable {
    public enum Output: Sendable { case text, json, summary }
    public var output: Output = .text
    public var selection = RangeSelection()
    /// `--phys`: text lines get a physical column (riscv's has one already).
    public var physicalColumn = false
    /// A progress line for long walks (the CLI sets one when stderr is a terminal).
    public var progress: ProgressLine?
    /// A lower bound on table visits than the walker's own (`PageWalker.maxTotalVisits`,
    /// and 512 times it on `maxReplayWork`), for the fuzzer, which needs every
    /// input to finish in milliseconds.
    public var maxTableVisits: Int?
    public init() {}
}

/// Walks `spec` and streams the kernel's text listing to `write`, line by line.
public func writeListing(_ spec: TableSpec, memory: any PhysicalMemory, options: ListingOptions = ListingOptions(),
                         write: @escaping (String) -> Void) -> ListingResult {
    let format = spec.format
    var formatter = format.makeFormatter(physicalColumn: options.physicalColumn)
    let architecture = spec.architecture
    let selection = options.selection
    let regions = selection.regions(in: spec.markers).indices
    var summary = ListingSummary(geometry: architecture.geometry)
    // With a selection, a header is printed only before the first range it keeps.
    var pendingMarker: ListingEvent?
    // Lines go into one buffer, handed to `write` in chunks of about 64 KiB.
    var pending = ASCIILine(capacity: 1 << 16)
    func text(_ event: ListingEvent) {
        formatter.format(event, into: &pending)
        if pending.count >= 1 << 16 - 512 { write(pending.takeString()) }
    }
    let plainText = selection.isEmpty && options.output == .text
    let replayed: (([MappedRange], UInt64) -> Void)? = plainText ? { ranges, shift in
        formatter.formatReplayed(ranges, shift: shift, into: &pending)
        if pending.count >= 1 << 16 - 512 { write(pending.takeString()) }
    } : nil
    let result = walkEvents(spec, memory: memory, maxTableVisits: options.maxTableVisits, progress: options.progress,
                            splitsUserKinds: options.output == .json, replayed: replayed) { event in
        guard case .range(let r) = event else {
            if selection.isEmpty && options.output == .text { text(event) } else { pendingMarker = event }
            return
        }
        if selection.isEmpty && options.output == .text { return text(event) }
        let access = architecture.access(protection: r.protection, effective: r.effective)
        let words = format.words(r)
        guard selection.selects(r, access: access, words: words, regions: regions) else { return }
        let marker = spec.markers[r.markerIndex].name
        switch options.output {
        case .text:
            if let m = pendingMarker { text(m); pendingMarker = nil }
            text(event)
        case .json:
            var entry: EntryDescription?
            if let swapTypes = spec.swapTypes, r.problem == nil, r.start < 1 << 63 {
                entry = architecture.describeUserEntry(r.firstEntry, at: r.level, swapTypes: swapTypes)
            }
            write(ListingJSON.line(r, marker: marker, attributes: words, access: access, entry: entry) + "\n")
        case .summary:
            summary.add(r, region: marker, access: access,
                        isWX: architecture.isWritableAndExecutable(protection: r.protection, effective: r.effective))
        }
    }
    if pending.count > 0 { write(pending.takeString()) }
    if options.output == .summary { write(summary.text) }
    return result
}

/// Walks `spec` into the lines and regions its text would hold, without
/// the text: what `diff` compares.
public func recordListing(_ spec: TableSpec, memory: any PhysicalMemory) -> (ParsedListing, ListingResult) {
    var formatter = spec.format.makeFormatter(physicalColumn: false)
    var listing = ParsedListing(regions: [])
    let result = walkEvents(spec, memory: memory) { event in formatter.record(event, into: &listing) }
    return (listing, result)
}

/// Walks `spec` through the merger and hands every event to `body`; the
/// result counts what the walk saw, marked ranges included.
func walkEvents(_ spec: TableSpec, memory: any PhysicalMemory, maxTableVisits: Int? = nil,
                progress: ProgressLine? = nil, splitsUserKinds: Bool = false,
                replayed: ((_ ranges: [MappedRange], _ shift: UInt64) -> Void)? = nil,
                body: @escaping (ListingEvent) -> Void) -> ListingResult {
    var problems: [MappedRange] = []
    let merger = RangeMerger(architecture: spec.architecture, markers: spec.markers,
                             markerAdvance: spec.markerAdvance) { event in
        if case .range(let r) = event, r.problem != nil { problems.append(r) }
        body(event)
    }
    // Replayed ranges never carry a problem: they bypass `problems`.
    merger.emitReplayed = replayed
    merger.finalAddress = spec.finalAddress
    merger.startsAtPGDZero = spec.startsAtPGDZero
    if splitsUserKinds, let types = spec.swapTypes, spec.architecture.decodesUserEntries {
        let architecture = spec.architecture
        merger.splitKey = { entry, level in
            architecture.describeUserEntry(entry, at: level, swapTypes: types)?.mergeKey ?? 0
        }
    }
    let tables = FilteredTableMemory(memory)
    let walker = PageWalker(architecture: spec.architecture, memory: tables, kasan: spec.kasan)
    if let maxTableVisits {
        walker.maxTotalVisits = min(walker.maxTotalVisits, maxTableVisits)
        // A replay stands in for up to a table's worth of entries per visit.
        walker.maxReplayWork = min(walker.maxReplayWork, maxTableVisits * 512)
    }
    if let progress {
        walker.progress = { address, visits in
            progress.update(address: address, tables: visits)
        }
    }
    walker.walk(root: spec.root, ranges: spec.ranges, into: merger)
    progress?.finish()
    return ListingResult(statistics: walker.statistics, writableExecutablePages: merger.writableExecutablePages,
                         nonUXNPages: merger.nonUXNPages, problems: problems, zeroFilledTables: tables.zeroFilled)
}

