import Foundation
import Testing
@testable import KernelDump

/// System.map and /proc/kallsyms lines, read as bytes.
@Suite struct SymbolMapParsingTests {
    @Test func fieldsAddressesAndDuplicates() {
        let text = """
            ffffffff81000000 T _text
            ffffffff81000000 T startup_64
            FFFFFFFF82A0B0C0 D init_task
            ffffffffc0002000\tt\tzram_add\t[zram]
            not-hex T broken
            ffffffff8100000g T bad_digit
            ffffffff81000010 T
            0000000000000000 A fixed_percpu_data
            ffffffff81001000 T _text
            """
        let t = SymbolTable(source: "test", index: SymbolIndex.parseMap(Array(text.utf8)), shift: 0x1000_0000)
        #expect(t["_text"] == 0xffff_ffff_9100_0000, "the first of two wins, offset added")
        #expect(t["startup_64"] == 0xffff_ffff_9100_0000)
        #expect(t["init_task"] == 0xffff_ffff_92a0_b0c0)
        #expect(t["zram_add"] == 0xffff_ffff_d000_2000)
        #expect(t["broken"] == nil && t["bad_digit"] == nil)
        // x86-64's per-CPU symbols are offsets into the per-CPU area, which
        // KASLR does not move (the kernel's own kallsyms shows them unshifted).
        #expect(t["fixed_percpu_data"] == 0)
    }

    /// A map of a megabyte or more is read in two halves side by side; its
    /// symbols are found in either, and of two with one name the first in
    /// the file still wins, even across the halves (and when the first has
    /// no address, the next one that has).
    @Test func bigMapsAreReadInTwoHalves() {
        var lines: [String] = []
        for i in 0..<40_000 { lines.append(String(format: "ffffffff%08x t sym_%d", 0x8100_0000 + i * 16, i)) }
        // Near each end, so in the two halves whatever the cut.
        let last = lines.count - 1
        lines[10] = "ffffffff90000000 T twice"
        lines[last - 10] = "ffffffff90001000 T twice"
        lines[20] = "not-hex T later_has_address"
        lines[last - 20] = "ffffffff90002000 T later_has_address"
        let text = Array(lines.joined(separator: "\n").utf8)
        #expect(text.count >= 1 << 20)
        #expect(SymbolMapText.parse(StableBytes(copying: text)).parts == 2)
        let index = SymbolIndex.parseMap(text)
        #expect(index.count == lines.count)
        #expect(index["sym_5"] == 0xffff_ffff_8100_0050)
        #expect(index["sym_39999"] == 0xffff_ffff_8100_0000 + UInt64(39_999 * 16))
        #expect(index["sym_20001"] == 0xffff_ffff_8100_0000 + UInt64(20_001 * 16))
        #expect(index["twice"] == 0xffff_ffff_9000_0000)
        #expect(index["later_has_address"] == 0xffff_ffff_9000_2000)
        #expect(index["sym_40000"] == nil)
        #expect(index.name(at: last - 10) == "twice")
    }
}
