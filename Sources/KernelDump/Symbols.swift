import PageTables

/// Kernel symbols at their run-time addresses (KASLR already applied), with the
/// name of the source they came from.
public struct SymbolTable: Sendable {
    public let source: String
    /// True when a name missing from this table is missing from the kernel
    /// (vmlinux, System.map, kallsyms, a snapshot of those); false for
    /// VMCOREINFO's handful.
    public let isComplete: Bool
    private let addresses: [String: UInt64]
    private let sizes: [String: UInt64]
    /// The kernel's own table decoded from the dump: looked up in place, not
    /// copied into a dictionary.
    private let kallsyms: KallsymsIndex?

    public init(source: String, addresses: [String: UInt64], sizes: [String: UInt64] = [:], isComplete: Bool) {
        self.source = source
        self.isComplete = isComplete
        self.addresses = addresses
        self.sizes = sizes
        self.kallsyms = nil
    }

    /// The dump's own kallsyms.
    public init(source: String, kallsyms: KallsymsIndex) {
        self.source = source
        self.isComplete = true
        self.addresses = [:]
        self.sizes = [:]
        self.kallsyms = kallsyms
    }

    public subscript(name: String) -> UInt64? { kallsyms.map { $0[name] } ?? addresses[name] }
    public func size(of name: String) -> UInt64? { kallsyms.map { $0.size(of: name) } ?? sizes[name] }
    /// Every (name, address) pair, in no particular order.
    public var all: [(name: String, address: UInt64)] { kallsyms?.all ?? addresses.map { ($0.key, $0.value) } }
    public var count: Int { kallsyms?.count ?? addresses.count }
    public var isEmpty: Bool { count == 0 }

    /// A vmlinux's link-time symbols, shifted by the KASLR offset.
    public static func vmlinux(_ symbols: [ElfFile.Symbol], source: String, kernelOffset: UInt64) -> SymbolTable {
        var addresses: [String: UInt64] = [:]
        var sizes: [String: UInt64] = [:]
        for s in symbols where s.value != 0 {
            if addresses[s.name] == nil {
                addresses[s.name] = shifted(s.value, by: kernelOffset)
                sizes[s.name] = s.size
            }
        }
        return SymbolTable(source: source, addresses: addresses, sizes: sizes, isComplete: true)
    }

    /// `System.map` or `/proc/kallsyms` text: `ADDRESS TYPE NAME [module]` lines.
    /// System.map holds link-time addresses (add `kernelOffset`); kallsyms holds
    /// run-time ones (pass 0).
    ///
    /// Parsed as bytes: a distribution map has 200,000 lines, and splitting it
    /// into Characters took over a second (callgrind: 4.9 billion instructions).
    public static func parseMap(_ text: String, source: String, kernelOffset: UInt64) -> SymbolTable {
        var addresses: [String: UInt64] = [:]
        var text = text
        text.withUTF8 { bytes in
            var fields: [Range<Int>] = []
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0a { lineEnd += 1 }
                // The first three space- or tab-separated fields.
                fields.removeAll(keepingCapacity: true)
                var i = lineStart
                while i < lineEnd && fields.count < 3 {
                    while i < lineEnd && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
                    let start = i
                    while i < lineEnd && bytes[i] != 0x20 && bytes[i] != 0x09 { i += 1 }
                    if i > start { fields.append(start..<i) }
                }
                if fields.count == 3, let value = hexValue(bytes, fields[0]) {
                    let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[fields[2]]), as: UTF8.self)
                    if addresses[name] == nil { addresses[name] = shifted(value, by: kernelOffset) }
                }
                lineStart = lineEnd + 1
            }
        }
        return SymbolTable(source: source, addresses: addresses, isComplete: true)
    }

    /// A link-time address at run time. KASLR moves the kernel's own
    /// addresses (top bit set) only: x86-64's per-CPU symbols are offsets into
    /// the per-CPU area (`runqueues` is 0x2f880 or so) and stay as they are.
    static func shifted(_ value: UInt64, by offset: UInt64) -> UInt64 {
        value >= 1 << 63 ? value &+ offset : value
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

    /// The `SYMBOL(name)=hex` lines of VMCOREINFO (run-time addresses).
    public static func vmcoreinfo(_ info: VmcoreInfo, source: String) -> SymbolTable {
        var addresses: [String: UInt64] = [:]
        var sizes: [String: UInt64] = [:]
        for (key, value) in info.lines where key.hasSuffix(")") {
            if key.hasPrefix("SYMBOL(") {
                let name = String(key.dropFirst(7).dropLast())
                if addresses[name] == nil, let v = UInt64(value.trimmingSpaces, radix: 16) { addresses[name] = v }
            } else if key.hasPrefix("SYMBOL_SIZE(") {
                let name = String(key.dropFirst(12).dropLast())
                if let v = UInt64(value.trimmingSpaces) { sizes[name] = v }
            }
        }
        return SymbolTable(source: source, addresses: addresses, sizes: sizes, isComplete: info["COMPLETE"] == "1")
    }
}

/// Several symbol tables asked in order; remembers which names were used so a
/// snapshot can keep exactly those.
public final class SymbolChain {
    public private(set) var tables: [SymbolTable]
    public private(set) var used: [String: UInt64] = [:]
    public private(set) var usedSizes: [String: UInt64] = [:]

    public init(_ tables: [SymbolTable]) { self.tables = tables.filter { !$0.isEmpty } }

    /// Adds a source found after the others (the dump's own kallsyms, which is
    /// read through symbols VMCOREINFO gives), ahead of every incomplete one.
    func insert(_ table: SymbolTable) {
        guard !table.isEmpty else { return }
        tables.insert(table, at: tables.firstIndex { !$0.isComplete } ?? tables.count)
        sorted = nil
    }

    public subscript(name: String) -> UInt64? {
        for t in tables {
            if let v = t[name] {
                used[name] = v
                return v
            }
        }
        return nil
    }

    /// `name`, or else the one function-local static of that name, which GCC
    /// emits as `name.N` (arm64 6.12 declares `address_markers[]` inside
    /// `ptdump_init()`: `address_markers.2`). Gives the symbol's actual name,
    /// for `size(of:)`; nil when there is none or more than one.
    public func staticVariable(_ name: String) -> (name: String, address: UInt64)? {
        if let v = self[name] { return (name, v) }
        let prefix = name + "."
        for t in tables where t.isComplete {
            let matches = t.all.filter { entry in
                entry.name.hasPrefix(prefix) && entry.name.count > prefix.count
                    && entry.name.dropFirst(prefix.count).allSatisfy(\.isNumber)
            }
            guard matches.count == 1 else { continue }
            used[matches[0].name] = matches[0].address
            return matches[0]
        }
        return nil
    }

    public func size(of name: String) -> UInt64? {
        for t in tables {
            if let s = t.size(of: name), s > 0 {
                usedSizes[name] = s
                return s
            }
        }
        return nil
    }

    /// The sources in order, for `info` and error messages.
    public var sources: [String] { tables.map(\.source) }

    /// True when a full symbol table (not just VMCOREINFO's few) is available.
    public var hasFullTable: Bool { tables.contains { $0.isComplete } }

    private var sorted: [(name: String, address: UInt64)]?

    /// The symbol at or below `address` in the first complete table, as
    /// `name+0xoffset`, like the kernel's `%pS`; nil without a complete table or
    /// when the nearest symbol lies more than `limit` bytes below.
    public func nearest(_ address: UInt64, limit: UInt64 = 1 << 24) -> String? {
        if sorted == nil {
            let table = tables.first(where: \.isComplete)
            sorted = (table?.all ?? []).sorted { ($0.address, $0.name) < ($1.address, $1.name) }
        }
        guard let list = sorted, !list.isEmpty else { return nil }
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].address <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let hit = list[low - 1]
        let offset = address - hit.address
        guard offset <= limit else { return nil }
        return offset == 0 ? hit.name : "\(hit.name)+\(hex(offset))"
    }
}
