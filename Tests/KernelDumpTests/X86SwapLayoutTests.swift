import Testing
@testable import KernelDump

/// Which x86-64 kernels get their swap PTEs decoded: the L1TF layout arrived in
/// 4.18 and was backported (4.4.y, 4.9.y, 4.14.y, vendor kernels), where the
/// L1TF code's `l1tf_mitigation` shows it.
@Suite struct X86SwapLayoutTests {
    final class Asked: @unchecked Sendable { var count = 0 }

    @Test func from4_18TheReleaseDecidesAndTheSymbolIsNotLookedUp() {
        for release in ["4.18.0-348.el8.x86_64", "6.1.0-27-amd64", "10.0.0"] {
            let asked = Asked()
            let (known, source) = X86KernelLayout.swapLayout(release: release) { asked.count += 1; return false }
            #expect(known, "\(release)")
            #expect(asked.count == 0, "\(release): a snapshot need not keep the symbol")
            #expect(source.contains(release))
        }
    }

    @Test func beforeItOnlyTheL1TFCodeTellsTheLayout() {
        #expect(X86KernelLayout.swapLayout(release: "3.10.0-1160.el7.x86_64") { true }.0)
        #expect(X86KernelLayout.swapLayout(release: "4.14.62") { true }.0)
        let (known, source) = X86KernelLayout.swapLayout(release: "4.17.19") { false }
        #expect(!known)
        #expect(source == "not decoded: release 4.17.19 before 4.18 and no l1tf_mitigation symbol")
        #expect(!X86KernelLayout.swapLayout(release: nil) { false }.0)
        #expect(X86KernelLayout.swapLayout(release: nil) { true }.0)
    }
}
