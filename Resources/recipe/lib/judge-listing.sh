#!/bin/bash
# judge-listing.sh CAPTURE: after a capture of run-profile.sh (x86_64, arm64,
# riscv64; their judge.sh and run-profile.sh's judge step call this), judge
# kptdump on that capture folder the way a fixture uses it, and also without
# the vmlinux:
#   1. kptdump snapshot --core vmcore.elf --vmlinux vmlinux -o J/snapshot.core
#      (and snapshot.core.zst, zstd -19: what a fixture commits), and the same
#      with --system-map only, J/snapshot-sysmap.core(.zst): what the System.map
#      session read and found (symbols, sizes from the next symbol, types), so
#      the tests list the fixture that way too; and from the dump alone,
#      J/snapshot-alone.core(.zst)
#   2. every table the kernel printed (page_tables/NAME.txt: x86's kernel,
#      current_kernel, current_user, efi; arm64's and riscv64's
#      kernel_page_tables, efi_page_tables) listed
#        snapshot   from the snapshot alone (what the tests do)
#        snapshot-sysmap  from the System.map snapshot alone (likewise)
#        snapshot-alone   from the dump-alone snapshot (likewise)
#        vmlinux    from vmcore.elf with --vmlinux
#        alone      from vmcore.elf with no symbols file (the dump is linked
#                   into J/alone/, so the vmlinux beside it is not found)
#        sysmap     from vmcore.elf with --system-map only (likewise)
#      each compared byte for byte with the kernel's own text (diff files and
#      the count of differing lines, `<` plus `>`, in J/summary.txt)
#   3. kptdump info for each way (where markers and attributes came from), and
#      check-wx (snapshot and vmlinux) beside the kernel's own verdict
#      (wx-check.txt, when the capture has one)
# Everything goes to CAPTURE/judge/. Exit 1 when a listing with the vmlinux
# (snapshot or vmlinux) differs; alone and sysmap are reported only (kernels
# before 6.0 name no kallsyms in VMCOREINFO, so "alone" has no symbols).
#
# Usage: judge-listing.sh /work/big/arm64-5.10/4k-48 (or .../riscv64-5.10/sv39)
# Env:   KPTDUMP (default /work/main/.build/release/kptdump)
set -uo pipefail
C=$(cd "${1:?usage: judge.sh CAPTURE_FOLDER}" && pwd)
K=${KPTDUMP:-/work/main/.build/release/kptdump}
J=$C/judge
rm -rf "$J"; mkdir -p "$J/alone" "$J/sysmap"
ln -s "$C/vmcore.elf" "$J/alone/vmcore.elf"
ln -s "$C/vmcore.elf" "$J/sysmap/vmcore.elf"
status=0
. "$(dirname "$0")/judge-run.sh"   # run, must

# (a failed snapshot is reported and the other ways are still judged)
ways=(snapshot vmlinux alone sysmap)
if must snapshot "$K" snapshot --core "$C/vmcore.elf" --vmlinux "$C/vmlinux" -o "$J/snapshot.core"; then
    zstd -19 -q -f "$J/snapshot.core" -o "$J/snapshot.core.zst"
    echo "snapshot: $(stat -c %s "$J/snapshot.core") bytes, $(stat -c %s "$J/snapshot.core.zst") compressed" | tee "$J/summary.txt"
else
    echo "snapshot: FAILED ($(head -1 "$J/snapshot.err"))" | tee "$J/summary.txt"
    ways=(vmlinux alone sysmap)
fi
# The snapshots cut without the vmlinux; each is listed like the others.
cut_without_vmlinux() {   # NAME CORE [MORE ARGS]
    local name=$1; shift
    if run "$name" "$K" snapshot --core "$@" -o "$J/$name.core"; then
        zstd -19 -q -f "$J/$name.core" -o "$J/$name.core.zst"
        echo "$name: $(stat -c %s "$J/$name.core") bytes, $(stat -c %s "$J/$name.core.zst") compressed" | tee -a "$J/summary.txt"
        ways+=("$name")
    else
        echo "$name: FAILED ($(head -1 "$J/$name.err")); reported only" | tee -a "$J/summary.txt"
    fi
}
cut_without_vmlinux snapshot-alone "$J/alone/vmcore.elf"
cut_without_vmlinux snapshot-sysmap "$J/sysmap/vmcore.elf" --system-map "$C/System.map"

args_of() {
    case $1 in
        snapshot*) args=("$J/$1.core") ;;
        vmlinux)  args=(--core "$C/vmcore.elf" --vmlinux "$C/vmlinux") ;;
        alone)    args=(--core "$J/alone/vmcore.elf") ;;
        sysmap)   args=(--core "$J/sysmap/vmcore.elf" --system-map "$C/System.map") ;;
    esac
}
[ -f "$C/page_tables/kernel.txt" ] || [ -f "$C/page_tables/kernel_page_tables.txt" ] ||
    { echo "no page_tables/kernel.txt or kernel_page_tables.txt in $C" | tee -a "$J/summary.txt"; status=1; }
for KT in "$C"/page_tables/*.txt; do
    t=$(basename "$KT" .txt); t=${t%_page_tables}; t=${t//_/-}
    for way in "${ways[@]}"; do
        args_of "$way"
        run "$t-$way" "$K" --table "$t" "${args[@]}"; rc=$?
        [ "$t" = kernel ] && run "info-$way" "$K" info "${args[@]}"
        diff "$KT" "$J/$t-$way.txt" >"$J/$t-$way.diff"
        n=$(grep -c '^[<>]' "$J/$t-$way.diff")
        if [ "$n" = 0 ]; then
            msg="$t ($way): byte for byte the kernel's ($(wc -l <"$KT") lines, exit $rc)"
        else
            msg="$t ($way): DIFFERS, $n differing lines (< plus >) of $(wc -l <"$KT") (exit $rc; judge/$t-$way.diff)"
            case $way in snapshot|vmlinux) status=1 ;; esac
        fi
        echo "$msg" | tee -a "$J/summary.txt"
    done
done
for way in snapshot vmlinux; do
    [[ " ${ways[*]} " = *" $way "* ]] || continue
    args_of "$way"
    run "check-wx-$way" "$K" check-wx "${args[@]}"
    echo "check-wx ($way, exit $?): $(tr '\n' ' ' <"$J/check-wx-$way.txt")" | tee -a "$J/summary.txt"
done
[ ! -f "$C/wx-check.txt" ] ||
    echo "kernel's W+X verdict (wx-check.txt): $(grep 'W+X mappings\|Checking user' "$C/wx-check.txt" | sed 's/^<6>//' | tr '\n' ' ')" | tee -a "$J/summary.txt"
for way in snapshot vmlinux alone sysmap; do
    [ -f "$J/info-$way.txt" ] || continue
    echo "info ($way): $(grep -E '^(markers from|attributes from|symbols):' "$J/info-$way.txt" | tr -s ' ' | tr '\n' ';')" |
        tee -a "$J/summary.txt"
done
[ $status = 0 ] && echo "judge OK (with vmlinux): $J" || { echo "judge found differences with the vmlinux: $J" >&2; exit 1; }
