/// One subtree of a walk: the table at `table`, entered at `level`, covering
/// `span` bytes. Walked again from another address, it holds the same entries
/// (it is the same table), so under the same merger state it yields the same
/// ranges, shifted.
public struct SubtreeID: Hashable, Sendable {
    public var table: UInt64
    public var level: TableLevel
    public var span: UInt64

    public init(table: UInt64, level: TableLevel, span: UInt64) {
        (self.table, self.level, self.span) = (table, level, span)
    }
}

/// What the merger needs to know of its state at a subtree's edge, with the
/// open range's start relative to the subtree's base. Two walks of one subtree
/// that start in equal states emit equal events and end in equal states.
struct MergerState: Equatable {
    var level: Int
    var prot: UInt64
    var effective: UInt64
    var startOffset: UInt64
    var physicalStart: PhysicalAddress?
    var firstEntry: UInt64
    var contiguous: Bool
    var key: UInt64
    var protLevels: [UInt64]
    var markerIndex: Int
}

/// Recorded ranges, to be emitted moved by `shift`.
struct ReplayRun {
    var ranges: [MappedRange]
    var shift: UInt64
    /// True for ranges this recording's own walk emitted (appended to in
    /// place); false for another recording's array, never written.
    var own: Bool
}

/// The events one walk of a subtree emitted, between its entry and exit states.
struct SubtreeRecording {
    var base: UInt64
    var entry: MergerState
    var exit: MergerState?
    /// The ranges, in order, as runs each moved by its shift: a run the walk
    /// emitted (shift 0), or the whole recording of a subtree replayed
    /// inside this one, shared rather than copied (ESPfix's shared tables
    /// nest: 131,000 ranges would otherwise be copied into each enclosing
    /// recording).
    var runs: [ReplayRun] = []
    var writableExecutablePages: UInt64
    var nonUXNPages: UInt64
    /// The ranges in `runs`, counted when the recording ends.
    var rangeCount = 0
    /// False once something the replay cannot reproduce happened: a marker
    /// header, a marked range, a state that cannot be compared.
    var replayable: Bool

    /// The walk only extended the range open when it began: it emitted nothing
    /// and left the state as it found it. It extends any open range in that
    /// state the same way, wherever the range started (the KASAN early shadow:
    /// 16T of one page, its tables met 2^27 times), unless the range's physical
    /// contiguity is still being judged, which depends on where it started.
    var onlyExtends: Bool {
        runs.isEmpty && exit == entry && (entry.physicalStart == nil || !entry.contiguous)
    }
}

extension RangeMerger {
    func state(relativeTo base: UInt64) -> MergerState {
        MergerState(level: level, prot: currentProt, effective: currentEffective, startOffset: start &- base,
                    physicalStart: physicalStart, firstEntry: firstEntry, contiguous: contiguous, key: currentKey,
                    protLevels: protLevels, markerIndex: markerIndex)
    }

    /// Whether this merger's state can be recorded and replayed at all: a
    /// range is open, unmarked, and ranges are not split by user-entry kinds.
    var statePortable: Bool { level != -1 && problem == nil && splitKey == nil }

    /// Keeps another recording's ranges, moved by `shift`, in every subtree
    /// being recorded (a replay inside them).
    func recordReplayed(_ ranges: [MappedRange], shift: UInt64) {
        for i in recordingStack.indices where recordingStack[i].replayable {
            recordingStack[i].runs.append(ReplayRun(ranges: ranges, shift: shift, own: false))
        }
    }

    func record(_ event: ListingEvent) {
        for i in recordingStack.indices where recordingStack[i].replayable {
            if case .range(let r) = event, r.problem == nil {
                if recordingStack[i].runs.last?.own == true {
                    recordingStack[i].runs[recordingStack[i].runs.count - 1].ranges.append(r)
                } else {
                    recordingStack[i].runs.append(ReplayRun(ranges: [r], shift: 0, own: true))
                }
            } else {
                recordingStack[i].replayable = false
            }
        }
    }

    /// The walker is about to walk a subtree again: record what it emits.
    public func beginSubtree(_ id: SubtreeID, base: UInt64) {
        recordingStack.append(SubtreeRecording(base: base, entry: state(relativeTo: base), writableExecutablePages: writableExecutablePages,
                                               nonUXNPages: nonUXNPages, replayable: statePortable))
    }

    /// The subtree's walk ended; `clean` when the walker saw no problem in it.
    public func endSubtree(_ id: SubtreeID, base: UInt64, clean: Bool) {
        guard var r = recordingStack.popLast() else { return }
        guard r.replayable, clean, statePortable else { return }
        r.exit = state(relativeTo: base)
        r.writableExecutablePages = writableExecutablePages &- r.writableExecutablePages
        r.nonUXNPages = nonUXNPages &- r.nonUXNPages
        r.rangeCount = r.runs.reduce(0) { $0 + $1.ranges.count }
        recordings[id] = r
    }

    /// Emits what the last recorded walk of `id` emitted, shifted to `base`,
    /// and takes its exit state, when the merger is now in the state that walk
    /// started from and no marker starts inside the subtree: the number of
    /// ranges emitted. Nil otherwise (the walker then walks it).
    public func replaySubtree(_ id: SubtreeID, base: UInt64) -> Int? {
        guard statePortable, let r = recordings[id], let exit = r.exit else { return nil }
        let next = markers.start(markerIndex + 1)
        guard next >= base, next &- base >= id.span else { return nil }
        var now = state(relativeTo: base)
        if r.onlyExtends {
            now.startOffset = r.entry.startOffset
            return now == r.entry ? 0 : nil
        }
        guard now == r.entry else { return nil }
        let shift = base &- r.base
        for run in r.runs { sendReplayed(run.ranges, shift: run.shift &+ shift) }
        writableExecutablePages &+= r.writableExecutablePages
        nonUXNPages &+= r.nonUXNPages
        level = exit.level
        currentProt = exit.prot
        currentEffective = exit.effective
        start = base &+ exit.startOffset
        physicalStart = exit.physicalStart
        firstEntry = exit.firstEntry
        contiguous = exit.contiguous
        currentKey = exit.key
        protLevels = exit.protLevels
        return r.rangeCount
    }
}
