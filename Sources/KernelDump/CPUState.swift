import PageTables

/// The registers of one CPU that the page-table work needs, as a dump recorded them.
public struct CPUState: Sendable, Equatable {
    /// Position among the dump's CPU notes, from 0.
    public var index: Int
    public var cr3: UInt64
    public var cr4: UInt64?
    /// Which note it came from, for messages.
    public var source: String

    /// CPU states from an ELF core's notes. QEMU's `dump-guest-memory` writes one
    /// "QEMU" note per CPU holding its `QEMUCPUState` (target/i386/arch_dump.c):
    /// version and size (u32 each), 18 general registers, 10 segment descriptors
    /// of 24 bytes, then cr[0..4], so CR3 sits at byte 416 and CR4 at 424.
    public static func x86(from notes: [ElfFile.Note], bigEndian: Bool) -> [CPUState] {
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
}
