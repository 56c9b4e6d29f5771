import CFuzzer
import FuzzTargets
import Glibc

/// Writes `message` to stderr.
func complain(_ message: String) {
    let bytes = Array(message.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, bytes.count) }
}

// Two builds of one file. With `-D FUZZING -sanitize=fuzzer` (Resources/fuzz/run.sh)
// libFuzzer owns main() and calls LLVMFuzzerTestOneInput with the target named in
// $KPTDUMP_FUZZ_TARGET. Without, this is a replayer: it runs files (a crash
// reproducer, a corpus) through a target, so a finding can be checked without
// libFuzzer.

#if FUZZING
private let selected: FuzzTarget = {
    let name = getenv("KPTDUMP_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        complain("kptdump-fuzz: set KPTDUMP_FUZZ_TARGET to one of: \(names)\n")
        exit(2)
    }
    return target
}()

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else {
        selected.run([])
        return 0
    }
    selected.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM links an executable's main() to `<module>_main`, so that is where
// libFuzzer is started, through its driver entry.
@_cdecl("kptdump_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    _ = selected
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
}
#else
@main
struct Replay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        guard let first = args.first, let target = FuzzTarget(rawValue: first), args.count >= 2 else {
            complain("usage: kptdump-fuzz \(names) FILE|DIR...\n  runs each file through the target (the replayer; see Resources/fuzz/README.md)\n")
            exit(2)
        }
        var count = 0
        for path in args.dropFirst() {
            for file in files(path) {
                guard let bytes = readFile(file) else {
                    complain("kptdump-fuzz: cannot read \(file)\n")
                    exit(2)
                }
                target.run(bytes)
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs ran")
    }

    static func files(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { out.append(path + "/" + name) }
        }
        return out.sorted()
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }
}
#endif
