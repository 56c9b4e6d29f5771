/// One line of listing text built in a byte buffer and turned into a `String`
/// once: a listing can have millions of lines, and joining small strings costs
/// far more than the walk that found them.
struct ASCIILine {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func spaces(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(0x20, count: n)) }
    }

    /// `0x%016lx`.
    mutating func hex16(_ value: UInt64) {
        bytes.append(0x30)
        bytes.append(0x78)
        for shift in stride(from: 60, through: 0, by: -4) {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xf
            bytes.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)
        }
    }

    /// `%*lu`: right-aligned in `width` columns (wider values are not cut).
    mutating func decimal(_ value: UInt64, width: Int) {
        var digits: [UInt8] = []
        var v = value
        repeat {
            digits.append(0x30 + UInt8(v % 10))
            v /= 10
        } while v > 0
        spaces(width - digits.count)
        bytes.append(contentsOf: digits.reversed())
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
