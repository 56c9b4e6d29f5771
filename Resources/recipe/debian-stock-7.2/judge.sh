#!/bin/bash
# Judge kptdump on one capture of capture-amd64.sh or capture-arm64.sh. See README.md.
#   judge.sh CAPTURE_DIR [KPTDUMP]
# Writes CAPTURE_DIR/judge/*, makes CAPTURE_DIR/snap.core(.zst), prints one line per check.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
C=$(cd "$1" && pwd)
K=$(command -v "${2:-kptdump}" || true); K=${K:-$2}
case $K in /*) ;; *) K=$PWD/$K ;; esac
[ -x "$K" ] || { echo "no kptdump at $K"; exit 2; }
J=$C/judge
mkdir -p "$J"
cd "$C"
ARCH=x86_64; [ -f mmu-regs.txt ] && ARCH=arm64
fail=0
ok() { echo "OK    $*"; }
bad() { echo "FAIL  $*"; fail=1; }

# The dump alone, in a folder with no vmlinux or System.map beside it (hard link).
BARE=$C/bare; mkdir -p "$BARE"; ln -f vmcore.elf "$BARE/vmcore.elf"
"$K" list --core vmcore.elf --vmlinux vmlinux > "$J/list-vmlinux.txt" 2> "$J/list-vmlinux.err"; echo "list --vmlinux: rc=$?"
"$K" list --core "$BARE/vmcore.elf" --system-map System.map > "$J/list-sysmap.txt" 2> "$J/list-sysmap.err"; echo "list --system-map: rc=$?"
"$K" list --core "$BARE/vmcore.elf" > "$J/list-bare.txt" 2> "$J/list-bare.err"; echo "list (dump alone): rc=$?"
for m in "--vmlinux vmlinux" "--system-map System.map" ""; do
    echo "=== kptdump info $m"; c=vmcore.elf; [ "$m" = "--vmlinux vmlinux" ] || c=$BARE/vmcore.elf
    "$K" info --core "$c" $m 2>&1
done > "$J/info.txt"
grep -E '^(symbols|markers from|bases from|paging)' "$J/info.txt"
[ -s "$J/list-vmlinux.txt" ] || bad "empty kernel listing"
cmp -s "$J/list-vmlinux.txt" "$J/list-sysmap.txt" && ok "kernel listing: --vmlinux = --system-map ($(wc -l < "$J/list-vmlinux.txt") lines)" \
    || bad "kernel listing: --vmlinux != --system-map (diff $J/list-vmlinux.txt $J/list-sysmap.txt)"
cmp -s "$J/list-vmlinux.txt" "$J/list-bare.txt" && ok "kernel listing: --vmlinux = dump alone" \
    || bad "kernel listing: --vmlinux != dump alone (diff $J/list-vmlinux.txt $J/list-bare.txt)"

# check-wx against the kernel's own DEBUG_WX lines (dmesg)
for m in "--vmlinux vmlinux" ""; do
    c=vmcore.elf; [ -z "$m" ] && c=$BARE/vmcore.elf
    "$K" check-wx --core "$c" $m > "$J/check-wx${m:+-vmlinux}.txt" 2>&1; echo "check-wx ${m:-(dump alone)}: rc=$?"
done
sed -E 's/^<[0-9]+>//; s/^\[ *[0-9.]+\] //' wx-check.txt > "$J/wx-kernel.txt"
grep -E 'W\+X mappings:|Checking user space page tables$' "$J/check-wx-vmlinux.txt" > "$J/wx-ours.txt"
cmp -s "$J/wx-kernel.txt" "$J/wx-ours.txt" && ok "check-wx: $(cat "$J/wx-ours.txt" | tr '\n' ' ')= dmesg" \
    || bad "check-wx: ours [$(tr '\n' ' ' < "$J/wx-ours.txt")] vs dmesg [$(tr '\n' ' ' < "$J/wx-kernel.txt")]"
grep -E 'W\+X mappings:|Checking user space page tables$' "$J/check-wx.txt" | cmp -s - "$J/wx-kernel.txt" \
    && ok "check-wx (dump alone) = dmesg" || bad "check-wx (dump alone) differs from dmesg"

# ps, --pid 1 against init's /proc/self/maps
"$K" ps --core vmcore.elf --vmlinux vmlinux > "$J/ps.txt" 2> "$J/ps.err"; echo "ps: rc=$?, $(($(wc -l < "$J/ps.txt") - 1)) tasks"
grep -E '^ +1 ' "$J/ps.txt"
"$K" list --pid 1 --json --core vmcore.elf --vmlinux vmlinux > "$J/pid1.json" 2> "$J/pid1.err"
"$K" list --pid 1 --core vmcore.elf --vmlinux vmlinux > "$J/pid1.txt" 2>> "$J/pid1.err"
cat "$J/pid1.err"
python3 "$HERE/judge-maps.py" maps.txt "$J/pid1.json" "$ARCH" > "$J/maps-judge.txt" \
    && ok "--pid 1 vs maps.txt: $(head -1 "$J/maps-judge.txt")" || bad "--pid 1 vs maps.txt: $(cat "$J/maps-judge.txt")"

if [ "$ARCH" = x86_64 ]; then
    "$K" list --table current-kernel --cpu 0 --json --core vmcore.elf > "$J/current-kernel.json" 2> /dev/null
    "$K" list --table current-kernel --cpu 0 --core vmcore.elf > "$J/current-kernel.txt" 2> /dev/null
    python3 "$HERE/judge-tlb.py" info-tlb.txt "$J/current-kernel.json" > "$J/tlb-judge.txt" \
        && ok "info tlb: $(head -1 "$J/tlb-judge.txt")" || bad "info tlb: $(cat "$J/tlb-judge.txt")"
    cmp -s "$J/pid1.txt" "$J/current-kernel.txt" && ok "--pid 1 = current-kernel of CPU 0 (init was current)" \
        || bad "--pid 1 differs from CPU 0's current-kernel"
else
    python3 "$HERE/check-walk-lpa2.py" vmcore.elf mmu-regs.txt "$J/list-vmlinux.txt" --leaves "$J/walk-leaves.txt" > "$J/walk-judge.txt" \
        && ok "independent walk (kernel, TTBR1): $(tail -1 "$J/walk-judge.txt")" || bad "independent walk: $(tail -5 "$J/walk-judge.txt")"
    # init's table, rooted at its mm->pgd as ps reports it; TTBR0_EL1 (CnP and ASID
    # masked) should hold the same PGD, since init was the last user task.
    PGD=$(awk '$1 == 1 {print $4}' "$J/ps.txt")
    T0=$(awk '$1 == "TTBR0_EL1" {print $2}' mmu-regs.txt)
    printf 'init PGD %s, TTBR0_EL1 %s -> 0x%x\n' "$PGD" "$T0" $(( T0 & 0x0000ffffffffffc0 ))
    python3 "$HERE/check-walk-lpa2.py" vmcore.elf mmu-regs.txt "$J/pid1.txt" --user "$PGD" --leaves "$J/walk-user-leaves.txt" > "$J/walk-user-judge.txt" \
        && ok "independent walk (init's PGD): $(tail -1 "$J/walk-user-judge.txt")" || bad "independent walk (init): $(tail -5 "$J/walk-user-judge.txt")"
fi

if [ "$ARCH" = arm64 ]; then
    # Every valid leaf of the independent walks: vtop's PA and leaf entry (kernel table,
    # then init's through --pid 1).
    python3 "$HERE/judge-vtop.py" "$J/walk-leaves.txt" "$K" vmcore.elf > "$J/vtop-judge.txt" \
        && ok "vtop, every kernel leaf: $(head -1 "$J/vtop-judge.txt")" || bad "vtop kernel: $(head -5 "$J/vtop-judge.txt")"
    python3 "$HERE/judge-vtop.py" "$J/walk-user-leaves.txt" "$K" vmcore.elf --pid 1 > "$J/vtop-user-judge.txt" \
        && ok "vtop --pid 1, every user leaf: $(head -1 "$J/vtop-user-judge.txt")" || bad "vtop --pid 1: $(head -5 "$J/vtop-user-judge.txt")"
fi

# The snapshot must list the same as the full dump.
"$K" snapshot --core vmcore.elf --vmlinux vmlinux -o snap.core 2> "$J/snapshot.err"; cat "$J/snapshot.err"
SN=$C/snapdir; mkdir -p "$SN"; cp snap.core "$SN/"
"$K" list "$SN/snap.core" 2>/dev/null | cmp -s - "$J/list-vmlinux.txt" && ok "snapshot: kernel listing equal" || bad "snapshot: kernel listing differs"
"$K" list --pid 1 "$SN/snap.core" 2>/dev/null | cmp -s - "$J/pid1.txt" && ok "snapshot: --pid 1 equal" || bad "snapshot: --pid 1 differs"
"$K" check-wx "$SN/snap.core" 2>/dev/null | grep -E 'W\+X mappings:|Checking user space page tables$' | cmp -s - "$J/wx-kernel.txt" \
    && ok "snapshot: check-wx = dmesg" || bad "snapshot: check-wx differs"
"$K" ps "$SN/snap.core" 2>/dev/null | cmp -s - "$J/ps.txt" && ok "snapshot: ps equal" || bad "snapshot: ps differs"
zstd -19 -q -f snap.core -o snap.core.zst
echo "snapshot: $(stat -c %s snap.core) B, zstd -19: $(stat -c %s snap.core.zst) B"
[ $fail = 0 ] && echo "judge: all OK" || { echo "judge: FAILURES"; exit 1; }
