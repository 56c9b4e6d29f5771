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
    /// A whole table, looked up in place; its addresses plus `shift` are the
    /// run-time ones.
    private let index: SymbolIndex?
    private let shift: UInt64
    /// The lowest link-time address `shift` moves (`shifted(_:by:from:)`).
    private let shiftFrom: UInt64

    public init(source: String, addresses: [String: UInt64], sizes: [String: UInt64] = [:], isComplete: Bool) {
        self.source = source
        self.isComplete = isComplete
        self.addresses = addresses
        self.sizes = sizes
        self.index = nil
        self.shift = 0
        self.shiftFrom = 0
    }

    /// A whole table (the dump's kallsyms, a vmlinux, a map file) whose
    /// addresses move by `shift` (the KASLR offset of link-time ones).
    public init(source: String, index: SymbolIndex, shift: UInt64 = 0) {
        self.source = source
        self.isComplete = true
        self.addresses = [:]
        self.sizes = [:]
        self.index = index
        self.shift = shift
        self.shiftFrom = min(index["_text"] ?? index["_stext"] ?? 1 << 63, 1 << 63)
    }

    public subscript(name: String) -> UInt64? {
        guard let index else { return addresses[name] }
        return index[name].map { Self.shifted($0, by: shift, from: shiftFrom) }
    }
    public func size(of name: String) -> UInt64? { index.map { $0.size(of: name) } ?? sizes[name] }
    /// Every (name, address) pair, in no particular order.
    public var all: [(name: String, address: UInt64)] {
        guard let index else { return addresses.map { ($0.key, $0.value) } }
        return index.all.map { ($0.name, Self.shifted($0.address, by: shift, from: shiftFrom)) }
    }
    public var count: Int { index?.count ?? addresses.count }
    public var isEmpty: Bool { count == 0 }

    /// A link-time address at run time. KASLR moves the kernel's own
    /// addresses only: those with the top bit set, and, for a kernel linked
    /// low (s390x's image links at 0x100000), those from its `_text` up.
    /// x86-64's per-CPU symbols are offsets into the per-CPU area
    /// (`runqueues` is 0x2f880 or so) and stay as they are.
    static func shifted(_ value: UInt64, by offset: UInt64, from lowest: UInt64 = 1 << 63) -> UInt64 {
        value >= lowest ? value &+ offset : value
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
