import PageTables

extension X86KernelLayout {
    /// The PTI switch bit: with page-table isolation the user copy of a PGD is
    /// the page right after the kernel one (PTI_PGTABLE_SWITCH_BIT = PAGE_SHIFT).
    static let ptiSwitch: UInt64 = 0x1000

    /// The table behind one debugfs file, in this dump.
    ///
    /// - `kernel`: init_mm, rooted at `init_top_pgt`.
    /// - `current-kernel`: the PGD in CPU `cpu`'s CR3 as the dump saved it.
    /// - `current-user`: its PTI user copy when PTI is active, else the same PGD
    ///   (the kernel's `ptdump_walk_pgd_level_debugfs(..., true)` does the same).
    /// - `efi`: `efi_mm.pgd`.
    ///
    /// Returns nil when the kernel's own file is empty: `efi` with a NULL
    /// `efi_mm.pgd` (no EFI runtime services).
    public func table(_ choice: TableChoice, session: KernelSession, cpu: Int) throws(DumpError) -> TableSpec? {
        let arch = paging
        func spec(_ root: PhysicalAddress, _ origin: String) -> TableSpec {
            TableSpec(name: choice.rawValue, root: root, ranges: walkRanges, architecture: arch,
                      markers: markers, kasan: kasan, origin: origin, format: X86ListingFormat(), markerAdvance: .oncePerFlush)
        }
        switch choice {
        case .kernel:
            return spec(initTopPgt, "init_mm: init_top_pgt at physical \(initTopPgt)")
        case .currentKernel, .currentUser:
            let (cr3, origin) = try currentCR3(session: session, cpu: cpu)
            var pgd = cr3 & arch.pfnMask
            // With PTI on, PGDs are 8 KiB pairs and a CPU caught in user mode
            // holds the user copy: clear the switch bit to find the kernel one.
            // With PTI configured but off, 7.x allocates single-page PGDs
            // (pgd_allocation_order() is 1 only when PTI is on), so bit 12 may
            // be the table's own address bit (Debian's stock 7.2, 5-level).
            if ptiConfigured && pgd & Self.ptiSwitch != 0 && ptiActive(kernelPGD: initTopPgt.rawValue, session: session) {
                pgd &= ~Self.ptiSwitch
            }
            if choice == .currentKernel { return spec(PhysicalAddress(pgd), origin + ", kernel PGD \(hex(pgd))") }
            return try userTable(of: spec(PhysicalAddress(pgd), origin), session: session)
        case .efi:
            guard let pgd = try efiPGD(session: session) else { return nil }
            return spec(pgd, "efi_mm.pgd at physical \(pgd)")
        }
    }

    /// The CR3 the current tables start from, and where it came from.
    ///
    /// A dump saved each CPU's CR3. /proc/kcore has no registers, but there the
    /// kernel's own file shows the table of the process that reads it, so the
    /// live equivalent is kptdump's own: its task's `mm->pgd`, found through the
    /// task list (which needs DWARF offsets). Inside a PID namespace our pid is
    /// not the kernel's, and the task is not found.
    ///
    /// A kdump crash dump saved no CR3 (its notes are NT_PRSTATUS only): there
    /// the table is the one of the task the CPU ran (`Actions.cpuTask`), and
    /// the CPU by default the one that panicked.
    func currentCR3(session: KernelSession, cpu: Int) throws(DumpError) -> (UInt64, String) {
        if session.isLive { return try processCR3(session: session, pid: FileSystem.processID) }
        if session.cpus.isEmpty && !session.crashContext().cpuPIDs.isEmpty {
            let running = try Actions.cpuTask(session, self, cpu: cpu == defaultCPU ? session.defaultCPU() : cpu)
            return (running.pgdPhysical.rawValue, running.origin)
        }
        let cpu = cpu == defaultCPU ? 0 : cpu
        guard cpu >= 0, cpu < session.cpus.count else {
            throw .noCPUState(path: session.path, cpu: cpu, available: session.cpus.count)
        }
        let cr3 = session.cpus[cpu].cr3
        return (cr3, "CPU \(cpu): CR3 \(hex(cr3))")
    }

    /// What CR3 holds while task `pid` runs: its `mm->pgd`, physical.
    func processCR3(session: KernelSession, pid: Int32) throws(DumpError) -> (UInt64, String) {
        guard session.taskLayout() != nil else {
            throw .noTable(name: "current", reason: "/proc/kcore saves no CPU registers; live, the current table is kptdump's own (pid \(pid)), found through the task list: " + session.missingTypesMessage("tasks"))
        }
        let tasks = try Actions.tasks(session, self)
        guard let task = tasks.first(where: { $0.pid == pid }), let pa = task.pgdPhysical else {
            throw .noTable(name: "current", reason: "pid \(pid) has no translatable mm->pgd among the \(tasks.count) tasks on init_task's list (inside a PID namespace kptdump's pid is not the kernel's)")
        }
        return (pa.rawValue, "task \(pid) (\(task.comm)): mm->pgd \(hex(task.pgd ?? 0))")
    }

    /// A process's PTI user copy, as `current_user` shows it while the
    /// process runs: kernel_to_user_pgdp(), the page after its PGD. Without
    /// PTI active the kernel's file shows the one table; so does this.
    public func userTable(of spec: TableSpec, session: KernelSession) throws(DumpError) -> TableSpec {
        guard ptiConfigured else {
            throw .noTable(name: "current-user", reason: "the kernel has no CONFIG_PAGE_TABLE_ISOLATION")
        }
        var user = spec
        let pgd = spec.root.rawValue
        guard ptiActive(kernelPGD: pgd, session: session) else {
            user.origin += ", PTI inactive: kernel PGD \(hex(pgd))"
            return user
        }
        user.root = PhysicalAddress(pgd | Self.ptiSwitch)
        user.origin += ", PTI user PGD \(hex(pgd | Self.ptiSwitch))"
        return user
    }

    /// Both halves, as current_kernel shows a process's table.
    public func processTable(root: PhysicalAddress, session: KernelSession) throws(DumpError) -> TableSpec {
        guard var spec = try table(.kernel, session: session, cpu: 0) else {
            throw .noTable(name: "kernel", reason: "no kernel page table")
        }
        spec.root = root
        return spec
    }

    /// `debug_checkwx()` walks init_mm's table; with PTI on, `pti_finalize()`
    /// then walks its user copy (`debug_checkwx_user()`).
    public func wxCheckTables(_ session: KernelSession) throws(DumpError) -> [(preface: String?, spec: TableSpec)] {
        guard var kernel = try table(.kernel, session: session, cpu: 0) else { return [] }
        var tables: [(preface: String?, spec: TableSpec)] = [(nil, kernel)]
        if ptiConfigured && ptiActive(kernelPGD: initTopPgt.rawValue, session: session) {
            kernel.root = PhysicalAddress(initTopPgt.rawValue | Self.ptiSwitch)
            kernel.name = "kernel (PTI user copy)"
            kernel.origin = "init_mm: user copy of init_top_pgt at physical \(kernel.root)"
            tables.append(("x86/mm: Checking user space page tables", kernel))
        }
        return tables
    }

    /// PTI is active when the page after a PGD is its user copy: its user
    /// half mirrors the PGD's (`__pti_set_user_pgtbl()` writes both; only the
    /// kernel copy gets NX), and its kernel half maps the few regions PTI
    /// clones (the entry text, the CPU entry area, ESPfix, the LDT remap).
    /// Inactive, that page is zero, or (Linux 7.x, whose PGDs without PTI are
    /// no longer 8 KiB pairs) some other page: a page table of 512 entries
    /// fails both tests. A user copy missing from the dump (a snapshot made
    /// before snapshots kept it, a filtered dump) is taken as PTI off, with a
    /// warning that says so.
    func ptiActive(kernelPGD: UInt64, session: KernelSession) -> Bool {
        guard let copy = try? session.memory.read(PhysicalAddress(kernelPGD | Self.ptiSwitch), count: 4096) else {
            session.warn("the PTI user copy of the PGD at \(hex(kernelPGD)) is not in the dump: taken as PTI off, so the user copy is not walked")
            return false
        }
        guard let pgd = try? session.memory.read(PhysicalAddress(kernelPGD), count: 4096) else { return false }
        let entry = { (bytes: [UInt8], i: Int) in decodeInteger(bytes, at: i * 8, size: 8, order: .little) ?? 0 }
        let nx: UInt64 = 1 << 63
        for i in 0..<256 where entry(copy, i) & ~nx != entry(pgd, i) & ~nx { return false }
        let kernelHalf = (256..<512).filter { entry(copy, $0) != 0 }.count
        return kernelHalf > 0 && kernelHalf <= Self.ptiClonedRegions
    }

    /// More PGD entries than PTI's clones ever take in a user copy's kernel half.
    static let ptiClonedRegions = 16

    /// `efi_mm.pgd`, a direct-map address from `__get_free_pages`.
    func efiPGD(session: KernelSession) throws(DumpError) -> PhysicalAddress? {
        let s = session.symbols
        guard let efiMM = s["efi_mm"] else {
            throw .noTable(name: "efi", reason: "no efi_mm symbol (kernel without CONFIG_EFI, or no vmlinux/System.map)")
        }
        guard let swapper = s["init_top_pgt"] ?? s["swapper_pg_dir"] else {
            throw .missingSymbol(name: "init_top_pgt", source: s.sources.joined(separator: ", "))
        }
        let va = try session.mmPGD(efiMM, name: "efi_mm", swapperVA: swapper)
        guard va != 0 else { return nil }
        if va >= pageOffsetBase && va - pageOffsetBase < 1 << 52 { return PhysicalAddress(va - pageOffsetBase) }
        if let pa = session.kernelImagePhysical(va) { return pa }
        throw .noTable(name: "efi", reason: "efi_mm.pgd \(hex(va)) is not a direct-map address")
    }
}
