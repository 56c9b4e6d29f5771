#!/bin/bash
# A real panic of Debian 12's stock amd64 kernel (6.1 by default, or 6.12 with
# KVER=6.12.N+deb12-amd64), caught by a real capture kernel (kexec -p,
# crashkernel=256M) under QEMU/TCG, with the truth (QEMU's `info registers` and
# `info tlb` per CPU) taken just before. See README.md.
#
# Usage: capture.sh STATE
#   STATE: [no]pti-cpuN[-idle]: nopti-cpu1 | pti-cpu0 | pti-cpu1 | nopti-cpu0 |
#          nopti-cpu0-idle | pti-cpu0-idle | nopti-cpu1-idle | pti-cpu1-idle
#   (pti/nopti: pti=on or nothing on the first kernel's command line; cpuN: the
#   crasher's CPU; the busy task spins on the other CPU, or, with -idle, no task
#   is started there, so the other CPU is idle (swapper/M, pr_pid 0) at the panic)
# Environment (optional): KVER (default: what linux-image-amd64 depends on, i.e.
# 6.1), BIG (default /work/big/kdump-panic for 6.1, /work/big/kdump-panic-SERIES
# for another series, e.g. /work/big/kdump-panic-6.12), CPU (QEMU -cpu, default
# max,-la57), QEMU_TIMEOUT (s, default 1800), KEEP_DISK=1 keeps STATE/disk.img.
set -euo pipefail
STATE=${1:?usage: capture.sh [no]pti-cpuN[-idle]}
if [[ $STATE =~ ^(no)?pti-cpu([01])(-idle)?$ ]]; then
    PTI=pti=on; [ -n "${BASH_REMATCH[1]}" ] && PTI=""
    CRASH=${BASH_REMATCH[2]}
    OTHER=$(( 1 - CRASH ))
    if [ -n "${BASH_REMATCH[3]}" ]; then BUSY=none IDLE=$OTHER; else BUSY=$OTHER IDLE=""; fi
else
    echo "unknown state $STATE"; exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$HERE/../lib
CPU=${CPU:-max,-la57}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-1800}
. "$LIB/kdump-run.sh"   # step, done_, kdump_*, and lib/capture.sh's need_pkgs, stock_kernel

# ------------------------------------------------------------ 1. kernel (once)
STEP="packages, download, unpack, System.map"; T0=$(date +%s); echo "== $STEP"
need_pkgs qemu-system-x86 busybox-static kexec-tools makedumpfile e2fsprogs kmod binutils gcc \
          libc6-dev cpio python3
KVER=${KVER:-$(stock_kver linux-image-amd64)}
[ -n "$KVER" ] || { echo "no KVER: run apt-get update"; exit 1; }
# One folder per kernel series, so that 6.1 and 6.12 never share kernel/ or a STATE.
SERIES=$(echo "$KVER" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
if [ "$SERIES" = 6.1 ]; then BIG=${BIG:-/work/big/kdump-panic}; else BIG=${BIG:-/work/big/kdump-panic-$SERIES}; fi
K=$BIG/kernel
OUT=$BIG/$STATE
mkdir -p "$K" "$OUT"
TIMINGS=$OUT/timings.txt
: >"$TIMINGS"
echo "kernel $KVER -> $BIG"
if [ -f "$K/kver" ] && [ "$(cat "$K/kver")" != "$KVER" ]; then
    echo "$K holds kernel $(cat "$K/kver"), not $KVER: set BIG to another folder"; exit 1
fi
echo "$KVER" >"$K/kver"
stock_kernel "$K" "$KVER"   # IMG_DEB, PKG, VMLINUX
cp "$PKG/boot/vmlinuz-$KVER" "$K/vmlinuz"
done_

# ------------------------------------------------------------ 2. initramfs (both kernels)
step "initramfs"
ROOT=$K/initramfs
rm -rf "$ROOT"
kdump_userland "$ROOT"
mkdir -p "$ROOT/lib/modules"
gcc -static -O2 -Wall -DSPINNER -o "$ROOT/bin/spinner" "$HERE/tasks.c"
gcc -static -O2 -Wall -o "$ROOT/bin/crasher" "$HERE/tasks.c"
MODDIR=$PKG/lib/modules/$KVER
. "$LIB/modules.sh"   # add_module
: >"$ROOT/lib/modules/order"
for m in qemu_fw_cfg crc32c_generic virtio_pci virtio_blk ext4; do
    # 6.12 builds virtio, virtio_ring and virtio_pci into the kernel
    if grep -q "/$m\.ko" "$MODDIR/modules.builtin" 2>/dev/null; then echo "$m: built in"; else add_module "$m"; fi
done
kdump_pack "$ROOT" "$HERE/init.sh" "$K/initrd.gz"
done_

# ------------------------------------------------------------ 3. disk, boot, truth, panic, capture
APPEND="console=ttyS0 crashkernel=256M${PTI:+ $PTI} kdp_crash=$CRASH kdp_busy=$BUSY"
SERIAL=$OUT/serial.log
kdump_x86 "$OUT" "$K" "$APPEND" "$HERE/truth.py" ${PTI:+$CRASH}

# ------------------------------------------------------------ 5. outputs
step "debugfs rdump"
kdump_collect "$OUT" "$SERIAL"
done_
# Also -d 23 (all of -d 31 but user pages, 8), from the ELF on the host: Debian 12's
# makedumpfile 1.7.2 takes 6.12's slab pages (page_type PAGE_SLAB_MAPCOUNT_VALUE,
# page->mapping word 0xdead000000000003: the ANON bit) for user pages, so -d 31
# drops task_structs and mm_structs. The host's makedumpfile is the one in the
# initramfs; its -d 31 output from vmcore.elf is byte-identical to the capture's.
step "makedumpfile -l -d 23 vmcore.elf (host)"
makedumpfile -l -d 23 "$OUT/vmcore.elf" "$OUT/vmcore-d23.kdump" >"$OUT/makedumpfile-d23.log" 2>&1 \
    || echo "makedumpfile -d 23 failed; see makedumpfile-d23.log"
chmod a+r "$OUT/vmcore-d23.kdump" 2>/dev/null || true
done_
field() { sed -n "s/^$1 .*\b$2=\([^ ]*\).*/\1/p" "$OUT/serial-first.log" | head -1; }
cat >"$OUT/paths.txt" <<P
vmlinux    $VMLINUX
System.map $K/System.map
vmlinuz    $K/vmlinuz
initrd     $K/initrd.gz
kernel     $KVER ($(dpkg-deb -f "$IMG_DEB" Version))
build-id   vmlinux $(readelf -n "$VMLINUX" | sed -n 's/.*Build ID: //p' | head -1), dump $(python3 "$LIB/elfcore.py" "$OUT/vmcore.elf" | sed -n 's/^BUILD-ID=//p')
P
{
    echo "state         $STATE"
    echo "kernel        $KVER"
    echo "cmdline       $APPEND"
    echo "meltdown      $(sed -n 's/^meltdown: //p' "$OUT/serial-first.log")"
    echo "_text         $(awk '$3 == "_text" {print $1}' "$OUT/serial-first.log")"
    echo "crasher       pid=$(field READY pid) comm=$(field READY comm) cpu=$(field READY cpu) (panicking CPU)"
    if [ -n "$IDLE" ]; then
        echo "idle          pid=0 comm=swapper/$IDLE cpu=$IDLE (no busy task)"
    else
        echo "busy          pid=$(field BUSY pid) comm=$(field BUSY comm) cpu=$(field BUSY cpu)"
    fi
    kdump_x86_cpus "$OUT" "$PTI"
} | tee "$OUT/truth.txt"
python3 "$HERE/check-truth.py" "$OUT" | tee "$OUT/check-truth.txt" || true
"$HERE/walkcheck.sh" "$OUT" || echo "walkcheck: mismatches"
ls -la "$OUT" | tee "$OUT/ls.txt"
