/// A problem the walker found with one entry. It becomes a marked line in the
/// listing; the walk goes on.
public enum WalkProblem: Sendable, Equatable, CustomStringConvertible {
    /// The table this entry points to is not in the dump (or could not be read).
    case tableUnreadable(PhysicalAddress, level: TableLevel, reason: String)
    /// The table this entry points to is one of its own ancestors.
    case tableCycle(PhysicalAddress, level: TableLevel)
    /// The entry is an encoding the MMU rejects at this level.
    case invalidEntry(UInt64, level: TableLevel, reason: String)
    /// The walk's budget of table visits ran out here; nothing after this
    /// address was walked (tables that point at each other over and over).
    case walkStopped(visits: Int, revisits: Int)
    /// The range runs on past all the top table's entries (its addresses
    /// wrap around to entries already walked): a walk range no kernel has,
    /// from a corrupt layout; nothing from here on was walked.
    case beyondTable(level: TableLevel)

    public var description: String {
        switch self {
        case .tableUnreadable(let pa, let level, let reason):
            return "\(level.name) table at \(pa) unreadable: \(reason)"
        case .tableCycle(let pa, let level):
            return "\(level.name) table at \(pa) is its own ancestor (cycle)"
        case .invalidEntry(let entry, let level, let reason):
            return "\(level.name) entry \(hex(entry)) is invalid: \(reason)"
        case .walkStopped(let visits, let revisits):
            return "walk stopped after \(visits) table visits (\(revisits) of them to tables already walked); the rest of the address space was not walked"
        case .beyondTable(let level):
            return "the range runs past every entry of the \(level.name) table (its walk bounds are not this table's: a corrupt layout?); the rest of it was not walked"
        }
    }

    /// A short tag for the listing's flag column.
    public var tag: String {
        switch self {
        case .tableUnreadable(let pa, _, _): return "!! table \(hex(pa.rawValue)) not in dump"
        case .tableCycle(let pa, _): return "!! table \(hex(pa.rawValue)) cycle"
        case .invalidEntry(let entry, _, _): return "!! invalid entry \(hex(entry))"
        case .walkStopped(let visits, _): return "!! walk stopped after \(visits) table visits"
        case .beyondTable: return "!! beyond the table"
        }
    }
}

extension TableLevel {
    /// The kernel's lower-case level name.
    public var name: String { ["pgd", "p4d", "pud", "pmd", "pte"][rawValue] }
}

/// One finished line of a listing: a run of entries with equal protection at one
/// level, as the kernel's `note_page()` flushes it.
public struct MappedRange: Sendable, Equatable {
    public var start: UInt64
    /// Exclusive end, exactly as printed: the final range of a walk ends at 0.
    public var end: UInt64
    /// 0 = PGD ... 4 = PTE.
    public var level: TableLevel
    /// The entry's own protection bits (architecture-defined).
    public var protection: UInt64
    /// The protection accumulated down the levels (x86), else equal to `protection`.
    public var effective: UInt64
    /// The physical address mapped at `start`, when the first entry was a present leaf.
    public var physicalStart: PhysicalAddress?
    /// The raw entry noted at `start` (0 for a hole): riscv prints its PFN.
    public var firstEntry: UInt64 = 0
    /// Set when the walker could not follow an entry in this range.
    public var problem: WalkProblem?
    /// Index of the marker region the range was printed under.
    public var markerIndex: Int
    /// True when `physicalStart` is set and every entry of the range maps the
    /// physical address that follows on from it.
    public var physicallyContiguous: Bool = false

    public init(start: UInt64, end: UInt64, level: TableLevel, protection: UInt64, effective: UInt64,
                physicalStart: PhysicalAddress? = nil, firstEntry: UInt64 = 0, problem: WalkProblem? = nil,
                markerIndex: Int = 0, physicallyContiguous: Bool = false) {
        self.start = start
        self.end = end
        self.level = level
        self.protection = protection
        self.effective = effective
        self.physicalStart = physicalStart
        self.firstEntry = firstEntry
        self.problem = problem
        self.markerIndex = markerIndex
        self.physicallyContiguous = physicallyContiguous
    }

    /// `end - start` with the kernel's unsigned wrap-around.
    public var size: UInt64 { end &- start }

    /// The same range `shift` higher (a replayed subtree's range at its new place).
    public func moved(by shift: UInt64) -> MappedRange {
        var range = self
        range.start &+= shift
        range.end &+= shift
        return range
    }
}

/// What the merger emits, in listing order.
public enum ListingEvent: Sendable, Equatable {
    /// A `---[ NAME ]---` header; `index` is its position in the marker table.
    case marker(index: Int, AddressMarker)
    /// A finished range.
    case range(MappedRange)
}
