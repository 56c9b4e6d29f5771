import PageTables

/// Readers for the kernel's own ptdump tables, found by symbol in the dump's
/// memory. A kernel built with ptdump (PTDUMP_DEBUGFS or DEBUG_WX) carries its
/// marker list, its attribute table and its walk bounds as data; reading them
/// keeps kptdump right on versions and configurations it was never shown.
/// Each reader validates what it reads and returns nil when the data does not
/// have the expected shape, so the caller falls back to a computed table.
extension KernelSession {
    /// An `addr_marker[]` array ending with `{ -1, NULL }`: `{ unsigned long
    /// start; const char *name; }` on arm64 and riscv (stride 16), with `unsigned
    /// long max_lines` after them on x86 (stride 24).
    func readMarkerArray(at va: UInt64, stride: Int, hasMaxLines: Bool, name: String,
                         sizeHint: UInt64? = nil) throws(DumpError) -> MarkerTable? {
        let limit = sizeHint.map { Int(min($0, 4096)) / stride } ?? 32
        guard limit > 1 else { return nil }
        var markers: [AddressMarker] = []
        for i in 0..<limit {
            // Entry by entry, up to the terminator: a size from the next symbol
            // (System.map) runs past the array, maybe into a page a filtered
            // dump left out.
            let bytes = try readKernelImage(va + UInt64(i * stride), count: stride, name: name)
            guard let start = decodeInteger(bytes, at: 0, size: 8, order: byteOrder),
                  let namePointer = decodeInteger(bytes, at: 8, size: 8, order: byteOrder) else { return nil }
            let maxLines = hasMaxLines ? decodeInteger(bytes, at: 16, size: 8, order: byteOrder) ?? 0 : 0
            if namePointer == 0 {
                return start == .max && !markers.isEmpty ? MarkerTable(markers) : nil
            }
            guard let text = readCString(namePointer), !text.isEmpty, maxLines < 1 << 20 else { return nil }
            markers.append(AddressMarker(start: start, name: text, maxLines: Int(maxLines)))
        }
        return nil
    }

    /// The head of a `ptdump_info` (arm64: `{ mm, markers, base_addr }`) or
    /// `ptd_mm_info` (riscv: `{ mm, markers, base_addr, end }`).
    struct PtdumpInfo {
        var mm: UInt64
        var markers: UInt64
        var baseAddress: UInt64
        var end: UInt64?
    }

    func readPtdumpInfo(_ symbol: String, hasEnd: Bool) -> PtdumpInfo? {
        guard let va = symbols[symbol],
              let bytes = try? readKernelImage(va, count: hasEnd ? 32 : 24, name: symbol),
              let mm = decodeInteger(bytes, at: 0, size: 8, order: byteOrder),
              let markers = decodeInteger(bytes, at: 8, size: 8, order: byteOrder),
              let base = decodeInteger(bytes, at: 16, size: 8, order: byteOrder) else { return nil }
        let end = hasEnd ? decodeInteger(bytes, at: 24, size: 8, order: byteOrder) : nil
        return PtdumpInfo(mm: mm, markers: markers, baseAddress: base, end: end)
    }

    /// A `prot_bits[]` table of `{ u64 mask; u64 val; const char *set; const
    /// char *clear; }` rows (arm64 in every version, riscv before 6.7). The
    /// row count comes from the symbol's size; without it nothing is guessed.
    func readProtectionTable(_ symbol: String) -> ProtectionTable? {
        // A size from the next symbol's address (System.map, kallsyms) takes in
        // what follows the array: KASAN's 32-byte redzone after arm64 6.12's
        // pte_bits (0x220 bytes for 0x200; a KASAN vmlinux's st_size counts the
        // redzone too, 5.10's says 544), and on 6.1 that redzone and then the
        // address markers' names, string literals KASAN moved into .data (0x5a0
        // bytes for 0x200). No prot_bits array has a row of zeros (mask 0 would
        // match nothing), so the first such row ends it. Without one the size
        // must be whole rows, at most 64.
        // Rows are read one by one up to that end: the padding may run into a
        // page a filtered dump left out.
        guard let va = symbols[symbol], let size = symbols.size(of: symbol), size >= 32 else { return nil }
        let rowsInSize = Int(min(size / 32, 64))
        var bytes: [UInt8] = []
        var endedByZeroRow = false
        for i in 0..<rowsInSize {
            guard let row = try? readKernelImage(va + UInt64(i * 32), count: 32, name: symbol) else { return nil }
            if row.allSatisfy({ $0 == 0 }) { endedByZeroRow = true; break }
            bytes += row
        }
        guard endedByZeroRow || (size % 32 == 0 && size <= 64 * 32) else { return nil }
        let rowCount = bytes.count / 32
        guard rowCount >= 1 else { return nil }
        var rows: [ProtectionBit] = []
        for i in 0..<rowCount {
            guard let mask = decodeInteger(bytes, at: i * 32, size: 8, order: byteOrder),
                  let value = decodeInteger(bytes, at: i * 32 + 8, size: 8, order: byteOrder),
                  let setPointer = decodeInteger(bytes, at: i * 32 + 16, size: 8, order: byteOrder),
                  let clearPointer = decodeInteger(bytes, at: i * 32 + 24, size: 8, order: byteOrder),
                  mask != 0, value & ~mask == 0 else { return nil }
            var set: String? = nil
            var clear: String? = nil
            if setPointer != 0 {
                guard let s = readCString(setPointer, limit: 32) else { return nil }
                set = s
            }
            if clearPointer != 0 {
                guard let s = readCString(clearPointer, limit: 32) else { return nil }
                clear = s
            }
            rows.append(ProtectionBit(mask: mask, value: value, set: set, clear: clear))
        }
        return ProtectionTable(rows)
    }

    /// `mm_struct.pgd` of the mm at `mmVA`. The field's offset is found in
    /// `init_mm`, whose `pgd` holds the address of `swapper_pg_dir`: no
    /// structure layout is assumed.
    func mmPGD(_ mmVA: UInt64, name: String, swapperVA: UInt64) throws(DumpError) -> UInt64 {
        guard let initMM = symbols["init_mm"] else {
            throw .missingSymbol(name: "init_mm", source: symbols.sources.joined(separator: ", "))
        }
        let window = 1024
        let initBytes = try readKernelImage(initMM, count: window, name: "init_mm")
        guard let offset = Swift.stride(from: 0, to: window, by: 8).first(where: {
            decodeInteger(initBytes, at: $0, size: 8, order: byteOrder) == swapperVA
        }) else {
            throw .noTable(name: name, reason: "could not locate mm_struct.pgd in init_mm")
        }
        let bytes = try readKernelImage(mmVA + UInt64(offset), count: 8, name: "\(name).pgd")
        return decodeInteger(bytes, at: 0, size: 8, order: byteOrder) ?? 0
    }
}
