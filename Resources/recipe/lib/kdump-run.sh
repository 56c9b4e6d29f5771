# Host-side steps the kdump recipes share (kdump-panic, kdump-panic-arm64,
# kdump-custom); source it, then call:
#   kdump_disk OUT KERNEL INITRD   the ext2 disk both kernels see: the capture
#                                  kernel and initrd in, an empty out/ for the dumps
#   kdump_collect OUT SERIAL       the capture's files moved up from the disk's out/,
#                                  the disk deleted (unless KEEP_DISK=1), made readable,
#                                  and SERIAL split into serial-first.log and
#                                  serial-capture.log at the second "Linux version"
#   kdump_userland ROOT            the host's busybox, kexec and makedumpfile (with
#                                  their libraries, ldd) into an x86 initramfs tree
#   kdump_pack ROOT INIT OUT.gz [CPIO_ARG...]
#                                  INIT as /init, lib/kdump-init.sh, packed
#   kdump_boot OUT TIMEOUT TRUTH_CMD... -- QEMU_CMD...
#                                  OUT/qemu-cmd.txt, boot to READY (crasher armed),
#                                  3 s for both CPUs to settle, TRUTH_CMD (its output
#                                  also in OUT/truth-qmp.txt), then waits while the
#                                  guest panics, dumps and powers off
#   kdump_x86 OUT K APPEND TRUTH_PY [ARG...]
#                                  the x86 recipes' disk (K/vmlinuz, K/initrd.gz), QEMU
#                                  (q35, 2 CPUs, 2 GiB, -cpu $CPU, $QEMU_TIMEOUT), and
#                                  kdump_boot with TRUTH_PY QMP_SOCK RELEASE_SOCK OUT ARG...
#   kdump_x86_cpus OUT PTI         truth.txt's x86 "cpuN" lines (CR3, CR4, CPL, info
#                                  tlb lines, whether CR3 is the PTI user copy)
KDUMP_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$KDUMP_LIB/capture.sh"   # boot_until_ready, step, done_

kdump_disk() {
    local out=$1
    rm -rf "$out/disk" "$out/disk.img" "$out/out"
    mkdir -p "$out/disk/out"
    cp "$2" "$3" "$out/disk/"
    mke2fs -q -t ext2 -d "$out/disk" "$out/disk.img" 2600M
    rm -rf "$out/disk"
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


kdump_userland() {
    local root=$1 b l
    mkdir -p "$root"/{bin,sbin,dev,proc,sys,mnt,tmp}
    cp /bin/busybox "$root/bin/busybox"
    for b in /usr/sbin/kexec /usr/bin/makedumpfile; do
        cp "$b" "$root/sbin/"
        for l in $(ldd "$b" | grep -o '/[^ ]*'); do
            mkdir -p "$root$(dirname "$l")"
            cp -L "$l" "$root$l"
        done
    done
}

kdump_pack() {
    local root=$1 init=$2 out=$3
    shift 3
    cp "$init" "$root/init"
    chmod +x "$root/init"
    mkdir -p "$root/lib" && cp "$KDUMP_LIB/kdump-init.sh" "$root/lib/"
    (cd "$root" && find . | sort | cpio -o -H newc "$@" --quiet | gzip -9) >"$out"
}

kdump_boot() {
    local out=$1 timeout=$2 truth=()
    shift 2
    while [ "$1" != -- ]; do truth+=("$1"); shift; done
    shift
    printf '%q ' "$@" >"$out/qemu-cmd.txt"; echo >>"$out/qemu-cmd.txt"
    step "boot to READY (crasher armed)"
    boot_until_ready "$out/serial.log" "$timeout" "$@"
    done_
    sleep 3   # let both CPUs settle: the spinner and the crasher's poll loop
    step "truth (stop, registers per CPU, cont, release)"
    "${truth[@]}" | tee "$out/truth-qmp.txt"
    done_
    step "panic, capture kernel, dumps, power-off"
    wait "$QPID" || echo "QEMU exit status $? (124 = timeout)"
    trap - EXIT
    done_
}

kdump_x86() {
    local out=$1 k=$2 append=$3 truth=$4
    shift 4
    local q=$out/qmp.sock r=$out/release.sock
    step "disk image"
    kdump_disk "$out" "$k/vmlinuz" "$k/initrd.gz"
    done_
    qemu_one_at_a_time
    rm -f "$out/serial.log" "$q" "$r" "$out"/regs-cpu*.txt "$out"/tlb-cpu*.txt
    kdump_boot "$out" 900 python3 "$truth" "$q" "$r" "$out" "$@" -- \
        timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -M q35 -cpu "$CPU" -m 2G -smp 2 \
        -kernel "$k/vmlinuz" -initrd "$k/initrd.gz" -append "$append" \
        -device vmcoreinfo -drive "file=$out/disk.img,format=raw,if=virtio" \
        -display none -no-reboot -serial "file:$out/serial.log" \
        -chardev "socket,id=release,path=$r,server=on,wait=off" -serial chardev:release \
        -qmp "unix:$q,server=on,wait=off"
    rm -f "$q" "$r"
}

kdump_x86_cpus() {
    local out=$1 pti=$2 r n cr3 pgd
    for r in "$out"/regs-cpu*.txt; do
        n=${r##*regs-cpu}; n=${n%.txt}
        cr3=$(sed -n 's/.*\bCR3=\([0-9a-f]*\).*/\1/p' "$r")
        pgd=kernel; [ -n "$pti" ] && (( 0x$cr3 & 0x1000 )) && pgd="PTI user copy"
        echo "cpu$n          $(grep -o '\bCR[34]=[0-9a-f]*' "$r" | tr '\n' ' ')$(grep -o '\bCPL=[0-9]' "$r") tlb-lines=$(wc -l <"$out/tlb-cpu$n.txt") pgd=$pgd"
    done
}
