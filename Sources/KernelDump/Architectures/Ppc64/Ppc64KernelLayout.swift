import PageTables

/// The ppc64 (Book3S, 64-bit) facts one kernel's ptdump depends on, read from
/// the kernel's memory: the index widths radix or hash set at boot, and, where
/// the kernel was built with ptdump, its own walk bounds (`ptdump_range[]`),
/// markers (`address_markers[]`) and flag table (`pg_level[]`).
public struct Ppc64KernelLayout: KernelLayout {
    public var paging: Ppc64Paging
    public var mmuSource: String
    public var format: Ppc64ListingFormat
    public var flagsSource: String
    public var markers: MarkerTable
    public var markersSource: String
    public var walkRange: WalkRange
    public var swapper: PhysicalAddress

    /// `PAGE_OFFSET` of Book3S 64: the linear map, kernel image included.
    static let pageOffset: UInt64 = 0xc000_0000_0000_0000

    public static func read(_ session: KernelSession) throws(DumpError) -> Ppc64KernelLayout {
        let swapperVA = try requireSymbol(session, "swapper_pg_dir")
        guard let pageSize = session.vmcoreinfo?.pageSize ?? session.snapshotFacts?.number("PAGESIZE"),
              pageSize == 1 << 12 || pageSize == 1 << 16 else {
            throw .noTable(name: "kernel", reason: "ppc64: the page size is not in VMCOREINFO")
        }
        let pageShift = pageSize.trailingZeroBitCount
        var bits: [Int] = []
        for name in ["__pgd_index_size", "__pud_index_size", "__pmd_index_size", "__pte_index_size"] {
            guard let value = try session.readVariable(name), value > 0, value <= 16 else {
                throw .noTable(name: "kernel", reason: "ppc64: \(name), the index width the MMU set at boot, is not readable")
            }
            bits.append(Int(value))
        }
        var (flagTables, levelNames, flagsSource) = (Array(repeating: Ppc64ListingFormat.builtInFlags(pageShift: pageShift), count: 5),
                                                      [String]?.none, "built-in table (Linux 6.12's book3s64.c, no level names)")
        if let read = readFlags(session) {
            (flagTables, levelNames, flagsSource) = read
        } else {
            session.warn("ppc64: the kernel's pg_level[] is not readable: flag words from Linux 6.12's table, no level names (later kernels print them)")
        }
        let mask = flagTables[TableLevel.pte.rawValue].reduce(0) { $0 | $1.mask }

        // The walk: ptdump_init() starts it at PAGE_OFFSET under radix and at
        // KERN_VIRT_START under hash; without the kernel's array, radix is
        // told by its PGD of 2^13 entries (RADIX_PGD_INDEX_SIZE; hash's is 8 or 9).
        var mmu: Ppc64Paging.MMU = bits[0] == 13 ? .radix : .hash
        var mmuSource = "__pgd_index_size=\(bits[0]) (radix's is 13)"
        let probe = Ppc64Paging(mmu: mmu, pageShift: pageShift, indexBits: (bits[0], bits[1], bits[2], bits[3]), protectionMask: mask)
        let end = pageOffset &+ (1 << UInt64(probe.spanBits))
        var range = WalkRange(mmu == .radix ? pageOffset : (try session.readVariable("__kernel_virt_start") ?? pageOffset), end)
        if let va = session.symbols["ptdump_range"], let bytes = try? session.readKernelImage(va, count: 16, name: "ptdump_range"),
           let start = decodeInteger(bytes, at: 0, size: 8, order: session.byteOrder),
           let stop = decodeInteger(bytes, at: 8, size: 8, order: session.byteOrder), start >= pageOffset, stop &- 1 >= start {
            range = WalkRange(start, stop)
            mmu = start == pageOffset ? .radix : .hash
            mmuSource = "the kernel's ptdump_range[] starts at \(hex16(start))"
        }
        var paging = Ppc64Paging(mmu: mmu, pageShift: pageShift, indexBits: (bits[0], bits[1], bits[2], bits[3]), protectionMask: mask)
        paging.swapPTEFormat = Ppc64Paging.swapPTEFormat(release: session.vmcoreinfo?.osRelease ?? "", pageShift: pageShift)

        var markers = MarkerTable([AddressMarker(start: range.start, name: "Start of kernel VM")])
        var markersSource = "none found"
        if let va = session.symbols["address_markers"],
           let table = try? session.readMarkerArray(at: va, stride: 16, hasMaxLines: false, name: "address_markers"),
           table.markers.first?.start == pageOffset {
            markers = table
            markersSource = "the kernel's address_markers[] in memory"
        } else {
            session.warn("the kernel's address_markers[] is not readable (no ptdump in this kernel?): one marker")
        }
        return Ppc64KernelLayout(
            paging: paging, mmuSource: mmuSource, format: Ppc64ListingFormat(flags: flagTables, rpnMask: paging.rpnMask, levelNames: levelNames),
            flagsSource: flagsSource, markers: markers, markersSource: markersSource, walkRange: range,
            swapper: PhysicalAddress(swapperVA &- pageOffset))
    }

    /// `pg_level[5]` and the `flag_info` rows it points at (`{ u64 mask; u64
    /// val; const char *set; const char *clear; bool is_val; int shift; }`, 40
    /// bytes); nil when the kernel's cannot be read.
    ///
    /// `struct pgtable_level` is `{ const struct flag_info *flag; size_t num;
    /// u64 mask; }` (24 bytes) until powerpc's ptdump learned to print level
    /// names ("powerpc/ptdump: Dump PXX level info for kernel_page_tables"),
    /// which put `char name[4]` after `flag` (32 bytes). The bytes after `flag`
    /// tell the two apart: a name is three capitals and a NUL ("PGD"), while
    /// the older `num` is a small count whose first four bytes are never that.
    static func readFlags(_ session: KernelSession) -> (flags: [[Ppc64Flag]], names: [String]?, source: String)? {
        let order = session.byteOrder
        guard let va = session.symbols["pg_level"],
              let levels = (try? session.readKernelImage(va, count: 5 * 32, name: "pg_level"))
                ?? (try? session.readKernelImage(va, count: 5 * 24, name: "pg_level"))
        else { return nil }
        let names = levelName(levels, at: 8).map { _ in (0..<5).compactMap { levelName(levels, at: $0 * 32 + 8) } }
        guard names == nil || names?.count == 5 else { return nil }
        let stride = names == nil ? 24 : 32
        let numberAt = names == nil ? 8 : 16
        var tables: [[Ppc64Flag]] = []
        for level in 0..<5 {
            guard levels.count >= (level + 1) * stride,
                  let pointer = decodeInteger(levels, at: level * stride, size: 8, order: order),
                  let count = decodeInteger(levels, at: level * stride + numberAt, size: 8, order: order),
                  count > 0, count <= 64,
                  let rows = try? session.readKernelImage(pointer, count: Int(count) * 40, name: "flag_array") else { return nil }
            var table: [Ppc64Flag] = []
            for i in 0..<Int(count) {
                let at = i * 40
                guard let mask = decodeInteger(rows, at: at, size: 8, order: order),
                      let value = decodeInteger(rows, at: at + 8, size: 8, order: order),
                      let setPointer = decodeInteger(rows, at: at + 16, size: 8, order: order),
                      let clearPointer = decodeInteger(rows, at: at + 24, size: 8, order: order),
                      let shift = decodeInteger(rows, at: at + 36, size: 4, order: order), shift < 64 else { return nil }
                let set = setPointer == 0 ? nil : session.readCString(setPointer, limit: 32)
                let clear = clearPointer == 0 ? nil : session.readCString(clearPointer, limit: 32)
                if (setPointer != 0 && set == nil) || (clearPointer != 0 && clear == nil) { return nil }
                table.append(Ppc64Flag(mask: mask, value: value, set: set, clear: clear,
                                       isValue: rows[at + 32] != 0, shift: Int(shift)))
            }
            tables.append(table)
        }
        return (tables, names, "the kernel's pg_level[] in memory" + (names == nil ? "" : ", with level names"))
    }

    /// A `char name[4]` at `offset`: up to three capitals or digits, then NULs.
    static func levelName(_ bytes: [UInt8], at offset: Int) -> String? {
        guard offset + 4 <= bytes.count else { return nil }
        let field = bytes[offset..<offset + 4]
        let text = field.prefix { $0 != 0 }
        guard !text.isEmpty, text.count < 4, field.dropFirst(text.count).allSatisfy({ $0 == 0 }),
              text.allSatisfy({ (0x41...0x5a).contains($0) || (0x30...0x39).contains($0) }) else { return nil }
        return String(decoding: text, as: UTF8.self)
    }

    public func table(_ choice: TableChoice, session: KernelSession, cpu: Int) throws(DumpError) -> TableSpec? {
        guard choice == .kernel else {
            throw .noTable(name: choice.rawValue, reason: "ppc64 has kernel_page_tables only")
        }
        var spec = TableSpec(name: "kernel", root: swapper, ranges: [walkRange], architecture: paging,
                             markers: markers, kasan: nil, origin: "init_mm: swapper_pg_dir at physical \(swapper)",
                             format: format, markerAdvance: .untilCurrentFromFirst)
        // Under hash the linear map (slab: tasks, mm_structs, their PGDs) is
        // bolted into the hashed page table, not in swapper_pg_dir.
        if paging.mmu == .hash && walkRange.start > Self.pageOffset {
            spec.linearMap = LinearMapping(start: Self.pageOffset, end: walkRange.start, physicalStart: 0)
        }
        return spec
    }

    /// `ptdump_check_wx()` walks the same range with one marker.
    public func wxCheckTables(_ session: KernelSession) throws(DumpError) -> [(preface: String?, spec: TableSpec)] {
        [(nil, try kernelTableUnderOneMarker(session))]
    }

    /// A process's table under either MMU: the same tree of the same entry
    /// format as the kernel's, indexed from address 0 (quadrant 0), up to
    /// TASK_SIZE_USER64 (asm/task_size_64.h: 4PB with 64K pages, 64TB with
    /// 4K), or less where the tree spans less.
    public func processTable(root: PhysicalAddress, session: KernelSession) throws(DumpError) -> TableSpec {
        let kernel = try kernelTable(session)
        let taskSizeBits = paging.geometry.pageShift == 16 ? 52 : 46
        return kernel.userSpace(root: root, taskSize: 1 << UInt64(min(taskSizeBits, paging.spanBits)))
    }

    public func describe(_ session: KernelSession) -> [(String, String)] {
        let g = paging.geometry
        let widths = [TableLevel.pgd, .pud, .pmd, .pte].map { String(g[$0].entries.trailingZeroBitCount) }.joined(separator: "/")
        return describeRows(session, architecture: "ppc64 (\(session.byteOrder == .little ? "little" : "big")-endian kernel)", paging: [
            ("paging", "\(paging.mmu.rawValue), \(g.pageSize >> 10)K pages, index bits \(widths) (MMU from \(mmuSource))"),
        ], details: [
            ("walk", "\(hex16(walkRange.start))-\(hex16(walkRange.end))"),
            ("markers from", markersSource),
            ("flags from", flagsSource),
            ("swapper_pg_dir", swapper.description),
        ])
    }
}
