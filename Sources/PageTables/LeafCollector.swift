/// One present leaf as the walk found it: a page or block, its physical address
/// and raw entry.
public struct Leaf: Sendable, Equatable {
    public var address: UInt64
    public var level: TableLevel
    public var entry: UInt64
    public var physical: PhysicalAddress
    public var size: UInt64
}

/// A walk observer that reports every present leaf, unmerged: for cross-checks
/// against another view of the same tables (QEMU's `info tlb`) and translation.
public final class LeafCollector: WalkObserver {
    public let architecture: any PagingArchitecture
    private let onLeaf: (Leaf) -> Void

    public init(architecture: any PagingArchitecture, onLeaf: @escaping (Leaf) -> Void) {
        self.architecture = architecture
        self.onLeaf = onLeaf
    }

    public func effectiveProtection(level: TableLevel, entry: UInt64) {}

    /// Keeps entries whose hardware valid bit is set, at every level: x86's
    /// `pmd_present()` also counts PSE and PROTNONE, and every architecture's
    /// `pte_present()` PROT_NONE pages, which the MMU (and QEMU's `info tlb`)
    /// does not translate.
    public func note(address: UInt64, level: TableLevel?, entry: UInt64, problem: WalkProblem?) {
        guard let level, problem == nil, entry != 0, architecture.mapsInHardware(entry),
              level == .pte || architecture.isLeaf(entry, at: level) else { return }
        onLeaf(Leaf(address: address, level: level, entry: entry,
                    physical: architecture.leafAddress(entry, at: level),
                    size: architecture.geometry.entrySpan(level)))
    }

    public func finish() {}
}
