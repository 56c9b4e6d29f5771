import PageTables

/// Random access to a dump's bytes, whatever their on-disk arrangement. The
/// kdump reader works on this, so the flattened form (a stream of
/// offset-tagged chunks) reads like the file it stands for.
public protocol ByteSource: AnyObject {
    var path: String { get }
    /// Size of the logical file.
    var size: UInt64 { get }
    /// Reads exactly `count` bytes at `offset` of the logical file.
    func read(offset: UInt64, count: Int) throws(DumpError) -> [UInt8]
}

/// makedumpfile's flattened format (`makedumpfile -F`, QEMU's kdump output to a
/// pipe): a 4096-byte header starting "makedumpfile", then records of a
/// big-endian (offset, size) pair and `size` bytes meant for that offset of the
/// real file, ended by (-1, -1). One pass over the record headers builds an
/// index; reads then go straight to the chunks. A later chunk overrides an
/// earlier one at the same offset, as `makedumpfile -R` would write them.
public final class FlattenedBytes: ByteSource {
    public static let signature = Array("makedumpfile".utf8)
    static let headerSize: UInt64 = 4096

    struct Chunk {
        var offset: UInt64      // in the logical file
        var length: UInt64
        var fileOffset: UInt64  // in the flattened file
    }

    public let path: String
    public private(set) var size: UInt64 = 0
    private let file: FileBytes
    /// Sorted by `offset`, not overlapping.
    private var chunks: [Chunk] = []
    /// True when the records stop before the (-1, -1) end mark.
    public private(set) var missingEndMark = false

    public init(_ file: FileBytes) throws(DumpError) {
        self.file = file
        self.path = file.path
        let header = try file.read(offset: 0, count: 32)
        guard Array(header[0..<12]) == Self.signature else {
            throw .badFormat(path: path, offset: 0, what: "flattened header", reason: "no \"makedumpfile\" signature")
        }
        let type = decodeInteger(header, at: 16, size: 8, order: .big) ?? 0
        guard type == 1 else {
            throw .badFormat(path: path, offset: 16, what: "flattened header type", reason: "\(type), expected 1")
        }
        var records: [Chunk] = []
        var at = Self.headerSize
        var ended = false
        while at + 16 <= file.size {
            let pair = try file.read(offset: at, count: 16)
            let offset = decodeInteger(pair, at: 0, size: 8, order: .big) ?? 0
            let length = decodeInteger(pair, at: 8, size: 8, order: .big) ?? 0
            if offset == UInt64.max && length == UInt64.max { ended = true; break }
            guard offset < 1 << 62, length < 1 << 40 else {
                throw .badFormat(path: path, offset: at, what: "flattened record",
                                 reason: "offset \(Int64(bitPattern: offset)), size \(Int64(bitPattern: length))")
            }
            let data = at + 16
            guard data + length <= file.size else {
                throw .truncated(path: path, what: "flattened record of \(length) bytes", offset: data, needed: length, fileSize: file.size)
            }
            if length > 0 { records.append(Chunk(offset: offset, length: length, fileOffset: data)) }
            at = data + length
        }
        missingEndMark = !ended
        chunks = try Self.overlay(records, path: path)
        size = chunks.last.map { $0.offset + $0.length } ?? 0
    }

    /// Lays records over each other in write order: later bytes win.
    static func overlay(_ records: [Chunk], path: String, maxRewrites: Int = 4096) throws(DumpError) -> [Chunk] {
        // Writers append in increasing offset almost always; only rewrites
        // (a header patched at the end) go back, so the common case is a copy.
        // Each rewrite costs a pass, hence the bound.
        var sorted: [Chunk] = []
        sorted.reserveCapacity(records.count)
        var rewrites = 0
        for r in records {
            if let last = sorted.last, r.offset >= last.offset + last.length {
                sorted.append(r)
                continue
            }
            rewrites += 1
            guard rewrites <= maxRewrites else { throw .badFormat(path: path, offset: r.fileOffset - 16, what: "flattened record", reason: "more than \(maxRewrites) records go back over earlier ones") }
            // Cut every existing chunk around r, then insert r.
            var next: [Chunk] = []
            next.reserveCapacity(sorted.count + 2)
            let rEnd = r.offset + r.length
            for c in sorted {
                let cEnd = c.offset + c.length
                if cEnd <= r.offset || c.offset >= rEnd { next.append(c); continue }
                if c.offset < r.offset {
                    next.append(Chunk(offset: c.offset, length: r.offset - c.offset, fileOffset: c.fileOffset))
                }
                if cEnd > rEnd {
                    next.append(Chunk(offset: rEnd, length: cEnd - rEnd, fileOffset: c.fileOffset + (rEnd - c.offset)))
                }
            }
            next.append(r)
            next.sort { $0.offset < $1.offset }
            sorted = next
        }
        return sorted
    }

    public func read(offset: UInt64, count: Int) throws(DumpError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        // The first chunk that ends after `offset`.
        var lo = 0
        var hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunks[mid].offset + chunks[mid].length <= offset { lo = mid + 1 } else { hi = mid }
        }
        var i = lo
        while done < count {
            let want = offset + UInt64(done)
            // Bytes no record wrote read as zeros, as in the reassembled file
            // (makedumpfile leaves such holes in the bitmap blocks).
            guard i < chunks.count else {
                if want >= size {
                    throw .truncated(path: path, what: "data (flattened)", offset: offset, needed: UInt64(count), fileSize: size)
                }
                break
            }
            let c = chunks[i]
            if want < c.offset {
                done += Int(min(UInt64(count - done), c.offset - want))
                continue
            }
            let within = want - c.offset
            let n = Int(min(UInt64(count - done), c.length - within))
            let bytes = try file.read(offset: c.fileOffset + within, count: n)
            out.replaceSubrange(done..<done + n, with: bytes)
            done += n
            i += 1
        }
        return out
    }
}
