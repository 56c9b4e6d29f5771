#!/bin/bash
# capture.sh ARCH (arm64|riscv64|ppc64le|s390x): boot the kernel from
# build-kernel.sh beside this file under QEMU (TCG) with init.c as /init, wait
# for READY, stop the guest over QMP, take an ELF dump (paging=false), quit,
# and cut the console into files in OUT (default /work/big/user-entries/ARCH).
# When KPTDUMP is an executable kptdump, also runs `kptdump ps`, `kptdump --pid
# VICTIM` (text, --json) and, on arm64 and riscv64, check.py on the capture; on
# ppc64le and s390x (which check.py does not decode) `kptdump list --pid VICTIM
# --json` into victim.jsonl and `kptdump snapshot` into snapshot.core and
# snapshot.core.zst (zstd -19) instead. See README.md beside this file.
#
# Env (all optional):
#   KVER      6.1 (default), 6.12 or 7.3: picks UE_ROOT's
#             default (check.py reads the version from the capture's .config)
#   UE_ROOT   default /work/big/user-entries (6.12: /work/big/user-entries-6.12,
#             7.3: /work/big/user-entries-7.3; kernels from build-kernel.sh there)
#   OUT       default UE_ROOT/ARCH
#   KPTDUMP   default /work/main/.build-helper/debug/kptdump
#   READY_TIMEOUT  seconds to wait for READY (default 600)
set -euo pipefail
ARCH=${1:?usage: capture.sh arm64|riscv64|ppc64le|s390x}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/roots.sh"
OUT=${OUT:-$UE_ROOT/$ARCH}
KPTDUMP=${KPTDUMP:-/work/main/.build-helper/debug/kptdump}
READY_TIMEOUT=${READY_TIMEOUT:-600}
SRC_DIR=$UE_SRC
APPEND_COMMON="loglevel=1 panic=-1 zram.num_devices=2"
XARCH=$ARCH    # ../lib/extract.py's name for the architecture
PKGS=          # ppc64le, s390x: installed first (../lib/capture.sh's need_pkgs)
. "$HERE/../lib/capture.sh"   # need_pkgs, qemu_one_at_a_time, qemu_capture, write_timings

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
    ppc64le)
        BUILD_DIR=$UE_ROOT/ppc64le/build
        IMAGE=$BUILD_DIR/vmlinux
        CC=powerpc64le-linux-gnu-gcc XARCH=ppc64
        PKGS="qemu-system-ppc gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross"
        # As ../ppc64le/profile's radix state: pseries POWER9 (radix MMU, the
        # 64K-page kernel), SLOF boots vmlinux through the kernel's OF
        # trampoline. No -device vmcoreinfo (no fw_cfg on pseries).
        QEMU=(qemu-system-ppc64 -accel tcg -M pseries -cpu power9 -m 1G -smp 1
              -kernel "$IMAGE" -initrd "$OUT/initrd.cpio.gz"
              -append "console=hvc0 $APPEND_COMMON"
              -display none -serial "file:$OUT/serial.log"
              -qmp "unix:$OUT/qmp.sock,server=on,wait=off" -no-reboot)
        QMP=(python3 "$HERE/../lib/qmp_client.py" "$OUT/qmp.sock" "$OUT" regs)
        ;;
    s390x)
        BUILD_DIR=$UE_ROOT/s390x/build
        IMAGE=$BUILD_DIR/arch/s390/boot/bzImage
        CC=s390x-linux-gnu-gcc
        PKGS="qemu-system-misc gcc-s390x-linux-gnu libc6-dev-s390x-cross"
        # As ../s390x/profile's plain state. No -device vmcoreinfo (no fw_cfg
        # on s390); the dump's S390 CTRS note holds the control registers.
        QEMU=(qemu-system-s390x -accel tcg -M s390-ccw-virtio -cpu max -m 512M -smp 1
              -kernel "$IMAGE" -initrd "$OUT/initrd.cpio.gz"
              -append "console=ttysclp0 $APPEND_COMMON"
              -display none -serial "file:$OUT/serial.log"
              -qmp "unix:$OUT/qmp.sock,server=on,wait=off" -no-reboot)
        QMP=(python3 "$HERE/../lib/qmp_client.py" "$OUT/qmp.sock" "$OUT" regs)
        ;;
    *) echo "unknown arch $ARCH" >&2; exit 1 ;;
esac
[ -f "$IMAGE" ] || { echo "no $IMAGE: run build-kernel.sh $ARCH first" >&2; exit 1; }
[ -z "$PKGS" ] || need_pkgs $PKGS

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# riscv64 at 7.3: the kernel caps satp's mode by the device tree's cpu
# "mmu-type" (arch/riscv/kernel/pi/fdt_early.c, set_satp_mode_from_fdt), and
# QEMU 7.2 writes "riscv,sv48" there although its rv64 implements Sv57 (6.1 and
# 6.12 probed the hardware and took Sv57): 7.3 came up in Sv48. Boot with
# QEMU's own device tree (dumpdtb, same -m/-smp) with that string changed to
# "riscv,sv57" (same length); QEMU still adds /chosen (bootargs, initrd).
if [ "$ARCH" = riscv64 ] && [ "$KVER" = 7.3 ]; then
    qemu-system-riscv64 -accel tcg -M virt,dumpdtb="$OUT/virt-qemu.dtb" -cpu rv64 -m 1G -smp 1 -display none >/dev/null
    python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); assert d.count(b"riscv,sv48\0") == 1; open(sys.argv[2], "wb").write(d.replace(b"riscv,sv48\0", b"riscv,sv57\0"))' \
        "$OUT/virt-qemu.dtb" "$OUT/virt-sv57.dtb"
    QEMU+=(-dtb "$OUT/virt-sv57.dtb")
fi
# OUT also holds the kernel build (build-4k-48/, build/): remove only our files.
rm -rf "$OUT/page_tables" "$OUT/initramfs" "$OUT/judge"   # judge/: judge.sh's, of the last capture
rm -f "$OUT"/{vmcore.elf,vmcoreinfo-note.txt,serial.log,serial.txt,qmp.sock,gdb.sock,info-registers.txt,info-mem.txt,sysregs.txt,mmu-regs.txt}
rm -f "$OUT"/{victim,victim-pid,steps,maps,pagemap,smaps,swaps,meminfo,vmcoreinfo,cmdline,dmesg,check,kptdump-ps,kptdump-pid}.txt
rm -f "$OUT"/{victim.jsonl,snapshot.core,snapshot.core.zst,summary.txt,check-capture.txt,pagemap-regions.txt}

TIMINGS=$OUT/timings.txt
: >"$TIMINGS"
t() { date +%s.%N; }
T0=$(t)
"$HERE/../lib/initramfs.sh" "$CC" "$OUT/initramfs" "$BUILD_DIR" "$SRC_DIR" "$OUT/initrd.cpio.gz" "$HERE/init.c"
T1=$(t)
"${QEMU[0]}" --version | head -1 >"$OUT/qemu-version.txt"
case "$ARCH" in ppc64le|s390x) qemu_one_at_a_time ;; esac   # the ../ppc64le and ../s390x captures share the cores
SETTLE=1 qemu_capture "$OUT" "$READY_TIMEOUT" "${QMP[@]}" -- "${QEMU[@]}"
rm -f "$OUT/qmp.sock" "$OUT/gdb.sock"

status=0
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"
python3 "$HERE/../lib/extract.py" "$XARCH" "$OUT/serial.log" "$OUT" --need victim,steps,maps,pagemap,smaps,swaps,meminfo,kernel_page_tables,vmcoreinfo,cmdline,dmesg | tee "$OUT/extract.log" || status=1
grep -a '^init:' "$OUT/serial.txt" >"$OUT/init-log.txt" || true
if [ "$ARCH" = arm64 ]; then   # riscv dumps carry no VMCOREINFO note (see ../riscv64)
    python3 "$HERE/../lib/elfcore.py" "$OUT/vmcore.elf" >"$OUT/vmcoreinfo-note.txt" || true
    grep -E '^(OSRELEASE|KERNELOFFSET)=' "$OUT/vmcoreinfo-note.txt" || { echo "no VMCOREINFO note"; status=1; }
fi
# ppc64le, s390x: no note in the dump; their recipes' check-capture.py read the
# kernel's VMCOREINFO note out of memory (vmcoreinfo-note.txt) and check the
# state (radix MMU and PAGESIZE 65536; a region-3 kernel table), summary.txt.
case "$ARCH" in
    ppc64le) python3 "$HERE/../ppc64le/check-capture.py" "$OUT" radix "$KVER" >"$OUT/check-capture.txt" 2>&1 || status=1 ;;
    s390x)   python3 "$HERE/../s390x/check-capture.py" "$OUT" plain "$KVER" >"$OUT/check-capture.txt" 2>&1 || status=1 ;;
esac
[ ! -f "$OUT/check-capture.txt" ] || cat "$OUT/check-capture.txt"
for f in vmlinux System.map; do ln -sfn "$BUILD_DIR/$f" "$OUT/$f"; done
cp "$BUILD_DIR/.config" "$OUT/config"
sha256sum "$BUILD_DIR/vmlinux" "$IMAGE" >"$OUT/kernel-sha256.txt"
write_timings "$OUT" "stop, registers, dump, quit"
printf 'initramfs: %.1f s\n' "$(echo "$T1 - $T0" | bc)" | tee -a "$TIMINGS"
echo "--- init log, steps, swaps"
cat "$OUT/init-log.txt" "$OUT/steps.txt" "$OUT/swaps.txt"
# What pagemap says per region (present / swap type / flags, in runs of pages).
# Fatal on ppc64le and s390x only (arm64, riscv64: check.py is the judge).
python3 "$HERE/pagemap-regions.py" "$OUT" >"$OUT/pagemap-regions.txt" ||
    case "$ARCH" in ppc64le|s390x) status=1 ;; esac
cat "$OUT/pagemap-regions.txt"
grep -i 'memory failure\|Injecting\|zram\|Adding.*swap' "$OUT/dmesg.txt" || true

if [ -x "$KPTDUMP" ]; then
    T4=$(t)
    PID=$(cat "$OUT/victim-pid.txt")
    "$KPTDUMP" ps "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" >"$OUT/kptdump-ps.txt" || status=1
    PGD=$(awk -v p="$PID" '$1 == p {print $4}' "$OUT/kptdump-ps.txt")
    echo "victim $PID: $(awk -v p="$PID" '$1 == p' "$OUT/kptdump-ps.txt")"
    if [ "$ARCH" = ppc64le ] || [ "$ARCH" = s390x ]; then
        # check.py decodes arm64 and riscv64 only: kptdump's view and a snapshot.
        rc=0; "$KPTDUMP" list "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" >"$OUT/kptdump-pid.txt" || rc=$?
        echo "kptdump list --pid $PID: exit $rc ($(wc -l <"$OUT/kptdump-pid.txt") lines)"
        rc=0; "$KPTDUMP" list "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" --json >"$OUT/victim.jsonl" || rc=$?
        echo "kptdump list --pid $PID --json: exit $rc ($(wc -l <"$OUT/victim.jsonl") ranges, victim.jsonl)"
        rc=0; "$KPTDUMP" snapshot "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" -o "$OUT/snapshot.core" || rc=$?
        echo "kptdump snapshot: exit $rc"
        if [ -f "$OUT/snapshot.core" ]; then
            zstd -q -19 -f "$OUT/snapshot.core"
            ls -l "$OUT/snapshot.core" "$OUT/snapshot.core.zst"
        else
            status=1
        fi
    elif [ -n "$PGD" ] && [ "$PGD" != - ]; then
        rc=0; "$KPTDUMP" "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" >"$OUT/kptdump-pid.txt" || rc=$?
        echo "kptdump --pid $PID: exit $rc"
        rc=0; "$KPTDUMP" "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" --json >"$OUT/kptdump-pid.jsonl" || rc=$?
        echo "kptdump --pid $PID --json: exit $rc"
        python3 "$HERE/check.py" "$ARCH" "$OUT" "$PGD" "$OUT/kptdump-pid.jsonl" >"$OUT/check.txt" || status=1
        grep '^#' "$OUT/check.txt"
    else
        echo "victim $PID not in kptdump ps"; status=1
    fi
    case "$ARCH" in ppc64le|s390x) what="kptdump ps, list, snapshot" ;; *) what="kptdump and check.py" ;; esac
    printf '%s: %.1f s\n' "$what" "$(echo "$(t) - $T4" | bc)" | tee -a "$TIMINGS"
else
    echo "no kptdump at $KPTDUMP: check.py not run"
fi
ls -l "$OUT/vmcore.elf"
[ $status = 0 ] && echo "capture OK: $OUT" || { echo "capture has problems: $OUT" >&2; exit 1; }
