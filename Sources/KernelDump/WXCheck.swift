import PageTables

/// The kernel's boot-time W+X check (`CONFIG_DEBUG_WX`), run offline: the same
/// tables, the same rule per architecture and the same verdict line.
///
/// - x86-64: effective RW and not NX, over init_mm's table and, with PTI, its
///   user copy (arch/x86/mm/dump_pagetables.c).
/// - arm64: not read-only and not PXN; non-UXN kernel pages counted too
///   (arch/arm64/mm/ptdump.c).
/// - riscv64: W and X (arch/riscv/mm/ptdump.c).
public struct WXReport {
    public struct Table {
        /// The line the kernel prints before this walk, if any.
        public var preface: String?
        public var verdict: String
        public var writableExecutablePages: UInt64
        public var nonUXNPages: UInt64
        /// The offending ranges as listing lines, each with its marker region
        /// and nearest symbol.
        public var offenders: [String]
        public var markedRanges: Int
    }

    public var tables: [Table]
    /// What the session warned of on the way (a PTI user copy missing from
    /// the dump, estimated markers, ...), for stderr.
    public var warnings: [String] = []

    /// True when any walk found a W+X (or, on arm64, a non-UXN) page.
    public var failed: Bool { tables.contains { $0.writableExecutablePages > 0 || $0.nonUXNPages > 0 } }
    /// True when some table could not be read, so a pass is not proof.
    public var incomplete: Bool { tables.contains { $0.markedRanges > 0 } }

    /// The report: the kernel's lines, then the offending ranges.
    public var text: String {
        var out = ""
        for t in tables {
            if let p = t.preface { out += p + "\n" }
            out += t.verdict + "\n"
            for o in t.offenders { out += "  " + o + "\n" }
            if t.markedRanges > 0 {
                out += "  (\(t.markedRanges) ranges could not be walked; run the listing to see them)\n"
            }
        }
        return out
    }
}

extension Actions {
    /// Walks what the kernel's W+X check walks and reports as it would;
    /// `progress` is updated during each walk.
    public static func checkWX(_ request: DumpRequest, progress: ProgressLine? = nil) throws(DumpError) -> WXReport {
        let (session, layout) = try open(request)
        var tables: [WXReport.Table] = []
        for (preface, spec) in try layout.wxCheckTables(session) {
            let arch = spec.architecture
            var offenders: [String] = []
            // The walk's own counters decide the verdict, as note_wx() counts.
            let result = walkEvents(spec, memory: session.memory, progress: progress) { event in
                guard case .range(let range) = event else { return }
                let wx = arch.isWritableAndExecutable(protection: range.protection, effective: range.effective)
                    && !arch.isExpectedWX(start: range.start, end: range.end)
                let uxn = arch.isUserExecutable(protection: range.protection)
                guard range.problem == nil, wx || uxn else { return }
                var line = spec.format.line(range)
                line.removeLast()
                let what = wx ? "W+X" : "non-UXN"
                var note = "\(what) [\(spec.markers[range.markerIndex].name)]"
                if let symbol = session.symbols.nearest(range.start) { note += " \(symbol)" }
                offenders.append(line + "   " + note)
            }
            tables.append(WXReport.Table(
                preface: preface,
                verdict: arch.wxVerdict(writableExecutablePages: result.writableExecutablePages,
                                        nonUXNPages: result.nonUXNPages),
                writableExecutablePages: result.writableExecutablePages, nonUXNPages: result.nonUXNPages,
                offenders: offenders, markedRanges: result.problems.count))
        }
        return WXReport(tables: tables, warnings: session.warnings)
    }
}
