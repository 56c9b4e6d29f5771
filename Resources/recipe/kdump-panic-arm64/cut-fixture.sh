#!/bin/bash
# Cut a real-panic-arm64 fixture from an arm64 kdump-panic capture (see README.md).
#
# Usage: cut-fixture.sh STATE|DIR DEST
#   e.g. cut-fixture.sh cpu1 Resources/fixtures/real-panic-arm64/6.1-cpu1
# Environment: KPTDUMP (default /work/bin/kptdump). Needs judge.sh's outputs
# (STATE/judge/, STATE/walk.txt): run judge.sh first.
#
# 1. Three `kptdump snapshot`s of vmcore.kdump, the dump linked into an empty
#    folder: WITHOUT vmlinux or System.map (what the dump alone reads: on this
#    kernel VMCOREINFO's symbols only, since its kallsyms has text symbols only),
#    with --system-map (the dump's BTF, tasks, runqueues, panic_cpu) and with
#    --vmlinux (pte_bits). ranges-elf.py takes the union of their pages;
#    ../kdump/kdump-subset.py cuts makedumpfile's vmcore.kdump down to them
#    (every kept page is makedumpfile's own lzo block); zstd -19.
# 2. System.map: only the symbols the --system-map snapshot's KPTDUMP note names
#    (../kdump/symbols-map.sh), so a test needs no vmlinux.
# 3. truth.txt.zst (the capture's truth.txt), ttbr.txt.zst (`cpuN TTBR0_EL1=...
#    TTBR1_EL1=... TCR_EL1=... CONTEXTIDR_EL1=...`), walk.txt.zst (judge.sh's
#    independent walks), wx-check.txt (dmesg's W+X line).
# 4. kptdump's outputs on the FULL vmcore.kdump with the -dbg vmlinux:
#    kernel-with-vmlinux.txt.zst, ps-with-vmlinux.txt.zst and
#    user-cpuN-with-vmlinux.txt.zst (`--pid` of the task CPU N ran).
# 5. Checks that the decompressed subset gives: the kernel listing alone and with
#    System.map; ps and each --pid listing with System.map; all equal to (4).
set -euo pipefail
ARG_SRC=${1:-} ARG_DEST=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/cut-fixture.sh"   # cut_begin, cut_end
cut_begin /work/big/kdump-panic-arm64
VMLINUX=$(sed -n 's/^vmlinux *//p' "$SRC/paths.txt")
SMAP=$(sed -n 's/^System.map *//p' "$SRC/paths.txt")

"$K" snapshot "$T/dump/vmcore.kdump" -o "$T/snap-alone.core" 2>/dev/null
"$K" snapshot "$T/dump/vmcore.kdump" --system-map "$SMAP" -o "$T/snap-smap.core" 2>/dev/null
"$K" snapshot "$T/dump/vmcore.kdump" --vmlinux "$VMLINUX" -o "$T/snap-vml.core" 2>/dev/null
python3 "$HERE/ranges-elf.py" "$T/pages.core" "$T/snap-alone.core" "$T/snap-smap.core" "$T/snap-vml.core"
python3 "$HERE/../kdump/kdump-subset.py" "$SRC/vmcore.kdump" "$T/pages.core" "$T/subset/vmcore-subset.kdump"
rm -rf "$HERE/../kdump/__pycache__"
zstd -q -19 -f "$T/subset/vmcore-subset.kdump" -o "$DEST/vmcore-subset.kdump.zst"
ln -s "$(command -v aarch64-linux-gnu-nm)" "$T/nm"
PATH=$T:$PATH "$HERE/../kdump/symbols-map.sh" "$T/snap-smap.core" "$VMLINUX" "$DEST/System.map"

zstd -q -19 -f "$SRC/truth.txt" -o "$DEST/truth.txt.zst"
for r in "$SRC"/ttbr-cpu*.txt; do
    n=${r##*ttbr-cpu}; n=${n%.txt}
    echo "cpu$n $(awk '$1 ~ /^(TTBR0_EL1|TTBR1_EL1|TCR_EL1|CONTEXTIDR_EL1)$/ {printf "%s=%s ", $1, $2}' "$r" | sed 's/ $//')"
done >"$T/ttbr.txt"
zstd -q -19 -f "$T/ttbr.txt" -o "$DEST/ttbr.txt.zst"
zstd -q -19 -f "$SRC/walk.txt" -o "$DEST/walk.txt.zst"
grep -a 'W+X' "$SRC/dmesg.txt" | head -1 >"$DEST/wx-check.txt"

pid_of() { sed -n "s/^$1 .*pid=\([0-9]*\).*cpu=\([0-9]*\).*/\1 \2/p" "$SRC/truth.txt"; }
read -r CPID CCPU < <(pid_of crasher); read -r BPID BCPU < <(pid_of busy)
# name, arguments
LISTINGS=("kernel -" "ps ps" "user-cpu$BCPU --pid $BPID" "user-cpu$CCPU --pid $CPID")
for l in "${LISTINGS[@]}"; do
    set -- $l; name=$1; shift
    args=(); sub=()
    if [ "$1" = ps ]; then sub=(ps); elif [ "$1" != - ]; then args=("$@"); fi
    "$K" "${sub[@]}" "$SRC/vmcore.kdump" --vmlinux "$VMLINUX" "${args[@]}" >"$T/$name-with-vmlinux.txt" 2>/dev/null
    zstd -q -19 -f "$T/$name-with-vmlinux.txt" -o "$DEST/$name-with-vmlinux.txt.zst"
    modes=("--system-map $DEST/System.map"); [ "$name" = kernel ] && modes+=("")
    for m in "${modes[@]}"; do
        "$K" "${sub[@]}" "$T/subset/vmcore-subset.kdump" $m "${args[@]}" >"$T/$name-subset.txt" 2>/dev/null || true
        if cmp -s "$T/$name-with-vmlinux.txt" "$T/$name-subset.txt"; then
            echo "$name: subset ${m:-alone} = full dump with vmlinux ($(wc -l <"$T/$name-subset.txt") lines)"
        else
            echo "$name: subset ${m:-alone} DIFFERS"; diff "$T/$name-with-vmlinux.txt" "$T/$name-subset.txt" | head -10; status=1
        fi
    done
done
"$K" info "$T/subset/vmcore-subset.kdump" 2>&1 | grep -E '^(symbols|types|panic CPU|warning):' | sed 's/^/subset alone info: /'
cut_end
