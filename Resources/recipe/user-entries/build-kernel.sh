#!/bin/bash
# build-kernel.sh ARCH (arm64|riscv64): the DWARF kernel of ../arm64 (4k-48) or
# ../riscv64 with the options this recipe needs added through their EXTRA
# variable (each one enabled with scripts/config and checked =y after
# olddefconfig; the build stops if one did not stick).
#
# Env: KVER (6.1, the default, or 6.12: Debian's linux-source-KVER),
#      UE_ROOT (default /work/big/user-entries for 6.1, /work/big/user-entries-6.12
#      for 6.12): source in UE_ROOT/src, builds in UE_ROOT/arm64/build-4k-48 and
#      UE_ROOT/riscv64/build.
set -euo pipefail
ARCH=${1:?usage: build-kernel.sh arm64|riscv64}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/roots.sh"

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
# 6.12: zram no longer goes through the crypto API (6.12 added its own
# compression backends): ZRAM depends only on BLOCK && SYSFS && MMU, and
# ZRAM_DEF_COMP_LZORLE depends on ZRAM_BACKEND_LZO (default y when no other
# backend is chosen: ZRAM_BACKEND_FORCE_LZO). CRYPTO/CRYPTO_LZO are not needed.
# DEBUG_WX (6.12 only, so that the 6.1 kernels stay as they were): the kernel's
# own boot-time W+X verdict ("Checked W+X mappings: ...") lands in dmesg.txt,
# next to `kptdump check-wx`.
if [ "$KVER" = 6.12 ]; then
    COMMON="BLOCK BLK_DEV SWAP ZRAM ZRAM_BACKEND_LZO ZRAM_DEF_COMP_LZORLE ZSMALLOC
ADVISE_SYSCALLS TRANSPARENT_HUGEPAGE COMPACTION MIGRATION PROC_PAGE_MONITOR DEBUG_WX"
fi

case "$ARCH" in
    arm64)
        # arm64 selects ARCH_SUPPORTS_MEMORY_FAILURE: MADV_HWPOISON works.
        # 6.12 (6.10+): arm64 selects HAVE_ARCH_USERFAULTFD_WP if USERFAULTFD,
        # which gives uffd-wp bits (present bit 58, swap bit 3) and, with
        # PTE_MARKER_UFFD_WP (default y under USERFAULTFD), PTE markers; the
        # victim's "uffd" region uses them. 6.1 has neither: not enabled there.
        A_EXTRA=""
        if [ "$KVER" = 6.12 ]; then A_EXTRA="USERFAULTFD HAVE_ARCH_USERFAULTFD_WP PTE_MARKER_UFFD_WP"; fi
        EXTRA="$COMMON MEMORY_FAILURE $A_EXTRA" DWARF=1 BUILD_ROOT="$UE_ROOT/arm64" SRC_DIR="$UE_ROOT/src" \
            "$HERE/../arm64/build-kernel.sh" 4k-48
        ;;
    riscv64)
        # riscv 6.1 does not select ARCH_SUPPORTS_MEMORY_FAILURE: no MEMORY_FAILURE.
        EXTRA="$COMMON" DWARF=1 SRC_DIR="$UE_ROOT/src" \
            "$HERE/../riscv64/build-kernel.sh" "$UE_ROOT/riscv64/build"
        ;;
    *) echo "unknown arch $ARCH" >&2; exit 1 ;;
esac
