/// The release this source tree is; bump with each tagged release.
let kptdumpVersion = "0.8.0"

/// `0.8.0 (commit 1234abcd5678)`: what `--version` and `info` print.
let versionText = "\(kptdumpVersion) (commit \(buildCommit))"
