#!/bin/bash
# Judge kptdump on a kdump-panic capture, with NO vmlinux and NO System.map: the
# dumps are linked into an empty folder, so nothing is found beside them.
#
# Usage: judge.sh STATE|DIR        (writes DIR/judge/, prints a summary)
# Environment: KPTDUMP (default /work/bin/kptdump).
#
# - `info` and `ps` of the dump alone (info must name the dump's kallsyms);
# - the kernel listing of the ELF, kdump and flattened dumps, alone and with
#   --vmlinux (paths.txt): all six must be byte-identical;
# - current-kernel and current-user with no --cpu, --cpu 0 and --cpu 1, alone and
#   with --vmlinux (must be identical), with stderr (CPU, task, table), and the
#   root each used (the last address on its stderr line) against each CPU's CR3
#   in regs-cpuN.txt (PTI: kernel PGD = CR3 & ~0x1fff, user copy = that + 0x1000).
# Exit status 1 on any difference or mismatch.
set -uo pipefail
SRC=${1:?usage: judge.sh STATE|DIR}
[ -d "$SRC" ] || SRC=${BIG:-/work/big/kdump-panic}/$SRC
SRC=$(cd "$SRC" && pwd)
K=${KPTDUMP:-/work/bin/kptdump}
VMLINUX=$(sed -n 's/^vmlinux *//p' "$SRC/paths.txt")
J=$SRC/judge
rm -rf "$J"; mkdir -p "$J/dump"
FORMS="elf kdump flat"
[ -f "$SRC/vmcore-d23.kdump" ] && FORMS+=" d23"   # makedumpfile -l -d 23 of vmcore.elf (capture.sh)
for f in vmcore.elf vmcore.kdump vmcore.flat; do ln -s "$SRC/$f" "$J/dump/$f"; done
[ -f "$SRC/vmcore-d23.kdump" ] && ln -s "$SRC/vmcore-d23.kdump" "$J/dump/vmcore.d23"
D=$J/dump
status=0
"$K" info "$D/vmcore.elf" >"$J/info.txt" 2>&1
"$K" info "$D/vmcore.elf" --vmlinux "$VMLINUX" >"$J/info-with-vmlinux.txt" 2>&1
"$K" ps "$D/vmcore.elf" >"$J/ps.txt" 2>&1
for f in $FORMS; do
    [ $f = elf ] && continue
    "$K" ps "$D/vmcore.$f" >"$J/ps-$f.txt" 2>&1
    cmp -s "$J/ps.txt" "$J/ps-$f.txt" && echo "ps $f: same as ELF's" || { echo "ps $f: DIFFERS from ELF's: $(tail -1 "$J/ps-$f.txt")"; status=1; }
done
grep -q "the dump's kallsyms" "$J/info.txt" && echo "info: symbols from the dump's kallsyms" \
    || { echo "info: symbols NOT from the dump's kallsyms"; status=1; }

echo "== kernel listing, dump alone vs --vmlinux"
for f in $FORMS; do
    "$K" "$D/vmcore.$f" >"$J/kernel-$f.txt" 2>"$J/kernel-$f.err"
    "$K" "$D/vmcore.$f" --vmlinux "$VMLINUX" >"$J/kernel-$f-vmlinux.txt" 2>"$J/kernel-$f-vmlinux.err"
done
for f in $FORMS; do
    for v in "" -vmlinux; do
        if cmp -s "$J/kernel-elf.txt" "$J/kernel-$f$v.txt"; then r=identical; else r=DIFFERS; status=1; fi
        echo "kernel $f$v vs elf (dump alone): $r ($(wc -l <"$J/kernel-$f$v.txt") lines)"
    done
done

echo "== current tables"
cr3() { sed -n 's/.*\bCR3=\([0-9a-f]*\).*/\1/p' "$SRC/regs-cpu$1.txt"; }
for t in current-kernel current-user; do
    for c in "" 0 1; do
        a=(--table "$t"); [ -z "$c" ] || a+=(--cpu "$c")
        res=""
        for f in $FORMS; do
            n=$t-${c:-default}-$f
            "$K" "$D/vmcore.$f" "${a[@]}" >"$J/$n.txt" 2>"$J/$n.err"
            "$K" "$D/vmcore.$f" "${a[@]}" --vmlinux "$VMLINUX" >"$J/$n-vmlinux.txt" 2>"$J/$n-vmlinux.err"
            if cmp -s "$J/$n.txt" "$J/$n-vmlinux.txt" && cmp -s "$J/$t-${c:-default}-elf.txt" "$J/$n.txt"; then
                res+=" $f=ok"
            else res+=" $f=DIFFERS"; status=1; fi
        done
        echo "$t --cpu ${c:-(none)} ($(wc -l <"$J/$t-${c:-default}-elf.txt") lines; alone = --vmlinux = ELF's:$res)"
        echo "    $(grep -v '^warning' "$J/$t-${c:-default}-elf.err" | tr '\n' ' ')"
    done
done
echo "== roots kptdump used (last address on its stderr line) vs CR3 (info registers)"
pti=0; grep -q '^cmdline.*pti=on' "$SRC/truth.txt" && pti=1
for c in 0 1; do
    v=$(( 0x$(cr3 $c) ))
    if [ $pti = 1 ]; then kp=$(( v & ~0x1fff )); up=$(( kp + 0x1000 )); else kp=$(( v & ~0xfff )); up=$kp; fi
    rk=$(grep -o '0x[0-9a-f]*' "$J/current-kernel-$c-elf.err" | tail -1)
    ru=$(grep -o '0x[0-9a-f]*' "$J/current-user-$c-elf.err" | tail -1)
    rk=$(( ${rk:-0} )); ru=$(( ${ru:-0} ))
    [ $rk = $kp ] && mk=OK || { mk=MISMATCH; status=1; }
    [ $ru = $up ] && mu=OK || { mu=MISMATCH; status=1; }
    printf 'cpu%d CR3 %#x: kernel PGD %#x, kptdump current-kernel %#x %s; user %#x, kptdump current-user %#x %s\n' \
        "$c" "$v" "$kp" "$rk" "$mk" "$up" "$ru" "$mu"
done
exit $status
