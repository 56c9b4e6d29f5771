#!/bin/bash
# Build the kdump-custom kernel: a small x86-64 Linux 6.1 (Debian's
# linux-source-6.1) with its own ptdump (CONFIG_PTDUMP_DEBUGFS), KASLR, PTI,
# kexec/kdump (both the first and the capture kernel), virtio-blk and ext4 built
# in (no modules), BTF (CONFIG_DEBUG_INFO_BTF, pahole from `dwarves`) and
# KALLSYMS (6.1's kernel/crash_core.c then puts SYMBOL(kallsyms_*) in VMCOREINFO).
#
# Usage: build-kernel.sh [BUILD_DIR]     (default /work/big/kdump-custom/build)
#   SRC_DIR (default /work/big/kdump-custom/src): extracted from
#   /usr/src/linux-source-6.1.tar.xz if missing.  JOBS (default 2): make -j.
# Kept in BUILD_DIR: arch/x86/boot/bzImage, vmlinux (DWARF + .BTF), System.map,
# .config, config-check.txt (each requested option as it ended up).
set -euo pipefail
ROOT=/work/big/kdump-custom
BUILD_DIR=${1:-$ROOT/build}
SRC_DIR=${SRC_DIR:-$ROOT/src}
JOBS=${JOBS:-2}
TARBALL=/usr/src/linux-source-6.1.tar.xz

. "$(dirname "$0")/../lib/capture.sh"   # need_pkgs
need_pkgs build-essential bc bison flex libssl-dev libelf-dev linux-source-6.1 xz-utils dwarves
. "$(dirname "$0")/../lib/kbuild.sh"   # unpack_source, kconfig_tiny, make_image
unpack_source "$TARBALL"
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
mk() { make -C "$SRC_DIR" O="$BUILD_DIR" ARCH=x86_64 "$@"; }

# What ../x86_64/build-kernel.sh enables (ptdump, KASLR, PTI, VMCOREINFO) ...
WANTED=(
    64BIT PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE
    BLK_DEV_INITRD RD_GZIP BINFMT_ELF BINFMT_SCRIPT
    PROC_FS SYSFS DEVTMPFS DEBUG_KERNEL DEBUG_FS PTDUMP_DEBUGFS
    KALLSYMS KALLSYMS_ALL DEBUG_INFO DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
    RELOCATABLE RANDOMIZE_BASE RANDOMIZE_MEMORY X86_5LEVEL PAGE_TABLE_ISOLATION
    PROC_KCORE FW_CFG_SYSFS SMP MULTIUSER FUTEX
# ... (the LDT syscall brings X86_16BIT, hence ESPfix, and PTI's LDT remap),
    MODIFY_LDT_SYSCALL X86_16BIT X86_ESPFIX64
# ... plus kdump: kexec_load and kexec_file_load, the capture side's /proc/vmcore,
    KEXEC KEXEC_FILE CRASH_DUMP PROC_VMCORE
# ... the disk (q35 virtio-blk, ext2 through ext4's driver), sysrq, tmpfs,
    BLOCK BLK_DEV VIRTIO_MENU VIRTIO_PCI VIRTIO_BLK EXT4_FS EXT4_USE_FOR_EXT2
    MAGIC_SYSRQ SHMEM TMPFS POSIX_TIMERS FILE_LOCKING
# ... and BTF (DEBUG_INFO_BTF depends on BPF_SYSCALL and pahole).
    BPF_SYSCALL DEBUG_INFO_BTF KALLSYMS_BASE_RELATIVE
)
# Dependencies tinyconfig turns off: ACPI (fw_cfg's device QEMU0002 and the
# VMCOREINFO note), CPU_MITIGATIONS (PTI), PCI + PCI_MSI (virtio-pci, and
# ACPICA's PCI_Config handler), CRYPTO + CRYPTO_SHA256 (KEXEC_FILE).
DEPS=(ACPI CPU_MITIGATIONS PCI PCI_MSI CRYPTO CRYPTO_SHA256)

kconfig_tiny --disable DEBUG_INFO_NONE --disable MODULES || { echo "options missing" >&2; exit 1; }
make_image bzImage
readelf -S "$BUILD_DIR/vmlinux" | grep -A1 -w .BTF || { echo "no .BTF section" >&2; exit 1; }
