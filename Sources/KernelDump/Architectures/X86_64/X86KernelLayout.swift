import PageTables

/// The x86-64 facts one kernel's ptdump depends on, each read from the dump or
/// its symbols, with where it came from.
public struct X86KernelLayout: KernelLayout {
    public var fiveLevel: Bool
    public var fiveLevelSource: String
    public var smeMask: UInt64
    public var ptiConfigured: Bool
    public var pageOffsetBase: UInt64
    public var vmallocBase: UInt64
    public var vmemmapBase: UInt64
    public var basesSource: String
    public var kernelImageSize: UInt64
    public var markers: MarkerTable
    public var markersSource: String
    public var kasan: KasanEarlyShadow?
    public var initTopPgt: PhysicalAddress
    /// Whether user swap entries have the layout we decode, and why we think so.
    public var swapLayoutKnown = true
    public var swapLayoutSource = ""
    /// `_PAGE_DEVMAP` for this release (0: none).
    public var devmap: UInt64 = 1 << 58

    static let startKernelMap: UInt64 = 0xffff_ffff_8000_0000

    public var paging: X86_64Paging {
        var paging = X86_64Paging(fiveLevel: fiveLevel, encryptionMask: smeMask, ptiConfigured: ptiConfigured)
        paging.swapLayoutKnown = swapLayoutKnown
        paging.devmap = devmap
        return paging
    }

    /// `ptdump_ranges[]` of dump_pagetables.c: the lower half, then from the end
    /// of the guard hole to the top.
    public var walkRanges: [WalkRange] {
        let pgdirShift: UInt64 = fiveLevel ? 48 : 39
        let lowerEnd: UInt64 = fiveLevel ? 1 << 56 : 1 << 47
        let guardHoleBase = (0 &- UInt64(256)) << pgdirShift
        let guardHoleEnd = guardHoleBase &+ (16 << pgdirShift)
        return [WalkRange(0, lowerEnd), WalkRange(guardHoleEnd, .max)]
    }

    /// Reads the layout of the kernel in `session`.
    public static func read(_ session: KernelSession) throws(DumpError) -> X86KernelLayout {
        let info = session.vmcoreinfo
        let symbols = session.symbols

        guard let initTopVA = symbols["init_top_pgt"] ?? symbols["swapper_pg_dir"] else {
            throw .missingSymbol(name: "init_top_pgt", source: symbols.sources.joined(separator: ", "))
        }
        guard let initTop = session.kernelImagePhysical(initTopVA) else {
            throw .badVmcoreinfo(path: session.path, field: "NUMBER(phys_base)", value: info?["NUMBER(phys_base)"] ?? "missing")
        }

        var fiveLevel = false
        var fiveLevelSource = "default (no VMCOREINFO, no __pgtable_l5_enabled, no CR4)"
        if let n = info?.number("pgtable_l5_enabled") {
            fiveLevel = n != 0
            fiveLevelSource = "VMCOREINFO NUMBER(pgtable_l5_enabled)"
        } else if let v = try session.readVariable("__pgtable_l5_enabled", size: 4) {
            fiveLevel = v != 0
            fiveLevelSource = "__pgtable_l5_enabled"
        } else if let cr4 = session.cpus.first?.cr4 {
            fiveLevel = cr4 & (1 << 12) != 0
            fiveLevelSource = "CR4.LA57 of CPU 0"
        } else {
            session.warn("paging mode unknown; assuming 4-level")
        }

        var sme: UInt64 = 0
        if let n = info?.number("sme_mask") { sme = n } else if let v = try session.readVariable("sme_me_mask") { sme = v }
        // pgd_bad/p4d_bad ignore NX only with CONFIG_PAGE_TABLE_ISOLATION; without a
        // full symbol table assume it (every distribution kernel has it).
        let pti = symbols.hasFullTable ? symbols["pti_init"] != nil || symbols["pti_check_boottime_disable"] != nil : true

        var pageOffset = fiveLevel ? 0xff11_0000_0000_0000 : 0xffff_8880_0000_0000 as UInt64
        var vmalloc = fiveLevel ? 0xffa0_0000_0000_0000 : 0xffff_c900_0000_0000 as UInt64
        var vmemmap = fiveLevel ? 0xffd4_0000_0000_0000 : 0xffff_ea00_0000_0000 as UInt64
        var basesSource = "compile-time defaults"
        if let p = try session.readVariable("page_offset_base") {
            pageOffset = p
            vmalloc = try session.readVariable("vmalloc_base") ?? vmalloc
            vmemmap = try session.readVariable("vmemmap_base") ?? vmemmap
            basesSource = "kernel variables page_offset_base, vmalloc_base, vmemmap_base"
        } else if symbols.hasFullTable {
            basesSource = "compile-time defaults (kernel has no page_offset_base: no CONFIG_DYNAMIC_MEMORY_LAYOUT)"
        } else {
            session.warn("page_offset_base, vmalloc_base and vmemmap_base unknown without vmlinux or System.map; using the non-KASLR defaults")
        }
        let imageSize = info?.number("KERNEL_IMAGE_SIZE") ?? (512 << 20)

        var layout = X86KernelLayout(
            fiveLevel: fiveLevel, fiveLevelSource: fiveLevelSource, smeMask: sme, ptiConfigured: pti,
            pageOffsetBase: pageOffset, vmallocBase: vmalloc, vmemmapBase: vmemmap, basesSource: basesSource,
            kernelImageSize: imageSize, markers: MarkerTable([]), markersSource: "", kasan: nil, initTopPgt: initTop)
        if let table = try readMarkerTable(session) {
            layout.markers = table
            layout.markersSource = "the kernel's address_markers[] in memory"
        } else {
            layout.markers = computedMarkers(session, layout: layout)
            layout.markersSource = "computed from symbols and VMCOREINFO"
        }
        layout.kasan = try session.kasanEarlyShadow()
        (layout.swapLayoutKnown, layout.swapLayoutSource) = swapLayout(session)
        layout.devmap = X86_64Paging.devmapBit(release: info?.osRelease)
        return layout
    }

    /// Whether swap PTEs have the layout L1TF's mitigation gave them in 4.18
    /// (type in the top 5 bits, the offset inverted below). Stable and vendor
    /// kernels older than 4.18 received it with the rest of the L1TF work,
    /// whose `l1tf_mitigation` (arch/x86/kernel/cpu/bugs.c, built on every
    /// x86 kernel) tells them apart from those that did not.
    static func swapLayout(_ session: KernelSession) -> (Bool, String) {
        swapLayout(release: session.vmcoreinfo?.osRelease) { session.symbols["l1tf_mitigation"] != nil }
    }

    /// The same, from the release and (asked only before 4.18, so that a
    /// snapshot keeps the symbol only where it matters) the symbol.
    static func swapLayout(release: String?, hasL1TFSymbol: () -> Bool) -> (Bool, String) {
        if let release, let version = KernelVersion(release: release), version >= KernelVersion(4, 18) {
            return (true, "L1TF layout (release \(release))")
        }
        if hasL1TFSymbol() {
            return (true, "L1TF layout (release \(release ?? "unknown"), l1tf_mitigation in the symbols)")
        }
        return (false, "not decoded: release \(release ?? "unknown") before 4.18 and no l1tf_mitigation symbol")
    }

    /// The kernel's own `address_markers[]` (arch/x86/mm/dump_pagetables.c),
    /// present whenever the kernel has ptdump core (PTDUMP_DEBUGFS or DEBUG_WX).
    /// Each entry is `{ unsigned long start; const char *name; unsigned long
    /// max_lines; }`, ending with `{ -1, NULL }`.
    static func readMarkerTable(_ session: KernelSession) throws(DumpError) -> MarkerTable? {
        guard let symbol = session.symbols.staticVariable("address_markers") else { return nil }
        return try session.readMarkerArray(at: symbol.address, stride: 24, hasMaxLines: true, name: symbol.name,
                                           sizeHint: session.symbols.size(of: symbol.name))
    }

    /// The marker list of Linux 6.1's dump_pagetables.c, with each optional
    /// marker kept only when the kernel has the feature, judged by its symbols.
    static func computedMarkers(_ session: KernelSession, layout: X86KernelLayout) -> MarkerTable {
        let s = session.symbols
        let pgdirShift: UInt64 = layout.fiveLevel ? 48 : 39
        var m: [AddressMarker] = [
            AddressMarker(start: 0, name: "User Space"),
            AddressMarker(start: 1 << 63, name: "Kernel Space"),
        ]
        if s["map_ldt_struct"] != nil || s["__x64_sys_modify_ldt"] != nil {
            m.append(AddressMarker(start: (0 &- UInt64(240)) << pgdirShift, name: "LDT remap"))
        }
        m.append(AddressMarker(start: layout.pageOffsetBase, name: "Low Kernel Mapping"))
        m.append(AddressMarker(start: layout.vmallocBase, name: "vmalloc() Area"))
        m.append(AddressMarker(start: layout.vmemmapBase, name: "Vmemmap"))
        if s["kasan_early_shadow_pte"] != nil {
            // KASAN_SHADOW_START/END for the default CONFIG_KASAN_SHADOW_OFFSET.
            let offset: UInt64 = 0xdfff_fc00_0000_0000
            let virtualShift: UInt64 = layout.fiveLevel ? 56 : 47
            let start = offset &+ ((UInt64.max << virtualShift) >> 3)
            m.append(AddressMarker(start: start, name: "KASAN shadow"))
            m.append(AddressMarker(start: start &+ (1 << (virtualShift - 3 + 1)), name: "KASAN shadow end"))
        }
        m.append(AddressMarker(start: 0xffff_fe00_0000_0000, name: "CPU entry Area"))
        m.append(AddressMarker(start: 0xffff_ff00_0000_0000, name: "ESPfix Area", maxLines: 16))
        if s["efi_mm"] != nil || !s.hasFullTable {
            m.append(AddressMarker(start: 0 &- (68 << 30), name: "EFI Runtime Services"))
        }
        m.append(AddressMarker(start: startKernelMap, name: "High Kernel Mapping"))
        m.append(AddressMarker(start: startKernelMap &+ layout.kernelImageSize, name: "Modules"))
        m.append(AddressMarker(start: 0xffff_ffff_ff00_0000, name: "End Modules"))
        let fixaddrTop: UInt64 = 0xffff_ffff_ff7f_f000
        session.warn("the Fixmap marker's address depends on the kernel's fixmap size, unknown without address_markers; estimated")
        m.append(AddressMarker(start: fixaddrTop - (0x1000 * 512), name: "Fixmap Area"))
        return MarkerTable(m)
    }

    /// The facts `--verbose` and `info` print: what was detected and from where.
    public func describe(_ session: KernelSession) -> [(String, String)] {
        let layout = self
        var rows = describeRows(session, architecture: "x86_64", paging: [
            ("paging", (layout.fiveLevel ? "5-level" : "4-level") + " (from \(layout.fiveLevelSource))"),
        ], details: [
            ("KERNELOFFSET", hex(session.vmcoreinfo?.kernelOffset ?? 0)),
            ("phys_base", session.physBase.map(hex) ?? "unknown"),
            ("page_offset_base", hex(layout.pageOffsetBase)),
            ("vmalloc_base", hex(layout.vmallocBase)),
            ("vmemmap_base", hex(layout.vmemmapBase)),
            ("bases from", layout.basesSource),
            ("markers from", layout.markersSource),
            ("init_top_pgt", layout.initTopPgt.description),
            ("KASAN", session.kasanDescription(layout.kasan)),
            ("swap PTEs", layout.swapLayoutSource),
            ("CPUs with CR3", String(session.cpus.count)),
        ])
        for cpu in session.cpus { rows.append(("CPU \(cpu.index) CR3", hex(cpu.cr3))) }
        return rows
    }
}
