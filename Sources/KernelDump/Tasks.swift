import PageTables

/// One task of the dumped kernel, found by following `init_task.tasks`.
public struct KernelTask: Sendable, Equatable {
    public var pid: Int32
    public var comm: String
    /// The task_struct's kernel virtual address.
    public var address: UInt64
    /// `task->mm`: 0 for kernel threads.
    public var mm: UInt64
    /// `task->active_mm`: the mm whose table the CPU runs on while this task
    /// runs (a kernel thread's or idle task's borrowed one); nil when the
    /// layout did not give its offset.
    public var activeMM: UInt64? = nil
    /// `mm->pgd` (a kernel virtual address), and its physical address.
    public var pgd: UInt64?
    public var pgdPhysical: PhysicalAddress?
}

/// The structure layout the task walk needs, from the vmlinux's DWARF, or from
/// a snapshot that kept it (`OFFSET(struct.member)=` lines, VMCOREINFO's syntax).
/// Never assumed: a kernel without them is reported, not guessed.
public struct TaskLayout: Sendable, Equatable {
    public var tasks: UInt64
    public var mm: UInt64
    public var pid: UInt64
    public var comm: UInt64
    public var pgd: UInt64
    /// `task_struct.active_mm`, for the current tables of a crash dump;
    /// optional so that snapshots made before it was kept still open.
    public var activeMM: UInt64?
    /// `rq.curr` and `rq.idle`: which task each CPU ran.
    public var runqueueCurrent: UInt64?
    public var runqueueIdle: UInt64?
    /// `tlb_state.loaded_mm`: the mm whose table a CPU has loaded, kept per
    /// CPU in `cpu_tlbstate` by kernels that switch tables lazily (x86). An
    /// idle CPU's active_mm can be an mm it has already left.
    public var loadedMM: UInt64?
    /// Which source gave the offsets ("DWARF of ...", "BTF in the dump", ...).
    public var source = ""

    public static let wanted: [String: [String]] = [
        "task_struct": ["tasks", "mm", "active_mm", "pid", "comm"],
        "mm_struct": ["pgd"],
        "rq": ["curr", "idle"],
        "tlb_state": ["loaded_mm"],
    ]

    /// The offsets as "struct.member" keys, for the snapshot note.
    public var named: [String: UInt64] {
        var n = ["task_struct.tasks": tasks, "task_struct.mm": mm, "task_struct.pid": pid,
                 "task_struct.comm": comm, "mm_struct.pgd": pgd]
        n["task_struct.active_mm"] = activeMM
        n["rq.curr"] = runqueueCurrent
        n["rq.idle"] = runqueueIdle
        n["tlb_state.loaded_mm"] = loadedMM
        return n
    }

    public static func == (a: TaskLayout, b: TaskLayout) -> Bool { a.named == b.named }

    init?(_ offsets: [String: UInt64]) {
        guard let tasks = offsets["task_struct.tasks"], let mm = offsets["task_struct.mm"],
              let pid = offsets["task_struct.pid"], let comm = offsets["task_struct.comm"],
              let pgd = offsets["mm_struct.pgd"] else { return nil }
        self.tasks = tasks
        self.mm = mm
        self.pid = pid
        self.comm = comm
        self.pgd = pgd
        activeMM = offsets["task_struct.active_mm"]
        runqueueCurrent = offsets["rq.curr"]
        runqueueIdle = offsets["rq.idle"]
        loadedMM = offsets["tlb_state.loaded_mm"]
    }
}

/// Reads kernel virtual memory by translating through the kernel's own page
/// table (`TableChoice.kernel`, and its `linearMap` where the table has no
/// entries), so slab and vmalloc addresses read the same way on every
/// architecture.
final class KernelVirtualReader {
    let spec: TableSpec
    let memory: any PhysicalMemory
    /// The kernel's own byte order, for its variables: not the table entries'
    /// (ppc64le keeps big-endian entries).
    let byteOrder: ByteOrder
    private var pages: [UInt64: UInt64] = [:]

    init(spec: TableSpec, session: KernelSession) {
        self.spec = spec
        memory = session.memory
        byteOrder = session.byteOrder
    }

    func read(_ va: UInt64, count: Int, what: String) throws(DumpError) -> [UInt8] {
        var out: [UInt8] = []
        var address = va
        let pageSize = spec.architecture.geometry.pageSize
        while out.count < count {
            let page = address & ~(pageSize - 1)
            let base = try physical(page, what: what)
            let within = address - page
            let n = min(count - out.count, Int(pageSize - within))
            do {
                out += try memory.read(PhysicalAddress(base + within), count: n)
            } catch {
                throw .unreadableVariable(name: what, address: address, reason: error.description)
            }
            address &+= UInt64(n)
        }
        return out
    }

    /// The physical address of the page-aligned `page`, translated once.
    func physical(_ page: UInt64, what: String) throws(DumpError) -> UInt64 {
        if let known = pages[page] { return known }
        if let linear = spec.linearMap?.physical(page) {
            pages[page] = linear
            return linear
        }
        let t = AddressTranslation(page, root: spec.root, architecture: spec.architecture, memory: memory)
        guard case .mapped(let pa, _, _, _) = t.outcome else {
            throw .unreadableVariable(name: what, address: page, reason: "not mapped in the kernel's page table (\(t.outcome))")
        }
        pages[page] = pa.rawValue
        return pa.rawValue
    }

    func read64(_ va: UInt64, what: String) throws(DumpError) -> UInt64 {
        decodeInteger(try read(va, count: 8, what: what), at: 0, size: 8, order: byteOrder) ?? 0
    }
}

extension KernelSession {
    /// The task walk's structure offsets: DWARF first, then a snapshot's note,
    /// then VMCOREINFO. nil when none has them all.
    public func taskLayout() -> TaskLayout? {
        taskLayoutOnce.get { readTaskLayout() }
    }

    private func readTaskLayout() -> TaskLayout? {
        if let (offsets, source) = dwarfOffsets(TaskLayout.wanted), var l = TaskLayout(offsets) {
            l.source = source
            return l
        }
        for (source, name) in [(snapshotFacts, "the snapshot's note"), (vmcoreinfo, "VMCOREINFO")] {
            guard let source else { continue }
            var offsets: [String: UInt64] = [:]
            for (s, members) in TaskLayout.wanted {
                for m in members { offsets["\(s).\(m)"] = source.offset("\(s).\(m)") }
            }
            if var l = TaskLayout(offsets) {
                l.source = name
                return l
            }
        }
        if let (offsets, source) = btfOffsets(TaskLayout.wanted), var l = TaskLayout(offsets) {
            l.source = source
            return l
        }
        return nil
    }
}

extension Actions {
    /// A bound on the task list: far above any real system, so a corrupt list
    /// that never returns to init_task still ends.
    static let maximumTasks = 1 << 22

    /// Every task on `init_task.tasks`, init_task first.
    public static func tasks(_ session: KernelSession, _ layout: any KernelLayout) throws(DumpError) -> [KernelTask] {
        guard let offsets = session.taskLayout() else {
            throw .badRequest(session.missingTypesMessage("tasks"))
        }
        guard let initTask = session.symbols["init_task"] else {
            throw .missingSymbol(name: "init_task", source: session.symbols.sources.joined(separator: ", "))
        }
        let spec = try layout.kernelTable(session)
        let reader = KernelVirtualReader(spec: spec, session: session)
        var tasks: [KernelTask] = []
        var seen: Set<UInt64> = [initTask]
        // Forward from init_task along tasks.next; where a task cannot be read
        // (a filtered dump can lack its page), back from init_task along
        // tasks.prev to the same gap, so that one lost task loses only itself.
        var gap: (address: UInt64, error: DumpError)?
        var task = initTask
        while tasks.count < maximumTasks {
            do throws(DumpError) {
                tasks.append(try readTask(task, offsets: offsets, reader: reader, session: session))
                // prev too, so that a snapshot keeps it for the walk back
                // (snapshots made before kept next only).
                _ = try? reader.read64(task &+ offsets.tasks &+ 8, what: "task_struct.tasks.prev")
                task = try reader.read64(task &+ offsets.tasks, what: "task_struct.tasks.next") &- offsets.tasks
            } catch {
                gap = (task, error)
                break
            }
            if task == initTask { return tasks }
            guard seen.insert(task).inserted else {
                session.warn("the task list loops back to \(hex(task)) without reaching init_task; stopped after \(tasks.count) tasks")
                return tasks
            }
        }
        guard let gap else { return tasks }
        if tasks.isEmpty { throw gap.error }
        var tail: [KernelTask] = []
        task = initTask
        while tasks.count + tail.count < maximumTasks {
            guard let previous = try? reader.read64(task &+ offsets.tasks &+ 8, what: "task_struct.tasks.prev") &- offsets.tasks,
                  previous != gap.address, seen.insert(previous).inserted,
                  let read = try? readTask(previous, offsets: offsets, reader: reader, session: session) else { break }
            tail.append(read)
            task = previous
        }
        session.warn("the task at \(hex(gap.address)) on the task list cannot be read (\(gap.error)); \(tasks.count + tail.count) tasks were read from both ends of the list")
        return tasks + tail.reversed()
    }

    static func readTask(_ task: UInt64, offsets: TaskLayout, reader: KernelVirtualReader,
                         session: KernelSession) throws(DumpError) -> KernelTask {
        let pidBytes = try reader.read(task &+ offsets.pid, count: 4, what: "task_struct.pid")
        let pid = Int32(truncatingIfNeeded: decodeInteger(pidBytes, at: 0, size: 4, order: reader.byteOrder) ?? 0)
        let commBytes = try reader.read(task &+ offsets.comm, count: 16, what: "task_struct.comm")
        let comm = String(decoding: commBytes.prefix { $0 != 0 }, as: UTF8.self)
        let mm = try reader.read64(task &+ offsets.mm, what: "task_struct.mm")
        var result = KernelTask(pid: pid, comm: comm, address: task, mm: mm)
        if let offset = offsets.activeMM {
            result.activeMM = try? reader.read64(task &+ offset, what: "task_struct.active_mm")
        }
        if mm != 0 {
            let pgd = try reader.read64(mm &+ offsets.pgd, what: "mm_struct.pgd")
            result.pgd = pgd
            // A PGD is page-aligned; one that does not translate stays nil and is reported by --pid.
            let pageSize = reader.spec.architecture.geometry.pageSize
            if let base = try? reader.physical(pgd & ~(pageSize - 1), what: "mm->pgd") {
                result.pgdPhysical = PhysicalAddress(base + (pgd & (pageSize - 1)))
            }
        }
        return result
    }
}

extension Actions {
    /// The table of the task chosen by `pid` or `comm` (the first match): its
    /// `mm->pgd` walked like the kernel's current_kernel file, both halves.
    public static func processTable(_ session: KernelSession, _ layout: any KernelLayout, pid: Int32?,
                                     comm: String?) throws(DumpError) -> TableSpec {
        let all = try tasks(session, layout)
        guard let task = all.first(where: { t in pid.map { t.pid == $0 } ?? (t.comm == comm) }) else {
            let what = pid.map { "pid \($0)" } ?? "comm '\(comm ?? "")'"
            throw .badRequest("no task with \(what) among the \(all.count) tasks on init_task's list")
        }
        return try processTable(session, layout, task: task)
    }

    /// The table of one task already found on the task list.
    static func processTable(_ session: KernelSession, _ layout: any KernelLayout,
                             task: KernelTask) throws(DumpError) -> TableSpec {
        guard let pgd = task.pgd, let pa = task.pgdPhysical else {
            throw .noTable(name: "pid \(task.pid) (\(task.comm))", reason: task.mm == 0
                ? "a kernel thread has no mm of its own" : "mm->pgd could not be translated")
        }
        var spec = try layout.processTable(root: pa, session: session)
        spec.name = "pid \(task.pid)"
        spec.origin = "task \(task.pid) (\(task.comm)) at \(hex(task.address)): mm->pgd \(hex(pgd)) at physical \(pa)"
        return spec
    }

    /// `rq.idle` of each CPU, when the runqueues' layout is known.
    static func idleTasks(_ session: KernelSession, _ layout: any KernelLayout, cpuCount: Int) -> [KernelTask] {
        guard let offsets = session.taskLayout(), let idleOffset = offsets.runqueueIdle,
              let spec = try? layout.kernelTable(session) else { return [] }
        let reader = KernelVirtualReader(spec: spec, session: session)
        return (0..<cpuCount).compactMap { cpu in
            guard let rq = try? runqueue(session, cpu: cpu),
                  let address = try? reader.read64(rq &+ idleOffset, what: "rq.idle of CPU \(cpu)") else { return nil }
            return try? readTask(address, offsets: offsets, reader: reader, session: session)
        }
    }
}
