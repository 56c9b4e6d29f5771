import PageTables

/// The releases whose listings the kernel itself judged (Resources/fixtures and
/// the README's table): facts kptdump keys by release (arm64's attribute table
/// and marker formulas, riscv's paging mode before 5.17, swap layouts) are
/// known to hold inside this range only.
public enum JudgedReleases {
    public static let oldest = KernelVersion(5, 10)
    public static let newest = KernelVersion(7, 3)

    /// A warning for a release outside the judged range, or nil inside it or
    /// when the release cannot be read.
    public static func warning(release: String) -> String? {
        guard let v = KernelVersion(release: release) else { return nil }
        let range = "\(oldest.major).\(oldest.minor) to \(newest.major).\(newest.minor)"
        if v < oldest {
            return "Linux \(release) is older than every release kptdump was judged on (\(range)); what the dump does not say is taken from \(oldest.major).\(oldest.minor)'s rules, which may not hold"
        }
        if KernelVersion(v.major, v.minor) > newest {
            return "Linux \(release) is newer than every release kptdump was judged on (\(range)); what the dump does not say is taken from \(newest.major).\(newest.minor)'s rules, which may not hold"
        }
        return nil
    }
}
