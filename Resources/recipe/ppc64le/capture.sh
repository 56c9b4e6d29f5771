#!/bin/bash
# capture.sh radix|hash|radix-4k|hash-4k: boot build-kernel.sh's kernel (the
# -4k states: the PAGES=4K build, BUILD_ROOT/build-4k) under qemu-system-ppc64
# -M pseries -cpu power9 (TCG; hash: disable_radix) and capture, at one stop,
# the kernel's own /sys/kernel/debug/kernel_page_tables and an ELF dump:
# ../lib/run-profile.sh profile STATE capture. KVER defaults to 7.3 here (6.12
# too); BUILD_DIR, SRC_DIR, OUT_ROOT as in run-profile.sh.
# Produces in /work/big/ppc64le-KVER/STATE: vmcore.elf, serial.log, page_tables/,
# vmcoreinfo.txt, vmcoreinfo-note.txt, cmdline.txt, maps.txt, dmesg.txt,
# wx-check.txt, info-registers.txt, summary.txt, check.log, checks.txt,
# qemu-cmd.txt, timings.txt, and links vmlinux, System.map.
export KVER=${KVER:-7.3}
exec "$(dirname "$0")/../lib/run-profile.sh" "$(dirname "$0")/profile" "${1:?usage: capture.sh radix|hash|radix-4k|hash-4k}" capture
