#!/bin/bash
# Boot the kernel from build-kernel.sh under QEMU (TCG) in one state and capture,
# at the same moment, the kernel's own /sys/kernel/debug/page_tables/* text and
# a QEMU ELF memory dump.
#
# Usage: capture.sh STATE          STATE is one of: 4level 5level pti efi
#                                  (or the combinations 5level-pti, efi-5level)
# Env:   KVER      6.1 (default), 6.12, 5.10 or 7.3: which build-kernel.sh kernel
#                  (sets the defaults below to /work/big/x86_64, or
#                  /work/big/x86_64-KVER for the others)
#        BUILD_DIR (default /work/big/x86_64/build, 6.12: /work/big/x86_64-6.12/build)
#        SRC_DIR   (default /work/big/x86_64/src, 6.12: /work/big/x86_64-6.12/src)
#        OUT_ROOT  (default /work/big/x86_64, 6.12: /work/big/x86_64-6.12);
#                  results go to OUT_ROOT/STATE
#        READY_TIMEOUT seconds to wait for the guest (default 600)
#        EXTRA_APPEND  more kernel parameters (default none), e.g. kptdump_wx=1
#                  for a kernel built from a tree with ../x86_64-wx's
#                  kptdump_test.c (see README, "Linux 6.12")
#
# Produces in OUT_ROOT/STATE: vmcore.elf, serial.log, page_tables/<name>.txt,
# vmcoreinfo.txt (/sys/kernel/vmcoreinfo: the note's physical address and size),
# vmcoreinfo-note.txt (the note's text, read back from vmcore.elf),
# cmdline.txt, info-registers.txt, info-tlb.txt (CPU 0; and
# info-tlb-cpuN.txt for further CPUs), qemu-cmd.txt, initrd.cpio.gz, timings.txt,
# kernel-sha256.txt, and
# symlinks vmlinux, System.map, bzImage into BUILD_DIR.
# A kernel with CONFIG_DEBUG_WX (the KVER=6.12, 5.10 and 7.3 builds) also gets wx-check.txt:
# the kernel's boot-time W+X verdict lines (pr_info, which loglevel=1 keeps off
# the console), plus kptdump_test's lines if any, in log order with a "<6>"
# prefix, read from the printk ring buffer's text inside vmcore.elf (init.c
# prints dmesg on arm64 only).
set -euo pipefail

STATE=${1:?usage: capture.sh 4level|5level|pti|efi|5level-pti|efi-5level}
HERE=$(cd "$(dirname "$0")" && pwd)
KVER=${KVER:-6.1}
case "$KVER" in 6.1) ROOT=/work/big/x86_64 ;; 6.12|5.10|7.3) ROOT=/work/big/x86_64-$KVER ;;
    *) echo "KVER must be 6.1, 6.12, 5.10 or 7.3" >&2; exit 1 ;; esac
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SRC_DIR=${SRC_DIR:-$ROOT/src}
OUT_ROOT=${OUT_ROOT:-$ROOT}
READY_TIMEOUT=${READY_TIMEOUT:-600}
OVMF=/usr/share/ovmf/OVMF.fd

. "$HERE/../lib/capture.sh"   # need_pkgs, qemu_capture, write_timings, link_kernel, vmcoreinfo_note
need_pkgs qemu-system-x86 build-essential python3 cpio gzip binutils ovmf bc

BZIMAGE=$BUILD_DIR/arch/x86/boot/bzImage
[ -f "$BZIMAGE" ] || { echo "no $BZIMAGE: run build-kernel.sh first" >&2; exit 1; }
release=$(cat "$BUILD_DIR/include/config/kernel.release")
case "$release" in "$KVER".*) ;; *) echo "$BUILD_DIR holds $release, not $KVER" >&2; exit 1 ;; esac

APPEND="console=ttyS0 loglevel=1 panic=-1"
FW=()
case "$STATE" in
    4level) CPU=max,-la57; MEM=2G; SMP=2 ;;
    5level) CPU=max,+la57; MEM=1G; SMP=1 ;;
    pti)    CPU=max,-la57; MEM=1G; SMP=1; APPEND="$APPEND pti=on" ;;
    efi)    CPU=max,-la57; MEM=1G; SMP=1; FW=(-bios "$OVMF") ;;
    # Combinations (first run on 6.12; no 6.1 fixture):
    5level-pti) CPU=max,+la57; MEM=1G; SMP=1; APPEND="$APPEND pti=on" ;;
    efi-5level) CPU=max,+la57; MEM=1G; SMP=1; FW=(-bios "$OVMF") ;;
    *) echo "unknown state $STATE" >&2; exit 1 ;;
esac
if [ -n "${EXTRA_APPEND:-}" ]; then APPEND="$APPEND $EXTRA_APPEND"; fi

OUT=$OUT_ROOT/$STATE
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# initramfs: /init from ../lib/init.c plus /dev/console (lib/initramfs.sh).
"$HERE/../lib/initramfs.sh" gcc "$OUT_ROOT/initramfs" "$BUILD_DIR" "$SRC_DIR" "$OUT/initrd.cpio.gz"

SOCK=$OUT/qmp.sock
QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      "${FW[@]}"
      -kernel "$BZIMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
qemu_capture "$OUT" "$READY_TIMEOUT" python3 "$HERE/../lib/qmp_client.py" "$SOCK" "$OUT" regs tlb -- "${QEMU[@]}"
rm -f "$SOCK"

python3 "$HERE/../lib/extract.py" x86_64 "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" || echo "extract.py reported problems (see extract.log)"

link_kernel "$OUT" "$BUILD_DIR" vmlinux System.map arch/x86/boot/bzImage
write_timings "$OUT" "stop, registers, tlb, dump, quit"

echo "--- checks"
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' || true
if vmcoreinfo_note "$OUT"; then
    grep OSRELEASE "$OUT/vmcoreinfo-note.txt"
else
    echo "WARNING: no VMCOREINFO note in $OUT/vmcore.elf" >&2
fi
python3 "$HERE/check-tlb.py" "$OUT" current_kernel || echo "WARNING: info tlb and ptdump disagree" >&2
if grep -q '^CONFIG_DEBUG_WX=y' "$BUILD_DIR/.config"; then
    # The printk ring buffer keeps the text without KERN_INFO's "\0016" prefix
    # (the format strings in .rodata have it, and "%lu"/"%px" where the ring
    # has numbers), so the kernel's lines are the hits not preceded by \001
    # and a level digit; their offsets in the dump give the log order (the
    # ring does not wrap this early). All of them are pr_info: "<6>".
    grep -a -b -o -P '(?<!\x01[0-7])(kptdump_test: (read-only|W\+X) vmalloc page at [0-9a-f]{16} \(pfn 0x[0-9a-f]+\)|x86/mm: Checked W\+X mappings: (passed|FAILED), [0-9a-z]+ W\+X pages found\.|x86/mm: Checking user space page tables)' \
        "$OUT/vmcore.elf" | sort -t: -k1,1n | cut -d: -f2- | sed 's/^/<6>/' > "$OUT/wx-check.txt" || true
    echo "the kernel's W+X lines (printk buffer in the dump):"; cat "$OUT/wx-check.txt"
fi
ls -l "$OUT/vmcore.elf"
wc -l "$OUT"/page_tables/*.txt
