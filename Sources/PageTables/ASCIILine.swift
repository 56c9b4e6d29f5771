/// One line of listing text built in a byte buffer and turned into a `String`
/// once: a listing can have millions of lines, and joining small strings costs
/// far more than the walk that found them.
///
/// The buffer is allocated at its capacity and written by index, because
/// `Array.append(contentsOf:)` costs hundreds of instructions a call and a
/// line makes a dozen of them (callgrind on a 79,725-line listing).
///
/// A listing also formats all its lines into one of these (`format(_:into:)`)
/// and takes the text out in large chunks, so it makes no `String` per line.
public struct ASCIILine {
    private var storage: [UInt8]
    private var used = 0

    /// Bytes written so far.
    public var count: Int { used }

    public init(capacity: Int = 128) { storage = [UInt8](repeating: 0, count: max(capacity, 16)) }

    /// The text so far, leaving the buffer empty with its capacity kept.
    public mutating func takeString() -> String {
        defer { used = 0 }
        return string
    }

    /// Makes room for `n` more bytes.
    private mutating func reserve(_ n: Int) {
        if used + n > storage.count {
            storage += [UInt8](repeating: 0, count: max(n, storage.count))
        }
    }

    public mutating func append(text s: String) {
        var s = s
        s.withUTF8 { append(bytes: $0) }
    }

    public mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { append(bytes: $0) }
    }

    public mutating func append(bytes source: UnsafeBufferPointer<UInt8>) {
        reserve(source.count)
        guard let from = source.baseAddress, !source.isEmpty else { return }
        storage.withUnsafeMutableBufferPointer { out in
            // A byte loop: most pieces are a few bytes, where memmove's call costs more.
            let to = out.baseAddress! + used
            for i in 0..<source.count { to[i] = from[i] }
        }
        used += source.count
    }

    public mutating func append(byte: UInt8) {
        reserve(1)
        storage[used] = byte
        used += 1
    }

    public mutating func spaces(_ n: Int) {
        guard n > 0 else { return }
        reserve(n)
        storage.withUnsafeMutableBufferPointer { out in
            for i in used..<used + n { out[i] = 0x20 }
        }
        used += n
    }

    /// The physical column riscv's ptdump prints, ` 0x%016lx `, or as many
    /// spaces when there is no address (a hole, a table that could not be read).
    public mutating func physicalColumn(_ address: PhysicalAddress?) {
        guard let address else { return spaces(20) }
        append(byte: 0x20)
        hex16(address.rawValue)
        append(byte: 0x20)
    }

    /// `0x%016lx`.
    public mutating func hex16(_ value: UInt64) {
        reserve(18)
        storage.withUnsafeMutableBufferPointer { out in
            out[used] = 0x30
            out[used + 1] = 0x78
            var v = value
            for i in stride(from: used + 17, through: used + 2, by: -1) {
                let nibble = UInt8(truncatingIfNeeded: v & 0xf)
                out[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
                v >>= 4
            }
        }
        used += 18
    }

    /// `%*lu`: right-aligned in `width` columns (wider values are not cut).
    public mutating func decimal(_ value: UInt64, width: Int) {
        var digits = 1
        var v = value
        while v >= 10 {
            v /= 10
            digits += 1
        }
        spaces(width - digits)
        reserve(digits)
        v = value
        storage.withUnsafeMutableBufferPointer { out in
            for i in stride(from: used + digits - 1, through: used, by: -1) {
                out[i] = 0x30 + UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
        }
        used += digits
    }

    public var bytes: ArraySlice<UInt8> { storage[..<used] }

    public var string: String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[..<used]), as: UTF8.self) }
    }
}
