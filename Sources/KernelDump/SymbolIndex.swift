import PageTables

/// A whole kernel symbol table (a vmlinux's .symtab, a System.map or
/// /proc/kallsyms, the dump's own kallsyms) held as one buffer of name bytes
/// and parallel arrays, looked up in place through an FNV-1a hash index.
///
/// A listing asks for a few dozen names out of 100,000 or more: building a
/// Swift dictionary of them all (a String per name, hashing, resizing) was
/// most of a run's time (issue 16's profile), building this is one pass over
/// the bytes.
public final class SymbolIndex: Sendable {
    /// How `size(of:)` answers.
    public enum Sizes: Sendable {
        /// The table's own sizes (ELF st_size), parallel to the addresses.
        case given([UInt64])
        /// None: the table has no sizes (a map file's text).
        case none
        /// The distance to the next higher address (kallsyms: sorted by address).
        case nextAddress
    }

    /// Decoded names, back to back; `nameStarts[i]..<nameStarts[i+1]` is symbol i.
    let nameBytes: [UInt8]
    let nameStarts: [UInt32]
    /// Each symbol's type letter (`T`, `d`, ...); 0 where the source has none.
    let types: [UInt8]
    let addresses: [UInt64]
    let sizes: Sizes
    /// Open addressing: symbol index + 1, 0 empty.
    private let buckets: [Int32]

    public var count: Int { addresses.count }

    init(nameBytes: [UInt8], nameStarts: [UInt32], types: [UInt8], addresses: [UInt64], sizes: Sizes) {
        self.nameBytes = nameBytes
        self.nameStarts = nameStarts
        self.types = types
        self.addresses = addresses
        self.sizes = sizes
        var size = 16
        while size < addresses.count * 2 { size <<= 1 }
        var buckets = [Int32](repeating: 0, count: size)
        nameBytes.withUnsafeBufferPointer { bytes in
            for i in 0..<addresses.count {
                let range = Int(nameStarts[i])..<Int(nameStarts[i + 1])
                var slot = Int(Self.hash(bytes, range) & UInt64(size - 1))
                while buckets[slot] != 0 {
                    // The first of several same-named symbols wins, as in a map file.
                    if Self.equal(bytes, Int(buckets[slot]) - 1, nameStarts, range) { break }
                    slot = (slot + 1) & (size - 1)
                }
                if buckets[slot] == 0 { buckets[slot] = Int32(i + 1) }
            }
        }
        self.buckets = buckets
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in range { h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01b3 }
        return h
    }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int, _ starts: [UInt32], _ range: Range<Int>) -> Bool {
        let other = Int(starts[index])..<Int(starts[index + 1])
        guard other.count == range.count else { return false }
        for k in 0..<range.count where bytes[other.lowerBound + k] != bytes[range.lowerBound + k] { return false }
        return true
    }

    /// The index of the first symbol called `name`.
    func index(of name: String) -> Int? {
        var key = Array(name.utf8)
        return nameBytes.withUnsafeBufferPointer { bytes -> Int? in
            key.withUnsafeMutableBufferPointer { k -> Int? in
                let keyBytes = UnsafeBufferPointer(k)
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for b in keyBytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                let mask = buckets.count - 1
                var slot = Int(h & UInt64(mask))
                while buckets[slot] != 0 {
                    let i = Int(buckets[slot]) - 1
                    let range = Int(nameStarts[i])..<Int(nameStarts[i + 1])
                    if range.count == keyBytes.count && zip(bytes[range], keyBytes).allSatisfy({ $0 == $1 }) { return i }
                    slot = (slot + 1) & mask
                }
                return nil
            }
        }
    }

    public subscript(name: String) -> UInt64? { index(of: name).map { addresses[$0] } }

    public func size(of name: String) -> UInt64? {
        guard let i = index(of: name) else { return nil }
        switch sizes {
        case .given(let sizes): return sizes[i]
        case .none: return nil
        case .nextAddress:
            let a = addresses[i]
            var j = i + 1
            while j < addresses.count && addresses[j] <= a { j += 1 }
            return j < addresses.count ? addresses[j] - a : nil
        }
    }

    public func name(at i: Int) -> String {
        String(decoding: nameBytes[Int(nameStarts[i])..<Int(nameStarts[i + 1])], as: UTF8.self)
    }

    /// Every (name, address) pair, in the table's order.
    public var all: [(name: String, address: UInt64)] {
        (0..<addresses.count).map { (name(at: $0), addresses[$0]) }
    }

    /// Collects a table one symbol at a time.
    struct Builder {
        var nameBytes: [UInt8] = []
        var nameStarts: [UInt32] = [0]
        var types: [UInt8] = []
        var addresses: [UInt64] = []
        var sizes: [UInt64] = []

        init(capacity: Int) {
            nameBytes.reserveCapacity(capacity * 24)
            nameStarts.reserveCapacity(capacity + 1)
            types.reserveCapacity(capacity)
            addresses.reserveCapacity(capacity)
        }

        /// False once the names pass 4 GiB (no kernel comes near).
        mutating func append(_ name: UnsafeBufferPointer<UInt8>, type: UInt8, address: UInt64, size: UInt64? = nil) -> Bool {
            guard nameBytes.count + name.count < Int(UInt32.max) else { return false }
            nameBytes.append(contentsOf: name)
            nameStarts.append(UInt32(nameBytes.count))
            types.append(type)
            addresses.append(address)
            if let size { sizes.append(size) }
            return true
        }

        func build(sizes kind: Sizes? = nil) -> SymbolIndex {
            SymbolIndex(nameBytes: nameBytes, nameStarts: nameStarts, types: types, addresses: addresses,
                        sizes: kind ?? (sizes.count == addresses.count && !sizes.isEmpty ? .given(sizes) : .none))
        }
    }

    /// `System.map` or `/proc/kallsyms` text: `ADDRESS TYPE NAME [module]`
    /// lines, addresses as written. Lines that are not three fields with a hex
    /// address are skipped.
    static func parseMap(_ bytes: UnsafeBufferPointer<UInt8>) -> SymbolIndex {
        var builder = Builder(capacity: bytes.count / 40)
        let end = bytes.count
        @inline(__always) func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        /// The next field on the line from `i`: its range, or nil at the line's end.
        @inline(__always) func field(_ i: inout Int) -> Range<Int>? {
            while i < end && isBlank(bytes[i]) { i += 1 }
            let start = i
            while i < end && bytes[i] != 0x0a && !isBlank(bytes[i]) { i += 1 }
            return i > start ? start..<i : nil
        }
        var i = 0
        while i < end {
            if let address = field(&i), let type = field(&i), let name = field(&i),
               let value = hexValue(bytes, address) {
                guard builder.append(UnsafeBufferPointer(rebasing: bytes[name]), type: bytes[type.lowerBound],
                                     address: value) else { break }
            }
            while i < end && bytes[i] != 0x0a { i += 1 }
            i += 1
        }
        return builder.build()
    }

    /// Hex digits without a prefix, at most 16 of them.
    static func hexValue(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty, range.count <= 16 else { return nil }
        var value: UInt64 = 0
        for i in range {
            let c = bytes[i]
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x37
            case 0x61...0x66: digit = c - 0x57
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
