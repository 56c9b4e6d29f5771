import Testing
import PageTables
import TestSupport
@testable import KernelDump

/// ppc64 radix tables (64K pages: index bits 13/9/9/5) built in code. Entries
/// are big-endian in memory whatever the kernel's order; lines follow
/// arch/powerpc/mm/ptdump/ptdump.c, their flag columns copied from a real 6.12
/// radix kernel's kernel_page_tables (trailing blanks included).
@Suite struct Ppc64PagingTests {
    typealias P = Ppc64Paging
    static let kernelRW = P.present | P.pte | P.privileged | P.read | P.write | P.dirty | P.accessed
    static let kernelRX = P.present | P.pte | P.privileged | P.read | P.exec | P.dirty | P.accessed
    // The flag columns of 6.12's lines for these two, as the kernel printed them.
    static let rwColumns = "        r  w       pte  valid  present        dirty  accessed                          "
    static let rxColumns = "        r      X   pte  valid  present        dirty  accessed                          "

    static func listing(_ m: SparseMemory) -> (String, RangeMerger) {
        let flags = Ppc64ListingFormat.builtInFlags(pageShift: 16)
        let arch = P(mmu: .radix, pageShift: 16, indexBits: (13, 9, 9, 5), protectionMask: flags.reduce(0) { $0 | $1.mask })
        var formatter = Ppc64ListingFormat(flags: Array(repeating: flags, count: 5), rpnMask: arch.rpnMask)
            .makeFormatter(physicalColumn: false)
        var text = ""
        let markers = MarkerTable([AddressMarker(start: 0xc000_0000_0000_0000, name: "Start of kernel VM"),
                                   AddressMarker(start: 0xc008_0000_0000_0000, name: "vmalloc() Area")])
        let merger = RangeMerger(architecture: arch, markers: markers, markerAdvance: .untilCurrentFromFirst) {
            text += formatter.format($0)
        }
        PageWalker(architecture: arch, memory: m)
            .walk(root: PhysicalAddress(0x10000), ranges: [WalkRange(0xc000_0000_0000_0000, 0xc010_0000_0000_0000)], into: merger)
        return (text, merger)
    }

    /// PGD 0x10000 [0] -> PUD 0x20000 [0] -> PMD 0x30000: [0] a 2M RW leaf at
    /// 0x1000000, [1] -> PTE 0x40000: [0,1] RX 64K pages, [2] RW. PGD [1] has
    /// RADIX_P4D_BAD_BITS (a hole); PGD [4096] (0xc008...) -> the same PUD.
    @Test func radixLeavesInclusiveEndsAndPhysicalColumn() {
        let m = SparseMemory(pageSize: 0x10000)
        for page in [0x10000, 0x20000, 0x30000, 0x40000] as [UInt64] { m.addPage(page) }
        let s = Self.self
        m.write(0x10000, value: P.present | 0x20000 | 9, order: .big)
        m.write(0x10008, value: P.present | 0x50000 | 0x20, order: .big)
        m.write(0x10000 + 4096 * 8, value: P.present | 0x20000 | 9, order: .big)
        m.write(0x20000, value: P.present | 0x30000 | 9, order: .big)
        m.write(0x30000, value: s.kernelRW | 0x100_0000, order: .big)
        m.write(0x30008, value: P.present | 0x40000 | 5, order: .big)
        m.write(0x40000, value: s.kernelRX | 0x200_0000, order: .big)
        m.write(0x40008, value: s.kernelRX | 0x201_0000, order: .big)
        m.write(0x40010, value: s.kernelRW | 0x300_0000, order: .big)
        let (text, merger) = Self.listing(m)
        #expect(text == """
            ---[ Start of kernel VM ]---
            0xc000000000000000-0xc0000000001fffff  0x0000000001000000         2M \(s.rwColumns)
            0xc000000000200000-0xc00000000021ffff  0x0000000002000000       128K \(s.rxColumns)
            0xc000000000220000-0xc00000000022ffff  0x0000000003000000        64K \(s.rwColumns)
            ---[ vmalloc() Area ]---
            0xc008000000000000-0xc0080000001fffff  0x0000000001000000         2M \(s.rwColumns)
            0xc008000000200000-0xc00800000021ffff  0x0000000002000000       128K \(s.rxColumns)
            0xc008000000220000-0xc00800000022ffff  0x0000000003000000        64K \(s.rwColumns)

            """)
        #expect(merger.writableExecutablePages == 0)
    }

    /// `_PAGE_PTE` makes a PMD entry a leaf; `_PAGE_INVALID` keeps a PTE present
    /// to the kernel; the PGD's bad bits count only under radix.
    @Test func predicates() {
        let radix = P(mmu: .radix, pageShift: 16, indexBits: (13, 9, 9, 5), protectionMask: 0x3ff)
        let hash = P(mmu: .hash, pageShift: 16, indexBits: (8, 10, 10, 8), protectionMask: 0x3ff)
        #expect(radix.isLeaf(Self.kernelRW, at: .pmd) && !radix.isLeaf(P.present | 0x30000, at: .pmd))
        #expect(!radix.isLeaf(Self.kernelRW, at: .p4d))
        #expect(radix.isPresent(P.invalid | P.pte, at: .pte) && !radix.mapsInHardware(P.invalid | P.pte))
        #expect(radix.isBad(P.present | 0x20, at: .p4d) && !hash.isBad(P.present | 0x20, at: .p4d))
        #expect(radix.tableAddress(P.present | 0x1234_0000 | 0x9, at: .pud).rawValue == 0x1234_0000)
        #expect(radix.geometry[.pgd].shift == 39 && radix.spanBits == 52)
        #expect(hash.geometry[.pte].entries == 256 && hash.spanBits == 52)
        // A writable and executable range, and the kernel's verdict words.
        #expect(radix.isWritableAndExecutable(protection: P.write | P.exec, effective: 0))
        #expect(radix.wxVerdict(writableExecutablePages: 3, nonUXNPages: 0) == "Checked W+X mappings: FAILED, 3 W+X pages found")
    }

    /// `pg_level[]`'s layouts: the bytes after `flag` are `size_t num` in 6.12
    /// (13 rows in book3s64.c's 64K table) and `char name[4]` ("PGD") later.
    @Test func levelNamesAreToldFromTheFieldAfterFlag() {
        var old = [UInt8](repeating: 0, count: 16)
        old[8] = 13                                   // little-endian num
        var oldBig = [UInt8](repeating: 0, count: 16)
        oldBig[15] = 13                               // big-endian num
        let new = [UInt8](repeating: 0, count: 8) + Array("PGD".utf8) + [0, 0, 0, 0, 0]
        #expect(Ppc64KernelLayout.levelName(old, at: 8) == nil)
        #expect(Ppc64KernelLayout.levelName(oldBig, at: 8) == nil)
        #expect(Ppc64KernelLayout.levelName(new, at: 8) == "PGD")
        #expect(Ppc64KernelLayout.levelName(Array("PTEX".utf8), at: 0) == nil)   // no NUL: not a name
    }

    /// With names, each line has the level's name and a blank after the size
    /// (`pt_dump_seq_printf(st->seq, "%s ", pg_level[st->level].name)`).
    @Test func levelNameFollowsTheSize() {
        let flags = Ppc64ListingFormat.builtInFlags(pageShift: 16)
        let arch = P(mmu: .radix, pageShift: 16, indexBits: (13, 9, 9, 5), protectionMask: flags.reduce(0) { $0 | $1.mask })
        let format = Ppc64ListingFormat(flags: Array(repeating: flags, count: 5), rpnMask: arch.rpnMask,
                                        levelNames: ["PGD", "P4D", "PUD", "PMD", "PTE"])
        var formatter = format.makeFormatter(physicalColumn: false)
        let range = MappedRange(start: 0xc000_0000_0000_0000, end: 0xc000_0000_0020_0000, level: .pmd,
                                protection: Self.kernelRW, effective: 0, firstEntry: Self.kernelRW | 0x100_0000)
        #expect(formatter.format(.range(range)) ==
                "0xc000000000000000-0xc0000000001fffff  0x0000000001000000         2M PMD \(Self.rwColumns)\n")
    }
}
