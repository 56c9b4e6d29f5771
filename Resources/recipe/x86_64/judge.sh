#!/bin/bash
# judge.sh STATE: after capture.sh STATE, judge kptdump on that capture the way
# a fixture uses it:
#   1. kptdump snapshot --core vmcore.elf --vmlinux vmlinux -o J/snapshot.core
#   2. each table (kernel, current-kernel, current-user, efi) listed from the
#      snapshot and from the full dump (with vmlinux), compared byte for byte
#      with the kernel's own page_tables/<table>.txt (diff when they differ)
#   3. kptdump check-wx (snapshot and full dump) next to the kernel's own boot
#      verdict (wx-check.txt, from the dump's printk buffer, when the kernel has
#      CONFIG_DEBUG_WX), and kptdump info
# Everything goes to OUT_ROOT/STATE/judge/; a summary is printed. Exit 1 when a
# listing differs or a command fails.
#
# Env: KVER, OUT_ROOT as for capture.sh; KPTDUMP (default
#      /work/main/.build/release/kptdump).
set -uo pipefail
STATE=${1:?usage: judge.sh 4level|5level|pti|efi|5level-pti|efi-5level}
KVER=${KVER:-6.1}
case "$KVER" in 6.1) ROOT=/work/big/x86_64 ;; 6.12|5.10|7.3) ROOT=/work/big/x86_64-$KVER ;;
    *) echo "KVER must be 6.1, 6.12, 5.10 or 7.3" >&2; exit 1 ;; esac
OUT=${OUT_ROOT:-$ROOT}/$STATE
K=${KPTDUMP:-/work/main/.build/release/kptdump}
J=$OUT/judge
mkdir -p "$J"
status=0
. "$(dirname "$0")/../lib/judge-run.sh"   # run, must

run snapshot "$K" snapshot --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux" -o "$J/snapshot.core" ||
    { echo "FAILED: snapshot (judge/snapshot.err)"; exit 1; }
echo "snapshot: $(stat -c %s "$J/snapshot.core") bytes"

for t in kernel current-kernel current-user efi; do
    KT=$OUT/page_tables/${t//-/_}.txt
    for src in snapshot full; do
        if [ $src = snapshot ]; then run "$t-$src" "$K" --table "$t" "$J/snapshot.core"
        else run "$t-$src" "$K" --table "$t" --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux"; fi
        rc=$?
        if cmp -s "$J/$t-$src.txt" "$KT"; then
            echo "$t ($src): byte for byte the kernel's ($(wc -l <"$KT") lines, exit $rc)"
        else
            diff "$KT" "$J/$t-$src.txt" >"$J/$t-$src.diff"
            echo "$t ($src): DIFFERS, $(grep -c '^[<>]' "$J/$t-$src.diff") diff lines of $(wc -l <"$KT") (exit $rc; judge/$t-$src.diff)"
            status=1
        fi
    done
done

run check-wx "$K" check-wx "$J/snapshot.core"; echo "check-wx (snapshot, exit $?): $(tr '\n' ' ' <"$J/check-wx.txt")"
run check-wx-full "$K" check-wx --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux"
echo "check-wx (full dump, exit $?): $(tr '\n' ' ' <"$J/check-wx-full.txt")"
if [ -f "$OUT/wx-check.txt" ]; then
    echo "kernel (printk buffer): $(grep 'W+X mappings\|Checking user' "$OUT/wx-check.txt" | sed 's/^<6>//' | tr '\n' ' ')"
else
    echo "kernel: no verdict (kernel without DEBUG_WX)"
fi
must info "$K" info "$J/snapshot.core"
must info-full "$K" info --core "$OUT/vmcore.elf" --vmlinux "$OUT/vmlinux"
[ $status = 0 ] && echo "judge OK: $J" || { echo "judge found differences: $J" >&2; exit 1; }
