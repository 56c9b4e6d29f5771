#!/usr/bin/env bash
# Installs the Debian packages kptdump builds and runs with, plus any named on the
# command line, when they are missing (apt-get update first; sudo unless root).
# Everything goes to stderr. Used by sample.sh, package.sh and .ci/run.
set -euo pipefail
need=()
for pkg in libelf-dev libdw-dev zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev zstd pkg-config "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -gt 0 ] || exit 0
SUDO=$([ "$(id -u)" = 0 ] && echo || echo sudo)
{ $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; } >&2
