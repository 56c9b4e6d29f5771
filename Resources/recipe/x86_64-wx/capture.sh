#!/bin/bash
# Boot the x86_64-wx test kernel (build-kernel.sh) under QEMU (TCG) and capture
# moments of the boot: the kernel's own /sys/kernel/debug/page_tables/*, dmesg,
# init's /proc/self/maps, the task list, and a QEMU ELF memory dump, all at the
# same moment.
#
# Usage: capture.sh MODE
#   moments      clean boot, two moments -> OUT_ROOT/moments/{before,after}:
#                "before" as booted, "after" once init has written "rw" to
#                /sys/kernel/debug/kptdump_test (the read-only page is RW)
#   wx           boot with kptdump_wx=1 (one W+X vmalloc page) -> OUT_ROOT/wx
#   second-boot  clean boot again (new KASLR offsets) -> OUT_ROOT/second-boot
# Env: BUILD_DIR (default /work/big/x86_64-wx/build)
#      OUT_ROOT  (default /work/big/x86_64-wx)
#      READY_TIMEOUT seconds to wait for each READY<N> (default 600)
#
# Every boot uses the same QEMU arguments: -M q35 -cpu max,-la57 -m 512M -smp 1
# -device vmcoreinfo, ttyS0 to serial.log, and a second serial port (ttyS1) on a
# Unix socket: the control port moments.py uses to tell init to go on.
#
# A boot folder (OUT_ROOT/MODE) holds serial.log, qemu-cmd.txt, initrd.cpio.gz,
# capture.log, kernel-sha256.txt and symlinks vmlinux, System.map, bzImage.
# A moment folder (the boot folder itself for wx and second-boot) holds
# vmcore.elf, page_tables/*.txt, kptdump_test.txt, vmcoreinfo.txt,
# vmcoreinfo-note.txt (read back from vmcore.elf), cmdline.txt, dmesg.txt,
# wx-check.txt (the W+X verdict and kptdump_test lines of dmesg), maps.txt,
# ps.txt, stat.txt, info-registers.txt, info-tlb.txt, timings.txt.
set -euo pipefail

MODE=${1:?usage: capture.sh moments|wx|second-boot}
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-/work/big/x86_64-wx/build}
OUT_ROOT=${OUT_ROOT:-/work/big/x86_64-wx}
READY_TIMEOUT=${READY_TIMEOUT:-600}

. "$HERE/../lib/capture.sh"   # need_pkgs, link_kernel, vmcoreinfo_note
need_pkgs qemu-system-x86 build-essential python3 cpio gzip binutils bc

BZIMAGE=$BUILD_DIR/arch/x86/boot/bzImage
[ -f "$BZIMAGE" ] || { echo "no $BZIMAGE: run build-kernel.sh first" >&2; exit 1; }

APPEND="console=ttyS0 loglevel=1 panic=-1"
case "$MODE" in
    moments)     MOMENTS=(before after) ;;
    wx)          MOMENTS=(.); APPEND="$APPEND kptdump_wx=1" ;;
    second-boot) MOMENTS=(.) ;;
    *) echo "unknown mode $MODE" >&2; exit 1 ;;
esac

OUT=$OUT_ROOT/$MODE
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DIRS=()
for m in "${MOMENTS[@]}"; do mkdir -p "$OUT/$m"; DIRS+=("$(cd "$OUT/$m" && pwd)"); done

# initramfs: /init from ../lib/init.c, scenario "moments", plus /dev/console (lib/initramfs.sh).
CFLAGS=-DINIT_MOMENTS "$HERE/../lib/initramfs.sh" gcc "$OUT_ROOT/initramfs" "$BUILD_DIR" \
    "${SRC_DIR:-/work/big/x86_64-wx/src}" "$OUT/initrd.cpio.gz"

# Unix sockets have a 108-byte path limit: keep them short.
SOCKDIR=$(mktemp -d /tmp/kptdump-wx.XXXXXX)
QMP_SOCK=$SOCKDIR/qmp.sock
CTL_SOCK=$SOCKDIR/ctl.sock
QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu max,-la57 -m 512M -smp 1
      -kernel "$BZIMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none
      -serial "file:$OUT/serial.log"
      -serial "unix:$CTL_SOCK,server=on,wait=off"
      -qmp "unix:$QMP_SOCK,server=on,wait=off" -no-reboot)
python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "${QEMU[@]}" > "$OUT/qemu-cmd.txt"

t0=$(date +%s.%N)
"${QEMU[@]}" &
QPID=$!
trap 'kill $QPID 2>/dev/null || true; rm -rf "$SOCKDIR"' EXIT
for _ in $(seq 100); do [ -S "$QMP_SOCK" ] && break; sleep 0.1; done

python3 "$HERE/moments.py" "$QMP_SOCK" "$CTL_SOCK" "$OUT/serial.log" "$READY_TIMEOUT" "${DIRS[@]}" | tee "$OUT/capture.log"
wait $QPID || true
trap - EXIT
rm -rf "$SOCKDIR"
t1=$(date +%s.%N)
printf 'boot start to QEMU exit: %.1f s\n' "$(echo "$t1 - $t0" | bc)" | tee -a "$OUT/capture.log"

python3 "$HERE/../lib/extract.py" x86_64 "$OUT/serial.log" "${DIRS[@]}" | tee "$OUT/extract.log" || echo "extract.py reported problems (see extract.log)"

link_kernel "$OUT" "$BUILD_DIR" vmlinux System.map arch/x86/boot/bzImage

echo "--- checks"
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' || true
for d in "${DIRS[@]}"; do
    echo "[$d]"
    grep -E 'W\+X|kptdump_test' "$d/dmesg.txt" > "$d/wx-check.txt" || true
    cat "$d/wx-check.txt"
    cat "$d/kptdump_test.txt"
    if vmcoreinfo_note "$d"; then
        grep OSRELEASE "$d/vmcoreinfo-note.txt"
    else
        echo "WARNING: no VMCOREINFO note in $d/vmcore.elf" >&2
    fi
    ls -l "$d/vmcore.elf"
    wc -l "$d"/page_tables/*.txt "$d/maps.txt" "$d/ps.txt"
done
