#!/bin/bash
# Boot Debian's stock 7.2 amd64 kernel (trixie-backports, KASLR on, DEBUG_WX=y, no
# PTDUMP_DEBUGFS) under QEMU/TCG, stop it once and capture `info registers -a`,
# `info tlb` (CPU 0's CR3) and an ELF dump with VMCOREINFO. Adapted from
# ../debian-stock/capture.sh (6.1); see README.md beside this file.
#
# Env (all optional):
#   WORK  unpacked kernel (fetch.sh's WORK)      default /work/big/stock-7.2/amd64
#   OUT   the capture (emptied)                  default $WORK/capture-4level
#   KVER  default 7.2.12+deb13-amd64
#   CPU (max,-la57)  MEM (2G)  SMP (2)  APPEND ("console=ttyS0 loglevel=3")
#   BOOT_TIMEOUT seconds (600)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
KVER=${KVER:-7.2.12+deb13-amd64}
WORK=${WORK:-/work/big/stock-7.2/amd64}
OUT=${OUT:-$WORK/capture-4level}
CPU=${CPU:-max,-la57}
MEM=${MEM:-2G}
SMP=${SMP:-2}
APPEND=${APPEND:-console=ttyS0 loglevel=3}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}

need=()
for p in qemu-system-x86 gcc libc6-dev cpio gzip xz-utils zstd kmod python3 bc binutils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get -o DPkg::Lock::Timeout=900 update
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y "${need[@]}"
fi

"$HERE/fetch.sh" amd64 "$KVER" "$WORK"
PKG=$WORK/pkg
VMLINUX=$PKG/usr/lib/debug/lib/modules/$KVER/vmlinux

# ---- initramfs: /init = modload.c (insmod qemu_fw_cfg, exec /init2), /init2 = init.c
ROOT=$WORK/initramfs
rm -rf "$ROOT"; mkdir -p "$ROOT"/{dev,proc,sys,lib/modules}
gcc -static -O2 -Wall -o "$ROOT/init" "$HERE/../debian-stock-arm64/modload.c"
gcc -static -O2 -Wall -DINIT_DMESG -I"$HERE/../lib" -o "$ROOT/init2" "$HERE/../lib/init.c"
mknod "$ROOT/dev/console" c 5 1
MODDIR=$PKG/usr/lib/modules/$KVER
: > "$ROOT/lib/modules/order"
. "$HERE/../lib/modules.sh"   # add_module
grep -q '^CONFIG_FW_CFG_SYSFS=m' "$WORK/config" && add_module qemu_fw_cfg
rm -rf "$OUT"; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
(cd "$ROOT" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -9) > "$OUT/initrd.cpio.gz"

# ---- boot (one QEMU at a time on this shared 2-core machine)
for _ in $(seq 1 180); do
    pgrep -f '^qemu-system' >/dev/null || break
    echo "another QEMU is running; waiting"; sleep 10
done
SOCK=$OUT/qmp.sock
QEMU=(qemu-system-x86_64 -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      -kernel "$WORK/vmlinuz" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
{ python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "${QEMU[@]}"
  qemu-system-x86_64 --version | head -1; } > "$OUT/qemu-cmd.txt"
t0=$(date +%s.%N)
. "$HERE/../lib/capture.sh"
boot_until_ready "$OUT/serial.log" "$BOOT_TIMEOUT" "${QEMU[@]}"
t1=$(date +%s.%N)
sleep 2   # let the guest settle into its idle loop
python3 "$HERE/../lib/qmp_client.py" "$SOCK" "$OUT" regs tlb0 | tee "$OUT/qmp.log"
wait $QPID || true
trap - EXIT
t2=$(date +%s.%N)
rm -f "$SOCK"
chmod a+r "$OUT/vmcore.elf"

# ---- extract: maps, cmdline, dmesg, vmcoreinfo (no page_tables on this kernel:
# extract.py's complaint about a missing kernel_page_tables is expected)
python3 "$HERE/../lib/extract.py" x86_64 "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" || true
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' | tee "$OUT/init-messages.txt" || true
grep -a -e 'W+X' -e 'Checking user space page tables' "$OUT/dmesg.txt" > "$OUT/wx-check.txt" || echo "no W+X line in dmesg"
python3 "$HERE/../lib/elfcore.py" "$OUT/vmcore.elf" > "$OUT/vmcoreinfo-note.txt" || echo "NO VMCOREINFO note"
ln -sfn "$VMLINUX" "$OUT/vmlinux"; ln -sfn "$WORK/System.map" "$OUT/System.map"
cp "$WORK/config" "$OUT/config"; cp "$WORK/package-versions.txt" "$OUT/"
echo "$KVER" > "$OUT/kver.txt"
{ printf 'boot to READY: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
  printf 'capture (stop, registers, info tlb, dump, quit): %.1f s\n' "$(echo "$t2 - $t1" | bc)"; } | tee "$OUT/timings.txt"

# ---- checks: VMCOREINFO, release and build-id match the -dbg vmlinux; the dump's own
# tables give every info tlb line's physical address (walkcheck.py, 4 or 5 levels).
fail=0
[ "$(sed -n 's/^OSRELEASE=//p' "$OUT/vmcoreinfo-note.txt")" = "$KVER" ] || { echo "FAIL: OSRELEASE"; fail=1; }
bid_v=$(readelf -n "$VMLINUX" | sed -n 's/.*Build ID: //p' | head -1)
bid_d=$(sed -n 's/^BUILD-ID=//p' "$OUT/vmcoreinfo-note.txt")
echo "build-id: vmlinux $bid_v, dump $bid_d"
[ -n "$bid_d" ] && [ "${bid_v#"$bid_d"}" != "$bid_v" ] || { echo "FAIL: build-id"; fail=1; }
grep -q '^ff' "$OUT/info-tlb.txt" || { echo "FAIL: info-tlb has no kernel addresses"; fail=1; }
python3 "$HERE/../debian-stock/walkcheck.py" "$OUT" | tee "$OUT/walkcheck.txt" || { echo "FAIL: walkcheck"; fail=1; }
grep -E '^(OSRELEASE|KERNELOFFSET|NUMBER\((phys_base|pgtable_l5_enabled)\))=' "$OUT/vmcoreinfo-note.txt" || true
grep -o 'CR[34]=[0-9a-f]*' "$OUT/info-registers.txt" | tr '\n' ' '; echo
echo "info tlb lines: $(wc -l < "$OUT/info-tlb.txt")"
cat "$OUT/wx-check.txt" || true
ls -l "$OUT/vmcore.elf"
[ $fail = 0 ] && echo "capture OK" || { echo "capture FAILED checks"; exit 1; }
