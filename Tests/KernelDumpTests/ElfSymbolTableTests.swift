import Foundation
import Testing
@testable import KernelDump

/// A vmlinux's `.symtab` looked up by name (`ElfFile.symbolIndex`), held to
/// binutils' `nm` on the test binary itself (an ELF with a symbol table).
@Suite struct ElfSymbolTableTests {
    /// `nm --defined-only`'s (name, address) pairs of `path`.
    static func nm(_ path: String) throws -> [(name: String, address: UInt64)] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nm")
        p.arguments = ["--defined-only", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let address = UInt64(fields[0], radix: 16) else { return nil }
            return (String(fields[2]), address)
        }
    }

    @Test func everyNameNmSeesOnceIsFoundAtItsAddress() throws {
        let (binary, _) = try DebugFileSearchTests.testBinary()
        let elf = try #require(try ElfFile.probe(binary))
        let index = try elf.symbolIndex()
        let listed = try Self.nm(binary).filter { $0.address != 0 && !$0.name.contains("@") }
        var seen: [String: Int] = [:]
        for symbol in listed { seen[symbol.name, default: 0] += 1 }
        let once = listed.filter { seen[$0.name] == 1 }
        #expect(once.count > 1_000, "the test binary has a symbol table")
        #expect(index.count >= once.count)
        var wrong = 0
        for symbol in once where index[symbol.name] != symbol.address { wrong += 1 }
        #expect(wrong == 0, "\(wrong) of \(once.count) names not found at nm's address")
        #expect(index["kptdump no such symbol"] == nil)
        #expect(index[""] == nil)
    }
}
