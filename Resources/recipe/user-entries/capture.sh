#!/bin/bash
# capture.sh ARCH (arm64|riscv64): boot the kernel from build-kernel.sh beside
# this file under QEMU (TCG) with init.c as /init, wait for READY, stop the
# guest over QMP, take an ELF dump (paging=false), quit, and cut the console
# into files in OUT (default /work/big/user-entries/ARCH). When KPTDUMP is an
# executable kptdump, also runs `kptdump ps`, `kptdump --pid VICTIM` (text,
# --json) and check.py on the capture. See README.md beside this file.
#
# Env (all optional):
#   KVER      6.1 (default) or 6.12: only picks UE_ROOT's default (check.py reads
#             the version from the capture's .config)
#   UE_ROOT   default /work/big/user-entries (6.12: /work/big/user-entries-6.12;
#             kernels from build-kernel.sh there)
#   OUT       default UE_ROOT/ARCH
#   KPTDUMP   default /work/main/.build-helper/debug/kptdump
#   READY_TIMEOUT  seconds to wait for READY (default 600)
set -euo pipefail
ARCH=${1:?usage: capture.sh arm64|riscv64}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/roots.sh"
OUT=${OUT:-$UE_ROOT/$ARCH}
KPTDUMP=${KPTDUMP:-/work/main/.build-helper/debug/kptdump}
READY_TIMEOUT=${READY_TIMEOUT:-600}
SRC_DIR=$UE_ROOT/src
APPEND_COMMON="loglevel=1 panic=-1 zram.num_devices=2"

case "$ARCH" in
    arm64)
        BUILD_DIR=$UE_ROOT/arm64/build-4k-48
        IMAGE=$BUILD_DIR/arch/arm64/boot/Image
        CC=aarch64-linux-gnu-gcc
        # As ../arm64/capture.sh 4k-48 (plain), with a gdb stub for qmp_client.py's sysregs.
        QEMU=(qemu-system-aarch64 -accel tcg -M virt -cpu max -m 1G -smp 1
              -kernel "$IMAGE" -initrd "$OUT/initrd.cpio.gz"
              -append "console=ttyAMA0 $APPEND_COMMON"
              -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
              -qmp "unix:$OUT/qmp.sock,server=on,wait=off"
              -gdb "unix:$OUT/gdb.sock,server=on,wait=off" -no-reboot)
        QMP=(python3 "$HERE/../lib/qmp_client.py" "$OUT/qmp.sock" "$OUT" regs sysregs)
        ;;
    riscv64)
        BUILD_DIR=$UE_ROOT/riscv64/build
        IMAGE=$BUILD_DIR/arch/riscv/boot/Image
        CC=riscv64-linux-gnu-gcc
        # As ../riscv64/capture.sh sv57: Debian 12's QEMU 7.2, whose rv64 offers
        # Sv57 (the kernel takes the largest mode). No -device vmcoreinfo: QEMU
        # 7.2 refuses it on riscv ("requires fw_cfg with DMA").
        QEMU=(qemu-system-riscv64 -accel tcg -M virt -cpu rv64 -m 1G -smp 1
              -kernel "$IMAGE" -initrd "$OUT/initrd.cpio.gz"
              -append "console=ttyS0 $APPEND_COMMON"
              -display none -serial "file:$OUT/serial.log"
              -qmp "unix:$OUT/qmp.sock,server=on,wait=off" -no-reboot)
        QMP=(python3 "$HERE/../lib/qmp_client.py" "$OUT/qmp.sock" "$OUT" regs mem)
        ;;
    *) echo "unknown arch $ARCH" >&2; exit 1 ;;
esac
[ -f "$IMAGE" ] || { echo "no $IMAGE: run build-kernel.sh $ARCH first" >&2; exit 1; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# OUT also holds the kernel build (build-4k-48/, build/): remove only our files.
rm -rf "$OUT/page_tables" "$OUT/initramfs" "$OUT/judge"   # judge/: judge.sh's, of the last capture
rm -f "$OUT"/{vmcore.elf,vmcoreinfo-note.txt,serial.log,serial.txt,qmp.sock,gdb.sock,info-registers.txt,info-mem.txt,sysregs.txt,mmu-regs.txt}
rm -f "$OUT"/{victim,victim-pid,steps,maps,pagemap,smaps,swaps,meminfo,vmcoreinfo,cmdline,dmesg,check,kptdump-ps,kptdump-pid}.txt

TIMINGS=$OUT/timings.txt
: >"$TIMINGS"
t() { date +%s.%N; }
T0=$(t)
"$HERE/../lib/initramfs.sh" "$CC" "$OUT/initramfs" "$BUILD_DIR" "$SRC_DIR" "$OUT/initrd.cpio.gz" "$HERE/init.c"
T1=$(t)
"${QEMU[0]}" --version | head -1 >"$OUT/qemu-version.txt"
. "$HERE/../lib/capture.sh"   # qemu_capture, write_timings
SETTLE=1 qemu_capture "$OUT" "$READY_TIMEOUT" "${QMP[@]}" -- "${QEMU[@]}"
rm -f "$OUT/qmp.sock" "$OUT/gdb.sock"

status=0
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"
python3 "$HERE/../lib/extract.py" "$ARCH" "$OUT/serial.log" "$OUT" --need victim,steps,maps,pagemap,smaps,swaps,meminfo,kernel_page_tables,vmcoreinfo,cmdline,dmesg | tee "$OUT/extract.log" || status=1
grep -a '^init:' "$OUT/serial.txt" >"$OUT/init-log.txt" || true
if [ "$ARCH" = arm64 ]; then   # riscv dumps carry no VMCOREINFO note (see ../riscv64)
    python3 "$HERE/../lib/elfcore.py" "$OUT/vmcore.elf" >"$OUT/vmcoreinfo-note.txt" || true
    grep -E '^(OSRELEASE|KERNELOFFSET)=' "$OUT/vmcoreinfo-note.txt" || { echo "no VMCOREINFO note"; status=1; }
fi
for f in vmlinux System.map; do ln -sfn "$BUILD_DIR/$f" "$OUT/$f"; done
cp "$BUILD_DIR/.config" "$OUT/config"
sha256sum "$BUILD_DIR/vmlinux" "$IMAGE" >"$OUT/kernel-sha256.txt"
write_timings "$OUT" "stop, registers, dump, quit"
printf 'initramfs: %.1f s\n' "$(echo "$T1 - $T0" | bc)" | tee -a "$TIMINGS"
echo "--- init log, steps, swaps"
cat "$OUT/init-log.txt" "$OUT/steps.txt" "$OUT/swaps.txt"
grep -i 'memory failure\|Injecting\|zram\|Adding.*swap' "$OUT/dmesg.txt" || true

if [ -x "$KPTDUMP" ]; then
    T4=$(t)
    PID=$(cat "$OUT/victim-pid.txt")
    "$KPTDUMP" ps "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" >"$OUT/kptdump-ps.txt" || status=1
    PGD=$(awk -v p="$PID" '$1 == p {print $4}' "$OUT/kptdump-ps.txt")
    echo "victim $PID: $(awk -v p="$PID" '$1 == p' "$OUT/kptdump-ps.txt")"
    if [ -n "$PGD" ] && [ "$PGD" != - ]; then
        rc=0; "$KPTDUMP" "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" >"$OUT/kptdump-pid.txt" || rc=$?
        echo "kptdump --pid $PID: exit $rc"
        rc=0; "$KPTDUMP" "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" --json >"$OUT/kptdump-pid.jsonl" || rc=$?
        echo "kptdump --pid $PID --json: exit $rc"
        python3 "$HERE/check.py" "$ARCH" "$OUT" "$PGD" "$OUT/kptdump-pid.jsonl" >"$OUT/check.txt" || status=1
        grep '^#' "$OUT/check.txt"
    else
        echo "victim $PID not in kptdump ps"; status=1
    fi
    printf 'kptdump and check.py: %.1f s\n' "$(echo "$(t) - $T4" | bc)" | tee -a "$TIMINGS"
else
    echo "no kptdump at $KPTDUMP: check.py not run"
fi
ls -l "$OUT/vmcore.elf"
[ $status = 0 ] && echo "capture OK: $OUT" || { echo "capture has problems: $OUT" >&2; exit 1; }
