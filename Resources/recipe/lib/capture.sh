# The host side every recipe script shares; source it (bash), then call:
#   need_pkgs PKG...          apt-get installs those of PKG not installed yet
#   qemu_one_at_a_time        waits (up to 1 h) while another QEMU runs: one at a
#                             time on the 2 shared cores
#   wait_for_ready SERIAL_LOG QEMU_PID TIMEOUT_S
#                             returns once the guest's init printed READY (the
#                             listing is out, the guest idle); exits the script
#                             if QEMU dies or time runs out
#   boot_until_ready SERIAL_LOG TIMEOUT_S CMD...
#                             starts CMD (QEMU) in the background as QPID, with
#                             an EXIT trap that kills it should the script stop
#                             early, then wait_for_ready
#   qemu_capture OUT TIMEOUT_S QMP_CMD... -- QEMU_CMD...
#                             OUT/qemu-cmd.txt, boot to READY, QMP_CMD (its output
#                             also in OUT/qmp.log), QEMU's exit; OUT/vmcore.elf
#                             made readable (QEMU writes it 0400); sets T_BOOT and
#                             T_CAPTURE (seconds). SETTLE=N: N s between READY and QMP
#   write_timings OUT WHAT    OUT/timings.txt: boot to READY, capture (WHAT)
#   link_kernel OUT BUILD_DIR FILE...
#                             OUT/<basename> -> BUILD_DIR/FILE for each FILE, and
#                             OUT/kernel-sha256.txt of vmlinux and the last FILE
#   vmcoreinfo_note OUT       OUT/vmcoreinfo-note.txt: the dump's VMCOREINFO text
#                             (lib/elfcore.py); returns 1 when there is none
#   step NAME ... done_       times a step: one line "NAME  SECONDS s" into $TIMINGS
#   stock_kver META           the KVER Debian's META package (linux-image-amd64,
#                             linux-image-arm64:arm64) depends on
#   stock_kernel K KVER [:ARCH]
#                             Debian's linux-image-KVER-unsigned and -dbg (:arm64
#                             for a foreign one) into K/debs, unpacked into K/pkg
#                             (boot, lib/modules, the debug vmlinux); K/vmlinux,
#                             K/System.map (nm -n); sets IMG_DEB, PKG, VMLINUX
RECIPE_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

need_pkgs() {
    local p missing=()
    for p; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} = 0 ] && return 0
    echo "installing: ${missing[*]}"
    # Wait for another apt/dpkg to release its lock rather than failing.
    apt-get -o DPkg::Lock::Timeout=900 update &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y "${missing[@]}"
}

qemu_one_at_a_time() {
    for _ in $(seq 1 360); do
        # By name or by a path ending in it (riscv's backports QEMU runs as
        # /work/big/riscv64/qemu-bp/usr/bin/qemu-system-riscv64).
        pgrep -f '^(/[^ ]*/)?qemu-system-[a-z0-9_]+ ' >/dev/null || return 0
        echo "another QEMU is running; waiting"; sleep 10
    done
}

wait_for_ready() {
    local serial=$1 pid=$2 timeout=$3
    local deadline=$(( $(date +%s) + timeout ))
    until grep -aq '^READY' "$serial" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "QEMU exited before READY; see $serial" >&2; exit 1; fi
        if [ "$(date +%s)" -ge "$deadline" ]; then echo "no READY within ${timeout}s" >&2; exit 1; fi
        sleep 0.5
    done
}

boot_until_ready() {
    local serial=$1 timeout=$2
    shift 2
    # QEMU 10 (riscv64's backports build) complains about 7.2's modules: not errors.
    "$@" 2> >(grep -v -e 'ui-opengl.so' -e 'Only modules from the same build' >&2) &
    QPID=$!
    trap 'kill $QPID 2>/dev/null || true' EXIT
    wait_for_ready "$serial" "$QPID" "$timeout"
}

qemu_capture() {
    local out=$1 timeout=$2 qmp=() t0 t1 t2
    shift 2
    while [ "$1" != -- ]; do qmp+=("$1"); shift; done
    shift
    python3 -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "$@" >"$out/qemu-cmd.txt"
    t0=$(date +%s.%N)
    boot_until_ready "$out/serial.log" "$timeout" "$@"
    sleep "${SETTLE:-0}"
    t1=$(date +%s.%N)
    "${qmp[@]}" | tee "$out/qmp.log"
    wait "$QPID" || true
    trap - EXIT
    t2=$(date +%s.%N)
    if [ -f "$out/vmcore.elf" ]; then chmod a+r "$out/vmcore.elf"; fi
    T_BOOT=$(echo "$t1 - $t0" | bc)
    T_CAPTURE=$(echo "$t2 - $t1" | bc)
}

write_timings() {
    { printf 'boot to READY: %.1f s\n' "$T_BOOT"
      printf 'capture (%s): %.1f s\n' "$2" "$T_CAPTURE"; } | tee "$1/timings.txt"
}

link_kernel() {
    local out=$1 build=$2 f
    shift 2
    for f; do ln -sfn "$build/$f" "$out/$(basename "$f")"; done
    sha256sum "$build/vmlinux" "$build/${*: -1}" >"$out/kernel-sha256.txt"
}

vmcoreinfo_note() {
    python3 "$RECIPE_LIB/elfcore.py" "$1/vmcore.elf" >"$1/vmcoreinfo-note.txt"
}

stock_kver() {
    apt-cache depends "$1" | sed -n 's/^ *Depends: linux-image-\([^:]*\).*$/\1/p' | head -1
}

stock_kernel() {
    local k=$1 kver=$2 arch=${3:-} nm=nm dbg
    [ "$arch" != :arm64 ] || nm=aarch64-linux-gnu-nm
    mkdir -p "$k/debs" "$k/pkg"
    (cd "$k/debs"
     ls linux-image-"$kver"-unsigned_*.deb >/dev/null 2>&1 || apt-get download "linux-image-$kver-unsigned$arch"
     ls linux-image-"$kver"-dbg_*.deb >/dev/null 2>&1 || apt-get download "linux-image-$kver-dbg$arch")
    IMG_DEB=$(ls "$k"/debs/linux-image-"$kver"-unsigned_*.deb | tail -1)
    dbg=$(ls "$k"/debs/linux-image-"$kver"-dbg_*.deb | tail -1)
    PKG=$k/pkg
    [ -f "$PKG/boot/vmlinuz-$kver" ] || dpkg-deb --fsys-tarfile "$IMG_DEB" | tar -C "$PKG" -x ./boot ./lib/modules
    VMLINUX=$PKG/usr/lib/debug/boot/vmlinux-$kver
    [ -f "$VMLINUX" ] || dpkg-deb --fsys-tarfile "$dbg" | tar -C "$PKG" -x "./usr/lib/debug/boot/vmlinux-$kver"
    [ -s "$k/System.map" ] && [ "$k/System.map" -nt "$VMLINUX" ] || $nm -n "$VMLINUX" >"$k/System.map"
    ln -sfn "$VMLINUX" "$k/vmlinux"
}

step() { STEP=$1; T0=$(date +%s.%N); echo "== $STEP"; }
done_() { printf '%-44s %7.1f s\n' "$STEP" "$(echo "$(date +%s.%N) - $T0" | bc)" | tee -a "$TIMINGS"; }
