#!/usr/bin/env bash
# Installs what kptdump needs, builds it, and lists the page tables of the shipped
# sample: a snapshot of Debian's stock 6.1 kernel dumped under QEMU. The listing is
# stdout; apt's and the build's output go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in libelf-dev libdw-dev zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev zstd pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" = 0 ] && echo || echo sudo)
  # Everything but the listing goes to stderr, so that stdout is the listing alone.
  { $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; } >&2
fi
swift build -c release >&2
sample=$(mktemp --suffix=.core)
trap 'rm -f "$sample"' EXIT
zstd -d -q -f Resources/fixtures/x86_64/debian-stock-4level/snapshot.core.zst -o "$sample"
.build/release/kptdump --core "$sample" "$@"
