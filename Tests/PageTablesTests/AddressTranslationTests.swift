import Testing
@testable import PageTables
import TestSupport
@testable import KernelDump

/// vtop's translation on tables built in code: folded levels, blocks, a leaf
/// whose present bit is clear, a missing table and a cycle.
@Suite struct AddressTranslationTests {
    /// x86 4-level: PGD 0x1000 [273] -> PUD 0x2000 [1] -> PMD 0x3000:
    /// [0] 2M leaf at 0x20_0000, [1] -> PTE 0x4000 [2] = 4K page 0x7000,
    /// [3] = PROT_NONE-like entry without the present bit, [4] -> table 0x9000
    /// missing from memory; PUD [2] points back to the PGD.
    func x86Memory() -> SparseMemory {
        let m = SparseMemory()
        for page in [0x1000, 0x2000, 0x3000, 0x4000] as [UInt64] { m.addPage(page) }
        m.write(0x1000 + 273 * 8, value: 0x2063)
        m.write(0x2000 + 1 * 8, value: 0x3063)
        m.write(0x2000 + 2 * 8, value: 0x1063)                    // pud[2] -> the PGD page as a PMD table
        m.write(0x3000 + 0 * 8, value: 0x20_0000 | 0x1e3)
        m.write(0x3000 + 1 * 8, value: 0x4063)
        m.write(0x3000 + 4 * 8, value: 0x9063)
        m.write(0x4000 + 2 * 8, value: 0x7000 | 0x163 | 1 << 63)
        m.write(0x4000 + 3 * 8, value: 0x8000 | 0x100)           // global, not present
        return m
    }

    let x86 = X86_64Paging(fiveLevel: false)
    let base: UInt64 = 0xffff_8880_4000_0000   // pgd[273], pud[1]

    @Test func x86LevelsLeavesAndHoles() {
        let m = x86Memory()
        let huge = AddressTranslation(base + 0x1234, root: PhysicalAddress(0x1000), architecture: x86, memory: m)
        #expect(huge.steps.map(\.level) == [.pgd, .pud, .pmd])
        #expect(huge.steps.map(\.index) == [273, 1, 0])
        #expect(huge.outcome == .mapped(physical: PhysicalAddress(0x20_1234), pageSize: 2 << 20, level: .pmd,
                                        entry: 0x20_0000 | 0x1e3))
        let page = AddressTranslation(base + 0x20_2abc, root: PhysicalAddress(0x1000), architecture: x86, memory: m)
        #expect(page.steps.map(\.table.rawValue) == [0x1000, 0x2000, 0x3000, 0x4000])
        #expect(page.outcome == .mapped(physical: PhysicalAddress(0x7abc), pageSize: 4096, level: .pte,
                                        entry: 0x7000 | 0x163 | 1 << 63))
        let notPresent = AddressTranslation(base + 0x20_3000, root: PhysicalAddress(0x1000), architecture: x86, memory: m)
        #expect(notPresent.outcome == .notMapped(level: .pte))
        let hole = AddressTranslation(base + 0x60_0000, root: PhysicalAddress(0x1000), architecture: x86, memory: m)
        #expect(hole.outcome == .notMapped(level: .pmd))
        let missing = AddressTranslation(base + 0x80_0000, root: PhysicalAddress(0x1000), architecture: x86, memory: m)
        guard case .unreadable(.pte, let table, _) = missing.outcome else {
            Issue.record("\(missing.outcome)")
            return
        }
        #expect(table.rawValue == 0x9000)
        // pud[2] -> the PGD page again: an ancestor is not read a second time.
        let back = AddressTranslation(base + 0x4000_0000, root: PhysicalAddress(0x1000), architecture: x86, memory: m)
        guard case .unreadable(.pmd, _, let reason) = back.outcome else {
            Issue.record("\(back.outcome)")
            return
        }
        #expect(reason.contains("cycle"))
    }

    /// arm64 64K pages, 42-bit VA: two levels, the PGD holding 512M blocks.
    @Test func arm64TwoLevelsWithFoldedMiddle() {
        let m = SparseMemory(pageSize: 0x10000)
        m.addPage(0x10000)
        m.addPage(0x20000)
        let af: UInt64 = 1 << 10
        m.write(0x10000, value: 0x4000_0000 | 0b01 | af)        // pgd[0]: 512M block
        m.write(0x10008, value: 0x20000 | 0b11)                 // pgd[1] -> PTE table
        m.write(0x20000 + 3 * 8, value: 0x6003_0000 | 0b11 | af) // pte[3]: 64K page
        let arch = Arm64Paging(pageShift: 16, vaBits: 42, protectionMask: Arm64Paging.attributes6_1.mask)
        let start: UInt64 = 0xffff_fc00_0000_0000
        let block = AddressTranslation(start + 0x123_4567, root: PhysicalAddress(0x10000), architecture: arch, memory: m)
        #expect(block.steps.map(\.level) == [.pgd])
        #expect(block.outcome == .mapped(physical: PhysicalAddress(0x4123_4567), pageSize: 512 << 20, level: .pgd,
                                         entry: 0x4000_0000 | 0b01 | af))
        let page = AddressTranslation(start + (512 << 20) + 0x3_0042, root: PhysicalAddress(0x10000), architecture: arch, memory: m)
        #expect(page.steps.map(\.level) == [.pgd, .pte])
        #expect(page.outcome == .mapped(physical: PhysicalAddress(0x6003_0042), pageSize: 0x10000, level: .pte,
                                        entry: 0x6003_0000 | 0b11 | af))
    }
}
