// swift-tools-version:6.0
import PackageDescription

// Release builds skip the runtime exclusivity checks on class properties: they
// were about 9% of a listing (perf, 2.4M lines). Debug builds and the tests keep them.
let releaseSpeed: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "kptdump",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kptdump", targets: ["kptdump"]),
        .library(name: "PageTables", targets: ["PageTables"]),
        .library(name: "KernelDump", targets: ["KernelDump"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libelf and libdw, through pkg-config. Only KernelDump imports it.
        .systemLibrary(
            name: "CElfUtils",
            pkgConfig: "libdw",
            providers: [.apt(["libelf-dev", "libdw-dev"])]
        ),
        // zlib, lzo, snappy and zstd: the page codecs of kdump-compressed dumps.
        .systemLibrary(
            name: "CCompression",
            providers: [.apt(["zlib1g-dev", "liblzo2-dev", "libsnappy-dev", "libzstd-dev"])]
        ),
        // Pure Swift: addresses, the memory-reader protocol, architectures, the
        // generic walker, range merging and the formatters. No C, no syscalls.
        .target(name: "PageTables", swiftSettings: releaseSpeed),
        // Everything that touches files, ELF and compression: dump readers, VMCOREINFO,
        // symbols, the kernel layout, snapshots.
        .target(name: "KernelDump", dependencies: ["PageTables", "CElfUtils", "CCompression"], swiftSettings: releaseSpeed),
        .executableTarget(
            name: "kptdump",
            dependencies: [
                "PageTables", "KernelDump",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildInfo"]
        ),
        // The commit a build came from, for --version.
        .plugin(name: "BuildInfo", capability: .buildTool()),
        // The benchmark driver (Resources/bench/run.sh): floor measurement and the
        // synthetic scale dumps. Not installed for users.
        .executableTarget(
            name: "kptdump-bench",
            dependencies: [
                "KernelDump",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Each outside input as one function of bytes, for libFuzzer and the tests.
        .target(name: "FuzzTargets", dependencies: ["KernelDump", "PageTables", "TestSupport"]),
        // What tests and fuzz targets build memory from; not part of the tool.
        .target(name: "TestSupport", dependencies: ["PageTables"]),
        // libFuzzer's harness with -D FUZZING (Resources/fuzz/run.sh); otherwise a
        // replayer of inputs through a target.
        .systemLibrary(name: "CFuzzer"),
        .executableTarget(name: "kptdump-fuzz", dependencies: ["FuzzTargets", "CFuzzer"]),
        .testTarget(name: "PageTablesTests", dependencies: ["PageTables", "KernelDump", "TestSupport"]),
        // The command line itself: the quick `list` parser against ArgumentParser.
        .testTarget(name: "kptdumpTests", dependencies: [
            "kptdump", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "KernelDumpTests", dependencies: ["KernelDump", "PageTables", "FuzzTargets", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
