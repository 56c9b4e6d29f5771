#!/bin/bash
# Build the x86-64 "HMM" kernel: the custom 6.1 kernel of ../x86_64 (same
# tinyconfig + options) plus the kernel's HMM test driver built in
# (CONFIG_TEST_HMM=y: lib/test_hmm.c, /dev/hmm_dmirror0 and 1), which migrates a
# process's anonymous pages to fake device-private memory and makes
# device-exclusive entries, and what it needs (ZONE_DEVICE, DEVICE_PRIVATE,
# memory hotplug/hot-remove, SPARSEMEM_VMEMMAP, MIGRATION, THP); SWAP (so the
# vmlinux has swap_info[MAX_SWAPFILES]), MEMORY_FAILURE (with X86_MCE, which
# x86 requires for it), and PROC_PAGE_MONITOR (/proc/PID/pagemap).
#
# Usage: build-kernel.sh [BUILD_DIR]
#   BUILD_DIR defaults to /work/big/hmm/build (out-of-tree, O=BUILD_DIR).
#   SRC_DIR (default /work/big/hmm/src) gets Debian's linux-source-6.1,
#   unpatched, if it is not there yet.
#   JOBS (default 2) sets make -j.
#   WAIT_OTHERS=1 (default) first waits, up to 40 minutes, while another
#   kernel build ("make ... ARCH=") runs on this shared 2-core machine.
#
# The option list is read from ../x86_64/build-kernel.sh (its WANTED=( ... ) and
# DEPS=( ... ) arrays), so both kernels stay configured alike; WANTED+= below is
# what this kernel adds. Every option is checked to be =y after olddefconfig
# (BUILD_DIR/config-check.txt); the build stops if one is not.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:-/work/big/hmm/build}
SRC_DIR=${SRC_DIR:-/work/big/hmm/src}
JOBS=${JOBS:-2}
WAIT_OTHERS=${WAIT_OTHERS:-1}
TARBALL=/usr/src/linux-source-6.1.tar.xz
BASE=$HERE/../x86_64/build-kernel.sh

. "$HERE/../lib/capture.sh"   # need_pkgs
need_pkgs build-essential bc bison flex libssl-dev libelf-dev linux-source-6.1 xz-utils

. "$HERE/../lib/kbuild.sh"   # unpack_source, kconfig_tiny, make_image
unpack_source "$TARBALL"

# WANTED and DEPS exactly as ../x86_64/build-kernel.sh lists them.
eval "$(sed -n '/^WANTED=(/,/^)/p; /^DEPS=(/p' "$BASE")"
[ ${#WANTED[@]} -gt 10 ] && [ ${#DEPS[@]} -gt 0 ] || { echo "could not read WANTED/DEPS from $BASE" >&2; exit 1; }
# What this kernel adds (Kconfig, Linux 6.1):
#   TEST_HMM            lib/test_hmm.c built in; depends on TRANSPARENT_HUGEPAGE
#                       and DEVICE_PRIVATE, selects HMM_MIRROR and MMU_NOTIFIER;
#                       sits inside "if RUNTIME_TESTING_MENU" (lib/Kconfig.debug)
#   DEVICE_PRIVATE      depends on ZONE_DEVICE (selects GET_FREE_REGION)
#   ZONE_DEVICE         depends on MEMORY_HOTPLUG, MEMORY_HOTREMOVE,
#                       SPARSEMEM_VMEMMAP, ARCH_HAS_PTE_DEVMAP (x86-64 selects it)
#   MEMORY_HOTREMOVE    depends on MEMORY_HOTPLUG and MIGRATION
#   MEMORY_HOTPLUG      depends on SPARSEMEM (x86-64's default model)
#   MIGRATION           depends on ARCH_ENABLE_MEMORY_HOTREMOVE (or NUMA/COMPACTION)
#   SWAP (needs BLOCK)  for swap_info[MAX_SWAPFILES], whose length kptdump reads
#   MEMORY_FAILURE      needs ARCH_SUPPORTS_MEMORY_FAILURE, which x86 selects
#                       only with X86_MCE; gives the hwpoison swap type
#   PROC_PAGE_MONITOR   /proc/PID/pagemap and smaps (a prompt only under EXPERT)
# Left off on purpose: USERFAULTFD, hence PTE_MARKER. Swap types then
# (include/linux/swap.h): MAX_SWAPFILES = 32 - 4 device - 3 migration
# - 1 hwpoison - 0 marker - 1 swapin error = 23.
WANTED+=(RUNTIME_TESTING_MENU TEST_HMM HMM_MIRROR MMU_NOTIFIER DEVICE_PRIVATE ZONE_DEVICE
       MEMORY_HOTPLUG MEMORY_HOTREMOVE SPARSEMEM SPARSEMEM_VMEMMAP MIGRATION
       TRANSPARENT_HUGEPAGE BLOCK SWAP X86_MCE MEMORY_FAILURE PROC_PAGE_MONITOR)
OFF=(USERFAULTFD PTE_MARKER)

mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
mk() { make -C "$SRC_DIR" O="$BUILD_DIR" ARCH=x86_64 "$@"; }

kconfig_tiny --disable DEBUG_INFO_NONE || exit 1   # (and USERFAULTFD, PTE_MARKER off)

if [ "$WAIT_OTHERS" = 1 ]; then
    # Another helper may be building a kernel on this 2-core machine: wait.
    for i in $(seq 1 80); do
        others=$(pgrep -f 'make.*ARCH=' | grep -vx "$$" || true)
        [ -z "$others" ] && break
        [ "$i" = 80 ] && { echo "still another kernel build after 40 min; building anyway"; break; }
        echo "$(date +%T) another kernel build runs ($(echo $others | tr '\n' ' ')); waiting 30 s"
        sleep 30
    done
fi

make_image bzImage
grep -q ' hmm_dmirror_init$' "$BUILD_DIR/System.map" && echo "test_hmm is built in"
