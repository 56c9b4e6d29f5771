#!/bin/bash
# Cut a real-panic fixture from a kdump-panic capture (see README.md).
#
# Usage: cut-fixture.sh STATE|DIR DEST
#   STATE is a folder under $BIG (default /work/big/kdump-panic), or give the
#   capture's folder itself (e.g. /work/big/kdump-panic-6.12/nopti-cpu1).
#   DEST is the fixture folder, e.g. Resources/fixtures/real-panic/6.12-nopti-cpu1.
# Environment: KPTDUMP (default /work/bin/kptdump, else .build/release/kptdump);
#   KDUMP (default vmcore.kdump, the capture kernel's makedumpfile -l -d 31): the
#   kdump file in the capture's folder to cut, e.g. vmcore-d23.kdump (capture.sh's
#   host-side -d 23, for 6.12, whose -d 31 can lack task_structs; see README.md).
#
# 1. `kptdump snapshot` of $KDUMP WITHOUT vmlinux or System.map (the dump is
#    linked into an empty folder, so none is found beside it; symbols come from
#    the dump's kallsyms, types from its BTF), so the snapshot's pages include
#    what the dump-alone path reads (kallsyms, BTF, tasks, runqueues, tables).
# 2. cpu-mm.py adds a few pages the snapshot does not read (with System.map and the
#    vmlinux's offsets): each CPU's cpu_tlbstate, __per_cpu_offset, and the mm_struct
#    of each CPU's loaded_mm and active_mm, so the fixture also holds what CR3 had
#    loaded on an idle CPU (cpu_tlbstate.loaded_mm); ../kdump/kdump-subset.py cuts
#    makedumpfile's $KDUMP down to those pages; zstd -19 ->
#    DEST/vmcore-subset.kdump.zst. cpu-mm.py's report goes to DEST/cpu-mm.txt.zst.
# 3. truth.txt.zst (the capture's truth.txt) and cr3.txt.zst (`cpuN CR3=...` from
#    regs-cpuN.txt).
#    source.txt.zst names the kdump file cut, its size and makedumpfile's command.
# 4. kptdump's listings of the FULL $KDUMP with the -dbg vmlinux (paths.txt):
#    kernel-with-vmlinux.txt.zst, current-{kernel,user}-cpuN-with-vmlinux.txt.zst.
# 5. Checks that the decompressed subset, with no vmlinux, gives the same five
#    listings byte for byte, and that `info` names the dump's kallsyms. Exit 1 if not.
set -euo pipefail
ARG_SRC=${1:-} ARG_DEST=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/cut-fixture.sh"   # cut_begin, cut_snapshot_alone, cut_cr3, cut_end
KDUMP=${KDUMP:-vmcore.kdump}
cut_begin /work/big/kdump-panic "$KDUMP"
VMLINUX=$(sed -n 's/^vmlinux *//p' "$SRC/paths.txt")
[ -f "$VMLINUX" ] || { echo "no vmlinux $VMLINUX (paths.txt)"; exit 1; }
cut_snapshot_alone
python3 "$HERE/cpu-mm.py" "$SRC" --keep "$T/snap.core" "$T/keep.core" >"$T/cpu-mm.txt" || true
grep '^keep:' "$T/cpu-mm.txt" || { cat "$T/cpu-mm.txt"; exit 1; }
zstd -q -19 -f "$T/cpu-mm.txt" -o "$DEST/cpu-mm.txt.zst"
python3 "$HERE/../kdump/kdump-subset.py" "$FULL" "$T/keep.core" "$T/subset/vmcore-subset.kdump" | tee "$T/subset.log"
zstd -q -19 -f "$T/subset/vmcore-subset.kdump" -o "$DEST/vmcore-subset.kdump.zst"

zstd -q -19 -f "$SRC/truth.txt" -o "$DEST/truth.txt.zst"
case $KDUMP in
    vmcore.kdump) how="makedumpfile -l -d 31 /proc/vmcore vmcore.kdump (in the capture kernel)" ;;
    vmcore-d23.kdump) how="makedumpfile -l -d 23 vmcore.elf vmcore-d23.kdump (on the host, from the capture kernel's ELF of /proc/vmcore)" ;;
    *) how="?" ;;
esac
{
    echo "cut from   $KDUMP ($(stat -c %s "$FULL") bytes): $how"
    echo "makedumpfile $(makedumpfile -v 2>&1 | sed -n 's/^makedumpfile: version //p' | head -1)"
    echo "kernel     $(sed -n 's/^kernel *//p' "$SRC/paths.txt")"
    echo "build-id   $(sed -n 's/^build-id *//p' "$SRC/paths.txt")"
    echo "kept       $(sed -n 's/.*: kept \([0-9]* of [0-9]*\) stored pages.*/\1 stored pages/p' "$T/subset.log")"
    echo "kptdump    $K ($(stat -c %y "$K" | cut -c1-19))"
} >"$T/source.txt"
zstd -q -19 -f "$T/source.txt" -o "$DEST/source.txt.zst"
cut_cr3

# name table cpu (cpu empty for the kernel table)
LISTINGS=("kernel kernel -")
for r in "$SRC"/regs-cpu*.txt; do
    n=${r##*regs-cpu}; n=${n%.txt}
    LISTINGS+=("current-kernel-cpu$n current-kernel $n" "current-user-cpu$n current-user $n")
done
for l in "${LISTINGS[@]}"; do
    set -- $l
    args=(--table "$2"); [ "$3" = - ] || args+=(--cpu "$3")
    "$K" "$FULL" --vmlinux "$VMLINUX" "${args[@]}" >"$T/$1-with-vmlinux.txt" 2>/dev/null
    zstd -q -19 -f "$T/$1-with-vmlinux.txt" -o "$DEST/$1-with-vmlinux.txt.zst"
    "$K" "$T/subset/vmcore-subset.kdump" "${args[@]}" >"$T/$1-subset.txt" 2>"$T/$1-subset.err" || true
    if cmp -s "$T/$1-with-vmlinux.txt" "$T/$1-subset.txt"; then
        echo "$1: subset without vmlinux = full dump with vmlinux ($(wc -l <"$T/$1-subset.txt") lines)"
    else
        echo "$1: DIFFERS"; diff "$T/$1-with-vmlinux.txt" "$T/$1-subset.txt" | head -20; status=1
    fi
done
cut_end
