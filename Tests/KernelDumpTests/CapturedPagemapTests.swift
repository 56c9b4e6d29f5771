import Foundation
import Testing
@testable import KernelDump
import PageTables

/// arm64 and riscv64 (6.1, 6.12, 7.3) and s390x and ppc64le (7.3) user entries
/// against the kernel's own per-page verdict: kernels under QEMU
/// (Resources/recipe/user-entries) whose victim swapped
/// pages to two zram devices (types 0 and 1), poisoned one (where the kernel has
/// MEMORY_FAILURE: arm64, ppc64le), made two PROT_NONE, read a region it never
/// wrote (the zero page: pte_special) and has a THP (not on s390x under TCG); its /proc/PID/pagemap was read
/// just before the dump. Every page must decode as pagemap says (PagemapJudge),
/// and `--json` must give every page's range that page's kind.
@Suite struct CapturedPagemapTests {
    struct Capture: Sendable, CustomTestStringConvertible {
        var fixture: String
        var maxSwapfiles: UInt64
        var hwpoison: Int
        /// Pages the victim's VMAs span, and those present or swapped (fewer
        /// with ppc64's 64K pages).
        var minimumPages = 500
        var minimumUsed = 500
        var testDescription: String { fixture }
    }

    @Test(arguments: [
        Capture(fixture: "arm64/4k-48-swap", maxSwapfiles: 27, hwpoison: 1),
        Capture(fixture: "riscv64/sv57-swap", maxSwapfiles: 28, hwpoison: 0),
        // 6.12: arm64's 6.10 swap layout (PTE_PRESENT_INVALID = nG, type at
        // bit 6, offset at 12) and riscv's 6.3 one. MAX_SWAPFILES from 6.12's
        // swap.h with each config: 32 - 3 migration - 1 PTE marker, less 1
        // hwpoison on arm64 (MEMORY_FAILURE).
        Capture(fixture: "arm64/6.12-4k-48-swap", maxSwapfiles: 27, hwpoison: 1),
        Capture(fixture: "riscv64/6.12-sv57-swap", maxSwapfiles: 28, hwpoison: 0),
        // 7.3: the same layouts as 6.12 (uffd-wp and PTE markers on arm64).
        Capture(fixture: "arm64/7.3-4k-48-swap", maxSwapfiles: 27, hwpoison: 1),
        Capture(fixture: "riscv64/7.3-sv57-swap", maxSwapfiles: 28, hwpoison: 0),
        // 7.3 on s390x (no MEMORY_FAILURE): 32 - 3 migration - 1 PTE marker.
        Capture(fixture: "s390x/7.3-swap", maxSwapfiles: 28, hwpoison: 0),
        // 7.3 on ppc64le, radix, 64K pages, with MEMORY_FAILURE: 27.
        Capture(fixture: "ppc64/7.3-swap", maxSwapfiles: 27, hwpoison: 1, minimumPages: 150, minimumUsed: 120),
    ])
    func everyPageAgreesWithPagemap(_ capture: Capture) throws {
        let judge = try PagemapJudge(capture.fixture)
        #expect(judge.pages.count > capture.minimumPages)
        #expect(judge.spec.architecture.decodesUserEntries)
        #expect(judge.types.maxSwapfiles == capture.maxSwapfiles)
        let counts = try judge.check()
        print("\(capture.fixture) pagemap agreement by kind: \(counts.sorted { $0.key < $1.key })")
        // What the victim made (recipe README).
        #expect(counts["swap", default: 0] >= 20, "pages 0..15 to zram0, 50..53 to zram1")
        #expect(counts["hwpoison", default: 0] == capture.hwpoison)
        #expect(counts["prot_none"] == 2)
        #expect(counts["special", default: 0] >= 16, "the zero-page region")

        // Both swap devices' types, as pagemap gives them.
        let swapTypes = Set(judge.pages.filter { $0.1 >> 62 & 1 == 1 && $0.1 >> 63 == 0 }.map { $0.1 & 31 })
        #expect(swapTypes.isSuperset(of: [0, 1]))

        // --json: each page's range carries the page's own kind.
        var options = ListingOptions()
        options.output = .json
        let pid = try #require(Int32(try String(contentsOf: judge.dir.appendingPathComponent("victim-pid.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        var json = ""
        _ = try Actions.listing(judge.session, try readKernelLayout(judge.session), table: .kernel, cpu: 0, options: options,
                                process: ProcessChoice(pid: pid, comm: nil), write: { json += $0 }, diagnostic: { _ in })
        var ranges: [(UInt64, UInt64, String?)] = []
        for line in json.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let start = UInt64((object["start"] as? String ?? "").dropFirst(2), radix: 16) ?? 0
            let end = UInt64((object["end"] as? String ?? "").dropFirst(2), radix: 16) ?? 0
            ranges.append((start, end, object["kind"] as? String))
        }
        var checked = 0
        for (va, v) in judge.pages where v >> 62 != 0 {
            let t = AddressTranslation(va, root: judge.spec.root, architecture: judge.spec.architecture, memory: judge.session.memory)
            let last = try #require(t.steps.last)
            let own = judge.spec.architecture.describeUserEntry(last.entry, at: last.level, swapTypes: judge.types)?.kind.rawValue
            let range = ranges.first { $0.0 <= va && va < $0.1 }
            #expect(range?.2 == own, "\(hex(va)): page is \(own ?? "-"), its JSON range says \(range?.2 ?? "nothing")")
            checked += 1
        }
        #expect(checked > capture.minimumUsed)
    }
}

/// Device-private and device-exclusive entries on x86-64: the kernel's own test
/// driver (lib/test_hmm.c, CONFIG_TEST_HMM) migrated pages of a process to fake
/// device memory and took others for exclusive device access
/// (Resources/recipe/x86_64-hmm). MAX_SWAPFILES is 23 with MEMORY_FAILURE,
/// MIGRATION and DEVICE_PRIVATE on (27 device write, 28 device read, 29
/// exclusive write), and pagemap gives each entry's type and PFN.
@Suite struct DeviceEntryPagemapTests {
    @Test func deviceEntriesAgreeWithPagemap() throws {
        let judge = try PagemapJudge("x86_64/hmm-device")
        #expect(judge.types.maxSwapfiles == 23)
        let counts = try judge.check()
        print("x86_64/hmm-device pagemap agreement by kind: \(counts.sorted { $0.key < $1.key })")
        #expect(counts["device_private_write"] == 4)
        #expect(counts["device_private_read"] == 4)
        #expect(counts["device_exclusive_write"] == 4)
        #expect(counts["normal", default: 0] >= 16)
    }
}
