import Testing
import PageTables
@testable import KernelDump

/// A kallsyms table encoded here the way scripts/kallsyms.c lays it out
/// (token table and index, names as token bytes with the 6.1 two-byte count,
/// offsets from a relative base or absolute per-CPU), so the expected names
/// and addresses are the ones written here, not the decoder's.
@Suite struct KallsymsDecoderTests {
    enum Encoding { case relative, absolutePercpu, absolute, placeRelative }

    struct Image {
        var info: VmcoreInfo
        var locations: KallsymsLocations
        /// Page-aligned regions of "kernel memory".
        var regions: [UInt64: [UInt8]]

        func read(_ va: UInt64, _ count: Int) throws -> [UInt8] {
            for (base, bytes) in regions where va >= base && va - base + UInt64(count) <= UInt64(bytes.count) {
                let start = Int(va - base)
                return Array(bytes[start..<start + count])
            }
            throw MemoryError.notInDump(va)
        }

        func decode(order: ByteOrder = .little) throws(KallsymsError) -> SymbolIndex {
            try KallsymsDecoder.decode(locations, info: info, order: order, read: read)
        }
    }

    enum MemoryError: Error { case notInDump(UInt64) }

    static let base: UInt64 = 0xffff_ffff_8100_0000
    /// Multi-character tokens; every other token is the single byte of its index.
    static let longTokens: [UInt8: String] = [1: "__", 2: "init_", 3: "pgt", 4: "Tsym_", 5: "dkall", 6: "swapper_pg_dir", 7: "dz__init_pgt_"]

    /// The symbols: ordinary ones above `base`, a per-CPU one at a small
    /// address, the names VMCOREINFO checks, and one name long enough for
    /// the two-byte count (more than 127 tokens).
    static func symbols(above start: UInt64 = base) -> [(type: Character, name: String, address: UInt64)] {
        var list: [(Character, String, UInt64)] = [("D", "runqueues", 0x2_fe00)]
        list.append(("T", "_stext", start))
        for i in 0..<1_500 { list.append(("T", "sym_\(i)", start + 0x1000 + UInt64(i) * 0x40)) }
        list.append(("D", "init_top_pgt", start + 0x20_0000))
        list.append(("d", "kallsyms_private", start + 0x20_1000))
        list.append(("D", "swapper_pg_dir", start + 0x20_2000))
        list.append(("t", String(repeating: "q", count: 300), start + 0x20_3000))
        list.append(("D", "node_data", start + 0x20_4000))
        // Names of every length to 48, with tokens across the bytes the
        // hash reads (the first 8, the last 8).
        let text = "z__init_pgt__swapper_pg_dirinit___pgt_abcdefghijklmnopqrstuvwxyz"
        for length in 1...48 {
            list.append(("d", String(text.prefix(length)), start + 0x20_5000 + UInt64(length) * 0x40))
        }
        return list
    }

    static func encodeName(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if let (token, piece) = longTokens.first(where: { bytes[i...].starts(with: Array($0.value.utf8)) }) {
                out.append(token)
                i += piece.utf8.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    static func image(_ encoding: Encoding, bigEndian: Bool = false, symbols list: [(type: Character, name: String, address: UInt64)] = symbols(),
                      relativeBase: UInt64 = base, vmcoreSymbols: [String] = ["init_top_pgt", "swapper_pg_dir", "node_data"],
                      extraInfo: String = "") -> Image {
        func int(_ v: UInt64, _ size: Int) -> [UInt8] {
            let le = (0..<size).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
            return bigEndian ? le.reversed() : le
        }
        var tokenTable: [UInt8] = []
        var tokenIndex: [UInt8] = []
        for t in 0..<256 {
            tokenIndex += int(UInt64(tokenTable.count), 2)
            // Byte 0 cannot be a one-byte token (NUL ends it): use a name byte instead.
            tokenTable += longTokens[UInt8(t)].map { Array($0.utf8) } ?? [t == 0 ? UInt8(ascii: "~") : UInt8(t)]
            tokenTable.append(0)
        }
        var names: [UInt8] = []
        for symbol in list {
            let encoded = encodeName(String(symbol.type) + symbol.name)
            if encoded.count > 127 {
                names += [UInt8(encoded.count & 0x7f) | 0x80, UInt8(encoded.count >> 7)]
            } else {
                names.append(UInt8(encoded.count))
            }
            names += encoded
        }
        // Each array at its own place, 16 MiB apart (place-relative offsets need theirs first).
        let order = ["kallsyms_num_syms", "kallsyms_names", "kallsyms_token_table", "kallsyms_token_index",
                     encoding == .absolute ? "kallsyms_addresses" : "kallsyms_offsets", "kallsyms_relative_base"]
        func placeOf(_ name: String) -> UInt64 { 0xffff_ffff_8300_0000 + UInt64(order.firstIndex(of: name)!) << 24 }
        var addressBytes: [UInt8] = []
        for (i, symbol) in list.enumerated() {
            switch encoding {
            case .absolute: addressBytes += int(symbol.address, 8)
            case .placeRelative: addressBytes += int(symbol.address &- (placeOf("kallsyms_offsets") &+ UInt64(4 * i)), 4)
            case .relative: addressBytes += int(symbol.address &- relativeBase, 4)
            case .absolutePercpu:
                let stored: Int64 = symbol.address < 1 << 31 ? Int64(symbol.address) : -Int64(symbol.address - relativeBase) - 1
                addressBytes += int(UInt64(bitPattern: stored), 4)
            }
        }
        let arrays: [(String, [UInt8])] = [("kallsyms_num_syms", int(UInt64(list.count), 4)),
                                           ("kallsyms_names", names),
                                           ("kallsyms_token_table", tokenTable),
                                           ("kallsyms_token_index", tokenIndex),
                                           (encoding == .absolute ? "kallsyms_addresses" : "kallsyms_offsets", addressBytes),
                                           ("kallsyms_relative_base", int(relativeBase, 8))]
        var regions: [UInt64: [UInt8]] = [:]
        var text = "OSRELEASE=6.1.0\n"
        for (name, bytes) in arrays where ![.absolute, .placeRelative].contains(encoding) || name != "kallsyms_relative_base" {
            regions[placeOf(name)] = bytes + [UInt8](repeating: 0, count: 4096 - bytes.count % 4096)
            text += "SYMBOL(\(name))=\(String(placeOf(name), radix: 16))\n"
        }
        for name in vmcoreSymbols {
            let address = list.first { $0.name == name }!.address
            text += "SYMBOL(\(name))=\(String(address, radix: 16))\n"
        }
        let info = VmcoreInfo(text: text + extraInfo)
        return Image(info: info, locations: KallsymsLocations(info)!, regions: regions)
    }

    static func expectAllDecoded(_ index: SymbolIndex, _ list: [(type: Character, name: String, address: UInt64)]) {
        #expect(index.count == list.count)
        let decoded = index.all
        for (i, symbol) in list.enumerated() {
            #expect(decoded[i].name == symbol.name && decoded[i].address == symbol.address, "symbol \(i)")
            #expect(Character(UnicodeScalar(index.type(at: i))) == symbol.type, "type of \(symbol.name)")
        }
    }

    @Test(arguments: [Encoding.relative, .absolutePercpu, .absolute, .placeRelative], [false, true])
    func everyNameTypeAndAddressDecodes(encoding: Encoding, bigEndian: Bool) throws {
        let list = Self.symbols()
        let index = try Self.image(encoding, bigEndian: bigEndian).decode(order: bigEndian ? .big : .little)
        Self.expectAllDecoded(index, list)
        for symbol in list { #expect(index[symbol.name] == symbol.address, "\(symbol.name) by its name") }
        #expect(index["sym_7"] == Self.base + 0x1000 + 7 * 0x40)
        #expect(index["runqueues"] == 0x2_fe00)
        #expect(index[String(repeating: "q", count: 300)] == Self.base + 0x20_3000, "a count over 127 takes two bytes")
        #expect(index["no_such_symbol"] == nil)
        #expect(index.size(of: "sym_7") == 0x40)
    }

    /// Under the relative encoding with most offsets at or above 2 GiB, the
    /// sign heuristic tries absolute per-CPU first; VMCOREINFO must refute it.
    @Test func vmcoreinfoDecidesBetweenTheTwoOffsetEncodings() throws {
        let low: UInt64 = 0xffff_ffff_0000_0000
        let list = Self.symbols(above: low + 0x8000_0000).filter { $0.name != "runqueues" }
        let index = try Self.image(.relative, symbols: list, relativeBase: low).decode()
        Self.expectAllDecoded(index, list)
    }

    /// Lookups hash one group of names (their first two bytes) at a time:
    /// a name is found in table order among same-named symbols, and not
    /// confused with a name of its group or a neighbouring one.
    @Test func aNameIsFoundInItsGroupInTableOrder() throws {
        var list = Self.symbols()
        let top = Self.base + 0x30_0000
        list += [("t", "dup", top), ("t", "du", top + 0x40), ("t", "dup", top + 0x80), ("b", "dv", top + 0xc0),
                 ("T", "d", top + 0x100), ("b", "Dup", top + 0x140)]
        let index = try Self.image(.relative, symbols: list).decode()
        #expect(index["dup"] == top, "the first of two")
        #expect(index["du"] == top + 0x40)
        #expect(index["dv"] == top + 0xc0)
        #expect(index["d"] == top + 0x100)
        #expect(index["Dup"] == top + 0x140)
        #expect(index["dupe"] == nil)
        #expect(index["dw"] == nil)
        #expect(index[""] == nil)
    }

    /// `SYMBOL(mem_section)` is a pointer value, not the symbol's address: one
    /// disagreement among agreeing symbols is no reason to refuse the table.
    @Test func oneDisagreeingSymbolIsTolerated() throws {
        var list = Self.symbols()
        list.append(("B", "mem_section", Self.base + 0x30_0000))
        let image = Self.image(.relative, symbols: list, extraInfo: "SYMBOL(mem_section)=ffff888003fd8000\n")
        #expect(try image.decode()["mem_section"] == Self.base + 0x30_0000)
    }

    @Test func aTableVmcoreinfoContradictsIsRefused() {
        let image = Self.image(.relative, relativeBase: Self.base, vmcoreSymbols: [],
                               extraInfo: "SYMBOL(init_top_pgt)=ffffffff82000000\nSYMBOL(swapper_pg_dir)=ffffffff82001000\n")
        #expect(throws: KallsymsError.self) { try image.decode() }
    }

    @Test func tooFewSymbolsToCheckIsRefused() {
        let image = Self.image(.relative, vmcoreSymbols: ["init_top_pgt"])
        #expect(throws: KallsymsError.self) { try image.decode() }
    }

    /// A page of the offsets missing from the dump would give its symbols
    /// made-up addresses; the table is refused instead.
    @Test func offsetsCutShortAreRefused() {
        var image = Self.image(.relative)
        let offsets = image.locations.offsets!
        image.regions[offsets] = Array(image.regions[offsets]!.prefix(4096))
        #expect(throws: KallsymsError.self) { try image.decode() }
    }

    @Test func namesRunningOutOfTheDumpAreRefused() {
        var image = Self.image(.relative)
        let names = image.locations.names
        image.regions[names] = Array(image.regions[names]!.prefix(4096))
        #expect(throws: KallsymsError.self) { try image.decode() }
    }

    @Test func aCorruptCountIsRefused() {
        var image = Self.image(.relative)
        image.regions[image.locations.numSyms]![0..<4] = [0xff, 0xff, 0xff, 0x7f]
        #expect(throws: KallsymsError.self) { try image.decode() }
    }
}
