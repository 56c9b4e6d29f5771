#!/bin/bash
# Build a small ppc64le (pseries, Book3S-64) Linux 7.3 (or, with KVER=6.12,
# 6.12) kernel with the kernel's own ptdump (/sys/kernel/debug/kernel_page_tables)
# and DEBUG_WX, both MMUs (radix by default on POWER9; disable_radix boots hash)
# and 64K pages (or, with PAGES=4K, 4K pages).
#
# Usage: build-kernel.sh [BUILD_DIR]   (default BUILD_ROOT/build; PAGES=4K: BUILD_ROOT/build-4k)
# Env: KVER 7.3 (default) or 6.12; PAGES 64K (default: PPC_64K_PAGES) or 4K
#      (PPC_4K_PAGES: 4 levels, and the hash PTEs' f_gix/f_second fields that
#      the kernel's listing prints, `f_gix:N` on every line); BUILD_ROOT
#      (default /work/big/ppc64le-KVER), SRC_DIR (default BUILD_ROOT/src);
#      JOBS, CONFIG_ONLY, DWARF, EXTRA as in ../lib/kbuild.sh.
# Results in BUILD_DIR: vmlinux (what -kernel boots, through SLOF), System.map,
# .config, config-check.txt, build-time.txt.
set -euo pipefail
KVER=${KVER:-7.3}
case "$KVER" in 6.12|7.3) ;; *) echo "KVER must be 6.12 or 7.3" >&2; exit 1 ;; esac
BUILD_ROOT=${BUILD_ROOT:-/work/big/ppc64le-$KVER}
PAGES=${PAGES:-64K}
case "$PAGES" in
    64K) BUILD_DIR=${1:-$BUILD_ROOT/build} PAGE_OPT=PPC_64K_PAGES OFF=() ;;
    4K)  BUILD_DIR=${1:-$BUILD_ROOT/build-4k} PAGE_OPT=PPC_4K_PAGES OFF=(PPC_64K_PAGES) ;;
    *) echo "PAGES must be 64K or 4K" >&2; exit 1 ;;
esac
SRC_DIR=${SRC_DIR:-$BUILD_ROOT/src}

. "$(dirname "$0")/../lib/kbuild.sh"   # kbuild_begin, dwarf_extra, kconfig_tiny, make_image
kbuild_begin "$BUILD_ROOT" powerpc powerpc64le-linux-gnu- gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross

# tinyconfig is 32-bit: PPC64 + PPC_BOOK3S_64 + CPU_LITTLE_ENDIAN make it ppc64le.
#   PPC_OF_BOOT_TRAMPOLINE  SLOF (QEMU's pseries firmware) boots vmlinux through it
#   ALTIVEC, VSX            a static glibc /init uses them (SIGILL without)
#   PPC_DISABLE_WERROR      gcc 12's warnings on this tree are not errors
#   HVC_CONSOLE             hvc0, the pseries console
#   PAGE_OPT                PPC_64K_PAGES (tinyconfig's default once PPC_BOOK3S_64) or,
#                           PAGES=4K, PPC_4K_PAGES (and PPC_64K_PAGES off: OFF, kconfig_tiny)
WANTED=(
    PPC64 PPC_BOOK3S_64 CPU_LITTLE_ENDIAN PPC_PSERIES PPC_OF_BOOT_TRAMPOLINE
    $PAGE_OPT PPC_RADIX_MMU PPC_64S_HASH_MMU ALTIVEC VSX PPC_DISABLE_WERROR SMP
    PRINTK TTY HVC_CONSOLE
    BLK_DEV_INITRD RD_GZIP BINFMT_ELF
    PROC_FS SYSFS DEVTMPFS DEBUG_KERNEL DEBUG_FS PTDUMP_DEBUGFS DEBUG_WX
    KALLSYMS KALLSYMS_ALL PROC_KCORE STRICT_KERNEL_RWX
    MULTIUSER FUTEX
)
dwarf_extra
# VMCORE_INFO (PROC_KCORE selects it): /sys/kernel/vmcoreinfo and the note in memory.
DEPS=(PTDUMP ARCH_HAS_PTDUMP VMCORE_INFO PPC_RADIX_MMU_DEFAULT)
missing=0
# FRAME_WARN: tinyconfig's 1024 turns some ppc64 frames into -Werror=frame-larger-than.
kconfig_tiny --set-val FRAME_WARN 2048 || missing=1
grep -E '^(# )?CONFIG_(PPC_[0-9]+K_PAGES|PGTABLE_LEVELS|RELOCATABLE|NR_CPUS|FRAME_WARN|POWER[0-9]_CPU|GENERIC_CPU|KASAN)[= ]' \
    "$BUILD_DIR/.config" | sed 's/^/info: /' >> "$BUILD_DIR/config-check.txt" || true
[ $missing = 0 ] || { echo "some requested options did not stick; see $BUILD_DIR/config-check.txt" >&2; exit 1; }
make_image vmlinux
