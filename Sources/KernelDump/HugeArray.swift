import Glibc

/// A growable array of plain values for the big tables a run builds once
/// (a symbol table's hash buckets, kallsyms' names and offsets): from 512 KiB
/// on, its memory is mapped 2 MiB aligned and advised as transparent huge
/// pages.
///
/// Page faults are much of what such a table costs: each 4 KiB page a run
/// first writes was about 1.2 µs here, so the dump's kallsyms (about 4 MiB of
/// tables for 140,000 symbols) cost about 1,000 faults, 1.2 ms, beside 20M
/// instructions of decoding. A huge page is one fault (`MADV_HUGEPAGE`; THP
/// "madvise" or "always"). Where the kernel gives none, this is ordinary
/// zeroed memory. Elements are read in place, so only `BitwiseCopyable`
/// values.
final class HugeArray<Element: BitwiseCopyable>: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count: Int
    private(set) var capacity: Int
    /// Bytes mapped with mmap, or 0 when `base` came from calloc.
    private var mapped: Int

    static var hugePage: Int { 2 << 20 }

    /// `count` zeroed elements, room for `capacity` (at least `count`).
    init(zeroed count: Int = 0, capacity: Int = 0) {
        let room = max(count, capacity, 1)
        (base, mapped) = Self.allocate(room)
        self.capacity = room
        self.count = count
    }

    deinit { Self.release(base, mapped: mapped) }

    /// Zeroed memory for `elements`: calloc's below 512 KiB, else a huge-page
    /// aligned mapping (the bytes around it unmapped again).
    private static func allocate(_ elements: Int) -> (UnsafeMutablePointer<Element>, Int) {
        let bytes = elements * MemoryLayout<Element>.stride
        if bytes >= 1 << 19 {
            let size = (bytes + hugePage - 1) & ~(hugePage - 1)
            if let raw = mmap(nil, size + hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
               raw != MAP_FAILED {
                let start = UInt(bitPattern: raw)
                let aligned = (start + UInt(hugePage) - 1) & ~UInt(hugePage - 1)
                if aligned > start { munmap(raw, Int(aligned - start)) }
                let tail = Int(start) + size + hugePage - Int(aligned) - size
                if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + UInt(size)), tail) }
                let pointer = UnsafeMutableRawPointer(bitPattern: aligned)!
                _ = madvise(pointer, size, MADV_HUGEPAGE)
                return (pointer.bindMemory(to: Element.self, capacity: elements), size)
            }
        }
        guard let raw = calloc(max(bytes, 1), 1) else { fatalError("out of memory (\(bytes) bytes)") }
        return (raw.bindMemory(to: Element.self, capacity: elements), 0)
    }

    private static func release(_ pointer: UnsafeMutablePointer<Element>, mapped: Int) {
        if mapped > 0 { munmap(pointer, mapped) } else { free(pointer) }
    }

    /// Grows the room to at least `needed` elements, doubling.
    func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var room = max(capacity, 16)
        while room < needed { room *= 2 }
        let (bigger, size) = Self.allocate(room)
        bigger.update(from: base, count: count)
        Self.release(base, mapped: mapped)
        (base, mapped, capacity) = (bigger, size, room)
    }

    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { reserve(count + 1) }
        base[count] = element
        count += 1
    }

    func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        reserve(count + elements.count)
        if let from = elements.baseAddress { (base + count).update(from: from, count: elements.count) }
        count += elements.count
    }

    func append(contentsOf elements: [Element]) {
        elements.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// Sets the count after elements were written through `base` up to it
    /// (at most the capacity).
    func setCount(_ n: Int) {
        precondition(n >= 0 && n <= capacity)
        count = n
    }

    subscript(i: Int) -> Element {
        precondition(i >= 0 && i < count, "index out of range")
        return base[i]
    }

    var isEmpty: Bool { count == 0 }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(buffer)
    }
}
