import PageTables

/// The riscv64 facts one kernel's ptdump depends on.
///
/// Linux 6.1 on riscv writes no architecture lines into VMCOREINFO and QEMU
/// cannot add the note to a riscv dump, so everything comes from the kernel's
/// memory: the image is found by its own `linux_banner` (the vmlinux says what
/// the bytes are and where they sit in the image), confirmed through
/// `swapper_pg_dir`, and the paging mode, markers and walk bounds are read from
/// the kernel's variables.
public struct Riscv64KernelLayout: KernelLayout {
    public var mode: Riscv64Paging.Mode
    public var modeSource: String
    /// `kernel_map.va_kernel_pa_offset`: image virtual minus physical.
    public var imageOffset: UInt64
    public var imageOffsetSource: String
    public var paging: Riscv64Paging
    public var attributes: ProtectionTable
    public var attributesSource: String
    public var markers: MarkerTable
    public var markersSource: String
    public var walkRange: WalkRange
    public var swapper: PhysicalAddress
    public var swapperVA: UInt64
    /// The KASAN early-shadow tables, nil without KASAN.
    public var kasan: KasanEarlyShadow? = nil

    public static func read(_ session: KernelSession) throws(DumpError) -> Riscv64KernelLayout {
        let swapperVA = try requireSymbol(session, "swapper_pg_dir")
        // The session's placement stage found the image (Riscv64Architecture.placeImage).
        guard let placement = session.imagePlacement, let offset = placement.facts["va_kernel_pa_offset"] else {
            throw .noTable(name: "kernel", reason: "riscv: the kernel image's physical place is unknown")
        }
        let offsetSource = placement.source

        let (mode, modeSource) = try readMode(session)
        let release = session.vmcoreinfo?.osRelease ?? ""
        var attributes = versionAtLeast(release, 6, 7) ? Riscv64Paging.attributes6_7 : Riscv64Paging.attributes6_1
        var attributesSource = "built-in table for \(release.isEmpty ? "an unknown release" : release)"
        if !versionAtLeast(release, 6, 7), let table = session.readProtectionTable("pte_bits") {
            attributes = table
            attributesSource = "the kernel's pte_bits[] in memory"
        }
        var paging = Riscv64Paging(mode: mode, protectionMask: attributes.mask)
        paging.swapPTEFormat = Riscv64Paging.swapPTEFormat(release: release)

        var markers = MarkerTable([AddressMarker(start: 0, name: "Kernel space")])
        var markersSource = "none found"
        var range = WalkRange(0, .max)
        if let info = session.readPtdumpInfo("kernel_ptd_info", hasEnd: true),
           let table = try? session.readMarkerArray(at: info.markers, stride: 16, hasMaxLines: false, name: "address_markers") {
            markers = table
            range = WalkRange(info.baseAddress, info.end ?? .max)
            markersSource = "the kernel's kernel_ptd_info and address_markers[] in memory"
        } else {
            session.warn("the kernel's kernel_ptd_info is not readable (no ptdump in this kernel?): one marker, whole space walked")
        }
        return Riscv64KernelLayout(
            mode: mode, modeSource: modeSource, imageOffset: offset, imageOffsetSource: offsetSource,
            paging: paging, attributes: attributes, attributesSource: attributesSource, markers: markers,
            markersSource: markersSource, walkRange: range, swapper: PhysicalAddress(swapperVA &- offset),
            swapperVA: swapperVA, kasan: try session.kasanEarlyShadow())
    }

    /// `va_kernel_pa_offset`, from a snapshot's facts, from a program header that
    /// maps the image with both addresses (kdump vmcores, /proc/kcore), or by finding the bytes of
    /// `linux_banner` in memory. A candidate counts only when the kernel's own
    /// tables, rooted at the candidate `swapper_pg_dir`, map the banner's page to
    /// where the bytes were found.
    static func findImage(_ session: KernelSession, swapperVA: UInt64) throws(DumpError) -> (UInt64, String) {
        if let known = session.snapshotFacts?.number("va_kernel_pa_offset") {
            return (known, "snapshot")
        }
        if let offset = session.segmentOffset(containing: swapperVA) {
            return (offset, "the dump's program header for the kernel image")
        }
        // VMCOREINFO has it where the kernel writes riscv lines there (6.12's and
        // 7.3's arch/riscv/kernel/vmcore_info.c; 6.1 writes none); trusted once
        // the tables it points at map swapper_pg_dir's own page there.
        if let offset = session.vmcoreinfo?.number("va_kernel_pa_offset"),
           (try? confirms(session, offset: offset, swapperVA: swapperVA, va: swapperVA, physical: swapperVA &- offset)) == true {
            return (offset, "VMCOREINFO NUMBER(va_kernel_pa_offset), confirmed by swapper_pg_dir")
        }
        guard let bannerVA = session.symbols["linux_banner"] else {
            if let found = try findUTSName(session, swapperVA: swapperVA) { return found }
            throw .noTable(name: "kernel", reason: "riscv: the kernel image's physical place is found through linux_banner or VMCOREINFO's init_uts_ns; give --vmlinux or --system-map")
        }
        // The banner's bytes: from the vmlinux, or (System.map only) its start,
        // "Linux version %s (" with VMCOREINFO's OSRELEASE (init/version-timestamp.c).
        let linkVA = bannerVA &- (session.vmcoreinfo?.kernelOffset ?? 0)
        let bytes: [UInt8]
        if let vmlinux = session.vmlinuxFile, let b = try? vmlinux.sectionBytes(at: linkVA, count: 48), b.count == 48 {
            bytes = b
        } else if let release = session.vmcoreinfo?.osRelease, !release.isEmpty {
            bytes = Array("Linux version \(release) (".utf8)
        } else {
            throw .noTable(name: "kernel", reason: "riscv: the kernel image's physical place is found through linux_banner, whose text needs the vmlinux or VMCOREINFO's OSRELEASE")
        }
        let found = try firstConfirmed(session, bytes) { hit throws(DumpError) in
            let offset = bannerVA &- hit
            guard try confirms(session, offset: offset, swapperVA: swapperVA, va: bannerVA, physical: hit) else { return nil }
            return (offset, "linux_banner found at physical \(hex(hit)), confirmed by swapper_pg_dir")
        }
        if let found { return found }
        throw .noTable(name: "kernel", reason: "riscv: linux_banner's bytes were not found in the dump where swapper_pg_dir maps them (wrong vmlinux?)")
    }

    /// The dump alone before any symbol table is read (6.1's VMCOREINFO has
    /// kallsyms but no riscv lines, and its kallsyms cannot be read until the
    /// image is placed; `KernelSession` reads it again once placed):
    /// VMCOREINFO's SYMBOL(init_uts_ns) and OSRELEASE.
    /// `init_uts_ns.name` is a `struct new_utsname`: "Linux" in 65 bytes,
    /// the node name in 65, then the release. It starts the structure since
    /// 5.11 and follows a 4-byte kref before, so the hit's offset within its
    /// page says which (the image's virtual and physical places share their
    /// page offset). Confirmed as `linux_banner` is, by swapper_pg_dir.
    static func findUTSName(_ session: KernelSession, swapperVA: UInt64) throws(DumpError) -> (UInt64, String)? {
        // Only where the dump's kallsyms can then be read: without a symbol
        // table nothing past the placement (mode, markers) is known.
        guard let info = session.vmcoreinfo, KallsymsLocations(info) != nil, let utsVA = info.symbol("init_uts_ns"),
              let release = info.osRelease, !release.isEmpty, release.utf8.count < 65 else { return nil }
        let sysname = Array("Linux".utf8) + [UInt8](repeating: 0, count: 60)
        let wantedRelease = Array(release.utf8) + [0]
        return try firstConfirmed(session, sysname) { hit throws(DumpError) in
            let within = (hit &- utsVA) & 0xfff
            guard within == 0 || within == 4,
                  let text = try? session.coreMemory.read(PhysicalAddress(hit &+ 130), count: wantedRelease.count),
                  text == wantedRelease else { return nil }
            let offset = utsVA &+ within &- hit
            // The mode's variables are found by symbols this early only
            // where VMCOREINFO names them; else each mode is tried (a
            // wrong one does not map the page where it was found).
            let modes: [Riscv64Paging.Mode?] = (try? readMode(session, translate: { $0 &- offset })) != nil
                ? [nil] : Riscv64Paging.Mode.allCases
            var confirmed = false
            for mode in modes where !confirmed {
                confirmed = try confirms(session, offset: offset, swapperVA: swapperVA, va: utsVA &+ within,
                                         physical: hit, mode: mode)
            }
            guard confirmed else { return nil }
            return (offset, "init_uts_ns (VMCOREINFO) found at physical \(hex(hit &- within)) by its release, confirmed by swapper_pg_dir")
        }
    }

    /// The first place in memory holding `bytes` that `candidate` accepts (an
    /// image offset and where it came from). A candidate that throws is
    /// passed over; when none is accepted, the last such error is thrown, to
    /// say why a candidate failed rather than blame the symbols; nil when no
    /// candidate got that far.
    static func firstConfirmed(_ session: KernelSession, _ bytes: [UInt8],
                               candidate: (UInt64) throws(DumpError) -> (UInt64, String)?) throws(DumpError) -> (UInt64, String)? {
        var result: (UInt64, String)?
        var problem: DumpError?
        _ = session.coreMemory.firstMatch(bytes) { hit in
            do throws(DumpError) {
                result = try candidate(hit)
            } catch {
                problem = error
            }
            return result != nil
        }
        if let result { return result }
        if let problem { throw problem }
        return nil
    }

    /// Whether the kernel's own tables, rooted at `swapper_pg_dir` placed by
    /// `offset` and walked in the mode its variables give (read through that
    /// placement), map `va`'s page to `physical`'s.
    static func confirms(_ session: KernelSession, offset: UInt64, swapperVA: UInt64, va: UInt64,
                         physical: UInt64, mode given: Riscv64Paging.Mode? = nil) throws(DumpError) -> Bool {
        let mode: Riscv64Paging.Mode
        if let given { mode = given } else { mode = try readMode(session, translate: { $0 &- offset }).0 }
        let arch = Riscv64Paging(mode: mode, protectionMask: 0x3ff)
        let page = va & ~UInt64(0xfff)
        var mapped: UInt64?
        let collector = LeafCollector(architecture: arch) { leaf in
            // A walk that starts inside a block notes it at the start address.
            if mapped == nil { mapped = leaf.physical.rawValue &+ (page & (leaf.size &- 1)) }
        }
        PageWalker(architecture: arch, memory: session.coreMemory)
            .walk(root: PhysicalAddress(swapperVA &- offset), ranges: [WalkRange(page, page &+ 0x1000)], into: collector)
        return mapped == physical & ~UInt64(0xfff)
    }

    /// Sv57, Sv48 or Sv39 from `pgtable_l5_enabled` / `pgtable_l4_enabled`,
    /// else from `satp_mode`.
    /// `translate`: a placement being tried instead of the session's own.
    static func readMode(_ session: KernelSession, translate: ((UInt64) -> UInt64?)? = nil) throws(DumpError) -> (Riscv64Paging.Mode, String) {
        if let l5 = try session.readVariable("pgtable_l5_enabled", size: 1, translate: translate),
           let l4 = try session.readVariable("pgtable_l4_enabled", size: 1, translate: translate), l5 <= 1, l4 <= 1 {
            return (l5 == 1 ? .sv57 : l4 == 1 ? .sv48 : .sv39, "pgtable_l5_enabled=\(l5), pgtable_l4_enabled=\(l4)")
        }
        if let satp = try session.readVariable("satp_mode", translate: translate),
           let mode = Riscv64Paging.Mode.allCases.first(where: { $0.satpMode == satp >> 60 }) {
            return (mode, "satp_mode=\(hex(satp))")
        }
        // Before e8a62cc26ddf ("riscv: Implement sv48 support", Linux 5.17)
        // riscv64 had Sv39 only, and none of these variables: a whole symbol
        // table without them, or that release, means Sv39.
        let noModeVariables = session.symbols.hasFullTable && session.symbols["satp_mode"] == nil
            && session.symbols["pgtable_l4_enabled"] == nil
        if let v = KernelVersion(release: session.vmcoreinfo?.osRelease ?? ""), v < KernelVersion(5, 17) {
            return (.sv39, "Linux \(session.vmcoreinfo?.osRelease ?? "") (before 5.17 riscv64 has Sv39 only)")
        }
        if noModeVariables {
            return (.sv39, "no satp_mode or pgtable_l4_enabled in \(session.symbols.sources.first ?? "the symbols") (a kernel before Sv48 support)")
        }
        throw .noTable(name: "kernel", reason: "riscv: neither pgtable_l5_enabled/pgtable_l4_enabled nor satp_mode is readable")
    }

    var format: TableDrivenFormatter.Style {
        let arch = paging
        return TableDrivenFormatter.Style(levelNames: arch.levelNames, attributes: attributes,
                                          physicalColumn: { arch.physicalAddress($0) }, printsEmptyRanges: false)
    }

    /// A process's satp table: user space is the lower half, TASK_SIZE =
    /// PGDIR_SIZE * PTRS_PER_PGD / 2 (2^38, 2^47 or 2^56).
    public func processTable(root: PhysicalAddress, session: KernelSession) throws(DumpError) -> TableSpec {
        let kernel = try kernelTable(session)
        return kernel.userSpace(root: root, taskSize: 1 << UInt64(paging.mode.vaBits - 1))
    }

    public func table(_ choice: TableChoice, session: KernelSession, cpu: Int) throws(DumpError) -> TableSpec? {
        switch choice {
        case .kernel:
            return TableSpec(name: "kernel", root: swapper, ranges: [walkRange], architecture: paging,
                             markers: markers, kasan: kasan, origin: "init_mm: swapper_pg_dir at physical \(swapper)",
                             format: format, markerAdvance: .untilCurrent)
        case .efi:
            guard let efiMM = session.symbols["efi_mm"] else {
                throw .noTable(name: "efi", reason: "no efi_mm symbol (kernel without CONFIG_EFI, or no vmlinux)")
            }
            let pgdVA = try session.mmPGD(efiMM, name: "efi_mm", swapperVA: swapperVA)
            guard pgdVA != 0 else { return nil }
            // efi_mm.pgd is a linear-map address: translate it through the kernel's tables.
            guard let pgd = translate(pgdVA, session: session) else {
                throw .noTable(name: "efi", reason: "efi_mm.pgd \(hex(pgdVA)) is not mapped by swapper_pg_dir")
            }
            var efiMarkers = MarkerTable([AddressMarker(start: 0, name: "UEFI runtime start"),
                                          AddressMarker(start: 1 << 30, name: "UEFI runtime end")])
            var range = WalkRange(0, 1 << 31)
            if let info = session.readPtdumpInfo("efi_ptd_info", hasEnd: true),
               let table = try? session.readMarkerArray(at: info.markers, stride: 16, hasMaxLines: false, name: "efi markers") {
                efiMarkers = table
                range = WalkRange(info.baseAddress, info.end ?? 1 << 31)
            }
            return TableSpec(name: "efi", root: pgd, ranges: [range], architecture: paging, markers: efiMarkers,
                             kasan: nil, origin: "efi_mm.pgd at physical \(pgd)", format: format,
                             markerAdvance: .untilCurrent)
        case .currentKernel, .currentUser:
            throw .noTable(name: choice.rawValue, reason: "riscv has kernel_page_tables and efi_page_tables only")
        }
    }

    /// A kernel virtual address's physical address, by the kernel's own tables.
    func translate(_ va: UInt64, session: KernelSession) -> PhysicalAddress? {
        let page = va & ~UInt64(0xfff)
        var found: UInt64?
        let collector = LeafCollector(architecture: paging) { leaf in
            if found == nil { found = leaf.physical.rawValue &+ (va & (leaf.size &- 1)) }
        }
        PageWalker(architecture: paging, memory: session.memory)
            .walk(root: swapper, ranges: [WalkRange(page, page &+ 0x1000)], into: collector)
        return found.map { PhysicalAddress($0) }
    }

    public func describe(_ session: KernelSession) -> [(String, String)] {
        describeRows(session, architecture: "riscv64", paging: [
            ("paging", "\(mode.name) (from \(modeSource))"),
        ], details: [
            ("va_kernel_pa_offset", "\(hex(imageOffset)) (\(imageOffsetSource))"),
            ("walk", "\(hex16(walkRange.start))-\(hex16(walkRange.end))"),
            ("markers from", markersSource),
            ("attributes from", attributesSource),
            ("swapper_pg_dir", swapper.description),
            ("KASAN", session.kasanDescription(kasan)),
        ])
    }
}

/// True when `release` ("6.1.0-13-amd64", "6.7.2") is at least major.minor.
func versionAtLeast(_ release: String, _ major: Int, _ minor: Int) -> Bool {
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    guard parts.count == 2 else { return false }
    return (parts[0], parts[1]) >= (major, minor)
}
