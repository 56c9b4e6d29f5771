import PageTables

/// `list`: one table's listing, as the kernel prints it.
extension Actions {
    /// Prints the listing of `table` to `write` and returns what the walk saw.
    public static func listing(_ request: DumpRequest, table: TableChoice, cpu: Int,
                               options: ListingOptions = ListingOptions(), process: ProcessChoice? = nil,
                               write: @escaping (String) -> Void,
                               diagnostic: (String) -> Void) throws(DumpError) -> ListingResult {
        let (session, layout) = try open(request)
        return try listing(session, layout, table: table, cpu: cpu, options: options, process: process,
                           write: write, diagnostic: diagnostic)
    }

    /// The same, for a kernel already opened.
    public static func listing(_ session: KernelSession, _ layout: any KernelLayout, table: TableChoice, cpu: Int,
                               options: ListingOptions = ListingOptions(), process: ProcessChoice? = nil,
                               write: @escaping (String) -> Void,
                               diagnostic: (String) -> Void) throws(DumpError) -> ListingResult {
        var chosen: TableSpec?
        if let process {
            var spec = try processTable(session, layout, pid: process.pid, comm: process.comm)
            if table == .currentUser { spec = try layout.userTable(of: spec, session: session) }
            chosen = spec
            diagnostic(spec.origin)
        } else {
            chosen = try layout.table(table, session: session, cpu: cpu)
        }
        if options.output == .json, let spec = chosen {
            chosen?.swapTypes = session.swapTypes()
            warnIfUserEntriesUndecoded(session, spec)
        }
        guard let spec = chosen else {
            // The kernel's own file is empty in this state; so is ours.
            diagnostic("\(table.rawValue): efi_mm.pgd is NULL (no EFI runtime services): nothing to list")
            for w in session.warnings { diagnostic("warning: \(w)") }
            return ListingResult(statistics: WalkStatistics(), writableExecutablePages: 0,
                                 problems: [])
        }
        if table == .currentKernel || table == .currentUser { diagnostic("\(table.rawValue): \(spec.origin)") }
        for name in options.selection.regions(in: spec.markers).unmatched {
            let known = spec.markers.markers.map(\.name).joined(separator: ", ")
            throw .badRequest("--range \(name): no marker of the \(table.rawValue) table matches; its markers are: \(known)")
        }
        let result = writeListing(spec, memory: session.memory, options: options, write: write)
        for w in session.warnings { diagnostic("warning: \(w)") }
        for p in result.problems.prefix(10) {
            diagnostic("warning: \(hex16(p.start))-\(hex16(p.end)): \(p.problem?.description ?? "")")
        }
        if result.problems.count > 10 { diagnostic("warning: ... and \(result.problems.count - 10) more marked ranges") }
        return result
    }
}
