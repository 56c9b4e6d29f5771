#!/usr/bin/env bash
# Builds kptdump for users who have no Swift toolchain: a static release build
# (Resources/build-release.sh: the Swift runtime, libelf, libdw, the codecs and glibc
# linked in), packed as OUTDIR/kptdump_VERSION_ARCH.deb with a man page (from the
# command definitions) and bash, zsh and fish completions. Should the binary link
# anything dynamically, the package depends on the Debian packages that hold it. Then
# it checks what it built: no Swift library among the binary's needs, and the packaged
# binary, run with an empty environment, lists the shipped sample.
#
#   Resources/package.sh OUTDIR          # then: sudo dpkg -i OUTDIR/kptdump_*.deb
#
# Everything but the final path goes to stderr. Exit status 0 only when the
# checks pass.
set -euo pipefail
out=${1:?usage: Resources/package.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"

Resources/install-deps.sh git

echo "building (release, static executable)..." >&2
bin=$(Resources/build-release.sh kptdump)/kptdump
version=$("$bin" --version | cut -d' ' -f1)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/kptdump_${version}_$arch

install -D -m 0755 "$bin" "$pkg/usr/bin/kptdump"
strip "$pkg/usr/bin/kptdump"

# The man page, from the same command definitions as --help (swift-argument-parser's
# generator; it builds the tool once more in its own configuration).
echo "man page..." >&2
swift package plugin generate-manual --authors "kptdump developers" >&2
man=$(find .build/plugins/GenerateManual/outputs -name kptdump.1 | head -1)
[ -s "$man" ] || { echo "no man page was generated" >&2; exit 1; }
install -d "$pkg/usr/share/man/man1"
gzip -9n <"$man" >"$pkg/usr/share/man/man1/kptdump.1.gz"

"$bin" --generate-completion-script bash | install -D -m 0644 /dev/stdin "$pkg/usr/share/bash-completion/completions/kptdump"
"$bin" --generate-completion-script zsh | install -D -m 0644 /dev/stdin "$pkg/usr/share/zsh/vendor-completions/_kptdump"
"$bin" --generate-completion-script fish | install -D -m 0644 /dev/stdin "$pkg/usr/share/fish/vendor_completions.d/kptdump.fish"
install -D -m 0644 README.md "$pkg/usr/share/doc/kptdump/README.md"

# Depends: the Debian package of each library the binary links dynamically (none
# from build-release.sh), at least the version it was built against.
needed() { readelf -d "$1" | grep -c '(NEEDED)' || true; }
depends=()
for lib in $( [ "$(needed "$pkg/usr/bin/kptdump")" = 0 ] || ldd "$pkg/usr/bin/kptdump" | grep -o '/[^ ]*' | sort -u); do
  owner=""
  # dpkg records either side of /usr-merge: try the path ldd printed, then the real one.
  for path in "$lib" "$(readlink -f "$lib")" "${lib#/usr}" "/usr$lib"; do
    owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
  done
  [ -n "$owner" ] || { echo "no Debian package owns $lib" >&2; exit 1; }
  upstream=$(dpkg-query -W -f='${Version}' "$owner" | sed 's/-[^-]*$//')
  depends+=("$owner (>= $upstream)")
done
depends_line=$( [ ${#depends[@]} = 0 ] || printf '%s\n' "${depends[@]}" | sort -u | paste -sd, | sed 's/,/, /g')

install -d "$pkg/DEBIAN"
cat >"$pkg/DEBIAN/control" <<EOF
Package: kptdump
Version: $version
Architecture: $arch
Maintainer: kptdump developers <kptdump@localhost>
${depends_line:+Depends: $depends_line
}Section: utils
Priority: optional
Installed-Size: $(du -sk "$pkg/usr" | cut -f1)
Description: print a Linux kernel's page tables as the kernel's ptdump does
 kptdump prints the text of /sys/kernel/debug/page_tables/* from a crash dump
 (kdump's vmcore, makedumpfile's compressed dumps, QEMU and virsh dumps) or
 from the running kernel through /proc/kcore, diffs two listings, and runs
 the kernel's W+X check offline. Built from commit $("$bin" --version | sed 's/.*commit \(.*\))/\1/').
EOF
deb=$out/kptdump_${version}_$arch.deb
dpkg-deb --root-owner-group --build "$pkg" "$deb" >&2

# Checks on what is in the package, not on the build tree.
echo "checking the package..." >&2
check=$(mktemp -d)
trap 'rm -rf "$stage" "$check"' EXIT
dpkg-deb -x "$deb" "$check"
if [ "$(needed "$check/usr/bin/kptdump")" != 0 ] && ldd "$check/usr/bin/kptdump" | grep -Ei 'swift|Foundation|not found' >&2; then
  echo "the packaged binary still needs the libraries above" >&2; exit 1
fi
zstd -d -q -f Resources/fixtures/x86_64/debian-stock-4level/snapshot.core.zst -o "$check/sample.core"
env -i "$check/usr/bin/kptdump" "$check/sample.core" >"$check/listing.txt" 2>"$check/stderr.txt" \
  || { cat "$check/stderr.txt" >&2; echo "the packaged binary failed on the sample" >&2; exit 1; }
lines=$(wc -l <"$check/listing.txt")
head -1 "$check/listing.txt" | grep -qx -- '---\[ User Space \]---' && [ "$lines" -gt 100 ] \
  || { echo "the packaged binary's listing of the sample is not one ($lines lines)" >&2; exit 1; }
# As root, once more with the toolchain's directory hidden behind an empty tmpfs.
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ -d "$toolchain" ]; then
  unshare -m sh -c 'mount -t tmpfs none "$1" && env -i "$2" "$3" >/dev/null' sh "$toolchain" "$check/usr/bin/kptdump" "$check/sample.core" \
    || { echo "the packaged binary failed with $toolchain hidden" >&2; exit 1; }
  echo "ran with $toolchain hidden" >&2
fi
zcat "$check/usr/share/man/man1/kptdump.1.gz" | grep -q '^\.Dt KPTDUMP 1' \
  || { echo "the man page has no .Dt KPTDUMP 1 line (mdoc)" >&2; exit 1; }
echo "ok: $(basename "$deb"): Depends: ${depends_line:-nothing (static)}; the sample lists $lines lines with an empty environment" >&2
echo "$deb"
