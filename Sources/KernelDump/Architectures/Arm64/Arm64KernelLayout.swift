import PageTables

/// The arm64 facts one kernel's ptdump depends on, read from VMCOREINFO
/// (arch/arm64/kernel/crash_core.c writes VA_BITS, kimage_voffset, PHYS_OFFSET,
/// TCR_EL1_T1SZ, the region bounds and KERNELOFFSET), the symbols, and the
/// kernel's own ptdump data in memory.
public struct Arm64KernelLayout: KernelLayout {
    public var pageShift: Int
    public var vaBits: Int
    /// `vabits_actual` = 64 - TCR_EL1.T1SZ: fewer than `vaBits` when a 52-bit
    /// kernel runs on a CPU without LVA/LPA2.
    public var actualVABits: Int
    public var kimageVoffset: UInt64
    public var physOffset: UInt64
    public var paging: Arm64Paging
    public var attributes: ProtectionTable
    public var attributesSource: String
    public var markers: MarkerTable
    public var markersSource: String
    public var pageOffset: UInt64
    public var swapper: PhysicalAddress
    public var swapperVA: UInt64
    /// The KASAN early-shadow tables, nil without KASAN.
    public var kasan: KasanEarlyShadow? = nil

    /// Reads the layout of the arm64 kernel in `session`.
    public static func read(_ session: KernelSession) throws(DumpError) -> Arm64KernelLayout {
        guard let info = session.vmcoreinfo else { throw .noVmcoreinfo(path: session.path) }
        func need(_ name: String) throws(DumpError) -> UInt64 {
            guard let v = info.number(name) else {
                throw .badVmcoreinfo(path: session.path, field: "NUMBER(\(name))", value: "missing")
            }
            return v
        }
        let pageSize = info.pageSize ?? 0
        guard [4096, 16384, 65536].contains(pageSize) else {
            throw .badVmcoreinfo(path: session.path, field: "PAGESIZE", value: info["PAGESIZE"] ?? "missing")
        }
        let pageShift = pageSize.trailingZeroBitCount
        let vaBits = Int(try need("VA_BITS"))
        guard (36...52).contains(vaBits) else {
            throw .badVmcoreinfo(path: session.path, field: "NUMBER(VA_BITS)", value: String(vaBits))
        }
        let kimageVoffset = try need("kimage_voffset")
        let physOffset = try need("PHYS_OFFSET")
        var actual = vaBits
        if let t1sz = info.number("TCR_EL1_T1SZ"), (12...39).contains(t1sz) { actual = 64 - Int(t1sz) }
        let (computedPageOffset, pageEnd) = Arm64Paging.linearMap(vaBits: vaBits, pageShift: pageShift)

        let swapperVA = try requireSymbol(session, "swapper_pg_dir")
        let swapper = PhysicalAddress(swapperVA &- kimageVoffset)

        var (attributes, attributesSource) = Arm64Paging.builtInAttributes(release: info.osRelease ?? "")
        if let table = session.readProtectionTable("pte_bits") {
            attributes = table
            attributesSource = "the kernel's pte_bits[] in memory"
        } else {
            session.warn("the kernel's pte_bits[] is not readable (no ptdump in this kernel, or no vmlinux); attributes printed with \(attributesSource)")
        }
        // LPA2 exists from Linux 6.9 with 4K/16K pages; 6.1's 52-bit VA needs 64K.
        let lpa2 = pageShift != 16 && actual == 52
        // A 52-bit 4K kernel (5 levels) on a CPU without LPA2 runs 48-bit with
        // 4 levels: pgtable_l5_enabled() is false, pgd_none() and pgd_bad() are
        // false, and p4d_offset() is pgd_to_folded_p4d(), so swapper_pg_dir is
        // the hardware's 512-entry top table, which note_page() prints as PGD
        // (arch/arm64/include/asm/pgtable.h, with LPA2; checked in 7.3's source).
        let runtimeFolded = Arm64Paging.levels(vaBits: vaBits, pageShift: pageShift)
            > Arm64Paging.levels(vaBits: actual, pageShift: pageShift)
        var paging = Arm64Paging(pageShift: pageShift, vaBits: runtimeFolded ? actual : vaBits, lpa2: lpa2,
                                 protectionMask: attributes.mask)
        paging.swapPTEFormat = Arm64Paging.swapPTEFormat(release: info.osRelease ?? "")

        var markers = MarkerTable([])
        var markersSource = ""
        let (fallbackStart, startWarning) = walkStart(vaBits: vaBits, actualVABits: actual, release: info.osRelease ?? "")
        var pageOffset = fallbackStart
        var startFromKernel = false
        if let ptinfo = session.readPtdumpInfo("kernel_ptdump_info", hasEnd: false),
           let table = try? session.readMarkerArray(at: ptinfo.markers, stride: 16, hasMaxLines: false, name: "address_markers") {
            markers = table
            pageOffset = ptinfo.baseAddress
            startFromKernel = true
            markersSource = "the kernel's kernel_ptdump_info and address_markers[] in memory"
        } else if let symbol = session.symbols.staticVariable("address_markers"),
                  let table = try? session.readMarkerArray(at: symbol.address, stride: 16, hasMaxLines: false, name: symbol.name,
                                                           sizeHint: session.symbols.size(of: symbol.name)) {
            markers = table
            markersSource = "the kernel's address_markers[] in memory"
        } else {
            let caveat: String?
            (markers, caveat) = computedMarkers(info: info, pageOffset: computedPageOffset, linearStart: pageOffset, pageEnd: pageEnd,
                                      actualPageEnd: 0 &- (1 << UInt64(actual - 1)), pageShift: pageShift,
                                      levels: paging.levelCount, kasanShadowBits: kasanShadowBits(session, actualVABits: actual),
                                      probe: mappingProbe(session, paging: paging, swapper: swapper, physOffset: physOffset,
                                                          pageShift: pageShift))
            markersSource = info.number("MODULES_VADDR") == nil
                ? "computed from VA_BITS and the page size as Linux 5.10's memory.h does (VMCOREINFO has no region bounds; judged on 5.10 only; the Fixmap start assumes no unmapped GHES or trampoline slots)"
                : "computed from VMCOREINFO (Fixmap start estimated)"
            if let caveat { markersSource += "; \(caveat)" }
            session.warn("the kernel's address_markers[] is not readable; markers \(markersSource)")
        }
        if !startFromKernel, let startWarning { session.warn(startWarning) }
        return Arm64KernelLayout(
            pageShift: pageShift, vaBits: vaBits, actualVABits: actual, kimageVoffset: kimageVoffset,
            physOffset: physOffset, paging: paging, attributes: attributes, attributesSource: attributesSource,
            markers: markers, markersSource: markersSource, pageOffset: pageOffset, swapper: swapper,
            swapperVA: swapperVA, kasan: try session.kasanEarlyShadow())
    }

    /// The KASAN shadow's size in bits, `vabits_actual - KASAN_SHADOW_SCALE_SHIFT`
    /// (3 for generic KASAN, 4 for software tags, whose instrumentation calls
    /// `__hwasan_tag_mismatch`); nil without an early shadow (no KASAN, or
    /// hardware tags).
    static func kasanShadowBits(_ session: KernelSession, actualVABits: Int) -> Int? {
        guard session.symbols["kasan_early_shadow_pte"] != nil else { return nil }
        return actualVABits - (session.symbols["__hwasan_tag_mismatch"] != nil ? 4 : 3)
    }

    /// Where ptdump's walk of init_mm starts when the kernel's own
    /// `kernel_ptdump_info.base_addr` cannot be read. The two differ only on a
    /// CPU with fewer VA bits than the kernel was built for: Linux 6.1 walks
    /// from PAGE_OFFSET (`.base_addr = PAGE_OFFSET`), 6.12 and 7.3 from
    /// `_PAGE_OFFSET(vabits_actual)` (ptdump_init(); read in both sources,
    /// judged on the 6.1 and 7.3 fixtures). Between those releases, or with
    /// no release, the later rule is taken and the warning says so.
    static func walkStart(vaBits: Int, actualVABits: Int, release: String) -> (UInt64, warning: String?) {
        let pageOffset: UInt64 = 0 &- (1 << UInt64(vaBits))
        guard actualVABits < vaBits else { return (pageOffset, nil) }
        let actualStart: UInt64 = 0 &- (1 << UInt64(actualVABits))
        guard let v = KernelVersion(release: release) else {
            return (actualStart, "the release is unknown: the walk of a \(vaBits)-bit kernel running with \(actualVABits)-bit VA is taken to start at _PAGE_OFFSET(vabits_actual) \(hex(actualStart)), as 6.12 and later do (6.1 starts at PAGE_OFFSET)")
        }
        if v < KernelVersion(6, 2) { return (pageOffset, nil) }
        if v >= KernelVersion(6, 12) { return (actualStart, nil) }
        return (actualStart, "Linux \(release): where ptdump's walk starts on a CPU with fewer VA bits than the kernel (\(actualVABits) of \(vaBits)) was read in 6.1 (PAGE_OFFSET) and 6.12 (_PAGE_OFFSET(vabits_actual)) only; taken as 6.12's, \(hex(actualStart))")
    }

    /// The marker list of arch/arm64/mm/ptdump.c from the VMCOREINFO region
    /// bounds, for when the kernel's own array cannot be read. PCI I/O and the
    /// fixmap sit at fixed offsets whose place memory.h moved: below
    /// VMEMMAP_START up to 6.8; above the vmemmap from 6.9 ("arm64: mm: Move
    /// fixmap region above vmemmap region" and "... Move PCI I/O emulation
    /// region above the vmemmap region"), where VMEMMAP_END is the constant
    /// -1G, which tells the two layouts apart. The Fixmap size is estimated.
    /// `linearStart` is where the walk starts, `_PAGE_OFFSET(vabits_actual)`:
    /// below PAGE_OFFSET's reach on a CPU narrower than the kernel, where the
    /// kernel's "vmemmap start" is `virt_to_page()` of it, past VMEMMAP_START
    /// by one 64-byte struct page per page in between.
    static func computedMarkers(info: VmcoreInfo, pageOffset: UInt64, linearStart: UInt64, pageEnd: UInt64,
                                actualPageEnd: UInt64? = nil, pageShift: Int,
                                levels: Int, kasanShadowBits: Int? = nil,
                                probe: Arm64MappingProbe) -> (MarkerTable, caveat: String?) {
        if info.number("MODULES_VADDR") == nil {
            // The image's link address: SYMBOL(_stext) less KASLR's KERNELOFFSET,
            // down to KIMAGE_VADDR (_text, 64K below _stext; aligned far more).
            let kimage = info.symbol("_stext").map { ($0 &- (info.kernelOffset ?? 0)) & ~UInt64((128 << 20) - 1) }
            return regionsFromVABits(pageOffset: pageOffset, pageEnd: pageEnd, linearEnd: actualPageEnd ?? pageEnd,
                                     pageShift: pageShift, levels: levels,
                                     hasBPFRegion: hasBPFRegion(release: info.osRelease ?? ""), kimageVaddr: kimage, probe: probe)
        }
        let n = { (name: String) in info.number(name) ?? 0 }
        let structPageShift: UInt64 = 6
        let vmemmapStart = n("VMEMMAP_START") &+ ((linearStart &- pageOffset) >> UInt64(pageShift)) << structPageShift
        let vmemmapEnd = n("VMEMMAP_END")
        let pciIOSize: UInt64 = 16 << 20
        // KASAN: the shadow ends where the linear map used to (its Kconfig
        // offset is chosen so) and PAGE_END becomes KASAN_SHADOW_START.
        let shadowStart = kasanShadowBits.map { pageEnd &- (1 << UInt64($0)) }
        var markers = [
            AddressMarker(start: pageOffset, name: "Linear Mapping start"),
            AddressMarker(start: shadowStart ?? pageEnd, name: "Linear Mapping end"),
        ]
        if let shadowStart {
            markers += [AddressMarker(start: shadowStart, name: "Kasan shadow start"),
                        AddressMarker(start: pageEnd, name: "Kasan shadow end")]
        }
        markers += [
            AddressMarker(start: n("MODULES_VADDR"), name: "Modules start"),
            AddressMarker(start: n("MODULES_END"), name: "Modules end"),
            AddressMarker(start: n("VMALLOC_START"), name: "vmalloc() area"),
            AddressMarker(start: n("VMALLOC_END"), name: "vmalloc() end"),
        ]
        let vmemmap = [AddressMarker(start: vmemmapStart, name: "vmemmap start"),
                       AddressMarker(start: vmemmapEnd, name: "vmemmap end")]
        if vmemmapEnd == 0 &- (1 << 30) {
            // PCI_IO_START = VMEMMAP_END + 8M, FIXADDR_TOP = -8M.
            let pciIOStart = vmemmapEnd &+ (8 << 20)
            let fixaddrTop = 0 &- UInt64(8 << 20)
            markers += vmemmap + [
                AddressMarker(start: pciIOStart, name: "PCI I/O start"),
                AddressMarker(start: pciIOStart &+ pciIOSize, name: "PCI I/O end"),
                AddressMarker(start: fixaddrTop &- (4 << 20), name: "Fixmap start"),
                AddressMarker(start: fixaddrTop, name: "Fixmap end"),
            ]
        } else {
            // PCI_IO_END = VMEMMAP_START - 8M, FIXADDR_TOP = VMEMMAP_START - 32M.
            let pciIOEnd = vmemmapStart &- (8 << 20)
            let fixaddrTop = vmemmapStart &- (32 << 20)
            markers += [
                AddressMarker(start: fixaddrTop &- (4 << 20), name: "Fixmap start"),
                AddressMarker(start: fixaddrTop, name: "Fixmap end"),
                AddressMarker(start: pciIOEnd &- pciIOSize, name: "PCI I/O start"),
                AddressMarker(start: pciIOEnd, name: "PCI I/O end"),
            ] + vmemmap
        }
        return (MarkerTable(markers), nil)
    }

    /// The markers of a kernel whose VMCOREINFO does not yet carry the region
    /// bounds (MODULES_VADDR ... VMEMMAP_END came with "arm64: crash_core:
    /// Export MODULES, VMALLOC, and VMEMMAP ranges"), from arch/arm64/include/
    /// asm/memory.h and pgtable.h as of Linux 5.10, without KASAN:
    /// BPF_JIT_REGION (128M, from PAGE_END; see `hasBPFRegion`), modules (128M), vmalloc up to
    /// -PUD_SIZE - VMEMMAP_SIZE - 64K, VMEMMAP_START = -VMEMMAP_SIZE - 2M,
    /// PCI I/O (16M) ending 2M below it and the fixmap ending 2M below that.
    /// "Linear Mapping end" is 5.10's PAGE_END, `_PAGE_END(vabits_actual)`
    /// (`linearEnd`: -2^51 on a 52-bit CPU; the regions below are laid out
    /// from `_PAGE_END(VA_BITS_MIN)`, `pageEnd`). The vmemmap markers exist
    /// only with SPARSEMEM_VMEMMAP, which the dump shows by a struct page
    /// mapped there (`probe`). Judged on 5.10 only.
    ///
    /// KASAN: the regions start at KASAN_SHADOW_END, which is PAGE_END only
    /// without it; the kernel image (`kimageVaddr`, KIMAGE_VADDR = MODULES_END)
    /// shows where they really start. The shadow is KASAN_SHADOW_END less
    /// 2^(VA_BITS - 3) (generic) or 2^(VA_BITS - 4) (software tags), and the
    /// Kconfig offsets make it start at PAGE_END on 48 bits: a gap that one
    /// of them fills is taken as the shadow. Any other gap (52-bit VA, or a
    /// layout not 5.10's) is left without Kasan markers, and the `caveat`
    /// says so. Judged on 5.10 4K/48 generic KASAN.
    static func regionsFromVABits(pageOffset: UInt64, pageEnd: UInt64, linearEnd: UInt64, pageShift: Int, levels: Int,
                                  hasBPFRegion: Bool, kimageVaddr: UInt64? = nil,
                                  probe: Arm64MappingProbe) -> (MarkerTable, caveat: String?) {
        let m: UInt64 = 1 << 20
        let structPageMaxShift = 6
        let vmemmapSize = (pageEnd &- pageOffset) >> UInt64(pageShift - structPageMaxShift)
        let vmemmapStart = 0 &- vmemmapSize &- 2 * m
        // PUD_SIZE: the PUD level's span, or the level it folds into.
        let pudShift = (pageShift - 3) * min(3, levels) + 3
        let vmallocEnd = 0 &- (1 << UInt64(pudShift)) &- vmemmapSize &- 64 * 1024
        let pciIOEnd = vmemmapStart &- 2 * m
        let pciIOStart = pciIOEnd &- 16 * m
        let fixaddrTop = pciIOStart &- 2 * m
        // 5.10's fixmap.h: FIX_HOLE, FIX_FDT_END, the FDT's 4M of pages,
        // FIX_EARLYCON_MEM_BASE, FIX_TEXT_POKE0, then slots configs add (ACPI
        // APEI GHES: unmapped but while in use; UNMAP_KERNEL_AT_EL0's
        // trampolines, 2, or 4 with the Spectre-BHB backport, last of all
        // FIX_ENTRY_TRAMP_DATA), so the smallest fixmap, unless a page mapped
        // below it (the trampoline's data page under KPTI) is the last slot.
        let page: UInt64 = 1 << UInt64(pageShift)
        let smallestStart = fixaddrTop &- (4 * m + 3 * page)
        let lastSlot = (1...12).map { smallestStart &- UInt64($0) * page }.last(where: probe.isMapped)
        let fixmapStart = lastSlot.map { $0 &- page } ?? smallestStart
        let belowImage = (hasBPFRegion ? 256 : 128) * m
        var shadow: (start: UInt64, end: UInt64)?
        var caveat: String?
        var regionsStart = pageEnd
        if let kimageVaddr, kimageVaddr > pageEnd, kimageVaddr &- belowImage > pageEnd {
            let end = kimageVaddr &- belowImage
            regionsStart = end
            let vaBits = UInt64((0 &- pageOffset).trailingZeroBitCount)
            if let start = [3, 4].map({ end &- (1 << (vaBits - UInt64($0))) }).first(where: { $0 == pageEnd }) {
                shadow = (start, end)
                caveat = "the Kasan shadow from the kernel image's address (\(hex(kimageVaddr)), \(hex(end &- pageEnd)) above PAGE_END)"
            } else {
                caveat = "the kernel image (\(hex(kimageVaddr))) lies \(hex(end &- pageEnd)) above where 5.10 puts it, which no KASAN shadow size explains: regions placed below the image, no Kasan markers"
            }
        }
        let bpfStart = regionsStart
        let modules = hasBPFRegion ? bpfStart &+ 128 * m : bpfStart
        var markers = [
            AddressMarker(start: pageOffset, name: "Linear Mapping start"),
            AddressMarker(start: linearEnd, name: "Linear Mapping end"),
        ]
        if let shadow {
            markers += [AddressMarker(start: shadow.start, name: "Kasan shadow start"),
                        AddressMarker(start: shadow.end, name: "Kasan shadow end")]
        }
        if hasBPFRegion {
            markers += [AddressMarker(start: bpfStart, name: "BPF start"), AddressMarker(start: modules, name: "BPF end")]
        }
        markers += [
            AddressMarker(start: modules, name: "Modules start"),
            AddressMarker(start: modules &+ 128 * m, name: "Modules end"),
            AddressMarker(start: modules &+ 128 * m, name: "vmalloc() area"),
            AddressMarker(start: vmallocEnd, name: "vmalloc() end"),
            AddressMarker(start: fixmapStart, name: "Fixmap start"),
            AddressMarker(start: fixaddrTop, name: "Fixmap end"),
            AddressMarker(start: pciIOStart, name: "PCI I/O start"),
            AddressMarker(start: pciIOEnd, name: "PCI I/O end"),
        ]
        if probe.isMapped(vmemmapStart &+ probe.swapperStructPage) {
            markers += [AddressMarker(start: vmemmapStart, name: "vmemmap start"),
                        AddressMarker(start: vmemmapStart &+ vmemmapSize, name: "vmemmap end")]
        }
        return (MarkerTable(markers), caveat)
    }

    /// The dump's own answers for what 5.10's VMCOREINFO leaves out:
    /// whether an address is mapped in swapper_pg_dir (a whole walk of it; a
    /// table missing from the dump is warned of and counts as unmapped),
    /// and where swapper_pg_dir's own struct page lies from VMEMMAP_START.
    /// With SPARSEMEM_VMEMMAP every page of RAM has its struct page at
    /// `VMEMMAP_START + (pfn - memstart_addr's pfn) * 64` (`vmemmap` in
    /// memory.h, 5.10 to 7.3), so that one is mapped; a top-level entry
    /// alone can be the fixmap's (one 64K-page PGD entry spans 4T).
    static func mappingProbe(_ session: KernelSession, paging: Arm64Paging, swapper: PhysicalAddress, physOffset: UInt64,
                             pageShift: Int) -> Arm64MappingProbe {
        Arm64MappingProbe(
            isMapped: { va in
                switch AddressTranslation(va, root: swapper, architecture: paging, memory: session.memory).outcome {
                case .mapped: return true
                case .unreadable:
                    // Not known: taken as unmapped, and said.
                    session.warn("a table mapping the 5.10 vmemmap or fixmap is not in the dump; taken as unmapped, so the vmemmap and Fixmap start markers may be wrong")
                    return false
                case .notMapped, .invalid: return false
                }
            },
            swapperStructPage: ((swapper.rawValue &- physOffset) >> UInt64(pageShift)) << 6)
    }

    /// Whether the kernel has arm64's 128M BPF_JIT_REGION below the modules:
    /// b89ddf4cca43 ("arm64/bpf: Remove 128MB limit for BPF JIT programs")
    /// removed it in 5.17, and stable in 5.15.18 and 5.16.4; the 5.10
    /// backport was dropped, so every 5.10.y has it.
    static func hasBPFRegion(release: String) -> Bool {
        guard let v = KernelVersion(release: release) else { return false }
        return v < KernelVersion(5, 15, 18) || (v >= KernelVersion(5, 16) && v < KernelVersion(5, 16, 4))
    }

    /// Whether `ptdump_walk()` left its `pg_state` at level 0 instead of -1:
    /// before b9ba680969d1 ("arm64/ptdump:display the Linear Mapping start
    /// marker", Linux 5.12) it did, so the first range runs from 0 and the
    /// first marker's header is missing. Only the code shows it (nothing in
    /// a dump's data), hence the release.
    static func pgStateStartsZeroed(_ session: KernelSession) -> Bool {
        guard let v = KernelVersion(release: session.vmcoreinfo?.osRelease ?? "") else { return false }
        return v < KernelVersion(5, 12)
    }

    var format: TableDrivenFormatter.Style {
        TableDrivenFormatter.Style(levelNames: paging.levelNames, attributes: attributes, printsEmptyRanges: true)
    }

    /// `kernel`: init_mm from PAGE_OFFSET to the top, as `ptdump_walk()` does.
    /// `efi`: efi_mm below TASK_SIZE_64, with the kernel's efi_ptdump_info markers.
    public func table(_ choice: TableChoice, session: KernelSession, cpu: Int) throws(DumpError) -> TableSpec? {
        switch choice {
        case .kernel:
            var spec = TableSpec(name: "kernel", root: swapper, ranges: [WalkRange(pageOffset, .max)],
                                 architecture: paging, markers: markers, kasan: kasan,
                                 origin: "init_mm: swapper_pg_dir at physical \(swapper)", format: format,
                                 markerAdvance: .twicePerCallback)
            spec.startsAtPGDZero = Self.pgStateStartsZeroed(session)
            return spec
        case .efi:
            guard let efiMM = session.symbols["efi_mm"] else {
                throw .noTable(name: "efi", reason: "no efi_mm symbol (kernel without CONFIG_EFI, or no vmlinux)")
            }
            let pgdVA = try session.mmPGD(efiMM, name: "efi_mm", swapperVA: swapperVA)
            guard pgdVA != 0, let pgd = session.kernelImagePhysical(pgdVA) else { return nil }
            var efiMarkers = MarkerTable([AddressMarker(start: 0, name: "UEFI runtime start"),
                                          AddressMarker(start: 1 << UInt64(min(actualVABits, Arm64Paging.vaBitsMin(vaBits: vaBits, pageShift: pageShift))), name: "UEFI runtime end")])
            var base: UInt64 = 0
            if let info = session.readPtdumpInfo("efi_ptdump_info", hasEnd: false),
               let table = try? session.readMarkerArray(at: info.markers, stride: 16, hasMaxLines: false, name: "efi markers") {
                efiMarkers = table
                base = info.baseAddress
            }
            let taskSize: UInt64 = 1 << UInt64(actualVABits)
            let end: UInt64 = base < taskSize ? taskSize : .max
            var spec = TableSpec(name: "efi", root: pgd, ranges: [WalkRange(base, end)], architecture: paging,
                                 markers: efiMarkers, kasan: nil, origin: "efi_mm.pgd at physical \(pgd)", format: format,
                                 markerAdvance: .twicePerCallback)
            // Kernels whose ptdump has note_page_flush() (6.12.117 has it; 6.1
            // does not) flush the last range at the walk's end_address, so a
            // table below TASK_SIZE_64 ends there, under its end marker; before,
            // mm/ptdump.c flushed at 0 for every table.
            if end != .max && session.symbols["note_page_flush"] != nil { spec.finalAddress = end }
            spec.startsAtPGDZero = Self.pgStateStartsZeroed(session)
            return spec
        case .currentKernel, .currentUser:
            throw .noTable(name: choice.rawValue, reason: "arm64 has kernel_page_tables and efi_page_tables only")
        }
    }

    /// TTBR0's table: user space is `[0, 1 << vabits_actual)` (TASK_SIZE_64).
    public func processTable(root: PhysicalAddress, session: KernelSession) throws(DumpError) -> TableSpec {
        let kernel = try kernelTable(session)
        return kernel.userSpace(root: root, taskSize: 1 << UInt64(actualVABits))
    }

    public func describe(_ session: KernelSession) -> [(String, String)] {
        describeRows(session, architecture: "arm64", paging: [
            ("page size", "\(1 << pageShift) (VMCOREINFO PAGESIZE)"),
            ("VA_BITS", "\(vaBits) configured, \(actualVABits) in use (TCR_EL1.T1SZ)"),
            ("levels", "\(paging.levelCount)" + (paging.lpa2 ? " (LPA2)" : "")),
        ], details: [
            ("KERNELOFFSET", hex(session.vmcoreinfo?.kernelOffset ?? 0)),
            ("kimage_voffset", hex(kimageVoffset)),
            ("PHYS_OFFSET", hex(physOffset)),
            ("PAGE_OFFSET", hex(pageOffset)),
            ("markers from", markersSource),
            ("attributes from", attributesSource),
            ("swapper_pg_dir", swapper.description),
            ("KASAN", kasanDescription(session)),
        ])
    }

    /// `KernelSession.kasanDescription`, unless no symbol names the early
    /// shadow while the markers place a Kasan shadow (5.10's, inferred from
    /// the image's address): then both are said, so `info` and the listing
    /// agree.
    func kasanDescription(_ session: KernelSession) -> String {
        let said = session.kasanDescription(kasan)
        guard kasan == nil, let start = markers.markers.first(where: { $0.name == "Kasan shadow start" }) else { return said }
        let end = markers.markers.first(where: { $0.name == "Kasan shadow end" })?.start
        return "likely: the markers place a Kasan shadow at \(hex(start.start))" + (end.map { "-\(hex($0))" } ?? "")
            + " (see markers from); no symbol names the early shadow, so its tables are walked like any other"
    }
}

/// A symbol the layout cannot do without.
func requireSymbol(_ session: KernelSession, _ name: String) throws(DumpError) -> UInt64 {
    guard let va = session.symbols[name] else {
        throw .missingSymbol(name: name, source: session.symbols.sources.joined(separator: ", "))
    }
    return va
}

/// See `Arm64KernelLayout.mappingProbe`.
struct Arm64MappingProbe {
    let isMapped: (UInt64) -> Bool
    let swapperStructPage: UInt64
}
