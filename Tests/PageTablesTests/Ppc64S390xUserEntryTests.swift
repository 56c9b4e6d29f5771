import Testing
import PageTables
import TestSupport
@testable import KernelDump

/// ppc64 and s390x user entries built as the 7.3 headers build them:
/// powerpc's `__swp_entry(type, offset)` = `type | offset << PAGE_SHIFT`
/// stored with `_PAGE_PTE`; s390's `mk_swap_pte()` = `_PAGE_INVALID |
/// _PAGE_PROTECT | offset << 12 | type << 2`. The user-entries captures judge
/// them against pagemap; these pin the bit positions and the empty PTEs.
@Suite struct Ppc64S390xUserEntryTests {
    /// 7.3 with MIGRATION and PTE markers: MAX_SWAPFILES = 32 - 3 - 1 = 28.
    let types = SwapTypes.layout(maxSwapfiles: 28, memoryFailure: false, migration: true, devicePrivate: false)

    func ppc64(pageShift: Int, release: String = "7.3.0-rc7") -> Ppc64Paging {
        var p = Ppc64Paging(mmu: .radix, pageShift: pageShift, indexBits: (13, 9, 9, pageShift == 16 ? 5 : 9),
                            protectionMask: 0xffff)
        p.swapPTEFormat = Ppc64Paging.swapPTEFormat(release: release, pageShift: pageShift)
        return p
    }

    func s390(release: String = "7.3.0-rc7") -> S390xPaging {
        var s = S390xPaging(top: .region3)
        s.swapPTEFormat = S390xPaging.swapPTEFormat(release: release)
        return s
    }

    @Test func releasesPickTheirLayout() {
        #expect(Ppc64Paging.swapPTEFormat(release: "5.4.0", pageShift: 16) == nil)
        #expect(Ppc64Paging.swapPTEFormat(release: "", pageShift: 16) == nil)
        // 5.10: swap soft-dirty just above the type; 6.0 on: exclusive there.
        #expect(Ppc64Paging.swapPTEFormat(release: "5.10.0", pageShift: 16)?.swapExclusive == 0)
        #expect(Ppc64Paging.swapPTEFormat(release: "5.10.0", pageShift: 16)?.swapSoftDirty == 0x20)
        #expect(Ppc64Paging.swapPTEFormat(release: "6.12.0", pageShift: 16)?.swapSoftDirty == 0x200)
        #expect(Ppc64Paging.swapPTEFormat(release: "6.12.0", pageShift: 16)?.swapExclusive == 0x20)
        #expect(S390xPaging.swapPTEFormat(release: "5.4.0") == nil)
        #expect(S390xPaging.swapPTEFormat(release: "5.19.0")?.swapExclusive == 0)
        #expect(S390xPaging.swapPTEFormat(release: "6.0.0")?.swapExclusive == 0x800)
    }

    @Test(arguments: [(UInt64(0), UInt64(512)), (1, 0x3_ffff), (27, 77)])
    func swapTypesAndOffsets(_ type: UInt64, _ offset: UInt64) throws {
        for shift in [12, 16] {
            let entry = Ppc64Paging.pte | type | offset << UInt64(shift) | Ppc64Paging.nonIdempotent
            let d = try #require(ppc64(pageShift: shift).describeUserEntry(entry, at: .pte, swapTypes: types))
            #expect(d.kind == .swap && d.swapType == type && d.swapOffset == offset && d.exclusive)
        }
        let entry = S390xPaging.pageInvalid | S390xPaging.pageProtect | offset << 12 | type << 2 | 0x800
        let d = try #require(s390().describeUserEntry(entry, at: .pte, swapTypes: types))
        #expect(d.kind == .swap && d.swapType == type && d.swapOffset == offset && d.exclusive)
    }

    @Test func presentEntries() throws {
        let p = ppc64(pageShift: 16)
        // PAGE_NONE: _PAGE_BASE (present, accessed) | _PAGE_PRIVILEGED, no R/W/X.
        let none = Ppc64Paging.present | Ppc64Paging.pte | Ppc64Paging.accessed | Ppc64Paging.privileged | 0x1230000
        #expect(p.describeUserEntry(none, at: .pte, swapTypes: types)?.kind == .protNone)
        let rw = Ppc64Paging.present | Ppc64Paging.pte | Ppc64Paging.read | Ppc64Paging.write | 0x1230000
        #expect(p.describeUserEntry(rw, at: .pte, swapTypes: types)?.kind == .normal)
        #expect(p.describeUserEntry(rw | Ppc64Paging.special, at: .pmd, swapTypes: types)?.kind == .special)
        #expect(p.describeUserEntry(rw | Ppc64Paging.softDirty, at: .pte, swapTypes: types)?.softDirty == true)

        let s = s390()
        // s390's empty PTE is _PAGE_INVALID; PAGE_NONE is present, invalid, protected, no READ.
        #expect(s.describeUserEntry(S390xPaging.pageInvalid, at: .pte, swapTypes: types) == nil)
        let sNone = S390xPaging.pagePresent | S390xPaging.pageInvalid | S390xPaging.pageProtect | 0x5000
        #expect(s.describeUserEntry(sNone, at: .pte, swapTypes: types)?.kind == .protNone)
        // PAGE_RO: present, READ, NOEXEC, invalid (old), protected.
        let ro = S390xPaging.pagePresent | 0x010 | S390xPaging.pageNoExec | S390xPaging.pageInvalid | S390xPaging.pageProtect | 0x5000
        #expect(s.describeUserEntry(ro, at: .pte, swapTypes: types)?.kind == .normal)
        #expect(s.describeUserEntry(ro | 0x040, at: .pte, swapTypes: types)?.kind == .special)
    }
}
