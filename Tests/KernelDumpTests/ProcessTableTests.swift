import Foundation
import Testing
@testable import KernelDump
import PageTables

/// The task walk and `--pid` on real x86 snapshots. Each snapshot kept the
/// task_struct/mm_struct offsets its vmlinux's DWARF gave, and the pages the
/// task walk read. At the dump, init (pid 1) was current on CPU 0, so its table
/// listed as the kernel's own current_kernel file must be that file.
@Suite struct ProcessTableTests {
    static let states = ["custom-wx-before", "custom-wx-after", "custom-wx-failed", "custom-wx-second-boot"]

    @Test(arguments: states)
    func pidOneIsTheKernelsCurrentKernelListing(_ state: String) throws {
        let dir = Fixtures.root.appendingPathComponent("x86_64/\(state)")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let request = DumpRequest(core: snapshot.path)
        let (session, layout) = try Actions.open(request)
        let offsets = try #require(session.taskLayout())
        #expect(offsets.comm > offsets.pid && offsets.mm > 0)
        let tasks = try Actions.tasks(session, layout)
        #expect(tasks.first?.pid == 0 && tasks.first?.comm == "swapper/0")
        let initTask = try #require(tasks.first { $0.pid == 1 })
        #expect(initTask.comm == "init" && initTask.pgdPhysical != nil)
        // Kernel threads have no mm; only init has a table of its own here.
        #expect(tasks.filter { $0.mm != 0 }.map(\.pid) == [1])
        #expect(Set(tasks.map(\.pid)).count == tasks.count)

        let expected = try String(contentsOf: dir.appendingPathComponent("page_tables/current_kernel.txt"), encoding: .utf8)
        for choice in [ProcessChoice(pid: 1, comm: nil), ProcessChoice(pid: nil, comm: "init")] {
            var text = ""
            var origin = ""
            _ = try Actions.listing(request, table: .kernel, cpu: 0, process: choice,
                                    write: { text += $0 }, diagnostic: { origin += $0 })
            let comparison = LineComparison(ours: text, kernels: expected)
            #expect(comparison.differing == 0, "\(state) \(choice): \(comparison)")
            #expect(origin.contains("task 1 (init)"))
        }
        #expect(throws: DumpError.self) {
            try Actions.listing(request, table: .kernel, cpu: 0, process: ProcessChoice(pid: 2, comm: nil),
                                write: { _ in }, diagnostic: { _ in })
        }
        let ps = try Actions.processList(request).text
        #expect(ps.contains("      1  init              0x"))
        // The guest's own /proc/*/stat names (ps.txt): every task we list, by pid.
        // /proc adds a workqueue's name to a worker's comm ("kworker/0:1-events").
        let guest = try String(contentsOf: dir.appendingPathComponent("ps.txt"), encoding: .utf8)
            .split(separator: "\n").compactMap { line -> (Int32, String)? in
                let f = line.split(separator: " ", maxSplits: 1)
                guard f.count == 2, let pid = Int32(f[0]) else { return nil }
                return (pid, String(f[1]))
            }
        #expect(guest.count == tasks.count - 1, "the guest's ps has no pid 0")
        for (pid, name) in guest {
            let ours = tasks.first { $0.pid == pid }
            #expect(ours != nil && name.hasPrefix(ours?.comm ?? "?"), "pid \(pid): \(name) vs \(ours?.comm ?? "none")")
        }
    }

    struct VMA {
        var start: UInt64, end: UInt64, perms: String, name: String
    }

    static func maps(_ text: String) -> [VMA] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            let bounds = f.first?.split(separator: "-") ?? []
            guard f.count >= 5, bounds.count == 2, let s = UInt64(bounds[0], radix: 16),
                  let e = UInt64(bounds[1], radix: 16) else { return nil }
            return VMA(start: s, end: e, perms: String(f[1]), name: f.count > 5 ? String(f[5]) : "")
        }
    }

    /// init's user mappings from its page table against the guest's
    /// /proc/1/maps of the same moment: each present user page lies in a VMA
    /// that allows it (writable only where the VMA has w, executable only with
    /// x), and, since init ran mlockall(), every VMA is populated except [vvar],
    /// whose pages are mapped only when touched (and 7.x's [vvar_vclock]).
    /// Debian's stock 7.2 kernels (info tlb judged their tables) join the
    /// custom ones.
    @Test(arguments: states + ["debian-7.2-stock-4level", "debian-7.2-stock-5level", "debian-7.2-stock-pti"])
    func pidOneAgreesWithProcMaps(_ state: String) throws {
        let dir = Fixtures.root.appendingPathComponent("x86_64/\(state)")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let vmas = Self.maps(try String(contentsOf: dir.appendingPathComponent("maps.txt"), encoding: .utf8))
        #expect(vmas.count >= 8)
        var text = ""
        _ = try Actions.listing(DumpRequest(core: snapshot.path), table: .kernel, cpu: 0,
                                process: ProcessChoice(pid: 1, comm: nil), write: { text += $0 }, diagnostic: { _ in })
        let listing = try ParsedListing(text: text)
        let user = listing.regions.flatMap(\.lines).filter { $0.isPresent && $0.attributes.contains("USR") }
        #expect(!user.isEmpty)
        // A listing line can span several VMAs with equal flags: split it at their bounds.
        var covered: [UInt64: UInt64] = [:]   // VMA start -> bytes mapped
        for line in user {
            let end = line.start + line.size
            var inside: UInt64 = 0
            for vma in vmas where vma.start < end && line.start < vma.end {
                let overlap = min(end, vma.end) - max(line.start, vma.start)
                inside += overlap
                covered[vma.start, default: 0] += overlap
                if line.attributes.contains("RW") { #expect(vma.perms.contains("w"), "\(hex16(line.start)) RW in \(vma.perms)") }
                if line.attributes.contains("x") { #expect(vma.perms.contains("x"), "\(hex16(line.start)) x in \(vma.perms)") }
            }
            #expect(inside == line.size, "\(state): \(hex16(line.start))-\(hex16(end)) is mapped outside every VMA")
        }
        for vma in vmas where !vma.name.hasPrefix("[vvar") {
            #expect(covered[vma.start] == vma.end - vma.start, "\(state): \(vma.name) \(hex(vma.start)) not fully mapped")
        }
    }

    /// Without a vmlinux and without kept offsets, the walk says what it needs.
    @Test func tasksWithoutOffsetsSayWhatIsMissing() throws {
        let snapshot = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("x86_64/debian-stock-4level/snapshot.core.zst"))
        var request = DumpRequest(core: snapshot.path)
        request.searchDebugFiles = false
        let (session, layout) = try Actions.open(request)
        #expect(session.taskLayout() == nil)
        do {
            _ = try Actions.tasks(session, layout)
            Issue.record("tasks listed without offsets")
        } catch {
            #expect(error.description.contains("DWARF"))
        }
        let x86 = try #require(layout as? X86KernelLayout)
        do {
            _ = try x86.processCR3(session: session, pid: 1)
            Issue.record("a live current table without offsets")
        } catch {
            #expect(error.description.contains("pass --vmlinux"))
        }
    }

    /// Live, the current tables are the reading process's own (/proc/kcore has no
    /// registers): its mm->pgd stands in for CR3. On these dumps init was current
    /// on CPU 0, so that path must land on the CR3 the CPU saved.
    @Test(arguments: states)
    func aTasksPGDIsTheCR3ItRunsWith(_ state: String) throws {
        let dir = Fixtures.root.appendingPathComponent("x86_64/\(state)")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let (session, layout) = try Actions.open(DumpRequest(core: snapshot.path))
        let x86 = try #require(layout as? X86KernelLayout)
        let (cr3, origin) = try x86.processCR3(session: session, pid: 1)
        #expect(cr3 == session.cpus[0].cr3 & x86.paging.pfnMask & ~X86KernelLayout.ptiSwitch)
        #expect(origin.hasPrefix("task 1 (init): mm->pgd 0x"))
        #expect(throws: DumpError.self) { try x86.processCR3(session: session, pid: 99999) }
    }

    /// vtop through init's table maps the first page of its text (the first
    /// line of /proc/1/maps) where init's listing says, and decodes the entry.
    @Test func vtopThroughAProcessTable() throws {
        let dir = Fixtures.root.appendingPathComponent("x86_64/custom-wx-before")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let maps = Self.maps(try String(contentsOf: dir.appendingPathComponent("maps.txt"), encoding: .utf8))
        let text = try #require(maps.first)
        let request = DumpRequest(core: snapshot.path)
        let report = try Actions.vtop(request, addresses: [hex(text.start)], table: .kernel, cpu: 0,
                                      process: ProcessChoice(pid: 1, comm: nil))
        var json = ""
        var options = ListingOptions()
        options.output = .json
        _ = try Actions.listing(request, table: .kernel, cpu: 0, options: options, process: ProcessChoice(pid: 1, comm: nil),
                                write: { json += $0 }, diagnostic: { _ in })
        let first = try #require(json.split(separator: "\n").first { $0.contains("\"start\": \"\(hex16(text.start))\"") })
        let phys = try #require(first.split(separator: "\"phys\": \"").last?.prefix(18))
        guard case .mapped(let pa, _, _, _)? = report.translations.first?.outcome else {
            Issue.record("not mapped: \(report.text)")
            return
        }
        #expect(hex16(pa.rawValue) == phys)
        #expect(report.text.contains("  entry: normal\n"))
        #expect(first.contains("\"kind\": \"normal\""))
        // The kernel's own table does not map user space.
        let kernel = try Actions.vtop(request, addresses: [hex(text.start)], table: .kernel, cpu: 0)
        #expect(!kernel.allMapped)
    }

    /// ppc64 under hash: the linear map (slab, task structs) is bolted into
    /// the hashed page table, not in swapper_pg_dir. The task walk and vtop
    /// reach it by its fixed offset; the Linux table itself says not mapped.
    @Test func hashLinearMapReachesTasks() throws {
        let snapshot = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("ppc64/7.3-hash-64k-pid/snapshot.core.zst"))
        let request = DumpRequest(core: snapshot.path)
        let (session, layout) = try Actions.open(request)
        let initTask = try #require(try Actions.tasks(session, layout).first { $0.pid == 1 })
        #expect(initTask.address >> 60 == 0xc)
        let report = try Actions.vtop(request, addresses: [hex(initTask.address)], table: .kernel, cpu: 0)
        guard case .notMapped? = report.translations.first?.outcome else {
            Issue.record("the Linux table maps the linear map under hash: \(report.text)")
            return
        }
        #expect(report.linear == [initTask.address - 0xc000_0000_0000_0000])
        #expect(report.allMapped && report.text.contains("  linear map: physical "))
    }

    /// arm64, riscv64, ppc64 and s390x: init's table (user space only) against the guest's
    /// /proc/1/maps of the same moment (lib/init.c prints it after mlockall):
    /// every present page in a VMA that allows it, every VMA but [vvar] fully
    /// mapped, and the kernel's own listing unchanged by the snapshot.
    /// arm64 marks a writable-clean page RDONLY (hardware dirty-bit
    /// management), so only "RW" must be in a writable VMA; its user-executable
    /// pages are those without UXN. riscv prints its W, X and U bits, powerpc
    /// `user`, `w` and ` X `, s390 RW/RO and X/NX (no user bit: a process's
    /// table is an address space of its own).
    struct PidOneCapture: Sendable, CustomTestStringConvertible {
        var fixture: String
        /// The kernel's own listing, when the kernel has one.
        var kernelFile: String?
        var comm: String
        /// TASK_SIZE: where the listing ends, in 16 hex digits.
        var taskSize: String
        var testDescription: String { fixture }
    }

    @Test(arguments: [
        PidOneCapture(fixture: "arm64/4k-48-pid", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0001000000000000"),
        PidOneCapture(fixture: "riscv64/sv57-pid", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0100000000000000"),
        // arm64 6.12 (DWARF): 16K pages with 47-bit VA, 64K pages with 52-bit VA.
        PidOneCapture(fixture: "arm64/6.12-16k-47-pid", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0000800000000000"),
        PidOneCapture(fixture: "arm64/6.12-64k-52-pid", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0010000000000000"),
        // Debian's stock arm64 6.12 kernel, running 52-bit VA with LPA2 (5 levels).
        PidOneCapture(fixture: "arm64/debian-6.12-stock", kernelFile: nil, comm: "init2",
                      taskSize: "0010000000000000"),
        PidOneCapture(fixture: "arm64/debian-7.2-stock", kernelFile: nil, comm: "init2",
                      taskSize: "0010000000000000"),
        // ppc64le 7.3 (DWARF), 64K pages: init's table under radix and hash
        // (there the task walk reads slab through the bolted linear map).
        PidOneCapture(fixture: "ppc64/7.3-radix-64k-pid", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0010000000000000"),
        PidOneCapture(fixture: "ppc64/7.3-hash-64k-pid", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0010000000000000"),
        // 4K pages: TASK_SIZE_USER64 is 64TB (radix's tree spans 4PB).
        PidOneCapture(fixture: "ppc64/7.3-radix-4k", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0000400000000000"),
        PidOneCapture(fixture: "ppc64/7.3-hash-4k", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0000400000000000"),
        // s390x 7.3 (DWARF): init's own region-third table, 4TB.
        PidOneCapture(fixture: "s390x/7.3-plain-pid", kernelFile: "kernel_page_tables.txt", comm: "init",
                      taskSize: "0000040000000000"),
    ])
    func pidOneAgreesWithProcMapsOutsideX86(_ capture: PidOneCapture) throws {
        let fixture = capture.fixture
        let dir = Fixtures.root.appendingPathComponent(fixture)
        let arch = fixture.prefix { $0 != "/" }
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let vmas = Self.maps(try String(contentsOf: dir.appendingPathComponent("maps.txt"), encoding: .utf8))
        #expect(vmas.count >= 4)
        let request = DumpRequest(core: snapshot.path)
        let comm = capture.comm.padding(toLength: 16, withPad: " ", startingAt: 0)
        #expect(try Actions.processList(request).text.contains("      1  \(comm)  0x"))
        var text = ""
        _ = try Actions.listing(request, table: .kernel, cpu: 0, process: ProcessChoice(pid: 1, comm: nil),
                                write: { text += $0 }, diagnostic: { _ in })
        #expect(text.hasPrefix("---[ User Space ]---\n"))
        // The listing ends at TASK_SIZE (2^48 on 4K/48, 2^52 with LPA2, 2^56 on Sv57), not at 0.
        #expect(text.hasSuffix("---[ User Space end ]---\n"))
        var json = ""
        _ = try Actions.listing(request, table: .kernel, cpu: 0, options: { var o = ListingOptions(); o.output = .json; return o }(),
                                process: ProcessChoice(pid: 1, comm: nil), write: { json += $0 }, diagnostic: { _ in })
        let lastEnd = json.split(separator: "\n").last.flatMap { $0.split(separator: "\"end\": \"0x").last }?.prefix(16)
        #expect(lastEnd.map(String.init) == capture.taskSize)
        let present = try ParsedListing(text: text).regions.flatMap(\.lines).filter(\.isPresent)
        #expect(present.count >= 4)
        var covered: [UInt64: UInt64] = [:]
        for line in present {
            let end = line.start + line.size
            let words = line.attributes
            let (user, writable, executable): (Bool, Bool, Bool)
            switch arch {
            case "riscv64": (user, writable, executable) = (words.contains("U"), words.contains("W"), words.contains("X"))
            case "ppc64": (user, writable, executable) = (words.contains("user"), words.contains("w"), words.contains("X"))
            // A process's own address space (its ASCE): no user bit.
            case "s390x": (user, writable, executable) = (true, words.contains("RW"), words.contains("X"))
            default: (user, writable, executable) = (words.contains("USR"), words.contains("RW"), !words.contains("UXN"))
            }
            var inside: UInt64 = 0
            for vma in vmas where vma.start < end && line.start < vma.end {
                let overlap = min(end, vma.end) - max(line.start, vma.start)
                inside += overlap
                covered[vma.start, default: 0] += overlap
                #expect(user, "\(fixture) \(hex16(line.start)) not a user page")
                if writable { #expect(vma.perms.contains("w"), "\(fixture) \(hex16(line.start)) writable in \(vma.perms)") }
                if executable { #expect(vma.perms.contains("x"), "\(fixture) \(hex16(line.start)) executable in \(vma.perms)") }
            }
            #expect(inside == line.size, "\(fixture) \(hex16(line.start))-\(hex16(end)) is mapped outside every VMA")
        }
        for vma in vmas where !vma.name.hasPrefix("[vvar") {
            #expect(covered[vma.start] == vma.end - vma.start, "\(fixture) \(vma.name) \(hex(vma.start)) not fully mapped")
        }
        guard let kernelFile = capture.kernelFile else { return }
        var kernel = ""
        _ = try Actions.listing(request, table: .kernel, cpu: 0, write: { kernel += $0 }, diagnostic: { _ in })
        let expected = try String(contentsOf: dir.appendingPathComponent("page_tables/\(kernelFile)"), encoding: .utf8)
        #expect(kernel == expected)
    }
}
