#!/bin/sh
# Runs one kptdump binary over every committed fixture with every command that prints
# (list of each table, --json, --summary, --phys, --filter, --range, info, info --json,
# check-wx, ps, map, vtop, snapshot, diff) and writes each output, stderr and exit status
# to OUTDIR. Two runs compared with `diff -r` show whether a change altered any output:
#
#   Resources/all-outputs.sh /tmp/before .build/release/kptdump   # on the old commit
#   Resources/all-outputs.sh /tmp/after  .build/release/kptdump   # on the new one
#   diff -r /tmp/before /tmp/after && echo identical
#
# Fixtures are decompressed one at a time into OUTDIR/.inputs (removed at the end);
# outputs over 256 KiB are kept as their checksum and first lines.
set -eu
out=${1:?usage: all-outputs.sh OUTDIR [KPTDUMP]}
bin=${2:-.build/release/kptdump}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=${FIXTURES:-$here/fixtures}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mkdir -p "$out/.inputs"
inputs=$out/.inputs

# run NAME ARGS...: stdout, stderr and the exit status of one command under NAME.
run() {
    # sh has no local variables: this one must not be called name.
    run_name=$1; shift
    set +e
    "$bin" "$@" >"$out/$run_name.out" 2>"$out/$run_name.err"
    echo $? >"$out/$run_name.rc"
    set -e
    # The version line names the commit; everything else must not change.
    sed -i -e 's/(commit [0-9a-f]*\(-dirty\)\{0,1\})/(commit X)/' -e "s#$inputs#INPUTS#g" \
        "$out/$run_name.out" "$out/$run_name.err"
    # Large outputs (JSON of a whole direct map) are kept as a checksum and
    # their first lines, so that a run stays under a few hundred MB.
    if [ "$(wc -c <"$out/$run_name.out")" -gt 262144 ]; then
        { sha256sum <"$out/$run_name.out"; head -50 "$out/$run_name.out"; } >"$out/$run_name.out.big"
        mv "$out/$run_name.out.big" "$out/$run_name.out"
    fi
}

find "$fixtures" -name '*.zst' | sort | while read -r zst; do
    rel=${zst#"$fixtures"/}
    case $rel in
        *.txt.zst) continue ;;  # judges' text, not dumps
    esac
    dump=$inputs/$(echo "${rel%.zst}" | tr / _)
    zstd -q -d -f "$zst" -o "$dump"
    name=$(echo "${rel%.zst}" | tr / _)
    dir=$(dirname "$zst")
    map=
    [ -f "$dir/System.map" ] && map="--system-map $dir/System.map"
    [ -f "$dir/../System.map" ] && map="--system-map $dir/../System.map"
    # Which tables this dump has (info lists them); every one is listed.
    run "$name.info" info "$dump" $map
    run "$name.info-json" info --json "$dump" $map
    for table in kernel current-kernel current-user efi; do
        run "$name.list-$table" list --table "$table" "$dump" $map
    done
    run "$name.list-json" list --json "$dump" $map
    run "$name.list-summary" list --summary "$dump" $map
    run "$name.list-phys" list --phys "$dump" $map
    run "$name.list-filter-wx" list --filter w,x "$dump" $map
    run "$name.list-filter-user" list --table current-user --filter user "$dump" $map
    run "$name.list-pid1" list --pid 1 "$dump" $map
    run "$name.list-pid1-json" list --pid 1 --json "$dump" $map
    run "$name.check-wx" check-wx "$dump" $map
    run "$name.ps" ps "$dump" $map
    run "$name.map" map "$dump" $map
    # vtop of the first address of the first five ranges, and of a hole's first address.
    for va in $(sed -n 's/^0x\([0-9a-f]*\)-0x\([0-9a-f]*\) .*/\1 \2/p' "$out/$name.list-kernel.out" | head -5 | tr ' ' '\n' | sort -u); do
        run "$name.vtop-$va" vtop --core "$dump" $map "0x$va"
    done
    run "$name.snapshot" snapshot "$dump" $map -o "$inputs/snap.core"
    if [ -f "$inputs/snap.core" ]; then
        sha256sum <"$inputs/snap.core" >"$out/$name.snapshot.sha256"
        run "$name.diff-self" diff --details "$dump" "$inputs/snap.core" $map
        rm -f "$inputs/snap.core"
    fi
    rm -f "$dump"
done
# Diff between two fixtures of one kernel (two moments) and between two kernels.
ls "$fixtures"/x86_64 >/dev/null
a=$fixtures/x86_64/6.12-4level/snapshot.core.zst
b=$fixtures/x86_64/6.12-pti/snapshot.core.zst
if [ -f "$a" ] && [ -f "$b" ]; then
    zstd -q -d -f "$a" -o "$inputs/a.core"
    zstd -q -d -f "$b" -o "$inputs/b.core"
    run diff-4level-pti diff --details "$inputs/a.core" "$inputs/b.core"
    run diff-4level-pti-user diff --table current-user --details "$inputs/a.core" "$inputs/b.core"
fi
rm -rf "$inputs"
echo "$(ls "$out" | wc -l) files in $out"
