#!/bin/bash
# Build a small x86-64 Linux 6.1 (or, with KVER=6.12, KVER=5.10 or KVER=7.3,
# 6.12, 5.10 or 7.3) kernel with the
# kernel's own ptdump (/sys/kernel/debug/page_tables/*), KASLR, 5-level paging
# support, PTI and EFI.
#
# Usage: build-kernel.sh [BUILD_DIR]
#   KVER (default 6.1), KVER=6.12, KVER=5.10 or KVER=7.3: which Debian
#   linux-source-KVER package (5.10: bullseye's, 7.3: experimental's, fetched
#   by ../lib/fetch-source.sh into /work/big/x86_64-KVER/apt, or taken from
#   another recipe's /work/big/*-KVER/apt; trees under /work/big/x86_64-KVER).
#   CONFIG_ONLY=1: .config and config-check.txt only (no make).
#   BUILD_DIR defaults to /work/big/x86_64/build (6.1) or
#   /work/big/x86_64-6.12/build (6.12) (out-of-tree build, O=BUILD_DIR).
#   The source is extracted from Debian's linux-source-KVER package into
#   $SRC_DIR (default /work/big/x86_64/src, or /work/big/x86_64-6.12/src) if it
#   is not there yet.
#   JOBS (default 2) sets make -j.
#
# 6.12 differs from 6.1 in option names and dependencies (see below, after
# DEPS): PAGE_TABLE_ISOLATION became MITIGATION_PAGE_TABLE_ISOLATION;
# CRASH_DUMP now depends on KEXEC_CORE (the kexec/crash split), so KEXEC is
# enabled too; and 6.12 builds also get DEBUG_WX (the boot-time W+X verdict,
# to judge `kptdump check-wx` by). PTDUMP_DEBUGFS keeps its name (it depends on
# ARCH_HAS_PTDUMP, selected by x86, and selects PTDUMP); X86_5LEVEL,
# RANDOMIZE_MEMORY and CPU_MITIGATIONS are unchanged.
#
# Results kept in BUILD_DIR: arch/x86/boot/bzImage, vmlinux (with DWARF),
# System.map, .config, and config-check.txt (which requested options stuck).
#
# VARIANT=kasan (tested with KVER=7.3 and KVER=5.10): the same kernel with generic KASAN,
# outline instrumentation, and KASAN_VMALLOC (vmalloc shadow populated on
# demand): KASAN KASAN_GENERIC KASAN_OUTLINE KASAN_VMALLOC wanted, SLUB_TINY
# (which tinyconfig sets and KASAN "depends on !SLUB_TINY") and KASAN_INLINE
# (the choice's default) off. BUILD_DIR then defaults to ROOT/build-kasan
# (x86_64/profile's state "kasan" boots it).
# EXTRA: more options to enable and check (=y), space-separated.
set -euo pipefail

KVER=${KVER:-6.1}
case "$KVER" in 6.1) ROOT=/work/big/x86_64 ;; 6.12|5.10|7.3) ROOT=/work/big/x86_64-$KVER ;;
    *) echo "KVER must be 6.1, 6.12, 5.10 or 7.3" >&2; exit 1 ;; esac
VARIANT=${VARIANT:-}
case "$VARIANT" in ""|kasan) ;; *) echo "VARIANT must be empty or kasan" >&2; exit 1 ;; esac
BUILD_DIR=${1:-$ROOT/build${VARIANT:+-$VARIANT}}
SRC_DIR=${SRC_DIR:-$ROOT/src}

. "$(dirname "$0")/../lib/kbuild.sh"   # kbuild_begin, kconfig_tiny, make_image
# 5.10 (bullseye's) and 7.3 (experimental's) through ../lib/fetch-source.sh
# into ROOT/apt: the machine's own apt sources stay bookworm's.
kbuild_begin "$ROOT" x86_64

# Options the fixtures need.
WANTED=(
    64BIT PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE
    BLK_DEV_INITRD RD_GZIP BINFMT_ELF
    PROC_FS SYSFS DEVTMPFS DEBUG_KERNEL DEBUG_FS PTDUMP_DEBUGFS
    KALLSYMS KALLSYMS_ALL DEBUG_INFO DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
    RELOCATABLE RANDOMIZE_BASE RANDOMIZE_MEMORY X86_5LEVEL PAGE_TABLE_ISOLATION
    PROC_KCORE CRASH_DUMP FW_CFG_SYSFS SMP EFI EFI_STUB
    MODIFY_LDT_SYSCALL MULTIUSER FUTEX
)
# Dependencies that tinyconfig turns off and the options above need:
#   ACPI            EFI "depends on ACPI" on x86 (arch/x86/Kconfig)
#   CPU_MITIGATIONS PAGE_TABLE_ISOLATION sits inside "if CPU_MITIGATIONS"
#   PCI             without it ACPICA has no PCI_Config region handler
#                   (include/acpi/platform/aclinux.h), fails to load q35's DSDT
#                   ("ACPI Error: AE_BAD_PARAMETER, During Region initialization"),
#                   and qemu_fw_cfg never finds its ACPI device QEMU0002, so the
#                   guest never tells QEMU where its VMCOREINFO note is.
DEPS=(ACPI CPU_MITIGATIONS PCI)
# (The two arrays above stay literal: ../x86_64-wx/build-kernel.sh and
# ../x86_64-hmm read them with sed for their 6.1 kernels.)
if [ "$KVER" = 6.12 ] || [ "$KVER" = 7.3 ]; then
    # The x86 mitigation options were renamed MITIGATION_* (6.8/6.9).
    WANTED=("${WANTED[@]/#PAGE_TABLE_ISOLATION/MITIGATION_PAGE_TABLE_ISOLATION}")
    # KEXEC  CRASH_DUMP moved to kernel/Kconfig.kexec, where it "depends on
    #        KEXEC_CORE" (a hidden option selected by KEXEC or KEXEC_FILE);
    #        without it olddefconfig drops CRASH_DUMP. (/sys/kernel/vmcoreinfo
    #        and qemu_fw_cfg's note come from VMCORE_INFO, which CRASH_DUMP
    #        and PROC_KCORE select; 6.1 called it CRASH_CORE.)
    # VMCORE_INFO  the renamed CRASH_CORE (hidden: --enable is a no-op, the
    #        check below is what matters).
    # DEBUG_WX  the kernel's own boot-time W+X check (its verdict is a pr_info,
    #        kept in the printk ring buffer of every dump; capture.sh greps it).
    DEPS+=(KEXEC VMCORE_INFO)
    WANTED+=(DEBUG_WX)
fi
if [ "$KVER" = 7.3 ]; then
    # As 6.12, and X86_5LEVEL is gone: 5-level paging support is always built
    # on x86-64 in 7.x (no option left to check).
    w=(); for o in "${WANTED[@]}"; do [ "$o" = X86_5LEVEL ] || w+=("$o"); done; WANTED=("${w[@]}")
fi
if [ "$KVER" = 5.10 ]; then
    # DEBUG_INFO is a plain bool in 5.10 (the "Debug information" choice with
    # DEBUG_INFO_NONE and DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT came in 5.12-5.18).
    # DEBUG_INFO_DWARF4 keeps C and assembler on one DWARF version: without
    # it 5.10 passes no -gdwarf-N to bookworm's gcc 12 (DWARF 5 by default)
    # while its assembler files get -Wa,-gdwarf-2.
    # PAGE_TABLE_ISOLATION and CRASH_DUMP keep their 6.1 names and places
    # (Debian's 5.10.262 has the CPU_MITIGATIONS menu backported);
    # CRASH_DUMP selects CRASH_CORE, which qemu_fw_cfg's note needs.
    # DEBUG_WX as for 6.12 (mm/Kconfig.debug; selects PTDUMP_CORE).
    WANTED=("${WANTED[@]/DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT/DEBUG_INFO_DWARF4}")
    DEPS+=(CRASH_CORE)
    WANTED+=(DEBUG_WX)
fi

OFF=()
if [ "$VARIANT" = kasan ]; then
    # KASAN "depends on SYSFS && !SLUB_TINY" (tinyconfig sets SLUB_TINY);
    # KASAN_OUTLINE against the choice's default KASAN_INLINE (smaller and
    # faster to build); KASAN_VMALLOC (x86-64 selects HAVE_ARCH_KASAN_VMALLOC).
    WANTED+=(KASAN KASAN_GENERIC KASAN_OUTLINE KASAN_VMALLOC)
    OFF+=(SLUB_TINY KASAN_INLINE)
    # 5.10 and 6.1: no SLUB_TINY (absent, harmless); tinyconfig picks SLOB there
    # (6.1's kernel/configs/tiny.config still has CONFIG_SLOB=y) and KASAN
    # "depends on (SLUB && SYSFS) || (SLAB && !DEBUG_SLAB)".
    case "$KVER" in 5.10|6.1) WANTED+=(SLUB); OFF+=(SLOB) ;; esac
fi
read -r -d "" -a extra <<<"${EXTRA:-}" || true   # EXTRA's options (DWARF is always on here)
WANTED+=(${extra[@]+"${extra[@]}"})

# DEBUG_INFO is selected by the "Debug information" choice; leave DEBUG_INFO_NONE.
kconfig_tiny --disable DEBUG_INFO_NONE || true
make_image bzImage
