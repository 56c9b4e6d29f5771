import Foundation
import Testing
@testable import KernelDump

/// `ElfFile.arrayLength(ofVariable:)` on DWARF gcc writes, the way the kernel
/// declares the arrays whose length it reads: `swap_info[MAX_SWAPFILES]`,
/// static, of pointers, behind a typedef too.
@Suite struct DwarfArrayLengthTests {
    static func compile(_ source: String, name: String) throws -> String {
        let c = ElfCoreReaderTests.temporaryPath("\(name).c")
        // Linked, so the DWARF needs no relocations (a .o keeps them for the linker).
        let o = ElfCoreReaderTests.temporaryPath("\(name).so")
        try source.write(toFile: c, atomically: true, encoding: .utf8)
        let gcc = Process()
        gcc.executableURL = URL(fileURLWithPath: "/usr/bin/gcc")
        gcc.arguments = ["-g", "-shared", "-fPIC", "-o", o, c]
        try gcc.run()
        gcc.waitUntilExit()
        try #require(gcc.terminationStatus == 0)
        return o
    }

    @Test func lengthsOfStaticAndTypedefArrays() throws {
        let object = try Self.compile("""
            struct swap_info_struct { long flags; };
            static struct swap_info_struct *swap_info[23];
            typedef int row_t[7];
            row_t table;
            extern int declared_only[5];
            int unsized_use(void) { return swap_info[0] != 0 && declared_only[0] + table[0]; }
            """, name: "arrays")
        let elf = try #require(try ElfFile.probe(object))
        #expect(try elf.arrayLength(ofVariable: "swap_info") == 23)
        #expect(try elf.arrayLength(ofVariable: "table") == 7)
        #expect(try elf.arrayLength(ofVariable: "declared_only") == nil)
        #expect(try elf.arrayLength(ofVariable: "no_such_variable") == nil)
    }
}

