import PageTables

/// Where VMCOREINFO says the kallsyms arrays are.
public struct KallsymsLocations: Sendable, Equatable {
    public var numSyms: UInt64
    public var names: UInt64
    public var tokenTable: UInt64
    public var tokenIndex: UInt64
    public var offsets: UInt64?
    public var relativeBase: UInt64?
    public var addresses: UInt64?

    public init?(_ info: VmcoreInfo) {
        guard let n = info.symbol("kallsyms_num_syms"), let names = info.symbol("kallsyms_names"),
              let table = info.symbol("kallsyms_token_table"), let index = info.symbol("kallsyms_token_index") else { return nil }
        numSyms = n
        self.names = names
        tokenTable = table
        tokenIndex = index
        offsets = info.symbol("kallsyms_offsets")
        relativeBase = info.symbol("kallsyms_relative_base")
        addresses = info.symbol("kallsyms_addresses")
        // Since a081b5789255 ("kallsyms: Get rid of kallsyms relative base",
        // Linux 7.0) the offsets are relative to their own place and there is
        // no relative base; kallsyms_offsets alone says so.
        guard addresses != nil || offsets != nil else { return nil }
    }
}

/// Why the dump's kallsyms could not be used.
public struct KallsymsError: Error, CustomStringConvertible {
    public var description: String
}

/// Reads `count` bytes at a kernel virtual address; the string names what is read.
typealias Fetch = (UInt64, Int, String) throws(KallsymsError) -> [UInt8]

/// The kernel's own compressed symbol table, decoded from its memory.
///
/// The format (kernel/kallsyms.c, scripts/kallsyms.c):
/// - `kallsyms_num_syms`: the number of symbols (u32);
/// - `kallsyms_names`: per symbol a token count, then that many token bytes.
///   The count is one byte; since 6.1 (73bbb94466fd, "kallsyms: support big
///   kernel symbols") a count with bit 7 set takes a second byte
///   (`(b0 & 0x7f) | b1 << 7`). Older kernels never wrote a count of 128 or
///   more (names were at most 127 bytes), so the 6.1 rule reads them too.
/// - `kallsyms_token_index`: 256 u16 offsets into `kallsyms_token_table`, a
///   list of NUL-terminated token strings. A name's first decoded character
///   is its type (`T`, `d`, ...), not part of the name.
/// - addresses: `kallsyms_addresses[]` (u64) without KALLSYMS_BASE_RELATIVE;
///   otherwise `kallsyms_offsets[]` (s32) from `kallsyms_relative_base`:
///   `base + (u32)off`, or with KALLSYMS_ABSOLUTE_PERCPU (x86-64 SMP until
///   6.15) `off` itself when `off >= 0` (per-CPU symbols) and
///   `base - 1 - off` otherwise. Which of the two held is not in the dump;
///   the decoder takes the one under which the symbols VMCOREINFO names land
///   where VMCOREINFO says. From Linux 7.0 (a081b5789255) there is no
///   relative base: symbol i is at `&kallsyms_offsets[i] + (s32)off`.
///
/// VMCOREINFO names these arrays since 6.0 (5fd8fea935a1, "vmcoreinfo:
/// include kallsyms symbols").
enum KallsymsDecoder {
    /// Far above any kernel (Debian's has 115,000 symbols); a corrupt count stops here.
    static let maximumSymbols: UInt64 = 1 << 22

    /// Decodes the table through `read` (kernel virtual address, count), and
    /// checks it against VMCOREINFO's own `SYMBOL()` lines.
    static func decode(_ loc: KallsymsLocations, info: VmcoreInfo, order: ByteOrder,
                       read: @escaping (UInt64, Int) throws -> [UInt8]) throws(KallsymsError) -> SymbolIndex {
        let fetch: Fetch = { (va: UInt64, count: Int, what: String) throws(KallsymsError) -> [UInt8] in
            do { return try read(va, count) } catch {
                throw KallsymsError(description: "\(what) at \(hex(va)) is not in the dump (\(error))")
            }
        }
        let countBytes = try fetch(loc.numSyms, 4, "kallsyms_num_syms")
        let n = decodeInteger(countBytes, at: 0, size: 4, order: order) ?? 0
        guard n > 0, n < maximumSymbols else {
            throw KallsymsError(description: "kallsyms_num_syms is \(n)")
        }
        let count = Int(n)
        let indexBytes = try fetch(loc.tokenIndex, 512, "kallsyms_token_index")
        let tokenOffsets = (0..<256).map { Int(decodeInteger(indexBytes, at: $0 * 2, size: 2, order: order) ?? 0) }
        // Token strings are short; the table ends within a page of the last start.
        let tableSize = (tokenOffsets.max() ?? 0) + 256
        var tableReader = PagedReader(base: loc.tokenTable, limit: tableSize, fetch: fetch, what: "kallsyms_token_table")
        let tableBytes = try tableReader.all()
        // Tokens back to back: token t is tokenBytes[tokenStarts[t]..<tokenStarts[t + 1]].
        var tokenBytes: [UInt8] = []
        var tokenStarts: [Int32] = [0]
        for start in tokenOffsets {
            guard start < tableBytes.count, let end = tableBytes[start...].firstIndex(of: 0) else {
                throw KallsymsError(description: "kallsyms_token_table has no token at \(start)")
            }
            tokenBytes += tableBytes[start..<end]
            tokenStarts.append(Int32(tokenBytes.count))
        }

        var names = PagedReader(base: loc.names, limit: count * 600, fetch: fetch, what: "kallsyms_names")
        names.reserve(count * 12)
        // Where each symbol's entry starts (loading the pages as the counts
        // lead on); the names are then grouped by their first bytes, and a
        // group decoded and hashed only when one of its names is asked for.
        let entryStarts = HugeArray<UInt32>(capacity: count)
        var cursor = 0
        // Bytes of the array loaded so far (pages are read only past them).
        var loaded = names.loaded.count - names.skip
        for _ in 0..<count {
            guard cursor < Int(UInt32.max) else { throw KallsymsError(description: "kallsyms_names runs past 4 GiB") }
            entryStarts.append(UInt32(cursor))
            if cursor + 1 >= loaded || cursor + 1 >= names.limit {
                try names.load(through: cursor + 1)
                loaded = names.loaded.count - names.skip
            }
            let bytes = names.loaded.base + names.skip
            var length = Int(bytes[cursor])
            cursor += 1
            if length & 0x80 != 0 {
                length = (length & 0x7f) | Int(bytes[cursor]) << 7
                cursor += 1
            }
            if length > 0 && (cursor + length - 1 >= loaded || cursor + length - 1 >= names.limit) {
                try names.load(through: cursor + length - 1)
                loaded = names.loaded.count - names.skip
            }
            cursor += length
        }
        let hasher = KallsymsNameHasher(tokenBytes: tokenBytes, tokenStarts: tokenStarts)
        let (encoded, skip) = (names.loaded, names.skip)
        let groups = NameGroupIndex(groups: hasher.groups(encoded: encoded, skip: skip, entryStarts: entryStarts)) {
            hasher.buckets(encoded: encoded, skip: skip, entryStarts: entryStarts, ordinals: $0)
        }

        var problems: [String] = []
        var first: SymbolIndex? = nil
        for addresses in try addressCandidates(loc, count: count, order: order, fetch: fetch) {
            let table = KallsymsTable(tokenBytes: tokenBytes, tokenStarts: tokenStarts, encoded: names.loaded,
                                      skip: names.skip, entryStarts: entryStarts, addresses: addresses)
            let index = first.map { SymbolIndex(entries: table, namesOf: $0) } ?? SymbolIndex(entries: table, groups: groups)
            first = first ?? index
            switch check(index, against: info) {
            case .success: return index
            case .failure(let why): problems.append(why.description)
            }
        }
        throw KallsymsError(description: problems.first ?? "no address encoding fits")
    }

    /// The symbol addresses under each encoding the kernel may have used, the
    /// likelier first.
    static func addressCandidates(_ loc: KallsymsLocations, count: Int, order: ByteOrder,
                                  fetch: @escaping Fetch) throws(KallsymsError) -> [KallsymsAddresses] {
        if let absolute = loc.addresses {
            var reader = PagedReader(base: absolute, limit: count * 8, fetch: fetch, what: "kallsyms_addresses")
            guard try reader.loadAll() == count * 8 else { throw KallsymsError(description: "kallsyms_addresses is cut short in the dump") }
            return [KallsymsAddresses(raw: reader.loaded, skip: reader.skip, order: order, encoding: .absolute)]
        }
        guard let offsetsVA = loc.offsets else { return [] }
        var reader = PagedReader(base: offsetsVA, limit: count * 4, fetch: fetch, what: "kallsyms_offsets")
        // A missing page would make its symbols' addresses up; refuse instead.
        guard try reader.loadAll() == count * 4 else { throw KallsymsError(description: "kallsyms_offsets is cut short in the dump") }
        let bytes = reader.loaded
        guard let baseVA = loc.relativeBase else {
            return [KallsymsAddresses(raw: bytes, skip: reader.skip, order: order, encoding: .placeRelative(offsetsVA))]
        }
        let baseBytes = try fetch(baseVA, 8, "kallsyms_relative_base")
        let base = decodeInteger(baseBytes, at: 0, size: 8, order: order) ?? 0
        let relative = KallsymsAddresses(raw: bytes, skip: reader.skip, order: order, encoding: .relative(base))
        let absolutePercpu = KallsymsAddresses(raw: bytes, skip: reader.skip, order: order, encoding: .absolutePercpu(base))
        // With absolute per-CPU symbols every ordinary symbol is stored negative.
        // The sign is the top bit of each 4-byte offset, wherever the order puts it.
        let signByte = order == .little ? 3 : 0
        var negatives = 0
        for i in 0..<count where bytes[reader.skip + i * 4 + signByte] & 0x80 != 0 { negatives += 1 }
        return negatives > count / 2 ? [absolutePercpu, relative] : [relative, absolutePercpu]
    }

    /// The `SYMBOL(name)` lines of VMCOREINFO that kallsyms also lists must
    /// mostly be where kallsyms puts them: at least two, and more than twice
    /// as many as disagree. Not all can agree: `SYMBOL(mem_section)` is the
    /// array's pointer value under SPARSEMEM_EXTREME, not its address
    /// (VMCOREINFO_SYMBOL_ARRAY in kernel/crash_core.c).
    static func check(_ index: SymbolIndex, against info: VmcoreInfo) -> Result<Void, KallsymsError> {
        var agreed = 0
        var disagreed = 0
        var example = ""
        for (key, value) in info.lines where key.hasPrefix("SYMBOL(") && key.hasSuffix(")") {
            let name = String(key.dropFirst(7).dropLast())
            guard let want = UInt64(value.trimmingSpaces, radix: 16), let have = index[name] else { continue }
            if have == want {
                agreed += 1
            } else {
                disagreed += 1
                if example.isEmpty { example = name + " at " + hex(have) + ", VMCOREINFO at " + hex(want) }
            }
        }
        if agreed >= 2 && agreed > 2 * disagreed { return .success(()) }
        // Without CONFIG_KALLSYMS_ALL (Debian's arm64 6.1) kallsyms lists
        // functions only: VMCOREINFO's symbols, all data, are not in it.
        let data = (0..<index.count).reduce(0) { $0 + ("dDbBrRgGsS".utf8.contains(index.type(at: $1)) ? 1 : 0) }
        if data * 100 < index.count {
            return .failure(KallsymsError(description: "the dump's kallsyms lists functions only (\(index.count) symbols, \(data) of data: a kernel built without CONFIG_KALLSYMS_ALL); data symbols such as init_task and __start_BTF need a System.map or the vmlinux"))
        }
        let why = disagreed > 0
            ? "the dump's kallsyms disagrees with VMCOREINFO on \(disagreed) of \(agreed + disagreed) symbols (\(example))"
            : "only \(agreed) of VMCOREINFO's symbols are in the dump's kallsyms to check it against"
        return .failure(KallsymsError(description: why))
    }
}

/// Reads a kernel array a page at a time, on demand, so that only the pages
/// the decoder reaches are read (and recorded for a snapshot), into one
/// contiguous buffer. Pages are read whole from the page boundary below
/// `base`; the bytes before `base` on the first page are in the dump whenever
/// `base` is. Byte `i` of the array is `loaded[skip + i]` once loaded.
struct PagedReader {
    let alignedBase: UInt64
    let skip: Int
    let limit: Int
    let fetch: Fetch
    let what: String
    private(set) var loaded = HugeArray<UInt8>()
    static let pageSize = 4096

    init(base: UInt64, limit: Int, fetch: @escaping Fetch, what: String) {
        self.alignedBase = base & ~UInt64(Self.pageSize - 1)
        self.skip = Int(base - alignedBase)
        self.limit = limit
        self.fetch = fetch
        self.what = what
    }

    /// Room for `bytes` before the first page is read (the array's likely size).
    mutating func reserve(_ bytes: Int) { loaded.reserve(skip + bytes + Self.pageSize) }

    /// Loads pages until byte `offset` of the array is in `loaded`.
    mutating func load(through offset: Int) throws(KallsymsError) {
        guard offset < limit else { throw KallsymsError(description: "\(what) runs past \(limit) bytes") }
        while loaded.count <= skip + offset { try loadPage() }
    }

    /// Everything up to `limit`, or up to the first page the dump lacks: the
    /// array's bytes are `loaded[skip..<skip + count]`; returns `count`.
    mutating func loadAll() throws(KallsymsError) -> Int {
        reserve(limit)
        while loaded.count < skip + limit {
            do { try loadPage() } catch {
                if loaded.isEmpty { throw error }
                break
            }
        }
        return min(limit, loaded.count - skip)
    }

    /// Everything up to `limit`, or up to the first page the dump lacks, as
    /// an array (for small ones).
    mutating func all() throws(KallsymsError) -> [UInt8] {
        let count = try loadAll()
        return Array(UnsafeBufferPointer(rebasing: loaded.buffer[skip..<skip + count]))
    }

    private mutating func loadPage() throws(KallsymsError) {
        let va = alignedBase &+ UInt64(loaded.count)
        let bytes = try fetch(va, Self.pageSize, what)
        guard bytes.count == Self.pageSize else { throw KallsymsError(description: "\(what): short read at \(hex(va))") }
        loaded.append(contentsOf: bytes)
    }
}
