import PageTables

/// A process whose page table to list, by pid or by name (`comm`).
public struct ProcessChoice: Sendable {
    public var pid: Int32?
    public var comm: String?
    public init(pid: Int32?, comm: String?) {
        self.pid = pid
        self.comm = comm
    }
}

/// What the command line asks for, and what it gets back. The CLI parses
/// arguments and prints; everything else is here.
public enum Actions {
    /// Opens the kernel and reads its architecture's layout.
    public static func open(_ request: DumpRequest) throws(DumpError) -> (KernelSession, any KernelLayout) {
        let session = try KernelSession(request)
        if let release = session.vmcoreinfo?.osRelease, let warning = JudgedReleases.warning(release: release) {
            session.warn(warning)
        }
        let layout = try readKernelLayout(session)
        return (session, layout)
    }

    /// Prints the listing of `table` to `write` and returns what the walk saw.
    public static func listing(_ request: DumpRequest, table: TableChoice, cpu: Int,
                               options: ListingOptions = ListingOptions(), process: ProcessChoice? = nil,
                               write: @escaping (String) -> Void,
                               diagnostic: (String) -> Void) throws(DumpError) -> ListingResult {
        let (session, layout) = try open(request)
        return try listing(session, layout, table: table, cpu: cpu, options: options, process: process,
                           write: write, diagnostic: diagnostic)
    }

    /// The same, for a kernel already opened.
    public static func listing(_ session: KernelSession, _ layout: any KernelLayout, table: TableChoice, cpu: Int,
                               options: ListingOptions = ListingOptions(), process: ProcessChoice? = nil,
                               write: @escaping (String) -> Void,
                               diagnostic: (String) -> Void) throws(DumpError) -> ListingResult {
        var chosen: TableSpec?
        if let process {
            var spec = try processTable(session, layout, pid: process.pid, comm: process.comm)
            if table == .currentUser { spec = try layout.userTable(of: spec, session: session) }
            chosen = spec
            diagnostic(spec.origin)
        } else {
            chosen = try layout.table(table, session: session, cpu: cpu)
        }
        if options.output == .json, let spec = chosen {
            chosen?.swapTypes = session.swapTypes()
            warnIfUserEntriesUndecoded(session, spec)
        }
        guard let spec = chosen else {
            // The kernel's own file is empty in this state; so is ours.
            diagnostic("\(table.rawValue): efi_mm.pgd is NULL (no EFI runtime services): nothing to list")
            for w in session.warnings { diagnostic("warning: \(w)") }
            return ListingResult(statistics: WalkStatistics(), writableExecutablePages: 0,
                                 problems: [])
        }
        if table == .currentKernel || table == .currentUser { diagnostic("\(table.rawValue): \(spec.origin)") }
        for name in options.selection.regions(in: spec.markers).unmatched {
            let known = spec.markers.markers.map(\.name).joined(separator: ", ")
            throw .badRequest("--range \(name): no marker of the \(table.rawValue) table matches; its markers are: \(known)")
        }
        let result = writeListing(spec, memory: session.memory, options: options, write: write)
        for w in session.warnings { diagnostic("warning: \(w)") }
        for p in result.problems.prefix(10) {
            diagnostic("warning: \(hex16(p.start))-\(hex16(p.end)): \(p.problem?.description ?? "")")
        }
        if result.problems.count > 10 { diagnostic("warning: ... and \(result.problems.count - 10) more marked ranges") }
        return result
    }

    /// The facts `--verbose` and `info` print: what was detected and from where.
    /// The rows common to every architecture (the dump's format, where the
    /// symbols were looked for) come first and last around the layout's own.
    /// `tool` (kptdump's own version and commit) ends the rows when given.
    public static func describe(_ session: KernelSession, _ layout: any KernelLayout, tool: String? = nil) -> [(String, String)] {
        var rows = layout.describe(session)
        let format = ("format", session.isLive ? "ELF (/proc/kcore)" : session.dump.formatDescription)
        rows.insert(format, at: min(1, rows.count))
        let report = session.debugFiles
        if report.searched {
            if let found = report.vmlinux ?? report.systemMap {
                rows.append(("found", found))
            } else if let map = session.systemMapGiven {
                rows.append(("vmlinux search", "none of \(report.looked.count) places had a matching vmlinux; symbols from --system-map \(map)"))
            } else {
                rows.append(("vmlinux search", "none of \(report.looked.count) places had a matching vmlinux or System.map (pass --vmlinux, --system-map or --debug-root)"))
            }
            for s in report.skipped { rows.append(("skipped", s)) }
        }
        rows += crashRows(session, layout)
        // Structure layouts are read only when a command needs them (the DWARF
        // scan is costly); a crash dump's CPU rows above did.
        switch session.cachedTaskLayout {
        case .some(.some(let types)): rows.append(("types", types.source))
        case .some(.none): rows.append(("types", "none: " + session.missingTypesMessage("tasks and current tables")))
        case .none: rows.append(("types", "not read (no command here needed them)"))
        }
        if let tool { rows.append(("kptdump", tool)) }
        for w in session.warnings { rows.append(("warning", w)) }
        return rows
    }

    /// What an analyst asks first of a crash dump: when, which CPU panicked
    /// and what each CPU ran.
    static func crashRows(_ session: KernelSession, _ layout: any KernelLayout) -> [(String, String)] {
        let context = session.crashContext()
        guard !context.cpuPIDs.isEmpty else { return [] }
        var rows: [(String, String)] = []
        if let time = context.crashTime { rows.append(("crash time", FileSystem.utcText(time) + " (CRASHTIME \(time))")) }
        rows.append(("panic CPU", context.panicCPU.map(String.init) ?? "unknown (\(context.panicCPUProblem ?? "panic_cpu not read"))"))
        for cpu in 0..<context.cpuPIDs.count {
            var text = "pid \(context.cpuPIDs[cpu])"
            do {
                let running = try cpuTask(session, layout, cpu: cpu)
                text = "pid \(running.task.pid) (\(running.task.comm))"
                if running.task.pid == 0 { text += ", idle" }
                text += ", table of its \(running.whose) at physical \(running.pgdPhysical)"
            } catch {
                let why = session.taskLayout() == nil ? "no type layout to read its task: see types" : error.description
                text += (context.cpuPIDs[cpu] == 0 ? " (idle)" : "") + " (from NT_PRSTATUS; \(why))"
            }
            rows.append((context.panicCPU == cpu ? "CPU \(cpu) (panicked)" : "CPU \(cpu)", text))
        }
        return rows
    }


    /// `describe` as a JSON object; repeated keys (warnings) become arrays.
    public static func describeJSON(_ session: KernelSession, _ layout: any KernelLayout, tool: String? = nil) -> String {
        JSONText.object(describe(session, layout, tool: tool).map { key, value in
            (key.lowercased().replacingSpaces(with: "_"), value)
        })
    }

    public struct SnapshotSummary {
        public var tables: [String]
        public var skipped: [String]
        public var ranges: Int
        public var bytes: Int
    }

    /// Walks every table the dump has and writes a snapshot holding only what
    /// those walks read.
    public static func snapshot(_ request: DumpRequest, output: String) throws(DumpError) -> SnapshotSummary {
        let (session, layout) = try open(request)
        var tables: [String] = []
        var skipped: [String] = []
        var zeroFilled: [UInt64: Int] = [:]
        // makedumpfile checks the release in init_uts_ns before converting a
        // dump; keeping it lets a snapshot become a small kdump-compressed file.
        if let uts = session.vmcoreinfo?.symbol("init_uts_ns") {
            _ = try? session.readKernelImage(uts, count: 4 + 6 * 65, name: "init_uts_ns")
        }
        // Each distinct walk once: current-kernel is often the same table on
        // every CPU, and check-wx's first table is the kernel one.
        var walked: Set<String> = []
        func walk(_ spec: TableSpec) {
            let key = "\(spec.root.rawValue) " + spec.ranges.map { "\($0.start)-\($0.end)" }.joined(separator: ",")
            guard walked.insert(key).inserted else { return }
            let result = writeListing(spec, memory: session.memory) { _ in }
            zeroFilled.merge(result.zeroFilledTables) { max($0, $1) }
        }
        for choice in TableChoice.allCases {
            let cpuCount = session.cpus.isEmpty ? session.crashContext().cpuPIDs.count : session.cpus.count
            let cpus = (choice == .currentKernel || choice == .currentUser) ? Array(0..<cpuCount) : [0]
            for cpu in cpus {
                do {
                    guard let spec = try layout.table(choice, session: session, cpu: cpu) else {
                        skipped.append("\(choice.rawValue): empty (efi_mm.pgd is NULL)")
                        continue
                    }
                    walk(spec)
                    tables.append(cpus.count > 1 ? "\(choice.rawValue) (CPU \(cpu))" : choice.rawValue)
                } catch {
                    skipped.append("\(choice.rawValue): \(error.description)")
                }
            }
        }
        // What check-wx walks: on x86 with PTI also the user copy of
        // init_top_pgt, which no listing above need read.
        for (_, spec) in (try? layout.wxCheckTables(session)) ?? [] { walk(spec) }
        // Each process's table, and the task list that leads to it, so that
        // `ps` and `--pid` work on the snapshot too.
        let taskLayout = session.taskLayout()
        if taskLayout != nil, let all = try? tasks(session, layout) {
            for task in all where task.pgdPhysical != nil {
                if let spec = try? processTable(session, layout, task: task) { walk(spec) }
            }
            tables.append("process tables: \(all.filter { $0.pgdPhysical != nil }.count) (of \(all.count) tasks)")
            // ps lists each CPU's idle task too.
            _ = idleTasks(session, layout, cpuCount: session.crashContext().cpuCount)
        }
        var ranges: [(start: UInt64, bytes: [UInt8])] = []
        for (start, count) in session.memory.mergedRanges() {
            if let bytes = try? session.coreMemory.read(PhysicalAddress(start), count: Int(count)) {
                ranges.append((start, bytes))
            }
        }
        // Table pages a filtered dump left out as zero pages are kept as the
        // zeros they were read as (never recorded: their read threw).
        for (pa, count) in zeroFilled.sorted(by: { $0.key < $1.key }) {
            ranges.append((pa, [UInt8](repeating: 0, count: count)))
        }
        ranges.sort { $0.start < $1.start }
        var notes = session.notes.filter { $0.name != KernelSession.snapshotNoteName }
        if !notes.contains(where: { $0.name == "VMCOREINFO" }), let info = session.vmcoreinfo {
            let text = info.lines.map { "\($0.key)=\($0.value)\n" }.joined()
            notes.append(ElfFile.Note(name: "VMCOREINFO", type: 0, descriptor: Array(text.utf8)))
        }
        _ = session.swapTypes()   // MAX_SWAPFILES from DWARF becomes a fact
        var facts = session.derivedFacts
        if let physBase = session.physBase { facts["phys_base"] = physBase }
        notes.append(SnapshotWriter.symbolNote(session.symbols.used, sizes: session.symbols.usedSizes,
                                                complete: session.symbols.hasFullTable, facts: facts,
                                                offsets: taskLayout?.named ?? [:]))
        let writer = SnapshotWriter(machine: session.machine, notes: notes, ranges: ranges)
        if FileSystem.sameFile(output, session.path) {
            throw .cannotOpen(path: output, reason: "refusing to overwrite the input dump")
        }
        try writer.write(to: output)
        return SnapshotSummary(tables: tables, skipped: skipped, ranges: ranges.count,
                               bytes: ranges.reduce(0) { $0 + $1.bytes.count })
    }

}
