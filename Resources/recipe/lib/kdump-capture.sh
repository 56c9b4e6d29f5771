# The capture kernel's part of the kdump recipes' /init (kdump-panic, kdump-panic-arm64,
# kdump-custom), sourced by each when the command line has the word kdp_capture: mount
# the shared disk /dev/vda, save /proc/vmcore as ELF (dd), as makedumpfile's
# kdump-compressed -l -d 31 and flattened -F -l -d 31 files, and the dmesg, with the
# time of each step, then power off. busybox sh; needs /tmp for makedumpfile.
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
