#!/bin/bash
# Boot an arm64 kernel from build-kernel.sh under QEMU (TCG) and capture, at
# the same moment, the kernel's own /sys/kernel/debug/kernel_page_tables text
# (and efi_page_tables when booted through UEFI) and a QEMU ELF memory dump
# with a VMCOREINFO note.
#
# Usage: capture.sh CFG [STATE]
#   CFG    as for build-kernel.sh: 4k-48 64k-42 16k-47 64k-52 4k-39 ...
#   STATE  plain (default): QEMU loads Image directly (-kernel), no firmware
#          a72: as plain, with -cpu cortex-a72 (ARMv8.0: no 52-bit VA, 44-bit
#          PA, so the linear map is randomized too), into OUT_ROOT/CFG-a72
#          efi: edk2 (QEMU_EFI.fd) loads Image from fw_cfg, the EFI stub runs
# Env:   KVER         5.10, 6.1 (default) or 6.12: picks the default BUILD_ROOT
#        BUILD_ROOT   default /work/big/arm64 (5.10: /work/big/arm64-5.10; 6.12: /work/big/arm64-6.12; build in BUILD_ROOT/build-CFG)
#        OUT_ROOT     default BUILD_ROOT; results go to OUT_ROOT/CFG (plain)
#                     or OUT_ROOT/CFG-efi
#        READY_TIMEOUT seconds to wait for READY (default 600)
#        CPU          QEMU -cpu (default max)
#
# Produces in the capture folder: vmcore.elf, serial.log,
# page_tables/kernel_page_tables.txt (+ efi_page_tables.txt), vmcoreinfo.txt
# (/sys/kernel/vmcoreinfo), vmcoreinfo-note.txt (the note's text read from
# vmcore.elf), cmdline.txt, dmesg.txt, info-registers.txt, sysregs.txt and
# mmu-regs.txt (from QEMU's gdb stub: TTBR1_EL1, TCR_EL1, ...), notes.txt
# (the dump's ELF notes), checks.txt (including check-walk.py's comparison
# of the dump's tables with the listing), qemu-cmd.txt, initrd.cpio.gz,
# timings.txt, kernel-sha256.txt, config (the kernel .config) and symlinks
# vmlinux, System.map, Image into the build directory.
set -euo pipefail

CFG=${1:?usage: capture.sh CFG [plain|efi|a72]}
STATE=${2:-plain}
HERE=$(cd "$(dirname "$0")" && pwd)
# KVER (5.10, 6.1 default, 6.12, 7.3) only picks build-kernel.sh's default tree.
KVER=${KVER:-6.1}
case "$KVER" in
    5.10) BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64-5.10} ;;
    6.1)  BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64} ;;
    6.12) BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64-6.12} ;;
    7.3)  BUILD_ROOT=${BUILD_ROOT:-/work/big/arm64-7.3} ;;
    *) echo "KVER must be 5.10, 6.1, 6.12 or 7.3" >&2; exit 1 ;;
esac
OUT_ROOT=${OUT_ROOT:-$BUILD_ROOT}
BUILD_DIR=$BUILD_ROOT/build-$CFG
SRC_DIR=${SRC_DIR:-$BUILD_ROOT/src}
READY_TIMEOUT=${READY_TIMEOUT:-600}
CPU=${CPU:-max}
EFI_FW=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd

. "$HERE/../lib/capture.sh"   # need_pkgs, qemu_capture, write_timings, link_kernel, vmcoreinfo_note
need_pkgs qemu-system-arm qemu-efi-aarch64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
          build-essential python3 cpio gzip bc

IMAGE=$BUILD_DIR/arch/arm64/boot/Image
[ -f "$IMAGE" ] || { echo "no $IMAGE: run build-kernel.sh $CFG first" >&2; exit 1; }

APPEND="console=ttyAMA0 loglevel=1 panic=-1"
case "$CFG" in *-kpti) APPEND="$APPEND kpti=1" ;; esac
FW=()
MACHINE=virt
case "$STATE" in
    plain) OUT=$OUT_ROOT/$CFG ;;
    # An ARMv8.0 CPU: no FEAT_LVA, so a VA_BITS_52 kernel falls back to 48-bit
    # VA at boot (vabits_actual = 48, TCR_EL1.T1SZ = 16); PARange 44 bits, so
    # KASLR also randomizes the linear map (with -cpu max, PARange is 52 bits,
    # larger than the linear region, and the linear map is not randomized).
    a72)   OUT=$OUT_ROOT/$CFG-a72; CPU=cortex-a72 ;;
    # acpi=off: otherwise edk2 hands the kernel ACPI tables and no DT (the stub
    # says "Generating empty DTB"), and this kernel has no ACPI: it hangs.
    # virtio-rng-pci: edk2's VirtioRngDxe provides EFI_RNG_PROTOCOL, which the
    # stub needs to randomize the kernel's physical placement (and seed KASLR).
    efi)   OUT=$OUT_ROOT/$CFG-efi; MACHINE=virt,acpi=off
           FW=(-bios "$EFI_FW" -device virtio-rng-pci) ;;
    *) echo "unknown state $STATE (plain|efi|a72)" >&2; exit 1 ;;
esac

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# initramfs: /init from ../lib/init.c plus /dev/console (lib/initramfs.sh).
"$HERE/../lib/initramfs.sh" aarch64-linux-gnu-gcc "$OUT_ROOT/initramfs" "$BUILD_DIR" "$SRC_DIR" "$OUT/initrd.cpio.gz"

SOCK=$OUT/qmp.sock
GSOCK=$OUT/gdb.sock
QEMU=(qemu-system-aarch64 -accel tcg -M "$MACHINE" -cpu "$CPU" -m 1G -smp 1
      "${FW[@]}"
      -kernel "$IMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND"
      -device vmcoreinfo -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$SOCK,server=on,wait=off"
      -gdb "unix:$GSOCK,server=on,wait=off" -no-reboot)
qemu-system-aarch64 --version | head -1 > "$OUT/qemu-version.txt"
qemu_capture "$OUT" "$READY_TIMEOUT" python3 "$HERE/qmp.py" "$SOCK" "$OUT" "$GSOCK" -- "${QEMU[@]}"
rm -f "$SOCK" "$GSOCK"

status=0
python3 "$HERE/../lib/extract.py" arm64 "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" || status=1

link_kernel "$OUT" "$BUILD_DIR" vmlinux System.map arch/arm64/boot/Image
cp "$BUILD_DIR/.config" "$OUT/config"
write_timings "$OUT" "stop, registers, sysregs, dump, quit"

echo "--- checks" | tee "$OUT/checks.txt"
grep -a '^init:' "$OUT/serial.log" | tr -d '\r' | tee -a "$OUT/checks.txt" || true
python3 "$HERE/../lib/elfcore.py" --list "$OUT/vmcore.elf" > "$OUT/notes.txt" || true
if vmcoreinfo_note "$OUT"; then
    for k in OSRELEASE PAGESIZE 'SYMBOL(swapper_pg_dir)' 'NUMBER(VA_BITS)' \
             'NUMBER(kimage_voffset)' 'NUMBER(PHYS_OFFSET)' 'NUMBER(TCR_EL1_T1SZ)' KERNELOFFSET; do
        if grep -qF "$k=" "$OUT/vmcoreinfo-note.txt"; then
            grep -F "$k=" "$OUT/vmcoreinfo-note.txt" | tee -a "$OUT/checks.txt"
        else
            echo "MISSING in VMCOREINFO: $k" | tee -a "$OUT/checks.txt"; status=1
        fi
    done
    off=$(sed -n 's/^KERNELOFFSET=//p' "$OUT/vmcoreinfo-note.txt")
    if [ -n "$off" ] && [ "$off" != 0 ]; then
        echo "KASLR active: KERNELOFFSET=$off" | tee -a "$OUT/checks.txt"
    else
        echo "KASLR NOT active: KERNELOFFSET=${off:-none}" | tee -a "$OUT/checks.txt"; status=1
    fi
else
    echo "MISSING: no VMCOREINFO note in $OUT/vmcore.elf" | tee -a "$OUT/checks.txt"; status=1
fi
grep -i 'kaslr\|Virtual Addressing\|LVA\|52-bit' "$OUT/dmesg.txt" 2>/dev/null | tee -a "$OUT/checks.txt" || true
[ -f "$OUT/mmu-regs.txt" ] && tee -a "$OUT/checks.txt" < "$OUT/mmu-regs.txt"
python3 "$HERE/check-walk.py" "$OUT" | tee -a "$OUT/checks.txt" || status=1
echo "markers:" | tee -a "$OUT/checks.txt"
grep -h '^---\[' "$OUT"/page_tables/*.txt | tee -a "$OUT/checks.txt"
echo "levels: $(awk '/^0x/ {print $3}' "$OUT"/page_tables/kernel_page_tables.txt | sort | uniq -c | tr -s ' ' | tr '\n' ';')" | tee -a "$OUT/checks.txt"
ls -l "$OUT/vmcore.elf"
wc -l "$OUT"/page_tables/*.txt
[ $status = 0 ] && echo "capture OK: $OUT" || { echo "capture has problems: $OUT" >&2; exit 1; }
