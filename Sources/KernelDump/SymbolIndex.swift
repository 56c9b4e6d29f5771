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
/// building this is one pass that hashes each name where it lies; a name's
/// bytes, address and size are read only for the symbols asked for, and
/// an address-sorted list only when a nearest-symbol lookup needs one
/// (`SymbolChain.nearest`).
public final class SymbolIndex: Sendable {
    let entries: any SymbolEntries
    /// Symbol ordinal + 1 by name hash (`SymbolBuckets`), in parts of the
    /// table in its order, each with its first ordinal. Names are compared in
    /// the table itself, so no hash is kept per symbol.
    private let parts: [(slots: HugeArray<UInt32>, first: Int)]
    /// Instead of `parts`: names hashed a group at a time as they are
    /// asked for (kallsyms, System.map).
    private let prefixed: NameGroupIndex?

    public var count: Int { entries.count }
    /// How many parts the table was read in (2 when side by side).
    let partCount: Int

    convenience init(entries: any SymbolEntries, buckets: SymbolBuckets) {
        self.init(entries: entries, parts: [buckets])
    }

    /// `parts`: the table's symbols in order, each part's `first` where it starts.
    init(entries: any SymbolEntries, parts: [SymbolBuckets]) {
        self.entries = entries
        self.parts = parts.map { ($0.slots, $0.first) }
        prefixed = nil
        partCount = parts.count
    }

    init(entries: any SymbolEntries, prefixed: NameGroupIndex, partCount: Int = 1) {
        self.entries = entries
        parts = []
        self.prefixed = prefixed
        self.partCount = partCount
    }

    /// The same names with other addresses (kallsyms under another encoding):
    /// the hash is the names', so it is shared.
    init(entries: any SymbolEntries, namesOf other: SymbolIndex) {
        self.entries = entries
        self.parts = other.parts
        prefixed = other.prefixed
        partCount = other.partCount
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
            if let prefixed {
                return prefixed.first(hash: h, name: keyBytes) { entries.name($0, equals: keyBytes) && entries.address($0) != nil }
            }
            // Parts in table order: the first part's match is the earlier symbol.
            for (buckets, first) in parts {
                let mask = buckets.count - 1
                var slot = Int(truncatingIfNeeded: h) & mask
                while buckets[slot] != 0 {
                    let i = Int(buckets[slot]) - 1 + first
                    if entries.name(i, equals: keyBytes), entries.address(i) != nil { return i }
                    slot = (slot + 1) & mask
                }
            }
            return nil
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
