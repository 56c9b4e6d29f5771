#!/bin/bash
# build-kernel.sh ARCH (arm64|riscv64): the DWARF kernel of ../arm64 (4k-48) or
# ../riscv64 with the options this recipe needs added through their EXTRA
# variable (each one enabled with scripts/config and checked =y after
# olddefconfig; the build stops if one did not stick).
#
# Env: UE_ROOT (default /work/big/user-entries): source in UE_ROOT/src, builds in
#      UE_ROOT/arm64/build-4k-48 and UE_ROOT/riscv64/build.
set -euo pipefail
ARCH=${1:?usage: build-kernel.sh arm64|riscv64}
HERE=$(cd "$(dirname "$0")" && pwd)
UE_ROOT=${UE_ROOT:-/work/big/user-entries}

# Common to both architectures. tinyconfig (allnoconfig + tiny.config) turns all
# of these off:
#   BLOCK BLK_DEV           SWAP and ZRAM depend on the block layer
#   SWAP                    swapon(2), swap entries
#   CRYPTO CRYPTO_LZO       ZRAM "depends on CRYPTO_LZO || CRYPTO_ZSTD || ..."
#   ZRAM ZRAM_DEF_COMP_LZORLE ZSMALLOC   zram built in (ZRAM selects ZSMALLOC)
#   ADVISE_SYSCALLS         madvise(2) itself (MADV_PAGEOUT, MADV_HWPOISON, ...)
#   TRANSPARENT_HUGEPAGE    PMD leaves for anonymous memory; selects COMPACTION,
#   COMPACTION MIGRATION    which selects MIGRATION (migration entry types)
#   PROC_PAGE_MONITOR       /proc/PID/pagemap, smaps, clear_refs
COMMON="BLOCK BLK_DEV SWAP CRYPTO CRYPTO_LZO ZRAM ZRAM_DEF_COMP_LZORLE ZSMALLOC
ADVISE_SYSCALLS TRANSPARENT_HUGEPAGE COMPACTION MIGRATION PROC_PAGE_MONITOR"

case "$ARCH" in
    arm64)
        # arm64 selects ARCH_SUPPORTS_MEMORY_FAILURE: MADV_HWPOISON works.
        EXTRA="$COMMON MEMORY_FAILURE" DWARF=1 BUILD_ROOT="$UE_ROOT/arm64" SRC_DIR="$UE_ROOT/src" \
            "$HERE/../arm64/build-kernel.sh" 4k-48
        ;;
    riscv64)
        # riscv 6.1 does not select ARCH_SUPPORTS_MEMORY_FAILURE: no MEMORY_FAILURE.
        EXTRA="$COMMON" DWARF=1 SRC_DIR="$UE_ROOT/src" \
            "$HERE/../riscv64/build-kernel.sh" "$UE_ROOT/riscv64/build"
        ;;
    *) echo "unknown arch $ARCH" >&2; exit 1 ;;
esac
