import Foundation
import Testing
@testable import KernelDump
import PageTables

/// The arm64 layout against what the captured kernels say about themselves.
@Suite struct Arm64LayoutTests {
    static var states: [String] { Fixtures.states("arm64").map(\.lastPathComponent) }

    func open(_ state: String) throws -> (KernelSession, Arm64KernelLayout) {
        let snapshot = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("arm64/\(state)/snapshot.core.zst"))
        let session = try KernelSession(DumpRequest(core: snapshot.path))
        return (session, try Arm64KernelLayout.read(session))
    }

    /// Without the kernel's address_markers[] the markers are computed from
    /// VMCOREINFO; every one must agree with the kernel's own table except the
    /// Fixmap start, whose size VMCOREINFO does not give (within 16 MiB).
    @Test(arguments: states)
    func computedMarkersAgreeWithTheKernels(_ state: String) throws {
        let (session, layout) = try open(state)
        #expect(layout.markersSource.contains("in memory"))
        let info = try #require(session.vmcoreinfo)
        let pageEnd: UInt64 = 0 &- (1 << UInt64(min(layout.vaBits, 48) - 1))
        let computed = Arm64KernelLayout.computedMarkers(info: info, pageOffset: layout.pageOffset, pageEnd: pageEnd)
        #expect(computed.markers.map(\.name) == layout.markers.markers.map(\.name))
        for (ours, kernels) in zip(computed.markers, layout.markers.markers) {
            if ours.name == "Fixmap start" {
                #expect(kernels.start &- ours.start < 16 << 20 || ours.start &- kernels.start < 16 << 20)
            } else {
                #expect(ours.start == kernels.start, "\(ours.name): \(hex(ours.start)) vs the kernel's \(hex(kernels.start))")
            }
        }
    }

    /// The built-in 6.1 attribute table is what this kernel has in memory.
    @Test(arguments: states)
    func builtInAttributesAreTheKernels(_ state: String) throws {
        let (_, layout) = try open(state)
        #expect(layout.attributesSource.contains("in memory"))
        #expect(layout.attributes == Arm64Paging.attributes6_1)
    }
}
