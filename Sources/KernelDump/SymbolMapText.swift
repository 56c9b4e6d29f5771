/// A `System.map`'s or `/proc/kallsyms`' text: `ADDRESS TYPE NAME [module]`
/// lines, addresses as written. A line that is not three fields is no
/// symbol; one whose first field is not hex (at most 16 digits) is a
/// symbol without an address, which lookups pass over.
struct SymbolMapText: SymbolEntries {
    let store: StableBytes
    private var text: UnsafeBufferPointer<UInt8> { store.buffer }
    /// Per symbol, where its name starts in `text` (its line starts after
    /// the newline before).
    let nameStarts: HugeArray<UInt32>

    var count: Int { nameStarts.count }
    /// A kernel's System.map is sorted by address (scripts/mksysmap), as is
    /// /proc/kallsyms' kernel part, so a symbol ends at most where the next
    /// higher address starts: an array's size, padding included (readers of
    /// kernel arrays end them by their own terminators).
    var sizesFromNextAddress: Bool { true }

    /// Finds the lines and their names' groups (`NameGroupIndex`) in one
    /// pass; a big file's two halves side by side (`runSideBySide`), split
    /// after a newline. Files over 4 GiB are read up to there (the caller's
    /// limit is far below). Also says how many parts it was read in.
    static func parse(_ store: StableBytes) -> (SymbolMapText, NameGroupIndex, parts: Int) {
        let text = store.buffer
        let end = min(text.count, Int(UInt32.max))
        var halves: (Range<Int>, Range<Int>)?
        if end >= 1 << 20, let newline = (end / 2..<end).first(where: { text[$0] == 0x0a }), newline + 1 < end {
            halves = (0..<newline + 1, newline + 1..<end)
        }
        let parts = inParts(whole: 0..<end, halves: halves) { scan(text, in: $0) }
        let (names, groups) = parts.first ?? (HugeArray(), HugeArray())
        for (moreNames, moreGroups) in parts.dropFirst() {
            names.append(contentsOf: moreNames.buffer)
            groups.append(contentsOf: moreGroups.buffer)
        }
        let entries = SymbolMapText(store: store, nameStarts: names)
        let index = NameGroupIndex(groups: groups) { members in
            let text = store.buffer
            return SymbolBuckets.filled(count: members.count) { k in
                let start = Int(names.base[Int(members[k])])
                return SymbolIndex.hash(text.baseAddress! + start, count: fieldEnd(text, from: start, end: end) - start,
                                        readable: end - start)
            }
        }
        return (entries, index, parts.count)
    }

    /// The loop of `parse` over the lines in `range`: per symbol line its
    /// name's start and group.
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>) -> (HugeArray<UInt32>, HugeArray<UInt16>) {
        let (from, end) = (range.lowerBound, range.upperBound)
        // The shortest symbol line, `a b c\n`, is 6 bytes: room for every
        // line at once, so the loop writes without capacity checks (pages
        // never written are never touched).
        let names = HugeArray<UInt32>(capacity: (end - from) / 6 + 1)
        let groups = HugeArray<UInt16>(capacity: (end - from) / 6 + 1)
        guard bytes.baseAddress != nil else { return (names, groups) }
        let (out, groupOut) = (names.base, groups.base)
        var n = 0
        var i = from
        while i < end {
            let line = i
            if let name = nameField(bytes, line: line, end: end) {
                let nameEnd = fieldEnd(bytes, from: name, end: end)
                out[n] = UInt32(name)
                groupOut[n] = NameGroupIndex.group(bytes[name], nameEnd - name > 1 ? bytes[name + 1] : 0)
                n += 1
                i = nameEnd
            }
            i = (i < end && bytes[i] == 0x0a) ? i : lineEnd(bytes, from: i, end: end)
            i += 1
        }
        names.setCount(n)
        groups.setCount(n)
        return (names, groups)
    }

    @inline(__always) static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// Where the third field of the line at `line` starts, or nil when the
    /// line has fewer than three fields.
    @inline(__always)
    static func nameField(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, end: Int) -> Int? {
        // A 64-bit System.map's line: 16 digits, a blank, the type letter, a blank.
        if line + 20 <= end && bytes[line + 16] == 0x20 && bytes[line + 18] == 0x20
            && bytes[line] > 0x20 && bytes[line + 17] > 0x20 && bytes[line + 19] > 0x20
            && fieldEnd(bytes, from: line, end: line + 16) == line + 16 {
            return line + 19
        }
        var i = line
        for _ in 0..<2 {
            while i < end && isBlank(bytes[i]) { i += 1 }
            let start = i
            i = fieldEnd(bytes, from: i, end: end)
            guard i > start else { return nil }
        }
        while i < end && isBlank(bytes[i]) { i += 1 }
        return i < end && bytes[i] != 0x0a ? i : nil
    }

    /// The first blank, tab, newline (or other byte below 0x21) from `from`,
    /// 8 bytes at a time where 8 remain.
    @inline(__always)
    static func fieldEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        guard let raw = UnsafeRawPointer(bytes.baseAddress) else { return from }
        while i + 8 <= end {
            let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // A byte below 0x21 sets its top bit here; the lowest one set is
            // the first such byte (a borrow only carries upwards).
            let low = (x &- 0x2121_2121_2121_2121) & ~x & 0x8080_8080_8080_8080
            if low != 0 { return i + low.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < end && bytes[i] > 0x20 { i += 1 }
        return i
    }

    @inline(__always)
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        while i < end && bytes[i] != 0x0a { i += 1 }
        return i
    }

    private func field(_ start: Int) -> Range<Int> {
        start..<Self.fieldEnd(text, from: start, end: text.count)
    }

    func name(_ i: Int, equals name: UnsafeBufferPointer<UInt8>) -> Bool {
        let range = field(Int(nameStarts[i]))
        return range.count == name.count && text[range].elementsEqual(name)
    }

    func nameBytes(_ i: Int) -> [UInt8] { Array(text[field(Int(nameStarts[i]))]) }

    /// The first field at or after `from` (a symbol's line has three).
    private func field(after from: Int) -> Range<Int> {
        var start = from
        while start < text.count && Self.isBlank(text[start]) { start += 1 }
        return field(start)
    }

    private func lineStart(_ i: Int) -> Int {
        var start = Int(nameStarts[i])
        while start > 0 && text[start - 1] != 0x0a { start -= 1 }
        return start
    }

    func address(_ i: Int) -> UInt64? {
        Self.hexValue(text, field(after: lineStart(i)))
    }

    func type(_ i: Int) -> UInt8 {
        let type = field(after: field(after: lineStart(i)).upperBound)
        return type.isEmpty ? 0 : text[type.lowerBound]
    }

    func size(_ i: Int) -> UInt64? { nil }

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

extension SymbolIndex {
    /// A `System.map` or `/proc/kallsyms` text.
    static func parseMap(_ text: [UInt8]) -> SymbolIndex { parseMap(StableBytes(copying: text)) }

    static func parseMap(_ store: StableBytes) -> SymbolIndex {
        let (entries, groups, _) = SymbolMapText.parse(store)
        return SymbolIndex(entries: entries, groups: groups)
    }

    /// No symbols (a stripped vmlinux).
    static var empty: SymbolIndex { parseMap([]) }
}
