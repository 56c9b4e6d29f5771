#!/bin/bash
# kptdump live on Debian 12's stock amd64 kernel inside a QEMU guest, with no
# vmlinux and no System.map in the guest, judged by a QEMU dump of the same
# quiet moment read on the host with the -dbg vmlinux. See README.md.
#
# Usage: run.sh [KPTDUMP_BINARY]
#   KPTDUMP_BINARY  kptdump for the guest, Swift runtime linked statically
#                   (default /work/big/live-stock/build/release/kptdump; build it with
#                   swift build -c release --static-swift-stdlib --product kptdump
#                     --scratch-path /work/big/live-stock/build)
# Environment (optional):
#   KDIR      kernel packages, unpacked (default /work/big/live-stock/kernel)
#   OUT       results (default /work/big/live-stock/run; emptied first)
#   KVER      kernel ABI (default: what linux-image-amd64 depends on)
#   HOST_KPTDUMP  kptdump that reads the dump on the host (default /work/bin/kptdump
#                 if it exists, else KPTDUMP_BINARY)
#   CPU MEM SMP   QEMU -cpu -m -smp (default max,-la57 2G 2)
#   APPEND    extra kernel parameters (e.g. pti=on)
#   TIMEOUT   seconds for the guest to reach READY-FOR-DUMP (default 1800)
#
# Exit status: 0 when every check in OUT/summary.txt says ok, 1 otherwise.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$HERE/../lib
KPTDUMP=$(realpath "${1:-/work/big/live-stock/build/release/kptdump}")
KDIR=${KDIR:-/work/big/live-stock/kernel}
OUT=${OUT:-/work/big/live-stock/run}
CPU=${CPU:-max,-la57}
MEM=${MEM:-2G}
SMP=${SMP:-2}
APPEND=${APPEND:-}
TIMEOUT=${TIMEOUT:-1800}
if [ -z "${HOST_KPTDUMP:-}" ]; then
    HOST_KPTDUMP=$KPTDUMP
    [ -x /work/bin/kptdump ] && HOST_KPTDUMP=/work/bin/kptdump
fi
[ -x "$KPTDUMP" ] || { echo "no kptdump binary at $KPTDUMP" >&2; exit 1; }

TIMINGS=$OUT/timings.txt
. "$HERE/../lib/capture.sh"   # step, done_, need_pkgs, stock_kver, stock_kernel

rm -rf "$OUT"
mkdir -p "$OUT/files" "$KDIR/debs"
OUT=$(cd "$OUT" && pwd)
: >"$TIMINGS"

# ------------------------------------------------------------ 1. packages, kernel
step "packages, kernel download and unpack"
need_pkgs qemu-system-x86 busybox-static cpio gzip python3 kmod binutils bc diffutils gcc libc6-dev
KVER=${KVER:-$(stock_kver linux-image-amd64)}
[ -n "$KVER" ] || { echo "no KVER: run apt-get update"; exit 1; }
stock_kernel "$KDIR" "$KVER"   # IMG_DEB, PKG, VMLINUX (host side only)
VMLINUZ=$PKG/boot/vmlinuz-$KVER
done_

# ------------------------------------------------------------ 2. initramfs
step "initramfs"
ROOT=$OUT/initramfs
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,lib/modules}
mknod "$ROOT/dev/console" c 5 1
mknod "$ROOT/dev/null" c 1 3
cp /bin/busybox "$ROOT/bin/busybox"
cp "$HERE/init.sh" "$ROOT/init"
chmod +x "$ROOT/init"
cp "$KPTDUMP" "$ROOT/bin/kptdump"
gcc -static -O2 -Wall -o "$ROOT/bin/kcore-alias" "$HERE/kcore-alias.c"
ldd "$KPTDUMP" >"$OUT/ldd.txt"
if grep -q 'not found' "$OUT/ldd.txt"; then cat "$OUT/ldd.txt" >&2; exit 1; fi
# Every path ldd prints (the libraries' resolved paths and the loader), with
# the bytes of the file each points to.
for l in $(grep -o '/[^ ]*' "$OUT/ldd.txt" | sort -u); do
    mkdir -p "$ROOT$(dirname "$l")"
    cp -L "$l" "$ROOT$l"
done
# qemu_fw_cfg writes VMCOREINFO's place to QEMU's -device vmcoreinfo, so the
# host's dump carries the note (and with it the kallsyms arrays' symbols).
MODDIR=$PKG/lib/modules/$KVER
. "$LIB/modules.sh"   # add_module
: >"$ROOT/lib/modules/order"
add_module qemu_fw_cfg
# No vmlinux, no System.map: refuse to boot with either.
if find "$ROOT" \( -iname 'vmlinux*' -o -iname 'System.map*' \) | grep .; then
    echo "the initramfs holds a vmlinux or System.map" >&2; exit 1
fi
(cd "$ROOT" && find . | sort | cpio -o -H newc --quiet | gzip -1) >"$OUT/initrd.gz"
(cd "$ROOT" && find . -type f | sort | xargs ls -l) >"$OUT/initramfs-files.txt"
sha256sum "$KPTDUMP" "$HOST_KPTDUMP" "$VMLINUZ" "$VMLINUX" "$OUT/initrd.gz" >"$OUT/inputs-sha256.txt"
done_

# ------------------------------------------------------------ 3. boot to READY-FOR-DUMP
for _ in $(seq 1 180); do   # one QEMU at a time on 2 shared cores
    pgrep -f '^qemu-system' >/dev/null || break
    echo "another QEMU is running; waiting"; sleep 10
done
SOCKDIR=$(mktemp -d /tmp/live-stock.XXXXXX)
QSOCK=$SOCKDIR/qmp.sock RSOCK=$SOCKDIR/release.sock
SERIAL=$OUT/serial.log
QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu "$CPU" -m "$MEM" -smp "$SMP"
      -kernel "$VMLINUZ" -initrd "$OUT/initrd.gz"
      -append "console=ttyS0 loglevel=3 panic=-1 $APPEND"
      -device vmcoreinfo -display none -no-reboot -serial "file:$SERIAL"
      -chardev "socket,id=release,path=$RSOCK,server=on,wait=off" -serial chardev:release
      -qmp "unix:$QSOCK,server=on,wait=off")
printf '%q ' "${QEMU[@]}" >"$OUT/qemu-cmd.txt"; echo >>"$OUT/qemu-cmd.txt"
step "boot to READY-FOR-DUMP (guest runs kptdump)"
"${QEMU[@]}" &
QPID=$!
trap 'kill $QPID 2>/dev/null || true; rm -rf "$SOCKDIR"' EXIT
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -aq '^READY-FOR-DUMP' "$SERIAL" 2>/dev/null; do
    kill -0 "$QPID" 2>/dev/null || { echo "QEMU exited before READY-FOR-DUMP; see $SERIAL" >&2; exit 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "no READY-FOR-DUMP within ${TIMEOUT}s" >&2; exit 1; }
    sleep 0.5
done
done_
sleep 2   # let the guest's last echo and the serial output settle
step "stop, dump-guest-memory, cont, release"
python3 "$HERE/dump.py" "$QSOCK" "$RSOCK" "$OUT" | tee "$OUT/dump.txt"
done_
step "guest: kernel listing after the dump, poweroff"
for _ in $(seq 1 600); do kill -0 "$QPID" 2>/dev/null || break; sleep 1; done
kill "$QPID" 2>/dev/null || true
wait "$QPID" 2>/dev/null || true
trap - EXIT
rm -rf "$SOCKDIR"
done_

# ------------------------------------------------------------ 4. the host's reading of the dump
tr -d '\r' <"$SERIAL" >"$OUT/console.txt"
python3 "$HERE/../lib/extract.py" --flat "$SERIAL" "$OUT/files" >"$OUT/extract.log"
F=$OUT/files H=$OUT/host
mkdir -p "$H"
DUMP=$OUT/vmcore.elf
step "host: kptdump on the dump"
hostrun() {   # NAME ARGS...: stdout, stderr and status of the host's kptdump
    local name=$1; shift
    local t0=$(date +%s.%N) st=0
    "$HOST_KPTDUMP" "$@" >"$H/$name" 2>"$H/$name.stderr" || st=$?
    printf '%-36s status=%d secs=%.1f lines=%d\n' "$name" "$st" "$(echo "$(date +%s.%N) - $t0" | bc)" \
        "$(wc -l <"$H/$name")" | tee -a "$H/status.txt"
}
: >"$H/status.txt"
hostrun info-vmlinux     info "$DUMP" --vmlinux "$VMLINUX"
hostrun info-alone       info "$DUMP"
hostrun kernel-vmlinux   "$DUMP" --vmlinux "$VMLINUX"
hostrun kernel-alone     "$DUMP"
hostrun ps-vmlinux       ps "$DUMP" --vmlinux "$VMLINUX"
hostrun ps-alone         ps "$DUMP"
hostrun current-kernel-vmlinux "$DUMP" --vmlinux "$VMLINUX" --table current-kernel
hostrun current-user-vmlinux   "$DUMP" --vmlinux "$VMLINUX" --table current-user
hostrun check-wx-vmlinux check-wx "$DUMP" --vmlinux "$VMLINUX"
done_

# ------------------------------------------------------------ 5. judge
ndiff() { diff "$1" "$2" | grep -c '^[<>]' || true; }
kernel_half() { sed -n '/^---\[ Kernel Space \]---$/,$p' "$1"; }
ok=1
{
    echo "kernel $KVER ($(dpkg-deb -f "$IMG_DEB" Version)); guest kptdump $(sha256sum "$KPTDUMP" | cut -c1-12); host kptdump $HOST_KPTDUMP $(sha256sum "$HOST_KPTDUMP" | cut -c1-12)"
    echo "--- guest (live /proc/kcore, no vmlinux, no System.map)"
    grep -a '^EXIT ' "$OUT/console.txt" || true
    grep -a -E '^(AFTER-DUMP|FIRST-VS-FINAL):' "$OUT/console.txt" || true
    echo "--- guest info: symbols and types"
    grep -a -i -E 'symbol|type|btf|kallsyms' "$F/info" || true
    echo "--- host (QEMU dump of the quiet guest)"
    cat "$H/status.txt"
    echo "--- comparisons (differing lines, diff's < and > lines)"
} >"$OUT/summary.txt"
cmp_line() {   # LABEL A B: one summary line; any difference fails the run
    local n
    if [ ! -s "$2" ] || [ ! -s "$3" ]; then
        echo "$1: MISSING ($( [ -s "$2" ] || echo "$2 " )$( [ -s "$3" ] || echo "$3" ))" >>"$OUT/summary.txt"; ok=0; return
    fi
    n=$(ndiff "$2" "$3")
    diff -u "$2" "$3" >"$OUT/diff-$(echo "$1" | tr ' /' '__').txt" || true
    if [ "$n" = 0 ]; then echo "$1: identical ($(wc -l <"$2") lines)"
    else echo "$1: DIFFERENT, $n differing lines ($(wc -l <"$2") vs $(wc -l <"$3") lines)"; ok=0; fi >>"$OUT/summary.txt"
}
cmp_line "live kernel-final vs dump --vmlinux"         "$F/kernel-final" "$H/kernel-vmlinux"
cmp_line "live kernel-final vs dump alone"             "$F/kernel-final" "$H/kernel-alone"
cmp_line "live kernel (first run) vs dump --vmlinux"   "$F/kernel" "$H/kernel-vmlinux"
cmp_line "live kernel-after-dump vs kernel-final"      "$F/kernel-final" "$F/kernel-after-dump"
cmp_line "dump alone vs dump --vmlinux"                "$H/kernel-alone" "$H/kernel-vmlinux"
kernel_half "$F/current-kernel" >"$OUT/live-current-kernel.khalf"
kernel_half "$H/current-kernel-vmlinux" >"$OUT/dump-current-kernel.khalf"
kernel_half "$H/kernel-vmlinux" >"$OUT/dump-kernel.khalf"
cmp_line "live current-kernel's kernel half vs dump current-kernel's" "$OUT/live-current-kernel.khalf" "$OUT/dump-current-kernel.khalf"
cmp_line "live current-kernel's kernel half vs dump kernel's"       "$OUT/live-current-kernel.khalf" "$OUT/dump-kernel.khalf"
# current-user: the PTI user copy with pti=on (else the same table as
# current-kernel); its kernel half is the same copy in every mm.
kernel_half "$F/current-user" >"$OUT/live-current-user.khalf"
kernel_half "$H/current-user-vmlinux" >"$OUT/dump-current-user.khalf"
cmp_line "live current-user's kernel half vs dump current-user's" "$OUT/live-current-user.khalf" "$OUT/dump-current-user.khalf"
# ps: the live one lists the running `kptdump ps` itself, which is gone at the
# dump; compare without kptdump's own lines too.
# The raw comparison is shown, but only the one without kptdump's own lines judges.
judging=$ok
cmp_line "live ps vs dump ps --vmlinux (shown, not judged)" "$F/ps" "$H/ps-vmlinux"
ok=$judging
grep -v ' kptdump ' "$F/ps" >"$OUT/live-ps.nokptdump" || true
grep -v ' kptdump ' "$H/ps-vmlinux" >"$OUT/dump-ps.nokptdump" || true
cmp_line "live ps vs dump ps --vmlinux, kptdump's own lines left out" "$OUT/live-ps.nokptdump" "$OUT/dump-ps.nokptdump"
{ echo "  lines only live:"; diff "$OUT/live-ps.nokptdump" "$OUT/dump-ps.nokptdump" | sed -n 's/^< /    /p' || true
  echo "  lines only in the dump:"; diff "$OUT/live-ps.nokptdump" "$OUT/dump-ps.nokptdump" | sed -n 's/^> /    /p' || true; } >>"$OUT/summary.txt"
cmp_line "dump ps alone vs dump ps --vmlinux"          "$H/ps-alone" "$H/ps-vmlinux"
cmp_line "live check-wx vs dump check-wx --vmlinux"    "$F/check-wx" "$H/check-wx-vmlinux"
for n in info kernel current-kernel current-user ps check-wx kernel-final kernel-after-dump; do
    st=$(sed -n "s/^EXIT $n status=\([0-9]*\).*/\1/p" "$OUT/console.txt")
    [ "$st" = 0 ] || { echo "live $n: exit status ${st:-missing}" >>"$OUT/summary.txt"; ok=0; }
done
# ps with /sys unmounted (after the dump): no BTF, no vmlinux, so refused.
st=$(sed -n "s/^EXIT ps-without-sysfs status=\([0-9]*\).*/\1/p" "$OUT/console.txt")
if [ -n "$st" ] && [ "$st" != 0 ] && [ ! -s "$F/ps-without-sysfs" ]; then
    echo "live ps without /sys: refused as expected (status $st): $(head -c 400 "$F/ps-without-sysfs.stderr")"
else
    echo "live ps without /sys: NOT refused (status ${st:-missing}, $(wc -l <"$F/ps-without-sysfs" 2>/dev/null || echo 0) lines)"; ok=0
fi >>"$OUT/summary.txt"
{ echo "--- /proc/kcore aliases (after the dump; kcore-alias.c)"
  cat "$F/kcore-alias-scan" 2>/dev/null || echo "no kcore-alias-scan output"
  echo "/proc/kcore's notes: $(tr '\n' ';' <"$F/kcore-notes" 2>/dev/null)"
  for f in "$F"/vtop-0x*; do
      case $f in *.stderr) continue ;; esac
      [ -e "$f" ] || continue
      a=${f##*/vtop-}
      echo "empty 2M PTE table at $a: $(awk '$1 == "pmd"' "$f")"
      sed 's/^/    /' "$F/kcore-alias-$a" 2>/dev/null || true
  done; } >>"$OUT/summary.txt"
echo "RESULT: $([ $ok = 1 ] && echo PASS || echo FAIL)" >>"$OUT/summary.txt"
cat "$OUT/summary.txt"
echo "--- timings"; cat "$TIMINGS"
[ $ok = 1 ]
