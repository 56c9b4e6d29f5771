#!/bin/bash
# One boot of the custom x86-64 6.1 kernel (4-level paging) under QEMU, stopped
# once; at that moment: the kernel's own page_tables text (printed by init before
# the stop), an ELF dump and a dump in every kdump-* format QEMU offers
# (QEMU 7.2 on Debian 12: kdump-zlib only, written in makedumpfile's flattened
# format).
# A copy of ../x86_64/capture.sh with the extra dumps; it reuses that recipe's
# kernel build, ../lib/init.c, ../lib/qmp_client.py, ../lib/extract.py and
# ../x86_64/check-tlb.py.
#
# Usage: capture-qemu-kdump.sh
# Env:   BUILD_DIR (default /work/big/x86_64/build, made by ../x86_64/build-kernel.sh)
#        OUT       (default /work/big/kdump/qemu-4level; emptied first)
#        MEM (default 1G), SMP (default 2), READY_TIMEOUT (default 600 s)
#        KPTDUMP   a built kptdump (default /work/big/kdump/bin/kptdump; the
#                  kptdump checks are skipped when it is missing)
#
# Produces in OUT: vmcore.elf, vmcore.kdump-zlib.flat (QEMU's output),
# vmcore.kdump-zlib (the same made plain by `makedumpfile -R`), page_tables/*.txt,
# serial.log, cmdline.txt, vmcoreinfo.txt, vmcoreinfo-note.txt,
# info-registers.txt, info-tlb*.txt, dump-capability.json, qemu-cmd.txt, qmp.log,
# initrd.cpio.gz, kernel-sha256.txt, timings.txt, checks.txt, and symlinks
# vmlinux, System.map, bzImage into BUILD_DIR.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REC=$(cd "$HERE/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/work/big/x86_64/build}
OUT=${OUT:-/work/big/kdump/qemu-4level}
MEM=${MEM:-1G}
SMP=${SMP:-2}
READY_TIMEOUT=${READY_TIMEOUT:-600}
KPTDUMP=${KPTDUMP:-/work/big/kdump/bin/kptdump}

. "$HERE/../lib/capture.sh"   # need_pkgs, qemu_capture, link_kernel
need_pkgs qemu-system-x86 build-essential python3 cpio gzip binutils makedumpfile bc

BZIMAGE=$BUILD_DIR/arch/x86/boot/bzImage
[ -f "$BZIMAGE" ] || { echo "no $BZIMAGE: run ../x86_64/build-kernel.sh first" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
now() { date +%s.%N; }
T=$OUT/timings.txt
: > "$T"
lap() { printf '%-44s %6.1f s\n' "$1" "$(echo "$(now) - $2" | bc)" | tee -a "$T"; }

# initramfs: /init from ../lib/init.c plus /dev/console (lib/initramfs.sh).
"$REC/lib/initramfs.sh" gcc "$OUT/initramfs" "$BUILD_DIR" "${SRC_DIR:-/work/big/x86_64/src}" "$OUT/initrd.cpio.gz"

SOCK=$OUT/qmp.sock
QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu max,-la57 -m "$MEM" -smp "$SMP"
      -kernel "$BZIMAGE" -initrd "$OUT/initrd.cpio.gz"
      -append "console=ttyS0 loglevel=1 panic=-1"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off" -no-reboot)
qemu_capture "$OUT" "$READY_TIMEOUT" python3 "$REC/lib/qmp_client.py" "$SOCK" "$OUT" regs tlb kdumps -- "${QEMU[@]}"
qemu-system-x86_64 --version | head -1 >> "$OUT/qemu-cmd.txt"
printf '%-44s %6.1f s\n' "boot to READY" "$T_BOOT" "QMP: stop, registers, tlb, all dumps, quit" "$T_CAPTURE" | tee -a "$T"
rm -f "$SOCK"

python3 "$REC/lib/extract.py" x86_64 "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" \
    || echo "extract.py reported problems (see extract.log)"
link_kernel "$OUT" "$BUILD_DIR" vmlinux System.map arch/x86/boot/bzImage

# makedumpfile -R turns the flattened file into the plain kdump-compressed one.
KD=()   # every kdump-format file: QEMU's flattened ones and their plain copies
for flat in "$OUT"/vmcore.kdump-*.flat; do
    plain=${flat%.flat}
    KD+=("$flat")
    rm -f "$plain"
    t2=$(now)
    makedumpfile -R "$plain" < "$flat" > "$plain.R.log" 2>&1 || echo "makedumpfile -R failed on $flat (see $plain.R.log)" >&2
    [ -f "$plain" ] && { chmod a+r "$plain"; KD+=("$plain"); }
    lap "makedumpfile -R $(basename "$flat")" "$t2"
done

echo "--- checks" | tee "$OUT/checks.txt"
{
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' || true
if python3 "$REC/lib/elfcore.py" "$OUT/vmcore.elf" > "$OUT/vmcoreinfo-note.txt"; then
    grep OSRELEASE "$OUT/vmcoreinfo-note.txt"
else
    echo "WARNING: no VMCOREINFO note in vmcore.elf"
fi
python3 "$REC/x86_64/check-tlb.py" "$OUT" current_kernel || echo "WARNING: info tlb and ptdump disagree"
for k in "${KD[@]}"; do
    python3 "$HERE/kdumpinfo.py" "$k" > "$k.info.txt" || echo "WARNING: kdumpinfo.py failed on $k"
    t3=$(now)
    echo "kdumpinfo.py $(basename "$k") verify vmcore.elf --all:"
    python3 "$HERE/kdumpinfo.py" "$k" verify "$OUT/vmcore.elf" --all || echo "WARNING: $k and vmcore.elf differ"
    lap "kdumpinfo.py verify --all $(basename "$k")" "$t3" >/dev/null
done
if [ -x "$KPTDUMP" ]; then
    for t in kernel current_kernel current_user; do
        if "$KPTDUMP" --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --table "${t/_/-}" 2>/dev/null \
                | cmp -s - "$OUT/page_tables/$t.txt"; then
            echo "kptdump --table ${t/_/-} of vmcore.elf equals page_tables/$t.txt"
        else
            echo "WARNING: kptdump --table ${t/_/-} of vmcore.elf differs from page_tables/$t.txt"
        fi
    done
    "$KPTDUMP" snapshot --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" -o "$OUT/snapshot.core" 2>&1 || echo "WARNING: kptdump snapshot failed"
    for k in "${KD[@]}"; do
        python3 "$HERE/kdumpinfo.py" "$k" ranges "$OUT/snapshot.core" | tail -1
    done
fi
ls -l "$OUT"/vmcore.*
wc -l "$OUT"/page_tables/*.txt
} 2>&1 | tee -a "$OUT/checks.txt"
