/// The kernel's `note_page()` state machine: it receives the walker's notes in
/// address order and turns runs of equal entries into ranges and marker headers.
///
/// A new range starts when the protection, the effective protection or the level
/// changes, or when the address reaches the next marker. The physical address is
/// never compared, so two adjacent ranges can look the same. How far the marker
/// headers catch up at each flush differs between architectures (`MarkerAdvance`).
public final class RangeMerger {
    public let architecture: any PagingArchitecture
    public let markers: MarkerTable
    public let markerAdvance: MarkerAdvance
    private let emit: (ListingEvent) -> Void
    /// Subtrees being recorded (innermost last) and the last clean recording
    /// of each subtree (RangeMergerReplay.swift).
    var recordingStack: [SubtreeRecording] = []
    var recordings: [SubtreeID: SubtreeRecording] = [:]
    /// The geometry's page shift, read once: `geometry` copies arrays each time.
    private let pageShift: UInt64

    var level: Int = -1
    var currentProt: UInt64 = 0
    var currentEffective: UInt64 = 0
    var protLevels = [UInt64](repeating: 0, count: 5)
    var start: UInt64 = 0
    var physicalStart: PhysicalAddress?
    var firstEntry: UInt64 = 0
    var problem: WalkProblem?
    var markerIndex = 0
    var contiguous = true
    var currentKey: UInt64 = 0

    /// When set, a range also ends where this key of a user-space entry
    /// (below 2^63) changes: `--json` uses it so that a range's entry kind
    /// holds for all its entries where the compared bits do not tell kinds
    /// apart (arm64's PTE_SPECIAL is not among the bits ptdump prints). Never
    /// set for the kernel's text, whose ranges are the kernel's.
    public var splitKey: ((UInt64, TableLevel) -> UInt64)?

    /// When set, the ranges of a replayed subtree (RangeMergerReplay.swift)
    /// go here at once, as recorded, with the shift that places them,
    /// instead of one `emit` each: they are all in the current marker's
    /// region, with no header between them, so a consumer that only counts
    /// them (x86's lines past a region's limit) can count them at once.
    public var emitReplayed: ((_ ranges: [MappedRange], _ shift: UInt64) -> Void)?

    /// Pages in ranges that are writable and executable by the architecture's rule,
    /// counted as the kernel's `note_wx()` counts them.
    public internal(set) var writableExecutablePages: UInt64 = 0
    /// Pages in kernel ranges user space could execute (arm64's `note_prot_uxn()`).
    public internal(set) var nonUXNPages: UInt64 = 0

    public init(architecture: any PagingArchitecture, markers: MarkerTable,
                markerAdvance: MarkerAdvance = .oncePerFlush, emit: @escaping (ListingEvent) -> Void) {
        self.architecture = architecture
        self.markers = markers
        self.markerAdvance = markerAdvance
        self.emit = emit
        pageShift = UInt64(architecture.geometry.pageShift)
    }

    /// The kernel's `effective_prot()` hook, called for every upper entry that
    /// is not none and for every PTE, before `note`.
    public func effectiveProtection(level: TableLevel, entry: UInt64) {
        let own = architecture.protection(entry, at: level)
        let higher: UInt64? = level == .pgd ? nil : protLevels[level.rawValue - 1]
        protLevels[level.rawValue] = architecture.effectiveProtection(higher: higher, own: own)
    }

    /// The kernel's `note_page()`. `level` is nil for the final flush.
    public func note(address: UInt64, level newLevel: TableLevel?, entry: UInt64, problem newProblem: WalkProblem?) {
        let levelNumber = newLevel?.rawValue ?? -1
        let newProt = architecture.protection(entry, at: newLevel)
        let newEffective: UInt64
        if entry == 0 || newLevel == nil {
            newEffective = 0
        } else if !architecture.tracksEffectiveProtection {
            newEffective = newProt
        } else {
            newEffective = protLevels[levelNumber]
        }
        // Only the first entry of a range needs its physical address; computed
        // when a range starts, not for every PTE that joins one.
        func physicalAddress() -> PhysicalAddress? {
            guard let newLevel, entry != 0, newProblem == nil, isLeafNote(entry, newLevel),
                  newLevel != .pte || architecture.isPresentToKernel(entry) else { return nil }
            return architecture.leafAddress(entry, at: newLevel)
        }

        var newKey: UInt64 = 0
        if let splitKey, let newLevel, address < 1 << 63 { newKey = splitKey(entry, newLevel) }
        if level == -1 {
            currentKey = newKey
            start = address
            currentProt = newProt
            currentEffective = newEffective
            level = levelNumber
            markerIndex = 0
            physicalStart = physicalAddress()
            firstEntry = entry
            problem = newProblem
            send(.marker(index: 0, markers[0]))
            switch markerAdvance {
            case .twicePerCallback: advanceMarker(ifReached: address)
            case .untilCurrentFromFirst: while advanceMarker(ifReached: address) {}
            case .oncePerFlush, .untilCurrent: break
            }
            return
        }
        let changed = newProt != currentProt || newEffective != currentEffective
            || levelNumber != level || address >= markers.start(markerIndex + 1)
            || newProblem != nil || problem != nil || newKey != currentKey
        guard changed else {
            // Whether the range maps one physical run; never part of the kernel's comparison.
            if contiguous, let physicalStart, let newLevel,
               architecture.leafAddress(entry, at: newLevel).rawValue != physicalStart.rawValue &+ (address &- start) {
                contiguous = false
            }
            return
        }

        if let flushedLevel = TableLevel(rawValue: level) {
            let range = MappedRange(
                start: start, end: address, level: flushedLevel, protection: currentProt,
                effective: currentEffective, physicalStart: physicalStart, firstEntry: firstEntry,
                problem: problem, markerIndex: markerIndex,
                physicallyContiguous: physicalStart != nil && contiguous)
            let pages = range.size >> pageShift
            if problem == nil && architecture.isWritableAndExecutable(protection: currentProt, effective: currentEffective)
                && !architecture.isExpectedWX(start: start, end: address) {
                writableExecutablePages &+= pages
            }
            if problem == nil && architecture.isUserExecutable(protection: currentProt) {
                nonUXNPages &+= pages
            }
            send(.range(range))
        }
        switch markerAdvance {
        case .oncePerFlush:
            advanceMarker(ifReached: address)
        case .twicePerCallback:
            // Once inside the flush and once more after it, every callback.
            advanceMarker(ifReached: address)
            advanceMarker(ifReached: address)
        case .untilCurrent, .untilCurrentFromFirst:
            while advanceMarker(ifReached: address) {}
        }
        start = address
        currentProt = newProt
        currentEffective = newEffective
        level = levelNumber
        physicalStart = physicalAddress()
        firstEntry = entry
        problem = newProblem
        contiguous = true
        currentKey = newKey
    }

    /// A run of PTEs with one protection (see `WalkObserver.notePTERun`). The first
    /// entry goes through `note`; after it the run can only end the range at a
    /// marker, so the entries before the next marker just extend the range (with
    /// their physical addresses checked only while the range is still contiguous).
    public func notePTERun(address: UInt64, pageSize: UInt64, entries: ArraySlice<UInt64>) {
        var a = address
        var i = entries.startIndex
        while i < entries.endIndex {
            let entry = entries[i]
            let nextMarker = markers.start(markerIndex + 1)
            if i == entries.startIndex || level == -1 || a >= nextMarker || problem != nil || splitKey != nil {
                effectiveProtection(level: .pte, entry: entry)
                note(address: a, level: .pte, entry: entry, problem: nil)
                i += 1
                a &+= pageSize
                continue
            }
            // Entries [i, stop) stay below the next marker.
            let room = nextMarker &- a
            let fit = room / pageSize + (room % pageSize == 0 ? 0 : 1)
            let stop = fit >= UInt64(entries.endIndex - i) ? entries.endIndex : i + Int(fit)
            if contiguous, let physicalStart {
                let expected = physicalStart.rawValue &+ (a &- start)
                contiguous = architecture.firstDiscontiguousPTE(entries[i..<stop], expected: expected, pageSize: pageSize) == stop
            }
            a &+= pageSize &* UInt64(stop - i)
            i = stop
        }
    }

    /// Empty entries (see `WalkObserver.noteNoneRun`). After the first, the
    /// range can only end at a marker: the entries before the next marker
    /// leave the state as it is (a range with a physical start is still
    /// checked entry by entry for contiguity, as `note` does).
    public func noteNoneRun(address: UInt64, level noted: TableLevel, span: UInt64, count: Int) {
        var a = address
        var left = count
        while left > 0 {
            let nextMarker = markers.start(markerIndex + 1)
            if left == count || level == -1 || a >= nextMarker || problem != nil || splitKey != nil
                || physicalStart != nil || span == 0 {
                note(address: a, level: noted, entry: 0, problem: nil)
                left -= 1
                a &+= span
                continue
            }
            // Entries from `a` that start below the next marker.
            let room = nextMarker &- a
            let fit = room / span + (room % span == 0 ? 0 : 1)
            let taken = fit >= UInt64(left) ? left : Int(fit)
            a &+= span &* UInt64(taken)
            left -= taken
        }
    }

    /// Emits one event, and keeps it in every subtree being recorded.
    func send(_ event: ListingEvent) {
        if !recordingStack.isEmpty { record(event) }
        emit(event)
    }

    /// Emits recorded ranges moved by `shift`, and keeps them in every
    /// subtree being recorded.
    func sendReplayed(_ ranges: [MappedRange], shift: UInt64) {
        if !recordingStack.isEmpty { recordReplayed(ranges, shift: shift) }
        if let emitReplayed { return emitReplayed(ranges, shift) }
        for range in ranges { emit(.range(range.moved(by: shift))) }
    }

    /// Moves to the next marker and emits its header when `address` reached it.
    @discardableResult
    private func advanceMarker(ifReached address: UInt64) -> Bool {
        guard address >= markers.start(markerIndex + 1), markerIndex < markers.markers.count else { return false }
        markerIndex += 1
        send(.marker(index: markerIndex, markers[markerIndex]))
        return true
    }

    /// Start as a kernel whose `pg_state` was left zeroed rather than at
    /// level -1: the first range is open from address 0 at level 0 (PGD) with
    /// no protection, and the first marker's header is never printed. Set
    /// before the first note.
    public var startsAtPGDZero = false {
        didSet {
            guard startsAtPGDZero, level == -1 else { return }
            level = 0
            start = 0
            currentProt = 0
            currentEffective = 0
            markerIndex = 0
        }
    }

    /// Where the final flush ends the last range: 0 as in the kernel's
    /// `note_page(st, 0, -1, 0)` (the top of the address space, where every
    /// table the kernel lists ends), or the end of a walk that stops lower (a
    /// process's user space on arm64 and riscv, which no kernel file lists).
    public var finalAddress: UInt64 = 0

    /// The final `note_page()` that flushes the last range.
    public func finish() {
        note(address: finalAddress, level: nil, entry: 0, problem: nil)
    }

    private func isLeafNote(_ entry: UInt64, _ level: TableLevel) -> Bool {
        level == .pte ? !architecture.isNone(entry, at: .pte) : architecture.isLeaf(entry, at: level)
    }
}

/// How far `note_page()` moves through the marker list at one flush.
public enum MarkerAdvance: Sendable, Equatable {
    /// x86 (dump_pagetables.c): one marker per flush, so a header can lag.
    case oncePerFlush
    /// arm64 (arch/arm64/mm/ptdump.c): one inside the flush and one more checked
    /// on every callback, the first included.
    case twicePerCallback
    /// riscv (arch/riscv/mm/ptdump.c): a `while` loop catches up completely.
    case untilCurrent
    /// powerpc (arch/powerpc/mm/ptdump/ptdump.c): the same `while` loop, which
    /// `note_page_update_state()` also runs at the first callback.
    case untilCurrentFromFirst
}
