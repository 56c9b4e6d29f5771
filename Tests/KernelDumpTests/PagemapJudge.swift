import Foundation
import Testing
@testable import KernelDump
import PageTables

/// Judges kptdump's user-entry decoding by the kernel's own per-page verdict:
/// a capture's `/proc/PID/pagemap` for every page of every VMA of a process,
/// read just before the dump (fs/proc/task_mmu.c, 6.1: bit 63 present with its
/// PFN, bit 62 swapped with `type | offset << 5`, 55 soft-dirty, 57 uffd-wp).
/// pagemap also sets soft-dirty for every page of a VMA with VM_SOFTDIRTY
/// (smaps' `sd`), which no page table holds; there it must be set.
///
/// The fixture folder holds snapshot.core.zst, victim-pid.txt, pagemap.txt
/// ("VA PAGEMAP" in hex) and smaps.txt.
struct PagemapJudge {
    let dir: URL
    let session: KernelSession
    let spec: TableSpec
    let types: SwapTypes
    let pages: [(UInt64, UInt64)]

    init(_ relative: String) throws {
        dir = Fixtures.root.appendingPathComponent(relative)
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let pid = try #require(Int32(try String(contentsOf: dir.appendingPathComponent("victim-pid.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        pages = try String(contentsOf: dir.appendingPathComponent("pagemap.txt"), encoding: .utf8)
            .split(separator: "\n").compactMap { line in
                let f = line.split(separator: " ")
                guard f.count == 2, let va = UInt64(f[0], radix: 16), let v = UInt64(f[1], radix: 16) else { return nil }
                return (va, v)
            }
        let (session, layout) = try Actions.open(DumpRequest(core: snapshot.path))
        self.session = session
        spec = try Actions.processTable(session, layout, pid: pid, comm: nil)
        types = session.swapTypes()
    }

    /// VMAs whose VmFlags have `sd`.
    func softDirtyVMAs() throws -> [(UInt64, UInt64)] {
        var found: [(UInt64, UInt64)] = []
        var range: (UInt64, UInt64)?
        for line in try String(contentsOf: dir.appendingPathComponent("smaps.txt"), encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: " ")
            if let first = f.first, first.contains("-"), !first.hasSuffix(":") {
                let b = first.split(separator: "-")
                range = b.count == 2 ? (UInt64(b[0], radix: 16) ?? 0, UInt64(b[1], radix: 16) ?? 0) : nil
            } else if f.first == "VmFlags:", f.contains("sd"), let range {
                found.append(range)
            }
        }
        return found
    }

    /// Checks every page, recording an issue for each disagreement; returns how
    /// many pages agreed per kind (and "soft-dirty entries", "uffd-wp entries",
    /// "exclusive entries", "none").
    func check() throws -> [String: Int] {
        let sdVMAs = try softDirtyVMAs()
        var counts: [String: Int] = [:]
        let frameMask: UInt64 = (1 << 55) - 1
        for (va, v) in pages {
            let t = AddressTranslation(va, root: spec.root, architecture: spec.architecture, memory: session.memory)
            let last = try #require(t.steps.last)
            let entry = spec.architecture.describeUserEntry(last.entry, at: last.level, swapTypes: types)
            let present = v >> 63 & 1 == 1, swapped = v >> 62 & 1 == 1
            let what = "\(hex(va)): pagemap \(hex(v)), entry \(hex(last.entry)) at \(last.level.name)"
            guard present || swapped else {
                // s390's empty PTE is _PAGE_INVALID, not 0.
                #expect(spec.architecture.isNone(last.entry, at: last.level), "\(what): pagemap has nothing there")
                counts["none", default: 0] += 1
                continue
            }
            guard let e = entry else {
                Issue.record("\(what): not decoded")
                continue
            }
            counts[e.kind.rawValue, default: 0] += 1
            if sdVMAs.contains(where: { va >= $0.0 && va < $0.1 }) {
                #expect(v >> 55 & 1 == 1, "\(what): soft-dirty VMA")
            } else {
                #expect(e.softDirty == (v >> 55 & 1 == 1), "\(what): soft-dirty")
                if e.softDirty { counts["soft-dirty entries", default: 0] += 1 }
            }
            if e.uffdWP { counts["uffd-wp entries", default: 0] += 1 }
            if e.exclusive { counts["exclusive entries", default: 0] += 1 }
            #expect(e.uffdWP == (v >> 57 & 1 == 1), "\(what): uffd-wp")
            // PM_GUARD_REGION (bit 58; unused before guard markers).
            #expect(e.guardRegion == (v >> 58 & 1 == 1), "\(what): guard")
            if e.guardRegion { counts["guard markers", default: 0] += 1 }
            // vtop's verdict is the MMU's: a PROT_NONE page, present to the
            // kernel (pagemap), faults.
            if case .mapped = t.outcome {
                #expect(present && e.kind != .protNone, "\(what): vtop says mapped")
            } else {
                #expect(!present || e.kind == .protNone, "\(what): vtop says not mapped")
            }
            if present {
                // No capture maps DAX or other pfn-mapped device memory: a devmap
                // kind there means a release's software bits were misread.
                #expect([.normal, .special, .protNone].contains(e.kind), "\(what): \(e.kind)")
                let span = spec.architecture.geometry.entrySpan(last.level)
                let pa = spec.architecture.leafAddress(last.entry, at: last.level).rawValue + (va & (span - 1))
                // pagemap's PFN counts the kernel's pages (64K on ppc64).
                #expect(pa >> UInt64(spec.architecture.geometry.pageShift) == v & frameMask, "\(what): PFN")
            } else {
                #expect(e.swapType == v & 31 && e.swapOffset == (v & frameMask) >> 5, "\(what): type and offset")
                #expect(![.normal, .special, .devmap, .protNone].contains(e.kind), "\(what): \(e.kind)")
            }
        }
        return counts
    }
}
