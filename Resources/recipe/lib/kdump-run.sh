# Host-side steps the kdump recipes share (kdump-panic, kdump-panic-arm64,
# kdump-custom); source it, then call:
#   kdump_disk OUT KERNEL INITRD   the ext2 disk both kernels see: the capture
#                                  kernel and initrd in, an empty out/ for the dumps
#   kdump_wait_for_qemu            one QEMU at a time on 2 shared cores (up to 1 h)
#   kdump_collect OUT SERIAL       the capture's files moved up from the disk's out/,
#                                  the disk deleted (unless KEEP_DISK=1), made readable,
#                                  and SERIAL split into serial-first.log and
#                                  serial-capture.log at the second "Linux version"

kdump_disk() {
    local out=$1
    rm -rf "$out/disk" "$out/disk.img" "$out/out"
    mkdir -p "$out/disk/out"
    cp "$2" "$3" "$out/disk/"
    mke2fs -q -t ext2 -d "$out/disk" "$out/disk.img" 2600M
    rm -rf "$out/disk"
}

kdump_wait_for_qemu() {
    for _ in $(seq 1 360); do
        pgrep -f '^qemu-system' >/dev/null || return 0
        echo "another QEMU is running; waiting"; sleep 10
    done
}

kdump_collect() {
    local out=$1 serial=$2
    debugfs -R "rdump /out $out" "$out/disk.img" 2>/dev/null
    mv "$out"/out/* "$out/"
    rmdir "$out/out"
    [ "${KEEP_DISK:-0}" = 1 ] || rm -f "$out/disk.img"
    chmod a+r "$out"/*   # makedumpfile writes 0600
    tr -d '\r' <"$serial" | awk '/Linux version/ {n++} n<2' >"$out/serial-first.log"
    tr -d '\r' <"$serial" | awk '/Linux version/ {n++} n>=2' >"$out/serial-capture.log"
}
