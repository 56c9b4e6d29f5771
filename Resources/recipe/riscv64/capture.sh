#!/bin/bash
# Boot the kernel from build-kernel.sh under QEMU (TCG) in one paging mode and
# capture, at the same moment, the kernel's own
# /sys/kernel/debug/kernel_page_tables text and a QEMU ELF memory dump.
#
# Usage: capture.sh MODE            MODE is one of: sv39 sv48 sv57
# Env:   BUILD_DIR (default /work/big/riscv64/build)
#        OUT_ROOT  (default /work/big/riscv64); results go to OUT_ROOT/MODE
#        QEMU_BP   (default /work/big/riscv64/qemu-bp; made by get-qemu-bp.sh
#                  if missing): bookworm-backports' QEMU 10
#        QEMU_FLAVOR  system | bp. Default: system (Debian 12's QEMU 7.2) for
#                  sv57, bp for sv39 and sv48 (QEMU 7.2 cannot limit the MMU).
#        READY_TIMEOUT seconds to wait for the guest (default 600)
#        INFO_MEM=0 skips the monitor's `info mem`
#        KVER=5.10 (default 6.1): the KVER=5.10 build of build-kernel.sh; defaults
#                  become /work/big/riscv64-5.10/{build,src} and OUT_ROOT
#                  /work/big/riscv64-5.10. riscv 5.10 knows Sv39 only (Sv48 came
#                  in 5.17), so MODE must be sv39, and Debian 12's QEMU 7.2
#                  (plain rv64) is the default: the kernel never asks for more.
#
# Produces in OUT_ROOT/MODE: vmcore.elf, serial.log,
# page_tables/kernel_page_tables.txt, vmcoreinfo.txt (/sys/kernel/vmcoreinfo:
# the note's physical address and size, hex), vmcoreinfo-note.txt (the note's
# text, read out of vmcore.elf at that physical address), cmdline.txt,
# iomem.txt, info-registers.txt (with satp), info-mem.txt, summary.txt,
# extract.log, check.log, check-mem.log, qmp.log,
# qemu-cmd.txt, qemu-version.txt, initrd.cpio.gz, timings.txt,
# kernel-sha256.txt, and symlinks vmlinux, System.map, Image into BUILD_DIR.
set -euo pipefail

MODE=${1:?usage: capture.sh sv39|sv48|sv57}
HERE=$(cd "$(dirname "$0")" && pwd)
KVER=${KVER:-6.1}
case "$KVER" in
    5.10) R=/work/big/riscv64-5.10
          [ "$MODE" = sv39 ] || { echo "riscv 5.10 has Sv39 only" >&2; exit 1; } ;;
    *)    R=/work/big/riscv64 ;;
esac
BUILD_DIR=${BUILD_DIR:-$R/build}
SRC_DIR=${SRC_DIR:-$R/src}
OUT_ROOT=${OUT_ROOT:-$R}
QEMU_BP=${QEMU_BP:-/work/big/riscv64/qemu-bp}
READY_TIMEOUT=${READY_TIMEOUT:-600}

. "$HERE/../lib/capture.sh"   # need_pkgs, qemu_capture, write_timings, link_kernel
need_pkgs qemu-system-misc opensbi gcc-riscv64-linux-gnu libc6-dev-riscv64-cross \
          build-essential python3 cpio gzip bc

IMAGE=$BUILD_DIR/arch/riscv/boot/Image
[ -f "$IMAGE" ] || { echo "no $IMAGE: run build-kernel.sh first" >&2; exit 1; }

case "$MODE" in
    sv39) if [ "$KVER" = 5.10 ]; then FLAVOR=${QEMU_FLAVOR:-system}; else FLAVOR=${QEMU_FLAVOR:-bp}; fi ;;
    sv48) FLAVOR=${QEMU_FLAVOR:-bp} ;;
    sv57)      FLAVOR=${QEMU_FLAVOR:-system} ;;
    *) echo "unknown mode $MODE" >&2; exit 1 ;;
esac

QENV=()
case "$FLAVOR" in
    system)
        # QEMU 7.2's rv64 offers every mode up to Sv57 and has no properties
        # to remove them: the kernel always picks Sv57.
        # (5.10 only ever writes Sv39 into satp, whatever the CPU offers.)
        [ "$MODE" = sv57 ] || [ "$KVER" = 5.10 ] || { echo "QEMU 7.2 cannot run $MODE (only sv57)" >&2; exit 1; }
        QBIN=qemu-system-riscv64
        CPU=rv64
        EXTRA=()
        ;;
    bp)
        [ -x "$QEMU_BP/usr/bin/qemu-system-riscv64" ] || "$HERE/get-qemu-bp.sh" "$QEMU_BP"
        QBIN=$QEMU_BP/usr/bin/qemu-system-riscv64
        # svNN=on makes NN the largest satp mode the CPU accepts; the kernel
        # probes from Sv57 down and settles on it.
        CPU=rv64,$MODE=on
        # -L: its own data dir, so the default firmware is OpenSBI 1.5 (from
        #     backports) instead of 7.2's /usr/share/qemu (OpenSBI 1.1).
        # -audio none: otherwise QEMU 10 probes audio back ends, falls back
        #     from its own module dir to 7.2's /usr/lib/x86_64-linux-gnu/qemu,
        #     refuses 7.2's audio-pa.so ("Only modules from the same build can
        #     be loaded") and then aborts on an assertion in module_load_dso.
        EXTRA=(-L "$QEMU_BP/usr/share/qemu" -audio none)
        QENV=(env "QEMU_MODULE_DIR=$QEMU_BP/usr/lib/x86_64-linux-gnu/qemu")
        ;;
    *) echo "unknown QEMU_FLAVOR $FLAVOR" >&2; exit 1 ;;
esac

OUT=$OUT_ROOT/$MODE
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# initramfs: /init from ../lib/init.c plus /dev/console (lib/initramfs.sh).
"$HERE/../lib/initramfs.sh" riscv64-linux-gnu-gcc "$OUT_ROOT/initramfs" "$BUILD_DIR" "$SRC_DIR" "$OUT/initrd.cpio.gz"

SOCK=$OUT/qmp.sock
APPEND="console=ttyS0 loglevel=1 panic=-1"
QEMU=("$QBIN" -accel tcg -M virt -cpu "$CPU" -m 1G -smp 1 "${EXTRA[@]}"
      -kernel "$IMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
"${QENV[@]}" "$QBIN" --version | head -1 > "$OUT/qemu-version.txt"
qemu_capture "$OUT" "$READY_TIMEOUT" python3 "$HERE/../lib/qmp_client.py" "$SOCK" "$OUT" regs mem -- "${QENV[@]}" "${QEMU[@]}"
rm -f "$SOCK"

status=0
python3 "$HERE/../lib/extract.py" riscv64 "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" || {
    echo "extract.py reported problems (see extract.log)" >&2; status=1; }

link_kernel "$OUT" "$BUILD_DIR" vmlinux System.map arch/riscv/boot/Image
write_timings "$OUT" "stop, registers, info mem, dump, quit"

echo "--- checks"
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' || true
KVER=$KVER python3 "$HERE/check-capture.py" "$OUT" "$MODE" | tee "$OUT/check.log" || {
    echo "check-capture.py: FAILED (see check.log)" >&2; status=1; }
if [ -f "$OUT/info-mem.txt" ]; then
    python3 "$HERE/check-mem.py" "$OUT" | tee "$OUT/check-mem.log" || {
        echo "check-mem.py: info mem and ptdump disagree" >&2; status=1; }
fi
grep -E 'OSRELEASE|PAGESIZE' "$OUT/vmcoreinfo-note.txt" 2>/dev/null || true
ls -l "$OUT/vmcore.elf"
wc -l "$OUT"/page_tables/*.txt
exit $status
