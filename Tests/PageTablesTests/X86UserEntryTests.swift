import Testing
import PageTables
@testable import KernelDump

/// x86-64 user entries decoded as the kernel tells them apart. The entries are
/// built with the kernel's own encodings (arch/x86/include/asm/pgtable_64.h,
/// 6.1): `__swp_entry(type, offset)` = `(~offset << SWP_OFFSET_SHIFT >>
/// SWP_TYPE_BITS) | type << 59`, with SWP_OFFSET_SHIFT 14 and SWP_TYPE_BITS 5.
@Suite struct X86UserEntryTests {
    let arch = X86_64Paging(fiveLevel: false)
    /// A distribution kernel's 6.1 layout: all four kinds configured, so
    /// MAX_SWAPFILES = 32 - 1 - 3 - 4 - 1 (marker) - 1 (swapin error) = 22.
    let types = SwapTypes.layout(maxSwapfiles: 22, memoryFailure: true, migration: true, devicePrivate: true)

    static func swapEntry(type: UInt64, offset: UInt64) -> UInt64 {
        ((~offset << 14) >> 5) | (type << 59)
    }

    @Test(arguments: [
        (UInt64(0), UInt64(1), EntryDescription.Kind.swap),
        (1, 0x3_ffff, .swap),
        (21, 12345, .swap),
        (22, 0x4_5678, .hwpoison),
        (23, 0x1_0000, .migrationRead),
        (24, 7, .migrationReadExclusive),
        (25, 8, .migrationWrite),
        (26, 9, .deviceWrite),
        (29, 10, .deviceExclusiveRead),
        (30, 2, .pteMarker),
        (31, 0, .swapinError),
    ])
    func swapTypesAndOffsets(_ type: UInt64, _ offset: UInt64, _ kind: EntryDescription.Kind) throws {
        let d = try #require(arch.describeUserEntry(Self.swapEntry(type: type, offset: offset), at: .pte, swapTypes: types))
        #expect(d.kind == kind)
        #expect(d.swapType == type && d.swapOffset == offset)
        #expect(!d.softDirty && !d.uffdWP && !d.exclusive)
    }

    @Test func swapFlagBits() throws {
        // _PAGE_SWP_SOFT_DIRTY = _PAGE_RW, _PAGE_SWP_UFFD_WP = _PAGE_USER, _PAGE_SWP_EXCLUSIVE = _PAGE_PWT.
        let e = Self.swapEntry(type: 0, offset: 42) | 1 << 1 | 1 << 3
        let d = try #require(arch.describeUserEntry(e, at: .pte, swapTypes: types))
        #expect(d.kind == .swap && d.swapOffset == 42 && d.softDirty && !d.uffdWP && d.exclusive)
        let u = try #require(arch.describeUserEntry(Self.swapEntry(type: 0, offset: 42) | 1 << 2, at: .pte, swapTypes: types))
        #expect(u.uffdWP && !u.softDirty)
    }

    /// 6.1's PTE_MARKER_UFFD_WP (marker bit 0) is the uffd-wp pagemap reports.
    @Test func markerBitsAndPROTNONEPages() throws {
        let marker = try #require(arch.describeUserEntry(Self.swapEntry(type: 30, offset: 1), at: .pte, swapTypes: types))
        #expect(marker.kind == .pteMarker && marker.uffdWP)
        // A PROT_NONE page keeps its PFN inverted (protnone_mask); its address is the page's.
        let none: UInt64 = (~UInt64(0x3ff90) << 12) & 0x000f_ffff_ffff_f000 | 0x160
        #expect(arch.leafAddress(none, at: .pte) == PhysicalAddress(0x3ff9_0000))
        #expect(arch.isPresentToKernel(none) && !arch.isPresentToKernel(Self.swapEntry(type: 0, offset: 512)))
    }

    @Test func withoutALayoutTypesStayRaw() throws {
        let d = try #require(arch.describeUserEntry(Self.swapEntry(type: 3, offset: 5), at: .pte, swapTypes: SwapTypes()))
        #expect(d.kind == .nonSwap && d.swapType == 3 && d.swapOffset == 5)
    }

    @Test func presentEntries() throws {
        let page: UInt64 = 0x1234_5000 | 0x67   // P RW U A D
        #expect(arch.describeUserEntry(page, at: .pte, swapTypes: types)?.kind == .normal)
        #expect(arch.describeUserEntry(page | 1 << 9, at: .pte, swapTypes: types)?.kind == .special)
        #expect(arch.describeUserEntry(page | 1 << 58 | 1 << 9, at: .pmd, swapTypes: types)?.kind == .devmap)
        // From 6.6 devmap is bit 57 and 58 is _PAGE_SAVED_DIRTY, set on every
        // write-protected dirty page (Debian 6.12's THP: 0x84000000024000a5).
        var v6_12 = X86_64Paging(fiveLevel: false)
        v6_12.devmap = X86_64Paging.devmapBit(release: "6.12.117+deb12-amd64")
        #expect(v6_12.describeUserEntry(0x8400_0000_0240_00a5, at: .pmd, swapTypes: types)?.kind == .normal)
        #expect(v6_12.describeUserEntry(page | 1 << 57, at: .pte, swapTypes: types)?.kind == .devmap)
        let dirty = try #require(arch.describeUserEntry(page | 1 << 11 | 1 << 10, at: .pte, swapTypes: types))
        #expect(dirty.softDirty && dirty.uffdWP && dirty.swapType == nil)
        // PROT_NONE: _PAGE_PROTNONE (the G bit) without P; still pte_present().
        let none = try #require(arch.describeUserEntry(0x1234_5000 | 1 << 8 | 0x60, at: .pte, swapTypes: types))
        #expect(none.kind == .protNone && none.swapType == nil)
        #expect(arch.describeUserEntry(0, at: .pte, swapTypes: types) == nil)
    }

    @Test(arguments: [("4.4.0", UInt64(0)), ("4.5.0", 1 << 58), ("6.1.0-27-amd64", 1 << 58),
                      ("6.5.13", 1 << 58), ("6.6.0", 1 << 57), ("6.12.117+deb12-amd64", 1 << 57)])
    func devmapBitByRelease(_ release: String, _ bit: UInt64) {
        #expect(X86_64Paging.devmapBit(release: release) == bit)
    }

    @Test func layoutWithoutOptionalKinds() {
        // Only MIGRATION: MAX_SWAPFILES = 32 - 3 - 1 (6.1's swapin error) = 28.
        let t = SwapTypes.layout(maxSwapfiles: 28, memoryFailure: false, migration: true, devicePrivate: false)
        #expect(t.kind(of: 27) == .swap)
        #expect(t.kind(of: 28) == .migrationRead && t.kind(of: 30) == .migrationWrite)
        #expect(t.kind(of: 31) == .nonSwap)
    }

    /// Before L1TF's layout (4.18, or its backports) swap PTEs kept the type
    /// low and the offset plain: nothing is decoded, rather than wrong numbers.
    @Test func olderSwapLayoutsAreNotDecoded() {
        var old = X86_64Paging(fiveLevel: false)
        old.swapLayoutKnown = false
        #expect(!old.decodesUserEntries)
        #expect(old.describeUserEntry(Self.swapEntry(type: 1, offset: 5), at: .pte, swapTypes: types) == nil)
        #expect(old.describeUserEntry(0x8000_0000_1234_5067, at: .pte, swapTypes: types) == nil)
        #expect(arch.decodesUserEntries)
    }

    @Test func otherArchitecturesDescribeNothing() {
        let arm = Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: Arm64Paging.attributes6_1.mask)
        #expect(arm.describeUserEntry(0x4000_0000_0703, at: .pte, swapTypes: types) == nil)
    }
}
