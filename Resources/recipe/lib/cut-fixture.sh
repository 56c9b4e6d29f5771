# Sourced by the kdump recipes' cut-fixture.sh (kdump-panic, kdump-custom,
# kdump-panic-arm64), usage "cut-fixture.sh STATE|DIR DEST":
#   cut_begin BIG [FILE]  SRC (DIR, or BIG/STATE; $BIG instead of BIG when set)
#                         and DEST (made) absolute; K = KPTDUMP (default
#                         /work/bin/kptdump, else the checkout's release build);
#                         T a temporary folder (removed on exit) with T/subset and
#                         T/dump/vmcore.kdump -> SRC/FILE (default vmcore.kdump),
#                         linked alone so that no vmlinux or System.map is found
#   cut_snapshot_alone    `kptdump info` of it must name the dump's kallsyms;
#                         `kptdump snapshot` of it -> T/snap.core
#   cut_cr3               DEST/cr3.txt.zst: `cpuN CR3=...` of SRC/regs-cpuN.txt
#   cut_end               lists DEST, exits with $status
cut_begin() {
    SRC=${ARG_SRC:?usage: cut-fixture.sh STATE|DIR DEST}
    DEST=${ARG_DEST:?usage: cut-fixture.sh STATE|DIR DEST}
    [ -d "$SRC" ] || SRC=${BIG:-$1}/$SRC
    SRC=$(cd "$SRC" && pwd)
    K=${KPTDUMP:-/work/bin/kptdump}
    [ -x "$K" ] || K=$(dirname "${BASH_SOURCE[0]}")/../../../.build/release/kptdump
    FULL=$SRC/${2:-vmcore.kdump}
    [ -f "$FULL" ] || { echo "no $FULL"; exit 1; }
    mkdir -p "$DEST"
    DEST=$(cd "$DEST" && pwd)
    T=$(mktemp -d /tmp/cut-fixture.XXXXXX)
    trap 'rm -rf "$T"' EXIT
    mkdir "$T/dump" "$T/subset"
    ln -s "$FULL" "$T/dump/vmcore.kdump"
    status=0
}

cut_snapshot_alone() {
    "$K" info "$T/dump/vmcore.kdump" >"$T/info.txt" 2>&1 || true
    grep -q "the dump's kallsyms" "$T/info.txt" || { echo "symbols do not come from the dump's kallsyms:"; cat "$T/info.txt"; exit 1; }
    "$K" snapshot "$T/dump/vmcore.kdump" -o "$T/snap.core"
}

cut_cr3() {
    local r n
    for r in "$SRC"/regs-cpu*.txt; do
        n=${r##*regs-cpu}; n=${n%.txt}
        echo "cpu$n CR3=$(sed -n 's/.*\bCR3=\([0-9a-f]*\).*/\1/p' "$r")"
    done >"$T/cr3.txt"
    zstd -q -19 -f "$T/cr3.txt" -o "$DEST/cr3.txt.zst"
}

cut_end() {
    echo "$(basename "$DEST"):"
    ls -l "$DEST" | sed 1d
    du -sh "$DEST"
    exit $status
}
