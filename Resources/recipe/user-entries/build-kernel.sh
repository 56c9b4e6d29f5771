#!/bin/bash
# build-kernel.sh ARCH (arm64|riscv64|ppc64le|s390x): the DWARF kernel of
# ../arm64 (4k-48), ../riscv64, ../ppc64le (64K pages, radix by default) or
# ../s390x (plain) with the options this recipe needs added through their EXTRA
# variable (each one enabled with scripts/config and checked =y after
# olddefconfig; the build stops if one did not stick).
#
# Env: KVER (6.1, the default, or 6.12: Debian's linux-source-KVER; 7.3: Debian
#      sid's linux-source-7.3, all four; ppc64le and s390x take only 6.12 or
#      7.3, and only 7.3 was built for them),
#      UE_ROOT (default /work/big/user-entries for 6.1, /work/big/user-entries-KVER
#      otherwise): source in UE_SRC (roots.sh: UE_ROOT/src, or for 7.3
#      /work/big/s390x-7.3/src), builds in UE_ROOT/arm64/build-4k-48,
#      UE_ROOT/riscv64/build, UE_ROOT/ppc64le/build, UE_ROOT/s390x/build.
#      CONFIG_ONLY=1: .config and config-check.txt only (../lib/kbuild.sh).
set -euo pipefail
ARCH=${1:?usage: build-kernel.sh arm64|riscv64|ppc64le|s390x}
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
# 7.3 (ppc64le, s390x): the same list as 6.12.
if [ "$KVER" != 6.1 ]; then
    COMMON="BLOCK BLK_DEV SWAP ZRAM ZRAM_BACKEND_LZO ZRAM_DEF_COMP_LZORLE ZSMALLOC
ADVISE_SYSCALLS TRANSPARENT_HUGEPAGE COMPACTION MIGRATION PROC_PAGE_MONITOR DEBUG_WX"
fi

case "$ARCH:$KVER" in
    arm64:6.1|arm64:6.12|arm64:7.3|riscv64:6.1|riscv64:6.12|riscv64:7.3|ppc64le:6.12|ppc64le:7.3|s390x:6.12|s390x:7.3) ;;
    *) echo "build-kernel.sh: $ARCH is not built for KVER=$KVER (arm64, riscv64: 6.1, 6.12, 7.3; ppc64le, s390x: 7.3, 6.12)" >&2; exit 1 ;;
esac

# Soft-dirty (ppc64le and s390x: both select HAVE_ARCH_SOFT_DIRTY; PPC only with
# PPC_BOOK3S_64): MEM_SOFT_DIRTY depends on CHECKPOINT_RESTORE (off by default),
# and then pagemap's bit 55 is set on every page written since the last
# clear_refs (here: all of them, never cleared).
SOFT_DIRTY="CHECKPOINT_RESTORE MEM_SOFT_DIRTY"

case "$ARCH" in
    arm64)
        # arm64 selects ARCH_SUPPORTS_MEMORY_FAILURE: MADV_HWPOISON works.
        # 6.12 (6.10+): arm64 selects HAVE_ARCH_USERFAULTFD_WP if USERFAULTFD,
        # which gives uffd-wp bits (present bit 58, swap bit 3) and, with
        # PTE_MARKER_UFFD_WP (default y under USERFAULTFD), PTE markers; the
        # victim's "uffd" region uses them. 6.1 has neither: not enabled there.
        # 7.3: the same list as 6.12 (arm64 still selects HAVE_ARCH_USERFAULTFD_WP
        # if USERFAULTFD; PTE_MARKER_UFFD_WP still default y under it).
        A_EXTRA=""
        if [ "$KVER" != 6.1 ]; then A_EXTRA="USERFAULTFD HAVE_ARCH_USERFAULTFD_WP PTE_MARKER_UFFD_WP"; fi
        EXTRA="$COMMON MEMORY_FAILURE $A_EXTRA" DWARF=1 BUILD_ROOT="$UE_ROOT/arm64" SRC_DIR="$UE_SRC" \
            "$HERE/../arm64/build-kernel.sh" 4k-48
        ;;
    riscv64)
        # riscv 6.1 does not select ARCH_SUPPORTS_MEMORY_FAILURE: no MEMORY_FAILURE.
        # 7.3: as 6.12 (no MEMORY_FAILURE, no USERFAULTFD: 7.3's riscv selects
        # HAVE_ARCH_USERFAULTFD_WP only with RISCV_ISA_SVRSW60T59B), booted in
        # Sv57 as before.
        EXTRA="$COMMON" DWARF=1 SRC_DIR="$UE_SRC" \
            "$HERE/../riscv64/build-kernel.sh" "$UE_ROOT/riscv64/build"
        ;;
    ppc64le)
        # MEMORY_FAILURE: powerpc selects ARCH_SUPPORTS_MEMORY_FAILURE through
        # PPC64_SUPPORTS_MEMORY_FAILURE (a prompt, default y only with
        # PPC_POWERNV; this kernel is pseries): both listed. No uffd-wp (powerpc
        # has no HAVE_ARCH_USERFAULTFD_WP): USERFAULTFD is left off, the
        # victim's "uffd" steps say ENOSYS.
        EXTRA="$COMMON $SOFT_DIRTY PPC64_SUPPORTS_MEMORY_FAILURE MEMORY_FAILURE" DWARF=1 PAGES=64K \
            BUILD_ROOT="$UE_ROOT/ppc64le" SRC_DIR="$UE_SRC" \
            "$HERE/../ppc64le/build-kernel.sh" "$UE_ROOT/ppc64le/build"
        ;;
    s390x)
        # s390 does not select ARCH_SUPPORTS_MEMORY_FAILURE: no MEMORY_FAILURE,
        # MADV_HWPOISON is EINVAL (init.c goes on). No uffd-wp either.
        EXTRA="$COMMON $SOFT_DIRTY" DWARF=1 \
            BUILD_ROOT="$UE_ROOT/s390x" BUILD_DIR="$UE_ROOT/s390x/build" SRC_DIR="$UE_SRC" \
            "$HERE/../s390x/build-kernel.sh" plain
        ;;
    *) echo "unknown arch $ARCH" >&2; exit 1 ;;
esac
