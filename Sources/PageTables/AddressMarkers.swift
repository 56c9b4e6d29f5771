/// One `---[ NAME ]---` boundary of the listing.
public struct AddressMarker: Sendable, Equatable {
    /// First address of the region it names.
    public var start: UInt64
    public var name: String
    /// Lines printed in this region before the rest are counted as skipped
    /// (x86's ESPfix area prints 16); 0 means no limit.
    public var maxLines: Int

    public init(start: UInt64, name: String, maxLines: Int = 0) {
        self.start = start
        self.name = name
        self.maxLines = maxLines
    }
}

/// The kernel's `address_markers[]` for one kernel at one moment, in the
/// kernel's order, ending before the terminator `{ -1, NULL }` (which the
/// merger supplies). Built from the dump and symbols, never a global.
public struct MarkerTable: Sendable, Equatable {
    public var markers: [AddressMarker]

    public init(_ markers: [AddressMarker]) { self.markers = markers }

    /// The marker at `index`, or the terminator past the end.
    public subscript(index: Int) -> AddressMarker {
        index < markers.count ? markers[index] : AddressMarker(start: .max, name: "")
    }

    /// `self[index].start` without copying the marker's name: the merger asks
    /// for every entry it notes.
    public func start(_ index: Int) -> UInt64 {
        index < markers.count ? markers[index].start : .max
    }
}
