/// One virtual address translated through a page table, level by level, as
/// crash's `vtop` shows it: each table's physical address, the index used, the
/// raw entry and what it was read as.
///
/// The walk asks the same `PagingArchitecture` questions the listing walk asks,
/// at the same levels: an entry of a table whose child levels are folded is
/// classified at the last folded level, as include/asm-generic/pgtable-nop?d.h
/// makes the kernel do.
public struct AddressTranslation: Sendable, Equatable {
    public enum Reading: Sendable, Equatable {
        /// Points to the next table.
        case table(PhysicalAddress)
        /// Maps `pageSize` bytes starting at `physical`.
        case leaf(physical: PhysicalAddress, pageSize: UInt64)
        /// Not present: the address is not mapped.
        case notPresent
        /// An encoding the MMU rejects.
        case invalid(String)
    }

    public struct Step: Sendable, Equatable {
        /// The level of the table read, named as the kernel's ptdump names it.
        public var level: TableLevel
        public var table: PhysicalAddress
        public var index: Int
        public var entry: UInt64
        public var reading: Reading
    }

    public enum Outcome: Sendable, Equatable {
        case mapped(physical: PhysicalAddress, pageSize: UInt64, level: TableLevel, entry: UInt64)
        case notMapped(level: TableLevel)
        case invalid(level: TableLevel, reason: String)
        /// A table could not be read (not in the dump, or a cycle).
        case unreadable(level: TableLevel, table: PhysicalAddress, reason: String)
    }

    public var address: UInt64
    public var steps: [Step]
    public var outcome: Outcome

    /// Translates `address` through the table at `root`. At most five reads;
    /// never loops.
    public init(_ address: UInt64, root: PhysicalAddress, architecture: any PagingArchitecture,
                memory: any PhysicalMemory) {
        self.address = address
        var steps: [Step] = []
        outcome = Self.walk(address, root: root, architecture: architecture, memory: memory, steps: &steps)
        self.steps = steps
    }

    static func walk(_ address: UInt64, root: PhysicalAddress, architecture: any PagingArchitecture,
                     memory: any PhysicalMemory, steps: inout [Step]) -> Outcome {
        let g = architecture.geometry
        let tableLevels = TableLevel.allCases.filter { $0 == .pte || !g[$0].isFolded }
        var table = root
        var seen: Set<UInt64> = []
        for (n, level) in tableLevels.enumerated() {
            // The level whose p?d_* predicates the walker asks for this entry.
            let asked = n + 1 < tableLevels.count
                ? TableLevel(rawValue: tableLevels[n + 1].rawValue - 1) ?? level : level
            let index = g.index(of: address, at: level)
            guard seen.insert(table.rawValue).inserted else {
                return .unreadable(level: level, table: table, reason: "the table is one of its own ancestors (cycle)")
            }
            let entry: UInt64
            do {
                let bytes = try memory.read(PhysicalAddress(table.rawValue &+ UInt64(index * g.entrySize)), count: g.entrySize)
                entry = decodeInteger(bytes, at: 0, size: g.entrySize, order: g.byteOrder) ?? 0
            } catch {
                return .unreadable(level: level, table: table, reason: error.description)
            }
            var step = Step(level: level, table: table, index: index, entry: entry, reading: .notPresent)
            if entry != 0, let reason = architecture.invalidEncoding(entry, at: asked) {
                step.reading = .invalid(reason)
                steps.append(step)
                return .invalid(level: level, reason: reason)
            }
            if asked == .pte || architecture.isLeaf(entry, at: asked) {
                // The MMU's view: a leaf maps only when its hardware present bit is set.
                guard entry != 0, architecture.mapsInHardware(entry) else {
                    steps.append(step)
                    return .notMapped(level: level)
                }
                let size = asked == .pte ? g.pageSize : g.entrySpan(asked)
                let base = architecture.leafAddress(entry, at: asked)
                step.reading = .leaf(physical: base, pageSize: size)
                steps.append(step)
                let offset = address & (size &- 1)
                return .mapped(physical: PhysicalAddress(base.rawValue &+ offset), pageSize: size, level: level, entry: entry)
            }
            let isBad = (asked == .pgd || asked == .p4d) && architecture.isBad(entry, at: asked)
            guard !architecture.isNone(entry, at: asked), !isBad, architecture.isPresent(entry, at: asked) else {
                steps.append(step)
                return .notMapped(level: level)
            }
            table = architecture.tableAddress(entry, at: asked)
            step.reading = .table(table)
            steps.append(step)
        }
        return .notMapped(level: .pte)
    }
}

extension AddressTranslation.Outcome: CustomStringConvertible {
    /// For messages: "pgd entry not present", "pte table 0x1000 unreadable: ...".
    public var description: String {
        switch self {
        case .mapped(let physical, let size, let level, _):
            return "mapped at \(physical) by a \(PtdumpSize.text(size)) \(level.name) entry"
        case .notMapped(let level):
            return "\(level.name) entry not present"
        case .invalid(let level, let reason):
            return "\(level.name) entry invalid: \(reason)"
        case .unreadable(let level, let table, let reason):
            return "\(level.name) table \(hex(table.rawValue)) unreadable: \(reason)"
        }
    }
}
