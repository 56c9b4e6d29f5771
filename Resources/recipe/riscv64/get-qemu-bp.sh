#!/bin/bash
# Unpack bookworm-backports' QEMU 10 for riscv64 (and the OpenSBI 1.5 it wants)
# into a private folder, without installing it over Debian 12's QEMU 7.2.
#
# Usage: get-qemu-bp.sh [DEST]         DEST defaults to /work/big/riscv64/qemu-bp
#
# Result: DEST/usr/bin/qemu-system-riscv64, its modules in
# DEST/usr/lib/x86_64-linux-gnu/qemu, its data (and the OpenSBI firmware link
# opensbi-riscv64-generic-fw_dynamic.bin -> DEST/usr/lib/riscv64-linux-gnu/...)
# in DEST/usr/share/qemu. Run it with
#   QEMU_MODULE_DIR=DEST/usr/lib/x86_64-linux-gnu/qemu \
#   DEST/usr/bin/qemu-system-riscv64 -L DEST/usr/share/qemu -audio none ...
# (see capture.sh for why). Its shared-library dependencies are all satisfied
# by Debian 12 once qemu-system-misc 7.2 is installed.
set -euo pipefail

DEST=${1:-/work/big/riscv64/qemu-bp}
BP=/etc/apt/sources.list.d/bookworm-backports.sources

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "adding $BP"
    cat > "$BP" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update
fi

mkdir -p "$DEST/debs"
cd "$DEST/debs"
# qemu-system-riscv: the binary (in QEMU 10 it is split out of qemu-system-misc);
# -common: the modules; -data: firmware links and keymaps; opensbi 1.5: the firmware
# qemu-system-riscv 10 depends on (Debian 12 has 1.1).
for p in qemu-system-riscv qemu-system-common qemu-system-data opensbi; do
    ls ${p}_*.deb >/dev/null 2>&1 || apt-get download "$p/bookworm-backports"
done
for deb in *.deb; do dpkg -x "$deb" "$DEST"; done

Q=$DEST/usr/bin/qemu-system-riscv64
missing=$(ldd "$Q" | grep 'not found' || true)
if [ -n "$missing" ]; then
    echo "missing libraries for $Q:" >&2
    echo "$missing" >&2
    exit 1
fi
QEMU_MODULE_DIR=$DEST/usr/lib/x86_64-linux-gnu/qemu "$Q" --version
ls -lL "$DEST/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin"
