#!/bin/bash
# Run kptdump inside a QEMU x86-64 guest on the guest's own /proc/kcore, idle
# and 100 times while user space churns vmalloc'd kernel stacks (see init.c).
#
# Usage: run.sh [KPTDUMP_BINARY]
#   KPTDUMP_BINARY  default /work/big/live/build/release/kptdump
# Env:
#   KBUILD      the kernel build of build-kernel.sh (default /work/big/live/kernel);
#               its bzImage, System.map and vmlinux (with DWARF) are used
#   SRC_DIR     its source (default /work/big/x86_64/src; for gen_init_cpio.c only)
#   OUT         results folder (default /work/big/live/run; emptied first)
#   CPU MEM SMP QEMU's -cpu, -m, -smp (default max, 2G, 2)
#   TIMEOUT     seconds the guest may take before it is stopped (default 7200)
#   EXTRA_APPEND more kernel command line (e.g. live.runs=N for a quick try;
#               the exit status is 0 only with the full 100 runs)
#
# Builds OUT/initrd.img from two archives: lib/initramfs.sh's (/init from
# init.c, /dev/console) and OUT/extra.cpio.gz (kptdump and every shared library
# ldd lists for it, at the same paths; System.map; vmlinux, for the DWARF
# offsets live current-kernel needs; churn; check-listing; busybox). Boots
# QEMU (TCG) with ttyS0 to OUT/serial.log, waits for the guest's READY
# (lib/capture.sh), cuts the marked sections into OUT/files/ (extract.py)
# and prints the results.
#
# Exit status: 0 if "LIVE: 100/100 runs ok" and every idle listing was
# byte-identical to the kernel's (current-kernel: its kernel half), and
# --table current-kernel without --vmlinux was refused (RESULT: PASS); 1
# otherwise.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$HERE/../lib
KPTDUMP=$(realpath "${1:-/work/big/live/build/release/kptdump}")
KBUILD=${KBUILD:-/work/big/live/kernel}
SRC_DIR=${SRC_DIR:-/work/big/x86_64/src}
OUT=${OUT:-/work/big/live/run}
CPU=${CPU:-max}
MEM=${MEM:-2G}
SMP=${SMP:-2}
TIMEOUT=${TIMEOUT:-7200}
EXTRA_APPEND=${EXTRA_APPEND:-}

. "$HERE/../lib/capture.sh"   # need_pkgs
need_pkgs qemu-system-x86 build-essential busybox-static python3 gzip

BZIMAGE=$KBUILD/arch/x86/boot/bzImage
VMLINUX=$KBUILD/vmlinux
[ -f "$BZIMAGE" ] || { echo "no $BZIMAGE: run build-kernel.sh first" >&2; exit 1; }
[ -f "$VMLINUX" ] || { echo "no $VMLINUX: run build-kernel.sh first" >&2; exit 1; }
[ -x "$KPTDUMP" ] || { echo "no kptdump binary at $KPTDUMP" >&2; exit 1; }
grep -q '^CONFIG_VMAP_STACK=y' "$KBUILD/.config" || echo "WARNING: $KBUILD has no CONFIG_VMAP_STACK=y" >&2

rm -rf "$OUT"
mkdir -p "$OUT/initramfs" "$OUT/files"
OUT=$(cd "$OUT" && pwd)
IRD=$OUT/initramfs

t0=$(date +%s)
# 1. /init (and /dev/console, /proc, /sys) by the shared helper.
"$LIB/initramfs.sh" gcc "$IRD" "$KBUILD" "$SRC_DIR" "$OUT/base.cpio.gz" "$HERE/init.c"

# 2. Everything else, as a second archive appended to the first (the kernel
#    unpacks concatenated archives in order).
gcc -static -O2 -Wall -pthread -o "$IRD/churn" "$HERE/churn.c"
gcc -static -O2 -Wall -o "$IRD/check-listing" "$HERE/check-listing.c"
GEN=$KBUILD/usr/gen_init_cpio
[ -x "$GEN" ] || GEN=$IRD/gen_init_cpio   # lib/initramfs.sh built it there

ldd "$KPTDUMP" > "$OUT/ldd.txt" || true
if grep -q 'not found' "$OUT/ldd.txt"; then
    echo "kptdump needs libraries this host does not have:" >&2
    grep 'not found' "$OUT/ldd.txt" >&2
    exit 1
fi
# "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" and the loader
# "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
mapfile -t LIBS < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' "$OUT/ldd.txt" | sort -u)
[ ${#LIBS[@]} -gt 0 ] || { echo "ldd listed no libraries for $KPTDUMP (static?)" >&2; }

declare -A DIRS=()
add_dirs() {   # every ancestor of a path, outermost first
    local d=$(dirname "$1") parts=() p=""
    while [ "$d" != / ]; do parts=("$d" "${parts[@]}"); d=$(dirname "$d"); done
    for p in "${parts[@]}"; do
        [ -n "${DIRS[$p]:-}" ] && continue
        DIRS[$p]=1
        echo "dir $p 0755 0 0"
    done
}
{
    echo "dir /tmp 1777 0 0"
    for f in /bin/kptdump /bin/churn /bin/check-listing /bin/busybox /System.map /vmlinux "${LIBS[@]}"; do add_dirs "$f"; done
    echo "file /bin/kptdump $KPTDUMP 0755 0 0"
    echo "file /bin/churn $IRD/churn 0755 0 0"
    echo "file /bin/check-listing $IRD/check-listing 0755 0 0"
    echo "file /bin/busybox $(command -v busybox) 0755 0 0"
    echo "file /System.map $KBUILD/System.map 0644 0 0"
    # With DWARF: live --table current-kernel finds kptdump's own task with it.
    echo "file /vmlinux $VMLINUX 0644 0 0"
    # The path the loader looks for (ldd's), with the bytes of the file it
    # points to (sonames are symlinks on the host).
    for l in "${LIBS[@]}"; do echo "file $l $(realpath "$l") 0755 0 0"; done
} > "$OUT/extra.list"
"$GEN" "$OUT/extra.list" | gzip -1 > "$OUT/extra.cpio.gz"
cat "$OUT/base.cpio.gz" "$OUT/extra.cpio.gz" > "$OUT/initrd.img"
t1=$(date +%s)
echo "initramfs: $(du -h "$OUT/initrd.img" | cut -f1) ($(( t1 - t0 )) s); libraries: ${LIBS[*]}"
sha256sum "$KPTDUMP" "$BZIMAGE" "$KBUILD/System.map" "$VMLINUX" > "$OUT/inputs-sha256.txt"

# 3. Boot.
SOCKDIR=$(mktemp -d /tmp/live-churn.XXXXXX)
QMP_SOCK=$SOCKDIR/qmp.sock
APPEND="console=ttyS0 loglevel=1 panic=-1 $EXTRA_APPEND"
QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      -kernel "$BZIMAGE" -initrd "$OUT/initrd.img" -append "$APPEND"
      -display none -serial "file:$OUT/serial.log"
      -qmp "unix:$QMP_SOCK,server=on,wait=off" -no-reboot)
python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "${QEMU[@]}" > "$OUT/qemu-cmd.txt"
echo "booting: $(cat "$OUT/qemu-cmd.txt")"

"${QEMU[@]}" &
QPID=$!
cleanup() {
    if kill -0 "$QPID" 2>/dev/null; then
        # Stop it politely over QMP (lib/qmp_client.py), else by its pid.
        python3 -c "import sys; sys.path.insert(0, '$LIB'); import qmp_client as c; c.quit(c.QMP('$QMP_SOCK'))" 2>/dev/null \
            || kill "$QPID" 2>/dev/null || true
        wait "$QPID" 2>/dev/null || true
    fi
    rm -rf "$SOCKDIR"
}
trap cleanup EXIT

# Progress every minute while waiting.
( while kill -0 "$QPID" 2>/dev/null; do
      sleep 60
      n=$(grep -ac '^RUN ' "$OUT/serial.log" 2>/dev/null || true)
      echo "  ... $(( $(date +%s) - t1 )) s: ${n:-0} runs done"
  done ) &
PROGRESS=$!

. "$LIB/capture.sh"
status=0
( wait_for_ready "$OUT/serial.log" "$QPID" "$TIMEOUT" ) || status=$?
t2=$(date +%s)
kill "$PROGRESS" 2>/dev/null || true
wait "$QPID" 2>/dev/null || true   # the guest powers itself off after READY
trap - EXIT
cleanup

tr -d '\r' < "$OUT/serial.log" > "$OUT/console.txt"
python3 "$HERE/../lib/extract.py" --flat "$OUT/serial.log" "$OUT/files" > "$OUT/extract.log"
{
    echo "boot to READY: $(( t2 - t1 )) s (initramfs $(( t1 - t0 )) s)"
    grep -a -E '^(init:|HELP:|INFO:|TIMING:|VMALLOC|STATS:|churn:)' "$OUT/console.txt" || true
    grep -a -E '^IDLE .*attempt' "$OUT/console.txt" || true
    grep -a -E '^RUN .*FAIL' "$OUT/console.txt" | head -20 || true
    grep -a -E '^(LIVE:|OUTSIDE-VMALLOC:|IDLE [^ ]+ [^ ]+: |RESULT:)' "$OUT/console.txt" || true
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
[ -s "$OUT/extract.log" ] && { echo "--- sections saved:"; cat "$OUT/extract.log"; }
echo "--- full console: $OUT/console.txt"

if [ $status -ne 0 ]; then
    echo "FAILED: the guest did not finish (see $OUT/console.txt)"
    exit 1
fi
if grep -aq '^RESULT: PASS' "$OUT/console.txt" && grep -aq '^LIVE: 100/100 runs ok' "$OUT/console.txt"; then
    echo "PASSED"
    exit 0
fi
echo "FAILED"
exit 1
