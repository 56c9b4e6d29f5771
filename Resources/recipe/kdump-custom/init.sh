#!/bin/busybox sh
# /init of the one initramfs both kdump-custom kernels boot (see README.md): a copy
# of ../kdump-panic/init.sh without modules (everything is built in), with debugfs
# mounted and the console quietened before the tasks start, and ptcrasher (which
# prints the kernel's own page_tables files just before it panics) as the crasher.
# kdp_capture on the command line makes it the capture kernel's init.
. /lib/kdump-init.sh   # ../lib/kdump-init.sh: mounts, modules, arg; the capture kernel stops there

echo "=== FIRST KERNEL ==="
cat /proc/cmdline
mount -t debugfs debugfs /sys/kernel/debug || echo "debugfs mount failed"
mount -t ext2 -o ro /dev/vda /mnt || echo "mount failed"
kexec -p /mnt/vmlinuz --initrd=/mnt/initrd.gz \
    --append="console=ttyS0 irqpoll nr_cpus=1 reset_devices kdp_capture panic=-1"
echo "kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)"
echo "=== VMCOREINFO ==="
cat /sys/kernel/vmcoreinfo
echo "=== KALLSYMS ==="
grep -E ' (_text|init_top_pgt|swapper_pg_dir|page_offset_base|vmalloc_base|vmemmap_base|panic_cpu|init_mm)$' /proc/kallsyms
echo "meltdown: $(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null)"
ls -l /sys/kernel/debug/page_tables/
echo "=== TASKS ==="
dmesg -n 1   # from here on only emergency messages (the panic) reach the console
taskset -c "$(arg kdp_busy)" /bin/spinner &
sleep 1
taskset -c "$(arg kdp_crash)" /bin/ptcrasher /dev/ttyS1 &
wait
