import PageTables

/// arm64 (AArch64 stage 1, TTBR1) paging as Linux describes it in
/// arch/arm64/include/asm/pgtable{,-hwdef}.h, checked against Linux 6.1.
///
/// The granule (4K, 16K, 64K) and the configured virtual address size fix the
/// number of levels, `ARM64_HW_PGTABLE_LEVELS(VA_BITS)`; the missing upper
/// levels are folded at compile time (pgtable-nop4d.h, -nopud.h, -nopmd.h).
public struct Arm64Paging: PagingArchitecture {
    // Descriptor bits, arch/arm64/include/asm/pgtable-hwdef.h and pgtable-prot.h.
    public static let valid: UInt64 = 1 << 0
    public static let tableBit: UInt64 = 1 << 1
    public static let user: UInt64 = 1 << 6
    public static let readOnly: UInt64 = 1 << 7
    public static let shared: UInt64 = 3 << 8
    public static let accessFlag: UInt64 = 1 << 10
    public static let notGlobal: UInt64 = 1 << 11
    public static let guarded: UInt64 = 1 << 50
    public static let contiguous: UInt64 = 1 << 52
    public static let privilegedNX: UInt64 = 1 << 53
    public static let userNX: UInt64 = 1 << 54
    public static let protNone: UInt64 = 1 << 58
    public static let attrIndexMask: UInt64 = 7 << 2

    public let geometry: PagingGeometry
    public let pageShift: Int
    /// `CONFIG_ARM64_VA_BITS`: the tables are laid out for it even when the CPU
    /// runs with fewer (52-bit kernels on 48-bit CPUs offset TTBR1 instead).
    public let vaBits: Int
    /// `CONFIG_PGTABLE_LEVELS`.
    public let levelCount: Int
    /// LPA2 (FEAT_LPA2, Linux 6.9+ with 4K/16K granules and 52-bit VA active):
    /// output address bits 51:50 sit in descriptor bits 9:8.
    public let lpa2: Bool
    /// `pg_level[].mask`: the bits `note_page()` compares and prints.
    public let protectionMask: UInt64
    /// How this release encodes user entries (`swapPTEFormat(release:)`);
    /// nil leaves them undecoded.
    public var swapPTEFormat: SwapPTEFormat?

    /// - Parameters:
    ///   - pageShift: 12, 14 or 16.
    ///   - vaBits: `VA_BITS` from VMCOREINFO.
    ///   - protectionMask: the OR of the attribute table's masks.
    public init(pageShift: Int, vaBits: Int, lpa2: Bool = false, protectionMask: UInt64) {
        self.pageShift = pageShift
        self.vaBits = vaBits
        self.lpa2 = lpa2
        self.protectionMask = protectionMask
        let bitsPerLevel = pageShift - 3
        // ARM64_HW_PGTABLE_LEVELS(va) = (va - 4) / (PAGE_SHIFT - 3): at most 4 in
        // 6.1; 5 from 6.9 with LPA2 and 4K pages.
        let levels = max(2, min(5, (vaBits - 4) / bitsPerLevel))
        self.levelCount = levels
        // Linux level k (0 = PGD ... 4 = PTE): PGD and PTE are always real, and
        // level k in between is real when k >= 6 - levels (4 levels: PUD and PMD;
        // 3: PMD; 2: none). A real level k indexes bits from
        // PAGE_SHIFT + (4 - k) * (PAGE_SHIFT - 3).
        let pgdShift = pageShift + (levels - 1) * bitsPerLevel
        var table: [LevelGeometry] = [LevelGeometry(shift: pgdShift, entries: 1 << max(0, vaBits - pgdShift))]
        for k in 1...3 {
            table.append(k >= 6 - levels
                ? LevelGeometry(shift: pageShift + (4 - k) * bitsPerLevel, entries: 1 << bitsPerLevel)
                : LevelGeometry(shift: pgdShift, entries: 1))
        }
        table.append(LevelGeometry(shift: pageShift, entries: 1 << bitsPerLevel))
        self.geometry = PagingGeometry(levels: table, pageShift: pageShift)
    }

    /// The kernel's level names: a folded level prints as the PGD it folds into
    /// (`(CONFIG_PGTABLE_LEVELS > 3) ? "PUD" : "PGD"` and so on). A 5-level
    /// kernel that folds its P4D at run time names the hardware's top table
    /// PGD too: its note_page() turns level 1 into 0 when mm_p4d_folded().
    public var levelNames: [String] {
        ["PGD", "P4D", levelCount > 3 ? "PUD" : "PGD", levelCount > 2 ? "PMD" : "PGD", "PTE"]
    }

    /// `VA_BITS_MIN` (arch/arm64/include/asm/memory.h): the VA size every CPU
    /// the kernel boots on has, VA_BITS below 52 bits, else 48, or 47 with 16K
    /// pages; PAGE_END is `-(1 << (VA_BITS_MIN - 1))`.
    public static func vaBitsMin(vaBits: Int, pageShift: Int) -> Int {
        vaBits > 48 ? (pageShift == 14 ? 47 : 48) : vaBits
    }

    /// The linear map's bounds (memory.h since the 5.4 flip): PAGE_OFFSET =
    /// -(1 << VA_BITS), PAGE_END = -(1 << (VA_BITS_MIN - 1)).
    public static func linearMap(vaBits: Int, pageShift: Int) -> (pageOffset: UInt64, pageEnd: UInt64) {
        (0 &- (1 << UInt64(vaBits)), 0 &- (1 << UInt64(vaBitsMin(vaBits: vaBits, pageShift: pageShift) - 1)))
    }

    /// `ARM64_HW_PGTABLE_LEVELS(va)`.
    public static func levels(vaBits: Int, pageShift: Int) -> Int {
        max(2, min(5, (vaBits - 4) / (pageShift - 3)))
    }

    /// `__pte_to_phys()`: bits 47:PAGE_SHIFT, plus PA[51:48] from bits 15:12 with
    /// 64K pages (FEAT_LPA; RES0 when the kernel uses 48-bit PAs), or PA[51:50]
    /// from bits 9:8 under LPA2.
    public func outputAddress(_ entry: UInt64) -> UInt64 {
        if pageShift == 16 {
            let low = entry & (((1 << 48) - 1) & ~((1 << 16) - 1))
            return low | ((entry >> 12) & 0xf) << 48
        }
        if lpa2 {
            let low = entry & (((1 << 50) - 1) & ~((UInt64(1) << UInt64(pageShift)) - 1))
            return low | ((entry >> 8) & 0x3) << 50
        }
        return entry & (((1 << 48) - 1) & ~((UInt64(1) << UInt64(pageShift)) - 1))
    }

    public func isNone(_ entry: UInt64, at level: TableLevel) -> Bool { entry == 0 }

    /// `p4d_bad()` (and with five levels `pgd_bad()`) is `!(val & 2)`: a block
    /// or reserved encoding where only tables are allowed. With four levels the
    /// walker never asks at PGD (pgtable-nop4d.h's constant 0).
    public func isBad(_ entry: UInt64, at level: TableLevel) -> Bool {
        level == .p4d || level == .pgd ? entry & Self.tableBit == 0 : false
    }

    /// `pud_leaf()` / `pmd_leaf()`: present and not a table descriptor. With 64K
    /// pages `pud_table()` is constant true, so a PUD is never a leaf.
    public func isLeaf(_ entry: UInt64, at level: TableLevel) -> Bool {
        switch level {
        case .pgd, .p4d: return false
        case .pud: return pageShift != 16 && isPresent(entry, at: .pud) && entry & 3 != 3
        case .pmd: return isPresent(entry, at: .pmd) && entry & 3 != 3
        case .pte: return isPresent(entry, at: .pte)
        }
    }

    /// `pte_present()`: valid, or PROT_NONE (a valid-looking entry the kernel
    /// made inaccessible): PTE_PROT_NONE (bit 58) before 6.10, PTE_PRESENT_INVALID
    /// (nG, bit 11) from 6.10, as the release's `swapPTEFormat` says.
    public func isPresent(_ entry: UInt64, at level: TableLevel) -> Bool {
        entry & (swapPTEFormat?.presentBits ?? (Self.valid | Self.protNone)) != 0
    }

    /// PTE_VALID: PROT_NONE pages (present to the kernel) fault.
    public func mapsInHardware(_ entry: UInt64) -> Bool { entry & Self.valid != 0 }

    public func tableAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        PhysicalAddress(outputAddress(entry))
    }

    public func leafAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        PhysicalAddress(outputAddress(entry))
    }

    public func protection(_ entry: UInt64) -> UInt64 { entry & protectionMask }

    public var tracksEffectiveProtection: Bool { false }

    public func effectiveProtection(higher: UInt64?, own: UInt64) -> UInt64 { own }

    /// `note_prot_wx()`: writable (not RDONLY) and executable at EL1 (not PXN).
    public func isWritableAndExecutable(protection: UInt64, effective: UInt64) -> Bool {
        protection != 0 && protection & Self.readOnly == 0 && protection & Self.privilegedNX == 0
    }

    /// Valid descriptors the MMU rejects: type 0b01 at level 3, and a block at a
    /// level the granule has none (4K: levels 1 and 2; 16K and 64K: level 2, and
    /// level 1 only with LPA2/LPA). Linux level k is walked at hardware level k - 1.
    public func invalidEncoding(_ entry: UInt64, at level: TableLevel) -> String? {
        guard entry & Self.valid != 0 else { return nil }
        let hardwareLevel = level.rawValue - 1
        let isTable = entry & Self.tableBit != 0
        if hardwareLevel == 3 { return isTable ? nil : "reserved descriptor type 0b01 at level 3" }
        guard !isTable else { return nil }
        let blockLevels: Set<Int> = pageShift == 12 ? [1, 2] : (lpa2 || (pageShift == 16 && vaBits == 52)) ? [1, 2] : [2]
        if blockLevels.contains(hardwareLevel) { return nil }
        return "block descriptor at level \(hardwareLevel), where the \(1 << (pageShift - 10))K granule has none"
    }

    /// `note_prot_uxn()`: a kernel mapping that EL0 could execute.
    public func isUserExecutable(protection: UInt64) -> Bool {
        protection != 0 && protection & Self.userNX == 0
    }

    public func access(protection: UInt64, effective: UInt64) -> RangeAccess {
        RangeAccess(present: protection & Self.valid != 0, writable: protection & Self.readOnly == 0,
                    executable: protection & Self.privilegedNX == 0, user: protection & Self.user != 0)
    }

    /// arch/arm64/mm/ptdump.c, `ptdump_check_wx()`: W+X and non-UXN pages together.
    public func wxVerdict(writableExecutablePages: UInt64, nonUXNPages: UInt64) -> String {
        writableExecutablePages == 0 && nonUXNPages == 0
            ? "Checked W+X mappings: passed, no W+X pages found"
            : "Checked W+X mappings: FAILED, \(writableExecutablePages) W+X pages found, \(nonUXNPages) non-UXN pages found"
    }
}

extension Arm64Paging {
    /// arch/arm64/mm/ptdump.c's `pte_bits[]` as of Linux 5.11 to 6.12 (the same in 6.1's and 6.12's memory): memory
    /// types by `MT_*` index 0 NORMAL, 1 NORMAL_TAGGED, 2 NORMAL_NC,
    /// 3 DEVICE_nGnRnE, 4 DEVICE_nGnRE (arch/arm64/include/asm/memory.h).
    /// Used when the kernel's own table cannot be read from the dump.
    /// `pte_bits[]` of Linux 5.10 to 5.13: memory types MT_NORMAL 0,
    /// MT_NORMAL_TAGGED 1, MT_NORMAL_NC 2, MT_NORMAL_WT 3 (no row),
    /// MT_DEVICE_nGnRnE 4, MT_DEVICE_nGnRE 5, MT_DEVICE_GRE 6. Linux 5.14
    /// removed Device-GRE and Normal-WT (58cc6b72a212, 21cfe6edbadb), which
    /// moved the device types to 3 and 4 (`attributes6_1`). Read from a 5.10
    /// kernel's memory (fixtures arm64/5.10-*).
    public static let attributes5_10 = ProtectionTable(attributeBits + [
        ProtectionBit(mask: attrIndexMask, value: 4 << 2, set: "DEVICE/nGnRnE", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 5 << 2, set: "DEVICE/nGnRE", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 6 << 2, set: "DEVICE/GRE", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 2 << 2, set: "MEM/NORMAL-NC", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 0 << 2, set: "MEM/NORMAL", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 1 << 2, set: "MEM/NORMAL-TAGGED", clear: nil),
    ])

    /// The rows before the memory types, the same from 5.10 to 6.12.
    static let attributeBits = [
        ProtectionBit(mask: valid, value: valid, set: " ", clear: "F"),
        ProtectionBit(mask: user, value: user, set: "USR", clear: "   "),
        ProtectionBit(mask: readOnly, value: readOnly, set: "ro", clear: "RW"),
        ProtectionBit(mask: privilegedNX, value: privilegedNX, set: "NX", clear: "x "),
        ProtectionBit(mask: shared, value: shared, set: "SHD", clear: "   "),
        ProtectionBit(mask: accessFlag, value: accessFlag, set: "AF", clear: "  "),
        ProtectionBit(mask: notGlobal, value: notGlobal, set: "NG", clear: "  "),
        ProtectionBit(mask: contiguous, value: contiguous, set: "CON", clear: "   "),
        ProtectionBit(mask: tableBit, value: tableBit, set: "   ", clear: "BLK"),
        ProtectionBit(mask: userNX, value: userNX, set: "UXN", clear: "   "),
        ProtectionBit(mask: guarded, value: guarded, set: "GP", clear: "  "),
    ]

    /// The table a kernel of `release` has, for when its own cannot be read,
    /// and what to call it.
    public static func builtInAttributes(release: String) -> (table: ProtectionTable, name: String) {
        guard let v = KernelVersion(release: release) else { return (attributes6_1, "built-in table of Linux 5.14 to 6.14") }
        if v < KernelVersion(5, 14) { return (attributes5_10, "built-in table of Linux 5.10 to 5.13") }
        if v < KernelVersion(6, 15) { return (attributes6_1, "built-in table of Linux 5.14 to 6.14") }
        return (attributes6_15, "built-in table of Linux 6.15 and later (judged on 7.3)")
    }

    /// `pte_bits[]` from Linux 6.15: f5e93819e2cc ("arm64/ptdump: Test
    /// PMD_TYPE_MASK for block mapping") prints BLK when the two low bits
    /// are 01, where earlier kernels printed it whenever bit 1 was clear; the
    /// text differs only for a non-zero entry whose low bits are 00.
    public static let attributes6_15 = ProtectionTable(attributeBits.map { bit in
        bit.mask == tableBit ? ProtectionBit(mask: tableBit | valid, value: valid, set: "BLK", clear: "   ") : bit
    } + memoryTypes6_1)

    public static let attributes6_1 = ProtectionTable(attributeBits + memoryTypes6_1)

    /// The memory types from 5.14: MT_NORMAL 0, MT_NORMAL_TAGGED 1,
    /// MT_NORMAL_NC 2, MT_DEVICE_nGnRnE 3, MT_DEVICE_nGnRE 4.
    static let memoryTypes6_1 = [
        ProtectionBit(mask: attrIndexMask, value: 3 << 2, set: "DEVICE/nGnRnE", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 4 << 2, set: "DEVICE/nGnRE", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 2 << 2, set: "MEM/NORMAL-NC", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 0 << 2, set: "MEM/NORMAL", clear: nil),
        ProtectionBit(mask: attrIndexMask, value: 1 << 2, set: "MEM/NORMAL-TAGGED", clear: nil),
    ]
}
