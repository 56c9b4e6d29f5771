#!/bin/bash
# capture.sh CFG [STATE]: boot build-kernel.sh CFG's kernel (4k-48 64k-42 16k-47
# 64k-52 4k-39 4k-48-kpti ...) under QEMU (TCG) in one state of arm64/profile's
# table and capture, at the same moment, the kernel's own
# /sys/kernel/debug/kernel_page_tables text (and efi_page_tables when booted
# through UEFI) and a QEMU ELF memory dump with a VMCOREINFO note:
# ../lib/run-profile.sh profile STATE capture.
#   STATE  plain (default): QEMU loads Image directly (-kernel), -cpu max;
#          a72: -cpu cortex-a72 (ARMv8.0), into OUT_ROOT/CFG-a72;
#          efi: edk2 (QEMU_EFI.fd) loads Image from fw_cfg, the EFI stub runs,
#          into OUT_ROOT/CFG-efi
# Env: KVER 5.10, 6.1 (default), 6.12 or 7.3: BUILD_ROOT /work/big/arm64 (6.1)
#      or /work/big/arm64-KVER, the build in BUILD_ROOT/build-CFG; OUT_ROOT
#      (default BUILD_ROOT); CPU (instead of the state's -cpu); see run-profile.sh.
#
# Produces in the capture folder: vmcore.elf, serial.log,
# page_tables/kernel_page_tables.txt (+ efi_page_tables.txt), vmcoreinfo.txt,
# vmcoreinfo-note.txt, cmdline.txt, dmesg.txt, info-registers.txt, sysregs.txt
# and mmu-regs.txt (from QEMU's gdb stub: TTBR1_EL1, TCR_EL1, ...), notes.txt
# (the dump's ELF notes), checks.txt (VMCOREINFO keys, KASLR, check-walk.py's
# walk of the dump's tables vs the listing), qemu-cmd.txt, qemu-version.txt,
# initrd.cpio.gz, timings.txt, kernel-sha256.txt, config (the kernel .config)
# and symlinks vmlinux, System.map, Image into the build directory.
CFG=${1:?usage: capture.sh CFG [plain|efi|a72]} exec "$(dirname "$0")/../lib/run-profile.sh" "$(dirname "$0")/profile" "${2:-plain}" capture
