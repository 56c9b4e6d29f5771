#!/bin/bash
# Build the x86-64 "W+X" test kernel: the custom 6.1 kernel of ../x86_64
# (same tinyconfig + options) plus CONFIG_DEBUG_WX=y and kptdump-test.patch
# (drivers/misc/kptdump_test.c: a read-only and, with kptdump_wx=1, a W+X
# vmalloc page, and /sys/kernel/debug/kptdump_test).
#
# Usage: build-kernel.sh [BUILD_DIR]
#   BUILD_DIR defaults to /work/big/x86_64-wx/build (out-of-tree, O=BUILD_DIR).
#   SRC_DIR (default /work/big/x86_64-wx/src) gets its own copy of Debian's
#   linux-source-6.1 with the patch applied (the ../x86_64 tree stays pristine).
#   JOBS (default 2) sets make -j.
#
# The option list is read from ../x86_64/build-kernel.sh (its WANTED=( ... ) and
# DEPS=( ... ) arrays), so both kernels stay configured alike; EXTRA below is
# what this kernel adds.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:-/work/big/x86_64-wx/build}
SRC_DIR=${SRC_DIR:-/work/big/x86_64-wx/src}
JOBS=${JOBS:-2}
TARBALL=/usr/src/linux-source-6.1.tar.xz
PATCH=$HERE/kptdump-test.patch
BASE=$HERE/../x86_64/build-kernel.sh

need_pkgs=()
for p in build-essential bc bison flex libssl-dev libelf-dev linux-source-6.1 xz-utils patch; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "installing: ${need_pkgs[*]}"
    apt-get update && apt-get install -y "${need_pkgs[@]}"
fi

if [ ! -f "$SRC_DIR/Makefile" ]; then
    echo "extracting $TARBALL into $SRC_DIR"
    mkdir -p "$SRC_DIR"
    tar -xf "$TARBALL" -C "$SRC_DIR" --strip-components=1
fi
if patch -p1 -d "$SRC_DIR" --dry-run -R -s -f < "$PATCH" >/dev/null 2>&1; then
    echo "kptdump-test.patch already applied"
else
    echo "applying kptdump-test.patch"
    patch -p1 -d "$SRC_DIR" < "$PATCH"
fi

# WANTED and DEPS exactly as ../x86_64/build-kernel.sh lists them.
eval "$(sed -n '/^WANTED=(/,/^)/p; /^DEPS=(/p' "$BASE")"
[ ${#WANTED[@]} -gt 10 ] && [ ${#DEPS[@]} -gt 0 ] || { echo "could not read WANTED/DEPS from $BASE" >&2; exit 1; }
EXTRA=(DEBUG_WX)

mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
mk() { make -C "$SRC_DIR" O="$BUILD_DIR" ARCH=x86_64 "$@"; }

mk tinyconfig
args=()
for o in "${WANTED[@]}" "${DEPS[@]}" "${EXTRA[@]}"; do args+=(--enable "$o"); done
args+=(--disable DEBUG_INFO_NONE)
"$SRC_DIR/scripts/config" --file "$BUILD_DIR/.config" "${args[@]}"
mk olddefconfig

: > "$BUILD_DIR/config-check.txt"
missing=0
for o in "${WANTED[@]}" "${DEPS[@]}" "${EXTRA[@]}"; do
    line=$(grep -E "^(CONFIG_$o=|# CONFIG_$o is not set)" "$BUILD_DIR/.config" || echo "CONFIG_$o absent")
    echo "$line" >> "$BUILD_DIR/config-check.txt"
    case "$line" in CONFIG_$o=y) ;; *) echo "NOT SET: $line"; missing=1 ;; esac
done
[ $missing = 0 ] && echo "all requested options are =y"
[ $missing = 0 ] || exit 1

start=$(date +%s)
mk -j"$JOBS" bzImage
echo "bzImage built in $(( $(date +%s) - start )) s"
ls -l "$BUILD_DIR/arch/x86/boot/bzImage" "$BUILD_DIR/vmlinux" "$BUILD_DIR/System.map"
cat "$BUILD_DIR/include/config/kernel.release"
grep -q kptdump_test_init "$BUILD_DIR/System.map" && echo "kptdump_test is built in"
