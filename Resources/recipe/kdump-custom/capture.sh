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
step() { STEP=$1; T0=$(date +%s); echo "== $STEP"; }
done_() { printf '%-40s %5d s\n' "$STEP" $(( $(date +%s) - T0 )) | tee -a "$TIMINGS"; }

# ------------------------------------------------------------ 1. packages, kernel
step "packages, kernel"
NEED=()
for p in qemu-system-x86 busybox-static kexec-tools makedumpfile e2fsprogs binutils gcc \
         libc6-dev cpio python3 zstd; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || NEED+=("$p")
done
if [ ${#NEED[@]} -gt 0 ]; then
    apt-get -o DPkg::Lock::Timeout=900 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y "${NEED[@]}"
fi
[ -f "$BUILD/arch/x86/boot/bzImage" ] || "$HERE/build-kernel.sh" "$BUILD"
cp "$BUILD/arch/x86/boot/bzImage" "$K/vmlinuz"
done_

# ------------------------------------------------------------ 2. initramfs (both kernels)
step "initramfs"
ROOT=$K/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,mnt,tmp}
cp /bin/busybox "$ROOT/bin/busybox"
gcc -static -O2 -Wall -DSPINNER -o "$ROOT/bin/spinner" "$PANIC/tasks.c"
gcc -static -O2 -Wall -o "$ROOT/bin/ptcrasher" "$HERE/ptcrasher.c"
for b in /usr/sbin/kexec /usr/bin/makedumpfile; do
    cp "$b" "$ROOT/sbin/"
    for l in $(ldd "$b" | grep -o '/[^ ]*'); do
        mkdir -p "$ROOT$(dirname "$l")"
        cp -L "$l" "$ROOT$l"
    done
done
cp "$HERE/init.sh" "$ROOT/init"
mkdir -p "$ROOT/lib" && cp "$LIB/kdump-capture.sh" "$ROOT/lib/"
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | sort | cpio -o -H newc --quiet | gzip -9) >"$K/initrd.gz"
done_

# ------------------------------------------------------------ 3. disk
step "disk image"
. "$LIB/kdump-run.sh"   # kdump_disk, kdump_wait_for_qemu, kdump_collect
kdump_disk "$OUT" "$K/vmlinuz" "$K/initrd.gz"
done_

# ------------------------------------------------------------ 4. boot, truth, print, panic, capture
kdump_wait_for_qemu
SERIAL=$OUT/serial.log
QSOCK=$OUT/qmp.sock RSOCK=$OUT/release.sock
rm -f "$SERIAL" "$QSOCK" "$RSOCK" "$OUT"/regs-cpu*.txt "$OUT"/tlb-cpu*.txt
APPEND="console=ttyS0 crashkernel=256M $PTI kdp_crash=$CRASH kdp_busy=$BUSY"
QEMU=(timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -M q35 -cpu "$CPU" -m 2G -smp 2
      -kernel "$K/vmlinuz" -initrd "$K/initrd.gz" -append "$APPEND"
      -device vmcoreinfo -drive "file=$OUT/disk.img,format=raw,if=virtio"
      -display none -no-reboot -serial "file:$SERIAL"
      -chardev "socket,id=release,path=$RSOCK,server=on,wait=off" -serial chardev:release
      -qmp "unix:$QSOCK,server=on,wait=off")
printf '%q ' "${QEMU[@]}" >"$OUT/qemu-cmd.txt"; echo >>"$OUT/qemu-cmd.txt"
step "boot to READY (crasher armed)"
. "$LIB/wait-ready.sh"   # boot_until_ready: QPID, EXIT trap
boot_until_ready "$SERIAL" 900 "${QEMU[@]}"
done_
sleep 3
step "truth (stop, info registers/tlb per CPU, cont, release)"
python3 "$PANIC/truth.py" "$QSOCK" "$RSOCK" "$OUT" | tee "$OUT/truth-qmp.txt"
done_
step "print tables, panic, capture kernel, dumps, power-off"
wait "$QPID" || echo "QEMU exit status $? (124 = timeout)"
trap - EXIT
done_
rm -f "$QSOCK" "$RSOCK"

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
build-id   vmlinux $(readelf -n "$BUILD/vmlinux" | sed -n 's/.*Build ID: //p' | head -1), dump $(python3 "$LIB/elfnotes.py" "$OUT/vmcore.elf" | sed -n 's/^BUILD-ID=//p')
P
{
    echo "state         $STATE"
    echo "kernel        $(cat "$BUILD/include/config/kernel.release")"
    echo "cmdline       $APPEND"
    echo "meltdown      $(sed -n 's/^meltdown: //p' "$OUT/serial-first.log")"
    echo "_text         $(awk '$3 == "_text" {print $1}' "$OUT/serial-first.log")"
    echo "crasher       pid=$(field READY pid) comm=$(field READY comm) cpu=$(field READY cpu) (panicking CPU)"
    echo "busy          pid=$(field BUSY pid) comm=$(field BUSY comm) cpu=$(field BUSY cpu)"
    for r in "$OUT"/regs-cpu*.txt; do
        n=${r##*regs-cpu}; n=${n%.txt}
        cr3=$(sed -n 's/.*\bCR3=\([0-9a-f]*\).*/\1/p' "$r")
        pgd=kernel; [ -n "$PTI" ] && (( 0x$cr3 & 0x1000 )) && pgd="PTI user copy"
        echo "cpu$n          $(grep -o '\bCR[34]=[0-9a-f]*' "$r" | tr '\n' ' ')$(grep -o '\bCPL=[0-9]' "$r") tlb-lines=$(wc -l <"$OUT/tlb-cpu$n.txt") pgd=$pgd"
    done
} | tee "$OUT/truth.txt"
grep -a '^READINGS' "$OUT/serial-first.log" | tee "$OUT/readings.txt"
ls -la "$OUT" "$OUT/page_tables" | tee "$OUT/ls.txt"
