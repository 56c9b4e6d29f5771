/// One address range to walk, `[start, end)`, where `end == .max` means the
/// top of the address space, as the kernel's `ptdump_range` uses `~0UL`.
public struct WalkRange: Sendable, Equatable {
    public var start: UInt64
    public var end: UInt64
    public init(_ start: UInt64, _ end: UInt64) {
        self.start = start
        self.end = end
    }
}

/// The KASAN early-shadow shortcut of mm/ptdump.c: an upper entry that points
/// at one of the shared early-shadow tables is noted once, at PTE level, with
/// the value of the first early-shadow PTE, and not descended into.
public struct KasanEarlyShadow: Sendable, Equatable {
    /// Physical addresses of `kasan_early_shadow_{p4d,pud,pmd,pte}`, indexed by
    /// the level of the table (p4d ... pte). Levels the kernel does not check
    /// (because its `CONFIG_PGTABLE_LEVELS` is lower) are absent.
    public var tables: [TableLevel: PhysicalAddress]
    /// `pte_val(kasan_early_shadow_pte[0])`.
    public var pteValue: UInt64

    public init(tables: [TableLevel: PhysicalAddress], pteValue: UInt64) {
        self.tables = tables
        self.pteValue = pteValue
    }
}

/// Receives the walker's callbacks in address order: the ptdump hooks
/// `effective_prot()` and `note_page()`. `RangeMerger` turns them into a listing;
/// other observers collect leaves for cross-checks or translation.
public protocol WalkObserver: AnyObject {
    /// Called for every upper entry that is not none, and every PTE, before `note`.
    func effectiveProtection(level: TableLevel, entry: UInt64)
    /// A leaf, a PTE or a hole (`entry == 0`) at `address`; `problem` marks an
    /// entry whose table could not be followed.
    func note(address: UInt64, level: TableLevel?, entry: UInt64, problem: WalkProblem?)
    /// The final flush, after all ranges.
    func finish()
    /// Consecutive PTEs from `address`, `pageSize` apart, that share their
    /// protection bits, are all zero or all non-zero, and have valid encodings:
    /// the same as `effectiveProtection` then `note` for each, in order. Observers
    /// that can handle a run at once (`RangeMerger`) override it, because a
    /// listing spends most of its time on PTEs that only extend a range.
    func notePTERun(address: UInt64, pageSize: UInt64, entries: ArraySlice<UInt64>)
    /// `count` empty entries (none, zero) of one table from `address`, `span`
    /// apart, all noted at `level`: the same as `note(address:level:entry: 0,
    /// problem: nil)` for each, in order. The empty half of a table (user
    /// space in init_mm, the unused parts of vmalloc space) is most of the
    /// upper entries a listing visits.
    func noteNoneRun(address: UInt64, level: TableLevel, span: UInt64, count: Int)
    /// A table already walked is about to be walked again from `base`: the
    /// observer may stand in for the walk by replaying what an earlier walk of
    /// the same subtree produced (the number of ranges it emitted), or not
    /// (nil: it is walked, between `beginSubtree` and `endSubtree`, and the
    /// observer may record it).
    func replaySubtree(_ id: SubtreeID, base: UInt64) -> Int?
    func beginSubtree(_ id: SubtreeID, base: UInt64)
    /// `clean`: the walk of the subtree met no problem and did not stop.
    func endSubtree(_ id: SubtreeID, base: UInt64, clean: Bool)
}

extension WalkObserver {
    /// Observers that keep no state across ranges walk every subtree.
    public func replaySubtree(_ id: SubtreeID, base: UInt64) -> Int? { nil }
    public func beginSubtree(_ id: SubtreeID, base: UInt64) {}
    public func endSubtree(_ id: SubtreeID, base: UInt64, clean: Bool) {}

    public func notePTERun(address: UInt64, pageSize: UInt64, entries: ArraySlice<UInt64>) {
        var a = address
        for e in entries {
            effectiveProtection(level: .pte, entry: e)
            note(address: a, level: .pte, entry: e, problem: nil)
            a &+= pageSize
        }
    }

    public func noteNoneRun(address: UInt64, level: TableLevel, span: UInt64, count: Int) {
        var a = address
        for _ in 0..<count {
            note(address: a, level: level, entry: 0, problem: nil)
            a &+= span
        }
    }
}

extension RangeMerger: WalkObserver {}

/// Counters for one walk, for --verbose and benchmarks.
public struct WalkStatistics: Sendable, Equatable {
    public var tablesRead = 0
    public var tableBytesRead = 0
    public var cacheHits = 0
    /// Revisited subtrees whose ranges were replayed rather than walked.
    public var replayedSubtrees = 0
    public var badEntries = 0
    public var problems = 0
    public init() {}
}

/// The generic page-table walker: mm/pagewalk.c's `walk_page_range_novma()`
/// with mm/ptdump.c's callbacks, for any `PagingArchitecture`.
///
/// Bounded on any input: the depth is at most five levels, a table that is its
/// own ancestor is not entered, a table that could not be read is not tried
/// again, and once `maxRevisits` or `maxTotalVisits` runs out the walk stops:
/// the rest of the space becomes one marked range. Each table load costs at
/// most one table's entries, so the work is bounded by the distinct tables in
/// the dump plus `maxRevisits` tables. Replays of revisited subtrees load
/// nothing; they are bounded apart (`maxReplayWork`), and once that runs out
/// revisits are walked, under the budgets above.
public final class PageWalker {
    public let architecture: any PagingArchitecture
    public let memory: any PhysicalMemory
    public var kasan: KasanEarlyShadow?
    /// Visits to tables already visited in this walk. Real kernels share a few
    /// tables (x86's ESPfix maps one PMD table from every PUD entry of its
    /// region: about 2,000 revisits on the fixtures); corrupt tables that all
    /// point at each other without a cycle would otherwise cost 512^4 visits.
    public var maxRevisits = 1 << 18
    /// All table visits in one walk: a cap for callers that need every walk to
    /// be short (the fuzzer); the distinct tables of a dump are bounded anyway.
    public var maxTotalVisits = 1 << 24
    /// Replays of revisited subtrees, each counted as one plus the ranges it
    /// emits. The KASAN early shadow read without its symbols (a 5.10 dump
    /// alone: VMCOREINFO names no kallsyms) is one PTE table under one PMD
    /// table under one PUD table, reached from every entry above: 512^3 table
    /// visits per PGD entry, which cost about 2,000 replays of no ranges.
    public var maxReplayWork = 1 << 24
    /// Table visits, replayed ones included: what the statistics and the
    /// walk's messages count.
    private var totalVisits = 0
    /// Tables loaded: what `maxTotalVisits` bounds.
    private var loads = 0
    private var revisits = 0
    private var replayWork = 0
    /// Set when `maxTotalVisits` ran out: every loop unwinds at once.
    private var stopped = false
    public private(set) var statistics = WalkStatistics()
    /// Called with the address being walked and the table visits so far, every
    /// `progressInterval` visits: for a progress line on long walks.
    public var progress: ((_ address: UInt64, _ visits: Int) -> Void)?
    public var progressInterval = 1024

    private let geometry: PagingGeometry
    private var merger: (any WalkObserver)!
    private var path: [UInt64] = []
    private var visited: Set<UInt64> = []
    /// Tables that could not be read, so a revisit does not read again.
    private var unreadable: [UInt64: WalkProblem] = [:]
    private var cache = TableCache(capacity: 256)
    /// Whether a revisited subtree may be replayed by the observer (tests
    /// compare listings with and without).
    public var replaysSubtrees = true
    /// Whether runs of empty upper entries go to the observer at once
    /// (`noteNoneRun`) rather than one `note` each (tests compare both).
    public var batchesEmptyRuns = true
    /// What each clean walk of a revisited subtree cost: its table visits and
    /// the tables it read, so that a replay counts the same visits and is
    /// refused where one of its tables is an ancestor of the new visit.
    private var walkedSubtrees: [SubtreeID: (visits: Int, tables: Set<UInt64>)] = [:]
    /// The tables read by each subtree being walked again (innermost last).
    private var subtreeTables: [Set<UInt64>] = []

    public init(architecture: any PagingArchitecture, memory: any PhysicalMemory, kasan: KasanEarlyShadow? = nil) {
        self.architecture = architecture
        self.memory = memory
        self.kasan = kasan
        self.geometry = architecture.geometry
    }

    /// Walks `ranges` of the table rooted at `root` and feeds `merger`, then
    /// flushes it, as `ptdump_walk_pgd()` does.
    public func walk(root: PhysicalAddress, ranges: [WalkRange], into merger: any WalkObserver) {
        self.merger = merger
        visited = []
        unreadable = [:]
        walkedSubtrees = [:]
        subtreeTables = []
        totalVisits = 0
        loads = 0
        revisits = 0
        replayWork = 0
        stopped = false
        for range in ranges where range.start < range.end && !stopped {
            path = []
            let top = loadTable(root, level: .pgd)
            switch top {
            case .entries(let entries):
                path = [root.rawValue]
                walkLevel(.pgd, entries: entries, address: range.start, end: range.end)
            case .problem(let problem):
                // The root itself is unreadable: the whole range is one marked entry.
                merger.note(address: range.start, level: .pgd, entry: 0, problem: problem)
            }
        }
        merger.finish()
        self.merger = nil
    }

    private enum Table {
        case entries([UInt64])
        case problem(WalkProblem)
    }

    private func walkLevel(_ level: TableLevel, entries: [UInt64], address start: UInt64, end: UInt64) {
        var address = start
        if level == .pte {
            walkPTEs(entries, address: address, end: end)
            return
        }
        guard let child = level.below else { return }
        let childFolded = geometry[child].isFolded
        let empty = batchesEmptyRuns ? emptyEntryNote(level) : nil
        // A lower level's range lies inside its parent entry's span; the top
        // level's comes from the layout, and one longer than the table's
        // reach would wrap around its entries again and again (a fuzzed
        // VMCOREINFO made 57 million steps of one 512-entry table).
        var steps = 0
        repeat {
            if level == .pgd && steps == entries.count {
                statistics.problems += 1
                merger.note(address: address, level: .pgd, entry: 0, problem: .beyondTable(level: level))
                return
            }
            steps += 1
            let next = geometry.addressEnd(address, end, at: level)
            let entry = entries[geometry.index(of: address, at: level)]
            visitUpper(level, child: child, childFolded: childFolded, entry: entry, address: address, next: next)
            address = next
            guard entry == 0, let empty, address != end, !stopped else { continue }
            // The empty entries after this one, noted at once.
            var runEnd = address
            var count = 0
            while runEnd != end && entries[geometry.index(of: runEnd, at: level)] == 0
                    && !(level == .pgd && steps == entries.count) {
                runEnd = geometry.addressEnd(runEnd, end, at: level)
                count += 1
                steps += 1
            }
            guard count > 0 else { continue }
            // (Through folded levels each zero entry would set the same
            // effective protections the first one set.)
            merger.noteNoneRun(address: address, level: empty, span: geometry.entrySpan(level), count: count)
            address = runEnd
        } while address != end && !stopped
    }

    /// How a zero entry of a `level` table is noted when the walk passes
    /// through it without a table below: at `level` as the kernel names it,
    /// down through the folded levels under it. Nil when a zero entry is not
    /// simply none there (an architecture's `isNone` says otherwise, or the
    /// KASAN early shadow has a table at physical page 0, which a zero entry
    /// would point at), so that each such entry is visited.
    private func emptyEntryNote(_ level: TableLevel) -> TableLevel? {
        var deciding = level
        while let below = deciding.below, geometry[below].isFolded { deciding = below }
        guard deciding != .pte, architecture.isNone(0, at: deciding) else { return nil }
        if let kasan, deciding != level,
           kasan.tables.values.contains(where: { $0.rawValue >> UInt64(geometry.pageShift) == 0 }) {
            return nil
        }
        return geometry.realDepth(deciding)
    }

    private func visitUpper(_ level: TableLevel, child: TableLevel, childFolded: Bool, entry: UInt64, address: UInt64, next: UInt64) {
        // The constant answers of pgtable-nop?d.h for the parent of a folded level.
        let isNone = !childFolded && architecture.isNone(entry, at: level)
        let checksBad = level == .pgd || level == .p4d
        let isBad = !childFolded && !isNone && checksBad && architecture.isBad(entry, at: level)
        if !isNone && !childFolded, let reason = architecture.invalidEncoding(entry, at: level) {
            statistics.problems += 1
            // Named as the kernel names the level it walks (a folded PUD prints as PGD).
            merger.note(address: address, level: geometry.realDepth(level), entry: entry,
                        problem: .invalidEntry(entry, level: level, reason: reason))
            return
        }
        if isNone || isBad {
            if isBad { statistics.badEntries += 1 }
            merger.note(address: address, level: geometry.realDepth(level), entry: 0, problem: nil)
            return
        }
        // pgd and p4d descend unconditionally (walk_pgd_range / walk_p4d_range
        // call the next level whatever the callback said); pud and pmd stop at
        // leaves, at entries that are not present, and after a KASAN note.
        if let kasan, let table = kasan.tables[child],
           architecture.tableAddress(entry, at: level).rawValue >> UInt64(geometry.pageShift)
            == table.rawValue >> UInt64(geometry.pageShift) {
            merger.note(address: address, level: .pte, entry: kasan.pteValue, problem: nil)
            // Below pgd and p4d the kernel walks on and notes each entry again
            // (visible only where a marker starts inside the entry's span).
            if !checksBad { return }
        } else {
            merger.effectiveProtection(level: level, entry: entry)
            let isLeaf = !childFolded && architecture.isLeaf(entry, at: level)
            if isLeaf { merger.note(address: address, level: level, entry: entry, problem: nil) }
            if !checksBad {
                let isPresent = childFolded || architecture.isPresent(entry, at: level)
                if isLeaf || !isPresent { return }
            }
        }
        if childFolded {
            walkLevel(child, entries: [entry], address: address, end: next)
            return
        }
        let tablePA = architecture.tableAddress(entry, at: level)
        if let progress, totalVisits % progressInterval == 0 { progress(address, totalVisits) }
        guard replaysSubtrees, visited.contains(tablePA.rawValue) else {
            descend(level, child: child, entry: entry, table: tablePA, address: address, next: next)
            return
        }
        // A shared table walked again (x86's ESPfix maps one table from
        // hundreds of entries): replayed when an earlier clean walk of it is
        // known and the observer is in the state that walk started from.
        let id = SubtreeID(table: tablePA.rawValue, level: child, span: next &- address)
        if let done = walkedSubtrees[id], replayWork < maxReplayWork,
           !path.contains(where: done.tables.contains),
           let emitted = merger.replaySubtree(id, base: address) {
            replayWork += 1 + emitted
            totalVisits += done.visits
            statistics.cacheHits += done.visits
            statistics.replayedSubtrees += 1
            for i in subtreeTables.indices { subtreeTables[i].formUnion(done.tables) }
            return
        }
        let visitsBefore = totalVisits, problemsBefore = statistics.problems
        merger.beginSubtree(id, base: address)
        subtreeTables.append([])
        descend(level, child: child, entry: entry, table: tablePA, address: address, next: next)
        let tables = subtreeTables.removeLast()
        for i in subtreeTables.indices { subtreeTables[i].formUnion(tables) }
        let clean = !stopped && statistics.problems == problemsBefore
        if clean { walkedSubtrees[id] = (totalVisits - visitsBefore, tables) }
        merger.endSubtree(id, base: address, clean: clean)
    }

    private func descend(_ level: TableLevel, child: TableLevel, entry: UInt64, table tablePA: PhysicalAddress,
                         address: UInt64, next: UInt64) {
        switch loadTable(tablePA, level: child) {
        case .entries(let entries):
            path.append(tablePA.rawValue)
            walkLevel(child, entries: entries, address: address, end: next)
            path.removeLast()
        case .problem(let problem):
            statistics.problems += 1
            merger.note(address: address, level: level, entry: entry, problem: problem)
        }
    }

    /// Counts one table visit; false once the walk's budget has run out, when
    /// the walk stops (the caller's marked note then covers the rest).
    private func countVisit(_ pa: PhysicalAddress) -> Bool {
        totalVisits += 1
        loads += 1
        if !visited.insert(pa.rawValue).inserted { revisits += 1 }
        if loads > maxTotalVisits || revisits > maxRevisits { stopped = true }
        return !stopped
    }

    private func walkPTEs(_ entries: [UInt64], address start: UInt64, end: UInt64) {
        var address = start
        let page = geometry.pageSize
        var index = geometry.index(of: address, at: .pte)
        // The last index this call covers. `end` is exclusive; 0 is the top of the
        // space and `.max` stands for it too, so round the span up.
        let span = end &- address
        let count = span / page + (span % page == 0 ? 0 : 1)
        let last = min(entries.count - 1, index + Int(min(count, UInt64(entries.count))) - 1)
        while index <= last {
            let entry = entries[index]
            let invalid = entry == 0 ? nil : architecture.invalidEncoding(entry, at: .pte)
            if let reason = invalid {
                statistics.problems += 1
                merger.note(address: address, level: .pte, entry: entry, problem: .invalidEntry(entry, level: .pte, reason: reason))
                index += 1
                address &+= page
                continue
            }
            // The run of entries the merger may take at once (see `notePTERun`).
            let runEnd = architecture.pteRunEnd(entries, from: index, limit: last + 1)
            merger.notePTERun(address: address, pageSize: page, entries: entries[index..<runEnd])
            address &+= page &* UInt64(runEnd - index)
            index = runEnd
        }
    }

    private func loadTable(_ pa: PhysicalAddress, level: TableLevel) -> Table {
        if path.contains(pa.rawValue) { return .problem(.tableCycle(pa, level: level)) }
        if !subtreeTables.isEmpty { subtreeTables[subtreeTables.count - 1].insert(pa.rawValue) }
        // Replayed visits were to tables already walked, too.
        guard countVisit(pa) else {
            return .problem(.walkStopped(visits: totalVisits - 1, revisits: revisits - 1 + (totalVisits - loads)))
        }
        if let known = unreadable[pa.rawValue] { return .problem(known) }
        let bytes = geometry.tableBytes(level)
        if let cached = cache.lookup(pa.rawValue, count: bytes / geometry.entrySize) {
            statistics.cacheHits += 1
            return .entries(cached)
        }
        do {
            let raw = try memory.read(pa, count: bytes)
            statistics.tablesRead += 1
            statistics.tableBytesRead += bytes
            let size = geometry.entrySize
            let order = geometry.byteOrder
            let count = bytes / size
            let entries = [UInt64](unsafeUninitializedCapacity: count) { out, initialized in
                raw.withUnsafeBytes { buffer in
                    for i in 0..<count {
                        if size == 8 {
                            let le = buffer.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                            out[i] = order == .little ? UInt64(littleEndian: le) : UInt64(bigEndian: le)
                        } else {
                            out[i] = decodeInteger(raw, at: i * size, size: size, order: order) ?? 0
                        }
                    }
                }
                initialized = count
            }
            cache.insert(pa.rawValue, entries)
            return .entries(entries)
        } catch {
            let problem = WalkProblem.tableUnreadable(pa, level: level, reason: error.description)
            unreadable[pa.rawValue] = problem
            return .problem(problem)
        }
    }
}

/// A small cache of recently read tables, so a table shared by several entries
/// is read from the dump once while memory stays bounded.
struct TableCache {
    let capacity: Int
    private var tables: [UInt64: [UInt64]] = [:]
    private var order: [UInt64] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ pa: UInt64, count: Int) -> [UInt64]? {
        guard let t = tables[pa], t.count == count else { return nil }
        return t
    }

    mutating func insert(_ pa: UInt64, _ entries: [UInt64]) {
        if tables[pa] != nil { tables[pa] = entries; return }
        if order.count < capacity {
            order.append(pa)
        } else {
            tables[order[next]] = nil
            order[next] = pa
            next = (next + 1) % capacity
        }
        tables[pa] = entries
    }
}
