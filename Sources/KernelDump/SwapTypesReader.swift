import PageTables

extension KernelSession {
    /// How this kernel lays out swap types, for decoding user entries.
    ///
    /// `MAX_SWAPFILES` is the length of `swap_info[]` in the vmlinux's DWARF
    /// (or a snapshot's `NUMBER(MAX_SWAPFILES)`); the reserved types above it
    /// follow from which of CONFIG_MEMORY_FAILURE, CONFIG_MIGRATION and
    /// CONFIG_DEVICE_PRIVATE are built in, seen by a function each option alone
    /// compiles (`memory_failure`, `migration_entry_wait`,
    /// `make_device_exclusive_range`, or `make_device_exclusive`, its name in
    /// the kernels whose swap.h has one device-exclusive type instead of two:
    /// 7.2 and 7.3 have the new name and three device types, 6.12 the old
    /// name and four) in a complete symbol table. Names are
    /// given only when those agree with the 32 - MAX_SWAPFILES reserved types;
    /// otherwise, as without a vmlinux, entries keep their raw type.
    public func swapTypes() -> SwapTypes {
        swapTypesOnce.get { readSwapTypes() }
    }

    private func readSwapTypes() -> SwapTypes {
        var max = snapshotFacts?.number("MAX_SWAPFILES")
        if max == nil, let elf = vmlinuxFile, let length = try? elf.arrayLength(ofVariable: "swap_info") {
            max = length
        }
        guard let max, max > 0, max <= 32 else { return SwapTypes() }
        guard symbols.hasFullTable else { return SwapTypes(maxSwapfiles: max) }
        let singleExclusive = symbols["make_device_exclusive"] != nil
        let layout = SwapTypes.layout(maxSwapfiles: max,
                                      memoryFailure: symbols["memory_failure"] != nil,
                                      migration: symbols["migration_entry_wait"] != nil,
                                      devicePrivate: symbols["make_device_exclusive_range"] != nil || singleExclusive,
                                      singleDeviceExclusive: singleExclusive,
                                      version: vmcoreinfo?.osRelease.flatMap { KernelVersion(release: $0) })
        guard layout.reserved.count <= 32 - Int(max) else {
            warn("the configuration seen in the symbols reserves \(layout.reserved.count) swap types, but MAX_SWAPFILES \(max) leaves \(32 - max): non-swap entries keep their raw type")
            return SwapTypes(maxSwapfiles: max)
        }
        let releaseKnown = vmcoreinfo?.osRelease.flatMap { KernelVersion(release: $0) } != nil
        guard layout.namesEveryReservedType(releaseKnown: releaseKnown) else {
            warn("MAX_SWAPFILES \(max) leaves \(32 - max) reserved swap types, but the configuration seen in the symbols explains \(layout.reserved.count): non-swap entries keep their raw type")
            return SwapTypes(maxSwapfiles: max)
        }
        return layout
    }
}

/// Says once, as a warning, that a table's user entries will carry no kind:
/// the architecture knows no user-entry layout for this kernel's release.
func warnIfUserEntriesUndecoded(_ session: KernelSession, _ spec: TableSpec) {
    guard !spec.architecture.decodesUserEntries else { return }
    let release = session.vmcoreinfo?.osRelease ?? "an unknown release"
    session.warn("user entries are not decoded (no \"kind\"): no known layout of swap and software PTE bits for \(release) on this architecture")
}
