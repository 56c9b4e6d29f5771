import Glibc

/// The dump's kallsyms looked up by name without hashing every name: one
/// pass sorts the symbols into groups by their names' first two bytes (read
/// from the first tokens only), and a group's names are decoded and hashed
/// the first time a name of that group is asked for.
///
/// Why: a listing asks for a few dozen names, and decoding and hashing all of
/// Debian 6.1's 140,000 was more than half of a dump-alone run (callgrind,
/// 25M of 46M instructions; issue 16). The groups asked for hold a small part
/// of the table.
final class KallsymsPrefixIndex: @unchecked Sendable {
    private let hasher: KallsymsNameHasher
    private let encoded: HugeArray<UInt8>
    private let skip: Int
    private let entryStarts: HugeArray<UInt32>
    /// Symbol numbers by group, in table order within each: group g's are
    /// `ordinals[groupStarts[g]..<groupStarts[g + 1]]`.
    private let groupStarts: [UInt32]
    private let ordinals: HugeArray<UInt32>
    /// Each group's buckets once built; behind `lock` (lookups may come from
    /// any thread).
    private var built: [Int: SymbolBuckets] = [:]
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    static let groupCount = 1 << 14

    /// A name's group from its first two bytes (0 past its end): the low 7
    /// bits of each, which keep every character a symbol name uses apart.
    @inline(__always)
    static func group(_ first: UInt8, _ second: UInt8) -> UInt16 {
        UInt16(first & 0x7f) << 7 | UInt16(second & 0x7f)
    }

    static func group(of name: UnsafeBufferPointer<UInt8>) -> Int {
        Int(group(name.count > 0 ? name[0] : 0, name.count > 1 ? name[1] : 0))
    }

    init(hasher: KallsymsNameHasher, encoded: HugeArray<UInt8>, skip: Int, entryStarts: HugeArray<UInt32>) {
        self.hasher = hasher
        self.encoded = encoded
        self.skip = skip
        self.entryStarts = entryStarts
        let groups = hasher.groups(encoded: encoded, skip: skip, entryStarts: entryStarts)
        // A counting sort: stable, so each group keeps the table's order.
        var starts = [UInt32](repeating: 0, count: Self.groupCount + 1)
        let ordinals = HugeArray<UInt32>(zeroed: groups.count)
        let keys = groups.buffer
        starts.withUnsafeMutableBufferPointer { starts in
            for g in keys { starts[Int(g) &+ 1] &+= 1 }
            for g in 0..<Self.groupCount { starts[g &+ 1] &+= starts[g] }
            var next = [UInt32](starts)
            next.withUnsafeMutableBufferPointer { next in
                for i in 0..<keys.count {
                    let g = Int(keys[i])
                    ordinals.base[Int(next[g])] = UInt32(truncatingIfNeeded: i)
                    next[g] &+= 1
                }
            }
        }
        groupStarts = starts
        self.ordinals = ordinals
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The first symbol (in table order) whose name hashes to `hash` in
    /// `name`'s group and that `matches` accepts.
    func first(hash: UInt64, name: UnsafeBufferPointer<UInt8>, where matches: (Int) -> Bool) -> Int? {
        let g = Self.group(of: name)
        let from = Int(groupStarts[g])
        let members = UnsafeBufferPointer(start: ordinals.base + from, count: Int(groupStarts[g + 1]) - from)
        guard !members.isEmpty else { return nil }
        pthread_mutex_lock(lock)
        let buckets: SymbolBuckets
        if let done = built[g] {
            buckets = done
        } else {
            buckets = hasher.buckets(encoded: encoded, skip: skip, entryStarts: entryStarts, ordinals: members)
            built[g] = buckets
        }
        pthread_mutex_unlock(lock)
        let slots = buckets.slots
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let i = Int(members[Int(slots[slot]) - 1])
            if matches(i) { return i }
            slot = (slot + 1) & mask
        }
        return nil
    }
}
