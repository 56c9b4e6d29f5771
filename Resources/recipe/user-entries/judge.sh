#!/bin/bash
# judge.sh ARCH: after capture.sh ARCH, judge kptdump on that capture through a
# snapshot, as a fixture would be used:
#   1. kptdump snapshot --core vmcore.elf --vmlinux vmlinux -o OUT/snapshot.core
#   2. kptdump --core snapshot.core (and the full dump) against the kernel's own
#      page_tables/kernel_page_tables.txt: cmp, and the diff when they differ
#   3. kptdump --core snapshot.core --pid VICTIM --json, judged by check.py
#      against pagemap and the raw PTEs (counts per kind; arm64 and riscv64
#      only: check.py does not decode ppc64le or s390x entries)
#   4. kptdump check-wx, info, ps on the snapshot (check-wx also on the full
#      dump), next to the kernel's own W+X verdict from dmesg.txt when there is one
# Everything goes to OUT/judge/ (OUT as for capture.sh); a summary is printed.
# Exit 1 when the listing differs, check.py reports a difference, or a command
# fails.
#
# Env: KVER, UE_ROOT, OUT, KPTDUMP as for capture.sh.
set -uo pipefail
ARCH=${1:?usage: judge.sh arm64|riscv64|ppc64le|s390x}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/roots.sh"
OUT=${OUT:-$UE_ROOT/$ARCH}
KPTDUMP=${KPTDUMP:-/work/main/.build-helper/debug/kptdump}
J=$OUT/judge
mkdir -p "$J"
K=$KPTDUMP
status=0
. "$HERE/../lib/judge-run.sh"   # run, must

PID=$(cat "$OUT/victim-pid.txt")
must snapshot "$K" snapshot --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" -o "$J/snapshot.core"
SNAP=$J/snapshot.core
echo "snapshot: $(stat -c %s "$SNAP") bytes; $(tail -c +1 "$J/snapshot.err" | head -2 | tr '\n' ' ')"

KT=$OUT/page_tables/kernel_page_tables.txt
for src in snapshot full; do
    if [ $src = snapshot ]; then must "listing-$src" "$K" --core "$SNAP"
    else must "listing-$src" "$K" --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux"; fi
    if cmp -s "$J/listing-$src.txt" "$KT"; then
        echo "kernel listing ($src): byte for byte the kernel's ($(wc -l <"$KT") lines)"
    else
        diff "$KT" "$J/listing-$src.txt" >"$J/listing-$src.diff"
        echo "kernel listing ($src): DIFFERS, $(grep -c '^[<>]' "$J/listing-$src.diff") diff lines (judge/listing-$src.diff)"
        status=1
    fi
done

must ps "$K" ps --core "$SNAP"
PGD=$(awk -v p="$PID" '$1 == p {print $4}' "$J/ps.txt")
echo "ps: $(($(wc -l <"$J/ps.txt") - 1)) tasks; victim: $(awk -v p="$PID" '$1 == p' "$J/ps.txt")"
must pid-json "$K" --core "$SNAP" --pid "$PID" --json
case "$ARCH" in
arm64|riscv64)
if python3 "$HERE/check.py" "$ARCH" "$OUT" "$PGD" "$J/pid-json.txt" >"$J/check.txt"; then :; else status=1; fi
grep -E '^# (pagemap|kptdump) vs' "$J/check.txt"
# pages per category (check.py's own decoding, column 6 on)
grep -v '^#' "$J/check.txt" | awk -F'|' '{n = split($1, a, " "); k = a[6]
    for (i = 7; i < n; i++) { if (a[i] ~ /^[0-9a-f]{16}$/) break; k = k " " a[i] } print k}' |
    sort | uniq -c | sed 's/^/  /' | tee "$J/kinds.txt"
grep -q '<-- ' "$J/check.txt" && { echo "check.py: differences (judge/check.txt)"; status=1; }
;;
*) echo "check.py: not for $ARCH (pagemap per region: pagemap-regions.txt; kptdump's --pid JSON: judge/pid-json.txt)" ;;
esac

must check-wx "$K" check-wx --core "$SNAP"
must check-wx-full "$K" check-wx --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux"
echo "check-wx (snapshot): $(cat "$J/check-wx.txt")"
echo "check-wx (full dump): $(cat "$J/check-wx-full.txt")"
kwx=$(grep -ah 'Checked W+X mappings' "$OUT/dmesg.txt" | sed 's/^<[0-9]>//' || true)
echo "kernel (dmesg):       ${kwx:-(no verdict: kernel without DEBUG_WX)}"
must info "$K" info --core "$SNAP"
echo "info: $(grep -E '^(release|markers from|attributes from):' "$J/info.txt" | tr -s ' ' | tr '\n' ';')"
[ $status = 0 ] && echo "judge OK: $J" || { echo "judge found problems: $J" >&2; exit 1; }
