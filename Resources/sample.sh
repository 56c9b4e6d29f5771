#!/usr/bin/env bash
# Installs what kptdump needs, builds it, and lists the page tables of the shipped
# sample: a snapshot of Debian's stock 6.1 kernel dumped under QEMU. The listing is
# stdout; apt's and the build's output go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
Resources/install-deps.sh
bin=$(Resources/build-release.sh)
sample=$(mktemp --suffix=.core)
trap 'rm -f "$sample"' EXIT
zstd -d -q -f Resources/fixtures/x86_64/debian-stock-4level/snapshot.core.zst -o "$sample"
"$bin/kptdump" --core "$sample" "$@"
