import Testing
import PageTables
import TestSupport
@testable import KernelDump

/// arm64 and riscv64 user entries, built with each release's own encodings:
/// `__swp_entry(type, offset)` = `type << __SWP_TYPE_SHIFT | offset <<
/// __SWP_OFFSET_SHIFT`, stored in the PTE as is, with the flag bits the
/// headers name. The real captures (Resources/recipe/user-entries) judge the
/// 6.1 layouts against pagemap; these pin every layout's bit positions.
@Suite struct Arm64Riscv64UserEntryTests {
    /// 6.1 with MEMORY_FAILURE and MIGRATION, no DEVICE_PRIVATE or PTE markers:
    /// MAX_SWAPFILES = 32 - 1 - 3 - 1 (swapin error) = 27.
    let types = SwapTypes.layout(maxSwapfiles: 27, memoryFailure: true, migration: true, devicePrivate: false)

    func arm64(_ release: String) throws -> Arm64Paging {
        var a = Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: Arm64Paging.attributes6_1.mask)
        a.swapPTEFormat = try #require(Arm64Paging.swapPTEFormat(release: release))
        return a
    }

    func riscv(_ release: String) throws -> Riscv64Paging {
        var r = Riscv64Paging(mode: .sv48, protectionMask: 0x3ff)
        r.swapPTEFormat = try #require(Riscv64Paging.swapPTEFormat(release: release))
        return r
    }

    @Test func releasesPickTheirLayout() {
        #expect(Arm64Paging.swapPTEFormat(release: "4.2.0")?.name == nil)
        #expect(Arm64Paging.swapPTEFormat(release: "4.18.0-553.el8.aarch64")?.name == "arm64, Linux 4.3 to 5.19")
        #expect(Arm64Paging.swapPTEFormat(release: "6.1.192")?.name == "arm64, Linux 6.0 to 6.9")
        #expect(Arm64Paging.swapPTEFormat(release: "6.9.12")?.name == "arm64, Linux 6.0 to 6.9")
        #expect(Arm64Paging.swapPTEFormat(release: "6.10.0")?.name == "arm64, Linux 6.10 and later")
        #expect(Arm64Paging.swapPTEFormat(release: "6.12.48+deb13-arm64")?.name == "arm64, Linux 6.10 and later")
        #expect(Arm64Paging.swapPTEFormat(release: "") == nil)
        #expect(Arm64Paging.swapPTEFormat(release: "synthetic") == nil)
        #expect(Riscv64Paging.swapPTEFormat(release: "4.14.0") == nil)
        #expect(Riscv64Paging.swapPTEFormat(release: "6.2.16")?.name == "riscv64, Linux 4.15 to 6.2")
        #expect(Riscv64Paging.swapPTEFormat(release: "6.3.0")?.name == "riscv64, Linux 6.3 and later")
    }

    @Test(arguments: [
        (UInt64(0), UInt64(512), EntryDescription.Kind.swap),
        (1, 0x3_ffff, .swap),
        (26, 77, .swap),
        (27, 0x4_1234, .hwpoison),
        (28, 0x4_0000, .migrationRead),
        (29, 5, .migrationReadExclusive),
        (30, 6, .migrationWrite),
    ])
    func swapTypesAndOffsetsOf6_1(_ type: UInt64, _ offset: UInt64, _ kind: EntryDescription.Kind) throws {
        // arm64 6.1: bits 3-7 type, 8-57 offset.
        let a = try #require(try arm64("6.1.192").describeUserEntry(type << 3 | offset << 8, at: .pte, swapTypes: types))
        #expect(a.kind == kind && a.swapType == type && a.swapOffset == offset && !a.exclusive)
        // riscv64 6.1: bits 6-10 type, 11 and up offset.
        let r = try #require(try riscv("6.1.192").describeUserEntry(type << 6 | offset << 11, at: .pte, swapTypes: types))
        #expect(r.kind == kind && r.swapType == type && r.swapOffset == offset)
    }

    @Test func otherReleasesMoveTheFields() throws {
        // arm64 before 6.0: bits 2-7 type (six bits), 8-57 offset.
        let old = try #require(try arm64("5.10.0").describeUserEntry(3 << 2 | 99 << 8, at: .pte, swapTypes: types))
        #expect(old.swapType == 3 && old.swapOffset == 99 && !old.exclusive)
        // arm64 6.10+: bit 2 exclusive, 3 uffd-wp, 6-10 type, 12-61 offset.
        let new = try #require(try arm64("6.12.0").describeUserEntry(1 << 2 | 1 << 3 | 2 << 6 | 0x1234 << 12, at: .pte, swapTypes: types))
        #expect(new.swapType == 2 && new.swapOffset == 0x1234 && new.exclusive && new.uffdWP)
        // The offset is 50 bits wide; bits above it are not part of it.
        let top = try #require(try arm64("6.1.0").describeUserEntry(1 << 8 | 1 << 63, at: .pte, swapTypes: types))
        #expect(top.swapOffset == 1)
        // riscv 6.3+: bit 6 exclusive, 7-11 type, 12 and up offset (6.12 has no swap soft-dirty bit).
        let rv = try #require(try riscv("6.6.0").describeUserEntry(1 << 6 | 4 << 7 | 0xabc << 12, at: .pte, swapTypes: types))
        #expect(rv.swapType == 4 && rv.swapOffset == 0xabc && rv.exclusive && !rv.softDirty && !rv.uffdWP)
    }

    @Test func exclusiveBitOf6_1Arm64() throws {
        let d = try #require(try arm64("6.1.0").describeUserEntry(1 << 2 | 0 << 3 | 600 << 8, at: .pte, swapTypes: types))
        #expect(d.kind == .swap && d.exclusive && d.swapOffset == 600)
    }

    /// PROT_NONE: arm64 6.1's PAGE_NONE (`_PAGE_DEFAULT & ~PTE_VALID | PTE_PROT_NONE
    /// | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN`), 6.10's (PTE_PRESENT_INVALID,
    /// the nG bit, without PTE_VALID), riscv's (`_PAGE_PROT_NONE | _PAGE_READ`).
    @Test func protNonePages() throws {
        let pfn: UInt64 = 0x41234 << 12
        let none61: UInt64 = pfn | 0b10 | 3 << 8 | 1 << 10 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54 | 1 << 58
        #expect(try arm64("6.1.0").describeUserEntry(none61, at: .pte, swapTypes: types)?.kind == .protNone)
        let none610: UInt64 = pfn | 0b10 | 3 << 8 | 1 << 10 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54
        #expect(try arm64("6.10.0").describeUserEntry(none610, at: .pte, swapTypes: types)?.kind == .protNone)
        // The same bits on 6.1 are not present there (no PTE_PROT_NONE): a swap entry.
        #expect(try arm64("6.1.0").describeUserEntry(none610, at: .pte, swapTypes: types)?.kind != .protNone)
        // pte_present() follows: the walker gives each its page.
        #expect(try arm64("6.10.0").isPresentToKernel(none610) && !arm64("6.1.0").isPresentToKernel(none610))
        #expect(try arm64("6.1.0").isPresentToKernel(none61))
        let rvNone: UInt64 = 0x81234 << 10 | 1 << 5 | 1 << 1
        #expect(try riscv("6.1.0").describeUserEntry(rvNone, at: .pte, swapTypes: types)?.kind == .protNone)
    }

    @Test func presentSoftwareBits() throws {
        let page: UInt64 = 0x41234 << 12 | 0b11 | 1 << 10 | 1 << 6
        let a = try arm64("6.1.0")
        #expect(a.describeUserEntry(page, at: .pte, swapTypes: types)?.kind == .normal)
        #expect(a.describeUserEntry(page | 1 << 56, at: .pte, swapTypes: types)?.kind == .special)
        // pte_mkdevmap() sets PTE_DEVMAP and PTE_SPECIAL.
        #expect(a.describeUserEntry(page | 1 << 56 | 1 << 57, at: .pte, swapTypes: types)?.kind == .devmap)
        // Bit 58 is PTE_PROT_NONE on 6.1 (ignored while valid) and uffd-wp from 6.10.
        #expect(a.describeUserEntry(page | 1 << 58, at: .pte, swapTypes: types)?.uffdWP == false)
        #expect(try arm64("6.10.0").describeUserEntry(page | 1 << 58 | 1 << 11, at: .pte, swapTypes: types)?.uffdWP == true)
        // A THP is a PMD block with the same software bits.
        let block: UInt64 = 0x40000000 | 0b01 | 1 << 10
        #expect(a.describeUserEntry(block, at: .pmd, swapTypes: types)?.kind == .normal)
        let r = try riscv("6.1.0")
        let rvPage: UInt64 = 0x81234 << 10 | 0b10111 | 1 << 6
        #expect(r.describeUserEntry(rvPage, at: .pte, swapTypes: types)?.kind == .normal)
        #expect(r.describeUserEntry(rvPage | 1 << 8, at: .pte, swapTypes: types)?.kind == .special)
        #expect(r.describeUserEntry(0, at: .pte, swapTypes: types) == nil)
        // A T-HEAD core's normal memory sets its memory-type bits 60-62
        // (_PAGE_PMA_THEAD): no uffd-wp or soft-dirty on 6.12.
        let thead = try #require(try riscv("6.12.0").describeUserEntry(rvPage | 0b111 << 60, at: .pte, swapTypes: types))
        #expect(thead.kind == .normal && !thead.uffdWP && !thead.softDirty)
    }

    @Test func withoutALayoutNothingIsDecoded() {
        let a = Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: Arm64Paging.attributes6_1.mask)
        #expect(!a.decodesUserEntries)
        #expect(a.describeUserEntry(1 << 3 | 5 << 8, at: .pte, swapTypes: types) == nil)
        let r = Riscv64Paging(mode: .sv39, protectionMask: 0x3ff)
        #expect(!r.decodesUserEntries && r.describeUserEntry(1 << 6, at: .pte, swapTypes: types) == nil)
    }
}

/// One reserved type left over above hwpoison and migration: SWP_SWAPIN_ERROR on
/// 5.19 to 6.1 (include/linux/swap.h of 6.1), the PTE marker from 6.2, unnamed
/// when the release is not known.
@Suite struct SingleLeftoverSwapTypeTests {
    func kind31(_ version: KernelVersion?) -> EntryDescription.Kind {
        SwapTypes.layout(maxSwapfiles: 27, memoryFailure: true, migration: true, devicePrivate: false,
                         version: version).kind(of: 31)
    }

    /// Debian's 7.2 reserves 8 types (hwpoison, 3 migration, 3 device, the
    /// marker): a configuration read without the device's (a symbol the
    /// dump lacks) names 4 and would leave the rest to guesses: refused.
    @Test func aKindTheSymbolsMissedNamesNothing() {
        func layout(device: Bool, version: KernelVersion? = KernelVersion(7, 2)) -> SwapTypes {
            SwapTypes.layout(maxSwapfiles: 24, memoryFailure: true, migration: true, devicePrivate: device,
                             singleDeviceExclusive: device, version: version)
        }
        #expect(layout(device: true).namesEveryReservedType(releaseKnown: true))
        #expect(!layout(device: false).namesEveryReservedType(releaseKnown: true))
        #expect(!layout(device: false, version: nil).namesEveryReservedType(releaseKnown: false))
        // One type left over with no release to tell marker from swapin error: only it stays unnamed.
        let one = SwapTypes.layout(maxSwapfiles: 27, memoryFailure: true, migration: true, devicePrivate: false)
        #expect(one.namesEveryReservedType(releaseKnown: false))
        #expect(!SwapTypes.layout(maxSwapfiles: 27, memoryFailure: true, migration: true, devicePrivate: false,
                                  version: KernelVersion(5, 18)).namesEveryReservedType(releaseKnown: true))
    }

    @Test func namedByTheRelease() {
        #expect(kind31(KernelVersion(release: "6.1.192")) == .swapinError)
        #expect(kind31(KernelVersion(5, 19)) == .swapinError)
        #expect(kind31(KernelVersion(6, 2)) == .pteMarker)
        #expect(kind31(KernelVersion(5, 18)) == .nonSwap)
        #expect(kind31(nil) == .nonSwap)
        // Two left over are the marker and the swapin-error type, whatever the release.
        let two = SwapTypes.layout(maxSwapfiles: 26, memoryFailure: true, migration: true, devicePrivate: false)
        #expect(two.kind(of: 30) == .pteMarker && two.kind(of: 31) == .swapinError)
    }
}

/// arm64 keeps PTE_SPECIAL (bit 56) outside the bits its ptdump compares, so the
/// kernel's merge puts the zero page and ordinary read-only pages in one range;
/// with a split key (what `--json` sets for user tables) the range ends where
/// the kind changes, and without one the ranges stay the kernel's.
@Suite struct UserKindSplitTests {
    @Test func specialAfterNormalSplitsOnlyWithTheKey() throws {
        let m = SparseMemory()
        for page in [0x10000, 0x11000, 0x12000, 0x13000] as [UInt64] { m.addPage(page) }
        m.write(0x10000, value: 0x11000 | 0b11)           // pgd[0] -> PUD
        m.write(0x11000, value: 0x12000 | 0b11)           // pud[0] -> PMD
        m.write(0x12000, value: 0x13000 | 0b11)           // pmd[0] -> PTE, VA 0
        // User read-only pages: AF, SHD, USER, RDONLY, nG, PXN, UXN.
        let ro: UInt64 = 0b11 | 1 << 10 | 3 << 8 | 1 << 6 | 1 << 7 | 1 << 11 | 1 << 53 | 1 << 54
        for i in 0..<4 as Range<UInt64> { m.write(0x13000 + i * 8, value: (0x4000_0000 + i << 12) | ro) }
        for i in 4..<8 as Range<UInt64> { m.write(0x13000 + i * 8, value: 0x4100_0000 | ro | 1 << 56) }  // zero page
        var arch = Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: Arm64Paging.attributes6_1.mask)
        arch.swapPTEFormat = Arm64Paging.swapPTEFormat(release: "6.1.0")
        let markers = MarkerTable([AddressMarker(start: 0, name: "User Space")])
        let types = SwapTypes(maxSwapfiles: 27)

        func ranges(split: Bool) -> [MappedRange] {
            var out: [MappedRange] = []
            let merger = RangeMerger(architecture: arch, markers: markers, markerAdvance: .twicePerCallback) {
                if case .range(let r) = $0, r.protection != 0 { out.append(r) }
            }
            if split {
                merger.splitKey = { entry, level in arch.describeUserEntry(entry, at: level, swapTypes: types)?.mergeKey ?? 0 }
            }
            PageWalker(architecture: arch, memory: m).walk(root: PhysicalAddress(0x10000), ranges: [WalkRange(0, 1 << 48)], into: merger)
            return out
        }
        let kernel = ranges(split: false)
        #expect(kernel.map { [$0.start, $0.end] } == [[0, 0x8000]])
        let split = ranges(split: true)
        #expect(split.map { [$0.start, $0.end] } == [[0, 0x4000], [0x4000, 0x8000]])
        #expect(split.map { arch.describeUserEntry($0.firstEntry, at: $0.level, swapTypes: types)?.kind } == [.normal, .special])
    }
}
