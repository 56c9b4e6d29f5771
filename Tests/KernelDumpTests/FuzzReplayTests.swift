import Foundation
import FuzzTargets
import Testing
@testable import KernelDump
import PageTables

/// CI's bounded fuzzing pass without libFuzzer: every committed seed of
/// Resources/fuzz/corpus, the small dumps built here, and a fixed set of
/// mutations of each (truncations, bit flips, extreme 8-byte values at header
/// offsets) run through the same functions libFuzzer drives. A crash or trap
/// fails the run; a hang fails it by time.
///
/// `KPTDUMP_WRITE_SEEDS=DIR swift test --filter FuzzReplayTests` also writes the
/// built seeds to DIR/<target>/, which is how Resources/fuzz/corpus got them.
@Suite struct FuzzReplayTests {
    static let corpus = Fixtures.root.deletingLastPathComponent().appendingPathComponent("fuzz/corpus")

    /// The committed seeds of `target`.
    static func committed(_ target: FuzzTarget) throws -> [(String, [UInt8])] {
        let dir = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map {
            ($0, Array(try Data(contentsOf: dir.appendingPathComponent($0))))
        }
    }

    /// Small dumps built in code: the one-page core of ElfCoreReaderTests, and
    /// that core as a kdump file with each codec, plain and flattened.
    static func built(_ target: FuzzTarget) throws -> [(String, [UInt8])] {
        // A name of its own: the targets' cases run side by side, and each
        // removes its core when done (one shared name failed CI once).
        let core = try ElfCoreReaderTests.writeCore("fuzz-seed-\(target.rawValue)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: core) }
        switch target {
        case .elfCore:
            return [("one-page.core", Array(try Data(contentsOf: URL(fileURLWithPath: core))))]
        case .kdump:
            let dump = try DumpFile(path: core)
            var out: [(String, [UInt8])] = []
            for codec in [nil] + PageCodec.allCases.map(Optional.some) {
                for flattened in [false, true] {
                    let url = FileManager.default.temporaryDirectory
                        .appendingPathComponent("kptdump-fuzz-seed-\(getpid())-\(UUID().uuidString)")
                    defer { try? FileManager.default.removeItem(at: url) }
                    try KdumpWriter(codec: codec, flattened: flattened, excludeZeroPages: true)
                        .write(from: dump, pageSize: 4096, release: "6.1.0-test", machine: "x86_64", to: url)
                    out.append(("one-page-\(codec?.description ?? "raw")\(flattened ? "-flat" : "").kdump",
                                Array(try Data(contentsOf: url))))
                }
            }
            return out
        default:
            return []
        }
    }

    /// Deterministic mutations: truncations, bit flips and extreme values, denser
    /// in the first 512 bytes where the headers are.
    static func mutations(of seed: [UInt8], count: Int) -> [[UInt8]] {
        guard !seed.isEmpty else { return [] }
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(seed.count)
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let extremes: [UInt64] = [0, .max, 1 << 63, UInt64(seed.count), 0x7fff_ffff, 4096, 1]
        var out: [[UInt8]] = []
        for n in 0..<count {
            var m = seed
            let headerBiased = n % 2 == 0 ? next() % min(seed.count, 512) : next() % seed.count
            switch n % 4 {
            case 0:
                m = Array(m.prefix(headerBiased))
            case 1:
                m[headerBiased] ^= UInt8(1 << (next() % 8))
            case 2:
                let value = extremes[next() % extremes.count]
                let at = headerBiased & ~7
                for b in 0..<8 where at + b < m.count { m[at + b] = UInt8(truncatingIfNeeded: value >> UInt64(8 * b)) }
            default:
                for _ in 0..<8 { m[next() % m.count] = UInt8(truncatingIfNeeded: next()) }
            }
            out.append(m)
        }
        return out
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsAndMutationsRunToTheEnd(_ target: FuzzTarget) throws {
        let seeds = try Self.committed(target) + Self.built(target)
        #expect(!seeds.isEmpty, "no seeds for \(target.rawValue) in \(Self.corpus.path)")
        if let dir = ProcessInfo.processInfo.environment["KPTDUMP_WRITE_SEEDS"] {
            let folder = URL(fileURLWithPath: dir).appendingPathComponent(target.rawValue)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in try Self.built(target) { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
        }
        var ran = 0
        let start = Date()
        for (_, seed) in seeds {
            target.run(seed)
            // Big seeds and whole walks are slow in a debug build; they get fewer mutations.
            let count = seed.count > 20_000 ? 60 : target == .walker ? 30 : 300
            for m in Self.mutations(of: seed, count: count) {
                target.run(m)
                ran += 1
            }
        }
        #expect(ran >= 60)
        // Bounded: a walk of a corrupt table is capped by its visit budget.
        // A hang guard, not a speed test: alone this takes under 20 s, but the
        // whole suite runs beside it on two cores.
        #expect(Date().timeIntervalSince(start) < 600, "\(target.rawValue): \(ran) inputs took too long")
    }
}
