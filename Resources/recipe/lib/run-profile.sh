#!/bin/bash
# run-profile.sh PROFILE STATE [STEP...]: the one driver of the custom-kernel
# recipes (x86_64, arm64, riscv64; their capture.sh and judge.sh call it).
# PROFILE is an architecture's data (x86_64/profile, arm64/profile,
# riscv64/profile, sourced): its packages, QEMU, guest compiler and console,
# QMP steps, the files a fixture keeps, its capture checks, and STATES, the
# table of states: one row per state (STATE@KVER: that release only; a STATE
# may have one row per QEMU build) with the QEMU build, machine, -cpu, -m,
# -smp, firmware (FW_<name> in the profile, - for none) and kernel parameters.
# STEPs, in order (default: capture):
#   build        the folder's build-kernel.sh (BUILD_ARG: the profile's, default
#                BUILD_DIR) with KVER, SRC_DIR, BUILD_ROOT
#   capture      boot BUILD_DIR's kernel in STATE under QEMU (TCG), /init from
#                lib/init.c (scenario "listing"); at READY, the QMP steps and the
#                ELF dump; lib/extract.py; the profile's checks (OUT/checks.txt)
#   judge        lib/judge-listing.sh on the capture
#   fixture=DIR  cut a fixture: page_tables/*.txt, the profile's FIXTURE_FILES
#                (those present), judge/snapshot.core.zst and, when their listings
#                are the kernel's, judge/snapshot-{sysmap,alone}.core.zst into DIR
#                (snapshot-sysmap.same, a note, when it equals snapshot.core)
#   drop-dump    delete OUT/vmcore.elf (kept: everything else)
#   qemu-cmd     print the QEMU command line capture would run, nothing else
# Env:
#   KVER       release (default 6.1; one of the profile's KVERS): trees under
#              ROOT = /work/big/NAME (6.1) or /work/big/NAME-KVER
#   BUILD_ROOT (default ROOT); BUILD_DIR (default BUILD_ROOT/BUILD_SUB, the
#              profile's, default build); SRC_DIR (default BUILD_ROOT/src);
#   OUT_ROOT   (default BUILD_ROOT): the capture goes to OUT_ROOT/OUT_NAME
#              (the profile's, default STATE). Unless BUILD_ROOT or BUILD_DIR is
#              given, the build must be KVER's (include/config/kernel.release).
#   CPU, MEM, SMP  instead of the state's row; QEMU_FLAVOR: the row with that
#              QEMU build; EXTRA_APPEND: more kernel parameters
#   READY_TIMEOUT  seconds to wait for READY (default 600); KPTDUMP for judge
set -euo pipefail
PROFILE=$(cd "$(dirname "${1:?usage: run-profile.sh PROFILE STATE [build|capture|judge|fixture=DIR|drop-dump|qemu-cmd]...}")" && pwd)/$(basename "$1")
STATE=${2:?usage: run-profile.sh PROFILE STATE [STEP...]}
shift 2
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(capture)
LIB=$(cd "$(dirname "$0")" && pwd)
HERE=$(dirname "$PROFILE")
die() { echo "$*" >&2; exit 1; }
. "$LIB/capture.sh"   # need_pkgs, qemu_one_at_a_time, qemu_capture, write_timings, link_kernel, vmcoreinfo_note

KVER=${KVER:-6.1}
BUILD_SUB=build VMCOREINFO_DEVICE=1 GDB_STUB=0 QMP_STEPS= APPEND_MORE= OUT_NAME=$STATE FIXTURE_FILES=
checks() { :; }
. "$PROFILE"
case " $KVERS " in *" $KVER "*) ;; *) die "KVER must be one of: $KVERS" ;; esac
[ "$KVER" = 6.1 ] && ROOT=/work/big/$NAME || ROOT=/work/big/$NAME-$KVER
EXPLICIT=${BUILD_ROOT:-}${BUILD_DIR:-}
BUILD_ROOT=${BUILD_ROOT:-$ROOT}
BUILD_DIR=${BUILD_DIR:-$BUILD_ROOT/$BUILD_SUB}
BUILD_DIR=$(realpath -m "$BUILD_DIR")
SRC_DIR=$(realpath -m "${SRC_DIR:-$BUILD_ROOT/src}")
OUT_ROOT=$(realpath -m "${OUT_ROOT:-$BUILD_ROOT}")
OUT=$OUT_ROOT/$OUT_NAME
READY_TIMEOUT=${READY_TIMEOUT:-600}

# The state's row: STATE@KVER first, then STATE; with QEMU_FLAVOR, that build's.
row=
for key in "$STATE@$KVER" "$STATE"; do
    row=$(awk -v k="$key" -v q="${QEMU_FLAVOR:-}" '$1 == k && (q == "" || $2 == q) { print; exit }' <<<"$STATES")
    [ -z "$row" ] || break
done
[ -n "$row" ] || die "no state $STATE${QEMU_FLAVOR:+ on QEMU $QEMU_FLAVOR} for KVER $KVER in $PROFILE (states: $(awk '/^[a-z0-9]/ { printf "%s ", $1 }' <<<"$STATES"))"
read -r _ FLAVOR MACHINE T_CPU T_MEM T_SMP FWNAME T_APPEND <<<"$row"
QBIN=$QEMU_BIN QPRE=() QEXTRA=() FW=()
[ "$FLAVOR" = system ] || "qemu_$FLAVOR"   # the profile's: sets QBIN, QPRE (env ...), QEXTRA
[ "$FWNAME" = - ] || { fw=FW_$FWNAME; read -r -a FW <<<"${!fw}"; }
APPEND="console=$CONSOLE loglevel=1 panic=-1${APPEND_MORE:+ $APPEND_MORE}"
[ "$T_APPEND" = - ] || APPEND="$APPEND $T_APPEND"
[ -z "${EXTRA_APPEND:-}" ] || APPEND="$APPEND $EXTRA_APPEND"

SOCK=$OUT/qmp.sock GSOCK=$OUT/gdb.sock
QEMU=("$QBIN" -accel tcg -M "$MACHINE" -cpu "${CPU:-$T_CPU}" -m "${MEM:-$T_MEM}" -smp "${SMP:-$T_SMP}"
      "${QEXTRA[@]}" "${FW[@]}" -kernel "$BUILD_DIR/$IMAGE" -initrd "$OUT/initrd.cpio.gz" -append "$APPEND")
[ "$VMCOREINFO_DEVICE" = 0 ] || QEMU+=(-device vmcoreinfo)
QEMU+=(-display none -serial "file:$OUT/serial.log" -qmp "unix:$SOCK,server=on,wait=off")
QMP=(python3 "$LIB/qmp_client.py" "$SOCK" "$OUT" $QMP_STEPS)
[ "$GDB_STUB" = 0 ] || QEMU+=(-gdb "unix:$GSOCK,server=on,wait=off")   # qmp_client.py's sysregs step
QEMU+=(-no-reboot)

capture() {
    need_pkgs $PKGS
    [ -f "$BUILD_DIR/$IMAGE" ] || die "no $BUILD_DIR/$IMAGE: run build-kernel.sh first"
    local release status=0
    release=$(cat "$BUILD_DIR/include/config/kernel.release")
    case "$release" in "$KVER".*) ;; *) [ -n "$EXPLICIT" ] || die "$BUILD_DIR holds $release, not $KVER" ;; esac
    rm -rf "$OUT"; mkdir -p "$OUT"
    "$LIB/initramfs.sh" "$CC" "$OUT_ROOT/initramfs" "$BUILD_DIR" "$SRC_DIR" "$OUT/initrd.cpio.gz"
    "${QPRE[@]}" "$QBIN" --version | head -1 >"$OUT/qemu-version.txt"
    qemu_one_at_a_time
    qemu_capture "$OUT" "$READY_TIMEOUT" "${QMP[@]}" -- "${QPRE[@]}" "${QEMU[@]}"
    rm -f "$SOCK" "$GSOCK"
    python3 "$LIB/extract.py" "$ARCH" "$OUT/serial.log" "$OUT" | tee "$OUT/extract.log" ||
        { echo "extract.py reported problems (see extract.log)" >&2; status=1; }
    link_kernel "$OUT" "$BUILD_DIR" vmlinux System.map "$IMAGE"
    cp "$BUILD_DIR/.config" "$OUT/config"
    write_timings "$OUT" "$TIMING_WHAT"
    { echo "--- checks"; grep -a '^init:' "$OUT/serial.log" | tr -d '\r' || true
      checks; } >"$OUT/checks.txt" 2>&1 || status=1
    cat "$OUT/checks.txt"
    ls -l "$OUT/vmcore.elf"
    wc -l "$OUT"/page_tables/*.txt
    [ $status = 0 ] && echo "capture OK: $OUT" || { echo "capture has problems: $OUT" >&2; return 1; }
}

fixture() {
    local dest=$1 f
    [ -f "$OUT/judge/snapshot.core.zst" ] || die "no $OUT/judge/snapshot.core.zst: judge first"
    mkdir -p "$dest/page_tables"
    cp "$OUT"/page_tables/*.txt "$dest/page_tables/"
    for f in $FIXTURE_FILES; do [ ! -f "$OUT/$f" ] || cp "$OUT/$f" "$dest/"; done
    cp "$OUT/judge/snapshot.core.zst" "$dest/"
    # Only a System.map or dump-alone snapshot whose every listing is the
    # kernel's: the tests hold it to that.
    # A System.map snapshot byte for byte the vmlinux one (no DWARF fact and
    # no table size differed) is said in a note instead of kept twice.
    for f in snapshot-sysmap snapshot-alone; do
        if [ -f "$OUT/judge/$f.core.zst" ] && ! grep -q "($f): DIFFERS" "$OUT/judge/summary.txt"; then
            if [ $f = snapshot-sysmap ] && cmp -s "$OUT/judge/$f.core" "$OUT/judge/snapshot.core"; then
                printf '%s\n' "The snapshot cut from this capture with --system-map only (no vmlinux) was" \
                    "byte for byte snapshot.core.zst, and its listings were the kernel's text:" \
                    "not kept twice (Resources/recipe/lib/run-profile.sh, fixture step)." > "$dest/$f.same"
            else
                cp "$OUT/judge/$f.core.zst" "$dest/"
            fi
        fi
    done
    echo "fixture: $dest"; ls -l "$dest"
}

for step in "${STEPS[@]}"; do
    case "$step" in
        build)     KVER=$KVER SRC_DIR=$SRC_DIR BUILD_ROOT=$BUILD_ROOT "$HERE/build-kernel.sh" "${BUILD_ARG:-$BUILD_DIR}" ;;
        capture)   capture ;;
        judge)     "$LIB/judge-listing.sh" "$OUT" ;;
        fixture=*) fixture "${step#fixture=}" ;;
        drop-dump) rm -f "$OUT/vmcore.elf" ;;
        qemu-cmd)  python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "${QPRE[@]}" "${QEMU[@]}" ;;
        *) die "unknown step $step (build, capture, judge, fixture=DIR, drop-dump, qemu-cmd)" ;;
    esac
done
