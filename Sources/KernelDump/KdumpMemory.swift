import PageTables

/// Physical memory of a kdump-compressed dump. A page is in the file when its
/// bit is set in the 2nd bitmap; its page_desc is found by counting the set
/// bits before it (a rank index built once). A page set only in the 1st bitmap
/// existed but the dump level left it out: reading it throws `.excluded`, so
/// callers can tell "left out" from "never there".
public final class KdumpMemory: DumpMemory {
    public let header: KdumpHeader
    let source: any ByteSource
    /// The 2nd bitmap ("dumped"), 64 pages per word.
    private let dumped: [UInt64]
    /// Set bits before each group of `rankStride` words.
    private let rankBase: [UInt64]
    private static let rankStride = 8
    private var cache = PageCache(capacity: 64)

    public init(source: any ByteSource, header: KdumpHeader) throws(DumpError) {
        self.source = source
        self.header = header
        let pages = header.maxMapnr
        let bytes = Int((pages + 7) / 8)
        let raw = try source.read(offset: header.bitmapOffset + header.bitmapBytes, count: bytes)
        var words = [UInt64](repeating: 0, count: (bytes + 7) / 8)
        for (i, b) in raw.enumerated() { words[i >> 3] |= UInt64(b) << (UInt64(i & 7) * 8) }
        // Bits past max_mapnr are not pages.
        if pages % 64 != 0, !words.isEmpty { words[words.count - 1] &= (1 << (pages % 64)) - 1 }
        var base: [UInt64] = []
        base.reserveCapacity(words.count / Self.rankStride + 1)
        var total: UInt64 = 0
        for (i, w) in words.enumerated() {
            if i % Self.rankStride == 0 { base.append(total) }
            total += UInt64(w.nonzeroBitCount)
        }
        self.dumped = words
        self.rankBase = base
        self.dumpedPages = total
        let (end, overflow) = (total * 24).addingReportingOverflow(header.descriptorOffset)
        guard !overflow, end <= source.size else {
            throw .truncated(path: source.path, what: "\(total) page descriptors", offset: header.descriptorOffset,
                             needed: total * 24, fileSize: source.size)
        }
    }

    /// Pages the file holds.
    public let dumpedPages: UInt64

    var pageSize: UInt64 { UInt64(header.blockSize) }

    func isDumped(_ pfn: UInt64) -> Bool {
        pfn < header.maxMapnr && dumped[Int(pfn >> 6)] & (1 << (pfn & 63)) != 0
    }

    /// The 1st bitmap ("exists"), read a byte at a time: it is consulted only
    /// for pages that are not dumped.
    func exists(_ pfn: UInt64) -> Bool {
        guard pfn < header.maxMapnr,
              let byte = try? source.read(offset: header.bitmapOffset + pfn / 8, count: 1) else { return false }
        return byte[0] & (1 << UInt8(pfn & 7)) != 0
    }

    private func rank(_ pfn: UInt64) -> UInt64 {
        let word = Int(pfn >> 6)
        var count = rankBase[word / Self.rankStride]
        var w = word - word % Self.rankStride
        while w < word { count += UInt64(dumped[w].nonzeroBitCount); w += 1 }
        let below = pfn & 63
        if below > 0 { count += UInt64((dumped[word] & ((1 << below) - 1)).nonzeroBitCount) }
        return count
    }

    /// The bytes of page `pfn`, decompressed.
    func page(_ pfn: UInt64) throws(MemoryError) -> [UInt8] {
        if let hit = cache[pfn] { return hit }
        let pa = PhysicalAddress(pfn &* pageSize)
        guard isDumped(pfn) else {
            throw exists(pfn) ? .excluded(pa) : .notInDump(pa)
        }
        let at = header.descriptorOffset + rank(pfn) * 24
        let descriptor: [UInt8]
        do { descriptor = try source.read(offset: at, count: 24) } catch {
            throw .unreadable(pa, reason: error.description)
        }
        let offset = decodeInteger(descriptor, at: 0, size: 8, order: header.byteOrder) ?? 0
        let size = Int(decodeInteger(descriptor, at: 8, size: 4, order: header.byteOrder) ?? 0)
        let flags = UInt32(decodeInteger(descriptor, at: 12, size: 4, order: header.byteOrder) ?? 0)
        if offset == 0 && header.isIncomplete {
            throw .unreadable(pa, reason: "never written (makedumpfile marked the dump incomplete)")
        }
        let (end, overflow) = offset.addingReportingOverflow(UInt64(size))
        guard size > 0, size <= 2 * header.blockSize, offset >= header.descriptorOffset,
              !overflow, end <= source.size else {
            throw .unreadable(pa, reason: "page_desc at file offset \(hex(at)) says \(size) bytes at \(hex(offset)), outside the file's data")
        }
        let stored: [UInt8]
        do { stored = try source.read(offset: offset, count: size) } catch {
            throw .unreadable(pa, reason: error.description)
        }
        let bytes: [UInt8]
        if let codec = PageCodec.from(flags: flags) {
            guard let out = codec.decompress(stored, pageSize: header.blockSize) else {
                    throw .unreadable(pa, reason: "\(codec) data at file offset \(hex(offset)) does not decode to one \(header.blockSize)-byte page")
            }
            bytes = out
        } else {
            guard size == header.blockSize else {
                    throw .unreadable(pa, reason: "stored page at file offset \(hex(offset)) has \(size) bytes, not \(header.blockSize)")
            }
            bytes = stored
        }
        cache[pfn] = bytes
        return bytes
    }

    public func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var cursor = address.rawValue
        while out.count < count {
            let pfn = cursor / pageSize
            let within = Int(cursor % pageSize)
            let bytes = try page(pfn)
            let n = min(count - out.count, header.blockSize - within)
            out.append(contentsOf: bytes[within..<within + n])
            let (next, overflow) = cursor.addingReportingOverflow(UInt64(n))
            if overflow && out.count < count { throw .notInDump(PhysicalAddress(cursor)) }
            cursor = next
        }
        return out
    }

    /// Runs of consecutive dumped pages, up to 8 MiB each, in address order.
    public func forEachStoredChunk(_ body: (UInt64, [UInt8]) -> Bool) {
        let perChunk = max(1, (8 << 20) / header.blockSize)
        var pfn: UInt64 = 0
        while pfn < header.maxMapnr {
            if dumped[Int(pfn >> 6)] == 0 { pfn = (pfn | 63) + 1; continue }
            guard isDumped(pfn) else { pfn += 1; continue }
            let start = pfn
            var bytes: [UInt8] = []
            var failed = false
            while pfn < header.maxMapnr, isDumped(pfn), pfn - start < perChunk {
                // An unreadable page ends the run; scanning goes on after it.
                guard let data = try? page(pfn) else { failed = true; break }
                bytes += data
                pfn += 1
            }
            if !bytes.isEmpty, !body(start &* pageSize, bytes) { return }
            if failed { pfn += 1 }
        }
    }
}

/// A small cache of decompressed pages, evicting the oldest.
struct PageCache {
    let capacity: Int
    private var pages: [UInt64: [UInt8]] = [:]
    private var order: [UInt64] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    subscript(pfn: UInt64) -> [UInt8]? {
        get { pages[pfn] }
        set {
            guard let newValue, pages[pfn] == nil else { return }
            if order.count < capacity {
                order.append(pfn)
            } else {
                pages[order[next]] = nil
                order[next] = pfn
                next = (next + 1) % capacity
            }
            pages[pfn] = newValue
        }
    }
}
