import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

/// arm64 tables built in code. Geometry rows follow Documentation/arm64/memory.rst
/// and ARM64_HW_PGTABLE_LEVELS(); listing lines follow arch/arm64/mm/ptdump.c's
/// formats (`0x%016lx-0x%016lx   %9lu%c %s` and the 6.1 `pte_bits[]`).
@Suite struct Arm64Tests {
    // Descriptor pieces, named as pgtable-hwdef.h names them.
    static let af: UInt64 = 1 << 10, shd: UInt64 = 3 << 8, ro: UInt64 = 1 << 7
    static let pxn: UInt64 = 1 << 53, uxn: UInt64 = 1 << 54, cont: UInt64 = 1 << 52
    static let block: UInt64 = 0b01, tableOrPage: UInt64 = 0b11

    struct Shape: Sendable, CustomTestStringConvertible {
        var pageShift: Int, vaBits: Int, levels: Int, pgdShift: Int, pgdEntries: Int
        var names: [String]
        var testDescription: String { "\(1 << (pageShift - 10))K/\(vaBits)" }
    }

    @Test(arguments: [
        Shape(pageShift: 12, vaBits: 39, levels: 3, pgdShift: 30, pgdEntries: 512, names: ["PGD", "P4D", "PGD", "PMD", "PTE"]),
        Shape(pageShift: 12, vaBits: 48, levels: 4, pgdShift: 39, pgdEntries: 512, names: ["PGD", "P4D", "PUD", "PMD", "PTE"]),
        Shape(pageShift: 14, vaBits: 36, levels: 2, pgdShift: 25, pgdEntries: 2048, names: ["PGD", "P4D", "PGD", "PGD", "PTE"]),
        Shape(pageShift: 14, vaBits: 47, levels: 3, pgdShift: 36, pgdEntries: 2048, names: ["PGD", "P4D", "PGD", "PMD", "PTE"]),
        Shape(pageShift: 14, vaBits: 48, levels: 4, pgdShift: 47, pgdEntries: 2, names: ["PGD", "P4D", "PUD", "PMD", "PTE"]),
        Shape(pageShift: 16, vaBits: 42, levels: 2, pgdShift: 29, pgdEntries: 8192, names: ["PGD", "P4D", "PGD", "PGD", "PTE"]),
        Shape(pageShift: 16, vaBits: 48, levels: 3, pgdShift: 42, pgdEntries: 64, names: ["PGD", "P4D", "PGD", "PMD", "PTE"]),
        Shape(pageShift: 16, vaBits: 52, levels: 3, pgdShift: 42, pgdEntries: 1024, names: ["PGD", "P4D", "PGD", "PMD", "PTE"]),
        // LPA2 (6.9+): 4K/52 has five levels, 16K/52 four with a 32-entry PGD.
        Shape(pageShift: 12, vaBits: 52, levels: 5, pgdShift: 48, pgdEntries: 16, names: ["PGD", "P4D", "PUD", "PMD", "PTE"]),
        Shape(pageShift: 14, vaBits: 52, levels: 4, pgdShift: 47, pgdEntries: 32, names: ["PGD", "P4D", "PUD", "PMD", "PTE"]),
    ])
    func geometryFollowsGranuleAndVABits(_ shape: Shape) {
        let arch = Arm64Paging(pageShift: shape.pageShift, vaBits: shape.vaBits, protectionMask: 0)
        #expect(arch.levelCount == shape.levels)
        #expect(arch.geometry[.pgd].shift == shape.pgdShift)
        #expect(arch.geometry[.pgd].entries == shape.pgdEntries)
        #expect(arch.geometry[.pte].shift == shape.pageShift)
        #expect(arch.geometry[.pte].entries == 1 << (shape.pageShift - 3))
        #expect(arch.geometry[.p4d].isFolded == (shape.levels < 5))
        #expect(arch.geometry[.pud].isFolded == (shape.levels < 4))
        #expect(arch.geometry[.pmd].isFolded == (shape.levels < 3))
        #expect(arch.levelNames == shape.names)
    }

    func listing(_ memory: SparseMemory, arch: Arm64Paging, markers: MarkerTable, start: UInt64,
                 root: UInt64 = 0x10000) -> (String, RangeMerger) {
        let formatter = TableDrivenFormatter(style: .init(levelNames: arch.levelNames,
                                                          attributes: Arm64Paging.attributes6_1,
                                                          printsEmptyRanges: true))
        var text = ""
        let merger = RangeMerger(architecture: arch, markers: markers, markerAdvance: .twicePerCallback) {
            text += formatter.format($0)
        }
        PageWalker(architecture: arch, memory: memory).walk(root: PhysicalAddress(root), ranges: [WalkRange(start, .max)], into: merger)
        return (text, merger)
    }

    /// 4K pages, 48-bit VA, 4 levels. PGD 0x10000 -> [0] PUD 0x11000 ->
    /// [0] 1G block; [1] PMD 0x12000 -> [0..15] 2M contiguous read-only blocks,
    /// [16] PTE 0x13000 -> [0,1] RW executable pages, [2] Device-nGnRE page.
    @Test func fourKFourLevelBlocksContiguousAndPages() {
        let m = SparseMemory()
        let s = Self.self
        for page in [0x10000, 0x11000, 0x12000, 0x13000] as [UInt64] { m.addPage(page) }
        m.write(0x10000, value: 0x11000 | s.tableOrPage)                                  // pgd[0] -> PUD
        m.write(0x11000, value: 0x4000_0000 | s.block | s.shd | s.af | s.pxn | s.uxn)     // pud[0]: 1G block
        m.write(0x11000 + 8, value: 0x12000 | s.tableOrPage)                              // pud[1] -> PMD
        for i in 0..<16 as Range<UInt64> {                                                // pmd[0..15]: CONT 2M
            m.write(0x12000 + i * 8, value: (0x8000_0000 + i << 21) | s.block | s.shd | s.af | s.ro | s.cont | s.pxn | s.uxn)
        }
        m.write(0x12000 + 16 * 8, value: 0x13000 | s.tableOrPage)                         // pmd[16] -> PTE
        m.write(0x13000, value: 0x9000_0000 | s.tableOrPage | s.shd | s.af | s.uxn)       // pte[0]: RW, PXN clear
        m.write(0x13008, value: 0x9000_1000 | s.tableOrPage | s.shd | s.af | s.uxn)       // pte[1]: same
        m.write(0x13010, value: 0x0900_0000 | s.tableOrPage | s.af | 4 << 2 | s.pxn | s.uxn) // pte[2]: MT_DEVICE_nGnRE
        let arch = Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: Arm64Paging.attributes6_1.mask)
        let markers = MarkerTable([AddressMarker(start: 0xffff_0000_0000_0000, name: "Linear Mapping start"),
                                   AddressMarker(start: 0xffff_8000_0000_0000, name: "Linear Mapping end")])
        let (text, merger) = listing(m, arch: arch, markers: markers, start: 0xffff_0000_0000_0000)
        #expect(text == """
            ---[ Linear Mapping start ]---
            0xffff000000000000-0xffff000040000000           1G PUD       RW NX SHD AF        BLK UXN    MEM/NORMAL
            0xffff000040000000-0xffff000042000000          32M PMD       ro NX SHD AF    CON BLK UXN    MEM/NORMAL
            0xffff000042000000-0xffff000042002000           8K PTE       RW x  SHD AF            UXN    MEM/NORMAL
            0xffff000042002000-0xffff000042003000           4K PTE       RW NX     AF            UXN    DEVICE/nGnRE
            0xffff000042003000-0xffff000042200000        2036K PTE
            0xffff000042200000-0xffff000080000000         990M PMD
            0xffff000080000000-0xffff008000000000         510G PUD
            0xffff008000000000-0xffff800000000000      130560G PGD
            ---[ Linear Mapping end ]---
            0xffff800000000000-0x0000000000000000         128T PGD

            """)
        // Two RW pages without PXN: note_prot_wx() counts 2.
        #expect(merger.writableExecutablePages == 2)
    }

    /// 64K pages, 42-bit VA, 2 levels: the PGD holds 512M blocks (Linux's PMD
    /// level, printed "PGD") and PTE tables of 8192 64K pages.
    @Test func sixtyFourKTwoLevelBlocksAndContiguousPages() {
        let m = SparseMemory(pageSize: 0x10000)
        let s = Self.self
        m.addPage(0x10000)
        m.addPage(0x20000)
        m.write(0x10000, value: 0x4000_0000 | s.block | s.shd | s.af | s.pxn | s.uxn)    // pgd[0]: 512M block
        m.write(0x10008, value: 0x20000 | s.tableOrPage)                                 // pgd[1] -> PTE
        for i in 0..<32 as Range<UInt64> {                                               // pte[0..31]: CONT 64K
            m.write(0x20000 + i * 8, value: (0x6000_0000 + i << 16) | s.tableOrPage | s.shd | s.af | s.ro | s.cont | s.pxn | s.uxn)
        }
        let arch = Arm64Paging(pageShift: 16, vaBits: 42, protectionMask: Arm64Paging.attributes6_1.mask)
        let markers = MarkerTable([AddressMarker(start: 0xffff_fc00_0000_0000, name: "Linear Mapping start"),
                                   AddressMarker(start: 0xffff_fe00_0000_0000, name: "Linear Mapping end")])
        let (text, _) = listing(m, arch: arch, markers: markers, start: 0xffff_fc00_0000_0000)
        #expect(text == """
            ---[ Linear Mapping start ]---
            0xfffffc0000000000-0xfffffc0020000000         512M PGD       RW NX SHD AF        BLK UXN    MEM/NORMAL
            0xfffffc0020000000-0xfffffc0020200000           2M PTE       ro NX SHD AF    CON     UXN    MEM/NORMAL
            0xfffffc0020200000-0xfffffc0040000000         510M PTE
            0xfffffc0040000000-0xfffffe0000000000        2047G PGD
            ---[ Linear Mapping end ]---
            0xfffffe0000000000-0x0000000000000000           2T PGD

            """)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var pageShift: Int, vaBits: Int, entry: UInt64, level: TableLevel, why: String
        var testDescription: String { "\(1 << (pageShift - 10))K/\(vaBits) \(level.name): \(why)" }
    }

    /// Encodings the MMU rejects are marked at the level they were found, named
    /// as the kernel names that level, and the walk goes on past them.
    @Test(arguments: [
        Invalid(pageShift: 12, vaBits: 48, entry: 0x4000_0000 | 0b01, level: .p4d, why: "block at level 0"),
        Invalid(pageShift: 14, vaBits: 47, entry: 0x40_0000_0000 | 0b01, level: .pud, why: "16K block at level 1"),
        Invalid(pageShift: 16, vaBits: 48, entry: 0x400_0000_0000 | 0b01, level: .pud, why: "64K block at level 1"),
    ])
    func blockWhereTheLevelHasNoneIsMarked(_ c: Invalid) {
        let page = UInt64(1) << UInt64(c.pageShift)
        let m = SparseMemory(pageSize: page)
        m.addPage(page)
        m.write(page, value: c.entry)
        let arch = Arm64Paging(pageShift: c.pageShift, vaBits: c.vaBits, protectionMask: Arm64Paging.attributes6_1.mask)
        #expect(arch.invalidEncoding(c.entry, at: c.level) != nil)
        let start: UInt64 = 0 &- (1 << UInt64(c.vaBits))
        let (text, _) = listing(m, arch: arch, markers: MarkerTable([AddressMarker(start: start, name: "Start")]),
                                start: start, root: page)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].hasSuffix("PGD !! invalid entry \(hex(c.entry))"))
        #expect(lines[2].hasSuffix("PGD"))
    }

    @Test func reservedPageTypeIsMarkedAtPTE() {
        let m = SparseMemory()
        for page in [0x10000, 0x11000, 0x12000, 0x13000] as [UInt64] { m.addPage(page) }
        m.write(0x10000, value: 0x11000 | 0b11)
        m.write(0x11000, value: 0x12000 | 0b11)
        m.write(0x12000, value: 0x13000 | 0b11)
        m.write(0x13000, value: 0x5000_0000 | 0b01 | Self.af)   // pte[0]: type 0b01 is reserved at level 3
        let arch = Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: Arm64Paging.attributes6_1.mask)
        let start: UInt64 = 0xffff_0000_0000_0000
        let (text, _) = listing(m, arch: arch, markers: MarkerTable([AddressMarker(start: start, name: "Start")]), start: start)
        let lines = text.split(separator: "\n")
        #expect(lines[1] == "0xffff000000000000-0xffff000000001000           4K PTE !! invalid entry 0x50000401")
        #expect(lines[2] == "0xffff000000001000-0xffff000000200000        2044K PTE")
    }

    /// 64K descriptors carry PA[51:48] in bits 15:12 (FEAT_LPA); 4K ones end at bit 47.
    @Test func outputAddressDecoding() {
        let lpa = Arm64Paging(pageShift: 16, vaBits: 52, protectionMask: 0)
        #expect(lpa.outputAddress(0x0000_1234_5678_0000 | 0xa000 | 0b11) == 0x000a_1234_5678_0000)
        let fourK = Arm64Paging(pageShift: 12, vaBits: 48, protectionMask: 0)
        #expect(fourK.outputAddress(0x00f0_ffff_ffff_f000 | 0x7ff) == 0x0000_ffff_ffff_f000)
        let lpa2 = Arm64Paging(pageShift: 12, vaBits: 52, lpa2: true, protectionMask: 0)
        #expect(lpa2.outputAddress(0x0001_0000_0000_0000 | 0x300 | 0b11) == 0x000d_0000_0000_0000)
    }
}
