#!/bin/bash
# Convert an ELF memory dump to makedumpfile's kdump-compressed formats.
#
# Usage: convert.sh DUMP OUTDIR [VMLINUX]
#   DUMP     an ELF core (QEMU dump-guest-memory, a kptdump snapshot, ...), or a
#            capture folder holding vmcore.elf
#   OUTDIR   created if missing; existing outputs of the same names are replaced
#   VMLINUX  optional; when given, the -d 31 conversions get `-x VMLINUX`.
#            Without it makedumpfile works from the dump's VMCOREINFO note alone.
# Env: VARIANTS   space-separated subset of the names below (default: all)
#      MSGLEVEL   makedumpfile --message-level (default 30: common, error,
#                 debug and report messages, no progress bar)
#
# Steps:
#   1. phdrs-first.py DUMP OUTDIR/vmcore-phdrs64.elf  (makedumpfile 1.7.2 reads
#      the program headers at offset 64 whatever e_phoff says)
#   2. from that copy, one makedumpfile run per variant:
#        c-d0.kdump     -c -d 0          (zlib, every page)
#        l-d0.kdump     -l -d 0          (lzo, every page)
#        c-d31.kdump    -c -d 31         (zlib; zero, cache, user and free pages excluded)
#        l-d31.kdump    -l -d 31
#        F-c-d0.flat    -F -c -d 0 > file   (flattened format, on stdout)
#        F-l-d31.flat   -F -l -d 31 > file
#      each with its log in OUTDIR/NAME.log (makedumpfile's messages, exit status)
#   3. OUTDIR/timings.txt: one line per step: name, wall seconds, output bytes,
#      exit status, the command.
#   4. if kdumpinfo.py sits next to this script: OUTDIR/NAME.info.txt, its summary
#      of each output's headers and bitmaps.
# The ELF copy is kept (OUTDIR/vmcore-phdrs64.elf); delete it when done.
set -uo pipefail

DUMP=${1:?usage: convert.sh DUMP OUTDIR [VMLINUX]}
OUTDIR=${2:?usage: convert.sh DUMP OUTDIR [VMLINUX]}
VMLINUX=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
MSGLEVEL=${MSGLEVEL:-30}
VARIANTS=${VARIANTS:-"c-d0 l-d0 c-d31 l-d31 F-c-d0 F-l-d31"}
[ -d "$DUMP" ] && DUMP=$DUMP/vmcore.elf
[ -f "$DUMP" ] || { echo "no such dump: $DUMP" >&2; exit 1; }
command -v makedumpfile >/dev/null || { apt-get update && apt-get install -y makedumpfile; }
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
TIMINGS=$OUTDIR/timings.txt
ELF=$OUTDIR/vmcore-phdrs64.elf

{
    echo "# convert.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), $(nproc) cores"
    echo "# input: $DUMP ($(stat -c %s "$DUMP") bytes)${VMLINUX:+, vmlinux: $VMLINUX}"
    echo "# $(makedumpfile -v 2>&1 | head -1)"
    printf '# %-14s %9s %14s %4s  %s\n' name seconds bytes rc command
} > "$TIMINGS"

# record NAME OUTFILE RC SECONDS CMD...
record() {
    local name=$1 out=$2 rc=$3 secs=$4; shift 4
    local bytes=-
    [ -f "$out" ] && bytes=$(stat -c %s "$out")
    printf '%-16s %9.2f %14s %4s  %s\n' "$name" "$secs" "$bytes" "$rc" "$*" | tee -a "$TIMINGS"
}

now() { date +%s.%N; }

rm -f "$ELF"
t0=$(now)
python3 "$HERE/phdrs-first.py" "$DUMP" "$ELF" > "$OUTDIR/phdrs-first.log" 2>&1
rc=$?
record phdrs-first "$ELF" $rc "$(echo "$(now) - $t0" | bc)" phdrs-first.py "$DUMP" "$ELF"
[ $rc -eq 0 ] || { cat "$OUTDIR/phdrs-first.log" >&2; exit 1; }

for v in $VARIANTS; do
    case $v in
        c-d0)    args=(-c -d 0);     flat=0 ;;
        l-d0)    args=(-l -d 0);     flat=0 ;;
        c-d31)   args=(-c -d 31);    flat=0 ;;
        l-d31)   args=(-l -d 31);    flat=0 ;;
        F-c-d0)  args=(-F -c -d 0);  flat=1 ;;
        F-l-d31) args=(-F -l -d 31); flat=1 ;;
        *) echo "unknown variant $v" >&2; exit 1 ;;
    esac
    if [ -n "$VMLINUX" ] && [[ " ${args[*]} " == *" 31 "* ]]; then
        args+=(-x "$VMLINUX")
    fi
    args+=(--message-level "$MSGLEVEL")
    if [ $flat = 1 ]; then out=$OUTDIR/$v.flat; else out=$OUTDIR/$v.kdump; fi
    rm -f "$out"
    t0=$(now)
    if [ $flat = 1 ]; then
        makedumpfile "${args[@]}" "$ELF" > "$out" 2> "$OUTDIR/$v.log"
        rc=$?
        cmd="makedumpfile ${args[*]} vmcore-phdrs64.elf > $(basename "$out")"
    else
        makedumpfile "${args[@]}" "$ELF" "$out" > "$OUTDIR/$v.log" 2>&1
        rc=$?
        cmd="makedumpfile ${args[*]} vmcore-phdrs64.elf $(basename "$out")"
    fi
    secs=$(echo "$(now) - $t0" | bc)
    echo "exit status $rc" >> "$OUTDIR/$v.log"
    [ -f "$out" ] && chmod a+r "$out"    # makedumpfile creates its files 0600
    record "$v" "$out" $rc "$secs" "$cmd"
    if [ $rc -eq 0 ] && [ -f "$HERE/kdumpinfo.py" ]; then
        python3 "$HERE/kdumpinfo.py" "$out" > "$OUTDIR/$v.info.txt" 2>&1 || echo "kdumpinfo.py failed on $out" >&2
    fi
done
