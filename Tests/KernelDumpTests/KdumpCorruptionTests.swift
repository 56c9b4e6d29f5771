import Foundation
import Testing
@testable import KernelDump
import PageTables

/// A valid kdump file (written from a real fixture), broken one field at a
/// time: each break gets one message naming the field, or a marked entry.
@Suite struct KdumpCorruptionTests {
    /// The valid file's bytes, and where its parts start.
    static func valid(flattened: Bool = false) throws -> [UInt8] {
        let c = KdumpReaderTests.Case(fixture: "x86_64/custom-4level", file: "kernel.txt", table: .kernel,
                                      codec: .zlib, flattened: flattened)
        let url = try KdumpReaderTests.write(c)
        defer { try? FileManager.default.removeItem(at: url) }
        return Array(try Data(contentsOf: url))
    }

    static func put(_ bytes: inout [UInt8], _ value: UInt64, at offset: Int, size: Int) {
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    /// Writes `bytes` to a temporary file and returns the error opening it gives.
    static func openError(_ bytes: [UInt8], name: String) throws -> String? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-corrupt-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try DumpFile(path: url.path)
            return nil
        } catch {
            return error.description
        }
    }

    struct Break: CustomStringConvertible, Sendable {
        var name: String
        var expected: String
        var apply: @Sendable (inout [UInt8]) -> Void
        var description: String { name }
    }

    static let breaks: [Break] = [
        Break(name: "old diskdump signature", expected: "old diskdump driver") { $0.replaceSubrange(0..<8, with: Array("DISKDUMP".utf8)) },
        Break(name: "header_version 0", expected: "bad header_version at offset 0x8") { put(&$0, 0, at: 8, size: 4) },
        // A big-endian version over little-endian fields: the next field read big-endian is refused.
        Break(name: "half big-endian header", expected: "bad block_size at offset 0x1ac") { put(&$0, 0x0600_0000, at: 8, size: 4) },
        Break(name: "block_size 1000", expected: "bad block_size at offset 0x1ac") { put(&$0, 1000, at: 428, size: 4) },
        Break(name: "block_size 0", expected: "bad block_size") { put(&$0, 0, at: 428, size: 4) },
        Break(name: "sub_hdr_size 0", expected: "bad sub_hdr_size") { put(&$0, 0, at: 432, size: 4) },
        Break(name: "odd bitmap_blocks", expected: "bad bitmap_blocks") { put(&$0, 3, at: 436, size: 4) },
        Break(name: "huge bitmap_blocks", expected: "truncated: the kdump bitmaps") { put(&$0, 1 << 30, at: 436, size: 4) },
        Break(name: "absurd max_mapnr", expected: "bad max_mapnr") { put(&$0, 1 << 50, at: 4096 + 96, size: 8) },
        Break(name: "zero max_mapnr", expected: "bad max_mapnr") { put(&$0, 0, at: 4096 + 96, size: 8) },
        Break(name: "notes past the end", expected: "truncated: the ELF notes area") { put(&$0, 1 << 40, at: 4096 + 48, size: 8) },
        Break(name: "VMCOREINFO size absurd", expected: "truncated: the VMCOREINFO area") { put(&$0, UInt64.max, at: 4096 + 40, size: 8) },
        Break(name: "i686 machine", expected: "'i686' machine") { $0.replaceSubrange(272..<279, with: Array("i686\0\0\0".utf8)) },
        Break(name: "split part", expected: "split dump") { put(&$0, 1, at: 4096 + 12, size: 4) },
        Break(name: "cut inside disk_dump_header", expected: "truncated: disk_dump_header") { $0.removeSubrange(100...) },
        Break(name: "cut inside the sub-header", expected: "truncated: kdump_sub_header") { $0.removeSubrange(4100...) },
        Break(name: "gzip as a whole", expected: "compressed as a whole with gzip") { $0.replaceSubrange(0..<3, with: [0x1f, 0x8b, 0x08]) },
        Break(name: "empty file", expected: "starts with nothing") { $0.removeAll() },
        Break(name: "unknown bytes", expected: "not a dump kptdump reads") { $0.replaceSubrange(0..<8, with: Array("garbage!".utf8)) },
    ]

    @Test(arguments: breaks)
    func eachBrokenFieldIsNamed(_ b: Break) throws {
        var bytes = try Self.valid()
        #expect(try Self.openError(bytes, name: "valid-" + b.name.replacingOccurrences(of: " ", with: "-")) == nil)
        b.apply(&bytes)
        let message = try Self.openError(bytes, name: b.name.replacingOccurrences(of: " ", with: "-"))
        #expect(message?.contains(b.expected) == true, "\(b): got \(message ?? "no error")")
    }

    /// The descriptor offsets, in the file, of the stored pages at or above
    /// physical `floor`. In this fixture the kernel image (whose variables are
    /// read before the walk) sits low, and the page tables allocated later sit
    /// near the top of RAM, so damage above 1 GiB reaches only tables.
    static func descriptors(_ bytes: [UInt8], atOrAbove floor: UInt64) -> [Int] {
        func u32(_ at: Int) -> Int { Int(decodeInteger(bytes, at: at, size: 4, order: .little)!) }
        let block = u32(428)
        let bitmaps = (1 + u32(432)) * block
        let half = u32(436) * block / 2
        let descriptorArea = bitmaps + 2 * half
        var rank = 0
        var out: [Int] = []
        for byte in 0..<half where bytes[bitmaps + half + byte] != 0 {
            for bit in 0..<8 where bytes[bitmaps + half + byte] & (1 << bit) != 0 {
                if UInt64(byte * 8 + bit) * UInt64(block) >= floor { out.append(descriptorArea + 24 * rank) }
                rank += 1
            }
        }
        return out
    }

    /// Damage past the headers cannot be seen on opening: the listing marks
    /// the tables it cannot read, and the exit status says so (3).
    @Test(arguments: ["garbled page data", "descriptor outside the file", "stored size wrong"])
    func damagedTablePagesBecomeMarkedEntries(_ damage: String) throws {
        var bytes = try Self.valid()
        let targets = Self.descriptors(bytes, atOrAbove: 1 << 30)
        #expect(targets.count > 3)
        for d in targets {
            let offset = Int(decodeInteger(bytes, at: d, size: 8, order: .little)!)
            let size = Int(decodeInteger(bytes, at: d + 8, size: 4, order: .little)!)
            switch damage {
            case "garbled page data":
                for i in offset..<offset + size where i % 3 == 0 { bytes[i] ^= 0x5a }
            case "descriptor outside the file":
                Self.put(&bytes, 1 << 40, at: d, size: 8)
            default:
                Self.put(&bytes, 3 * 4096, at: d + 8, size: 4)
            }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-damaged-\(getpid())-\(damage.replacingOccurrences(of: " ", with: "-"))")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var request = DumpRequest(core: url.path)
        request.searchDebugFiles = false
        var text = ""
        let result = try Actions.listing(request, table: .kernel, cpu: 0, write: { text += $0 }, diagnostic: { _ in })
        print("\(damage): \(result.problems.count) marked ranges; first: \(result.problems.first?.problem?.description ?? "-")")
        #expect(!result.problems.isEmpty, "\(damage): nothing marked")
        #expect(text.contains("!! table"), "\(damage)")
    }

    /// A file cut inside its page data: the headers open, the lost pages fail.
    @Test func cutInThePageData() throws {
        var bytes = try Self.valid()
        let first = Self.descriptors(bytes, atOrAbove: 0)[0]
        let dataStart = Int(decodeInteger(bytes, at: first, size: 8, order: .little)!)
        bytes.removeSubrange((dataStart + 100)...)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-cut-\(getpid())")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var request = DumpRequest(core: url.path)
        request.searchDebugFiles = false
        #expect(throws: DumpError.self) {
            _ = try Actions.listing(request, table: .kernel, cpu: 0, write: { _ in }, diagnostic: { _ in })
        }
    }

    @Test func flattenedBreaks() throws {
        let good = try Self.valid(flattened: true)
        #expect(try Self.openError(good, name: "flat-valid") == nil)
        var badType = good
        Self.put(&badType, 7 << 56, at: 16, size: 8)
        #expect(try Self.openError(badType, name: "flat-type")?.contains("flattened header type") == true)
        var pastEnd = good
        // The first record's size, big-endian, made larger than the file.
        pastEnd[4096 + 8] = 0x7f
        #expect(try Self.openError(pastEnd, name: "flat-size")?.contains("bad flattened record") == true)
        // A flattened ELF dump (makedumpfile -E -F): refused with the command that rebuilds it.
        var elf = Array(good[0..<4096])
        elf += [UInt8](repeating: 0, count: 15) + [64] + [0x7f, 0x45, 0x4c, 0x46] + [UInt8](repeating: 0, count: 60)
        elf += [UInt8](repeating: 0xff, count: 16)
        #expect(try Self.openError(elf, name: "flat-elf")?.contains("makedumpfile -R") == true)
        var cut = good
        cut.removeSubrange((good.count - 16)...)
        // Without the end mark every record is still there: it opens (with a warning).
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kptdump-flat-noend-\(getpid())")
        try Data(cut).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let dump = try DumpFile(path: url.path)
        #expect(dump.warnings.contains { $0.contains("without their end mark") })
    }
}
