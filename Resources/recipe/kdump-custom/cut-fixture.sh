#!/bin/bash
# Cut a real-panic-custom fixture from a kdump-custom capture (see README.md);
# the same cut as ../kdump-panic/cut-fixture.sh, but the references kept are the
# kernel's OWN listings printed before the panic, not kptdump's.
#
# Usage: cut-fixture.sh STATE|DIR DEST
#   e.g. cut-fixture.sh pti-cpu0 Resources/fixtures/real-panic-custom/pti-cpu0
# Environment: BIG (default /work/big/kdump-custom), KPTDUMP (default /work/bin/kptdump).
#
# 1. `kptdump snapshot` of vmcore.kdump linked alone into an empty folder (no
#    vmlinux or System.map found: kallsyms and BTF from the dump), so the snapshot's
#    pages are what the dump-alone path reads.
# 2. ../kdump/kdump-subset.py cuts makedumpfile's vmcore.kdump to those pages;
#    zstd -19 -> DEST/vmcore-subset.kdump.zst.
# 3. DEST/{kernel,current_kernel,current_user}.txt.zst: the kernel's own text
#    (STATE/page_tables/, the crasher's first reading); truth.txt.zst, cr3.txt.zst.
# 4. Checks that the decompressed subset, with no vmlinux, lists kernel,
#    current-kernel and current-user exactly as the full vmcore.kdump does (no
#    vmlinux), and reports how each compares with the kernel's own text.
#    Exit 1 if subset and full dump differ.
set -euo pipefail
ARG_SRC=${1:-} ARG_DEST=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/cut-fixture.sh"   # cut_begin, cut_snapshot_alone, cut_cr3, cut_end
cut_begin /work/big/kdump-custom
cut_snapshot_alone
python3 "$HERE/../kdump/kdump-subset.py" "$SRC/vmcore.kdump" "$T/snap.core" "$T/subset/vmcore-subset.kdump"
zstd -q -19 -f "$T/subset/vmcore-subset.kdump" -o "$DEST/vmcore-subset.kdump.zst"
for f in kernel current_kernel current_user; do
    zstd -q -19 -f "$SRC/page_tables/$f.txt" -o "$DEST/$f.txt.zst"
done
zstd -q -19 -f "$SRC/truth.txt" -o "$DEST/truth.txt.zst"
cut_cr3

zstd -q -dc "$DEST/vmcore-subset.kdump.zst" >"$T/subset/check.kdump"
for t in kernel current-kernel current-user; do
    args=(); [ $t = kernel ] || args=(--table "$t")
    "$K" "$T/dump/vmcore.kdump" "${args[@]}" >"$T/full-$t.txt" 2>/dev/null || true
    "$K" "$T/subset/check.kdump" "${args[@]}" >"$T/subset-$t.txt" 2>"$T/subset-$t.err" || true
    ref=$SRC/page_tables/${t//-/_}.txt
    nk=$(diff "$ref" "$T/subset-$t.txt" | grep -c '^[<>]' || true)
    if cmp -s "$T/full-$t.txt" "$T/subset-$t.txt"; then
        echo "$t: subset (no vmlinux) = full dump (no vmlinux), $(wc -l <"$T/subset-$t.txt") lines; $nk lines differ from the kernel's own text"
    else
        echo "$t: subset DIFFERS from full dump"; diff "$T/full-$t.txt" "$T/subset-$t.txt" | head -20; status=1
    fi
done
cut_end
