import Glibc

// The one place kptdump talks to the operating system about files, the clock and
// itself: every call is here, and every failure becomes a `DumpError` carrying
// the path and errno's text at once. Nothing here ever writes to an input.

/// A regular file (or /proc/kcore, or a sysfs file) opened read-only and read
/// with pread(2).
public final class FileBytes: ByteSource {
    public let path: String
    public let size: UInt64
    /// For libelf's `elf_begin`, which reads through the descriptor itself.
    let fd: Int32

    public init(path: String) throws(DumpError) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let err = errno
            if err == EACCES { throw path.hasPrefix("/proc/") ? .notRoot(path: path) : .cannotOpen(path: path, reason: "permission denied") }
            if err == EPERM { throw .lockedDown(path: path) }
            if err == ENOENT && path == "/proc/kcore" {
                throw .cannotOpen(path: path, reason: "this kernel has no /proc/kcore (CONFIG_PROC_KCORE is off, or /proc is a container's); pass --core DUMP")
            }
            throw .cannotOpen(path: path, reason: errorText(err))
        }
        self.path = path
        self.fd = fd
        var st = stat()
        fstat(fd, &st)
        self.size = UInt64(max(0, st.st_size))
    }

    deinit { close(fd) }

    /// Reads exactly `count` bytes at `offset`, throwing when the file ends first.
    public func read(offset: UInt64, count: Int) throws(DumpError) -> [UInt8] {
        // Straight into the array's storage: no zeroing first (a table page
        // per call on the walk's way).
        var failure: DumpError?
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(DumpError) {
                initialized = try readUpTo(offset: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        if out.count < count {
            throw .truncated(path: path, what: "data", offset: offset, needed: UInt64(count), fileSize: size)
        }
        return out
    }

    /// Fills `buffer` from `offset`, throwing when the file ends first.
    public func read(offset: UInt64, into buffer: inout [UInt8]) throws(DumpError) {
        let done = try readUpTo(offset: offset, into: &buffer)
        if done < buffer.count {
            throw .truncated(path: path, what: "data", offset: offset, needed: UInt64(buffer.count), fileSize: size)
        }
    }

    /// Up to `count` bytes at `offset`: fewer where the file ends.
    public func readPrefix(offset: UInt64 = 0, count: Int) throws(DumpError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let done = try readUpTo(offset: offset, into: &out)
        return Array(out[0..<done])
    }

    /// pread(2) until `buffer` is full or the file ends; the count read.
    private func readUpTo(offset: UInt64, into buffer: inout [UInt8]) throws(DumpError) -> Int {
        var failure: DumpError?
        let done = buffer.withUnsafeMutableBytes { raw -> Int in
            do throws(DumpError) { return try readUpTo(offset: offset, into: raw) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return done
    }

    private func readUpTo(offset: UInt64, into raw: UnsafeMutableRawBufferPointer) throws(DumpError) -> Int {
        let count = raw.count
        guard let base = raw.baseAddress else { return 0 }
        var done = 0
        while done < count {
            let n = Glibc.pread(fd, base + done, count - done, off_t(Int64(bitPattern: offset &+ UInt64(done))))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, offset: offset &+ UInt64(done), reason: errorText(errno))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// The first `count` bytes of a file (fewer if it is shorter), read with
    /// read(2) as a probe of what the file holds.
    public static func readHead(_ path: String, count: Int) throws(DumpError) -> [UInt8] {
        let file = try FileBytes(path: path)
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(file.fd, $0.baseAddress, count) }
        guard n >= 0 else { throw .io(path: path, offset: 0, reason: errorText(errno)) }
        return Array(buffer[0..<n])
    }

    /// A whole file of at most `limit` bytes, read to its end (sysfs files
    /// report no size).
    public static func readWhole(_ path: String, limit: Int) throws(DumpError) -> [UInt8] {
        let file = try FileBytes(path: path)
        var out: [UInt8] = []
        // A regular file's size saves copies: read straight into the array
        // (a System.map is 5 MB); a file that is longer than it said goes on below.
        if file.size > 0, file.size <= UInt64(limit) {
            var failure: Int32 = 0
            out = [UInt8](unsafeUninitializedCapacity: Int(file.size) + 1) { buffer, count in
                while count < buffer.count {
                    let n = Glibc.read(file.fd, buffer.baseAddress.map { $0 + count }, buffer.count - count)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { failure = errno }
                    if n <= 0 { break }
                    count += n
                }
            }
            if failure != 0 { throw .io(path: path, offset: UInt64(out.count), reason: errorText(failure)) }
            if out.count <= Int(file.size) { return out }
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(file.fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .io(path: path, offset: UInt64(out.count), reason: errorText(errno)) }
            if n == 0 { return out }
            chunk.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
            if out.count > limit {
                throw .badFormat(path: path, offset: 0, what: "file", reason: "larger than \(limit) bytes")
            }
        }
    }
}

/// A file created (or truncated) for writing: snapshots, maps, scale cores.
public final class OutputFile {
    public let path: String
    private let fd: Int32

    public init(path: String, mode: mode_t = 0o644) throws(DumpError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: errorText(errno)) }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends all of `data`, retrying short writes and EINTR.
    public func write(_ data: [UInt8]) throws(DumpError) {
        var done = 0
        while done < data.count {
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, data.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, offset: UInt64(done), reason: errorText(errno))
            }
            done += n
        }
    }
}

/// Questions about paths and the running system.
public enum FileSystem {
    /// A regular file (following links).
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// A regular file this process can read.
    public static func isReadableFile(_ path: String) -> Bool {
        isRegularFile(path) && access(path, R_OK) == 0
    }

    /// A directory this process can write into.
    public static func isWritableDirectory(_ path: String) -> Bool {
        access(path, W_OK) == 0
    }

    /// Whether two paths name the same file (device and inode).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// `uname -r` of the running kernel.
    public static func runningRelease() -> String? {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        return withUnsafeBytes(of: u.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// This process's id (live current tables are its own).
    public static var processID: Int32 { getpid() }

    /// "2026-12-06 03:59:12 UTC".
    public static func utcText(_ seconds: UInt64) -> String {
        var t = time_t(truncatingIfNeeded: seconds)
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil else { return String(seconds) }
        var buffer = [Int8](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// CLOCK_MONOTONIC in seconds.
    public static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// The process's peak resident set, in KiB.
    public static func peakResidentKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}

/// strerror(3).
func errorText(_ err: Int32) -> String {
    String(cString: strerror(err))
}

/// Bytes at a fixed place for as long as this lives: a regular file mapped
/// read-only (the page cache's own pages: no copy and no fresh page per
/// 4 KiB, which reading a 5 MB System.map into an array cost), or a copy of
/// an array. A mapped file cut while mapped would fault; symbol files are
/// not written while kptdump reads them (dumps are never mapped).
final class StableBytes: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt8>
    private let mapped: Bool

    init(copying bytes: [UInt8]) {
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = copy.initialize(from: bytes)
        buffer = UnsafeBufferPointer(rebasing: UnsafeBufferPointer(copy)[0..<bytes.count])
        mapped = false
    }

    /// The file's bytes, mapped; or, for a file mmap cannot map (procfs,
    /// sysfs, a pipe: size 0), read. Files over `limit` bytes are refused.
    static func file(_ path: String, limit: Int) throws(DumpError) -> StableBytes {
        let file = try FileBytes(path: path)
        guard file.size > 0, file.size <= UInt64(limit) else {
            return StableBytes(copying: try FileBytes.readWhole(path, limit: limit))
        }
        let length = Int(file.size)
        let base = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file.fd, 0)
        guard let base, base != MAP_FAILED else {
            return StableBytes(copying: try FileBytes.readWhole(path, limit: limit))
        }
        return StableBytes(mapping: UnsafeRawPointer(base).assumingMemoryBound(to: UInt8.self), count: length)
    }

    private init(mapping base: UnsafePointer<UInt8>, count: Int) {
        buffer = UnsafeBufferPointer(start: base, count: count)
        mapped = true
    }

    deinit {
        guard let base = buffer.baseAddress else { return }
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), buffer.count)
        } else {
            base.deallocate()
        }
    }
}
