import Foundation
import Testing
@testable import KernelDump
import PageTables

/// User entries against the kernel's own per-page verdict. Debian's stock 6.1
/// kernel under QEMU (Resources/recipe/debian-stock-swap): a process swapped
/// pages out to zram (MADV_PAGEOUT), poisoned one (MADV_HWPOISON), dirtied some
/// after clearing soft-dirty, made two PROT_NONE, write-protected some with
/// userfaultfd (present, swapped and unpopulated: PTE markers) and has a THP.
/// Its /proc/PID/pagemap was read just before the dump, for every page of
/// every VMA. Each page's entry, decoded through the process's own table,
/// must say what pagemap says (fs/proc/task_mmu.c, 6.1): present (bit 63)
/// with its PFN, or swapped (bit 62) with `type | offset << 5`, soft-dirty
/// (bit 55) and uffd-wp (bit 57). pagemap also sets soft-dirty for every page
/// of a VMA with VM_SOFTDIRTY (smaps' `sd`, a VMA made since the last
/// clear_refs), which is not in the page table; there it must be set.
@Suite struct UserEntryPagemapTests {
    static let dir = Fixtures.root.appendingPathComponent("x86_64/debian-stock-swap")

    @Test func everyPageAgreesWithPagemap() throws {
        let snapshot = try Fixtures.decompressed(Self.dir.appendingPathComponent("snapshot.core.zst"))
        let pid = try #require(Int32(try String(contentsOf: Self.dir.appendingPathComponent("victim-pid.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let pages: [(UInt64, UInt64)] = try String(contentsOf: Self.dir.appendingPathComponent("pagemap.txt"), encoding: .utf8)
            .split(separator: "\n").compactMap { line in
                let f = line.split(separator: " ")
                guard f.count == 2, let va = UInt64(f[0], radix: 16), let v = UInt64(f[1], radix: 16) else { return nil }
                return (va, v)
            }
        #expect(pages.count > 600)
        let (session, layout) = try Actions.open(DumpRequest(core: snapshot.path))
        let spec = try Actions.processTable(session, layout, pid: pid, comm: nil)
        let types = session.swapTypes()
        #expect(types.maxSwapfiles == 26)

        // VMAs whose VmFlags have `sd`.
        var softDirtyVMAs: [(UInt64, UInt64)] = []
        var range: (UInt64, UInt64)?
        for line in try String(contentsOf: Self.dir.appendingPathComponent("smaps.txt"), encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: " ")
            if let first = f.first, first.contains("-"), !first.hasSuffix(":") {
                let b = first.split(separator: "-")
                range = b.count == 2 ? (UInt64(b[0], radix: 16) ?? 0, UInt64(b[1], radix: 16) ?? 0) : nil
            } else if f.first == "VmFlags:", f.contains("sd"), let range {
                softDirtyVMAs.append(range)
            }
        }
        #expect(softDirtyVMAs.count == 2)

        var counts: [String: Int] = [:]
        let frameMask: UInt64 = (1 << 55) - 1
        for (va, v) in pages {
            let t = AddressTranslation(va, root: spec.root, architecture: spec.architecture, memory: session.memory)
            let last = try #require(t.steps.last)
            let entry = spec.architecture.describeUserEntry(last.entry, at: last.level, swapTypes: types)
            let present = v >> 63 & 1 == 1, swapped = v >> 62 & 1 == 1
            let what = "\(hex(va)): pagemap \(hex(v)), entry \(hex(last.entry)) at \(last.level.name)"
            guard present || swapped else {
                #expect(last.entry == 0, "\(what): pagemap has nothing there")
                counts["none", default: 0] += 1
                continue
            }
            guard let e = entry else {
                Issue.record("\(what): not decoded")
                continue
            }
            counts[e.kind.rawValue, default: 0] += 1
            if softDirtyVMAs.contains(where: { va >= $0.0 && va < $0.1 }) {
                #expect(v >> 55 & 1 == 1, "\(what): soft-dirty VMA")
            } else {
                #expect(e.softDirty == (v >> 55 & 1 == 1), "\(what): soft-dirty")
                if e.softDirty { counts["soft-dirty entries", default: 0] += 1 }
            }
            if e.uffdWP { counts["uffd-wp entries", default: 0] += 1 }
            #expect(e.uffdWP == (v >> 57 & 1 == 1), "\(what): uffd-wp")
            if present {
                #expect([.normal, .special, .devmap, .protNone].contains(e.kind), "\(what): \(e.kind)")
                let span = spec.architecture.geometry.entrySpan(last.level)
                let pa = spec.architecture.leafAddress(last.entry, at: last.level).rawValue + (va & (span - 1))
                #expect(pa >> 12 == v & frameMask, "\(what): PFN")
            } else {
                #expect(e.swapType == v & 31 && e.swapOffset == (v & frameMask) >> 5, "\(what): type and offset")
                #expect(![.normal, .special, .devmap, .protNone].contains(e.kind), "\(what): \(e.kind)")
            }
        }
        // What the capture made (recipe README): the kinds this kernel can show.
        #expect(counts["swap", default: 0] >= 16)
        #expect(counts["hwpoison"] == 1)
        #expect(counts["prot_none"] == 2)
        #expect(counts["pte_marker", default: 0] >= 1)
        #expect(counts["soft-dirty entries", default: 0] >= 6, "pages 30..35 were written after clear_refs")
        #expect(counts["uffd-wp entries", default: 0] >= 2)
        print("pagemap agreement by kind: \(counts.sorted { $0.key < $1.key })")
    }
}
