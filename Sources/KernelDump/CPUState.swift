import PageTables

/// The registers of one CPU that the page-table work needs, as a dump recorded them.
public struct CPUState: Sendable, Equatable {
    /// Position among the dump's CPU notes, from 0.
    public var index: Int
    public var cr3: UInt64
    public var cr4: UInt64?
    /// Which note it came from, for messages.
    public var source: String

}
