import PageTables

/// Writes a synthetic x86-64 ELF core for benchmarks at scale: a 4-level kernel
/// table whose vmalloc area maps `pteTables` × 512 entries with 4K pages, laid
/// out like vmalloc's allocations (runs of 1 to 64 pages, each followed by a
/// guard page, with a few read-only and executable ones).
///
/// Only the table pages are stored: the walk never reads the pages they map.
/// The file is written as it is generated, so a 10^5-table core (about 400 MB)
/// needs no more memory than a small one. It opens without vmlinux: VMCOREINFO
/// names `init_top_pgt` and the three layout bases, stored in a data page.
public struct ScaleCoreGenerator: Sendable {
    /// How many PTE tables (each 512 entries) the vmalloc area uses.
    public var pteTables: Int

    public init(pteTables: Int) { self.pteTables = pteTables }

    /// What a generated core holds, for the benchmark's report.
    public struct Summary: Sendable {
        public var tablePages: Int
        public var fileBytes: UInt64
        public var mappedPages: UInt64
    }

    // Physical placement: init_top_pgt is the image's page at 0x2000000 (phys_base
    // 0), then the data page, the vmalloc PUD table, the PMD tables and the PTEs.
    static let pgdPhysical: UInt64 = 0x200_0000
    static let pageOffsetBase: UInt64 = 0xffff_8880_0000_0000
    static let vmallocBase: UInt64 = 0xffff_c900_0000_0000
    static let vmemmapBase: UInt64 = 0xffff_ea00_0000_0000
    static let kernelTable: UInt64 = 0x63          // _KERNPG_TABLE: P RW A D
    static let pageKernel: UInt64 = 0x163 | 1 << 63  // P RW A D G NX
    static let pageKernelRO: UInt64 = 0x161 | 1 << 63
    static let pageKernelROX: UInt64 = 0x161
    /// Where the mapped pages' frames start: far above the stored tables, so the
    /// leaves never point at a page of the dump.
    static let firstFrame: UInt64 = 0x1_0000_0000 >> 12

    var pmdTables: Int { (pteTables + 511) / 512 }
    var tablePages: Int { 3 + pmdTables + pteTables }

    /// Writes the core to `path`.
    public func write(to path: String) throws(DumpError) -> Summary {
        guard pteTables >= 1, pteTables <= 512 * 512 else {
            throw .badRequest("the number of PTE tables must be 1 to 262144 (one PUD table's worth)")
        }
        let file = try OutputFile(path: path)
        let size = UInt64(tablePages) * 4096
        let header = SnapshotWriter.header(machine: 62, notes: [vmcoreinfo()],
                                           segments: [(start: Self.pgdPhysical, size: size)])
        try file.write(header)

        let pudPhysical = Self.pgdPhysical + 0x2000
        let pmdPhysical = pudPhysical + 0x1000
        let ptePhysical = pmdPhysical + UInt64(pmdTables) * 0x1000
        var pages = PageBuffer(file: file)

        var pgd = [UInt64](repeating: 0, count: 512)
        pgd[Int((Self.vmallocBase >> 39) & 511)] = pudPhysical | Self.kernelTable
        try pages.append(pgd)
        var data = [UInt64](repeating: 0, count: 512)
        data[0] = Self.pageOffsetBase
        data[1] = Self.vmallocBase
        data[2] = Self.vmemmapBase
        try pages.append(data)
        var pud = [UInt64](repeating: 0, count: 512)
        for i in 0..<pmdTables { pud[i] = (pmdPhysical + UInt64(i) * 0x1000) | Self.kernelTable }
        try pages.append(pud)
        for t in 0..<pmdTables {
            var pmd = [UInt64](repeating: 0, count: 512)
            for i in 0..<512 where t * 512 + i < pteTables {
                pmd[i] = (ptePhysical + UInt64(t * 512 + i) * 0x1000) | Self.kernelTable
            }
            try pages.append(pmd)
        }
        var allocations = AllocationPattern()
        var mapped: UInt64 = 0
        var pte = [UInt64](repeating: 0, count: 512)
        for _ in 0..<pteTables {
            for i in 0..<512 {
                pte[i] = allocations.next()
                if pte[i] != 0 { mapped += 1 }
            }
            try pages.append(pte)
        }
        try pages.flush()
        return Summary(tablePages: tablePages, fileBytes: UInt64(header.count) + size, mappedPages: mapped)
    }

    private func vmcoreinfo() -> ElfFile.Note {
        let data: UInt64 = 0xffff_ffff_8200_1000
        let text = """
            OSRELEASE=synthetic-scale-\(pteTables)
            PAGESIZE=4096
            SYMBOL(init_top_pgt)=ffffffff82000000
            SYMBOL(page_offset_base)=\(String(data, radix: 16))
            SYMBOL(vmalloc_base)=\(String(data + 8, radix: 16))
            SYMBOL(vmemmap_base)=\(String(data + 16, radix: 16))
            NUMBER(phys_base)=0
            NUMBER(pgtable_l5_enabled)=0
            KERNELOFFSET=0
            NUMBER(KERNEL_IMAGE_SIZE)=1073741824

            """
        return ElfFile.Note(name: "VMCOREINFO", type: 0, descriptor: Array(text.utf8))
    }
}

/// vmalloc-like runs: an allocation of 1 to 64 pages, then one guard page. One
/// run in seven is read-only and one in thirteen read-only and executable, as
/// module text would be; frames are consecutive within a run.
struct AllocationPattern {
    private static let sizes = [1, 2, 4, 8, 3, 16, 1, 5, 32, 2, 64, 4, 12]
    private var run = 0
    private var left = 0
    private var frame = ScaleCoreGenerator.firstFrame
    private var bits = ScaleCoreGenerator.pageKernel
    private var guardNext = false

    mutating func next() -> UInt64 {
        if left == 0 {
            if guardNext {
                guardNext = false
                return 0
            }
            run += 1
            left = Self.sizes[run % Self.sizes.count]
            bits = run % 13 == 0 ? ScaleCoreGenerator.pageKernelROX
                : run % 7 == 0 ? ScaleCoreGenerator.pageKernelRO : ScaleCoreGenerator.pageKernel
            // Skip a frame between runs so consecutive runs are not one contiguous range.
            frame += 1
        }
        left -= 1
        if left == 0 { guardNext = true }
        frame += 1
        return frame << 12 | bits
    }
}

/// Collects little-endian table pages and writes them a megabyte at a time.
private struct PageBuffer {
    let file: OutputFile
    private var bytes: [UInt8] = []

    init(file: OutputFile) {
        self.file = file
        bytes.reserveCapacity(1 << 20)
    }

    mutating func append(_ entries: [UInt64]) throws(DumpError) {
        for e in entries {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: e >> UInt64(shift))) }
        }
        if bytes.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws(DumpError) {
        try file.write(bytes)
        bytes.removeAll(keepingCapacity: true)
    }
}
