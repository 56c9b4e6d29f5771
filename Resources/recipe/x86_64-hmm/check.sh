#!/bin/bash
# check.sh OUTDIR: run kptdump on the capture (ps, then --pid VICTIM as text and JSON)
# and compare, page by page, pagemap, the raw PTE (read by check.py from the dump) and
# kptdump's JSON. KPTDUMP names the binary (default /work/main/.build-hmm/debug/kptdump).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "${1:-/work/big/hmm/out}" && pwd)
K=${KPTDUMP:-/work/main/.build-hmm/debug/kptdump}
PID=$(cat "$OUT/victim-pid.txt")
"$K" ps "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" >"$OUT/kptdump-ps.txt"
PGD=$(awk -v p="$PID" '$1 == p {print $4}' "$OUT/kptdump-ps.txt")
echo "victim $PID: $(awk -v p="$PID" '$1 == p' "$OUT/kptdump-ps.txt")"
[ -n "$PGD" ] && [ "$PGD" != - ] || { echo "victim $PID not in kptdump ps"; exit 1; }
rc=0
"$K" "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" >"$OUT/kptdump-pid.txt" 2>"$OUT/kptdump-pid.stderr" || rc=$?
echo "kptdump --pid $PID: exit $rc"
rc=0
"$K" "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" --pid "$PID" --json >"$OUT/kptdump-pid.jsonl" 2>>"$OUT/kptdump-pid.stderr" || rc=$?
echo "kptdump --pid $PID --json: exit $rc"
python3 "$HERE/check.py" "$OUT" "$PGD" "$OUT/kptdump-pid.jsonl" >"$OUT/check.txt" || rc=$?
grep '^#' "$OUT/check.txt" | grep -v '^# [a-z]* [0-9a-f]\{16\}'
exit $rc
