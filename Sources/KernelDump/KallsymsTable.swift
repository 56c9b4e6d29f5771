import PageTables

/// The dump's kallsyms as `KallsymsDecoder` found it: the token table and
/// the encoded names, decoded one symbol at a time when asked for.
struct KallsymsTable: SymbolEntries {
    /// Tokens back to back: token t is `tokenBytes[tokenStarts[t]..<tokenStarts[t + 1]]`.
    let tokenBytes: [UInt8]
    let tokenStarts: [Int32]
    /// `kallsyms_names` from its page boundary: byte k of the array is `encoded[skip + k]`.
    let encoded: HugeArray<UInt8>
    let skip: Int
    /// Where each symbol's entry (its token count, then its tokens) starts in the array.
    let entryStarts: HugeArray<UInt32>
    let addresses: KallsymsAddresses

    /// Decoded names longer than this (type letter included) are cut there
    /// and so never found; KSYM_NAME_LEN is 512 since 6.1, 128 before.
    static let longestName = 4096

    var count: Int { entryStarts.count }
    var sizesFromNextAddress: Bool { true }

    /// Expands `tokens` into `out` (cut at its end); the decoded length.
    @inline(__always)
    static func decode(_ tokens: UnsafeBufferPointer<UInt8>, tokenBytes: [UInt8], tokenStarts: [Int32],
                       into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        tokenBytes.withUnsafeBufferPointer { tb in
            tokenStarts.withUnsafeBufferPointer { ts in
                var n = 0
                for t in tokens {
                    var from = Int(ts[Int(t)])
                    let to = Int(ts[Int(t) + 1])
                    while from < to && n < out.count {
                        out[n] = tb[from]
                        n += 1
                        from += 1
                    }
                }
                return n
            }
        }
    }

    /// Where the tokens of the entry at `start` of the array lie in `bytes`
    /// (the array from its page boundary, `skip` bytes before it): after its
    /// one- or two-byte count, cut where the bytes end.
    @inline(__always)
    static func tokenRange(_ bytes: UnsafeBufferPointer<UInt8>, skip: Int, start: UInt32) -> Range<Int> {
        var cursor = skip + Int(start)
        guard cursor < bytes.count else { return bytes.count..<bytes.count }
        var length = Int(bytes[cursor])
        cursor += 1
        if length & 0x80 != 0, cursor < bytes.count {
            length = (length & 0x7f) | Int(bytes[cursor]) << 7
            cursor += 1
        }
        return cursor..<min(cursor + length, bytes.count)
    }

    /// Where symbol `i`'s tokens lie in `encoded`.
    private func tokens(_ i: Int) -> Range<Int> {
        encoded.withUnsafeBufferPointer { Self.tokenRange($0, skip: skip, start: entryStarts[i]) }
    }

    /// Symbol `i`'s decoded bytes: its type letter, then its name.
    private func decoded(_ i: Int) -> [UInt8] {
        let range = tokens(i)
        let length = min(range.reduce(0) { $0 + Int(tokenStarts[Int(encoded[$1]) + 1] - tokenStarts[Int(encoded[$1])]) },
                         Self.longestName)
        var out = [UInt8](repeating: 0, count: length)
        encoded.withUnsafeBufferPointer { bytes in
            out.withUnsafeMutableBufferPointer { o in
                _ = Self.decode(UnsafeBufferPointer(rebasing: bytes[range]), tokenBytes: tokenBytes,
                                tokenStarts: tokenStarts, into: o)
            }
        }
        return out
    }

    func name(_ i: Int, equals name: UnsafeBufferPointer<UInt8>) -> Bool {
        let bytes = decoded(i)
        return bytes.count == name.count + 1 && bytes.dropFirst().elementsEqual(name)
    }

    func nameBytes(_ i: Int) -> [UInt8] { Array(decoded(i).dropFirst()) }
    /// The first byte of the first non-empty token: no whole decode (the
    /// functions-only check asks it of every symbol).
    func type(_ i: Int) -> UInt8 {
        for k in tokens(i) {
            let t = Int(encoded[k])
            if tokenStarts[t] < tokenStarts[t + 1] { return tokenBytes[Int(tokenStarts[t])] }
        }
        return 0
    }
    func address(_ i: Int) -> UInt64? { addresses[i] }
    func size(_ i: Int) -> UInt64? { nil }
}

/// kallsyms' addresses under one of the kernel's encodings, read from the
/// raw array (`kallsyms_addresses[]` or `kallsyms_offsets[]`) when asked for.
struct KallsymsAddresses: Sendable {
    enum Encoding: Sendable {
        /// `kallsyms_addresses[]`: u64 values.
        case absolute
        /// `base + (u32)off`.
        case relative(UInt64)
        /// KALLSYMS_ABSOLUTE_PERCPU: `off` when `off >= 0`, else `base - 1 - off`.
        case absolutePercpu(UInt64)
        /// Linux 7.0 on: `&kallsyms_offsets[i] + (s32)off`; the array's address.
        case placeRelative(UInt64)
    }

    /// The array from its page boundary: byte k of it is `raw[skip + k]`.
    let raw: HugeArray<UInt8>
    let skip: Int
    let order: ByteOrder
    let encoding: Encoding

    private func load<T: FixedWidthInteger>(_ i: Int, as: T.Type) -> T? {
        let at = skip + i * MemoryLayout<T>.size
        guard i >= 0, at + MemoryLayout<T>.size <= raw.count else { return nil }
        let value = UnsafeRawPointer(raw.base).loadUnaligned(fromByteOffset: at, as: T.self)
        return order == .little ? T(littleEndian: value) : T(bigEndian: value)
    }

    subscript(i: Int) -> UInt64? {
        if case .absolute = encoding { return load(i, as: UInt64.self) }
        guard let r = load(i, as: UInt32.self) else { return nil }
        let signed = Int64(Int32(bitPattern: r))
        switch encoding {
        case .absolute: return nil
        case .relative(let base): return base &+ UInt64(r)
        case .absolutePercpu(let base): return signed >= 0 ? UInt64(signed) : base &- 1 &- UInt64(bitPattern: signed)
        case .placeRelative(let array): return array &+ UInt64(4 * i) &+ UInt64(bitPattern: signed)
        }
    }
}

/// Hashes kallsyms names (`SymbolIndex.hash`, type letter left out) as
/// they decode into one buffer, and sorts names into groups by their first
/// two bytes: a token of up to 8 bytes (nearly all are) is one 8-byte word,
/// packed once per token here.
struct KallsymsNameHasher {
    private let tokenBytes: [UInt8]
    private let tokenStarts: [Int32]
    /// Token t's bytes in a little-endian word when it has 1 to 8 of them,
    /// and their count; a count of 0 sends it byte by byte.
    private var shortWords = [UInt64](repeating: 0, count: 256)
    private var shortLengths = [UInt8](repeating: 0, count: 256)

    init(tokenBytes: [UInt8], tokenStarts: [Int32]) {
        self.tokenBytes = tokenBytes
        self.tokenStarts = tokenStarts
        for t in 0..<256 {
            let from = Int(tokenStarts[t])
            let n = Int(tokenStarts[t + 1]) - from
            guard n > 0 && n <= 8 else { continue }
            var word: UInt64 = 0
            for k in 0..<n { word |= UInt64(tokenBytes[from + k]) << UInt64(8 * k) }
            shortWords[t] = word
            shortLengths[t] = UInt8(n)
        }
    }

    /// The entries `ordinals` (symbol numbers in table order) of
    /// `kallsyms_names` (byte k at `encoded[skip + k]`), hashed into buckets
    /// whose ordinal j stands for `ordinals[j]`.
    func buckets(encoded: HugeArray<UInt8>, skip: Int, entryStarts: HugeArray<UInt32>,
                 ordinals: UnsafeBufferPointer<UInt32>) -> SymbolBuckets {
        var buckets = SymbolBuckets(expected: ordinals.count)
        let name = UnsafeMutableRawBufferPointer.allocate(byteCount: KallsymsTable.longestName + 16, alignment: 8)
        defer { name.deallocate() }
        guard let named = name.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return buckets }
        let (starts, bytes) = (entryStarts.buffer, encoded.buffer)
        withTables { tb, ts, shortWords, shortLengths in
            @inline(__always) func hash(_ i: Int) -> UInt64 {
                let range = KallsymsTable.tokenRange(bytes, skip: skip, start: starts[Int(ordinals[i])])
                let (cursor, end) = (range.lowerBound, range.upperBound)
                // Decoded into `name` a token at a time: each short token is
                // one 8-byte store (`name` has room for the overhang).
                var n = 0
                var k = cursor
                while k < end && n <= KallsymsTable.longestName {
                    let t = Int(bytes[k])
                    let length = Int(shortLengths[t])
                    if length != 0 {
                        name.storeBytes(of: shortWords[t].littleEndian, toByteOffset: n, as: UInt64.self)
                        n += length
                    } else {
                        var b = Int(ts[t])
                        while b < Int(ts[t + 1]) && n <= KallsymsTable.longestName {
                            name.storeBytes(of: tb[b], toByteOffset: n, as: UInt8.self)
                            n += 1
                            b += 1
                        }
                    }
                    k += 1
                }
                n = min(n, KallsymsTable.longestName)
                // The first decoded byte is the type letter, not part of the name.
                return n > 0 ? SymbolIndex.hash(named + 1, count: n - 1, readable: name.count - 1)
                    : SymbolIndex.hash(named, count: 0)
            }
            for i in 0..<ordinals.count {
                buckets.append(hash(i), hashOf: hash)
            }
        }
        return buckets
    }

    /// The token table and the packed short tokens as buffers, for the
    /// loops over many entries.
    private func withTables<R>(_ body: (_ tokenBytes: UnsafeBufferPointer<UInt8>, _ tokenStarts: UnsafeBufferPointer<Int32>,
                                        _ shortWords: UnsafeBufferPointer<UInt64>, _ shortLengths: UnsafeBufferPointer<UInt8>) -> R) -> R {
        tokenBytes.withUnsafeBufferPointer { tb in
            tokenStarts.withUnsafeBufferPointer { ts in
                shortWords.withUnsafeBufferPointer { words in
                    shortLengths.withUnsafeBufferPointer { lengths in body(tb, ts, words, lengths) }
                }
            }
        }
    }

    /// The `NameGroupIndex.group` of each entry's name (its first two
    /// bytes after the type letter), from its first tokens only.
    func groups(encoded: HugeArray<UInt8>, skip: Int, entryStarts: HugeArray<UInt32>) -> HugeArray<UInt16> {
        let count = entryStarts.count
        let groups = HugeArray<UInt16>(zeroed: count)
        let (starts, bytes) = (entryStarts.buffer, encoded.buffer)
        // A big table in two halves side by side: each writes its own part.
        _ = inParts(whole: 0..<count, halves: evenHalves(count)) {
            fillGroups(groups, $0, starts: starts, bytes: bytes, skip: skip)
        }
        return groups
    }

    private func fillGroups(_ groups: HugeArray<UInt16>, _ entries: Range<Int>, starts: UnsafeBufferPointer<UInt32>,
                            bytes: UnsafeBufferPointer<UInt8>, skip: Int) {
        withTables { tb, ts, shortWords, shortLengths in
            for i in entries {
                let range = KallsymsTable.tokenRange(bytes, skip: skip, start: starts[i])
                // The type letter and the name's first two bytes, in a word
                // (zero past the name's end).
                var head: UInt64 = 0
                var n = 0
                var k = range.lowerBound
                while k < range.upperBound && n < 3 {
                    let t = Int(bytes[k])
                    let length = Int(shortLengths[t])
                    if length != 0 {
                        head |= shortWords[t] &<< UInt64(truncatingIfNeeded: n &* 8)
                        n &+= length
                    } else {
                        var b = Int(ts[t])
                        while b < Int(ts[t + 1]) && n < 3 {
                            head |= UInt64(tb[b]) &<< UInt64(truncatingIfNeeded: n &* 8)
                            n &+= 1
                            b &+= 1
                        }
                    }
                    k += 1
                }
                groups.base[i] = NameGroupIndex.group(UInt8(truncatingIfNeeded: head >> 8), UInt8(truncatingIfNeeded: head >> 16))
            }
        }
    }
}
