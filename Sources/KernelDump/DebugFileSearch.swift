
/// Where a dump's vmlinux (with symbols) and System.map are looked for when
/// the user names none: the distribution debug paths (by build-id, then by
/// release), and the dump's own directory (kdump-tools saves
/// /var/crash/STAMP/dump.STAMP; people copy the vmlinux beside it).
///
/// Debian's -dbg package installs /usr/lib/debug/boot/vmlinux-RELEASE, its
/// System.map and /usr/lib/debug/.build-id links; /boot/System.map-RELEASE is
/// only a one-line placeholder pointing there.
public struct DebugFileSearch: Sendable {
    /// Prefix for the distribution paths: "" for the system, or a directory
    /// holding an unpacked debug package (`dpkg -x`).
    public var root: String
    /// The dump's directory, or nil for a live kernel.
    public var dumpDirectory: String?

    public init(root: String = "", dumpDirectory: String? = nil) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        self.dumpDirectory = dumpDirectory
    }

    /// Candidate vmlinux paths, most specific first. `buildID` is VMCOREINFO's
    /// BUILD-ID (hex), `release` its OSRELEASE.
    public func vmlinuxCandidates(release: String?, buildID: String?) -> [String] {
        var paths: [String] = []
        if let id = buildID?.lowercased(), id.count > 2, id.allSatisfy(\.isHexDigit) {
            paths.append("\(root)/usr/lib/debug/.build-id/\(id.prefix(2))/\(id.dropFirst(2)).debug")
        }
        if let release {
            paths += [
                "/usr/lib/debug/boot/vmlinux-\(release)",
                "/usr/lib/debug/lib/modules/\(release)/vmlinux",
                "/usr/lib/debug/usr/lib/modules/\(release)/vmlinux",
                "/boot/vmlinux-\(release)",
                "/lib/modules/\(release)/build/vmlinux",
                "/lib/modules/\(release)/vmlinux",
            ].map { root + $0 }
        }
        if let dir = dumpDirectory {
            if let release { paths.append("\(dir)/vmlinux-\(release)") }
            paths.append("\(dir)/vmlinux")
        }
        return paths
    }

    /// Candidate System.map paths for `release`.
    public func systemMapCandidates(release: String?) -> [String] {
        var paths: [String] = []
        if let release {
            paths += ["/usr/lib/debug/boot/System.map-\(release)", "/boot/System.map-\(release)",
                      "/lib/modules/\(release)/build/System.map"].map { root + $0 }
            if let dir = dumpDirectory { paths.append("\(dir)/System.map-\(release)") }
        }
        if let dir = dumpDirectory { paths.append("\(dir)/System.map") }
        return paths
    }

    /// True for Debian's placeholder System.map, which holds no symbols.
    static func isPlaceholderMap(_ text: String) -> Bool {
        text.utf8.count < 4096 && text.contains("The real System.map is in")
    }
}

/// What the automatic search found, and what it passed over and why: `info`
/// prints it, so a user can see where symbols came from.
public struct DebugFileReport: Sendable {
    public var vmlinux: String?
    public var systemMap: String?
    /// "path: why it was not used", for files that exist.
    public var skipped: [String] = []
    /// Whether anything was searched at all (nothing is when the user named files).
    public var searched = false
    public var looked: [String] = []
}
