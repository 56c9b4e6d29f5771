#!/bin/bash
# Build the captures' initramfs: /init from lib/init.c (static, for the guest's
# architecture) plus /dev/console, packed by the kernel's own gen_init_cpio (no
# root needed for the device node).
#
# Usage: initramfs.sh CC WORK_DIR BUILD_DIR SRC_DIR OUT.cpio.gz [INIT.c]
#   CC         compiler for the guest (gcc, aarch64-linux-gnu-gcc, riscv64-linux-gnu-gcc)
#   WORK_DIR   where init and the file list go
#   BUILD_DIR  the kernel build (its usr/gen_init_cpio is used when built)
#   SRC_DIR    the kernel source (usr/gen_init_cpio.c is compiled otherwise)
#   INIT.c     the init program (default: lib/init.c)
# Env: CFLAGS  more compiler flags, e.g. -DINIT_MOMENTS (lib/init.c's scenario)
set -euo pipefail
CC=$1 IRD=$2 BUILD_DIR=$3 SRC_DIR=$4 OUT=$5
HERE=$(cd "$(dirname "$0")" && pwd)
INIT_SRC=${6:-$HERE/init.c}
mkdir -p "$IRD"
"$CC" -static -O2 -Wall ${CFLAGS:-} -o "$IRD/init" "$INIT_SRC"
GEN=$BUILD_DIR/usr/gen_init_cpio
if [ ! -x "$GEN" ]; then
    gcc -O2 -o "$IRD/gen_init_cpio" "$SRC_DIR/usr/gen_init_cpio.c"
    GEN=$IRD/gen_init_cpio
fi
cat > "$IRD/initramfs.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $IRD/init 0755 0 0
LIST
"$GEN" "$IRD/initramfs.list" | gzip -9 > "$OUT"
