import PageTables

/// What one benchmark run of a dump measured. Times are the best of `repeats`
/// runs with the dump's pages in the OS cache, so they compare CPU work, not disks.
public struct BenchmarkReport: Sendable {
    public var dump: String
    public var table: String
    /// Opening the dump and reading symbols, VMCOREINFO and the layout.
    public var openSeconds: Double
    /// The listing: walk, merge and format the text, written to nothing.
    public var listingSeconds: Double
    /// The floor: reading the same table pages once each, in the walk's order,
    /// through the same memory reader, and nothing else.
    public var floorSeconds: Double
    public var tablesRead: Int
    public var tableBytes: Int
    public var listingBytes: Int
    public var listingLines: Int
    public var peakResidentKB: Int
    public var repeats: Int

    public var floorRatio: Double { floorSeconds > 0 ? listingSeconds / floorSeconds : 0 }

    /// One JSON object, for scripts.
    public var json: String {
        let fields: [(String, String)] = [
            ("dump", JSONText.string(dump)), ("table", JSONText.string(table)),
            ("open_seconds", seconds(openSeconds)), ("listing_seconds", seconds(listingSeconds)),
            ("floor_seconds", seconds(floorSeconds)), ("ratio_to_floor", String(format2(floorRatio))),
            ("tables_read", String(tablesRead)), ("table_bytes", String(tableBytes)),
            ("listing_bytes", String(listingBytes)), ("listing_lines", String(listingLines)),
            ("peak_rss_kb", String(peakResidentKB)), ("repeats", String(repeats)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Lines for a person.
    public var text: String {
        """
        \(dump) (\(table))
          open (symbols, layout)   \(seconds(openSeconds)) s
          listing                  \(seconds(listingSeconds)) s  (\(listingLines) lines, \(listingBytes) bytes)
          floor                    \(seconds(floorSeconds)) s  (\(tablesRead) table pages, \(tableBytes) bytes, read once each)
          listing / floor          \(format2(floorRatio))
          peak RSS                 \(peakResidentKB) kB
        """
    }

    private func seconds(_ s: Double) -> String { String(format6(s)) }
}

extension Actions {
    /// Measures the listing of `table` in `request`'s dump against the floor.
    public static func benchmark(_ request: DumpRequest, table: TableChoice, repeats: Int) throws(DumpError) -> BenchmarkReport {
        let openStart = FileSystem.monotonicSeconds()
        let (session, layout) = try open(request)
        guard let spec = try layout.table(table, session: session, cpu: 0) else {
            throw .badRequest("\(table.rawValue): the table is empty in this dump; nothing to measure")
        }
        let openSeconds = FileSystem.monotonicSeconds() - openStart

        // One walk to learn which reads the listing makes (and to warm the caches).
        let recorder = ReadOrderRecorder(session.memory)
        var bytes = 0
        var lines = 0
        _ = writeListing(spec, memory: recorder, write: { s in
            bytes += s.utf8.count
            lines += s.utf8.reduce(0) { $1 == 0x0a ? $0 + 1 : $0 }
        })
        let reads = recorder.reads
        // The floor reads each page once, as its label and floor.c say.
        let distinct = recorder.distinctReads

        var best = Double.infinity
        var bestFloor = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = FileSystem.monotonicSeconds()
            var sink = 0
            let result = writeListing(spec, memory: session.memory, write: { sink &+= $0.utf8.count })
            best = min(best, FileSystem.monotonicSeconds() - start)
            if sink != bytes || result.statistics.tablesRead != reads.count {
                throw .badRequest("the listing changed between runs (\(sink) bytes and \(result.statistics.tablesRead) reads, then \(bytes) and \(reads.count)); is the kernel live?")
            }

            let floorStart = FileSystem.monotonicSeconds()
            for r in distinct { _ = try? session.memory.read(PhysicalAddress(r.address), count: r.count) }
            bestFloor = min(bestFloor, FileSystem.monotonicSeconds() - floorStart)
        }
        return BenchmarkReport(
            dump: request.core ?? request.kcorePath, table: table.rawValue, openSeconds: openSeconds,
            listingSeconds: best, floorSeconds: bestFloor, tablesRead: reads.count,
            tableBytes: reads.reduce(0) { $0 + $1.count }, listingBytes: bytes, listingLines: lines,
            peakResidentKB: FileSystem.peakResidentKiB(), repeats: max(1, repeats))
    }
}

extension Actions {
    /// The reads the listing of `table` makes, each distinct (address, count)
    /// once, in first-read order: what a floor program reads (Resources/bench/floor.c).
    public static func tableReads(_ request: DumpRequest, table: TableChoice) throws(DumpError) -> [(address: UInt64, count: Int)] {
        let (session, layout) = try open(request)
        guard let spec = try layout.table(table, session: session, cpu: 0) else {
            throw .badRequest("\(table.rawValue): the table is empty in this dump")
        }
        let recorder = ReadOrderRecorder(session.memory)
        _ = writeListing(spec, memory: recorder, write: { _ in })
        return recorder.distinctReads
    }
}

/// Passes reads through and remembers each one, in order.
final class ReadOrderRecorder: PhysicalMemory {
    let base: any PhysicalMemory
    private(set) var reads: [(address: UInt64, count: Int)] = []

    init(_ base: any PhysicalMemory) { self.base = base }

    /// Each address read once, in first-read order: what a floor reads.
    var distinctReads: [(address: UInt64, count: Int)] {
        var seen: Set<UInt64> = []
        return reads.filter { seen.insert($0.address).inserted }
    }

    func read(_ address: PhysicalAddress, count: Int) throws(MemoryError) -> [UInt8] {
        let bytes = try base.read(address, count: count)
        reads.append((address.rawValue, count))
        return bytes
    }
}

private func format2(_ v: Double) -> String { formatFixed(v, digits: 2) }
private func format6(_ v: Double) -> String { formatFixed(v, digits: 6) }

/// `v` with `digits` decimals, without Foundation.
func formatFixed(_ v: Double, digits: Int) -> String {
    guard v.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int64((abs(v) * scale).rounded())
    let whole = n / Int64(scale)
    var frac = String(n % Int64(scale))
    while frac.count < digits { frac = "0" + frac }
    return (v < 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}
