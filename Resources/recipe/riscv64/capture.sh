#!/bin/bash
# capture.sh MODE (sv39 sv48 sv57): boot the kernel from build-kernel.sh under
# QEMU (TCG) in one paging mode (riscv64/profile's table) and capture, at the
# same moment, the kernel's own /sys/kernel/debug/kernel_page_tables text and a
# QEMU ELF memory dump: ../lib/run-profile.sh profile MODE capture.
# Env: KVER 6.1 (default), 6.12 or 5.10 (Sv39 only, on QEMU 7.2): trees
#      /work/big/riscv64 or /work/big/riscv64-KVER; BUILD_DIR, SRC_DIR, OUT_ROOT;
#      QEMU_BP (default /work/big/riscv64/qemu-bp; made by get-qemu-bp.sh if
#      missing): bookworm-backports' QEMU 10; QEMU_FLAVOR system | bp (default:
#      bp for sv39 and sv48, system for sv57 and 5.10); INFO_MEM=0 skips the
#      monitor's `info mem`; see run-profile.sh.
#
# Produces in OUT_ROOT/MODE: vmcore.elf, serial.log,
# page_tables/kernel_page_tables.txt, vmcoreinfo.txt (/sys/kernel/vmcoreinfo:
# the note's physical address and size, hex), vmcoreinfo-note.txt (the note's
# text, read out of vmcore.elf at that physical address by check-capture.py),
# cmdline.txt, iomem.txt, info-registers.txt (with satp), info-mem.txt,
# summary.txt, extract.log, check.log, check-mem.log, checks.txt, qmp.log,
# qemu-cmd.txt, qemu-version.txt, initrd.cpio.gz, timings.txt,
# kernel-sha256.txt, config, and symlinks vmlinux, System.map, Image into BUILD_DIR.
exec "$(dirname "$0")/../lib/run-profile.sh" "$(dirname "$0")/profile" "${1:?usage: capture.sh sv39|sv48|sv57}" capture
