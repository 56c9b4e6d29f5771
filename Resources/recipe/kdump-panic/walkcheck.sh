#!/bin/bash
# Does the dump hold the tables of the truth? For each CPU of a state, walks
# tlb-cpuN.txt's addresses from regs-cpuN.txt's CR3 through vmcore.elf with
# ../debian-stock/walkcheck.py (physical addresses only; its "kernel half equal"
# is False for a PTI user copy, as it should be). Writes STATE/walkcheck-cpuN.txt.
# Usage: walkcheck.sh STATE|DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
D=$1; [ -d "$D" ] || D=${BIG:-/work/big/kdump-panic}/$1
status=0
for r in "$D"/regs-cpu*.txt; do
    n=${r##*regs-cpu}; n=${n%.txt}
    t=$(mktemp -d)
    ln -s "$D/vmcore.elf" "$t/vmcore.elf"
    ln -s "$r" "$t/info-registers.txt"
    ln -s "$D/tlb-cpu$n.txt" "$t/info-tlb.txt"
    echo "cpu$n: $(python3 "$HERE/../debian-stock/walkcheck.py" "$t" | tr '\n' ' ')" | tee "$D/walkcheck-cpu$n.txt"
    grep -q ' 0 mismatches' "$D/walkcheck-cpu$n.txt" || status=1
    rm -r "$t"
done
exit $status
