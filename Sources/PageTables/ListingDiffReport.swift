extension ListingDiff {
    /// The text `kptdump diff` prints: a summary, then (with `details`) one
    /// block per change giving each side's own addresses and line.
    public func report(labelA: String, labelB: String, a: ParsedListing, b: ParsedListing, details: Bool) -> String {
        var out = "A: \(labelA) (\(a.regions.count) regions, \(a.lineCount) lines)\n"
        out += "B: \(labelB) (\(b.regions.count) regions, \(b.lineCount) lines)\n"
        let onlyA = regionChanges.filter { $0.onlyIn == .a }.count
        let onlyB = regionChanges.count - onlyA
        var regions = "regions: \(regionsCompared) compared, \(onlyA) only in A, \(onlyB) only in B"
        if !notCompared.isEmpty {
            regions += "; not compared, because the kernel prints only their first lines: "
                + notCompared.joined(separator: ", ")
        }
        out += regions + "\n"
        if changes.isEmpty {
            out += "ranges: no differences\n"
        } else {
            let counts = Kind.allCases.compactMap { kind -> String? in
                let n = changes.filter { $0.kind == kind }.count
                return n == 0 ? nil : "\(n) \(kind.rawValue)"
            }
            let touched = Set(changes.map(\.region)).count
            out += "ranges: \(changes.count) difference\(changes.count == 1 ? "" : "s") in \(touched) region\(touched == 1 ? "" : "s") ("
                + counts.joined(separator: ", ") + ")\n"
        }
        guard details else { return out }
        for r in regionChanges {
            out += "\nregion only in \(r.onlyIn.rawValue): ---[ \(r.name) ]--- (\(r.lines) lines)\n"
        }
        for c in changes {
            let size = PtdumpSize.text(c.size)
            out += "\n\(c.kind.rawValue)  [\(c.region)] +\(hex(c.offset)) \(size)\n"
            out += "  A " + Self.side(c.lineA, anchor: c.anchorA, offset: c.offset, size: c.size) + "\n"
            out += "  B " + Self.side(c.lineB, anchor: c.anchorB, offset: c.offset, size: c.size) + "\n"
        }
        return out
    }

    /// One side of a change: its own addresses for the stretch, the line's
    /// level and attributes, or "(hole)".
    static func side(_ line: ListingLine?, anchor: UInt64, offset: UInt64, size: UInt64) -> String {
        let start = anchor &+ offset
        var out = hex16(start) + "-" + hex16(start &+ size) + "  "
        guard let line else { return out + "(no line)" }
        out += line.level.isEmpty ? "?" : line.level   // a text that names no level
        if let mark = line.mark { return out + "  " + mark }
        out += line.isPresent ? "  " + line.attributes.joined(separator: " ") : "  (hole)"
        if line.start != start || line.size != size {
            out += "   (line " + hex16(line.start) + "-" + hex16(line.start &+ line.size) + ")"
        }
        return out
    }
}
