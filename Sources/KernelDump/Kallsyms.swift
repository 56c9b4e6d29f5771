import PageTables

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
///   where VMCOREINFO says.
///
/// VMCOREINFO names these arrays since 6.0 (5fd8fea935a1, "vmcoreinfo:
/// include kallsyms symbols").
public final class KallsymsIndex: Sendable {
    /// Decoded names, back to back; `nameStarts[i]..<nameStarts[i+1]` is symbol i.
    let nameBytes: [UInt8]
    let nameStarts: [UInt32]
    let types: [UInt8]
    let addresses: [UInt64]
    /// Open addressing on an FNV-1a hash of the name: symbol index + 1, 0 empty.
    private let buckets: [Int32]

    public var count: Int { addresses.count }

    init(nameBytes: [UInt8], nameStarts: [UInt32], types: [UInt8], addresses: [UInt64]) {
        self.nameBytes = nameBytes
        self.nameStarts = nameStarts
        self.types = types
        self.addresses = addresses
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

    /// kallsyms has no sizes: the distance to the next higher address stands
    /// in for one (the table is sorted by address), as for a System.map.
    public func size(of name: String) -> UInt64? {
        guard let i = index(of: name) else { return nil }
        let a = addresses[i]
        var j = i + 1
        while j < addresses.count && addresses[j] <= a { j += 1 }
        return j < addresses.count ? addresses[j] - a : nil
    }

    public func name(at i: Int) -> String {
        String(decoding: nameBytes[Int(nameStarts[i])..<Int(nameStarts[i + 1])], as: UTF8.self)
    }

    /// Every (name, address) pair, in the table's (address) order.
    public var all: [(name: String, address: UInt64)] {
        (0..<addresses.count).map { (name(at: $0), addresses[$0]) }
    }
}

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
        guard addresses != nil || (offsets != nil && relativeBase != nil) else { return nil }
    }
}

/// Why the dump's kallsyms could not be used.
public struct KallsymsError: Error, CustomStringConvertible {
    public var description: String
}

/// Reads `count` bytes at a kernel virtual address; the string names what is read.
typealias Fetch = (UInt64, Int, String) throws(KallsymsError) -> [UInt8]

enum KallsymsDecoder {
    /// Far above any kernel (Debian's has 115,000 symbols); a corrupt count stops here.
    static let maximumSymbols: UInt64 = 1 << 22

    /// Decodes the table through `read` (kernel virtual address, count), and
    /// checks it against VMCOREINFO's own `SYMBOL()` lines.
    static func decode(_ loc: KallsymsLocations, info: VmcoreInfo, order: ByteOrder,
                       read: @escaping (UInt64, Int) throws -> [UInt8]) throws(KallsymsError) -> KallsymsIndex {
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
        var tokens: [[UInt8]] = []
        for start in tokenOffsets {
            guard start < tableBytes.count, let end = tableBytes[start...].firstIndex(of: 0) else {
                throw KallsymsError(description: "kallsyms_token_table has no token at \(start)")
            }
            tokens.append(Array(tableBytes[start..<end]))
        }

        var names = PagedReader(base: loc.names, limit: count * 600, fetch: fetch, what: "kallsyms_names")
        var nameBytes: [UInt8] = []
        nameBytes.reserveCapacity(count * 24)
        var starts: [UInt32] = [0]
        starts.reserveCapacity(count + 1)
        var types: [UInt8] = []
        types.reserveCapacity(count)
        var cursor = 0
        for _ in 0..<count {
            var length = Int(try names.byte(cursor))
            cursor += 1
            if length & 0x80 != 0 {
                length = (length & 0x7f) | Int(try names.byte(cursor)) << 7
                cursor += 1
            }
            var type: UInt8 = 0
            var first = true
            for _ in 0..<length {
                let token = tokens[Int(try names.byte(cursor))]
                cursor += 1
                for b in token {
                    if first { type = b; first = false } else { nameBytes.append(b) }
                }
            }
            types.append(type)
            guard nameBytes.count < Int(UInt32.max) else { throw KallsymsError(description: "kallsyms_names decodes to over 4 GiB") }
            starts.append(UInt32(nameBytes.count))
        }

        let candidates = try addressCandidates(loc, count: count, order: order, fetch: fetch)
        var problems: [String] = []
        for addresses in candidates {
            let index = KallsymsIndex(nameBytes: nameBytes, nameStarts: starts, types: types, addresses: addresses)
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
                                  fetch: @escaping Fetch) throws(KallsymsError) -> [[UInt64]] {
        if let absolute = loc.addresses {
            var reader = PagedReader(base: absolute, limit: count * 8, fetch: fetch, what: "kallsyms_addresses")
            let bytes = try reader.all()
            guard bytes.count == count * 8 else { throw KallsymsError(description: "kallsyms_addresses is cut short in the dump") }
            return [(0..<count).map { decodeInteger(bytes, at: $0 * 8, size: 8, order: order) ?? 0 }]
        }
        guard let offsetsVA = loc.offsets, let baseVA = loc.relativeBase else { return [] }
        let baseBytes = try fetch(baseVA, 8, "kallsyms_relative_base")
        let base = decodeInteger(baseBytes, at: 0, size: 8, order: order) ?? 0
        var reader = PagedReader(base: offsetsVA, limit: count * 4, fetch: fetch, what: "kallsyms_offsets")
        let bytes = try reader.all()
        // A missing page would make its symbols' addresses up; refuse instead.
        guard bytes.count == count * 4 else { throw KallsymsError(description: "kallsyms_offsets is cut short in the dump") }
        let raw = (0..<count).map { UInt32(truncatingIfNeeded: decodeInteger(bytes, at: $0 * 4, size: 4, order: order) ?? 0) }
        let relative = raw.map { base &+ UInt64($0) }
        let absolutePercpu = raw.map { r -> UInt64 in
            let signed = Int32(bitPattern: r)
            return signed >= 0 ? UInt64(signed) : base &- 1 &- UInt64(bitPattern: Int64(signed))
        }
        // With absolute per-CPU symbols every ordinary symbol is stored negative.
        let negatives = raw.reduce(0) { $0 + (Int32(bitPattern: $1) < 0 ? 1 : 0) }
        return negatives > count / 2 ? [absolutePercpu, relative] : [relative, absolutePercpu]
    }

    /// The `SYMBOL(name)` lines of VMCOREINFO that kallsyms also lists must
    /// mostly be where kallsyms puts them: at least two, and more than twice
    /// as many as disagree. Not all can agree: `SYMBOL(mem_section)` is the
    /// array's pointer value under SPARSEMEM_EXTREME, not its address
    /// (VMCOREINFO_SYMBOL_ARRAY in kernel/crash_core.c).
    static func check(_ index: KallsymsIndex, against info: VmcoreInfo) -> Result<Void, KallsymsError> {
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
        let data = index.types.reduce(0) { $0 + ("dDbBrRgGsS".utf8.contains($1) ? 1 : 0) }
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
/// the decoder reaches are read (and recorded for a snapshot). Pages are read
/// whole from the page boundary below `base`; the bytes before `base` on the
/// first page are in the dump whenever `base` is.
struct PagedReader {
    let alignedBase: UInt64
    let skip: Int
    let limit: Int
    let fetch: Fetch
    let what: String
    private var pages: [[UInt8]] = []
    static let pageSize = 4096

    init(base: UInt64, limit: Int, fetch: @escaping Fetch, what: String) {
        self.alignedBase = base & ~UInt64(Self.pageSize - 1)
        self.skip = Int(base - alignedBase)
        self.limit = limit
        self.fetch = fetch
        self.what = what
    }

    mutating func byte(_ offset: Int) throws(KallsymsError) -> UInt8 {
        guard offset < limit else { throw KallsymsError(description: "\(what) runs past \(limit) bytes") }
        let absolute = skip + offset
        let page = absolute / Self.pageSize
        while pages.count <= page { try load() }
        return pages[page][absolute % Self.pageSize]
    }

    /// Everything up to `limit`, or up to the first page the dump lacks.
    mutating func all() throws(KallsymsError) -> [UInt8] {
        while pages.count * Self.pageSize < skip + limit {
            do { try load() } catch {
                if pages.isEmpty { throw error }
                break
            }
        }
        return Array(pages.joined().dropFirst(skip).prefix(limit))
    }

    private mutating func load() throws(KallsymsError) {
        let va = alignedBase &+ UInt64(pages.count * Self.pageSize)
        let bytes = try fetch(va, Self.pageSize, what)
        guard bytes.count == Self.pageSize else { throw KallsymsError(description: "\(what): short read at \(hex(va))") }
        pages.append(bytes)
    }
}
