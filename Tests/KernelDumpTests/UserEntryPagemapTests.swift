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
    @Test func everyPageAgreesWithPagemap() throws {
        let judge = try PagemapJudge("x86_64/debian-stock-swap")
        #expect(judge.pages.count > 600)
        #expect(judge.types.maxSwapfiles == 26)
        #expect(try judge.softDirtyVMAs().count == 2)
        let counts = try judge.check()
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
