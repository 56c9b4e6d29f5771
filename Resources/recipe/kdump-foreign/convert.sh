#!/bin/bash
# Convert a QEMU ELF dump of an s390x or ppc64le guest to makedumpfile's
# kdump-compressed formats with Debian's own makedumpfile for that
# architecture, run under qemu-user (the amd64 build only knows x86_64 dumps).
#
# Usage: convert.sh ARCH DUMP OUTDIR [VMCOREINFO]
#   ARCH        s390x | ppc64le
#   DUMP        QEMU dump-guest-memory ELF (read only), or its capture folder
#   OUTDIR      gets NAME-zlib-d0.kdump, NAME-lzo-d31.kdump,
#               NAME-lzo-d31-flat.kdump (NAME = ARCH), a .log for each and
#               commands.txt
#   VMCOREINFO  the guest's VMCOREINFO text (default: vmcoreinfo-note.txt
#               beside DUMP). QEMU's ELF has no VMCOREINFO note.
# Env: SYSROOT (default OUTDIR/sysroot-ARCH), KEEP_ELF=1 keeps the prepared copy,
#      MSGLEVEL (default 22: common, error, report; 31 adds debug, which on
#      ppc64le lists ~2 million empty mem_map sections, 135 MB per log).
set -euo pipefail
MSGLEVEL=${MSGLEVEL:-22}
ARCH=${1:?usage: convert.sh ARCH DUMP OUTDIR [VMCOREINFO]}
DUMP=${2:?}; OUTDIR=${3:?}
[ -d "$DUMP" ] && DUMP=$DUMP/vmcore.elf
VMCI=${4:-$(dirname "$DUMP")/vmcoreinfo-note.txt}
HERE=$(cd "$(dirname "$0")" && pwd)
case $ARCH in
    s390x)   DEB=s390x;   QEMU=qemu-s390x ;;
    ppc64le) DEB=ppc64el; QEMU=qemu-ppc64le ;;
    *) echo "ARCH must be s390x or ppc64le" >&2; exit 1 ;;
esac
mkdir -p "$OUTDIR"; OUTDIR=$(cd "$OUTDIR" && pwd)
SYSROOT=${SYSROOT:-$OUTDIR/sysroot-$ARCH}
command -v $QEMU >/dev/null || { apt-get update && apt-get install -y qemu-user; }

if [ ! -x "$SYSROOT/usr/bin/makedumpfile" ]; then
    # Download, never install: the foreign architecture is added only for
    # apt-get download and removed again, so the machine's apt stays as it was.
    added=0
    dpkg --print-foreign-architectures | grep -qx $DEB || { dpkg --add-architecture $DEB; added=1; }
    apt-get update -qq
    mkdir -p "$SYSROOT/debs"
    (cd "$SYSROOT/debs" && apt-get download $(for p in makedumpfile libc6 libelf1 libdw1 \
        zlib1g liblzo2-2 libbz2-1.0 libzstd1 liblzma5 libgcc-s1; do echo $p:$DEB; done))
    if [ $added = 1 ]; then dpkg --remove-architecture $DEB; apt-get update -qq; fi
    for d in "$SYSROOT"/debs/*.deb; do dpkg -x "$d" "$SYSROOT"; done
    # ppc64el's /lib64/ld64.so.2 is an absolute link: qemu -L would follow it
    # to the host's /lib.
    for l in "$SYSROOT"/lib64/*; do
        t=$(readlink "$l" || true)
        [[ $t == /* ]] && ln -sf "..$t" "$l"
    done
fi
MD=("$QEMU" -L "$SYSROOT" "$SYSROOT/usr/bin/makedumpfile")

# makedumpfile 1.7.2 reads the release at init_uts_ns+4 (pre-5.x layout);
# 7.x has OFFSET(uts_namespace.name)=0. SYMBOL(system_utsname) is read as is.
cp "$VMCI" "$OUTDIR/vmcoreinfo.txt"
sed -i '$a\' "$OUTDIR/vmcoreinfo.txt"
echo "SYMBOL(system_utsname)=$(sed -n 's/^SYMBOL(init_uts_ns)=//p' "$VMCI")" >> "$OUTDIR/vmcoreinfo.txt"

ELF=$OUTDIR/$ARCH-prep.elf
PREP=(--vmcoreinfo "$OUTDIR/vmcoreinfo.txt")
if [ $ARCH = s390x ]; then
    PREP+=(--kernel-map)
else
    PREP+=(--little-endian --vaddr-offset c000000000000000)
    # vmemmap's physical backing, from the kernel's own ptdump beside the dump
    # (the VMCOREINFO entries 1.7.2 needs for it are gone in 7.x).
    PT=$(dirname "$DUMP")/page_tables/kernel_page_tables.txt
    if [ -f "$PT" ]; then
        while read -r range pa _; do
            [[ $range == 0x*-0x* ]] || continue
            s=${range%-*}; e=${range#*-}
            PREP+=(--map "$(printf '%x:%x:%x' $((s)) $((pa)) $((e - s + 1)))")
        done < <(sed -n '/vmemmap start/,/vmemmap end/p' "$PT")
    else
        echo "no $PT: -d 31 will fail reading struct page" >&2
    fi
fi
python3 "$HERE/elf-prep.py" "$DUMP" "$ELF" "${PREP[@]}"

: > "$OUTDIR/commands.txt"
run() {  # NAME OUT FLAT ARGS...
    local name=$1 out=$2 flat=$3; shift 3
    echo "makedumpfile --message-level $MSGLEVEL $* $(basename "$ELF") ${flat:+> }$(basename "$out")" >> "$OUTDIR/commands.txt"
    rm -f "$out"
    local rc=0
    if [ -n "$flat" ]; then
        "${MD[@]}" --message-level $MSGLEVEL "$@" "$ELF" > "$out" 2> "$OUTDIR/$name.log" || rc=$?
    else
        "${MD[@]}" --message-level $MSGLEVEL "$@" "$ELF" "$out" > "$OUTDIR/$name.log" 2>&1 || rc=$?
    fi
    echo "$name: exit $rc, $(stat -c %s "$out" 2>/dev/null || echo no) bytes"
}
run $ARCH-zlib-d0      "$OUTDIR/$ARCH-zlib-d0.kdump"      "" -c -d 0
run $ARCH-lzo-d31      "$OUTDIR/$ARCH-lzo-d31.kdump"      "" -l -d 31
run $ARCH-lzo-d31-flat "$OUTDIR/$ARCH-lzo-d31-flat.kdump" 1  -l -d 31 -F
[ "${KEEP_ELF:-0}" = 1 ] || rm -f "$ELF"
