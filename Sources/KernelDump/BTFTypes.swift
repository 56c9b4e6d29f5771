import PageTables

/// The kernel's own BPF Type Format data (include/uapi/linux/btf.h), as
/// CONFIG_DEBUG_INFO_BTF puts it between `__start_BTF` and `__stop_BTF` in
/// the image and /sys/kernel/btf/vmlinux shows it live. Distribution kernels
/// carry it where they carry no DWARF, so structure offsets come from it when
/// no vmlinux is at hand.
///
/// Layout: a header (magic 0xeB9F in the kernel's byte order, version, flags,
/// hdr_len, then type_off/type_len/str_off/str_len relative to the header's
/// end), the type records, and the string section. Type ids count from 1 in
/// record order. Each record is `name_off, info, size_or_type` (u32 each):
/// info holds vlen in bits 0-15, the kind in bits 24-28 and kind_flag in bit
/// 31; kind-specific data follows.
public struct BTFTypes: Sendable {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    struct TypeRecord {
        var nameOffset: UInt32
        var kind: UInt32
        var vlen: Int
        var kindFlag: Bool
        var sizeOrType: UInt32
        /// Where the kind-specific data starts in `bytes`.
        var dataOffset: Int
    }

    static let kindStruct: UInt32 = 4, kindUnion: UInt32 = 5
    /// Kinds that only qualify or rename another type.
    static let wrappers: Set<UInt32> = [8, 9, 10, 11, 18]   // typedef, volatile, const, restrict, type_tag

    let bytes: [UInt8]
    let order: ByteOrder
    let strings: Range<Int>
    /// Index 0 is void; record i describes type id i.
    let types: [TypeRecord]

    public init(_ bytes: [UInt8]) throws(Problem) {
        guard bytes.count >= 24 else { throw Problem(description: "BTF data of \(bytes.count) bytes has no header") }
        let order: ByteOrder
        switch (bytes[0], bytes[1]) {
        case (0x9f, 0xeb): order = .little
        case (0xeb, 0x9f): order = .big
        default: throw Problem(description: "no BTF magic (0xeb9f) at its start")
        }
        func u32(_ at: Int) -> UInt32 { bytes.withUnsafeBytes { Self.load32($0, at, order) } }
        let headerLength = Int(u32(4))
        guard bytes[2] == 1, headerLength >= 24, headerLength <= bytes.count else {
            throw Problem(description: "BTF version \(bytes[2]) with a \(headerLength)-byte header is not understood")
        }
        let typeStart = headerLength + Int(u32(8)), typeEnd = typeStart + Int(u32(12))
        let stringStart = headerLength + Int(u32(16)), stringEnd = stringStart + Int(u32(20))
        guard typeEnd <= bytes.count, stringEnd <= bytes.count, typeStart <= typeEnd, stringStart <= stringEnd else {
            throw Problem(description: "BTF sections run past its \(bytes.count) bytes")
        }
        var types = [TypeRecord(nameOffset: 0, kind: 0, vlen: 0, kindFlag: false, sizeOrType: 0, dataOffset: 0)]
        types.reserveCapacity((typeEnd - typeStart) / 24)
        var at = typeStart
        // A kernel's BTF has 100,000 types or more: loads in place, not decodeInteger.
        let unknown: (id: Int, kind: UInt32)? = bytes.withUnsafeBytes { raw in
            while at + 12 <= typeEnd {
                let info = Self.load32(raw, at + 4, order)
                let record = TypeRecord(nameOffset: Self.load32(raw, at, order), kind: (info >> 24) & 0x1f,
                                        vlen: Int(info & 0xffff), kindFlag: info >> 31 != 0,
                                        sizeOrType: Self.load32(raw, at + 8, order), dataOffset: at + 12)
                guard let extra = Self.dataSize(kind: record.kind, vlen: record.vlen) else { return (types.count, record.kind) }
                types.append(record)
                at += 12 + extra
            }
            return nil
        }
        if let unknown { throw Problem(description: "BTF type \(unknown.id) has unknown kind \(unknown.kind)") }
        guard at == typeEnd else { throw Problem(description: "BTF's last type record runs past its type section") }
        self.bytes = bytes
        self.order = order
        self.strings = stringStart..<stringEnd
        self.types = types
    }

    /// Bytes after the 12-byte record, by kind (btf.h); nil for a kind this
    /// reader does not know, whose size it therefore cannot skip.
    static func dataSize(kind: UInt32, vlen: Int) -> Int? {
        switch kind {
        case 1, 14, 17: return 4                    // int, var, decl_tag
        case 3: return 12                           // array
        case 4, 5, 15, 19: return 12 * vlen         // struct, union, datasec, enum64
        case 6, 13: return 8 * vlen                 // enum, func_proto
        case 2, 7, 8, 9, 10, 11, 12, 16, 18: return 0
        default: return nil
        }
    }

    func u32(_ at: Int) -> UInt32 { bytes.withUnsafeBytes { Self.load32($0, at, order) } }

    /// The u32 at `at` in `order`; 0 past the end (as a truncated record reads).
    @inline(__always)
    static func load32(_ raw: UnsafeRawBufferPointer, _ at: Int, _ order: ByteOrder) -> UInt32 {
        guard at >= 0, at + 4 <= raw.count else { return 0 }
        let v = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return order == .little ? UInt32(littleEndian: v) : UInt32(bigEndian: v)
    }

    /// Whether the string at `offset` is `name`, without making a String.
    func name(_ offset: UInt32, is name: [UInt8]) -> Bool {
        let start = strings.lowerBound + Int(offset)
        guard start + name.count < strings.upperBound else { return false }
        return bytes[start + name.count] == 0 && bytes[start..<start + name.count].elementsEqual(name)
    }

    func name(_ offset: UInt32) -> String {
        let start = strings.lowerBound + Int(offset)
        guard start < strings.upperBound else { return "" }
        var end = start
        while end < strings.upperBound && bytes[end] != 0 { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Byte offsets of the named members of each named struct, as
    /// `"struct.member"` keys. Members of anonymous structs and unions inside
    /// count as the struct's own (mm_struct keeps `pgd` in one since 6.1's
    /// cpu_bitmap split); a struct without all members simply lacks them.
    public func memberOffsets(_ wanted: [String: [String]]) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        var pending = wanted.keys.map { (name: $0, bytes: Array($0.utf8)) }
        for (id, t) in types.enumerated() where t.kind == Self.kindStruct && t.vlen > 0 && !pending.isEmpty {
            guard let k = pending.firstIndex(where: { name(t.nameOffset, is: $0.bytes) }),
                  let members = wanted[pending[k].name] else { continue }
            let structName = pending.remove(at: k).name
            var found: [String: UInt64] = [:]
            collect(id, base: 0, depth: 0, into: &found)
            for m in members { if let o = found[m] { result["\(structName).\(m)"] = o } }
        }
        return result
    }

    private func collect(_ id: Int, base: UInt64, depth: Int, into found: inout [String: UInt64]) {
        guard depth < 8, id < types.count else { return }
        let t = types[id]
        for i in 0..<t.vlen {
            let at = t.dataOffset + 12 * i
            let memberName = u32(at)
            let bitOffset = UInt64(t.kindFlag ? u32(at + 8) & 0xff_ffff : u32(at + 8))
            let offset = base + bitOffset / 8
            if memberName == 0 {
                if let inner = resolve(Int(u32(at + 4))), types[inner].kind == Self.kindStruct || types[inner].kind == Self.kindUnion {
                    collect(inner, base: offset, depth: depth + 1, into: &found)
                }
            } else {
                let n = name(memberName)
                if found[n] == nil { found[n] = offset }
            }
        }
    }

    /// Follows typedefs and qualifiers to the type they stand for.
    private func resolve(_ id: Int) -> Int? {
        var id = id
        for _ in 0..<16 {
            guard id > 0, id < types.count else { return nil }
            guard Self.wrappers.contains(types[id].kind) else { return id }
            id = Int(types[id].sizeOrType)
        }
        return nil
    }
}
