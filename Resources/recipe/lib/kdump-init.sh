# The start of every kdump recipe's /init (kdump-panic, kdump-panic-arm64,
# kdump-custom), copied into the initramfs as /lib/kdump-init.sh and sourced by
# each init.sh (busybox sh): busybox's applets, proc, sysfs, devtmpfs, the
# console, the modules of /lib/modules/order (if there is one), arg NAME (the
# value of NAME=... on the command line), and the shared disk /dev/vda.
# With the word kdp_capture on the command line this is the capture kernel: mount
# the disk, save /proc/vmcore as ELF (dd), as makedumpfile's kdump-compressed
# -l -d 31 and flattened -F -l -d 31 files, and the dmesg, with the time of each
# step, then power off (makedumpfile needs /tmp). Otherwise the caller goes on
# as the first kernel.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
if [ -f /lib/modules/order ]; then
    for m in $(cat /lib/modules/order); do
        insmod /lib/modules/$m.ko || echo "insmod $m failed"
    done
fi
arg() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 1; done
mkdir -p /mnt
grep -qw kdp_capture /proc/cmdline || return 0

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
