import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

/// riscv64 tables built in code; lines follow arch/riscv/mm/ptdump.c: the range,
/// ` 0x%016lx ` with the first entry's physical address, `%9lu%c %s`, the flag
/// table, and no lines for ranges whose protection is zero.
@Suite struct Riscv64Tests {
    static let v: UInt64 = 1, r: UInt64 = 2, w: UInt64 = 4, x: UInt64 = 8, g: UInt64 = 32, a: UInt64 = 64, d: UInt64 = 128
    static func pte(_ pa: UInt64, _ flags: UInt64) -> UInt64 { (pa >> 12) << 10 | flags }

    @Test(arguments: [Riscv64Paging.Mode.sv39, .sv48, .sv57])
    func geometryPerMode(_ mode: Riscv64Paging.Mode) {
        let arch = Riscv64Paging(mode: mode, protectionMask: 0x1ff)
        #expect(arch.geometry[.pgd].shift == mode.vaBits - 9)
        #expect(arch.geometry[.p4d].isFolded == (mode != .sv57))
        #expect(arch.geometry[.pud].isFolded == (mode == .sv39))
        #expect(arch.levelNames == ["PGD", mode == .sv57 ? "P4D" : "PGD", mode == .sv39 ? "PGD" : "PUD", "PMD", "PTE"])
    }

    func listing(_ m: SparseMemory, mode: Riscv64Paging.Mode, markers: MarkerTable, start: UInt64,
                 attributes: ProtectionTable = Riscv64Paging.attributes6_1) -> (String, RangeMerger) {
        let arch = Riscv64Paging(mode: mode, protectionMask: attributes.mask)
        let formatter = TableDrivenFormatter(style: .init(levelNames: arch.levelNames, attributes: attributes,
                                                          physicalColumn: { arch.physicalAddress($0) },
                                                          printsEmptyRanges: false))
        var text = ""
        let merger = RangeMerger(architecture: arch, markers: markers, markerAdvance: .untilCurrent) { text += formatter.format($0) }
        PageWalker(architecture: arch, memory: m).walk(root: PhysicalAddress(0x1000), ranges: [WalkRange(start, .max)], into: merger)
        return (text, merger)
    }

    /// Sv39. PGD 0x1000 -> [256] 1G leaf; [257] PMD 0x2000 -> [0] 2M RWX leaf,
    /// [1] PTE 0x3000 -> [0,1] read-only, [2] with RSW bit 8.
    @Test func sv39LeavesAtEveryLevelWithoutHoleLines() {
        let m = SparseMemory()
        let s = Self.self
        for page in [0x1000, 0x2000, 0x3000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 256 * 8, value: s.pte(0x8000_0000, s.v | s.r | s.w | s.g | s.a | s.d))
        m.write(0x1000 + 257 * 8, value: s.pte(0x2000, s.v))
        m.write(0x2000, value: s.pte(0x9000_0000, s.v | s.r | s.w | s.x | s.g | s.a | s.d))
        m.write(0x2008, value: s.pte(0x3000, s.v))
        m.write(0x3000, value: s.pte(0xa000_0000, s.v | s.r | s.g | s.a))
        m.write(0x3008, value: s.pte(0xa000_1000, s.v | s.r | s.g | s.a))
        m.write(0x3010, value: s.pte(0xa000_2000, s.v | s.r | s.w | s.g | s.a | s.d | 1 << 8))
        let markers = MarkerTable([AddressMarker(start: 0xffff_ffc0_0000_0000, name: "Linear mapping")])
        let (text, merger) = listing(m, mode: .sv39, markers: markers, start: 0xffff_ffc0_0000_0000)
        #expect(text == """
            ---[ Linear mapping ]---
            0xffffffc000000000-0xffffffc040000000    0x0000000080000000         1G PGD     D A G . . W R V
            0xffffffc040000000-0xffffffc040200000    0x0000000090000000         2M PMD     D A G . X W R V
            0xffffffc040200000-0xffffffc040202000    0x00000000a0000000         8K PTE     . A G . . . R V
            0xffffffc040202000-0xffffffc040203000    0x00000000a0002000         4K PTE RSW D A G . . W R V

            """)
        #expect(merger.writableExecutablePages == 512)
    }

    /// A walk range longer than the top table's reach (a corrupt layout's:
    /// Sv39's PGD covers 2^39 bytes, this range 2^42) stops after one pass
    /// over the table's entries with a marked range, where it once stepped
    /// through every 1G entry of the range (a fuzzed dump: 57 million steps).
    @Test func aRangeBeyondTheTopTableIsMarkedNotWalkedForever() {
        let m = SparseMemory()
        m.addPage(0x1000)
        var events: [ListingEvent] = []
        let arch = Riscv64Paging(mode: .sv39, protectionMask: Riscv64Paging.attributes6_1.mask)
        let merger = RangeMerger(architecture: arch, markers: MarkerTable([AddressMarker(start: 0xffff_fc00_0000_0000, name: "all")])) {
            events.append($0)
        }
        let walker = PageWalker(architecture: arch, memory: m)
        walker.walk(root: PhysicalAddress(0x1000), ranges: [WalkRange(0xffff_fc00_0000_0000, .max)], into: merger)
        let ranges = events.compactMap { if case .range(let r) = $0 { r } else { nil } }
        #expect(ranges.map(\.start) == [0xffff_fc00_0000_0000, 0xffff_fc80_0000_0000])
        #expect(ranges.last?.problem == .beyondTable(level: .pgd))
        #expect(walker.statistics.problems == 1)
    }

    /// The 6.7 table prints NAPOT, the Svpbmt type and RSW as a number.
    @Test func linux67AttributeColumns() {
        let t = Riscv64Paging.attributes6_7
        let s = Self.self
        #expect(t.describe(s.v | s.r | s.a) == " .   ..     ..   . A . . . . R V")
        #expect(t.describe(1 << 63 | 1 << 62 | 3 << 8 | s.v | s.r | s.w | s.d | s.a)
                == " N MT(IO) RSW(3) D A . . . W R V")
        #expect(t.describe(1 << 61 | 1 << 9 | s.v | s.r) == " . MT(NC) RSW(2) . . . . . . R V")
        #expect(t.describe(3 << 61 | s.v | s.r) == " . MT(??)   ..   . . . . . . R V")
    }

    @Test(arguments: [
        (UInt64(0x2000 >> 12) << 10 | 1 | 4, TableLevel.pte, "W without R"),
        (UInt64(0x2000 >> 12) << 10 | 1, TableLevel.pte, "pointer at the last level"),
        (UInt64(0x8010_0000 >> 12) << 10 | 1 | 2, TableLevel.pmd, "misaligned 2M leaf"),
    ])
    func invalidEncodings(_ entry: UInt64, _ level: TableLevel, _ why: String) {
        let arch = Riscv64Paging(mode: .sv39, protectionMask: 0x1ff)
        #expect(arch.invalidEncoding(entry, at: level) != nil, "\(why)")
        #expect(arch.invalidEncoding(entry & ~UInt64(1), at: level) == nil, "not valid: not checked")
    }
}

/// The three marker policies on one flush that passes three markers at once:
/// x86 catches up one header per flush, arm64 two, riscv all of them.
@Suite struct MarkerAdvanceTests {
    func headers(_ policy: MarkerAdvance) -> [String] {
        let markers = MarkerTable([
            AddressMarker(start: 0, name: "zero"),
            AddressMarker(start: 0x1000_0000_0000, name: "one"),
            AddressMarker(start: 0x2000_0000_0000, name: "two"),
            AddressMarker(start: 0x3000_0000_0000, name: "three"),
        ])
        var names: [String] = []
        let merger = RangeMerger(architecture: X86_64Paging(fiveLevel: false), markers: markers, markerAdvance: policy) { event in
            if case .marker(_, let marker) = event { names.append(marker.name) }
        }
        merger.note(address: 0, level: .pgd, entry: 0, problem: nil)
        merger.note(address: 0x3000_0000_0000, level: .pte, entry: 0x1, problem: nil)
        merger.finish()
        return names
    }

    @Test func eachArchitectureCatchesUpAsItsPtdumpDoes() {
        #expect(headers(.oncePerFlush) == ["zero", "one"])
        #expect(headers(.twicePerCallback) == ["zero", "one", "two"])
        #expect(headers(.untilCurrent) == ["zero", "one", "two", "three"])
    }
}
