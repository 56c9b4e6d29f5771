import PageTables

/// A process whose page table to list, by pid or by name (`comm`).
public struct ProcessChoice: Sendable {
    public var pid: Int32?
    public var comm: String?
    public init(pid: Int32?, comm: String?) {
        self.pid = pid
        self.comm = comm
    }
}

/// What the command line asks for, and what it gets back: one use case per
/// command, each in the file named for it (ListingAction, InfoAction,
/// SnapshotAction, DiffAction, ProcessListAction, AddressSpaceMapAction,
/// WXCheck, Vtop, Benchmark). The CLI parses arguments and prints; everything
/// else is here.
public enum Actions {
    /// Opens the kernel and reads its architecture's layout.
    public static func open(_ request: DumpRequest) throws(DumpError) -> (KernelSession, any KernelLayout) {
        let session = try KernelSession(request)
        if let release = session.vmcoreinfo?.osRelease, let warning = JudgedReleases.warning(release: release) {
            session.warn(warning)
        }
        let layout = try readKernelLayout(session)
        return (session, layout)
    }
}
