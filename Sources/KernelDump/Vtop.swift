import PageTables

/// `kptdump vtop`: addresses translated through one table, step by step.
public struct VtopReport {
    public var translations: [AddressTranslation]
    public var text: String
    /// Per translation, the physical address the table's `linearMap` gives an
    /// address the table itself does not map (ppc64 hash's linear map).
    public var linear: [UInt64?] = []

    /// True when every address mapped to a physical page.
    public var allMapped: Bool {
        translations.indices.allSatisfy { i in
            if case .mapped = translations[i].outcome { return true }
            return i < linear.count && linear[i] != nil
        }
    }

    /// True when some table on the way could not be read.
    public var incomplete: Bool {
        translations.contains { if case .unreadable = $0.outcome { return true } else { return false } }
    }
}

extension Actions {
    /// `vtop DUMP ADDR...` names the dump first, as every other subcommand
    /// does: a first argument that is an existing file (and no --core) is the
    /// dump; addresses and symbols never are.
    public static func dumpArgument(_ arguments: [String], core: String?) -> (dump: String?, rest: [String]) {
        guard core == nil, let first = arguments.first else { return (nil, arguments) }
        guard FileSystem.isRegularFile(first) else { return (nil, arguments) }
        return (first, Array(arguments.dropFirst()))
    }

    /// Translates each of `addresses` (hex or decimal numbers, or symbol names)
    /// through `table`.
    public static func vtop(_ request: DumpRequest, addresses: [String], table: TableChoice,
                            cpu: Int, process: ProcessChoice? = nil) throws(DumpError) -> VtopReport {
        let (session, layout) = try open(request)
        let chosen: TableSpec?
        if let process {
            chosen = try processTable(session, layout, pid: process.pid, comm: process.comm)
        } else {
            chosen = try layout.table(table, session: session, cpu: cpu)
        }
        guard var spec = chosen else {
            throw .noTable(name: table.rawValue, reason: "efi_mm.pgd is NULL (no EFI runtime services)")
        }
        spec.swapTypes = session.swapTypes()
        warnIfUserEntriesUndecoded(session, spec)
        var translations: [AddressTranslation] = []
        var linear: [UInt64?] = []
        var text = ""
        for argument in addresses {
            let va = try resolveAddress(argument, session: session)
            let t = AddressTranslation(va, root: spec.root, architecture: spec.architecture, memory: session.memory)
            translations.append(t)
            text += describe(t, argument: argument, spec: spec, session: session)
            if case .notMapped = t.outcome, let pa = spec.linearMap?.physical(va) {
                linear.append(pa)
                text += "  linear map: physical " + hex16(pa) + " (mapped by a fixed offset outside this table)\n"
            } else {
                linear.append(nil)
            }
        }
        return VtopReport(translations: translations, text: text, linear: linear)
    }

    static func resolveAddress(_ argument: String, session: KernelSession) throws(DumpError) -> UInt64 {
        let digits = argument.hasPrefix("0x") || argument.hasPrefix("0X") ? String(argument.dropFirst(2)) : argument
        if let v = UInt64(digits, radix: 16), !digits.isEmpty,
           argument.hasPrefix("0x") || argument.hasPrefix("0X") || digits.allSatisfy({ $0.isHexDigit }) {
            return v
        }
        var name = Substring(argument)
        var offset: UInt64 = 0
        if let plus = argument.firstIndex(of: "+") {
            name = argument[..<plus]
            let rest = argument[argument.index(after: plus)...]
            let hexDigits = rest.hasPrefix("0x") ? rest.dropFirst(2) : rest
            guard let o = UInt64(hexDigits, radix: 16) else {
                throw .badRequest("\(argument): not an address or symbol+offset")
            }
            offset = o
        }
        guard let base = session.symbols[String(name)] else {
            throw .badRequest("\(argument): not an address, and no symbol of that name in \(session.symbols.sources.joined(separator: ", "))")
        }
        return base &+ offset
    }

    static func describe(_ t: AddressTranslation, argument: String, spec: TableSpec, session: KernelSession) -> String {
        var out = hex16(t.address)
        if !argument.hasPrefix("0x") && UInt64(argument, radix: 16) == nil { out += " (\(argument))" }
        out += "  [\(spec.name) table: \(spec.origin)]\n"
        for s in t.steps {
            out += "  " + spec.architecture.tableName(s.level) + "  " + hex16(s.table.rawValue) + "[" + String(s.index) + "]"
            out += String(repeating: " ", count: max(1, 6 - String(s.index).count)) + hex16(s.entry) + "  "
            switch s.reading {
            case .table(let next):
                out += "table " + hex(next.rawValue)
            case .leaf(let physical, let size):
                let range = MappedRange(start: t.address, end: t.address, level: s.level,
                                        protection: spec.architecture.protection(s.entry, at: s.level),
                                        effective: spec.architecture.protection(s.entry, at: s.level), physicalStart: nil,
                                        problem: nil, markerIndex: 0)
                out += sizeName(size) + " page " + hex(physical.rawValue) + "  " + spec.format.words(range).joined(separator: " ")
            case .notPresent:
                out += s.entry == 0 ? "none" : "not present"
            case .invalid(let reason):
                out += "invalid: " + reason
            }
            out += "\n"
        }
        // A user address's last entry, as the kernel tells entries apart.
        if let last = t.steps.last, last.entry != 0, t.address < 1 << 63, let types = spec.swapTypes,
           let entry = spec.architecture.describeUserEntry(last.entry, at: last.level, swapTypes: types) {
            out += "  entry: " + describe(entry) + "\n"
        }
        switch t.outcome {
        case .mapped(let physical, let size, let level, _):
            out += "  physical " + hex16(physical.rawValue) + " (" + sizeName(size) + " page at " + spec.architecture.tableName(level) + ")\n"
        case .notMapped(let level):
            out += "  not mapped (\(spec.architecture.tableName(level)) entry not present)\n"
        case .invalid(let level, let reason):
            out += "  not mapped (\(spec.architecture.tableName(level)) entry invalid: \(reason))\n"
        case .unreadable(let level, let table, let reason):
            out += "  unknown: \(spec.architecture.tableName(level)) table \(hex(table.rawValue)) unreadable: \(reason)\n"
        }
        return out
    }

    static func describe(_ e: EntryDescription) -> String {
        var words = [e.kind.rawValue]
        if let type = e.swapType, let offset = e.swapOffset {
            words.append("type \(type) offset \(hex(offset))")
            if e.exclusive { words.append("exclusive") }
        }
        if e.softDirty { words.append("soft-dirty") }
        if e.uffdWP { words.append("uffd-wp") }
        if e.guardRegion { words.append("guard") }
        if e.poisoned { words.append("poisoned") }
        return words.joined(separator: ", ")
    }

    static func sizeName(_ size: UInt64) -> String {
        PtdumpSize.text(size)
    }
}
