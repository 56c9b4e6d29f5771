#!/bin/bash
# Boot Debian 12's stock arm64 kernel (linux-image-KVER-unsigned, KASLR on, no
# PTDUMP_DEBUGFS, DEBUG_WX=y) under QEMU/TCG and take an ELF memory dump with a
# VMCOREINFO note. See README.md beside this file.
#
# Env (all optional):
#   WORK   downloads, unpacked packages, capture   (default /work/big/debian-arm64)
#   OUT    the capture                              (default $WORK/capture)
#   KVER   e.g. 6.12.117+deb12-arm64  (default: newest linux-image-6.12.*-arm64-unsigned apt knows)
#   DBG    1: also fetch the -dbg package (1 GB) for vmlinux and System.map (default 1)
#   CPU    QEMU -cpu (default max)    MEM  QEMU -m (default 1G)
#   APPEND kernel command line (default "console=ttyAMA0 loglevel=1 panic=-1")
#   READY_TIMEOUT seconds (default 600)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/work/big/debian-arm64}
OUT=${OUT:-$WORK/capture}
DBG=${DBG:-1}
CPU=${CPU:-max}
MEM=${MEM:-1G}
APPEND=${APPEND:-console=ttyAMA0 loglevel=1 panic=-1}
READY_TIMEOUT=${READY_TIMEOUT:-600}

. "$HERE/../lib/capture.sh"   # need_pkgs, qemu_capture, write_timings, vmcoreinfo_note
need_pkgs qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu \
          python3 cpio gzip xz-utils kmod bc

# ---- 1. download (arm64 packages: dpkg --add-architecture arm64 once)
if [ -z "${KVER:-}" ]; then
    dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update; }
    KVER=$(apt-cache search 'linux-image-6\.12\..*-arm64-unsigned' | awk '{print $1}' \
           | grep -v -e cloud -e '-rt-' | sed 's/^linux-image-//;s/-unsigned$//' | sort -V | tail -1)
fi
[ -n "$KVER" ] || { echo "no KVER"; exit 1; }
echo "kernel: $KVER"
mkdir -p "$WORK/debs" "$WORK/pkg"
cd "$WORK/debs"
pkgs=("linux-image-$KVER-unsigned"); [ "$DBG" = 1 ] && pkgs+=("linux-image-$KVER-dbg")
for p in "${pkgs[@]}"; do
    ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p:arm64"
done
PKG=$WORK/pkg
[ -f "$PKG/boot/vmlinuz-$KVER" ] || \
    dpkg-deb --fsys-tarfile linux-image-"$KVER"-unsigned_*.deb | tar -C "$PKG" -x ./boot ./lib/modules
# The package's /boot/System.map is an 83-byte placeholder; the real symbols come
# from the -dbg vmlinux.
VMLINUX=$PKG/usr/lib/debug/boot/vmlinux-$KVER
if [ "$DBG" = 1 ]; then
    [ -f "$VMLINUX" ] || dpkg-deb --fsys-tarfile linux-image-"$KVER"-dbg_*.deb \
        | tar -C "$PKG" -x --wildcards './usr/lib/debug/boot/vmlinux-*'
    [ -s "$WORK/System.map" ] && [ "$WORK/System.map" -nt "$VMLINUX" ] || \
        aarch64-linux-gnu-nm -n "$VMLINUX" > "$WORK/System.map"
fi
# Debian's arm64 vmlinuz is a plain (uncompressed) Image with the EFI stub header;
# gunzip it if a later package ships it compressed.
IMAGE=$WORK/Image
if gzip -t "$PKG/boot/vmlinuz-$KVER" 2>/dev/null; then zcat "$PKG/boot/vmlinuz-$KVER" > "$IMAGE"
else cp "$PKG/boot/vmlinuz-$KVER" "$IMAGE"; fi

# ---- 2. initramfs: /init = modload.c (insmod qemu_fw_cfg), /init2 = ../lib/init.c
ROOT=$WORK/initramfs
rm -rf "$ROOT"; mkdir -p "$ROOT"/{dev,proc,sys,lib/modules}
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$ROOT/init" "$HERE/modload.c"
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$ROOT/init2" "$HERE/../lib/init.c"
mknod "$ROOT/dev/console" c 5 1
MODDIR=$PKG/lib/modules/$KVER
: > "$ROOT/lib/modules/order"
. "$HERE/../lib/modules.sh"   # add_module
grep -q '^CONFIG_FW_CFG_SYSFS=m' "$PKG/boot/config-$KVER" && add_module qemu_fw_cfg
rm -rf "$OUT"; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
(cd "$ROOT" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -9) > "$OUT/initrd.cpio.gz"

# ---- 3. boot, wait for READY, dump (../lib/qmp_client.py: stop, registers, gdb-stub sysregs, dump, quit)
SOCK=$OUT/qmp.sock GSOCK=$OUT/gdb.sock
QEMU=(qemu-system-aarch64 -accel tcg -M virt -cpu "$CPU" -m "$MEM" -smp 1
      -kernel "$IMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -gdb "unix:$GSOCK,server=on,wait=off" -no-reboot)
qemu_capture "$OUT" "$READY_TIMEOUT" python3 "$HERE/../lib/qmp_client.py" "$SOCK" "$OUT" regs sysregs -- "${QEMU[@]}"
qemu-system-aarch64 --version | head -1 >> "$OUT/qemu-cmd.txt"
rm -f "$SOCK" "$GSOCK"

# ---- 4. extract (no kernel_page_tables on this kernel: extract.py's complaint is expected)
python3 "$HERE/../lib/extract.py" arm64 "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" || true
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' | tee "$OUT/init-messages.txt" || true
grep -a 'W+X' "$OUT/dmesg.txt" > "$OUT/wx-check.txt" || echo "no W+X line in dmesg"
vmcoreinfo_note "$OUT" || echo "NO VMCOREINFO note"
ln -sfn "$IMAGE" "$OUT/Image"; cp "$PKG/boot/config-$KVER" "$OUT/config"
[ "$DBG" = 1 ] && { ln -sfn "$VMLINUX" "$OUT/vmlinux"; ln -sfn "$WORK/System.map" "$OUT/System.map"; }
echo "$KVER" > "$OUT/kver.txt"
write_timings "$OUT" "stop, registers, sysregs, dump, quit"
grep -E '^(OSRELEASE|KERNELOFFSET|NUMBER\((VA_BITS|TCR_EL1_T1SZ|kimage_voffset|PHYS_OFFSET)\)|PAGESIZE)=' "$OUT/vmcoreinfo-note.txt" || true
cat "$OUT/wx-check.txt" 2>/dev/null || true
ls -l "$OUT/vmcore.elf"
