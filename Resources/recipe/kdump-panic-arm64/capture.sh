#!/bin/bash
# A real panic of Debian 12's stock 6.1 arm64 kernel, caught by a real capture
# kernel (kexec -p, crashkernel=256M) under qemu-system-aarch64 -M virt (TCG), with
# the truth (each CPU's TTBR0_EL1/TTBR1_EL1 through QEMU's gdb stub) taken just
# before. The arm64 counterpart of ../kdump-panic/capture.sh. See README.md.
#
# Usage: capture.sh [STATE]    STATE: cpu1 (default) | cpu0: the crasher's CPU;
#   the busy task spins on the other CPU. cpu1-max, cpu0-max: the same with
#   -cpu max,lpa2=off,pauth-impdef=on instead of cortex-a72.
# Environment (optional): BIG (default /work/big/kdump-panic-arm64), KVER (default:
# what linux-image-arm64:arm64 depends on), CPU (QEMU -cpu, default cortex-a72),
# QEMU_TIMEOUT (s, default 2400), KEEP_DISK=1 keeps STATE/disk.img.
set -euo pipefail
STATE=${1:-cpu1}
case ${STATE%-max} in
    cpu1) CRASH=1 BUSY=0 ;;
    cpu0) CRASH=0 BUSY=1 ;;
    *) echo "unknown state $STATE"; exit 2 ;;
esac
# STATE-max: QEMU's max CPU without LPA2 (FEAT_E0PD, so no KPTI; PAN, BTI, PAC)
case $STATE in *-max) CPU=${CPU:-max,lpa2=off,pauth-impdef=on} ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$HERE/../lib
BIG=${BIG:-/work/big/kdump-panic-arm64}
K=$BIG/kernel
OUT=$BIG/$STATE
CPU=${CPU:-cortex-a72}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-2400}
mkdir -p "$K/debs" "$K/user-debs" "$OUT"
TIMINGS=$OUT/timings.txt
: >"$TIMINGS"
. "$LIB/kdump-run.sh"   # step, done_, kdump_*, and lib/capture.sh's need_pkgs, stock_kernel

# ------------------------------------------------------------ 1. packages and kernel (once)
step "packages, download, unpack, System.map"
need_pkgs qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu \
          e2fsprogs kmod cpio python3 zstd
dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update; }
KVER=${KVER:-$(stock_kver linux-image-arm64:arm64)}
[ -n "$KVER" ] || { echo "no KVER: run apt-get update"; exit 1; }
echo "kernel: $KVER"
stock_kernel "$K" "$KVER" :arm64   # IMG_DEB, PKG, VMLINUX
# Debian's arm64 vmlinuz is a plain Image; gunzip it should a package ship it compressed.
if gzip -t "$PKG/boot/vmlinuz-$KVER" 2>/dev/null; then zcat "$PKG/boot/vmlinuz-$KVER" >"$K/Image"
else cp "$PKG/boot/vmlinuz-$KVER" "$K/Image"; fi
# The guest's user space: arm64 .debs, unpacked (never installed) into $K/sysroot.
USER_PKGS=(busybox-static kexec-tools makedumpfile libc6 zlib1g libdw1 libelf1 liblzo2-2 libbz2-1.0
           liblzma5 libzstd1 libxenmisc4.17 libext2fs2 libfdt1 libuuid1 libyajl2 libxencall1
           libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
           libxenstore4 libxentoollog1 libxentoolcore1)
cd "$K/user-debs"
for p in "${USER_PKGS[@]}"; do
    ls "${p}"_*_arm64.deb >/dev/null 2>&1 || apt-get download "$p:arm64"
done
if [ ! -d "$K/sysroot" ]; then
    mkdir -p "$K/sysroot"
    for d in "$K"/user-debs/*_arm64.deb; do dpkg-deb -x "$d" "$K/sysroot"; done
fi
done_

# ------------------------------------------------------------ 2. initramfs (both kernels)
step "initramfs"
SYS=$K/sysroot
ROOT=$K/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,mnt,tmp,lib/modules}
cp "$SYS/bin/busybox" "$ROOT/bin/busybox"
aarch64-linux-gnu-gcc -static -O2 -Wall -DSPINNER -o "$ROOT/bin/spinner" "$HERE/../kdump-panic/tasks.c"
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$ROOT/bin/crasher" "$HERE/../kdump-panic/tasks.c"
# kexec and makedumpfile with every library their DT_NEEDED name, recursively
# (no ldd for a foreign architecture), found in the sysroot's multiarch folders.
find_lib() { local d; for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib; do
                 [ -e "$SYS/$d/$1" ] && { echo "$d/$1"; return; }; done; echo "missing $1" >&2; exit 1; }
copy_needed() {
    local n rel
    for n in $(aarch64-linux-gnu-readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        rel=$(find_lib "$n")
        [ -e "$ROOT/$rel" ] && continue
        mkdir -p "$ROOT/$(dirname "$rel")"
        cp -L "$SYS/$rel" "$ROOT/$rel"
        copy_needed "$SYS/$rel"
    done
}
for b in sbin/kexec usr/bin/makedumpfile usr/sbin/makedumpfile; do
    [ -f "$SYS/$b" ] || continue
    cp "$SYS/$b" "$ROOT/sbin/"
    copy_needed "$SYS/$b"
done
INTERP=$(aarch64-linux-gnu-readelf -l "$SYS/sbin/kexec" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
mkdir -p "$ROOT$(dirname "$INTERP")"
cp -L "$SYS$INTERP" "$ROOT$INTERP"
MODDIR=$PKG/lib/modules/$KVER
. "$LIB/modules.sh"   # add_module
: >"$ROOT/lib/modules/order"
for m in qemu_fw_cfg crc32c_generic virtio_pci virtio_blk virtio_console ext4; do add_module "$m"; done
# _stext - _text (see init.sh: kexec-tools needs _text, which /proc/kallsyms lacks)
mkdir -p "$ROOT/etc"
awk '$3 == "_text" {t = $1} $3 == "_stext" {s = $1} END {print t, s}' "$K/System.map" \
    | { read -r t s; printf '%x\n' $(( 0x$s - 0x$t )); } >"$ROOT/etc/text-delta"
kdump_pack "$ROOT" "$HERE/init.sh" "$K/initrd.gz" -R 0:0
done_

# ------------------------------------------------------------ 3. disk: capture kernel in, dump out
step "disk image"
kdump_disk "$OUT" "$K/Image" "$K/initrd.gz"
done_

# ------------------------------------------------------------ 4. boot, truth, panic, capture
qemu_one_at_a_time
SERIAL=$OUT/serial.log
QSOCK=$OUT/qmp.sock GSOCK=$OUT/gdb.sock RSOCK=$OUT/release.sock
rm -f "$SERIAL" "$QSOCK" "$GSOCK" "$RSOCK" "$OUT"/ttbr-cpu*.txt "$OUT"/info-registers.txt
APPEND="console=ttyAMA0 crashkernel=256M kdp_crash=$CRASH kdp_busy=$BUSY"
QEMU=(timeout "$QEMU_TIMEOUT" qemu-system-aarch64 -accel tcg -M virt -cpu "$CPU" -m 2G -smp 2
      -kernel "$K/Image" -initrd "$K/initrd.gz" -append "$APPEND" -device vmcoreinfo
      -drive "file=$OUT/disk.img,format=raw,if=none,id=disk" -device virtio-blk-pci,drive=disk
      -device virtio-serial-pci -chardev "socket,id=release,path=$RSOCK,server=on,wait=off"
      -device virtserialport,chardev=release,name=release
      -display none -no-reboot -serial "file:$SERIAL"
      -qmp "unix:$QSOCK,server=on,wait=off" -gdb "unix:$GSOCK,server=on,wait=off")
# The crasher's and the busy task's pids, read once READY is out.
field0() { tr -d '\r' <"$SERIAL" | sed -n "s/^$1 .*\bpid=\([0-9]*\).*/\1/p" | head -1; }
truth() { python3 "$HERE/truth.py" "$QSOCK" "$GSOCK" "$RSOCK" "$OUT" "$CRASH=$(field0 READY)" "$BUSY=$(field0 BUSY)"; }
kdump_boot "$OUT" 1200 truth -- "${QEMU[@]}"
qemu-system-aarch64 --version | head -1 >>"$OUT/qemu-cmd.txt"
rm -f "$QSOCK" "$GSOCK" "$RSOCK"

# ------------------------------------------------------------ 5. outputs
step "debugfs rdump"
kdump_collect "$OUT" "$SERIAL"
done_
field() { sed -n "s/^$1 .*\b$2=\([^ ]*\).*/\1/p" "$OUT/serial-first.log" | head -1; }
cat >"$OUT/paths.txt" <<P
vmlinux    $VMLINUX
System.map $K/System.map
Image      $K/Image
initrd     $K/initrd.gz
kernel     $KVER ($(dpkg-deb -f "$IMG_DEB" Version))
build-id   vmlinux $(aarch64-linux-gnu-readelf -n "$VMLINUX" | sed -n 's/.*Build ID: //p' | head -1), dump $(python3 "$LIB/elfcore.py" "$OUT/vmcore.elf" | sed -n 's/^BUILD-ID=//p')
P
{
    echo "state         $STATE"
    echo "kernel        $KVER"
    echo "cmdline       $APPEND"
    echo "qemu-cpu      $CPU"
    echo "meltdown      $(sed -n 's/^kpti: //p' "$OUT/serial-first.log")"
    echo "_text         $(awk '$3 == "_text" {print $1}' "$OUT/serial-first.log")"
    echo "crasher       pid=$(field READY pid) comm=$(field READY comm) cpu=$(field READY cpu) (panicking CPU)"
    echo "busy          pid=$(field BUSY pid) comm=$(field BUSY comm) cpu=$(field BUSY cpu)"
    for r in "$OUT"/ttbr-cpu*.txt; do
        n=${r##*ttbr-cpu}; n=${n%.txt}
        v() { awk -v k="$1" '$1 == k {print $2}' "$r"; }
        echo "cpu$n          TTBR0_EL1=$(v TTBR0_EL1) TTBR1_EL1=$(v TTBR1_EL1) TCR_EL1=$(v TCR_EL1) EL=$(( ($(v cpsr) >> 2) & 3 )) CONTEXTIDR_EL1=$(( $(v CONTEXTIDR_EL1) ))"
    done
} | tee "$OUT/truth.txt"
python3 "$HERE/../kdump-panic/check-truth.py" "$OUT" | tee "$OUT/check-truth.txt" || true
ls -la "$OUT" | tee "$OUT/ls.txt"
