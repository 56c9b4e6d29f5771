import Foundation
import Testing
@testable import KernelDump
import PageTables

/// `diff` compares listings recorded from the walk (`recordListing`), not
/// printed and read back. These tests compare our own two paths: the recorded
/// listing must equal our printed text read by the text reader, the reader
/// that also reads the kernel's own files, on every table of real kernels of
/// each architecture, and with tables missing from the dump (marked lines).
@Suite struct ListingRecordTests {
    /// Memory with every table page whose 4K frame number is 1 modulo 3
    /// missing, so that walks hit "!! table ... not in dump" marks.
    final class HoleyMemory: PhysicalMemory {
        let base: any PhysicalMemory
        init(_ base: any PhysicalMemory) { self.base = base }
        func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
            if (address.rawValue >> 12) % 3 == 1 { throw MemoryError.notInDump(address) }
            return try base.read(address, count: count)
        }
    }

    static let states = ["x86_64/6.12-4level", "x86_64/6.12-pti", "x86_64/5.10-5level", "x86_64/debian-stock-4level",
                         "arm64/4k-48", "arm64/64k-42", "arm64/5.10-4k-48", "riscv64/sv39", "riscv64/6.12-sv57-swap"]

    @Test(arguments: states)
    func recordedListingEqualsOurPrintedTextReadBack(_ state: String) throws {
        let core = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("\(state)/snapshot.core.zst"))
        var request = DumpRequest(core: core.path)
        request.searchDebugFiles = false
        let (session, layout) = try Actions.open(request)
        var compared = 0
        var marked = 0
        for table in TableChoice.allCases {
            guard let spec = try? layout.table(table, session: session, cpu: 0) else { continue }
            for memory in [session.memory, HoleyMemory(session.memory)] as [any PhysicalMemory] {
                var text = ""
                _ = writeListing(spec, memory: memory) { text += $0 }
                let printed = try ParsedListing(text: text)
                let (recorded, _) = recordListing(spec, memory: memory)
                #expect(recorded == printed, "\(state) \(table.rawValue)")
                compared += printed.lineCount
                marked += recorded.regions.reduce(0) { $0 + $1.lines.filter { $0.mark != nil }.count }
            }
        }
        #expect(compared > 20)
        #expect(marked > 0, "the holey memory must mark some lines")
    }
}
