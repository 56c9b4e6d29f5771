import CCompression

/// The compressions a kdump-compressed page can carry, by their `page_desc.flags`
/// bit (makedumpfile's DUMP_DH_COMPRESSED_*). The only file that calls zlib, lzo,
/// snappy and zstd.
public enum PageCodec: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    case zlib = 0x1
    case lzo = 0x2
    case snappy = 0x4
    case zstd = 0x20

    public var description: String {
        switch self {
        case .zlib: return "zlib"
        case .lzo: return "lzo"
        case .snappy: return "snappy"
        case .zstd: return "zstd"
        }
    }

    /// The codec a page descriptor's flags name; nil for a stored (raw) page.
    /// Bits other than the four codecs are ignored here (0x8 and 0x10 are
    /// header status bits that never appear on a page).
    public static func from(flags: UInt32) -> PageCodec? {
        allCases.first { flags & $0.rawValue != 0 }
    }

    /// Decompresses one page. Returns nil unless exactly `pageSize` bytes come
    /// out: a page that decodes to any other length is corrupt.
    public func decompress(_ input: [UInt8], pageSize: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: pageSize)
        let produced: Int? = input.withUnsafeBufferPointer { src -> Int? in
            out.withUnsafeMutableBufferPointer { dst -> Int? in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return nil }
                switch self {
                case .zlib:
                    var length = uLongf(pageSize)
                    guard uncompress(d, &length, s, uLong(input.count)) == Z_OK else { return nil }
                    return Int(length)
                case .lzo:
                    guard kptdump_lzo_init() == LZO_E_OK else { return nil }
                    var length = lzo_uint(pageSize)
                    guard lzo1x_decompress_safe(s, lzo_uint(input.count), d, &length, nil) == LZO_E_OK else { return nil }
                    return Int(length)
                case .snappy:
                    var length = pageSize
                    let ok = s.withMemoryRebound(to: CChar.self, capacity: input.count) { cs in
                        d.withMemoryRebound(to: CChar.self, capacity: pageSize) { cd in
                            snappy_uncompress(cs, input.count, cd, &length)
                        }
                    }
                    guard ok == SNAPPY_OK else { return nil }
                    return length
                case .zstd:
                    let length = ZSTD_decompress(d, pageSize, s, input.count)
                    guard ZSTD_isError(length) == 0 else { return nil }
                    return length
                }
            }
        }
        guard produced == pageSize else { return nil }
        return out
    }

    /// Compresses one page, for writers of test dumps (Debian's makedumpfile
    /// writes neither snappy nor zstd). Nil when the codec fails.
    public func compress(_ input: [UInt8]) -> [UInt8]? {
        let bound: Int
        switch self {
        case .zlib: bound = Int(compressBound(uLong(input.count)))
        case .lzo: bound = input.count + input.count / 16 + 64 + 3
        case .snappy: bound = snappy_max_compressed_length(input.count)
        case .zstd: bound = ZSTD_compressBound(input.count)
        }
        var out = [UInt8](repeating: 0, count: bound)
        let produced: Int? = input.withUnsafeBufferPointer { src -> Int? in
            out.withUnsafeMutableBufferPointer { dst -> Int? in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return nil }
                switch self {
                case .zlib:
                    var length = uLongf(bound)
                    guard compress2(d, &length, s, uLong(input.count), Z_BEST_SPEED) == Z_OK else { return nil }
                    return Int(length)
                case .lzo:
                    guard kptdump_lzo_init() == LZO_E_OK else { return nil }
                    // LZO1X_1_MEM_COMPRESS (16384 dictionary entries) is a macro Swift cannot
                    // import; 256 KiB covers it for any pointer size.
                    var work = [UInt8](repeating: 0, count: 1 << 18)
                    var length = lzo_uint(bound)
                    let status = work.withUnsafeMutableBytes { w in
                        lzo1x_1_compress(s, lzo_uint(input.count), d, &length, w.baseAddress)
                    }
                    return status == LZO_E_OK ? Int(length) : nil
                case .snappy:
                    var length = bound
                    let ok = s.withMemoryRebound(to: CChar.self, capacity: input.count) { cs in
                        d.withMemoryRebound(to: CChar.self, capacity: bound) { cd in
                            snappy_compress(cs, input.count, cd, &length)
                        }
                    }
                    return ok == SNAPPY_OK ? length : nil
                case .zstd:
                    let length = ZSTD_compress(d, bound, s, input.count, 3)
                    return ZSTD_isError(length) == 0 ? length : nil
                }
            }
        }
        guard let produced else { return nil }
        return Array(out.prefix(produced))
    }
}
