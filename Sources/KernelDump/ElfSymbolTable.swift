/// A vmlinux's `.symtab`, read in place in the memory libelf holds for it
/// (`ElfFile.symbolIndex`): Elf64_Sym or Elf32_Sym entries in host order,
/// names in the string table.
///
/// `@unchecked Sendable`: the bytes are never written, and `owner` keeps
/// the libelf handle that holds them open.
struct ElfSymbolTable: SymbolEntries, @unchecked Sendable {
    let owner: ElfFile
    let symbols: UnsafeRawPointer
    /// Entries in `symbols`.
    let rowCount: Int
    let is64: Bool
    let names: UnsafeRawPointer
    let namesSize: Int
    /// The rows that are symbols here (a name, an address other than 0).
    private(set) var rows: [UInt32] = []

    init(owner: ElfFile, symbols: UnsafeRawPointer, count: Int, is64: Bool, names: UnsafeRawPointer, namesSize: Int) {
        self.owner = owner
        self.symbols = symbols
        self.rowCount = min(count, Int(UInt32.max))
        self.is64 = is64
        self.names = names
        // Cut after the last NUL: every name that starts before it ends at
        // a NUL, and one that starts past it (a corrupt table's) is no name.
        var end = namesSize
        while end > 0 && names.load(fromByteOffset: end - 1, as: UInt8.self) != 0 { end -= 1 }
        self.namesSize = end
    }

    var count: Int { rows.count }
    var sizesFromNextAddress: Bool { false }

    private var entrySize: Int { is64 ? 24 : 16 }

    private func nameOffset(row: Int) -> Int {
        Int(symbols.loadUnaligned(fromByteOffset: row * entrySize, as: UInt32.self))
    }

    private func value(row: Int) -> UInt64 {
        is64 ? symbols.loadUnaligned(fromByteOffset: row * 24 + 8, as: UInt64.self)
            : UInt64(symbols.loadUnaligned(fromByteOffset: row * 16 + 4, as: UInt32.self))
    }

    /// The name's length: up to its NUL, or nil when it has none before the
    /// string table ends (a corrupt offset).
    private func nameLength(at offset: Int) -> Int? {
        guard offset < namesSize else { return nil }
        var i = offset
        while i + 8 <= namesSize {
            let x = UInt64(littleEndian: names.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // A zero byte sets its top bit here; the lowest set is the first zero.
            let zero = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if zero != 0 { return i + zero.trailingZeroBitCount / 8 - offset }
            i += 8
        }
        while i < namesSize {
            if names.load(fromByteOffset: i, as: UInt8.self) == 0 { return i - offset }
            i += 1
        }
        return nil
    }

    /// Picks the rows and their names' groups (`NameGroupIndex`) in one
    /// pass; a big table's two halves side by side (`runSideBySide`).
    func index() -> (ElfSymbolTable, NameGroupIndex) {
        var table = self
        let parts = inParts(whole: 0..<rowCount, halves: evenHalves(rowCount)) { rowsAndGroups($0) }
        table.rows = parts.flatMap(\.0)
        let groups = HugeArray<UInt16>(capacity: table.rows.count)
        for (_, more) in parts { groups.append(contentsOf: more) }
        let picked = table
        let index = NameGroupIndex(groups: groups) { members in
            let bytes = picked.names.assumingMemoryBound(to: UInt8.self)
            return SymbolBuckets.filled(count: members.count) { k in
                let offset = picked.nameOffset(row: Int(picked.rows[Int(members[k])]))
                return SymbolIndex.hash(bytes + offset, count: picked.nameLength(at: offset) ?? 0, readable: picked.namesSize - offset)
            }
        }
        return (table, index)
    }

    /// The symbols among `rows` (an address, a name) and their names' groups.
    private func rowsAndGroups(_ range: Range<Int>) -> ([UInt32], [UInt16]) {
        var rows: [UInt32] = []
        var groups: [UInt16] = []
        rows.reserveCapacity(range.count)
        groups.reserveCapacity(range.count)
        let bytes = names.assumingMemoryBound(to: UInt8.self)
        for row in range where value(row: row) != 0 {
            let offset = nameOffset(row: row)
            // A name that starts before `namesSize` ends at a NUL before it.
            guard offset < namesSize, bytes[offset] != 0 else { continue }
            rows.append(UInt32(row))
            groups.append(NameGroupIndex.group(bytes[offset], bytes[offset + 1]))
        }
        return (rows, groups)
    }

    private func name(row: Int) -> UnsafeBufferPointer<UInt8> {
        let offset = nameOffset(row: row)
        let length = nameLength(at: offset) ?? 0
        return UnsafeBufferPointer(start: names.assumingMemoryBound(to: UInt8.self) + min(offset, namesSize), count: length)
    }

    func name(_ i: Int, equals other: UnsafeBufferPointer<UInt8>) -> Bool {
        let mine = name(row: Int(rows[i]))
        return mine.count == other.count && mine.elementsEqual(other)
    }

    func nameBytes(_ i: Int) -> [UInt8] { Array(name(row: Int(rows[i]))) }
    func address(_ i: Int) -> UInt64? { value(row: Int(rows[i])) }
    func type(_ i: Int) -> UInt8 { 0 }

    func size(_ i: Int) -> UInt64? {
        let row = Int(rows[i])
        return is64 ? symbols.loadUnaligned(fromByteOffset: row * 24 + 16, as: UInt64.self)
            : UInt64(symbols.loadUnaligned(fromByteOffset: row * 16 + 8, as: UInt32.self))
    }
}
