#!/bin/bash
# Build a small riscv64 Linux 6.1 (or, with KVER=6.12 / 5.10, 6.12 / 5.10) kernel with the kernel's own ptdump
# (/sys/kernel/debug/kernel_page_tables) and /sys/kernel/vmcoreinfo.
#
# Usage: build-kernel.sh [BUILD_DIR]
#   BUILD_DIR defaults to /work/big/riscv64/build (6.12: /work/big/riscv64-6.12/build)
#   (out-of-tree build, O=BUILD_DIR).
#   KVER=6.1 (default) or 6.12: Debian's linux-source-KVER package, extracted into
#   $SRC_DIR (default /work/big/riscv64/src; 6.12: /work/big/riscv64-6.12/src) if
#   it is not there yet. 6.12 renamed options: SOC_VIRT -> ARCH_VIRT (6.7),
#   CRASH_CORE -> VMCORE_INFO (6.9), GENERIC_PTDUMP -> ARCH_HAS_PTDUMP and
#   PTDUMP_CORE -> PTDUMP (6.10's generic PTDUMP_DEBUGFS in mm/Kconfig.debug);
#   and 6.12 needs RISCV_ISA_FALLBACK to boot on QEMU 7.2 (below).
#   KVER=5.10: Debian bullseye's linux-source-5.10 (not in bookworm), fetched
#   with a private apt state by ../lib/fetch-source.sh into
#   /work/big/riscv64-5.10/apt (or taken from another recipe's
#   /work/big/*-5.10/apt), trees under /work/big/riscv64-5.10. riscv 5.10
#   has no KEXEC/CRASH_DUMP (kexec came to riscv in 5.13): those two are left
#   out; CRASH_CORE (so /sys/kernel/vmcoreinfo and the note in memory) is still
#   there, selected by PROC_KCORE (fs/proc/Kconfig).
#   JOBS (default 2) sets make -j.
#   CONFIG_ONLY=1: .config and config-check.txt only (no make).
#   DWARF=1 builds vmlinux with DWARF, for the task walk (kptdump ps, --pid).
#   EXTRA="OPT ..." enables and verifies (=y) more options, space-separated
#   (../user-entries/README.md). Default: none.
#
# Results kept in BUILD_DIR: arch/riscv/boot/Image, vmlinux (no DWARF),
# System.map, .config, config-check.txt (which requested options stuck) and
# build-time.txt.
set -euo pipefail

KVER=${KVER:-6.1}
case "$KVER" in
    6.1)  R=/work/big/riscv64; VIRT_OPT=SOC_VIRT
          IMPLIED_RENAMED=(CRASH_CORE GENERIC_PTDUMP PTDUMP_CORE)
          VERSION_WANTED=() ;;
    6.12) R=/work/big/riscv64-6.12; VIRT_OPT=ARCH_VIRT
          IMPLIED_RENAMED=(VMCORE_INFO ARCH_HAS_PTDUMP PTDUMP)
          # default y, but tinyconfig turns it off, and then 6.12 panics in
          # setup_smp() ("CPU with hartid=0 is invalid: this kernel does not
          # parse \"riscv,isa\"", Kernel BUG) on QEMU 7.2, whose device tree
          # has only riscv,isa (no riscv,isa-base/-extensions).
          VERSION_WANTED=(RISCV_ISA_FALLBACK) ;;
    7.3)  R=/work/big/riscv64-7.3; VIRT_OPT=ARCH_VIRT
          IMPLIED_RENAMED=(VMCORE_INFO ARCH_HAS_PTDUMP PTDUMP)
          VERSION_WANTED=(RISCV_ISA_FALLBACK) ;;
    5.10) R=/work/big/riscv64-5.10; VIRT_OPT=SOC_VIRT
          IMPLIED_RENAMED=(GENERIC_PTDUMP PTDUMP_CORE)
          VERSION_WANTED=() ;;
    *) echo "KVER must be 5.10, 6.1, 6.12 or 7.3" >&2; exit 1 ;;
esac
BUILD_DIR=${1:-$R/build}
SRC_DIR=${SRC_DIR:-$R/src}

. "$(dirname "$0")/../lib/kbuild.sh"   # kbuild_begin, dwarf_extra, kconfig_tiny, make_image
# 5.10 is not in bookworm: bullseye's linux-source-5.10 through a private apt
# state (the machine's sources stay bookworm's; nothing is installed).
kbuild_begin "$R" riscv riscv64-linux-gnu- gcc-riscv64-linux-gnu

# Options the fixtures need.
#   MMU, 64BIT    tinyconfig already has them (listed so that they are checked:
#                 a NOMMU M-mode kernel would have no page tables at all).
#   FPU           without it a static glibc /init dies with SIGILL.
#   SOC_VIRT      (ARCH_VIRT in 6.12) tinyconfig leaves it off; it selects SIFIVE_PLIC, -M virt's
#                 interrupt controller (the 8250 UART's interrupt goes through it).
#   SERIAL_OF_PLATFORM  binds the 8250 driver to the DT's ns16550a (ttyS0).
#   KEXEC         selects KEXEC_CORE, which selects CRASH_CORE: that is what
#                 creates /sys/kernel/vmcoreinfo and the VMCOREINFO note.
#   STRICT_KERNEL_RWX  tinyconfig leaves it off (riscv has
#                 ARCH_OPTIONAL_KERNEL_RWX), and then the whole kernel mapping is
#                 RWX. Distribution kernels have it on; so do we.
#   SPARSEMEM_MANUAL + SPARSEMEM_VMEMMAP  tinyconfig picks FLATMEM; distribution
#                 kernels use a vmemmap, which adds the vmemmap region and its
#                 ptdump markers.
WANTED=(
    MMU 64BIT ARCH_RV64I FPU "$VIRT_OPT"
    PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE SERIAL_OF_PLATFORM
    BLK_DEV_INITRD RD_GZIP BINFMT_ELF
    PROC_FS SYSFS DEVTMPFS DEBUG_KERNEL DEBUG_FS PTDUMP_DEBUGFS
    KALLSYMS KALLSYMS_ALL
    PROC_KCORE KEXEC CRASH_DUMP SMP
    MULTIUSER FUTEX
    STRICT_KERNEL_RWX SPARSEMEM_MANUAL SPARSEMEM_VMEMMAP
    ${VERSION_WANTED[@]+"${VERSION_WANTED[@]}"}
)
if [ "$KVER" = 5.10 ]; then
    # no ARCH_SUPPORTS_KEXEC / CRASH_DUMP on riscv before 5.13
    W=(); for o in "${WANTED[@]}"; do case "$o" in KEXEC|CRASH_DUMP) ;; *) W+=("$o") ;; esac; done
    WANTED=("${W[@]}")
fi
dwarf_extra
# Options that must come out =y as a consequence (checked, not requested).
IMPLIED=(KEXEC_CORE SIFIVE_PLIC RISCV_SBI SPARSEMEM "${IMPLIED_RENAMED[@]}")
[ "$KVER" != 5.10 ] || IMPLIED=(CRASH_CORE SIFIVE_PLIC RISCV_SBI SPARSEMEM "${IMPLIED_RENAMED[@]}")

# IMPLIED go through kconfig_tiny as DEPS: enabling an option that is selected
# anyway changes nothing, and each is checked.
DEPS=("${IMPLIED[@]}")
missing=0
kconfig_tiny --disable FLATMEM_MANUAL || missing=1   # the other side of the memory-model choice
# Informational: the things that shape the memory map.
grep -E '^(# )?CONFIG_(SPARSEMEM_VMEMMAP|SPARSEMEM|FLATMEM|RISCV_M_MODE|EFI|KASAN|STRICT_KERNEL_RWX|RELOCATABLE|XIP_KERNEL|PGTABLE_LEVELS|VA_BITS|NR_CPUS)[= ]' \
    "$BUILD_DIR/.config" | sed 's/^/info: /' >> "$BUILD_DIR/config-check.txt" || true
[ $missing = 0 ] || { echo "some requested options did not stick; see $BUILD_DIR/config-check.txt" >&2; exit 1; }
make_image Image
