import Testing
@testable import KernelDump
import PageTables
import TestSupport

/// The progress line: silent for short walks, throttled, erased at the end.
@Suite struct ProgressLineTests {
    final class Clock: @unchecked Sendable {
        var now = 100.0
    }

    @Test func silentForTheFirstSecondThenThrottledThenErased() {
        let clock = Clock()
        var out = ""
        let line = ProgressLine(clock: { clock.now }) { out += $0 }
        clock.now = 100.5
        line.update(address: 0x1000, tables: 10)
        line.finish()
        #expect(out.isEmpty)

        clock.now = 101.0
        line.update(address: 0xffff_8880_0000_0000, tables: 2048)
        #expect(out == "\rkptdump: walking 0xffff888000000000, 2048 tables")
        clock.now = 101.1
        line.update(address: 0xffff_8881_0000_0000, tables: 4096)
        #expect(out == "\rkptdump: walking 0xffff888000000000, 2048 tables", "a second line within 0.2 s")
        clock.now = 101.3
        line.update(address: 0xffff_c900_0000_0000, tables: 50000)
        #expect(out.hasSuffix("\rkptdump: walking 0xffffc90000000000, 50000 tables"))
        out = ""
        line.finish()
        let last = "kptdump: walking 0xffffc90000000000, 50000 tables"
        #expect(out == "\r" + String(repeating: " ", count: last.count) + "\r")
    }

    /// The walker reports the address it is at, in increasing order, every
    /// `progressInterval` table visits.
    @Test func walkerReportsProgressInAddressOrder() {
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 273 * 8, value: 0x2063)
        for i in 0..<8 as Range<UInt64> { m.write(0x2000 + i * 8, value: 0x3063) }
        let arch = X86_64Paging(fiveLevel: false)
        let walker = PageWalker(architecture: arch, memory: m)
        walker.progressInterval = 1
        var seen: [(UInt64, Int)] = []
        walker.progress = { seen.append(($0, $1)) }
        let merger = RangeMerger(architecture: arch, markers: MarkerTable([AddressMarker(start: 0, name: "All")])) { _ in }
        walker.walk(root: PhysicalAddress(0x1000), ranges: [WalkRange(0xffff_8000_0000_0000, .max)], into: merger)
        // pgd[273] -> PUD table (1 visit after the root), its 8 entries -> the PMD table.
        #expect(seen.count == 9)
        #expect(seen.map(\.0) == seen.map(\.0).sorted())
        #expect(seen.first?.0 == 0xffff_8880_0000_0000)
    }
}
