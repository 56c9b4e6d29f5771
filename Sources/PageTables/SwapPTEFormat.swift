/// Where one kernel keeps the software bits of a user PTE and, when the entry
/// is not present, the swap entry it holds: for architectures whose swap PTEs
/// keep type and offset as plain bit fields (arm64 and riscv store
/// `swp_entry_t` as is; powerpc adds `_PAGE_PTE`, s390 its invalid and
/// protect bits, neither in the fields); x86-64 inverts the offset and has
/// its own decoder.
///
/// The layout changed between releases, so the caller picks one by the dump's
/// OSRELEASE (`Arm64Paging.swapPTEFormat(release:)`,
/// `Riscv64Paging.swapPTEFormat(release:)`, ...); a release no known layout
/// covers gets none, and its entries stay undecoded.
public struct SwapPTEFormat: Sendable, Equatable {
    /// The headers this layout comes from, for messages.
    public var name: String
    /// `pte_present()` for a non-none entry: any of these bits set.
    public var presentBits: UInt64
    /// The bits the MMU reads (any one of them): a present entry with none of
    /// them is PROT_NONE (or a NUMA-hinting or otherwise invalidated page).
    /// One bit on arm64 and riscv; powerpc's R, W and X; s390's READ.
    public var validBit: UInt64
    /// `pte_none()`'s value: 0, except s390's empty PTE (`_PAGE_INVALID`).
    public var noneValue: UInt64 = 0
    /// Present entries: `pte_special()`, `pte_devmap()`, `pte_soft_dirty()`,
    /// `pte_uffd_wp()` (0 where the release has no such bit).
    public var special: UInt64
    public var devmap: UInt64 = 0
    public var softDirty: UInt64 = 0
    public var uffdWP: UInt64 = 0
    /// Swap entries: `__SWP_TYPE_SHIFT`, `__SWP_TYPE_BITS`, `__SWP_OFFSET_SHIFT`
    /// and the offset's width (`__SWP_OFFSET_BITS`, or up to bit 63).
    public var typeShift: Int
    public var typeBits: Int = 5
    public var offsetShift: Int
    public var offsetBits: Int
    /// Swap entries: `pte_swp_exclusive()`, `pte_swp_soft_dirty()`,
    /// `pte_swp_uffd_wp()` (0 where the release has no such bit).
    public var swapExclusive: UInt64 = 0
    public var swapSoftDirty: UInt64 = 0
    public var swapUffdWP: UInt64 = 0

    public init(name: String, presentBits: UInt64, validBit: UInt64, special: UInt64, devmap: UInt64 = 0,
                softDirty: UInt64 = 0, uffdWP: UInt64 = 0, typeShift: Int, typeBits: Int = 5,
                offsetShift: Int, offsetBits: Int, swapExclusive: UInt64 = 0, swapSoftDirty: UInt64 = 0,
                swapUffdWP: UInt64 = 0, noneValue: UInt64 = 0) {
        self.noneValue = noneValue
        self.name = name
        self.presentBits = presentBits
        self.validBit = validBit
        self.special = special
        self.devmap = devmap
        self.softDirty = softDirty
        self.uffdWP = uffdWP
        self.typeShift = typeShift
        self.typeBits = typeBits
        self.offsetShift = offsetShift
        self.offsetBits = offsetBits
        self.swapExclusive = swapExclusive
        self.swapSoftDirty = swapSoftDirty
        self.swapUffdWP = swapUffdWP
    }

    /// What `entry` is, for a user address; nil for an empty entry.
    ///
    /// Huge leaves (THP, hugetlb at PMD or PUD) keep the same software bits
    /// as PTEs on arm64 and riscv (`pmd_pte()` is a cast), and so do their
    /// swap and migration entries (`__pmd_to_swp_entry()`).
    public func describe(_ entry: UInt64, swapTypes: SwapTypes) -> EntryDescription? {
        guard entry != 0 && entry != noneValue else { return nil }
        if entry & presentBits != 0 {
            var kind: EntryDescription.Kind = .normal
            if entry & validBit == 0 { kind = .protNone }
            else if devmap != 0 && entry & devmap != 0 { kind = .devmap }
            else if entry & special != 0 { kind = .special }
            return EntryDescription(kind: kind, softDirty: softDirty != 0 && entry & softDirty != 0,
                                    uffdWP: uffdWP != 0 && entry & uffdWP != 0)
        }
        let type = (entry >> UInt64(typeShift)) & ((1 << UInt64(typeBits)) - 1)
        let offsetMask: UInt64 = offsetBits >= 64 ? .max : (1 << UInt64(offsetBits)) - 1
        let offset = (entry >> UInt64(offsetShift)) & offsetMask
        let kind = swapTypes.kind(of: type)
        // A marker's uffd-wp is its PTE_MARKER_UFFD_WP bit (BIT(0)), as pagemap reads it.
        let markerWP = kind == .pteMarker && offset & 1 != 0
        return EntryDescription(kind: kind, swapType: type, swapOffset: offset,
                                softDirty: swapSoftDirty != 0 && entry & swapSoftDirty != 0,
                                uffdWP: (swapUffdWP != 0 && entry & swapUffdWP != 0) || markerWP,
                                exclusive: swapExclusive != 0 && entry & swapExclusive != 0)
    }
}

/// The major and minor version at the start of a kernel release string
/// ("6.1.0-57-amd64" is 6.1), or nil when it does not start with them.
public struct KernelVersion: Sendable, Comparable {
    public var major: Int
    public var minor: Int
    /// The stable release's number (5.15.18 -> 18); 0 when the release has none.
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init?(release: String) {
        let head = release.prefix { $0.isNumber || $0 == "." }
        let parts = head.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major, minor, parts.count >= 3 ? Int(parts[2]) ?? 0 : 0)
    }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }
}
