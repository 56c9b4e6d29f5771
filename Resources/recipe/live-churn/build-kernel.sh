#!/bin/bash
# Build the live-churn test kernel: the custom x86-64 6.1 kernel of ../x86_64
# (its .config, taken as is) plus CONFIG_VMAP_STACK=y, so that every kernel
# stack is a vmalloc area and fork/exit and thread create/exit keep changing
# the vmalloc page tables while kptdump walks them through /proc/kcore.
#
# Usage: build-kernel.sh [BUILD_DIR]
#   BUILD_DIR   out-of-tree build (make O=...), default /work/big/live/kernel
#   BASE_CONFIG the config to start from, default /work/big/x86_64/build/.config
#               (made by ../x86_64/build-kernel.sh; run that first if missing)
#   SRC_DIR     kernel source, default /work/big/x86_64/src (Debian's
#               linux-source-6.1, extracted by ../x86_64/build-kernel.sh; only read)
#   JOBS        make -j, default 2
#
# Keeps in BUILD_DIR: arch/x86/boot/bzImage, vmlinux, System.map, .config,
# config-check.txt (the options checked after olddefconfig) and
# config-diff.txt (every line that differs from BASE_CONFIG).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:-/work/big/live/kernel}
BASE_CONFIG=${BASE_CONFIG:-/work/big/x86_64/build/.config}
SRC_DIR=${SRC_DIR:-/work/big/x86_64/src}
JOBS=${JOBS:-2}
BASE_SCRIPT=$HERE/../x86_64/build-kernel.sh

[ -f "$BASE_CONFIG" ] || { echo "no $BASE_CONFIG: run ../x86_64/build-kernel.sh first" >&2; exit 1; }
[ -f "$SRC_DIR/Makefile" ] || { echo "no kernel source in $SRC_DIR: run ../x86_64/build-kernel.sh first" >&2; exit 1; }

# The options the ../x86_64 kernel asks for (its WANTED=( ... ) and DEPS=( ... )),
# re-checked here after olddefconfig, plus what this kernel adds.
eval "$(sed -n '/^WANTED=(/,/^)/p; /^DEPS=(/p' "$BASE_SCRIPT")"
[ ${#WANTED[@]} -gt 10 ] && [ ${#DEPS[@]} -gt 0 ] || { echo "could not read WANTED/DEPS from $BASE_SCRIPT" >&2; exit 1; }
WANTED+=(VMAP_STACK)

mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
mk() { make -C "$SRC_DIR" O="$BUILD_DIR" ARCH=x86_64 "$@"; }

. "$HERE/../lib/kbuild.sh"   # kconfig_tiny, make_image
KCONFIG_BASE=$BASE_CONFIG kconfig_tiny || exit 1

# Everything else must be as in the base config: show what olddefconfig changed.
diff <(grep -E '^(CONFIG_|# CONFIG_)' "$BASE_CONFIG" | sort) \
     <(grep -E '^(CONFIG_|# CONFIG_)' "$BUILD_DIR/.config" | sort) \
     | grep -E '^[<>]' > "$BUILD_DIR/config-diff.txt" || true
echo "--- config lines changed from $BASE_CONFIG (< base, > this kernel):"
cat "$BUILD_DIR/config-diff.txt"

make_image bzImage
