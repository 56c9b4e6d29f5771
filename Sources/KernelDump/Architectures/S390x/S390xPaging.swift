import PageTables

/// s390x dynamic address translation as Linux 6.12 describes it in
/// arch/s390/include/asm/pgtable.h: region-first, -second and -third tables and
/// segment tables of 2048 entries (16K), page tables of 256 entries (2K),
/// big-endian. The kernel's ASCE says which table is on top; the levels above
/// it are folded at run time (`pgd_folded()` ...), and the walker's levels keep
/// their table types: PGD region-first, P4D region-second, PUD region-third,
/// PMD segment, PTE page.
public struct S390xPaging: PagingArchitecture {
    /// The top table's type, as an ASCE's designation-type field (`(asce & 0xc) >> 2`).
    public enum Top: Int, Sendable {
        case region3 = 1, region2 = 2, region1 = 3

        /// The address space it spans: `1 << (type * 11 + 31)` (pt_dump_init's
        /// `max_addr`), nil for the whole space.
        public var spanBits: Int? { self == .region1 ? nil : rawValue * 11 + 31 }

        /// Where a walk of this table ends: its span, or for a region-first
        /// table the whole space (`.max`; an end of 0 would walk nothing).
        public var walkEnd: UInt64 { spanBits.map { 1 << UInt64($0) } ?? .max }
    }

    // pgtable.h.
    public static let pageNoExec: UInt64 = 0x100
    public static let pageProtect: UInt64 = 0x200
    public static let pageInvalid: UInt64 = 0x400
    public static let pagePresent: UInt64 = 0x001
    static let regionInvalid: UInt64 = 0x20
    static let typeMask: UInt64 = 0x0c
    static let regionBits: UInt64 = 0xffff_ffff_ffff_f22f
    static let region2Empty: UInt64 = 0x08 | 0x20
    static let region3Empty: UInt64 = 0x04 | 0x20
    static let region3Large: UInt64 = 0x400
    static let segmentEmpty: UInt64 = 0x20
    static let segmentLarge: UInt64 = 0x400

    public let top: Top
    public let geometry: PagingGeometry
    /// Whether the kernel's W+X check lets the first lowcore page be W+X
    /// (entry code needs it without the BEAR facility or with expolines).
    public var lowcoreMayBeWX: Bool
    /// How this release encodes user PTEs (`swapPTEFormat(release:)`); nil
    /// leaves them undecoded.
    public var swapPTEFormat: SwapPTEFormat?

    public init(top: Top, lowcoreMayBeWX: Bool = true) {
        self.top = top
        self.lowcoreMayBeWX = lowcoreMayBeWX
        func level(_ shift: Int, _ real: Bool) -> LevelGeometry { LevelGeometry(shift: shift, entries: real ? 2048 : 1) }
        let topShift = top.rawValue * 11 + 20
        geometry = PagingGeometry(levels: [
            LevelGeometry(shift: topShift, entries: 2048),
            level(42, top == .region1),
            level(31, top != .region3),
            level(20, true),
            LevelGeometry(shift: 12, entries: 256),
        ], byteOrder: .big, pageShift: 12)
    }

    /// The names dump_pagetables.c prints, by the walker's level: the kernel
    /// numbers the top table by its type (region-third entries are level 2,
    /// "PUD") and the walker reports the top table's holes as its PGD.
    public var levelNames: [String] {
        let kernel = ["ASCE", "PGD", "PUD", "PMD", "PTE"]
        let topLevel = 3 - top.rawValue
        return [kernel[topLevel], kernel[max(1, topLevel)], kernel[2], kernel[3], kernel[4]]
    }

    public func isNone(_ entry: UInt64, at level: TableLevel) -> Bool {
        // An all-zero entry is no table of any type; the kernel never writes one.
        if entry == 0 { return true }
        switch level {
        case .pgd: return entry & Self.regionInvalid != 0
        case .p4d: return entry == Self.region2Empty
        case .pud: return entry == Self.region3Empty
        case .pmd: return entry == Self.segmentEmpty
        case .pte: return entry == Self.pageInvalid
        }
    }

    /// `pgd_bad()` / `p4d_bad()`: bits outside `_REGION_ENTRY_BITS`, or a
    /// region-second entry of a higher type.
    public func isBad(_ entry: UInt64, at level: TableLevel) -> Bool {
        if level == .p4d && entry & Self.typeMask > 0x08 { return true }
        return entry & ~Self.regionBits != 0
    }

    /// `pud_leaf()`: a region-third entry with the large bit; `pmd_leaf()`.
    public func isLeaf(_ entry: UInt64, at level: TableLevel) -> Bool {
        switch level {
        case .pud: return entry & Self.typeMask == 0x04 && entry & Self.region3Large != 0
        case .pmd: return entry & Self.segmentLarge != 0
        default: return false
        }
    }

    public func isPresent(_ entry: UInt64, at level: TableLevel) -> Bool {
        switch level {
        case .pmd: return entry != Self.segmentEmpty
        case .pte: return entry & Self.pagePresent != 0
        default: return entry & ~UInt64(0xfff) != 0
        }
    }

    /// Valid to the MMU, or invalid only because the page is old: s390 tracks
    /// young in software, and `pte_mkold()` sets `_PAGE_INVALID` on a present,
    /// readable page so that the next access faults and marks it young. Such a
    /// page is where its data is (pagemap: present). PROT_NONE (present
    /// without `_PAGE_READ`) does not map.
    public func mapsInHardware(_ entry: UInt64) -> Bool {
        entry & Self.pageInvalid == 0 || entry & (Self.pagePresent | Self.pageRead) == Self.pagePresent | Self.pageRead
    }

    /// Region entries point at 4K-aligned tables, segment entries at 2K page tables.
    public func tableAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        PhysicalAddress(entry & (level == .pmd ? ~UInt64(0x7ff) : ~UInt64(0xfff)))
    }

    public func leafAddress(_ entry: UInt64, at level: TableLevel) -> PhysicalAddress {
        switch level {
        case .pud: return PhysicalAddress(entry & ~UInt64(0x7fff_ffff))
        case .pmd: return PhysicalAddress(entry & ~UInt64(0xf_ffff))
        default: return PhysicalAddress(entry & ~UInt64(0xfff))
        }
    }

    /// A page-table entry's `prot` in note_page(): invalid, else its protect
    /// and no-exec bits.
    public func protection(_ entry: UInt64) -> UInt64 {
        entry & Self.pageInvalid != 0 ? Self.pageInvalid : entry & (Self.pageProtect | Self.pageNoExec)
    }

    /// Above the PTEs a hole is noted with 0 and counts as invalid, and bit
    /// 0x400 of a leaf is its large-page bit, not the invalid bit.
    public func protection(_ entry: UInt64, at level: TableLevel?) -> UInt64 {
        if level == .pte { return protection(entry) }
        return entry == 0 ? Self.pageInvalid : entry & (Self.pageProtect | Self.pageNoExec)
    }

    public var tracksEffectiveProtection: Bool { false }

    public func effectiveProtection(higher: UInt64?, own: UInt64) -> UInt64 { own }

    /// `note_prot_wx()`: valid, not protected, not no-exec.
    public func isWritableAndExecutable(protection: UInt64, effective: UInt64) -> Bool {
        protection & (Self.pageInvalid | Self.pageProtect | Self.pageNoExec) == 0
    }

    /// The first lowcore page (a range ending at PAGE_SIZE) holds the entry
    /// code's lpswe instructions when the kernel says so.
    public func isExpectedWX(start: UInt64, end: UInt64) -> Bool {
        lowcoreMayBeWX && end == geometry.pageSize
    }

    public func access(protection: UInt64, effective: UInt64) -> RangeAccess {
        RangeAccess(present: protection & Self.pageInvalid == 0, writable: protection & (Self.pageInvalid | Self.pageProtect) == 0,
                    executable: protection & (Self.pageInvalid | Self.pageNoExec) == 0, user: false)
    }

    /// The Principles of Operation's table names: the walker's PGD is the
    /// top table, of whichever type the ASCE designates.
    public func tableName(_ level: TableLevel) -> String {
        switch level {
        case .pgd: return ["region3", "region2", "region1"][top.rawValue - 1]
        case .p4d: return "region2"
        case .pud: return "region3"
        case .pmd: return "segment"
        case .pte: return "page"
        }
    }

    /// arch/s390/mm/dump_pagetables.c, `ptdump_check_wx()`.
    public func wxVerdict(writableExecutablePages: UInt64, nonUXNPages: UInt64) -> String {
        writableExecutablePages == 0
            ? "Checked W+X mappings: passed, no \(lowcoreMayBeWX ? "unexpected " : "")W+X pages found"
            : "Checked W+X mappings: FAILED, \(writableExecutablePages) W+X pages found"
    }
}
