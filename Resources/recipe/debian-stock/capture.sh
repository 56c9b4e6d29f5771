#!/bin/bash
# Capture a memory dump of Debian 12's stock amd64 kernel (KASLR on) under QEMU/TCG,
# together with QEMU's `info tlb` and `info registers -a`, and the matching vmlinux
# (DWARF) from the -dbg package. See README.md beside this file.
#
# Environment (all optional):
#   WORK   where the packages are downloaded and unpacked   (default /work/big/debian-stock)
#   OUT    where the capture goes                            (default $WORK)
#   KVER   kernel ABI, e.g. 6.1.0-56-amd64  (default: what linux-image-amd64 depends on)
#   CPU    QEMU -cpu                                          (default max,-la57)
#   MEM    QEMU -m                                            (default 2G)
#   SMP    QEMU -smp                                          (default 2)
#   APPEND kernel command line        (default "console=ttyS0 loglevel=3")
#   BOOT_TIMEOUT seconds to wait for READY                     (default 600)
#   ZSTD   if 1, also write vmcore.elf.zst (zstd -19, slow)    (default 0)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/work/big/debian-stock}
OUT=${OUT:-$WORK}
CPU=${CPU:-max,-la57}
MEM=${MEM:-2G}
SMP=${SMP:-2}
APPEND=${APPEND:-console=ttyS0 loglevel=3}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
ZSTD=${ZSTD:-0}

mkdir -p "$WORK" "$OUT"
WORK=$(cd "$WORK" && pwd)
OUT=$(cd "$OUT" && pwd)
TIMINGS="$OUT/timings.txt"
: >"$TIMINGS"
. "$HERE/../lib/capture.sh"   # step, done_, need_pkgs, qemu_one_at_a_time, qemu_capture

# ---------------------------------------------------------------- 0. host packages
step "apt packages"
need_pkgs qemu-system-x86 busybox-static cpio gzip zstd makedumpfile socat binutils kmod \
          python3 bc dpkg
done_

# ---------------------------------------------------------------- 1. download
step "download kernel packages"
if [ -z "${KVER:-}" ]; then
    KVER=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -1)
    if [ -z "$KVER" ]; then
        apt-get -o DPkg::Lock::Timeout=900 update
        KVER=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -1)
    fi
fi
[ -n "$KVER" ] || { echo "cannot find the kernel ABI (KVER)"; exit 1; }
echo "kernel: $KVER"
mkdir -p "$WORK/debs"
cd "$WORK/debs"
for p in "linux-image-$KVER-unsigned" "linux-image-$KVER-dbg"; do
    if ! ls "${p}"_*.deb >/dev/null 2>&1; then
        apt-get download "$p"
    fi
done
UNSIGNED_DEB=$(ls "$WORK"/debs/linux-image-"$KVER"-unsigned_*.deb | tail -1)
DBG_DEB=$(ls "$WORK"/debs/linux-image-"$KVER"-dbg_*.deb | tail -1)
PKGVER=$(dpkg-deb -f "$UNSIGNED_DEB" Version)
echo "package version: $PKGVER"
done_

# ---------------------------------------------------------------- 2. unpack (never installed)
PKG="$WORK/pkg"
mkdir -p "$PKG"
step "unpack image package"
if [ ! -f "$PKG/boot/vmlinuz-$KVER" ]; then
    dpkg-deb --fsys-tarfile "$UNSIGNED_DEB" | tar -C "$PKG" -x ./boot ./lib/modules
fi
done_

step "unpack vmlinux from -dbg"
DBG_VMLINUX="$PKG/usr/lib/debug/boot/vmlinux-$KVER"
if [ ! -f "$DBG_VMLINUX" ]; then
    dpkg-deb --fsys-tarfile "$DBG_DEB" | tar -C "$PKG" -x --wildcards './usr/lib/debug/boot/vmlinux-*'
fi
done_

step "System.map (nm -n)"
if [ ! -s "$WORK/System.map" ] || [ "$WORK/System.map" -ot "$DBG_VMLINUX" ]; then
    nm -n "$DBG_VMLINUX" >"$WORK/System.map"
fi
done_

# ---------------------------------------------------------------- 3. initramfs
step "initramfs"
ROOT="$WORK/initramfs"
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"
mknod "$ROOT/dev/console" c 5 1
mknod "$ROOT/dev/null" c 1 3
# qemu_fw_cfg (FW_CFG_SYSFS=m) is what hands the VMCOREINFO note's address to QEMU's
# -device vmcoreinfo. Copy it and whatever it depends on, decompressed.
MODDIR="$PKG/lib/modules/$KVER"
. "$HERE/../lib/modules.sh"   # add_module
: >"$ROOT/lib/modules/order"
add_module qemu_fw_cfg
cat >"$ROOT/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo 1 >/proc/sys/kernel/printk
for m in $(cat /lib/modules/order); do
    insmod /lib/modules/$m.ko || echo "insmod $m failed"
done
echo "=== UNAME ==="
uname -a
echo "=== CMDLINE ==="
cat /proc/cmdline
echo "=== VMCOREINFO ==="
cat /sys/kernel/vmcoreinfo
echo "=== FW_CFG ==="
ls /sys/firmware/qemu_fw_cfg/by_name/etc 2>&1
echo "=== KALLSYMS ==="
grep -E ' (_text|_stext|_etext|_end|init_top_pgt|swapper_pg_dir|page_offset_base|vmalloc_base|vmemmap_base|phys_base|__START_KERNEL_map|pgdir_shift|ptrs_per_p4d|__pgtable_l5_enabled|init_mm)$' /proc/kallsyms
echo "=== END ==="
echo READY
while :; do sleep 3600; done
EOF
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | sort | cpio -o -H newc --quiet | gzip -9) >"$WORK/initrd.cpio.gz"
done_

# ---------------------------------------------------------------- 4. outputs that are inputs
cp "$PKG/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
cp "$PKG/boot/config-$KVER" "$WORK/config"
ln -sfn "$DBG_VMLINUX" "$WORK/vmlinux"
if [ "$OUT" != "$WORK" ]; then
    for f in vmlinux vmlinuz initrd.cpio.gz System.map config; do
        ln -sfn "$WORK/$f" "$OUT/$f"
    done
fi

# ---------------------------------------------------------------- 5. boot
qemu_one_at_a_time   # on this shared 2-core machine

SOCK="$OUT/qmp.sock"
rm -f "$SOCK" "$OUT/serial.log" "$OUT/vmcore.elf" "$OUT/info-tlb.txt" "$OUT/info-registers.txt"
QEMU=(qemu-system-x86_64 -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      -kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
step "boot to READY, QMP capture (stop, info, dump)"
SETTLE=2 qemu_capture "$OUT" "$BOOT_TIMEOUT" python3 "$HERE/../lib/qmp_client.py" "$SOCK" "$OUT" regs tlb0 -- "${QEMU[@]}"
qemu-system-x86_64 --version | head -1 >>"$OUT/qemu-cmd.txt"
rm -f "$SOCK"
done_

# ---------------------------------------------------------------- 6. extract and verify
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.clean"
section() { sed -n "/^=== $1 ===\$/,/^=== /p" "$OUT/serial.clean" | sed '1d;$d'; }
section CMDLINE >"$OUT/cmdline.txt"
section VMCOREINFO >"$OUT/vmcoreinfo.txt"
section KALLSYMS >"$OUT/kallsyms-subset.txt"
rm -f "$OUT/serial.clean"
python3 "$HERE/../lib/elfcore.py" "$OUT/vmcore.elf" >"$OUT/vmcoreinfo-note.txt"
{
    echo "kernel ABI:       $KVER"
    echo "package:          linux-image-$KVER-unsigned $PKGVER"
    echo "vmlinux:          $DBG_VMLINUX"
    echo "vmlinux version:  $(strings "$DBG_VMLINUX" | grep -m1 '^Linux version ')"
    echo "vmlinux build-id: $(readelf -n "$DBG_VMLINUX" | sed -n 's/.*Build ID: //p' | head -1)"
    echo "dump OSRELEASE:   $(sed -n 's/^OSRELEASE=//p' "$OUT/vmcoreinfo-note.txt")"
    echo "dump BUILD-ID:    $(sed -n 's/^BUILD-ID=//p' "$OUT/vmcoreinfo-note.txt")"
    echo "dump KERNELOFFSET: $(sed -n 's/^KERNELOFFSET=//p' "$OUT/vmcoreinfo-note.txt")"
    echo "info-tlb lines:   $(wc -l <"$OUT/info-tlb.txt")"
    echo "info-tlb kernel:  $(grep -c '^ff' "$OUT/info-tlb.txt" || true) (lines whose address starts with ff)"
    echo "info-tlb lines by top 24 address bits:"
    awk '{print substr($1,1,6)}' "$OUT/info-tlb.txt" | uniq -c | sed 's/^/  /'
    echo "info-tlb first 5 lines:"
    head -5 "$OUT/info-tlb.txt" | sed 's/^/  /'
    echo "CR3:              $(grep -o 'CR3=[0-9a-f]*' "$OUT/info-registers.txt" | tr '\n' ' ')"
    echo "CR4:              $(grep -o 'CR4=[0-9a-f]*' "$OUT/info-registers.txt" | tr '\n' ' ')"
    echo "notes:"
    python3 "$HERE/../lib/elfcore.py" --list "$OUT/vmcore.elf" | sed 's/^/  /'
} | tee "$OUT/summary.txt"

fail=0
readelf -n "$OUT/vmcore.elf" >"$OUT/readelf-notes.txt" 2>&1 || true
grep -q VMCOREINFO "$OUT/readelf-notes.txt" || { echo "FAIL: no VMCOREINFO note"; fail=1; }
[ "$(sed -n 's/^OSRELEASE=//p' "$OUT/vmcoreinfo-note.txt")" = "$KVER" ] || { echo "FAIL: OSRELEASE"; fail=1; }
bid_v=$(readelf -n "$DBG_VMLINUX" | sed -n 's/.*Build ID: //p' | head -1)
bid_d=$(sed -n 's/^BUILD-ID=//p' "$OUT/vmcoreinfo-note.txt")
if [ -n "$bid_d" ] && [ "${bid_v#"$bid_d"}" = "$bid_v" ]; then
    echo "FAIL: build-id $bid_d (dump) vs $bid_v (vmlinux)"; fail=1
fi
[ -s "$OUT/info-tlb.txt" ] && grep -q '^ff' "$OUT/info-tlb.txt" || { echo "FAIL: info-tlb has no kernel addresses"; fail=1; }

# Walk the dump's tables from CPU 0's CR3 for every info-tlb line (about 2 s).
python3 "$HERE/walkcheck.py" "$OUT" | tee "$OUT/walkcheck.txt" || { echo "FAIL: walkcheck"; fail=1; }

if [ "$ZSTD" = 1 ]; then
    step "zstd -19 vmcore.elf"
    zstd -q -f -19 -T1 "$OUT/vmcore.elf" -o "$OUT/vmcore.elf.zst"
    done_
fi
ls -la "$OUT"
[ $fail = 0 ] && echo "capture OK" || { echo "capture FAILED checks"; exit 1; }
