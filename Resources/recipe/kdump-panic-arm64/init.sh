#!/bin/busybox sh
# /init of the one initramfs both arm64 kernels boot (see README.md). The word
# kdp_capture on the command line makes it the capture kernel's; otherwise it is
# the first kernel's, which reads kdp_crash=N (the crasher's CPU) and kdp_busy=M
# (the spinner's CPU) from the command line. The crasher waits on the
# virtio-serial port named "release" (QEMU -M virt has one PL011 only).
. /lib/kdump-init.sh   # ../lib/kdump-init.sh: mounts, modules, arg; the capture kernel stops there

echo "=== FIRST KERNEL ==="
cat /proc/cmdline
mount -t ext2 -o ro /dev/vda /mnt || echo "mount failed"
# kexec-tools 2.0.25 takes _text from /proc/kallsyms (page_offset and the kernel
# PT_LOAD of the elfcorehdr). Debian's arm64 6.1 has no KALLSYMS_ALL, and _text
# lies before _stext, outside kallsyms' text range, so it is missing: kexec then
# says "Can't get the symbol of _text to calculate page_offset." and the capture
# kernel's /proc/vmcore is unreadable. So add it: _text = _stext - (_stext - _text
# of System.map, in /etc/text-delta), over a bind mount of /proc/kallsyms.
if ! grep -q ' _text$' /proc/kallsyms; then
    stext=$(sed -n 's/^\([0-9a-f]*\) . _stext$/\1/p' /proc/kallsyms)
    printf '%016x T _text\n' $((0x$stext - 0x$(cat /etc/text-delta))) >/tmp/kallsyms
    cat /proc/kallsyms >>/tmp/kallsyms
    mount --bind /tmp/kallsyms /proc/kallsyms && echo "kallsyms: added $(head -1 /tmp/kallsyms)"
fi
kexec -p /mnt/Image --initrd=/mnt/initrd.gz \
    --append="console=ttyAMA0 irqpoll nr_cpus=1 reset_devices kdp_capture panic=-1"
echo "kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
echo "=== VMCOREINFO ==="
cat /sys/kernel/vmcoreinfo
echo "=== KALLSYMS ==="
grep -E ' (_text|_stext|swapper_pg_dir|tramp_pg_dir|reserved_pg_dir|idmap_pg_dir|init_mm|panic_cpu)$' /proc/kallsyms
echo "kpti: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown)"
grep -m1 -i 'features' /proc/cpuinfo
REL=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat $p/name 2>/dev/null)" = release ] && REL=/dev/${p##*/}
    done
    [ -n "$REL" ] && [ -c "$REL" ] && break; sleep 1
done
echo "release port: $REL"
echo "=== TASKS ==="
taskset -c "$(arg kdp_busy)" /bin/spinner &
sleep 1
taskset -c "$(arg kdp_crash)" /bin/crasher "$REL" &
wait
