import PageTables

/// s390x as the rest of kptdump sees it. Its kernel addresses are the
/// identity map (`IDENTITYBASE` up) below the image's `KERNELOFFSET`, and the
/// image above it, placed at `KERNELOFFPHYS` (arch/s390/include/asm/page.h,
/// `__pa_nodebug()`; all three in VMCOREINFO from 6.10's relocatable layout;
/// 0 before, where both maps were the identity).
struct S390xArchitecture: KernelArchitecture {
    var name: String { "s390x" }
    var elfMachine: UInt16 { 22 }   // EM_S390
    var utsMachines: [String] { ["s390x"] }
    var tables: [TableChoice] { [.kernel] }
    var processTableExtent: String { "its user space (its own ASCE)" }
    var wxRule: String { "valid, not protected, not no-exec, in init_mm" }

    static func physical(_ va: UInt64, _ info: VmcoreInfo?) -> UInt64 {
        let kernelOffset = info?.kernelOffset ?? 0
        let imagePhysical = info?["KERNELOFFPHYS"].flatMap { UInt64($0, radix: 16) } ?? 0
        let identityBase = info?["IDENTITYBASE"].flatMap { UInt64($0, radix: 16) } ?? 0
        return kernelOffset != 0 && va >= kernelOffset ? va &- kernelOffset &+ imagePhysical : va &- identityBase
    }

    func imagePhysical(_ va: UInt64, vmcoreinfo: VmcoreInfo) -> PhysicalAddress? {
        PhysicalAddress(Self.physical(va, vmcoreinfo))
    }

    func placeImage(_ session: KernelSession) throws(DumpError) -> ImagePlacement? {
        let info = session.vmcoreinfo ?? session.snapshotFacts
        let source = info?["KERNELOFFPHYS"] != nil ? "VMCOREINFO KERNELOFFSET, KERNELOFFPHYS, IDENTITYBASE"
            : "the identity map (no KERNELOFFPHYS in VMCOREINFO)"
        return ImagePlacement(translate: { va in Self.physical(va, info) }, source: source)
    }

    func readLayout(_ session: KernelSession) throws(DumpError) -> any KernelLayout {
        try S390xKernelLayout.read(session)
    }

    var fuzzPagingForms: [FuzzPagingForm] {
        [S390xPaging.Top.region3, .region2].map { top in
            let paging = S390xPaging(top: top)
            return FuzzPagingForm(paging: paging, format: S390xListingFormat(levelNames: paging.levelNames),
                                  frameShift: 12, frameBits: 40)
        }
    }
}
