#!/bin/bash
# A real panic of the kdump-custom kernel (build-kernel.sh: 6.1 with ptdump, BTF,
# KALLSYMS, KASLR, kdump built in), caught by a real capture kernel (kexec -p,
# crashkernel=256M) under QEMU/TCG. Just before the panic the crasher prints the
# kernel's own page_tables/{kernel,current_kernel,current_user} (read on its own
# CPU, into buffers, before printing) on the serial console. See README.md.
#
# Usage: capture.sh STATE     STATE: nopti-cpu0 | pti-cpu0 | nopti-cpu1 | pti-cpu1
#   (pti=on or nothing; cpuN: the crasher's CPU, the spinner runs on the other)
# Environment: BIG (default /work/big/kdump-custom), BUILD (default $BIG/build),
#   CPU (QEMU -cpu, default max,-la57), QEMU_TIMEOUT (s, default 1800),
#   KEEP_DISK=1 keeps STATE/disk.img.
set -euo pipefail
STATE=${1:?usage: capture.sh nopti-cpu0|pti-cpu0|nopti-cpu1|pti-cpu1}
case $STATE in
    nopti-cpu0) PTI=""       CRASH=0 BUSY=1 ;;
    pti-cpu0)   PTI="pti=on" CRASH=0 BUSY=1 ;;
    nopti-cpu1) PTI=""       CRASH=1 BUSY=0 ;;
    pti-cpu1)   PTI="pti=on" CRASH=1 BUSY=0 ;;
    *) echo "unknown state $STATE"; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$HERE/../lib
PANIC=$HERE/../kdump-panic
BIG=${BIG:-/work/big/kdump-custom}
BUILD=${BUILD:-$BIG/build}
K=$BIG/kernel
OUT=$BIG/$STATE
CPU=${CPU:-max,-la57}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-1800}
mkdir -p "$K" "$OUT"
TIMINGS=$OUT/timings.txt
: >"$TIMINGS"
. "$LIB/kdump-run.sh"   # step, done_, kdump_*, and lib/capture.sh's need_pkgs

# ------------------------------------------------------------ 1. packages, kernel
step "packages, kernel"
need_pkgs qemu-system-x86 busybox-static kexec-tools makedumpfile e2fsprogs binutils gcc \
          libc6-dev cpio python3 zstd
[ -f "$BUILD/arch/x86/boot/bzImage" ] || "$HERE/build-kernel.sh" "$BUILD"
cp "$BUILD/arch/x86/boot/bzImage" "$K/vmlinuz"
done_

# ------------------------------------------------------------ 2. initramfs (both kernels)
step "initramfs"
ROOT=$K/initramfs
rm -rf "$ROOT"
kdump_userland "$ROOT"
gcc -static -O2 -Wall -DSPINNER -o "$ROOT/bin/spinner" "$PANIC/tasks.c"
gcc -static -O2 -Wall -o "$ROOT/bin/ptcrasher" "$HERE/ptcrasher.c"
kdump_pack "$ROOT" "$HERE/init.sh" "$K/initrd.gz"
done_

# ------------------------------------------------------------ 3. disk, boot, truth, panic, capture
APPEND="console=ttyS0 crashkernel=256M $PTI kdp_crash=$CRASH kdp_busy=$BUSY"
SERIAL=$OUT/serial.log
kdump_x86 "$OUT" "$K" "$APPEND" "$PANIC/truth.py"

# ------------------------------------------------------------ 5. outputs
step "debugfs rdump"
kdump_collect "$OUT" "$SERIAL"
done_
python3 "$HERE/extract.py" "$OUT/serial-first.log" "$OUT/page_tables"
field() { sed -n "s/^$1 .*\b$2=\([^ ]*\).*/\1/p" "$OUT/serial-first.log" | head -1; }
cat >"$OUT/paths.txt" <<P
vmlinux    $BUILD/vmlinux
System.map $BUILD/System.map
vmlinuz    $K/vmlinuz
initrd     $K/initrd.gz
kernel     $(cat "$BUILD/include/config/kernel.release") (Debian linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1))
build-id   vmlinux $(readelf -n "$BUILD/vmlinux" | sed -n 's/.*Build ID: //p' | head -1), dump $(python3 "$LIB/elfcore.py" "$OUT/vmcore.elf" | sed -n 's/^BUILD-ID=//p')
P
{
    echo "state         $STATE"
    echo "kernel        $(cat "$BUILD/include/config/kernel.release")"
    echo "cmdline       $APPEND"
    echo "meltdown      $(sed -n 's/^meltdown: //p' "$OUT/serial-first.log")"
    echo "_text         $(awk '$3 == "_text" {print $1}' "$OUT/serial-first.log")"
    echo "crasher       pid=$(field READY pid) comm=$(field READY comm) cpu=$(field READY cpu) (panicking CPU)"
    echo "busy          pid=$(field BUSY pid) comm=$(field BUSY comm) cpu=$(field BUSY cpu)"
    kdump_x86_cpus "$OUT" "$PTI"
} | tee "$OUT/truth.txt"
grep -a '^READINGS' "$OUT/serial-first.log" | tee "$OUT/readings.txt"
ls -la "$OUT" "$OUT/page_tables" | tee "$OUT/ls.txt"
