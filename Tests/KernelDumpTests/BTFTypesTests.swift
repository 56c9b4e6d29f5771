import Testing
@testable import KernelDump

/// BTF built by hand from include/uapi/linux/btf.h, so the expected offsets
/// are the ones written here, not the parser's.
@Suite struct BTFTypesTests {
    /// Little- or big-endian BTF holding:
    ///   1 int (4 bytes)
    ///   2 struct inner { int pgd @ bit 64; }
    ///   3 typedef inner_t -> 2
    ///   4 struct mm_struct { int users @0; <anon> inner_t @ bit 128 (kind_flag: bitfield size 0); }
    ///   5 fwd task_struct (skipped: a forward declaration has no members)
    ///   6 struct task_struct { int pid @ bit 32; int mm @ bit 96; }
    static func blob(bigEndian: Bool) -> [UInt8] {
        var strings: [UInt8] = [0]
        func str(_ s: String) -> UInt32 {
            let at = UInt32(strings.count)
            strings += Array(s.utf8) + [0]
            return at
        }
        func u32(_ v: UInt32) -> [UInt8] {
            let le = [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
            return bigEndian ? le.reversed() : le
        }
        func info(kind: UInt32, vlen: UInt32, kindFlag: Bool = false) -> UInt32 { (kindFlag ? 1 << 31 : 0) | kind << 24 | vlen }
        var types: [UInt8] = []
        types += u32(str("int")) + u32(info(kind: 1, vlen: 0)) + u32(4) + u32(0x0100_0020)
        types += u32(str("inner")) + u32(info(kind: 4, vlen: 1)) + u32(16) + u32(str("pgd")) + u32(1) + u32(64)
        types += u32(str("inner_t")) + u32(info(kind: 8, vlen: 0)) + u32(2)
        types += u32(str("mm_struct")) + u32(info(kind: 4, vlen: 2, kindFlag: true)) + u32(32)
        types += u32(str("users")) + u32(1) + u32(0)
        types += u32(0) + u32(3) + u32(128)
        types += u32(str("task_struct")) + u32(info(kind: 7, vlen: 0)) + u32(0)
        types += u32(str("task_struct")) + u32(info(kind: 4, vlen: 2)) + u32(16)
        types += u32(str("pid")) + u32(1) + u32(32)
        types += u32(str("mm")) + u32(1) + u32(96)
        let magic: [UInt8] = bigEndian ? [0xeb, 0x9f] : [0x9f, 0xeb]
        let header = magic + [1, 0] + u32(24) + u32(0) + u32(UInt32(types.count)) + u32(UInt32(types.count)) + u32(UInt32(strings.count))
        return header + types + strings
    }

    @Test(arguments: [false, true])
    func offsetsIncludingAnonymousMembersInEitherByteOrder(bigEndian: Bool) throws {
        let btf = try BTFTypes(Self.blob(bigEndian: bigEndian))
        let offsets = btf.memberOffsets(["mm_struct": ["users", "pgd"], "task_struct": ["pid", "mm", "comm"]])
        #expect(offsets == ["mm_struct.users": 0, "mm_struct.pgd": 24, "task_struct.pid": 4, "task_struct.mm": 12])
    }

    @Test func badInputIsAnErrorNotATrap() {
        let good = Self.blob(bigEndian: false)
        #expect(throws: BTFTypes.Problem.self) { try BTFTypes(Array(good.prefix(10))) }
        var badMagic = good
        badMagic[0] = 0
        #expect(throws: BTFTypes.Problem.self) { try BTFTypes(badMagic) }
        // A type section that claims more than the blob holds.
        #expect(throws: BTFTypes.Problem.self) { try BTFTypes(Array(good.prefix(good.count - 20))) }
        var unknownKind = good
        unknownKind[24 + 7] = 31   // the first type's kind byte (little-endian info, top byte)
        #expect(throws: BTFTypes.Problem.self) { try BTFTypes(unknownKind) }
    }
}
