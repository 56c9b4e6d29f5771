import Foundation
import Testing
@testable import KernelDump
import PageTables

/// The final judge: for every real-kernel fixture, our listing from the snapshot
/// against the kernel's own debugfs text captured at the same moment. A fixture
/// may also hold `snapshot-sysmap.core.zst`, cut with `--system-map` only (no
/// vmlinux, so no DWARF; table sizes from the next symbol), and
/// `snapshot-alone.core.zst`, cut from the dump with nothing beside it: listed
/// the same way, each is held to the same text.
@Suite struct RealKernelListingTests {
    /// debugfs file name -> our table: x86's page_tables/ directory, and the
    /// arm64 and riscv files of the debugfs root.
    static let files: [(String, TableChoice)] = [   // ppc64's is kernel_page_tables too
        ("kernel.txt", .kernel), ("current_kernel.txt", .currentKernel),
        ("current_user.txt", .currentUser), ("efi.txt", .efi),
        ("kernel_page_tables.txt", .kernel), ("efi_page_tables.txt", .efi),
    ]

    /// Every registered architecture; its fixtures live in a folder of its name.
    static let architectures = kernelArchitectures.map(\.name)

    struct Case: CustomStringConvertible, Sendable {
        var arch: String
        var state: String
        var file: String
        var table: TableChoice
        var snapshot = "snapshot.core.zst"
        var description: String {
            "\(arch)/\(state)/\(file)" + (Self.variants[snapshot].map { " (\($0))" } ?? "")
        }
        /// The other snapshots a fixture may hold, by what they were cut with.
        static let variants = ["snapshot-sysmap.core.zst": "System.map snapshot", "snapshot-alone.core.zst": "dump-alone snapshot"]
    }

    static var cases: [Case] {
        architectures.flatMap { arch in
            Fixtures.states(arch).flatMap { dir in
                files.flatMap { file, table -> [Case] in
                    guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("page_tables/\(file)").path) else { return [] }
                    let plain = Case(arch: arch, state: dir.lastPathComponent, file: file, table: table)
                    return [plain] + Case.variants.keys.sorted().compactMap { name in
                        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) else { return nil }
                        var variant = plain
                        variant.snapshot = name
                        return variant
                    }
                }
            }
        }
    }

    /// x86-64: 4-level, 5-level, PTI, EFI. arm64: 4K/48, 16K/47, 64K/42.
    /// riscv64: Sv39, Sv48, Sv57. ppc64: radix and hash.
    @Test(arguments: [("x86_64", 3), ("arm64", 3), ("riscv64", 3), ("ppc64", 4), ("s390x", 4)])
    func thereAreEnoughKernelStates(_ arch: String, _ minimum: Int) {
        let states = Set(Self.cases.filter { $0.arch == arch }.map(\.state))
        #expect(states.count >= minimum, "\(arch) states with the kernel's own text: \(states.sorted())")
    }

    @Test(arguments: cases)
    func listingIsByteForByteTheKernels(_ c: Case) throws {
        let dir = Fixtures.root.appendingPathComponent("\(c.arch)/\(c.state)")
        let snapshot = try Fixtures.decompressed(dir.appendingPathComponent(c.snapshot))
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
