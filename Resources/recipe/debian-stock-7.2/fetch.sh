#!/bin/bash
# Download and unpack (never install) Debian's stock 7.2 kernel for one architecture
# from trixie-backports (or sid), using a private apt state so that the machine's own
# sources stay bookworm's. See README.md beside this file.
#
#   fetch.sh ARCH KVER WORK      e.g. fetch.sh amd64 7.2.12+deb13-amd64 /work/big/stock-7.2/amd64
#
# 7.x packages are split: linux-image-KVER is a metapackage; the kernel image is in
# linux-binary-unsigned-KVER (usr/lib/modules/KVER/vmlinuz.unsigned), the config and
# the 92-byte placeholder System.map in linux-base-KVER, the modules in
# linux-modules-KVER, and the DWARF vmlinux in linux-image-KVER-dbg at
# usr/lib/debug/lib/modules/KVER/vmlinux.
# Leaves in WORK: pkg/ (boot files, only qemu_fw_cfg of the modules, the vmlinux),
# vmlinux (symlink), System.map (nm -n), config, vmlinuz (x86) or Image (arm64),
# package-versions.txt. The 1.2 GB -dbg .deb is deleted once its vmlinux is out
# (KEEP_DEBS=1 keeps it).
set -euo pipefail
ARCH=$1 KVER=$2 WORK=$3
APTSTATE=${APTSTATE:-$(dirname "$WORK")/apt}
SUITES=${SUITES:-"trixie-backports sid"}
mkdir -p "$WORK" "$APTSTATE"/lists/partial "$APTSTATE"/cache/archives/partial "$APTSTATE"/debs
: > "$APTSTATE/sources.list"
for s in $SUITES; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main" >> "$APTSTATE/sources.list"
done
APTO=(-o Dir::Etc::SourceList="$APTSTATE/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$APTSTATE/lists" -o Dir::Cache="$APTSTATE/cache"
      -o APT::Architectures::=amd64 -o APT::Architectures::=arm64)
ls "$APTSTATE"/lists/*_Packages* >/dev/null 2>&1 || apt-get "${APTO[@]}" update
cd "$APTSTATE/debs"
PKGS=(linux-base-$KVER linux-binary-unsigned-$KVER linux-modules-$KVER linux-image-$KVER-dbg)
PKG=$WORK/pkg
VMLINUX=$PKG/usr/lib/debug/lib/modules/$KVER/vmlinux
for p in "${PKGS[@]}"; do
    [ "$p" = "linux-image-$KVER-dbg" ] && [ -f "$VMLINUX" ] && continue
    ls "${p}"_*_"$ARCH".deb >/dev/null 2>&1 || apt-get "${APTO[@]}" download "$p:$ARCH"
done
mkdir -p "$PKG"
for p in "${PKGS[@]}"; do
    f=$(ls "${p}"_*_"$ARCH".deb 2>/dev/null | tail -1 || true)
    [ -z "$f" ] || grep -q "^$p " "$WORK/package-versions.txt" 2>/dev/null \
        || echo "$p $(dpkg-deb -f "$f" Version)" >> "$WORK/package-versions.txt"
done
MOD=$PKG/usr/lib/modules/$KVER
if [ -z "$(ls "$MOD"/kernel/drivers/firmware/qemu_fw_cfg.ko* 2>/dev/null)" ]; then
    dpkg-deb -x linux-base-"$KVER"_*_"$ARCH".deb "$PKG"
    dpkg-deb -x linux-binary-unsigned-"$KVER"_*_"$ARCH".deb "$PKG"
    # Of the modules only qemu_fw_cfg is needed (FW_CFG_SYSFS=m); keep the disk free.
    dpkg-deb --fsys-tarfile linux-modules-"$KVER"_*_"$ARCH".deb \
        | tar -C "$PKG" -x --wildcards "./usr/lib/modules/$KVER/kernel/drivers/firmware/qemu_fw_cfg.ko*"
fi
if [ ! -f "$VMLINUX" ]; then
    dpkg-deb --fsys-tarfile linux-image-"$KVER"-dbg_*_"$ARCH".deb \
        | tar -C "$PKG" -x "./usr/lib/debug/lib/modules/$KVER/vmlinux"
    [ "${KEEP_DEBS:-0}" = 1 ] || rm -f linux-image-"$KVER"-dbg_*_"$ARCH".deb
fi
ln -sfn "$VMLINUX" "$WORK/vmlinux"
cp "$MOD/config" "$WORK/config"
case $ARCH in
    amd64) NM=nm; cp "$MOD/vmlinuz.unsigned" "$WORK/vmlinuz" ;;
    arm64) NM=aarch64-linux-gnu-nm
           if gzip -t "$MOD/vmlinuz.unsigned" 2>/dev/null; then zcat "$MOD/vmlinuz.unsigned" > "$WORK/Image"
           else cp "$MOD/vmlinuz.unsigned" "$WORK/Image"; fi ;;
esac
# The package's System.map is a placeholder; the real one comes from the -dbg vmlinux.
[ -s "$WORK/System.map" ] && [ "$WORK/System.map" -nt "$VMLINUX" ] || $NM -n "$VMLINUX" > "$WORK/System.map"
cat "$WORK/package-versions.txt"
