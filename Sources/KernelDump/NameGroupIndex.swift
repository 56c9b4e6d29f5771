import Glibc

/// A symbol table looked up by name without hashing every name: the pass
/// that finds the symbols sorts them into groups by their names' first two
/// bytes, and a group's names are hashed the first time a name of that
/// group is asked for.
///
/// Why: a listing asks for a few dozen names, and hashing all of a kernel's
/// 100,000 or more was most of a short run: decoding and hashing Debian
/// 6.1's kallsyms took 25M of a dump-alone run's 46M instructions
/// (callgrind; issue 16). The groups asked for hold a small part of the
/// table. Used for the dump's kallsyms and for System.map text.
final class NameGroupIndex: @unchecked Sendable {
    /// Builds the buckets of a group's symbols (ordinals in table order;
    /// bucket ordinal j stands for the group's j-th symbol).
    typealias HashGroup = @Sendable (UnsafeBufferPointer<UInt32>) -> SymbolBuckets

    private let hashGroup: HashGroup
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

    /// `groups`: each symbol's `group`, in table order.
    init(groups: HugeArray<UInt16>, hashGroup: @escaping HashGroup) {
        self.hashGroup = hashGroup
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
            buckets = hashGroup(members)
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
