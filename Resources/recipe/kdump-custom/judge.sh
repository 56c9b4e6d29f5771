#!/bin/bash
# Judge kptdump on a kdump-custom capture against the kernel's own listings that
# the crasher printed just before the panic (STATE/page_tables/*.txt).
#
# Usage: judge.sh STATE|DIR       Environment: BIG, KPTDUMP (default /work/bin/kptdump)
#
# For each dump form (vmcore.elf, vmcore.kdump, vmcore.flat), linked alone into an
# empty folder so that no vmlinux or System.map is found beside it:
#   info (must name "the dump's kallsyms" and BTF),
#   kernel / --table current-kernel / --table current-user, with no vmlinux and with
#   --vmlinux BUILD/vmlinux; each diffed against kernel.txt, current_kernel.txt,
#   current_user.txt (and the kernel table also against kernel-2.txt, the second
#   reading). Writes STATE/judge/*, and STATE/judge/summary.txt: one line per
#   listing with the number of differing lines (diff's < and > lines).
# Exit 1 if any listing differs from the kernel's text or info's sources are wrong.
set -uo pipefail
SRC=${1:?usage: judge.sh STATE|DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
[ -d "$SRC" ] || SRC=${BIG:-/work/big/kdump-custom}/$SRC
SRC=$(cd "$SRC" && pwd)
K=${KPTDUMP:-/work/bin/kptdump}
VMLINUX=$(sed -n 's/^vmlinux *//p' "$SRC/paths.txt")
PT=$SRC/page_tables
J=$SRC/judge
rm -rf "$J"; mkdir -p "$J"
T=$(mktemp -d /tmp/kdump-custom-judge.XXXXXX)
trap 'rm -rf "$T"' EXIT
status=0
ndiff() { diff "$1" "$2" | grep -c '^[<>]'; }
{
for form in elf kdump flat; do
    mkdir -p "$T/$form"
    ln -sf "$SRC/vmcore.$form" "$T/$form/vmcore.$form"
    D=$T/$form/vmcore.$form
    /usr/bin/time -f '%e s %M KB' -o "$J/$form-info.time" "$K" info "$D" >"$J/$form-info.txt" 2>&1
    sym=$(grep -i -m1 '^ *symbols' "$J/$form-info.txt" | tr -s ' ')
    typ=$(grep -i -m1 '^ *types' "$J/$form-info.txt" | tr -s ' ')
    echo "$form info: $sym | $typ"
    grep -q "the dump's kallsyms" "$J/$form-info.txt" || { echo "  $form: symbols NOT from the dump's kallsyms"; status=1; }
    grep -qi "btf" <<<"$typ" || { echo "  $form: types NOT from BTF"; status=1; }
    for mode in novmlinux vmlinux; do
        extra=(); [ $mode = vmlinux ] && extra=(--vmlinux "$VMLINUX")
        for t in kernel current-kernel current-user; do
            args=(); [ $t = kernel ] || args=(--table "$t")
            out=$J/$form-$mode-$t
            /usr/bin/time -f '%e s %M KB' -o "$out.time" "$K" "$D" "${extra[@]}" "${args[@]}" >"$out.txt" 2>"$out.err"
            rc=$?
            ref=$PT/${t//-/_}.txt
            n=$(ndiff "$ref" "$out.txt")
            line="$form $mode $t: rc=$rc, ${n} differing lines vs $(basename "$ref") ($(wc -l <"$out.txt") lines, $(cut -d' ' -f1-2 "$out.time"))"
            if [ $t = kernel ]; then line+="; vs kernel-2.txt: $(ndiff "$PT/kernel-2.txt" "$out.txt")"; fi
            [ $t = current-kernel ] && line+="; stderr: $(grep -m1 -i 'cpu' "$out.err" | tr -s ' ')"
            echo "$line"
            [ "$n" = 0 ] && [ $rc = 0 ] || status=1
            diff "$ref" "$out.txt" >"$out.diff"
        done
    done
done
echo "kernel.txt vs kernel-2.txt (the crasher's two readings): $(ndiff "$PT/kernel.txt" "$PT/kernel-2.txt") differing lines"
echo "current_kernel.txt vs current_user.txt: $(ndiff "$PT/current_kernel.txt" "$PT/current_user.txt") differing lines"
} > >(tee "$J/summary.txt")
exit $status
