#!/bin/bash
# Boot the kernel from build-kernel.sh under QEMU (TCG) in one state and capture,
# at the same moment, the kernel's own /sys/kernel/debug/page_tables/* text and
# a QEMU ELF memory dump.
#
# Usage: capture.sh STATE          STATE is one of: 4level 5level pti efi
# Env:   BUILD_DIR (default /work/big/x86_64/build)
#        OUT_ROOT  (default /work/big/x86_64); results go to OUT_ROOT/STATE
#        READY_TIMEOUT seconds to wait for the guest (default 600)
#
# Produces in OUT_ROOT/STATE: vmcore.elf, serial.log, page_tables/<name>.txt,
# vmcoreinfo.txt (/sys/kernel/vmcoreinfo: the note's physical address and size),
# vmcoreinfo-note.txt (the note's text, read back from vmcore.elf),
# cmdline.txt, info-registers.txt, info-tlb.txt (CPU 0; and
# info-tlb-cpuN.txt for further CPUs), qemu-cmd.txt, initrd.cpio.gz, timings.txt,
# kernel-sha256.txt, and
# symlinks vmlinux, System.map, bzImage into BUILD_DIR.
set -euo pipefail

STATE=${1:?usage: capture.sh 4level|5level|pti|efi}
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-/work/big/x86_64/build}
OUT_ROOT=${OUT_ROOT:-/work/big/x86_64}
READY_TIMEOUT=${READY_TIMEOUT:-600}
OVMF=/usr/share/ovmf/OVMF.fd

need_pkgs=()
for p in qemu-system-x86 build-essential python3 cpio gzip binutils ovmf; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "installing: ${need_pkgs[*]}"
    apt-get update && apt-get install -y "${need_pkgs[@]}"
fi

BZIMAGE=$BUILD_DIR/arch/x86/boot/bzImage
[ -f "$BZIMAGE" ] || { echo "no $BZIMAGE: run build-kernel.sh first" >&2; exit 1; }

APPEND="console=ttyS0 loglevel=1 panic=-1"
FW=()
case "$STATE" in
    4level) CPU=max,-la57; MEM=2G; SMP=2 ;;
    5level) CPU=max,+la57; MEM=1G; SMP=1 ;;
    pti)    CPU=max,-la57; MEM=1G; SMP=1; APPEND="$APPEND pti=on" ;;
    efi)    CPU=max,-la57; MEM=1G; SMP=1; FW=(-bios "$OVMF") ;;
    *) echo "unknown state $STATE" >&2; exit 1 ;;
esac

OUT=$OUT_ROOT/$STATE
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# initramfs: /init from ../lib/init.c plus /dev/console (lib/initramfs.sh).
"$HERE/../lib/initramfs.sh" gcc "$OUT_ROOT/initramfs" "$BUILD_DIR" "${SRC_DIR:-/work/big/x86_64/src}" "$OUT/initrd.cpio.gz"

SOCK=$OUT/qmp.sock
QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      "${FW[@]}"
      -kernel "$BZIMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "${QEMU[@]}" > "$OUT/qemu-cmd.txt"

t0=$(date +%s.%N)
"${QEMU[@]}" &
QPID=$!
trap 'kill $QPID 2>/dev/null || true' EXIT

. "$HERE/../lib/wait-ready.sh"
wait_for_ready "$OUT/serial.log" "$QPID" "$READY_TIMEOUT"
t1=$(date +%s.%N)

python3 "$HERE/qmp.py" "$SOCK" "$OUT" | tee "$OUT/qmp.log"
wait $QPID || true
trap - EXIT
t2=$(date +%s.%N)
rm -f "$SOCK"
chmod a+r "$OUT/vmcore.elf"   # QEMU creates it 0400

python3 "$HERE/extract.py" "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" || echo "extract.py reported problems (see extract.log)"

for f in vmlinux System.map arch/x86/boot/bzImage; do
    ln -sfn "$BUILD_DIR/$f" "$OUT/$(basename "$f")"
done
sha256sum "$BUILD_DIR/vmlinux" "$BZIMAGE" > "$OUT/kernel-sha256.txt"

{
    printf 'boot to READY: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
    printf 'capture (stop, registers, tlb, dump, quit): %.1f s\n' "$(echo "$t2 - $t1" | bc)"
} | tee "$OUT/timings.txt"

echo "--- checks"
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' || true
if python3 "$HERE/../lib/elfnotes.py" "$OUT/vmcore.elf" > "$OUT/vmcoreinfo-note.txt"; then
    grep OSRELEASE "$OUT/vmcoreinfo-note.txt"
else
    echo "WARNING: no VMCOREINFO note in $OUT/vmcore.elf" >&2
fi
python3 "$HERE/check-tlb.py" "$OUT" current_kernel || echo "WARNING: info tlb and ptdump disagree" >&2
ls -l "$OUT/vmcore.elf"
wc -l "$OUT"/page_tables/*.txt
