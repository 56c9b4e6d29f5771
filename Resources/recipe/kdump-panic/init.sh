#!/bin/busybox sh
# /init of the one initramfs both kernels boot (see README.md). The word
# kdp_capture on the command line makes it the capture kernel's; otherwise it is
# the first kernel's, which reads kdp_crash=N (the crasher's CPU) and kdp_busy=M
# (the spinner's CPU; kdp_busy=none starts no spinner, so the other CPU is idle)
# from the command line.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for m in $(cat /lib/modules/order); do
    insmod /lib/modules/$m.ko || echo "insmod $m failed"
done
arg() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 1; done
mkdir -p /mnt

if grep -qw kdp_capture /proc/cmdline; then
    echo "=== CAPTURE KERNEL ==="
    mount -t ext2 /dev/vda /mnt || { echo "mount failed"; poweroff -f; }
    mkdir -p /mnt/out
    ls -l /proc/vmcore
    t0=$(date +%s)
    dd if=/proc/vmcore of=/mnt/out/vmcore.elf bs=1M 2>&1; t1=$(date +%s)
    makedumpfile -l -d 31 /proc/vmcore /mnt/out/vmcore.kdump 2>&1; t2=$(date +%s)
    makedumpfile -F -l -d 31 /proc/vmcore >/mnt/out/vmcore.flat; t3=$(date +%s)
    makedumpfile --dump-dmesg /proc/vmcore /mnt/out/dmesg.txt 2>&1; t4=$(date +%s)
    printf 'dd %s s\nmakedumpfile -l -d 31 %s s\nmakedumpfile -F -l -d 31 %s s\n--dump-dmesg %s s\n' \
        $((t1-t0)) $((t2-t1)) $((t3-t2)) $((t4-t3)) | tee /mnt/out/capture-times.txt
    ls -l /mnt/out
    umount /mnt
    sync
    echo "=== CAPTURE DONE ==="
    poweroff -f
fi

echo "=== FIRST KERNEL ==="
cat /proc/cmdline
mount -t ext2 -o ro /dev/vda /mnt || echo "mount failed"
kexec -p /mnt/vmlinuz --initrd=/mnt/initrd.gz \
    --append="console=ttyS0 irqpoll nr_cpus=1 reset_devices kdp_capture panic=-1"
echo "kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
echo "=== VMCOREINFO ==="
cat /sys/kernel/vmcoreinfo
echo "=== KALLSYMS ==="
grep -E ' (_text|init_top_pgt|swapper_pg_dir|page_offset_base|vmalloc_base|vmemmap_base|panic_cpu|init_mm|cpu_tlbstate|__per_cpu_offset|runqueues)$' /proc/kallsyms
echo "meltdown: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown)"
echo "=== TASKS ==="
busy=$(arg kdp_busy)
if [ -n "$busy" ] && [ "$busy" != none ]; then
    taskset -c "$busy" /bin/spinner &
    sleep 1
else
    echo "IDLE no busy task"
fi
taskset -c "$(arg kdp_crash)" /bin/crasher /dev/ttyS1 &
wait
