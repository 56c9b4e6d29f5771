import PageTables

/// What a crash dump says about the moment of the crash: which task each CPU
/// ran and which CPU panicked. kdump's /proc/vmcore has one CORE/NT_PRSTATUS
/// note per CPU (kernel/kexec_core.c crash_save_cpu(), in CPU order) and no
/// CPU registers beyond the general ones, so these, not CR3, name the
/// current tables.
public struct CrashContext: Sendable, Equatable {
    /// `pr_pid` of each CPU's NT_PRSTATUS note: the task it ran, 0 for idle.
    /// Empty unless the dump was written at a crash: QEMU's dump-guest-memory
    /// also writes NT_PRSTATUS notes, with the CPU's number + 1 as pr_pid.
    public var cpuPIDs: [Int32]
    /// NT_PRSTATUS notes in the dump: one per CPU, whoever wrote it; live,
    /// the kernel's `nr_cpu_ids`.
    public var cpuCount: Int
    /// The kernel's `panic_cpu` (-1, PANIC_CPU_INVALID, when nothing panicked).
    public var panicCPU: Int?
    /// Why `panicCPU` is nil: "-1" or why `panic_cpu` could not be read.
    public var panicCPUProblem: String?
    /// VMCOREINFO's CRASHTIME (seconds since the epoch), written at the crash.
    public var crashTime: UInt64?

    /// `struct elf_prstatus` (include/linux/elfcore.h) starts with
    /// `elf_siginfo` (12 bytes), `short pr_cursig` (padded to 4), then two
    /// `unsigned long` signal masks: `pr_pid` sits at byte 32 on every 64-bit
    /// architecture.
    static let prPIDOffset = 32
    static let ntPRStatus: UInt32 = 1

    static func pids(from notes: [ElfFile.Note], order: ByteOrder) -> [Int32] {
        notes.filter { $0.name == "CORE" && $0.type == ntPRStatus }.compactMap { note in
            decodeInteger(note.descriptor, at: prPIDOffset, size: 4, order: order).map { Int32(truncatingIfNeeded: $0) }
        }
    }
}

/// The task one CPU ran at the crash, and the table it ran on.
public struct CPUTask: Sendable {
    public var cpu: Int
    public var task: KernelTask
    /// The mm whose table the CPU used: the task's own, else its active_mm.
    public var mm: UInt64
    public var pgd: UInt64
    public var pgdPhysical: PhysicalAddress
    /// Whose table it is: "mm", "active_mm" or the loaded mm's source.
    public var whose: String
    /// How it was found, for the listing's origin line.
    public var origin: String
}

extension KernelSession {
    /// The dump's crash facts, read once (the panic CPU needs the symbols).
    public func crashContext() -> CrashContext {
        crashOnce.get { readCrashContext() }
    }

    private func readCrashContext() -> CrashContext {
        let pids = CrashContext.pids(from: notes, order: bigEndian ? .big : .little)
        // Only the crashing kernel writes CRASHTIME (crash_save_vmcoreinfo());
        // a note QEMU took from a running kernel through fw_cfg has none.
        let crashTime = vmcoreinfo?["CRASHTIME"].flatMap { UInt64($0.trimmingSpaces) }
        var context = CrashContext(cpuPIDs: crashTime == nil ? [] : pids, cpuCount: pids.count, crashTime: crashTime)
        // /proc/kcore has one NT_PRSTATUS note whatever the CPU count; the
        // kernel's own count of CPU ids says how many runqueues there are.
        if isLive, let ids = try? readVariable("nr_cpu_ids", size: 4), ids > 0, ids <= 1 << 16 {
            context.cpuCount = Int(ids)
        }
        do {
            if let value = try readVariable("panic_cpu", size: 4) {
                let cpu = Int32(truncatingIfNeeded: value)
                context.panicCPU = cpu >= 0 ? Int(cpu) : nil
                if cpu < 0 { context.panicCPUProblem = "panic_cpu is \(cpu)" }
            } else {
                context.panicCPUProblem = "no symbol panic_cpu in \(symbols.sources.joined(separator: ", "))"
            }
        } catch {
            context.panicCPUProblem = "\(error)"
        }
        return context
    }

    /// The CPU the current tables mean when none was asked for: the one
    /// that panicked, else CPU 0.
    public func defaultCPU() -> Int { crashContext().panicCPU ?? 0 }

    /// What a missing structure layout needs, and where it comes from.
    func missingTypesMessage(_ what: String) -> String {
        let release = vmcoreinfo?.osRelease ?? "RELEASE"
        var text = "\(what) need the offsets of task_struct and mm_struct: from a vmlinux with DWARF (Debian: linux-image-\(release)-dbg; pass --vmlinux or --debug-root) or from the kernel's own BTF (CONFIG_DEBUG_INFO_BTF)"
        if let btfProblem { text += ", not at hand here: \(btfProblem)" }
        return text
    }
}

extension Actions {
    /// The task CPU `cpu` ran at the crash: `runqueues.curr` of that CPU (its
    /// idle task when it ran none), checked against the pid its NT_PRSTATUS
    /// note names; without `struct rq`'s layout, the task with that pid.
    public static func cpuTask(_ session: KernelSession, _ layout: any KernelLayout, cpu: Int) throws(DumpError) -> CPUTask {
        let context = session.crashContext()
        guard cpu >= 0, cpu < context.cpuPIDs.count else {
            throw .noCPUState(path: session.path, cpu: cpu, available: context.cpuPIDs.count)
        }
        let notedPID = context.cpuPIDs[cpu]
        guard let offsets = session.taskLayout() else {
            throw .noTable(name: "current", reason: session.missingTypesMessage("the current tables of a crash dump"))
        }
        let spec = try layout.kernelTable(session)
        let reader = KernelVirtualReader(spec: spec, session: session)
        var task = KernelTask(pid: notedPID, comm: "?", address: 0, mm: 0)
        var how = "NT_PRSTATUS of CPU \(cpu)"
        // A dump filtered with -d 31 can lack the task_struct (makedumpfile
        // 1.7.2 takes some 6.12 slab pages for user pages); the mm the CPU
        // had loaded still names its table.
        var taskProblem: DumpError?
        do throws(DumpError) {
            if let current = offsets.runqueueCurrent, let rq = try runqueue(session, cpu: cpu) {
                how = "runqueues.curr of CPU \(cpu)"
                let address = try reader.read64(rq &+ current, what: "rq.curr of CPU \(cpu)")
                task.address = address
                task = try readTask(address, offsets: offsets, reader: reader, session: session)
                if task.pid != notedPID {
                    session.warn("CPU \(cpu): its NT_PRSTATUS note names pid \(notedPID) but its runqueue's current task is pid \(task.pid) (\(task.comm)); the runqueue's is used")
                }
            } else {
                let all = try tasks(session, layout)
                guard let found = all.first(where: { $0.pid == notedPID }), notedPID != 0 || cpu == 0 else {
                    throw DumpError.noTable(name: "current", reason: "CPU \(cpu) ran pid \(notedPID), which is not on init_task's list (an idle task or a thread), and the runqueues' layout (struct rq) is unknown")
                }
                task = found
            }
        } catch {
            taskProblem = error
        }
        var mm = task.mm != 0 ? task.mm : (task.activeMM ?? 0)
        var whose = task.mm != 0 ? "mm" : "active_mm"
        if let loaded = try loadedMM(session, offsets, reader, cpu: cpu), loaded != mm {
            if task.mm != 0 {
                session.warn("CPU \(cpu): pid \(task.pid) (\(task.comm)) has mm \(hex(task.mm)) but the CPU had mm \(hex(loaded)) loaded (cpu_tlbstate.loaded_mm); the loaded one is used")
            }
            mm = loaded
            whose = "loaded mm (cpu_tlbstate.loaded_mm)"
        }
        if let taskProblem {
            guard mm != 0 else { throw taskProblem }
            session.warn("CPU \(cpu): its task could not be read (\(taskProblem)); pid \(notedPID) from its NT_PRSTATUS note")
        }
        guard mm != 0 else {
            throw .noTable(name: "current", reason: "CPU \(cpu) ran pid \(task.pid) (\(task.comm)), which has no mm and no active_mm")
        }
        let pgd = try reader.read64(mm &+ offsets.pgd, what: "mm_struct.pgd")
        let pageSize = spec.architecture.geometry.pageSize
        let base = try reader.physical(pgd & ~(pageSize - 1), what: "mm->pgd")
        let origin = "CPU \(cpu)\(context.panicCPU == cpu ? " (panicked)" : ""): pid \(task.pid) (\(task.comm)) from \(how), \(whose)->pgd \(hex(pgd))"
        return CPUTask(cpu: cpu, task: task, mm: mm, pgd: pgd, pgdPhysical: PhysicalAddress(base + (pgd & (pageSize - 1))), whose: whose, origin: origin)
    }

    /// The mm CPU `cpu` had loaded, where the kernel records it per CPU
    /// (`cpu_tlbstate.loaded_mm`, arch/x86/mm/tlb.c): a lazy CPU (idle, or a
    /// kernel thread) keeps the last user mm as active_mm, but a TLB flush
    /// that frees tables moves it to init_mm without changing active_mm.
    /// nil without the variable or its layout, or mid-switch
    /// (LOADED_MM_SWITCHING is 1).
    static func loadedMM(_ session: KernelSession, _ offsets: TaskLayout, _ reader: KernelVirtualReader,
                         cpu: Int) throws(DumpError) -> UInt64? {
        guard let member = offsets.loadedMM, let state = session.symbols["cpu_tlbstate"],
              let perCPU = try perCPUOffset(session, cpu: cpu) else { return nil }
        do {
            let mm = try reader.read64(state &+ perCPU &+ member, what: "cpu_tlbstate.loaded_mm of CPU \(cpu)")
            return mm > 0xffff ? mm : nil
        } catch {
            // A dump cut down before this was read (an older snapshot) lacks the page.
            session.warn("CPU \(cpu): \(error); its task's mm or active_mm is used")
            return nil
        }
    }

    /// `__per_cpu_offset[cpu]`; nil without the symbol.
    static func perCPUOffset(_ session: KernelSession, cpu: Int) throws(DumpError) -> UInt64? {
        guard let offsets = session.symbols["__per_cpu_offset"] else { return nil }
        let bytes = try session.readKernelImage(offsets &+ UInt64(8 * cpu), count: 8, name: "__per_cpu_offset[\(cpu)]")
        return decodeInteger(bytes, at: 0, size: 8, order: session.byteOrder) ?? 0
    }

    /// The address of CPU `cpu`'s `struct rq`: the per-CPU `runqueues` plus
    /// `__per_cpu_offset[cpu]`; nil without those symbols.
    static func runqueue(_ session: KernelSession, cpu: Int) throws(DumpError) -> UInt64? {
        guard let runqueues = session.symbols["runqueues"], let offset = try perCPUOffset(session, cpu: cpu) else { return nil }
        return runqueues &+ offset
    }
}
