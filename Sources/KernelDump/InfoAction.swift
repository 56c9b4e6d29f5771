import PageTables

/// `info` and `--verbose`: what was detected, and from where.
extension Actions {
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
        switch session.taskLayoutOnce.computed {
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
}
