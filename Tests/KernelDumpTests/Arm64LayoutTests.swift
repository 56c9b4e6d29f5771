import Foundation
import Testing
@testable import KernelDump
import PageTables

/// The arm64 layout against what the captured kernels say about themselves.
@Suite struct Arm64LayoutTests {
    static var states: [String] { Fixtures.states("arm64").map(\.lastPathComponent) }

    func open(_ state: String, snapshot file: String = "snapshot.core.zst") throws -> (KernelSession, Arm64KernelLayout) {
        let snapshot = try Fixtures.decompressed(Fixtures.root.appendingPathComponent("arm64/\(state)/\(file)"))
        let session = try KernelSession(DumpRequest(core: snapshot.path))
        return (session, try Arm64KernelLayout.read(session))
    }

    /// Without the kernel's address_markers[] the markers are computed from
    /// VMCOREINFO; every one must agree with the kernel's own table except,
    /// from 6.1 on, the Fixmap start, whose size VMCOREINFO does not give
    /// (within 16 MiB).
    @Test(arguments: states)
    func computedMarkersAgreeWithTheKernels(_ state: String) throws {
        let (session, layout) = try open(state)
        #expect(layout.markersSource.contains("in memory"))
        let info = try #require(session.vmcoreinfo)
        let pageEnd: UInt64 = 0 &- (1 << UInt64(Arm64Paging.vaBitsMin(vaBits: layout.vaBits, pageShift: layout.pageShift) - 1))
        let (computed, caveat) = Arm64KernelLayout.computedMarkers(
            info: info, pageOffset: 0 &- (1 << UInt64(layout.vaBits)), linearStart: layout.pageOffset, pageEnd: pageEnd,
            actualPageEnd: 0 &- (1 << UInt64(layout.actualVABits - 1)), pageShift: layout.pageShift,
            levels: layout.paging.levelCount,
            kasanShadowBits: Arm64KernelLayout.kasanShadowBits(session, actualVABits: layout.actualVABits),
            probe: Arm64KernelLayout.mappingProbe(session, paging: layout.paging, swapper: layout.swapper,
                                                  physOffset: layout.physOffset, pageShift: layout.pageShift))
        // Said only where the image's place is not 5.10's: a KASAN shadow
        // explains it on every 5.10 fixture.
        #expect(caveat?.contains("no KASAN shadow size explains") != true, "\(caveat ?? "")")
        let kernelsMarkers = layout.markers.markers
        #expect(computed.markers.map(\.name) == kernelsMarkers.map(\.name))
        for (ours, kernels) in zip(computed.markers, kernelsMarkers) {
            // 5.10's fixmap is found from the dump (smallest, or below the
            // trampoline's mapped data page): exact there.
            if ours.name == "Fixmap start" && info.number("MODULES_VADDR") != nil {
                #expect(kernels.start &- ours.start < 16 << 20 || ours.start &- kernels.start < 16 << 20)
            } else {
                #expect(ours.start == kernels.start, "\(ours.name): \(hex(ours.start)) vs the kernel's \(hex(kernels.start))")
            }
        }
    }

    /// 5.10 names no kallsyms in VMCOREINFO: from the dump alone no symbol
    /// names KASAN's early shadow, while the markers place the shadow from
    /// the image's address. `info` says both, with the markers' bounds; with
    /// the symbols (the snapshot cut with the vmlinux) it says yes.
    @Test func infoSaysTheShadowTheMarkersPlace() throws {
        let (alone, layout) = try open("5.10-4k-48-kasan", snapshot: "snapshot-alone.core.zst")
        let start = try #require(layout.markers.markers.first { $0.name == "Kasan shadow start" })
        let said = layout.kasanDescription(alone)
        #expect(said.hasPrefix("likely: the markers place a Kasan shadow at \(hex(start.start))-"), "\(said)")
        let (withSymbols, full) = try open("5.10-4k-48-kasan")
        #expect(full.kasanDescription(withSymbols).hasPrefix("yes"))
    }

    /// Without the kernel's kernel_ptdump_info, the walk's start follows the
    /// release; every capture whose kernel has it (6.1, 6.12, 7.3, with and
    /// without a CPU narrower than the kernel) must agree, with no warning.
    @Test(arguments: states)
    func fallbackWalkStartIsTheKernels(_ state: String) throws {
        let (session, layout) = try open(state)
        guard layout.markersSource.contains("kernel_ptdump_info") else { return }
        let (start, warning) = Arm64KernelLayout.walkStart(vaBits: layout.vaBits, actualVABits: layout.actualVABits,
                                                           release: try #require(session.vmcoreinfo?.osRelease))
        #expect(start == layout.pageOffset, "\(state): \(hex(start)) vs the kernel's \(hex(layout.pageOffset))")
        #expect(warning == nil)
    }

    /// The built-in attribute table for the kernel's release (5.10-5.13 or
    /// 5.14-6.12) is what this kernel has in memory.
    @Test(arguments: states)
    func builtInAttributesAreTheKernels(_ state: String) throws {
        let (session, layout) = try open(state)
        #expect(layout.attributesSource.contains("in memory"))
        let builtIn = Arm64Paging.builtInAttributes(release: try #require(session.vmcoreinfo?.osRelease))
        #expect(layout.attributes == builtIn.table, "\(builtIn.name)")
    }

    /// Fixtures cut with System.map only: pte_bits[]'s size there runs to the
    /// next symbol, past KASAN's redzone and, on 6.1, the string literals KASAN
    /// moved into .data after it. The kernel's own table is still read.
    static var systemMapStates: [String] {
        states.filter {
            FileManager.default.fileExists(atPath: Fixtures.root.appendingPathComponent("arm64/\($0)/snapshot-sysmap.core.zst").path)
        }
    }

    @Test(arguments: systemMapStates)
    func systemMapSnapshotsReadTheKernelsAttributes(_ state: String) throws {
        let (_, layout) = try open(state, snapshot: "snapshot-sysmap.core.zst")
        let (_, withVmlinux) = try open(state)
        #expect(layout.attributesSource.contains("in memory"), "\(layout.attributesSource)")
        #expect(layout.attributes == withVmlinux.attributes)
    }

    @Test func releasesPickTheirAttributeTableAndBPFRegion() {
        #expect(Arm64Paging.builtInAttributes(release: "5.10.262").table == Arm64Paging.attributes5_10)
        #expect(Arm64Paging.builtInAttributes(release: "5.14.0").table == Arm64Paging.attributes6_1)
        #expect(Arm64Paging.builtInAttributes(release: "6.14.3").table == Arm64Paging.attributes6_1)
        #expect(Arm64Paging.builtInAttributes(release: "7.3.0-rc7").table == Arm64Paging.attributes6_15)
        #expect(Arm64Paging.attributes6_15 != Arm64Paging.attributes6_1)
        #expect(Arm64KernelLayout.hasBPFRegion(release: "5.10.262"))
        #expect(Arm64KernelLayout.hasBPFRegion(release: "5.15.17") && !Arm64KernelLayout.hasBPFRegion(release: "5.15.18"))
        #expect(Arm64KernelLayout.hasBPFRegion(release: "5.16.3") && !Arm64KernelLayout.hasBPFRegion(release: "5.16.4"))
        #expect(!Arm64KernelLayout.hasBPFRegion(release: "6.1.0-57-arm64"))
    }
}
