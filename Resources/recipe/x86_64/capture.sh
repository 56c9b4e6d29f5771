#!/bin/bash
# capture.sh STATE: boot the kernel from build-kernel.sh under QEMU (TCG) in one
# state (x86_64/profile's table: 4level 5level pti efi 5level-pti efi-5level;
# kasan and kasan-5level boot build-kernel.sh VARIANT=kasan's kernel)
# and capture, at the same moment, the kernel's own
# /sys/kernel/debug/page_tables/* text and a QEMU ELF memory dump:
# ../lib/run-profile.sh profile STATE capture (Env: KVER 6.1 default, 6.12, 5.10,
# 7.3; BUILD_DIR, SRC_DIR, OUT_ROOT, EXTRA_APPEND, ...: see there).
#
# Produces in OUT_ROOT/STATE: vmcore.elf, serial.log, page_tables/<name>.txt,
# vmcoreinfo.txt, vmcoreinfo-note.txt, cmdline.txt, info-registers.txt,
# info-tlb.txt (CPU 0; info-tlb-cpuN.txt for further CPUs), qemu-cmd.txt, qemu-version.txt,
# initrd.cpio.gz, timings.txt, checks.txt (check-tlb.py), kernel-sha256.txt,
# config, symlinks vmlinux, System.map, bzImage into BUILD_DIR; with
# CONFIG_DEBUG_WX (the 6.12, 5.10 and 7.3 builds) wx-check.txt: the kernel's
# boot-time W+X verdict lines, read from the printk ring buffer in vmcore.elf.
exec "$(dirname "$0")/../lib/run-profile.sh" "$(dirname "$0")/profile" "${1:?usage: capture.sh 4level|5level|pti|efi|5level-pti|efi-5level|kasan|kasan-5level}" capture
