#!/bin/bash
# Fetch a Debian linux-source-VER from another suite without touching the
# machine's apt sources: a private apt state in DIR (sources.list, lists,
# cache), then `apt-get download` and `dpkg -x` into DIR/pkg. The tarball ends
# up at DIR/pkg/usr/src/linux-source-VER.tar.xz (the build-kernel.sh scripts).
#
# Usage: fetch-source.sh VER DIR      (kbuild.sh's source_tarball uses ROOT/apt)
#   VER 5.10: bullseye + bullseye-security
#   VER 7.3:  sid + experimental (on 2026-12-06 sid has linux-source-7.2 only;
#             7.3 is experimental's 7.3~rc7-1~exp1, pinned at priority 1, so
#             the download names it explicitly)
set -euo pipefail
V=${1:?usage: fetch-source.sh VER DIR}
D=${2:?usage: fetch-source.sh VER DIR}
case "$V" in
    5.10) LIST="deb http://deb.debian.org/debian bullseye main
deb http://deb.debian.org/debian-security bullseye-security main" ;;
    7.3)  LIST="deb http://deb.debian.org/debian sid main
deb http://deb.debian.org/debian experimental main" ;;
    *) echo "fetch-source.sh: no suite known for linux-source-$V" >&2; exit 1 ;;
esac
mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
D=$(cd "$D" && pwd)
echo "$LIST" > "$D/sources.list"
# APT::Architectures: linux-source is arch all; amd64's lists are enough.
O=(-o Dir::Etc::SourceList="$D/sources.list" -o Dir::Etc::SourceParts=/dev/null
   -o Dir::State::Lists="$D/lists" -o Dir::Cache="$D/cache" -o Debug::NoLocking=1
   -o APT::Architectures::=amd64)
apt-get "${O[@]}" update
apt-cache "${O[@]}" policy "linux-source-$V" | head -5 || true   # head closes the pipe early (SIGPIPE)
ver=$(apt-cache "${O[@]}" madison "linux-source-$V" | awk -F'|' 'NR==1{gsub(/ /,"",$2); print $2}')
[ -n "$ver" ] || { echo "linux-source-$V not found in: $LIST" >&2; exit 1; }
(cd "$D" && apt-get "${O[@]}" download "linux-source-$V=$ver")
deb=$(ls -t "$D"/linux-source-"$V"_*_all.deb | head -1)
dpkg -x "$deb" "$D/pkg"
ls -l "$D/pkg/usr/src/linux-source-$V.tar.xz"
