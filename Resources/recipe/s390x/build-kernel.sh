#!/bin/bash
# Build a small s390x Linux 7.3 (or, with KVER=6.12, 6.12) kernel with the
# kernel's own ptdump (/sys/kernel/debug/kernel_page_tables) and DEBUG_WX.
#
# Usage: build-kernel.sh [plain|r2|r2-nokaslr]
#   plain  BUILD_ROOT/build: the default image base, so asce_limit = 2^42 and
#          the kernel's top table is a region-3 table
#   r2     BUILD_ROOT/build-r2: KERNEL_IMAGE_BASE at the top of its range, so
#          __NO_KASLR_END_KERNEL > _REGION2_SIZE and setup_kernel_memory_layout()
#          (arch/s390/boot/startup.c) takes asce_limit = 2^53: a region-2 table;
#          with RANDOMIZE_BASE and RANDOMIZE_IDENTITY_BASE, as the 6.12 fixture
#          was made: TCG has no PRNG, so "KASLR" takes slot 0 and the image ends
#          at 2^53, and the identity map moves up under the vmemmap
#          (0x1f7c0000000000 with 512M)
#   r2-nokaslr  BUILD_ROOT/build-r2-nokaslr: that base alone, a region-2 table
#          with the image at the base + TEXT_OFFSET and the identity map at 0
# Env: KVER 7.3 (default) or 6.12; BUILD_ROOT (default /work/big/s390x-KVER),
#      SRC_DIR (default BUILD_ROOT/src); JOBS, CONFIG_ONLY, DWARF, EXTRA as in
#      ../lib/kbuild.sh.
# Results in the build dir: arch/s390/boot/bzImage, vmlinux, System.map,
# .config, config-check.txt, build-time.txt.
set -euo pipefail
LAYOUT=${1:-plain}
KVER=${KVER:-7.3}
case "$KVER" in 6.12|7.3) ;; *) echo "KVER must be 6.12 or 7.3" >&2; exit 1 ;; esac
BUILD_ROOT=${BUILD_ROOT:-/work/big/s390x-$KVER}
SRC_DIR=${SRC_DIR:-$BUILD_ROOT/src}
BASE_ARG=() LAYOUT_WANTED=()
case "$LAYOUT" in
    plain) BUILD_DIR=${BUILD_DIR:-$BUILD_ROOT/build} ;;
    r2|r2-nokaslr)
           BUILD_DIR=${BUILD_DIR:-$BUILD_ROOT/build-$LAYOUT}
           BASE_ARG=(--set-val KERNEL_IMAGE_BASE 0x1FFFFFE0000000)
           [ "$LAYOUT" = r2-nokaslr ] || LAYOUT_WANTED=(RELOCATABLE RANDOMIZE_BASE RANDOMIZE_IDENTITY_BASE) ;;
    *) echo "usage: build-kernel.sh [plain|r2|r2-nokaslr]" >&2; exit 1 ;;
esac

. "$(dirname "$0")/../lib/kbuild.sh"   # kbuild_begin, dwarf_extra, kconfig_tiny, make_image
kbuild_begin "$BUILD_ROOT" s390 s390x-linux-gnu- gcc-s390x-linux-gnu libc6-dev-s390x-cross

# SCLP_VT220_TTY/_CONSOLE: ttysclp0, where QEMU's -serial goes on s390-ccw-virtio
# (its sclpconsole); without them the console is silent. The line-mode
# SCLP_TTY/_CONSOLE (ttyS0) are on too, as in every s390 kernel (def_bool y).
# plain has no RANDOMIZE_BASE (tinyconfig's): the image at KERNEL_IMAGE_BASE.
WANTED=(
    64BIT SMP PRINTK TTY SCLP_VT220_TTY SCLP_VT220_CONSOLE SCLP_TTY SCLP_CONSOLE
    BLK_DEV_INITRD RD_GZIP BINFMT_ELF
    PROC_FS SYSFS DEVTMPFS DEBUG_KERNEL DEBUG_FS PTDUMP_DEBUGFS DEBUG_WX
    KALLSYMS KALLSYMS_ALL PROC_KCORE
    MULTIUSER FUTEX ${LAYOUT_WANTED[@]+"${LAYOUT_WANTED[@]}"}
)
dwarf_extra
# VMCORE_INFO (PROC_KCORE selects it): /sys/kernel/vmcoreinfo and the note in memory.
DEPS=(PTDUMP ARCH_HAS_PTDUMP VMCORE_INFO)
missing=0
kconfig_tiny ${BASE_ARG[@]+"${BASE_ARG[@]}"} || missing=1
grep -E '^(# )?CONFIG_(KERNEL_IMAGE_BASE|KASAN|RANDOMIZE_BASE|RANDOMIZE_IDENTITY_BASE|RELOCATABLE|MARCH_[A-Z0-9]+|NR_CPUS|STRICT_KERNEL_RWX)[= ]' \
    "$BUILD_DIR/.config" | sed 's/^/info: /' >> "$BUILD_DIR/config-check.txt" || true
[ $missing = 0 ] || { echo "some requested options did not stick; see $BUILD_DIR/config-check.txt" >&2; exit 1; }
make_image bzImage
