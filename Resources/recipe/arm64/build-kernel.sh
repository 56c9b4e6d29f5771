#!/bin/bash
# Build a small arm64 Linux 6.1 (or, with KVER=5.10/6.12/7.3, that release) kernel with the kernel's own ptdump
# (/sys/kernel/debug/kernel_page_tables), KASLR and the fw_cfg driver that
# hands QEMU the VMCOREINFO note, for one page size / VA size.
#
# Usage: build-kernel.sh CFG
#   CFG is PAGES-VABITS[-kpti][-kasan], e.g. 4k-48 4k-39 16k-47 64k-42 64k-52
#   4k-48-kpti 4k-48-kasan
#   (any combination Kconfig allows: 4k-{39,48}, 16k-{36,47,48}, 64k-{42,48,52}).
#   -kpti additionally enables UNMAP_KERNEL_AT_EL0 (kernel page table
#   isolation; capture.sh then boots with kpti=1, since -cpu max has E0PD/CSV3
#   and the kernel would not turn it on by itself).
#   -kasan (tested with KVER=7.3, 4k-48): generic KASAN with outline
#   instrumentation (KASAN KASAN_GENERIC KASAN_OUTLINE; arm64 selects
#   KASAN_VMALLOC with KASAN, checked too; not on 5.10) and DEBUG_WX (the kernel's W+X
#   verdict over the same walk); SLUB_TINY (tinyconfig's, KASAN "depends on
#   !SLUB_TINY") and KASAN_INLINE (the choice's default) off.
# Env:
#   KVER        6.1 (default), 6.12, 5.10 or 7.3: which Debian linux-source-KVER
#               package (5.10: bullseye's, 7.3: experimental's, fetched by
#               ../lib/fetch-source.sh into BUILD_ROOT/apt, or another recipe's
#               /work/big/*-KVER/apt).
#               6.12 differs in one option name: 6.9 replaced CRASH_CORE by
#               VMCORE_INFO (what qemu_fw_cfg's note code is under in 6.12).
#   BUILD_ROOT  default /work/big/arm64 (6.1), /work/big/arm64-6.12 (6.12);
#               the build goes to BUILD_ROOT/build-CFG
#   SRC_DIR     default BUILD_ROOT/src (extracted from Debian's linux-source-KVER)
#   JOBS        default 2 (make -jJOBS)
#   WITH_EFI    1 = enable EFI (UEFI runtime + EFI stub). Default: 1 for 4k
#               configs, 0 otherwise.
#   DWARF       1 = build vmlinux with DWARF (DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT),
#               for the task walk's structure offsets (kptdump ps, --pid).
#   CONFIG_ONLY 1 = .config and config-check.txt only (no make).
#   EXTRA       more options to enable and verify (=y), space-separated, e.g.
#               "BLOCK SWAP ZRAM ..." (../user-entries/README.md). Default: none.
#
# Results kept in BUILD_ROOT/build-CFG: arch/arm64/boot/Image, vmlinux (no
# DWARF), System.map, .config, config-check.txt (which requested options
# stuck), build-time.txt. Fails (exit 1) if any requested option is not as
# requested after olddefconfig.
set -euo pipefail

CFG=${1:?usage: build-kernel.sh CFG   (e.g. 4k-48, 64k-42, 16k-47, 64k-52, 4k-39)}
KVER=${KVER:-6.1}
case "$KVER" in
    5.10) BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64-5.10}; VMCOREINFO_OPT=CRASH_CORE ;;
    6.1)  BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64}; VMCOREINFO_OPT=CRASH_CORE ;;
    6.12) BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64-6.12}; VMCOREINFO_OPT=VMCORE_INFO ;;
    7.3)  BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64-7.3}; VMCOREINFO_OPT=VMCORE_INFO ;;
    *) echo "KVER must be 5.10, 6.1, 6.12 or 7.3" >&2; exit 1 ;;
esac
SRC_DIR=${SRC_DIR:-$BUILD_ROOT/src}

KPTI=0 KASAN=0
BASE=$CFG
case "$BASE" in *-kasan) KASAN=1; BASE=${BASE%-kasan} ;; esac
case "$BASE" in *-kpti) KPTI=1; BASE=${BASE%-kpti} ;; esac
PAGES=${BASE%-*}     # 4k 16k 64k
VABITS=${BASE#*-}    # 36 39 42 47 48 52
case "$PAGES" in
    4k)  PAGE_OPT=ARM64_4K_PAGES ;;
    16k) PAGE_OPT=ARM64_16K_PAGES ;;
    64k) PAGE_OPT=ARM64_64K_PAGES ;;
    *) echo "bad page size in $CFG" >&2; exit 1 ;;
esac
case "$VABITS" in
    36|39|42|47|48|52) VA_OPT=ARM64_VA_BITS_$VABITS ;;
    *) echo "bad VA bits in $CFG" >&2; exit 1 ;;
esac
WITH_EFI=${WITH_EFI:-$([ "$PAGES" = 4k ] && echo 1 || echo 0)}

. "$(dirname "$0")/../lib/kbuild.sh"   # kbuild_begin, dwarf_extra, kconfig_tiny, make_image
# 5.10 and 7.3 are not in bookworm: Debian bullseye's linux-source-5.10 and
# experimental's linux-source-7.3 are fetched with a private apt state
# (BUILD_ROOT/apt) and unpacked with dpkg -x, so the machine's own sources
# stay bookworm's (../lib/fetch-source.sh).
BUILD_DIR=$BUILD_ROOT/build-$CFG
kbuild_begin "$BUILD_ROOT" arm64 aarch64-linux-gnu- gcc-aarch64-linux-gnu libc6-dev-arm64-cross

# Options the fixtures need (all must end up =y).
WANTED=(
    PRINTK TTY SERIAL_AMBA_PL011 SERIAL_AMBA_PL011_CONSOLE
    BLK_DEV_INITRD RD_GZIP BINFMT_ELF
    PROC_FS SYSFS DEVTMPFS DEBUG_KERNEL DEBUG_FS PTDUMP_DEBUGFS
    KALLSYMS KALLSYMS_ALL
    RELOCATABLE RANDOMIZE_BASE
    PROC_KCORE CRASH_DUMP "$VMCOREINFO_OPT" FW_CFG_SYSFS
    MULTIUSER FUTEX
    "$PAGE_OPT" "$VA_OPT"
)
# Dependencies that tinyconfig turns off and the options above need:
#   PCI         arm64 sets NO_IOPORT_MAP when !PCI, and FW_CFG_SYSFS
#               "depends on HAS_IOPORT_MAP" (= !NO_IOPORT_MAP).
#   KEXEC_FILE  CRASH_CORE (6.12: VMCORE_INFO, selected by CRASH_DUMP, which
#               depends on KEXEC_CORE) (which makes /sys/kernel/vmcoreinfo and lets
#               qemu_fw_cfg write the note's address to QEMU's "etc/vmcoreinfo")
#               is a hidden option selected only by KEXEC_CORE; on arm64 KEXEC
#               depends on PM_SLEEP_SMP, KEXEC_FILE has no dependency.
#   EXPERT      RELOCATABLE is only user-visible with EXPERT (it defaults to y).
DEPS=(PCI KEXEC_FILE EXPERT)
if [ "$WITH_EFI" = 1 ]; then
    WANTED+=(EFI EFI_STUB)
fi
dwarf_extra
if [ "$KPTI" = 1 ]; then
    WANTED+=(UNMAP_KERNEL_AT_EL0)
fi
if [ "$KASAN" = 1 ]; then
    WANTED+=(KASAN KASAN_GENERIC KASAN_OUTLINE DEBUG_WX)
    # 5.10: no KASAN_VMALLOC on arm64 (5.10's arch/arm64/Kconfig does not select
    # HAVE_ARCH_KASAN_VMALLOC; arm64 has it from 5.12): the vmalloc shadow is
    # the early (zero) shadow there.
    [ "$KVER" = 5.10 ] || WANTED+=(KASAN_VMALLOC)
fi

# Choice members to turn off so that the wanted ones win.
OFF=()
for o in ARM64_4K_PAGES ARM64_16K_PAGES ARM64_64K_PAGES; do
    [ "$o" = "$PAGE_OPT" ] || OFF+=("$o")
done
for v in 36 39 42 47 48 52; do
    [ "ARM64_VA_BITS_$v" = "$VA_OPT" ] || OFF+=("ARM64_VA_BITS_$v")
done
[ "$WITH_EFI" = 1 ] || OFF+=(EFI)
[ "$KASAN" = 0 ] || OFF+=(SLUB_TINY KASAN_INLINE)
# 5.10 and 6.1: no SLUB_TINY (absent, harmless); tinyconfig picks SLOB (their
# kernel/configs/tiny.config has CONFIG_SLOB=y) and KASAN "depends on
# (SLUB && SYSFS) || (SLAB && !DEBUG_SLAB)".
case "$KASAN-$KVER" in 1-5.10|1-6.1) WANTED+=(SLUB); OFF+=(SLOB) ;; esac

check=$BUILD_DIR/config-check.txt
bad=0
kconfig_tiny || bad=1
grep -E '^CONFIG_(ARM64_VA_BITS|ARM64_PAGE_SHIFT|PGTABLE_LEVELS|ARM64_PA_BITS)=' "$BUILD_DIR/.config" | tee -a "$check"
[ $bad = 0 ] || { echo "requested options did not stick; see $check" >&2; exit 1; }
make_image Image
