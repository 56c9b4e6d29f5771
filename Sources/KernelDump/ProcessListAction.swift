import PageTables

/// What `kptdump ps` reports: every task, with the CPU each running one was
/// on in a crash dump.
public struct ProcessListReport {
    public struct Row {
        public var task: KernelTask
        /// "CPU 1 (panicked)": where this task ran, in a crash dump.
        public var onCPU: [String]
    }

    public var rows: [Row]
    /// Whether the dump names the CPUs' tasks (the ON CPU column).
    public var knowsCPUs: Bool

    /// One line per task, as `PID  COMM  TASK  PGD [ON CPU]`.
    public var text: String {
        var out = "    PID  COMM              TASK                PGD (physical)" + (knowsCPUs ? "      ON CPU\n" : "\n")
        for row in rows {
            let t = row.task
            let pid = String(t.pid)
            out += String(repeating: " ", count: max(0, 7 - pid.count)) + pid + "  "
            out += t.comm + String(repeating: " ", count: max(1, 18 - t.comm.count))
            let pgd = t.pgdPhysical.map { hex16($0.rawValue) } ?? (t.mm == 0 ? "-" : "?")
            out += hex16(t.address) + "  " + pgd
            if !row.onCPU.isEmpty {
                out += String(repeating: " ", count: max(1, 20 - pgd.count)) + row.onCPU.joined(separator: ", ")
            }
            out += "\n"
        }
        return out
    }
}

extension Actions {
    /// `kptdump ps`: every task on the list, then each CPU's running task the
    /// list walk could not reach, then each CPU's idle task that is not on
    /// the list (all but CPU 0's). The session's warnings go to `diagnostic`,
    /// also when the task list cannot be read.
    public static func processList(_ request: DumpRequest, diagnostic: (String) -> Void = { _ in }) throws(DumpError) -> ProcessListReport {
        let (session, layout) = try open(request)
        defer { for w in session.warnings { diagnostic("warning: \(w)") } }
        var all = try tasks(session, layout)
        var onCPU: [UInt64: [String]] = [:]
        let context = session.crashContext()
        for cpu in 0..<context.cpuPIDs.count {
            guard let running = try? cpuTask(session, layout, cpu: cpu) else { continue }
            onCPU[running.task.address, default: []].append("CPU \(cpu)" + (context.panicCPU == cpu ? " (panicked)" : ""))
            // A running task the list walk could not reach (its page left out
            // of a filtered dump) is still named by its runqueue.
            if running.task.address != 0, !all.contains(where: { $0.address == running.task.address }) {
                var task = running.task
                task.pgd = running.pgd
                task.pgdPhysical = running.pgdPhysical
                all.append(task)
            }
        }
        for idle in idleTasks(session, layout, cpuCount: context.cpuCount) where !all.contains(where: { $0.address == idle.address }) {
            all.append(idle)
        }
        return ProcessListReport(rows: all.map { ProcessListReport.Row(task: $0, onCPU: onCPU[$0.address] ?? []) },
                                 knowsCPUs: !onCPU.isEmpty)
    }
}
