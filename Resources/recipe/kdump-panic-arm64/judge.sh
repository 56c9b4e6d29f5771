#!/bin/bash
# Judge kptdump on an arm64 kdump-panic capture (see README.md). Writes
# STATE/judge/ (listings, stderr) and STATE/judge.txt, STATE/walk.txt.
# Usage: judge.sh STATE|DIR     Environment: KPTDUMP (default /work/bin/kptdump).
#  1. `info` of each form with the dump alone (linked into an empty folder, so no
#     vmlinux or System.map is found beside it) and with --vmlinux;
#  2. the kernel listing of each form (ELF, kdump, flat) alone and with --vmlinux:
#     number of differing lines;
#  3. the independent walks: ../arm64/check-walk.py from the crasher CPU's
#     TTBR1_EL1 (swapper_pg_dir) against the kernel listing, and walk-ttbr0.py from
#     each CPU's TTBR0_EL1 against kptdump's --pid listing of the task that CPU ran;
#  4. `ps` (alone, --vmlinux) and `info --vmlinux`: each CPU's table (its task's
#     mm, or a kernel thread's active_mm) against its TTBR0_EL1 (ASID bits 63:48
#     and CnP bit 0 masked), the panicked CPU against the truth;
#     `--table current-kernel` with and without --cpu (arm64 has none: rc 2);
#  5. check-wx of each form, alone and with --vmlinux, against dmesg's line.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
D=$1; [ -d "$D" ] || D=${BIG:-/work/big/kdump-panic-arm64}/$1
D=$(cd "$D" && pwd)
K=${KPTDUMP:-/work/bin/kptdump}
V=$(sed -n 's/^vmlinux *//p' "$D/paths.txt")
J=$D/judge; rm -rf "$J"; mkdir -p "$J/alone"
for f in elf kdump flat; do ln -s "$D/vmcore.$f" "$J/alone/vmcore.$f"; done
python3 "$HERE/../lib/elfcore.py" "$D/vmcore.elf" >"$D/vmcoreinfo-note.txt"
exec > >(tee "$D/judge.txt") 2>&1
pid_of() { sed -n "s/^$1 .*pid=\([0-9]*\).*cpu=\([0-9]*\).*/\1 \2/p" "$D/truth.txt"; }
read -r CPID CCPU < <(pid_of crasher); read -r BPID BCPU < <(pid_of busy)
echo "state $(basename "$D"): crasher pid $CPID on cpu$CCPU, busy pid $BPID on cpu$BCPU; kptdump $K"

echo "== 1. info"
for f in elf kdump flat; do
    "$K" info "$J/alone/vmcore.$f" >"$J/info-alone-$f.txt" 2>&1; echo "info alone $f: rc $?"
    "$K" info "$J/alone/vmcore.$f" --vmlinux "$V" >"$J/info-vmlinux-$f.txt" 2>&1; echo "info --vmlinux $f: rc $?"
done
grep -E '^(symbols|types|panic CPU|CPU [0-9]|warning|markers from|attributes from):' "$J/info-alone-kdump.txt" | sed 's/^/  alone: /'

echo "== 2. kernel listing, alone vs --vmlinux"
for f in elf kdump flat; do
    s=$(date +%s.%N); "$K" "$J/alone/vmcore.$f" >"$J/kernel-alone-$f.txt" 2>"$J/kernel-alone-$f.err"; r1=$?
    m=$(date +%s.%N); "$K" "$J/alone/vmcore.$f" --vmlinux "$V" >"$J/kernel-vmlinux-$f.txt" 2>"$J/kernel-vmlinux-$f.err"; r2=$?
    e=$(date +%s.%N)
    n=$(diff "$J/kernel-alone-$f.txt" "$J/kernel-vmlinux-$f.txt" | grep -c '^[<>]')
    printf '%-5s alone rc %d (%.2f s), --vmlinux rc %d (%.2f s): %d lines each, %d differing lines\n' \
        "$f" $r1 "$(echo "$m - $s" | bc)" $r2 "$(echo "$e - $m" | bc)" "$(wc -l <"$J/kernel-alone-$f.txt")" "$n"
done
for f in kdump flat; do cmp -s "$J/kernel-vmlinux-elf.txt" "$J/kernel-vmlinux-$f.txt" && echo "elf = $f (--vmlinux)" || echo "elf != $f (--vmlinux)"; done

echo "== 3. independent walks"
W=$J/walk; mkdir -p "$W/page_tables"
ln -s "$D/vmcore.elf" "$W/vmcore.elf"; cp "$D/vmcoreinfo-note.txt" "$W/"
grep -E '^(TTBR1_EL1|TCR_EL1) ' "$D/ttbr-cpu$CCPU.txt" >"$W/mmu-regs.txt"
cp "$J/kernel-alone-elf.txt" "$W/page_tables/kernel_page_tables.txt"
{ echo "kernel (cpu$CCPU's TTBR1_EL1, swapper_pg_dir) against the kernel listing:"
  python3 "$HERE/../arm64/check-walk.py" "$W"
  for r in "$D"/ttbr-cpu*.txt; do
      n=${r##*ttbr-cpu}; n=${n%.txt}
      p=$CPID; [ "$n" = "$BCPU" ] && p=$BPID
      "$K" "$J/alone/vmcore.elf" --vmlinux "$V" --pid "$p" >"$J/pid$p.txt" 2>"$J/pid$p.err"
      echo "cpu$n (TTBR0_EL1) against kptdump --pid $p: $(cat "$J/pid$p.err" | grep -v address_markers)"
      python3 "$HERE/walk-ttbr0.py" "$D/vmcore.elf" "$r" "$J/pid$p.txt"
  done; } | tee "$D/walk.txt"

echo "== 4. ps, current-kernel"
"$K" ps "$J/alone/vmcore.kdump" >"$J/ps-alone.txt" 2>"$J/ps-alone.err"; echo "ps alone: rc $? $(grep -v 'address_markers\|pte_bits\|kallsyms could' "$J/ps-alone.err")"
"$K" ps "$J/alone/vmcore.kdump" --vmlinux "$V" >"$J/ps-vmlinux.txt" 2>"$J/ps-vmlinux.err"; echo "ps --vmlinux: rc $?"
grep 'CPU' "$J/ps-vmlinux.txt" | sed 's/^/  /'
for r in "$D"/ttbr-cpu*.txt; do
    n=${r##*ttbr-cpu}; n=${n%.txt}
    t0=$(awk '$1 == "TTBR0_EL1" {print $2}' "$r")
    want=$(printf '0x%016x' $(( t0 & 0x0000fffffffffffe )))
    ps=$(awk -v c="CPU $n" 'index($0, c) {print $1, $2, $4}' "$J/ps-vmlinux.txt")
    # info names each CPU's table: its task's mm, or a kernel thread's active_mm
    line=$(grep -E "^CPU $n( \(panicked\))?:" "$J/info-vmlinux-kdump.txt")
    got=$(printf '0x%016x' "$(echo "$line" | sed -n 's/.*at physical \(0x[0-9a-f]*\).*/\1/p')")
    [ "$got" = "$want" ] && ok=OK || ok=MISMATCH
    echo "cpu$n: TTBR0_EL1 $t0 -> $want; info: $(echo "${line#*:}" | sed "s/^ *//") -> $got: $ok (ps: pid comm PGD = $ps)"
done
pc=$(grep -c "CPU $CCPU (panicked)" "$J/ps-vmlinux.txt"); echo "panicked CPU in ps: cpu$CCPU $( [ "$pc" = 1 ] && echo OK || echo MISMATCH)"
for m in alone vmlinux; do
    a=(); [ $m = vmlinux ] && a=(--vmlinux "$V")
    for c in "" 0 1; do
        ca=(); [ -n "$c" ] && ca=(--cpu "$c")
        "$K" "$J/alone/vmcore.kdump" "${a[@]}" --table current-kernel "${ca[@]}" >/dev/null 2>"$J/ck.err"
        echo "current-kernel $m ${c:+--cpu $c}: rc $? $(grep -v 'address_markers\|pte_bits\|kallsyms could' "$J/ck.err")"
    done
done

echo "== 5. check-wx"
echo "dmesg: $(grep -a 'W+X' "$D/dmesg.txt" | head -1)"
for f in elf kdump flat; do
    echo "$f alone: $("$K" check-wx "$J/alone/vmcore.$f" 2>/dev/null; echo "rc $?")" | tr '\n' ' '; echo
    echo "$f --vmlinux: $("$K" check-wx "$J/alone/vmcore.$f" --vmlinux "$V" 2>/dev/null; echo "rc $?")" | tr '\n' ' '; echo
done
