/// The kernel's five page-table levels, numbered as mm/ptdump.c numbers them
/// (0 = PGD ... 4 = PTE). Architectures with fewer levels fold the missing ones.
public enum TableLevel: Int, Sendable, CaseIterable, Comparable {
    case pgd = 0, p4d, pud, pmd, pte

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The next level down; nil below PTE.
    public var below: TableLevel? { TableLevel(rawValue: rawValue + 1) }
}

/// One level of a paging form: the address bit where its index starts and how
/// many entries one of its tables holds. A level with one entry is folded: its
/// "table" is the parent entry itself, as include/asm-generic/pgtable-nop?d.h
/// and x86's run-time `ptrs_per_p4d` make it.
public struct LevelGeometry: Sendable, Equatable {
    public var shift: Int
    public var entries: Int

    public init(shift: Int, entries: Int) {
        self.shift = shift
        self.entries = entries
    }

    public var isFolded: Bool { entries == 1 }
}

/// The shape of one paging form: five levels, the entry size and byte order.
public struct PagingGeometry: Sendable, Equatable {
    /// Exactly five levels, PGD first.
    public var levels: [LevelGeometry]
    public var entrySize: Int
    public var byteOrder: ByteOrder
    public var pageShift: Int

    public init(levels: [LevelGeometry], entrySize: Int = 8, byteOrder: ByteOrder = .little, pageShift: Int = 12) {
        precondition(levels.count == 5, "a paging geometry names all five kernel levels")
        self.levels = levels
        self.entrySize = entrySize
        self.byteOrder = byteOrder
        self.pageShift = pageShift
    }

    public subscript(level: TableLevel) -> LevelGeometry { levels[level.rawValue] }

    public var pageSize: UInt64 { 1 << UInt64(pageShift) }

    /// Bytes in one table of `level`.
    public func tableBytes(_ level: TableLevel) -> Int { self[level].entries * entrySize }

    /// mm/pagewalk.c `real_depth()`: a hole found below folded levels is
    /// reported at the depth of the level it folds into.
    public func realDepth(_ level: TableLevel) -> TableLevel {
        var depth = level.rawValue
        while depth > 0 && levels[depth].isFolded { depth -= 1 }
        return TableLevel(rawValue: depth) ?? .pgd
    }

    /// Index of `address` in a table of `level`.
    public func index(of address: UInt64, at level: TableLevel) -> Int {
        let g = self[level]
        if g.isFolded { return 0 }
        return Int((address >> UInt64(g.shift)) & UInt64(g.entries - 1))
    }

    /// The generic `p?d_addr_end()`: the next boundary of `level` after
    /// `address`, or `end` when that comes first. Wraps at the top of the space
    /// exactly as the kernel's unsigned arithmetic does.
    public func addressEnd(_ address: UInt64, _ end: UInt64, at level: TableLevel) -> UInt64 {
        let g = self[level]
        if g.isFolded { return end }
        let size: UInt64 = g.shift >= 64 ? 0 : 1 << UInt64(g.shift)
        let boundary = (address &+ size) & ~(size &- 1)
        return (boundary &- 1) < (end &- 1) ? boundary : end
    }

    /// Bytes of address space one entry of `level` covers.
    public func entrySpan(_ level: TableLevel) -> UInt64 {
        let shift = self[level].shift
        return shift >= 64 ? 0 : 1 << UInt64(shift)
    }
}
