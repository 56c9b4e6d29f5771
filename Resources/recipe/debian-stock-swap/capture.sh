#!/bin/bash
# A dump of Debian 12's stock kernel in which a user process ("victim") has swap,
# hwpoison, soft-dirty, PROT_NONE and userfaultfd-wp page-table entries, together with
# the kernel's own /proc/PID/pagemap verdict for each of its pages, read just before
# the dump. See README.md beside this file.
#
# Environment (all optional):
#   DS     the debian-stock work dir (packages, vmlinuz, vmlinux)  (default /work/big/debian-stock)
#   OUT    where the capture goes                                 (default /work/big/swap)
#   CPU    QEMU -cpu            (default max,-la57)
#   MEM    QEMU -m              (default 1G)
#   SMP    QEMU -smp            (default 1)
#   APPEND kernel command line  (default "console=ttyS0 loglevel=3")
#   BOOT_TIMEOUT seconds to wait for READY (default 600)
#   KPTDUMP  a built kptdump; when executable, check.sh runs it on the capture
#            (default /work/main/.build-swap/debug/kptdump)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
DS=${DS:-/work/big/debian-stock}
OUT=${OUT:-/work/big/swap}
CPU=${CPU:-max,-la57}
MEM=${MEM:-1G}
SMP=${SMP:-1}
APPEND=${APPEND:-console=ttyS0 loglevel=3}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
KPTDUMP=${KPTDUMP:-/work/main/.build-swap/debug/kptdump}
NICE=(nice -n 15)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIMINGS="$OUT/timings.txt"
: >"$TIMINGS"
step_start() { STEP="$1"; STEP_T0=$(date +%s.%N); echo "== $STEP"; }
step_end() { printf '%-32s %8.1f s\n' "$STEP" "$(echo "$(date +%s.%N) - $STEP_T0" | bc)" | tee -a "$TIMINGS"; }

# ---------------------------------------------------------------- 1. the stock kernel
# debian-stock/capture.sh downloads and unpacks linux-image-KVER-unsigned and its -dbg
# vmlinux into $DS (and installs QEMU, busybox-static, ...). When $DS lacks them, run it
# once with a small guest and throw its dump away.
step_start "debian-stock packages"
if [ ! -f "$DS/vmlinuz" ] || [ ! -e "$DS/vmlinux" ] || [ ! -s "$DS/System.map" ]; then
    WORK="$DS" OUT="$OUT/stock-prep" MEM=512M SMP=1 "${NICE[@]}" "$HERE/../debian-stock/capture.sh"
    rm -f "$OUT/stock-prep/vmcore.elf"
fi
DBG_VMLINUX=$(readlink -f "$DS/vmlinux")
KVER=${DBG_VMLINUX##*/vmlinux-}
MODDIR="$DS/pkg/lib/modules/$KVER"
[ -d "$MODDIR" ] || { echo "no $MODDIR"; exit 1; }
echo "kernel: $KVER"
NEED=()
for p in gcc libc6-dev linux-source-6.1 qemu-system-x86 kmod python3 bc xz-utils; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || NEED+=("$p")
done
if [ ${#NEED[@]} -gt 0 ]; then
    apt-get -o DPkg::Lock::Timeout=900 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y "${NEED[@]}"
fi
step_end

# ---------------------------------------------------------------- 2. initramfs
step_start "initramfs"
B="$OUT/build"
rm -rf "$B/ird"
mkdir -p "$B"
# gen_init_cpio.c for ../lib/initramfs.sh, and swap.h (union swap_header) for reference.
# (Decompressing the whole tarball takes about 45 s; kept for later runs.)
SRC="$B/linux-source-6.1"
if [ ! -f "$SRC/usr/gen_init_cpio.c" ] || [ ! -f "$SRC/include/linux/swap.h" ]; then
    "${NICE[@]}" tar -C "$B" -xJf /usr/src/linux-source-6.1.tar.xz \
        linux-source-6.1/usr/gen_init_cpio.c linux-source-6.1/include/linux/swap.h
fi
grep -q 'SWAPSPACE2' "$SRC/include/linux/swap.h"
"${NICE[@]}" "$HERE/../lib/initramfs.sh" gcc "$B/ird" "$B/no-build" "$SRC" "$B/base.cpio.gz" "$HERE/init.c"
# A second cpio (the kernel unpacks concatenated archives) with the modules, deps first.
{ echo "dir /lib 0755 0 0"; echo "dir /lib/modules 0755 0 0"; } >"$B/modules.list"
: >"$B/order"
add_module() {
    local name=$1 ko dep
    grep -qx "$name" "$B/order" && return
    ko=$(find "$MODDIR/kernel" -name "$name.ko" | head -1)
    [ -n "$ko" ] || { echo "module $name not found"; exit 1; }
    for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do add_module "$dep"; done
    echo "file /lib/modules/$name.ko $ko 0644 0 0" >>"$B/modules.list"
    echo "$name" >>"$B/order"
}
for m in qemu_fw_cfg zram; do add_module "$m"; done
echo "file /lib/modules/order $B/order 0644 0 0" >>"$B/modules.list"
"$B/ird/gen_init_cpio" "$B/modules.list" | gzip -9 >"$B/modules.cpio.gz"
cat "$B/base.cpio.gz" "$B/modules.cpio.gz" >"$OUT/initrd.cpio.gz"
echo "modules: $(tr '\n' ' ' <"$B/order")"
step_end

ln -sfn "$DBG_VMLINUX" "$OUT/vmlinux"
ln -sfn "$DS/System.map" "$OUT/System.map"
ln -sfn "$DS/vmlinuz" "$OUT/vmlinuz"
ln -sfn "$DS/config" "$OUT/config"

# ---------------------------------------------------------------- 3. boot
for _ in $(seq 1 180); do   # one QEMU at a time on this shared machine (up to 30 min)
    pgrep -f '^qemu-system' >/dev/null || break
    echo "another QEMU is running; waiting"
    sleep 10
done
SOCK="$OUT/qmp.sock"
rm -f "$SOCK" "$OUT/serial.log" "$OUT/vmcore.elf" "$OUT/info-registers.txt"
QEMU=(qemu-system-x86_64 -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      -kernel "$DS/vmlinuz" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
{ printf '%q ' "${QEMU[@]}"; echo; qemu-system-x86_64 --version | head -1; } >"$OUT/qemu-cmd.txt"

step_start "boot to READY"
"${NICE[@]}" "${QEMU[@]}" &
QPID=$!
trap 'kill $QPID 2>/dev/null || true' EXIT
# shellcheck source=../lib/wait-ready.sh
. "$HERE/../lib/wait-ready.sh"
wait_for_ready "$OUT/serial.log" "$QPID" "$BOOT_TIMEOUT"
step_end
sleep 2

step_start "QMP stop, registers, dump"
python3 "$HERE/qmp-capture.py" "$SOCK" "$OUT"
wait $QPID || true
trap - EXIT
rm -f "$SOCK"
step_end

# ---------------------------------------------------------------- 4. cut the console
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"
section() { sed -n "/^=== BEGIN $1 ===\$/,/^=== END $1 ===\$/p" "$OUT/serial.txt" | sed '1d;$d'; }
for s in victim steps maps pagemap smaps swaps meminfo dmesg vmcoreinfo cmdline; do
    section "$s" >"$OUT/$s.txt"
done
sed -n 's/^pid //p' "$OUT/victim.txt" >"$OUT/victim-pid.txt"
grep '^init:' "$OUT/serial.txt" >"$OUT/init-log.txt" || true

fail=0
python3 "$HERE/../lib/elfnotes.py" "$OUT/vmcore.elf" >"$OUT/vmcoreinfo-note.txt"
[ "$(sed -n 's/^OSRELEASE=//p' "$OUT/vmcoreinfo-note.txt")" = "$KVER" ] || { echo "FAIL: no VMCOREINFO/OSRELEASE"; fail=1; }
bid_v=$(readelf -n "$DBG_VMLINUX" | sed -n 's/.*Build ID: //p' | head -1)
bid_d=$(sed -n 's/^BUILD-ID=//p' "$OUT/vmcoreinfo-note.txt")
[ -n "$bid_d" ] && [ "${bid_v#"$bid_d"}" != "$bid_v" ] || { echo "FAIL: build-id $bid_d vs $bid_v"; fail=1; }
[ -s "$OUT/victim-pid.txt" ] && [ -s "$OUT/pagemap.txt" ] || { echo "FAIL: no victim/pagemap"; fail=1; }

# What pagemap says for each page of the victim's regions (region, page, verdict).
python3 "$HERE/classify.py" "$OUT" | tee "$OUT/pagemap-classified.txt" || { echo "FAIL: classify"; fail=1; }
{
    echo "kernel ABI:   $KVER"
    echo "package:      $(dpkg-deb -f "$(ls "$DS"/debs/linux-image-"$KVER"-unsigned_*.deb | tail -1)" Version)"
    echo "build-id:     $bid_d"
    echo "KERNELOFFSET: $(sed -n 's/^KERNELOFFSET=//p' "$OUT/vmcoreinfo-note.txt")"
    echo "CR3:          $(grep -o 'CR3=[0-9a-f]*' "$OUT/info-registers.txt" | tr '\n' ' ')"
    echo "victim pid:   $(cat "$OUT/victim-pid.txt")"
    sed 's/^/victim:       /' "$OUT/victim.txt"
    sed 's/^/step:         /' "$OUT/steps.txt"
    sed 's/^/init:         /' "$OUT/init-log.txt"
    sed 's/^/swaps:        /' "$OUT/swaps.txt"
} | tee "$OUT/summary.txt"

# ---------------------------------------------------------------- 5. kptdump, if built
if [ -x "$KPTDUMP" ]; then
    step_start "kptdump check"
    KPTDUMP="$KPTDUMP" "$HERE/check.sh" "$OUT" || { echo "FAIL: check.sh"; fail=1; }
    step_end
else
    echo "no kptdump at $KPTDUMP; skipped check.sh"
fi
ls -la "$OUT"
[ $fail = 0 ] && echo "capture OK" || { echo "capture FAILED checks"; exit 1; }
