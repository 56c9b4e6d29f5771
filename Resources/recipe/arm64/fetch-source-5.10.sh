#!/bin/bash
# Fetch Debian bullseye's linux-source-5.10 without touching the machine's
# apt sources: a private apt state in DIR (sources.list, lists, cache), then
# `apt-get download` and `dpkg -x` into DIR/pkg. The tarball ends up at
# DIR/pkg/usr/src/linux-source-5.10.tar.xz (build-kernel.sh, KVER=5.10).
#
# Usage: fetch-source-5.10.sh DIR      (build-kernel.sh uses BUILD_ROOT/apt)
set -euo pipefail
D=${1:?usage: fetch-source-5.10.sh DIR}
mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
D=$(cd "$D" && pwd)
cat > "$D/sources.list" <<LIST
deb http://deb.debian.org/debian bullseye main
deb http://deb.debian.org/debian-security bullseye-security main
LIST
O=(-o Dir::Etc::SourceList="$D/sources.list" -o Dir::Etc::SourceParts=/dev/null
   -o Dir::State::Lists="$D/lists" -o Dir::Cache="$D/cache" -o Debug::NoLocking=1)
apt-get "${O[@]}" update
apt-cache "${O[@]}" policy linux-source-5.10 | head -3
(cd "$D" && apt-get "${O[@]}" download linux-source-5.10)
deb=$(ls -t "$D"/linux-source-5.10_*_all.deb | head -1)
dpkg -x "$deb" "$D/pkg"
ls -l "$D/pkg/usr/src/linux-source-5.10.tar.xz"
