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
# DEPS=( ... ) arrays), so both kernels stay configured alike; WANTED+= below is
# what this kernel adds.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:-/work/big/x86_64-wx/build}
SRC_DIR=${SRC_DIR:-/work/big/x86_64-wx/src}
JOBS=${JOBS:-2}
TARBALL=/usr/src/linux-source-6.1.tar.xz
PATCH=$HERE/kptdump-test.patch
BASE=$HERE/../x86_64/build-kernel.sh

. "$HERE/../lib/capture.sh"   # need_pkgs
need_pkgs build-essential bc bison flex libssl-dev libelf-dev linux-source-6.1 xz-utils patch

. "$HERE/../lib/kbuild.sh"   # unpack_source, kconfig_tiny, make_image
unpack_source "$TARBALL"
if patch -p1 -d "$SRC_DIR" --dry-run -R -s -f < "$PATCH" >/dev/null 2>&1; then
    echo "kptdump-test.patch already applied"
else
    echo "applying kptdump-test.patch"
    patch -p1 -d "$SRC_DIR" < "$PATCH"
fi

# WANTED and DEPS exactly as ../x86_64/build-kernel.sh lists them.
eval "$(sed -n '/^WANTED=(/,/^)/p; /^DEPS=(/p' "$BASE")"
[ ${#WANTED[@]} -gt 10 ] && [ ${#DEPS[@]} -gt 0 ] || { echo "could not read WANTED/DEPS from $BASE" >&2; exit 1; }
WANTED+=(DEBUG_WX)

mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
mk() { make -C "$SRC_DIR" O="$BUILD_DIR" ARCH=x86_64 "$@"; }

kconfig_tiny --disable DEBUG_INFO_NONE || exit 1
make_image bzImage
grep -q kptdump_test_init "$BUILD_DIR/System.map" && echo "kptdump_test is built in"
