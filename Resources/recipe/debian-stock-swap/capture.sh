#!/bin/bash
# A dump of Debian 12's stock kernel in which a user process ("victim") has swap,
# hwpoison, soft-dirty, PROT_NONE and userfaultfd-wp page-table entries, together with
# the kernel's own /proc/PID/pagemap verdict for each of its pages, read just before
# the dump. See README.md beside this file.
#
# Environment (all optional):
#   KVER   kernel ABI to use, e.g. 6.12.117+deb12-amd64 (bookworm's 6.12 from
#          bookworm-security). Unset: whatever $DS holds (or, when $DS is empty,
#          what linux-image-amd64 depends on, i.e. 6.1), as before.
#   DS     the debian-stock work dir (packages, vmlinuz, vmlinux)
#          (default /work/big/debian-stock; /work/big/debian-stock-SERIES when
#          KVER is set to a series other than 6.1, e.g. /work/big/debian-stock-6.12)
#   OUT    where the capture goes  (default /work/big/swap; /work/big/swap-SERIES likewise)
#   CPU    QEMU -cpu            (default max,-la57)
#   MEM    QEMU -m              (default 1G)
#   SMP    QEMU -smp            (default 1)
#   APPEND kernel command line  (default "console=ttyS0 loglevel=3")
#   BOOT_TIMEOUT seconds to wait for READY (default 600)
#   KPTDUMP  a built kptdump; when executable, check.sh runs it on the capture
#            (default /work/main/.build-swap/debug/kptdump)
#   EXTRAS  1: boot with victim.extras=1 (second zram device, zero-page and
#            guard regions; see init.c). Default 1 for 7.x, 0 before.
#
# 7.x (e.g. KVER=7.2.12+deb13-amd64, trixie-backports): the packages are split;
# ../debian-stock-7.2/fetch.sh downloads and unpacks them into $DS (its apt
# state in $DS/../apt), the zram module is taken from the linux-modules .deb
# there, and linux-source-SERIES (same version as the kernel) is downloaded
# through that apt state too (bookworm has no linux-source-7.x).
#
# A custom build instead of Debian's (e.g. ../x86_64/build-kernel.sh with KVER=7.3
# and the EXTRA options README.md lists): KBUILD=BUILD_DIR (O= of the build:
# arch/x86/boot/bzImage, vmlinux, System.map, .config) and KSRC=SOURCE_TREE
# (gen_init_cpio.c and the headers). zram must be built in (no modules are
# packed); the command line gets zram.num_devices=2. DS is not used, OUT is
# required.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
KVER=${KVER:-}
SUFFIX=
SPLIT=0   # 7.x: split packages (../debian-stock-7.2/fetch.sh)
KBUILD=${KBUILD:-}
if [ -n "$KBUILD" ]; then
    KVER=$(cat "$KBUILD/include/config/kernel.release")
    : "${KSRC:?KSRC (the source tree) is needed with KBUILD}" "${OUT:?OUT is needed with KBUILD}"
fi
if [ -n "$KVER" ]; then
    SERIES=$(echo "$KVER" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
    [ "$SERIES" = 6.1 ] || SUFFIX="-$SERIES"
    [ "${SERIES%%.*}" -lt 7 ] || SPLIT=1
fi
EXTRAS=${EXTRAS:-$SPLIT}
[ -z "$KBUILD" ] || SPLIT=custom
DS=${DS:-/work/big/debian-stock$SUFFIX}
OUT=${OUT:-/work/big/swap$SUFFIX}
CPU=${CPU:-max,-la57}
MEM=${MEM:-1G}
SMP=${SMP:-1}
APPEND=${APPEND:-console=ttyS0 loglevel=3}
[ "$EXTRAS" != 1 ] || APPEND="$APPEND victim.extras=1"
[ -z "$KBUILD" ] || APPEND="$APPEND zram.num_devices=2"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
KPTDUMP=${KPTDUMP:-/work/main/.build-swap/debug/kptdump}
NICE=(nice -n 15)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TIMINGS="$OUT/timings.txt"
: >"$TIMINGS"
. "$HERE/../lib/capture.sh"   # step, done_, need_pkgs, qemu_capture

# ---------------------------------------------------------------- 1. the stock kernel
# debian-stock/capture.sh downloads and unpacks linux-image-KVER-unsigned and its -dbg
# vmlinux into $DS (and installs QEMU, busybox-static, ...). When $DS lacks them, run it
# once with a small guest and throw its dump away.
step "debian-stock packages"
if [ "$SPLIT" = custom ]; then
    DBG_VMLINUX="$KBUILD/vmlinux"
    need_pkgs gcc libc6-dev qemu-system-x86 python3 zstd
    echo "kernel: $KVER (custom build in $KBUILD)"
    done_
elif [ "$SPLIT" = 1 ]; then
    # 7.x: fetch.sh (idempotent) leaves vmlinuz, vmlinux (-> pkg/usr/lib/debug/lib/
    # modules/KVER/vmlinux), System.map, config and pkg/usr/lib/modules/KVER.
    APTSTATE=$(dirname "$DS")/apt
    "${NICE[@]}" "$HERE/../debian-stock-7.2/fetch.sh" amd64 "$KVER" "$DS"
    MODDIR="$DS/pkg/usr/lib/modules/$KVER"
    if [ -z "$(ls "$MODDIR"/kernel/drivers/block/zram/zram.ko* 2>/dev/null)" ]; then
        dpkg-deb --fsys-tarfile "$(ls "$APTSTATE"/debs/linux-modules-"$KVER"_*_amd64.deb | tail -1)" \
            | tar -C "$DS/pkg" -x --wildcards "./usr/lib/modules/$KVER/kernel/drivers/block/zram/*" \
                "./usr/lib/modules/$KVER/kernel/crypto/lz4*" "./usr/lib/modules/$KVER/kernel/lib/lz4/*"
    fi
    SRCVER=$(awk -v p="linux-base-$KVER" '$1 == p {print $2}' "$DS/package-versions.txt")
    SRCTAR="$DS/src/usr/src/linux-source-$SERIES.tar.xz"
    if [ ! -f "$SRCTAR" ]; then
        APTO=(-o Dir::Etc::SourceList="$APTSTATE/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o Dir::State::Lists="$APTSTATE/lists" -o Dir::Cache="$APTSTATE/cache" -o Debug::NoLocking=1)
        ls "$APTSTATE"/debs/linux-source-"$SERIES"_"$SRCVER"_all.deb >/dev/null 2>&1 ||
            (cd "$APTSTATE/debs" && apt-get "${APTO[@]}" download "linux-source-$SERIES=$SRCVER")
        mkdir -p "$DS/src"
        dpkg-deb --fsys-tarfile "$APTSTATE/debs/linux-source-${SERIES}_${SRCVER}_all.deb" \
            | tar -C "$DS/src" -x "./usr/src/linux-source-$SERIES.tar.xz"
    fi
    DBG_VMLINUX=$(readlink -f "$DS/vmlinux")
    need_pkgs gcc libc6-dev qemu-system-x86 kmod python3 bc xz-utils zstd
    echo "kernel: $KVER"
    done_
else
# (A $DS holding another ABI than $KVER is unpacked again for $KVER.)
if [ ! -f "$DS/vmlinuz" ] || [ ! -e "$DS/vmlinux" ] || [ ! -s "$DS/System.map" ] ||
   { [ -n "$KVER" ] && [ "$(basename "$(readlink -f "$DS/vmlinux")")" != "vmlinux-$KVER" ]; }; then
    KVER="$KVER" WORK="$DS" OUT="$OUT/stock-prep" MEM=512M SMP=1 "${NICE[@]}" "$HERE/../debian-stock/capture.sh"
    rm -f "$OUT/stock-prep/vmcore.elf"
fi
DBG_VMLINUX=$(readlink -f "$DS/vmlinux")
KVER=${DBG_VMLINUX##*/vmlinux-}
SERIES=$(echo "$KVER" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
MODDIR="$DS/pkg/lib/modules/$KVER"
[ -d "$MODDIR" ] || { echo "no $MODDIR"; exit 1; }
echo "kernel: $KVER"
need_pkgs gcc libc6-dev "linux-source-$SERIES" qemu-system-x86 kmod python3 bc xz-utils zstd
SRCTAR="/usr/src/linux-source-$SERIES.tar.xz"
done_
fi

# ---------------------------------------------------------------- 2. initramfs
step "initramfs"
B="$OUT/build"
rm -rf "$B/ird"
mkdir -p "$B"
# gen_init_cpio.c for ../lib/initramfs.sh, and swap.h (union swap_header) for reference.
# (Decompressing the whole tarball takes about 45 s; kept for later runs.)
# swapops.h and the x86 pgtable headers are kept too: check.py's swap types and
# PTE layout follow them (see README.md).
SRC="$B/linux-source-$SERIES"
[ "$SPLIT" != custom ] || SRC=$KSRC
if [ ! -f "$SRC/usr/gen_init_cpio.c" ] || [ ! -f "$SRC/include/linux/swap.h" ]; then
    "${NICE[@]}" tar -C "$B" -xJf "$SRCTAR" \
        "linux-source-$SERIES/usr/gen_init_cpio.c" "linux-source-$SERIES/include/linux/swap.h" \
        "linux-source-$SERIES/include/linux/swapops.h" \
        "linux-source-$SERIES/arch/x86/include/asm/pgtable_64.h" \
        "linux-source-$SERIES/arch/x86/include/asm/pgtable_types.h" \
        $([ "$SPLIT" = 1 ] && echo "linux-source-$SERIES/include/linux/leafops.h linux-source-$SERIES/fs/proc/task_mmu.c")
fi
grep -q 'SWAPSPACE2' "$SRC/include/linux/swap.h"
"${NICE[@]}" "$HERE/../lib/initramfs.sh" gcc "$B/ird" "$B/no-build" "$SRC" "$B/base.cpio.gz" "$HERE/init.c"
# A second cpio (the kernel unpacks concatenated archives) with the modules, deps first.
{ echo "dir /lib 0755 0 0"; echo "dir /lib/modules 0755 0 0"; } >"$B/modules.list"
: >"$B/order"
# 6.1 ships modules uncompressed; 6.12 as .ko.xz (MODULE_COMPRESS_XZ): decompressed
# here, so init's plain finit_module works for both. A module built in (6.12 has
# ZSMALLOC=y) is simply not found by modinfo's depends and not needed.
rm -rf "$B/ko"
mkdir -p "$B/ko"
add_module() {
    local name=$1 ko dep
    grep -qx "$name" "$B/order" && return
    ko=$(find "$MODDIR/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" \) | head -1)
    [ -n "$ko" ] || { echo "module $name not found"; exit 1; }
    for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do add_module "$dep"; done
    case "$ko" in
        *.xz) xz -dc "$ko" >"$B/ko/$name.ko" ;;
        *.zst) zstd -qdc "$ko" >"$B/ko/$name.ko" ;;
        *) cp "$ko" "$B/ko/$name.ko" ;;
    esac
    echo "file /lib/modules/$name.ko $B/ko/$name.ko 0644 0 0" >>"$B/modules.list"
    echo "$name" >>"$B/order"
}
if [ "$SPLIT" = custom ]; then
    cp "$B/base.cpio.gz" "$OUT/initrd.cpio.gz"   # zram and fw_cfg built in
    echo "modules: none (built in)"
else
for m in qemu_fw_cfg zram; do add_module "$m"; done
echo "file /lib/modules/order $B/order 0644 0 0" >>"$B/modules.list"
"$B/ird/gen_init_cpio" "$B/modules.list" | gzip -9 >"$B/modules.cpio.gz"
cat "$B/base.cpio.gz" "$B/modules.cpio.gz" >"$OUT/initrd.cpio.gz"
echo "modules: $(tr '\n' ' ' <"$B/order")"
fi
done_

ln -sfn "$DBG_VMLINUX" "$OUT/vmlinux"
if [ "$SPLIT" = custom ]; then
    ln -sfn "$KBUILD/System.map" "$OUT/System.map"
    ln -sfn "$KBUILD/arch/x86/boot/bzImage" "$OUT/vmlinuz"
    ln -sfn "$KBUILD/.config" "$OUT/config"
else
    ln -sfn "$DS/System.map" "$OUT/System.map"
    ln -sfn "$DS/vmlinuz" "$OUT/vmlinuz"
    ln -sfn "$DS/config" "$OUT/config"
fi

# ---------------------------------------------------------------- 3. boot
qemu_one_at_a_time   # on this shared machine
SOCK="$OUT/qmp.sock"
rm -f "$SOCK" "$OUT/serial.log" "$OUT/vmcore.elf" "$OUT/info-registers.txt"
QEMU=(qemu-system-x86_64 -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      -kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
step "boot to READY, QMP stop, registers, dump"
SETTLE=2 qemu_capture "$OUT" "$BOOT_TIMEOUT" python3 "$HERE/../lib/qmp_client.py" "$SOCK" "$OUT" regs -- "${NICE[@]}" "${QEMU[@]}"
qemu-system-x86_64 --version | head -1 >>"$OUT/qemu-cmd.txt"
rm -f "$SOCK"
done_

# ---------------------------------------------------------------- cut the console
# (victim, steps, maps, pagemap, smaps, swaps, meminfo, dmesg, vmcoreinfo, cmdline; victim-pid.txt)
python3 "$HERE/../lib/extract.py" x86_64 "$OUT/serial.log" "$OUT" --need victim,steps,maps,pagemap,smaps,swaps,meminfo,dmesg,vmcoreinfo,cmdline >"$OUT/extract.log" ||
    { echo "FAIL: extract (extract.log)"; cat "$OUT/extract.log"; }
tr -d '\r' <"$OUT/serial.log" >"$OUT/serial.txt"
# The kernel's own boot-time W+X verdict (DEBUG_WX=y in Debian's 6.1 and 6.12;
# printed at pr_info, so it is in the log though not on the loglevel=3 console).
grep -E 'W\+X' "$OUT/dmesg.txt" >"$OUT/wx-dmesg.txt" || echo "(no W+X line in dmesg)" >"$OUT/wx-dmesg.txt"
grep '^init:' "$OUT/serial.txt" >"$OUT/init-log.txt" || true

fail=0
python3 "$HERE/../lib/elfcore.py" "$OUT/vmcore.elf" >"$OUT/vmcoreinfo-note.txt"
[ "$(sed -n 's/^OSRELEASE=//p' "$OUT/vmcoreinfo-note.txt")" = "$KVER" ] || { echo "FAIL: no VMCOREINFO/OSRELEASE"; fail=1; }
bid_v=$(readelf -n "$DBG_VMLINUX" | sed -n 's/.*Build ID: //p' | head -1)
bid_d=$(sed -n 's/^BUILD-ID=//p' "$OUT/vmcoreinfo-note.txt")
[ -n "$bid_d" ] && [ "${bid_v#"$bid_d"}" != "$bid_v" ] || { echo "FAIL: build-id $bid_d vs $bid_v"; fail=1; }
[ -s "$OUT/victim-pid.txt" ] && [ -s "$OUT/pagemap.txt" ] || { echo "FAIL: no victim/pagemap"; fail=1; }

# What pagemap says for each page of the victim's regions (region, page, verdict).
python3 "$HERE/classify.py" "$OUT" | tee "$OUT/pagemap-classified.txt" || { echo "FAIL: classify"; fail=1; }
{
    echo "kernel ABI:   $KVER"
    if [ "$SPLIT" = custom ]; then
        echo "package:      none (custom build: $KBUILD)"
    elif [ "$SPLIT" = 1 ]; then
        echo "package:      $(awk -v p="linux-binary-unsigned-$KVER" '$1 == p {print $2}' "$DS/package-versions.txt")"
    else
        echo "package:      $(dpkg-deb -f "$(ls "$DS"/debs/linux-image-"$KVER"-unsigned_*.deb | tail -1)" Version)"
    fi
    echo "build-id:     $bid_d"
    echo "KERNELOFFSET: $(sed -n 's/^KERNELOFFSET=//p' "$OUT/vmcoreinfo-note.txt")"
    echo "CR3:          $(grep -o 'CR3=[0-9a-f]*' "$OUT/info-registers.txt" | tr '\n' ' ')"
    echo "victim pid:   $(cat "$OUT/victim-pid.txt")"
    sed 's/^/victim:       /' "$OUT/victim.txt"
    sed 's/^/step:         /' "$OUT/steps.txt"
    sed 's/^/init:         /' "$OUT/init-log.txt"
    sed 's/^/swaps:        /' "$OUT/swaps.txt"
    sed 's/^/W+X:          /' "$OUT/wx-dmesg.txt"
} | tee "$OUT/summary.txt"

# ---------------------------------------------------------------- 5. kptdump, if built
if [ -x "$KPTDUMP" ]; then
    step "kptdump check"
    KPTDUMP="$KPTDUMP" "$HERE/check.sh" "$OUT" || { echo "FAIL: check.sh"; fail=1; }
    done_
else
    echo "no kptdump at $KPTDUMP; skipped check.sh"
fi
ls -la "$OUT"
[ $fail = 0 ] && echo "capture OK" || { echo "capture FAILED checks"; exit 1; }
