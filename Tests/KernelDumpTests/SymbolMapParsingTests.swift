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
}
