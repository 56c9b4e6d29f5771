import PageTables

extension Actions {
    /// What `kptdump diff` prints, and whether the listings were the same.
    public struct DiffOutcome {
        public var report: String
        public var same: Bool
    }

    /// Loads both inputs and compares them range by range (`ListingDiff`).
    public static func diff(_ a: DumpRequest, _ b: DumpRequest, table: TableChoice, cpu: Int,
                            details: Bool) throws(DumpError) -> DiffOutcome {
        let left = try ListingInput.load(a, table: table, cpu: cpu)
        let right = try ListingInput.load(b, table: table, cpu: cpu)
        let diff = ListingDiff(left.listing, right.listing)
        let report = diff.report(labelA: left.label, labelB: right.label, a: left.listing, b: right.listing,
                                 details: details)
        return DiffOutcome(report: report, same: diff.isEmpty)
    }
}
