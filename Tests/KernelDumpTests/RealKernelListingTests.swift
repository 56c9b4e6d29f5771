import Foundation
import Testing
@testable import KernelDump
import PageTables

/// The final judge: for every real-kernel fixture, our listing from the snapshot
/// against the kernel's own debugfs text captured at the same moment.
@Suite struct RealKernelListingTests {
    /// debugfs file name -> our table.
    static let files: [(String, TableChoice)] = [
        ("kernel.txt", .kernel), ("current_kernel.txt", .currentKernel),
        ("current_user.txt", .currentUser), ("efi.txt", .efi),
    ]

    struct Case: CustomStringConvertible, Sendable {
        var state: String
        var file: String
        var table: TableChoice
        var description: String { "\(state)/\(file)" }
    }

    static var cases: [Case] {
        Fixtures.states("x86_64").flatMap { dir in
            files.compactMap { file, table in
                FileManager.default.fileExists(atPath: dir.appendingPathComponent("page_tables/\(file)").path)
                    ? Case(state: dir.lastPathComponent, file: file, table: table) : nil
            }
        }
    }

    @Test func thereAreAtLeastThreeKernelStates() {
        let states = Set(Self.cases.map(\.state))
        #expect(states.count >= 3, "states with the kernel's own text: \(states.sorted())")
    }

    @Test(arguments: cases)
    func listingIsByteForByteTheKernels(_ c: Case) throws {
        let dir = Fixtures.root.appendingPathComponent("x86_64/\(c.state)")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent("snapshot.core.zst"))
        let kernels = try String(contentsOf: dir.appendingPathComponent("page_tables/\(c.file)"), encoding: .utf8)
        let cpuFile = dir.appendingPathComponent("cpu.txt")
        let cpu = (try? String(contentsOf: cpuFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        let ours = try Fixtures.listing(snapshot: snapshot, table: c.table, cpu: cpu)
        let comparison = LineComparison(ours: ours, kernels: kernels)
        print("\(c): \(comparison)")
        #expect(comparison.lines > 10 || kernels.isEmpty)
        #expect(comparison.differing == 0, "\(comparison)")
        #expect(ours == kernels)
    }
}
