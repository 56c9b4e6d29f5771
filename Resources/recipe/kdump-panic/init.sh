#!/bin/busybox sh
# /init of the one initramfs both kernels boot (see README.md). The word
# kdp_capture on the command line makes it the capture kernel's; otherwise it is
# the first kernel's, which reads kdp_crash=N (the crasher's CPU) and kdp_busy=M
# (the spinner's CPU; kdp_busy=none starts no spinner, so the other CPU is idle)
# from the command line.
. /lib/kdump-init.sh   # ../lib/kdump-init.sh: mounts, modules, arg; the capture kernel stops there

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
