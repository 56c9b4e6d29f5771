import PageTables

/// The s390x facts one kernel's ptdump depends on, read from the dump: the
/// top table's type from `swapper_pg_dir`'s first entry (as `pgd_offset_raw()`
/// reads it), the walk's end (`max_addr`), the kernel's own sorted marker list
/// (`markers[]`, built at boot by pt_dump_init()), and whether the first
/// lowcore page may be W+X (the BEAR facility, expolines).
public struct S390xKernelLayout: KernelLayout {
    public var paging: S390xPaging
    public var markers: MarkerTable
    public var markersSource: String
    public var maxAddress: UInt64
    public var maxAddressSource: String
    public var lowcoreSource: String
    public var swapper: PhysicalAddress

    public static func read(_ session: KernelSession) throws(DumpError) -> S390xKernelLayout {
        let swapperVA = try requireSymbol(session, "swapper_pg_dir")
        guard let root = session.kernelImagePhysical(swapperVA) else {
            throw .noTable(name: "kernel", reason: "s390x: swapper_pg_dir's physical address is unknown")
        }
        let first = try session.readKernelImage(swapperVA, count: 8, name: "swapper_pg_dir")
        let type = (decodeInteger(first, at: 0, size: 8, order: .big) ?? 0) & S390xPaging.typeMask
        guard let top = S390xPaging.Top(rawValue: Int(type >> 2)) else {
            throw .noTable(name: "kernel", reason: "s390x: swapper_pg_dir is a segment table (a 2G address space), which kptdump does not walk")
        }

        var maxAddress: UInt64 = top.spanBits.map { 1 << UInt64($0) } ?? 0
        var maxAddressSource = "the top table's type"
        if let value = try? session.readVariable("max_addr"), value != 0, value & (value - 1) == 0 {
            maxAddress = value
            maxAddressSource = "the kernel's max_addr"
        } else {
            session.warn("s390x: the kernel's max_addr is not readable: the walk ends where the top table's span does (\(hex16(maxAddress)))")
        }

        // The BEAR facility, and expolines (their thunks in the symbols) unless
        // nospec_disable: without the first or with the second, the kernel's
        // check lets the first lowcore page be W+X and says "unexpected".
        // 6.x keeps the facility in `cpu_has_bear`; 7.x tests facility 193
        // (BEAR enhancement, Principles of Operation) in `stfle_fac_list`,
        // numbered from the first byte's top bit.
        var lowcoreMayBeWX = true
        var lowcoreSource = "assumed (neither cpu_has_bear nor stfle_fac_list readable)"
        var bear: UInt64?
        var bearSource = ""
        if let value = try? session.readVariable("cpu_has_bear", size: 4) {
            (bear, bearSource) = (value, "cpu_has_bear=\(value)")
        } else if let list = session.symbols["stfle_fac_list"],
                  let byte = try? session.readKernelImage(list &+ 193 / 8, count: 1, name: "stfle_fac_list") {
            let has: UInt64 = byte[0] & (0x80 >> (193 % 8)) != 0 ? 1 : 0
            (bear, bearSource) = (has, "facility 193 (BEAR) \(has == 1 ? "installed" : "not installed")")
        }
        if let bear {
            let expolines = session.symbols["__s390_indirect_jump_r14"] != nil
                && ((try? session.readVariable("nospec_disable", size: 4)) ?? 0) == 0
            lowcoreMayBeWX = bear == 0 || expolines
            lowcoreSource = "\(bearSource), expolines \(expolines ? "in use" : "not in use")"
        } else {
            session.warn("s390x: neither cpu_has_bear nor stfle_fac_list is readable: check-wx assumes the first lowcore page may be W+X")
        }
        var paging = S390xPaging(top: top, lowcoreMayBeWX: lowcoreMayBeWX)
        paging.swapPTEFormat = S390xPaging.swapPTEFormat(release: session.vmcoreinfo?.osRelease ?? "")

        var markers = MarkerTable([AddressMarker(start: 0, name: "Kernel Virtual Address Space")])
        var markersSource = "none found"
        if let table = readMarkers(session, paging: paging, root: root) {
            markers = table
            markersSource = "the kernel's markers[] in memory"
        } else {
            session.warn("the kernel's markers[] is not readable (no ptdump in this kernel?): one marker")
        }
        return S390xKernelLayout(paging: paging, markers: markers, markersSource: markersSource, maxAddress: maxAddress,
                                 maxAddressSource: maxAddressSource, lowcoreSource: lowcoreSource, swapper: root)
    }

    /// `markers` (kvrealloc'd: a pointer) and `markers_cnt`: rows of `{ int
    /// is_start; unsigned long start_address; unsigned long size; const char
    /// *name; }` (32 bytes), row 0 the `add_marker(0, -1UL, NULL)` start, the
    /// rest sorted; the kernel prints row 0 as the listing's header. The array
    /// may be kmalloc'd or vmalloc'd, so it is read through the kernel's own
    /// tables, page by page.
    static func readMarkers(_ session: KernelSession, paging: S390xPaging, root: PhysicalAddress) -> MarkerTable? {
        guard let pointer = try? session.readVariable("markers"), pointer != 0,
              let count = try? session.readVariable("markers_cnt", size: 4), count >= 2, count <= 256 else { return nil }
        let spec = TableSpec(name: "kernel", root: root, ranges: [], architecture: paging,
                             markers: MarkerTable([AddressMarker(start: 0, name: "")]), kasan: nil, origin: "swapper_pg_dir",
                             format: S390xListingFormat(levelNames: paging.levelNames), markerAdvance: .untilCurrentFromFirst)
        guard let bytes = try? KernelVirtualReader(spec: spec, session: session)
            .read(pointer, count: Int(count) * 32, what: "markers") else { return nil }
        var list = [AddressMarker(start: 0, name: "Kernel Virtual Address Space")]
        for i in 1..<Int(count) {
            let at = i * 32
            guard let isStart = decodeInteger(bytes, at: at, size: 4, order: .big),
                  let start = decodeInteger(bytes, at: at + 8, size: 8, order: .big),
                  let name = decodeInteger(bytes, at: at + 24, size: 8, order: .big) else { return nil }
            if name == 0 { continue }   // the End of row 0's (0, -1UL) pair
            guard let text = session.readCString(name, limit: 64), !text.isEmpty,
                  list.last.map({ start >= $0.start }) ?? true else { return nil }
            list.append(AddressMarker(start: start, name: "\(text) \(isStart != 0 ? "Start" : "End")"))
        }
        return MarkerTable(list)
    }

    var format: S390xListingFormat { S390xListingFormat(levelNames: paging.levelNames) }

    public func table(_ choice: TableChoice, session: KernelSession, cpu: Int) throws(DumpError) -> TableSpec? {
        guard choice == .kernel else {
            throw .noTable(name: choice.rawValue, reason: "s390x has kernel_page_tables only")
        }
        var spec = TableSpec(name: "kernel", root: swapper, ranges: [WalkRange(0, maxAddress)], architecture: paging,
                             markers: markers, kasan: nil, origin: "init_mm: swapper_pg_dir at physical \(swapper)",
                             format: format, markerAdvance: .untilCurrentFromFirst)
        // The final flush ends the last range at max_addr.
        spec.finalAddress = maxAddress
        return spec
    }

    /// `ptdump_check_wx()` walks the same range under one marker.
    public func wxCheckTables(_ session: KernelSession) throws(DumpError) -> [(preface: String?, spec: TableSpec)] {
        [(nil, try kernelTableUnderOneMarker(session))]
    }

    /// A process's table (its own ASCE's, in the primary space): its top
    /// table's type is in the first entry, as for swapper_pg_dir (an exec'd
    /// mm starts as region-third, 4TB, and grows a level when mapped above),
    /// and user space is what that table spans (`mm->context.asce_limit`).
    public func processTable(root: PhysicalAddress, session: KernelSession) throws(DumpError) -> TableSpec {
        let kernel = try kernelTable(session)
        let first: [UInt8]
        do { first = try session.memory.read(root, count: 8) } catch {
            throw .noTable(name: "process", reason: "s390x: the process's top table at \(root) is not in the dump (\(error))")
        }
        let type = (decodeInteger(first, at: 0, size: 8, order: .big) ?? 0) & S390xPaging.typeMask
        guard let top = S390xPaging.Top(rawValue: Int(type >> 2)) else {
            throw .noTable(name: "process", reason: "s390x: the process's top table at \(root) is a segment table (a 2G address space), which kptdump does not walk")
        }
        var paging = S390xPaging(top: top, lowcoreMayBeWX: false)
        paging.swapPTEFormat = self.paging.swapPTEFormat
        var spec = kernel.userSpace(root: root, taskSize: top.walkEnd)
        spec.architecture = paging
        spec.format = S390xListingFormat(levelNames: paging.levelNames)
        return spec
    }

    public func describe(_ session: KernelSession) -> [(String, String)] {
        describeRows(session, architecture: "s390x", paging: [
            ("paging", "top table \(paging.top) (swapper_pg_dir's first entry), walk to \(hex16(maxAddress)) (\(maxAddressSource))"),
        ], details: [
            ("image", session.imagePlacement?.source ?? "unknown"),
            ("markers from", markersSource),
            ("lowcore W+X", "\(paging.lowcoreMayBeWX ? "expected" : "not expected") (\(lowcoreSource))"),
            ("swapper_pg_dir", swapper.description),
        ])
    }
}
