/// A kernel or user virtual address. Distinct from `PhysicalAddress` so that the
/// two can never be mixed up silently.
public struct VirtualAddress: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { hex(rawValue) }
}

/// A guest physical address.
public struct PhysicalAddress: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { hex(rawValue) }
}

/// `0x` followed by lower-case hex digits, no padding.
public func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

/// `0x` followed by exactly 16 lower-case hex digits, as the kernel's `0x%016lx`.
public func hex16(_ value: UInt64) -> String {
    var line = ASCIILine(capacity: 18)
    line.hex16(value)
    return line.string
}
