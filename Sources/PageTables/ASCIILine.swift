/// One line of listing text built in a byte buffer and turned into a `String`
/// once: a listing can have millions of lines, and joining small strings costs
/// far more than the walk that found them.
struct ASCIILine {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func spaces(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(0x20, count: n)) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The physical column riscv's ptdump prints, ` 0x%016lx `, or as many
    /// spaces when there is no address (a hole, a table that could not be read).
    mutating func physicalColumn(_ address: PhysicalAddress?) {
        guard let address else { return spaces(20) }
        append(byte: 0x20)
        hex16(address.rawValue)
        append(byte: 0x20)
    }

    /// `0x%016lx`.
    mutating func hex16(_ value: UInt64) {
        let digits = Self.hexDigits
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0x30, count: 18))
        bytes[start + 1] = 0x78
        bytes.withUnsafeMutableBufferPointer { out in
            var v = value
            for i in stride(from: start + 17, through: start + 2, by: -1) {
                out[i] = digits[Int(v & 0xf)]
                v >>= 4
            }
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
