import PageTables

/// One symbol table's entries, read where they lie: a System.map's text, a
/// vmlinux's `.symtab` and string table, the dump's compressed kallsyms.
/// Nothing is copied or decoded for a symbol until it is asked for; the one
/// pass that finds the entries also hashes their names (`SymbolIndex.hash`).
protocol SymbolEntries: Sendable {
    var count: Int { get }
    /// Whether symbol `i`'s name is exactly `name`.
    func name(_ i: Int, equals name: UnsafeBufferPointer<UInt8>) -> Bool
    func nameBytes(_ i: Int) -> [UInt8]
    /// Symbol `i`'s address as the table gives it; nil when its text is not an
    /// address (a map line such as `not-hex T broken`).
    func address(_ i: Int) -> UInt64?
    /// The type letter (`T`, `d`, ...); 0 where the table has none.
    func type(_ i: Int) -> UInt8
    /// The table's own size of symbol `i` (ELF `st_size`); nil when it has none.
    func size(_ i: Int) -> UInt64?
    /// True when the table is sorted by address and a symbol's size is the
    /// distance to the next higher one (kallsyms).
    var sizesFromNextAddress: Bool { get }
}

/// A whole kernel symbol table (a vmlinux's .symtab, a System.map or
/// /proc/kallsyms, the dump's own kallsyms), looked up in place through a
/// hash of the names.
///
/// A listing asks for a few dozen names out of 100,000 or more (issue 16):
/// building this is one pass that finds the names where they lie and sorts
/// them into groups by their first two bytes (`NameGroupIndex`); a group is
/// hashed when one of its names is asked for, a name's bytes, address and
/// size are read only for the symbols asked for, and an address-sorted list
/// only when a nearest-symbol lookup needs one (`SymbolChain.nearest`).
public final class SymbolIndex: Sendable {
    let entries: any SymbolEntries
    /// The names by group, each group hashed on demand. Names are compared
    /// in the table itself, so no name is copied.
    private let groups: NameGroupIndex

    public var count: Int { entries.count }

    init(entries: any SymbolEntries, groups: NameGroupIndex) {
        self.entries = entries
        self.groups = groups
    }

    /// The same names with other addresses (kallsyms under another encoding):
    /// the groups are the names', so they are shared.
    init(entries: any SymbolEntries, namesOf other: SymbolIndex) {
        self.entries = entries
        groups = other.groups
    }

    /// The names' hash: of the length, the first 8 bytes (zero-padded) and,
    /// past 8, the last 8; little-endian. Every `SymbolEntries` hashes with
    /// this. Two loads for a name a System.map or .symtab holds in place;
    /// names differing only in the middle share a hash, which lookups settle
    /// by comparing names (Debian 6.1's System.map: 120,138 distinct names in
    /// 113,253 hashes). `readable`: how many bytes from `bytes` may be read
    /// (at least `count`); with 8, the first word is one load.
    @inline(__always)
    static func hash(_ bytes: UnsafePointer<UInt8>, count: Int, readable: Int = 0) -> UInt64 {
        let raw = UnsafeRawPointer(bytes)
        var first: UInt64 = 0
        if count >= 8 || readable >= 8 {
            first = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            if count < 8 { first &= (1 &<< UInt64(8 * count)) &- 1 }
        } else {
            for i in 0..<count { first |= UInt64(bytes[i]) << UInt64(8 * i) }
        }
        var h = mix(hashSeed, first)
        if count > 8 { h = mix(h, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))) }
        return finish(h, count: count)
    }

    static let hashSeed: UInt64 = 0x9e37_79b9_7f4a_7c15

    @inline(__always)
    static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let m = (h ^ word) &* 0xff51_afd7_ed55_8ccd
        return m ^ (m >> 32)
    }

    @inline(__always)
    static func finish(_ h: UInt64, count: Int) -> UInt64 {
        let m = (h ^ UInt64(count)) &* 0xc4ce_b9fe_1a85_ec53
        return m ^ (m >> 29)
    }

    /// The index of the first symbol called `name` that has an address.
    func index(of name: String) -> Int? {
        var key = Array(name.utf8)
        return key.withUnsafeMutableBufferPointer { k -> Int? in
            let keyBytes = UnsafeBufferPointer(k)
            guard let base = keyBytes.baseAddress else { return nil }
            let h = Self.hash(base, count: keyBytes.count)
            return groups.first(hash: h, name: keyBytes) { entries.name($0, equals: keyBytes) && entries.address($0) != nil }
        }
    }

    public subscript(name: String) -> UInt64? { index(of: name).flatMap { entries.address($0) } }

    public func size(of name: String) -> UInt64? {
        guard let i = index(of: name) else { return nil }
        guard entries.sizesFromNextAddress else { return entries.size(i) }
        guard let a = entries.address(i) else { return nil }
        var j = i + 1
        while j < count {
            if let next = entries.address(j), next > a { return next - a }
            j += 1
        }
        return nil
    }

    public func name(at i: Int) -> String { String(decoding: entries.nameBytes(i), as: UTF8.self) }
    public func type(at i: Int) -> UInt8 { entries.type(i) }

    /// Every (name, address) pair with an address, in the table's order.
    /// Decodes the whole table: for nearest-symbol lookups and tests only.
    public var all: [(name: String, address: UInt64)] {
        (0..<count).compactMap { i in entries.address(i).map { (name(at: i), $0) } }
    }
}
