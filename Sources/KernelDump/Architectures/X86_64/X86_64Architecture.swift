import PageTables

/// x86-64 as the rest of kptdump sees it (`KernelArchitecture`).
struct X86_64Architecture: KernelArchitecture {
    var name: String { "x86_64" }
    var elfMachine: UInt16 { 62 }   // EM_X86_64
    var utsMachines: [String] { ["x86_64"] }
    var tables: [TableChoice] { [.kernel, .currentKernel, .currentUser, .efi] }
    var processTableExtent: String { "both halves, like current_kernel" }
    var wxRule: String { "effective RW and not NX, in init_mm and then its PTI user copy" }

    /// `__START_KERNEL_map`: the image's link-time base (arch/x86/include/asm/page_64_types.h).
    static let startKernelMap: UInt64 = 0xffff_ffff_8000_0000

    /// QEMU's `dump-guest-memory` writes one "QEMU" note per CPU holding its
    /// `QEMUCPUState` (target/i386/arch_dump.c): version and size (u32 each),
    /// 18 general registers, 10 segment descriptors of 24 bytes, then
    /// cr[0..4], so CR3 sits at byte 416 and CR4 at 424.
    func cpuStates(notes: [ElfFile.Note], bigEndian: Bool) -> [CPUState] {
        var states: [CPUState] = []
        let order: ByteOrder = bigEndian ? .big : .little
        for note in notes where note.name == "QEMU" && note.type == 0 {
            let d = note.descriptor
            guard let size = decodeInteger(d, at: 4, size: 4, order: order), size >= 432,
                  let cr3 = decodeInteger(d, at: 416, size: 8, order: order) else { continue }
            let cr4 = decodeInteger(d, at: 424, size: 8, order: order)
            states.append(CPUState(index: states.count, cr3: cr3, cr4: cr4, source: "QEMU CPU note"))
        }
        return states
    }

    /// `__pa_symbol()`: `va - __START_KERNEL_map + phys_base`.
    func imagePhysical(_ va: UInt64, physBase: UInt64) -> PhysicalAddress? {
        guard va >= Self.startKernelMap else { return nil }
        return PhysicalAddress(va - Self.startKernelMap &+ physBase)
    }

    /// The kernel image mapping starts at `_text`: cleanup_highmap() clears the
    /// high-kernel PMDs below it. So the first present leaf above
    /// `__START_KERNEL_map` in any CPU's tables gives the run-time `_text`, hence
    /// the KASLR offset, and its physical address gives phys_base.
    func imageFromTables(cpus: [CPUState], memory: any PhysicalMemory, linkText: UInt64) -> (kaslr: UInt64, physBase: UInt64)? {
        let startKernelMap = Self.startKernelMap
        for cpu in cpus {
            let arch = X86_64Paging(fiveLevel: (cpu.cr4 ?? 0) & (1 << 12) != 0)
            for root in [cpu.cr3 & arch.pfnMask & ~UInt64(0x1000), cpu.cr3 & arch.pfnMask] {
                var first: Leaf?
                let collector = LeafCollector(architecture: arch) { if first == nil { first = $0 } }
                PageWalker(architecture: arch, memory: memory)
                    .walk(root: PhysicalAddress(root), ranges: [WalkRange(startKernelMap, startKernelMap + (1 << 30))], into: collector)
                if let first, first.address >= linkText {
                    // phys_base can be "negative" (the image sits below its link
                    // address); the kernel's unsigned arithmetic wraps, so does ours.
                    return (first.address - linkText, first.physical.rawValue &- (first.address - startKernelMap))
                }
            }
        }
        return nil
    }

    func readLayout(_ session: KernelSession) throws(DumpError) -> any KernelLayout {
        try X86KernelLayout.read(session)
    }

    var fuzzPagingForms: [FuzzPagingForm] {
        [X86_64Paging(fiveLevel: false), X86_64Paging(fiveLevel: true, encryptionMask: 1 << 47)].map {
            FuzzPagingForm(paging: $0, format: X86ListingFormat(), frameShift: 12, frameBits: 36)
        }
    }
}
