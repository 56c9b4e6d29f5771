#!/bin/bash
# Boot Debian's stock 7.2 arm64 kernel (trixie-backports; 4K pages, VA_BITS=52 with
# LPA2, KASLR, DEBUG_WX=y, no PTDUMP_DEBUGFS) under QEMU/TCG with no firmware, and take
# an ELF dump with VMCOREINFO plus the MMU registers (gdb stub). Adapted from
# ../debian-stock-arm64/capture.sh (6.12); see README.md beside this file.
#
# Env (all optional):
#   WORK  unpacked kernel (fetch.sh's WORK)      default /work/big/stock-7.2/arm64
#   OUT   the capture (emptied)                  default $WORK/capture-max
#   KVER  default 7.2.12+deb13-arm64
#   CPU (max)  MEM (1G)  APPEND ("console=ttyAMA0 loglevel=1 panic=-1")  READY_TIMEOUT (600)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
KVER=${KVER:-7.2.12+deb13-arm64}
WORK=${WORK:-/work/big/stock-7.2/arm64}
OUT=${OUT:-$WORK/capture-max}
CPU=${CPU:-max}
MEM=${MEM:-1G}
APPEND=${APPEND:-console=ttyAMA0 loglevel=1 panic=-1}
READY_TIMEOUT=${READY_TIMEOUT:-600}

need=()
for p in qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu \
         python3 cpio gzip xz-utils zstd kmod bc; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get -o DPkg::Lock::Timeout=900 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y "${need[@]}"
fi

"$HERE/fetch.sh" arm64 "$KVER" "$WORK"
PKG=$WORK/pkg
VMLINUX=$PKG/usr/lib/debug/lib/modules/$KVER/vmlinux

# ---- initramfs: /init = modload.c (insmod qemu_fw_cfg, exec /init2), /init2 = init.c
ROOT=$WORK/initramfs
rm -rf "$ROOT"; mkdir -p "$ROOT"/{dev,proc,sys,lib/modules}
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$ROOT/init" "$HERE/../debian-stock-arm64/modload.c"
aarch64-linux-gnu-gcc -static -O2 -Wall -DINIT_DMESG -I"$HERE/../lib" -o "$ROOT/init2" "$HERE/../lib/init.c"
mknod "$ROOT/dev/console" c 5 1
MODDIR=$PKG/usr/lib/modules/$KVER
: > "$ROOT/lib/modules/order"
. "$HERE/../lib/modules.sh"   # add_module
grep -q '^CONFIG_FW_CFG_SYSFS=m' "$WORK/config" && add_module qemu_fw_cfg
rm -rf "$OUT"; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
(cd "$ROOT" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -9) > "$OUT/initrd.cpio.gz"

# ---- boot (one QEMU at a time), wait for READY, then ../arm64/qmp.py: stop,
# info registers, system registers through the gdb stub (mmu-regs.txt), dump, quit.
for _ in $(seq 1 180); do
    pgrep -f '^qemu-system' >/dev/null || break
    echo "another QEMU is running; waiting"; sleep 10
done
SOCK=$OUT/qmp.sock GSOCK=$OUT/gdb.sock
QEMU=(qemu-system-aarch64 -accel tcg -M virt -cpu "$CPU" -m "$MEM" -smp 1
      -kernel "$WORK/Image" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -gdb "unix:$GSOCK,server=on,wait=off" -no-reboot)
{ python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "${QEMU[@]}"
  qemu-system-aarch64 --version | head -1; } > "$OUT/qemu-cmd.txt"
t0=$(date +%s.%N)
. "$HERE/../lib/capture.sh"
boot_until_ready "$OUT/serial.log" "$READY_TIMEOUT" "${QEMU[@]}"
t1=$(date +%s.%N)
python3 "$HERE/../arm64/qmp.py" "$SOCK" "$OUT" "$GSOCK" | tee "$OUT/qmp.log"
wait $QPID || true
trap - EXIT
t2=$(date +%s.%N)
rm -f "$SOCK" "$GSOCK"
chmod a+r "$OUT/vmcore.elf"

# ---- extract (no kernel_page_tables on this kernel: extract.py's complaint is expected)
python3 "$HERE/../lib/extract.py" arm64 "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" || true
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' | tee "$OUT/init-messages.txt" || true
grep -a 'W+X' "$OUT/dmesg.txt" > "$OUT/wx-check.txt" || echo "no W+X line in dmesg"
python3 "$HERE/../lib/elfcore.py" "$OUT/vmcore.elf" > "$OUT/vmcoreinfo-note.txt" || echo "NO VMCOREINFO note"
ln -sfn "$VMLINUX" "$OUT/vmlinux"; ln -sfn "$WORK/System.map" "$OUT/System.map"
cp "$WORK/config" "$OUT/config"; cp "$WORK/package-versions.txt" "$OUT/"
echo "$KVER" > "$OUT/kver.txt"
{ printf 'boot to READY: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
  printf 'capture (stop, registers, sysregs, dump, quit): %.1f s\n' "$(echo "$t2 - $t1" | bc)"; } | tee "$OUT/timings.txt"
fail=0
[ "$(sed -n 's/^OSRELEASE=//p' "$OUT/vmcoreinfo-note.txt")" = "$KVER" ] || { echo "FAIL: OSRELEASE"; fail=1; }
bid_v=$(aarch64-linux-gnu-readelf -n "$VMLINUX" | sed -n 's/.*Build ID: //p' | head -1)
bid_d=$(sed -n 's/^BUILD-ID=//p' "$OUT/vmcoreinfo-note.txt")
echo "build-id: vmlinux $bid_v, dump $bid_d"
[ -n "$bid_d" ] && [ "${bid_v#"$bid_d"}" != "$bid_v" ] || { echo "FAIL: build-id"; fail=1; }
grep -E '^(OSRELEASE|KERNELOFFSET|NUMBER\((VA_BITS|TCR_EL1_T1SZ|kimage_voffset|PHYS_OFFSET)\)|PAGESIZE)=' "$OUT/vmcoreinfo-note.txt" || true
grep -a -e 'LPA2' -e 'KASLR' "$OUT/dmesg.txt" || true
cat "$OUT/mmu-regs.txt" | grep -E '^(TTBR|TCR)'
cat "$OUT/wx-check.txt" || true
ls -l "$OUT/vmcore.elf"
[ $fail = 0 ] && echo "capture OK" || { echo "capture FAILED checks"; exit 1; }
