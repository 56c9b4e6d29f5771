import PageTables

extension Actions {
    /// `kptdump map`: walks `table` and draws its address space (see
    /// `AddressSpaceMap`), as an SVG document or, with `html`, an HTML page
    /// holding it. Marked ranges are drawn hatched and reported to `diagnostic`,
    /// as the listing reports them; `incomplete` says there were some.
    public static func map(_ request: DumpRequest, table: TableChoice = .kernel, html: Bool = false,
                           progress: ProgressLine? = nil,
                           diagnostic: (String) -> Void = { _ in }) throws(DumpError) -> (text: String, incomplete: Bool) {
        let (session, layout) = try open(request)
        guard let spec = try layout.table(table, session: session, cpu: 0) else {
            throw .noTable(name: table.rawValue, reason: "efi_mm.pgd is NULL (no EFI runtime services): nothing to draw")
        }
        let source = session.isLive ? "the running kernel (/proc/kcore)" : session.path
        var facts = [session.architecture.name]
        if let release = session.vmcoreinfo?.osRelease { facts.append("Linux " + release) }
        facts.append(PtdumpSize.text(spec.architecture.geometry.pageSize) + " pages")
        facts.append("table root " + hex(spec.root.rawValue) + (spec.origin.isEmpty ? "" : " (" + spec.origin + ")"))
        let options = AddressSpaceMap.Options(title: "\(spec.name.isEmpty ? table.rawValue : spec.name) page table of \(source)",
                                              subtitle: facts.joined(separator: " · "))
        let format = spec.format
        var map = AddressSpaceMap(architecture: spec.architecture, options: options) { range in
            var line = format.line(range)
            if line.last == "\n" { line.removeLast() }
            return line
        }
        let result = walkEvents(spec, memory: session.memory, progress: progress) { map.add($0) }
        for w in session.warnings { diagnostic("warning: \(w)") }
        for p in result.problems.prefix(10) {
            diagnostic("warning: \(hex16(p.start))-\(hex16(p.end)): \(p.problem?.description ?? "")")
        }
        if result.problems.count > 10 { diagnostic("warning: ... and \(result.problems.count - 10) more marked ranges") }
        return (html ? map.html() : map.svg(), !result.problems.isEmpty)
    }

    /// Writes `text` to the file at `path`, created or truncated.
    public static func write(_ text: String, toFile path: String) throws(DumpError) {
        try OutputFile(path: path).write(Array(text.utf8))
    }
}
