import PageTables

/// The progress line kptdump keeps on a terminal's stderr while a walk runs
/// longer than a second: `kptdump: walking 0xffffc90000400000, 1234 tables`
/// (the address, not a percentage: a kernel's tables crowd into a few small
/// regions of the address space, so a share of it says little), rewritten in
/// place with `\r` at most five times a second, and erased when the walk ends,
/// so the terminal is left as if it had never been there. Nothing is written
/// for walks shorter than `delay`.
public final class ProgressLine: @unchecked Sendable {
    private let write: (String) -> Void
    private let clock: () -> Double
    private let started: Double
    private let delay: Double
    private var lastShown: Double?
    private var width = 0

    /// `write` receives the raw text (with `\r`); `clock` gives seconds.
    public init(delay: Double = 1, clock: @escaping () -> Double = ProgressLine.monotonicSeconds,
                write: @escaping (String) -> Void) {
        self.write = write
        self.clock = clock
        self.delay = delay
        self.started = clock()
    }

    public func update(address: UInt64, tables: Int) {
        let now = clock()
        guard now - started >= delay else { return }
        if let last = lastShown, now - last < 0.2 { return }
        lastShown = now
        let text = "kptdump: walking \(hex16(address)), \(tables) tables"
        write("\r" + text + String(repeating: " ", count: max(0, width - text.count)))
        width = text.count
    }

    /// Erases the line if it was ever shown.
    public func finish() {
        guard width > 0 else { return }
        write("\r" + String(repeating: " ", count: width) + "\r")
        width = 0
        lastShown = nil
    }

    public static func monotonicSeconds() -> Double {
        FileSystem.monotonicSeconds()
    }
}
