#!/bin/bash
# A dump of build-kernel.sh's x86-64 6.1 kernel (lib/test_hmm.c built in) in which
# a user process ("victim") has device-private and device-exclusive swap entries
# in its page table, made by the kernel's HMM test driver, plus a hwpoison entry,
# together with the kernel's own /proc/PID/pagemap verdict for each of its pages,
# read just before the dump. See README.md beside this file.
#
# Environment (all optional):
#   BUILD_DIR  the kernel build (default /work/big/hmm/build)
#   SRC_DIR    its source       (default /work/big/hmm/src)
#   OUT        where the capture goes (default /work/big/hmm/out)
#   CPU        QEMU -cpu  (default max,-la57)
#   MEM        QEMU -m    (default 1G)
#   SMP        QEMU -smp  (default 1)
#   APPEND     kernel command line (default "console=ttyS0 loglevel=3 panic=-1")
#   BOOT_TIMEOUT seconds to wait for READY (default 600)
#   KPTDUMP    a built kptdump; when executable, check.sh runs it on the capture
#              (default /work/main/.build-hmm/debug/kptdump)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-/work/big/hmm/build}
SRC_DIR=${SRC_DIR:-/work/big/hmm/src}
OUT=${OUT:-/work/big/hmm/out}
CPU=${CPU:-max,-la57}
MEM=${MEM:-1G}
SMP=${SMP:-1}
APPEND=${APPEND:-console=ttyS0 loglevel=3 panic=-1}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
KPTDUMP=${KPTDUMP:-/work/main/.build-hmm/debug/kptdump}

BZIMAGE=$BUILD_DIR/arch/x86/boot/bzImage
[ -f "$BZIMAGE" ] || { echo "no $BZIMAGE: run build-kernel.sh first" >&2; exit 1; }
. "$HERE/../lib/capture.sh"   # need_pkgs, step, done_, qemu_capture
need_pkgs gcc libc6-dev qemu-system-x86 python3 bc cpio gzip binutils

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIMINGS="$OUT/timings.txt"
: >"$TIMINGS"

# ---------------------------------------------------------------- 1. initramfs
step "initramfs"
rm -rf "$OUT/build/ird"
"$HERE/../lib/initramfs.sh" gcc "$OUT/build/ird" "$BUILD_DIR" "$SRC_DIR" "$OUT/initrd.cpio.gz" "$HERE/init.c"
done_

for f in vmlinux System.map arch/x86/boot/bzImage; do
    ln -sfn "$BUILD_DIR/$f" "$OUT/$(basename "$f")"
done
ln -sfn "$BUILD_DIR/.config" "$OUT/config"

# ---------------------------------------------------------------- 2. boot
for _ in $(seq 1 180); do   # one QEMU at a time on this shared machine (up to 30 min)
    pgrep -f '^qemu-system' >/dev/null || break
    echo "another QEMU is running; waiting"
    sleep 10
done
SOCK="$OUT/qmp.sock"
rm -f "$SOCK" "$OUT/serial.log" "$OUT/vmcore.elf" "$OUT/info-registers.txt"
QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      -kernel "$BZIMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
step "boot to READY, QMP stop, registers, dump"
SETTLE=2 qemu_capture "$OUT" "$BOOT_TIMEOUT" python3 "$HERE/../lib/qmp_client.py" "$SOCK" "$OUT" regs -- "${QEMU[@]}"
qemu-system-x86_64 --version | head -1 >>"$OUT/qemu-cmd.txt"
rm -f "$SOCK"
done_

# ---------------------------------------------------------------- cut the console
# (victim, steps, maps, pagemap, smaps, iomem, meminfo, dmesg, vmcoreinfo, cmdline; victim-pid.txt)
python3 "$HERE/../lib/extract.py" x86_64 "$OUT/serial.log" "$OUT" --need victim,steps,maps,pagemap,smaps,iomem,meminfo,dmesg,vmcoreinfo,cmdline >"$OUT/extract.log" ||
    { echo "FAIL: extract (extract.log)"; cat "$OUT/extract.log"; }
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"
grep '^init:' "$OUT/serial.txt" >"$OUT/init-log.txt" || true

fail=0
KREL=$(cat "$BUILD_DIR/include/config/kernel.release")
python3 "$HERE/../lib/elfcore.py" "$OUT/vmcore.elf" >"$OUT/vmcoreinfo-note.txt" || true
[ "$(sed -n 's/^OSRELEASE=//p' "$OUT/vmcoreinfo-note.txt")" = "$KREL" ] || { echo "FAIL: no VMCOREINFO/OSRELEASE"; fail=1; }
[ -s "$OUT/victim-pid.txt" ] && [ -s "$OUT/pagemap.txt" ] || { echo "FAIL: no victim/pagemap"; fail=1; }
sha256sum "$BUILD_DIR/vmlinux" "$BZIMAGE" >"$OUT/kernel-sha256.txt"
{
    echo "kernel:       $KREL"
    echo "KERNELOFFSET: $(sed -n 's/^KERNELOFFSET=//p' "$OUT/vmcoreinfo-note.txt")"
    echo "CR3:          $(grep -o 'CR3=[0-9a-f]*' "$OUT/info-registers.txt" | tr '\n' ' ')"
    echo "victim pid:   $(cat "$OUT/victim-pid.txt")"
    sed 's/^/victim:       /' "$OUT/victim.txt"
    sed 's/^/step:         /' "$OUT/steps.txt"
    sed 's/^/init:         /' "$OUT/init-log.txt"
    grep -i 'hmm\|memory failure\|injecting' "$OUT/dmesg.txt" | sed 's/^/dmesg:        /' || true
    grep -i 'hmm' "$OUT/iomem.txt" | sed 's/^/iomem:        /' || true
} | tee "$OUT/summary.txt"

# ---------------------------------------------------------------- 4. kptdump, if built
if [ -x "$KPTDUMP" ]; then
    step "kptdump check"
    KPTDUMP="$KPTDUMP" "$HERE/check.sh" "$OUT" || { echo "FAIL: check.sh"; fail=1; }
    done_
else
    echo "no kptdump at $KPTDUMP; skipped check.sh"
fi
ls -la "$OUT"
[ $fail = 0 ] && echo "capture OK" || { echo "capture FAILED checks"; exit 1; }
