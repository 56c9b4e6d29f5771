import PageTables

/// `snapshot`: a small dump holding only what the walks read.
extension Actions {
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
        // The tables the architecture's kernels have (x86's current ones per CPU).
        for choice in TableChoice.allCases where session.architecture.tables.contains(choice) {
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
        let writer = SnapshotWriter(machine: session.machine, notes: notes, ranges: ranges,
                                    bigEndian: session.byteOrder == .big)
        if FileSystem.sameFile(output, session.path) {
            throw .cannotOpen(path: output, reason: "refusing to overwrite the input dump")
        }
        try writer.write(to: output)
        return SnapshotSummary(tables: tables, skipped: skipped, ranges: ranges.count,
                               bytes: ranges.reduce(0) { $0 + $1.bytes.count })
    }
}
