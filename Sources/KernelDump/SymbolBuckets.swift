/// The hash table of one `NameGroupIndex` group, filled as its names are
/// hashed: open addressing over the group's ordinals (slot = ordinal + 1;
/// 0 empty), at most two thirds full.
///
/// Symbols go straight in as their names are hashed, so no per-symbol hash
/// array is kept: each MiB a run writes costs 256 page faults, about 0.35 ms
/// here (issue 16; 140,000 hashes were 1.1 MiB).
struct SymbolBuckets {
    private(set) var slots: HugeArray<UInt32>
    /// Symbols added so far; the next one's ordinal.
    private(set) var count = 0
    private var limit: Int

    /// `expected`: how many symbols the table is thought to hold; more only
    /// cost a rehash.
    init(expected: Int) {
        var size = 16
        while size < expected + expected / 2 { size <<= 1 }
        slots = HugeArray(zeroed: size)
        limit = size / 3 * 2
    }

    /// Adds the next symbol in table order, by its name's `SymbolIndex.hash`.
    /// Same-named symbols stay in table order along a probe sequence, so a
    /// lookup meets the table's first one first. `hashOf` gives an earlier
    /// symbol's hash again when the table outgrows its estimate. Tables of
    /// 2^32 - 1 symbols or more are cut there.
    @inline(__always)
    mutating func append(_ hash: UInt64, hashOf: (Int) -> UInt64) {
        guard count < Int(UInt32.max) - 1 else { return }
        if count >= limit { grow(hashOf) }
        let ordinal = UInt32(count + 1)
        Self.place(hash, ordinal, in: UnsafeMutableBufferPointer(start: slots.base, count: slots.count))
        count += 1
    }

    @inline(__always)
    private static func place(_ hash: UInt64, _ ordinal: UInt32, in slots: UnsafeMutableBufferPointer<UInt32>) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = ordinal
    }

    private mutating func grow(_ hashOf: (Int) -> UInt64) {
        let bigger = HugeArray<UInt32>(zeroed: slots.count * 2)
        let out = UnsafeMutableBufferPointer(start: bigger.base, count: bigger.count)
        for i in 0..<count { Self.place(hashOf(i), UInt32(i + 1), in: out) }
        slots = bigger
        limit = slots.count / 3 * 2
    }
}

extension SymbolBuckets {
    /// The buckets of `count` symbols in table order, `hash(k)` the k-th
    /// one's name hash (asked again for earlier ones when the table grows).
    static func filled(count: Int, hash: (Int) -> UInt64) -> SymbolBuckets {
        var buckets = SymbolBuckets(expected: count)
        for k in 0..<count { buckets.append(hash(k), hashOf: hash) }
        return buckets
    }
}
