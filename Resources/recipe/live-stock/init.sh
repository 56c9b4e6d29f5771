#!/bin/busybox sh
# /init of the live-stock recipe (busybox-static's sh), on Debian's stock kernel
# with no vmlinux and no System.map anywhere in the guest. Runs kptdump on the
# guest's own /proc/kcore and prints each command's stdout, stderr and exit
# status on ttyS0 between marker lines (run.sh cuts them out):
#   === BEGIN NAME === ... === END NAME ===          stdout
#   === BEGIN NAME.stderr === ... === END NAME.stderr ===
#   EXIT NAME status=S secs=T stdout-lines=N stderr-bytes=B
# Then, for the host's dump of this quiet state:
#   kernel-final (the kernel listing again, the one the dump is judged against)
#   READY-FOR-DUMP
# and it blocks reading ttyS1 (QEMU's second -serial, a socket of run.sh's)
# until the host has taken its dump and sends a line. Then:
#   kernel-after-dump (the kernel listing once more), kcore-alias-scan and
#   per empty 2M PTE table vtop-ADDR and kcore-alias-ADDR (see below), ps-without-sysfs (ps
#   with /sys unmounted: refused, as no BTF is left), DONE, poweroff.
# Every command runs pinned to CPU 0 (the shell pins itself), so forks take
# and return the same cached kernel stacks (vmalloc) and the idle tables stay put.
export PATH=/bin:/sbin
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for m in $(cat /lib/modules/order); do insmod "/lib/modules/$m.ko" || echo "init: insmod $m failed"; done
taskset -p -c 0 $$ >/dev/null || echo "init: taskset failed"
# ttyS1 (the host's release line) is opened now and stays open: opening a tty
# vzalloc()s its line discipline's n_tty_data (12K in vmalloc space), which the
# last close vfree()s. Opened only after kernel-final, it made the dump differ
# from every live listing by exactly that range.
exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null || echo "init: stty ttyS1 failed"
echo "init: $(uname -r) $(cat /proc/cmdline)"
echo "init: vmcoreinfo $(cat /sys/kernel/vmcoreinfo 2>&1)"
echo "init: btf $(ls -l /sys/kernel/btf/vmlinux 2>&1)"
echo "init: kallsyms _stext $(grep ' _stext$' /proc/kallsyms)"
mount -t debugfs debugfs /sys/kernel/debug
echo "init: the kernel's own ptdump? $(ls -d /sys/kernel/debug/page_tables /sys/kernel/debug/kernel_page_tables 2>&1 | tr '\n' ' ')"
ls / /boot /usr/lib/debug 2>&1 | sed 's/^/init: ls: /'

uptime_cs() { read u _ </proc/uptime; echo "${u%.*}${u#*.}"; }   # centiseconds

# run NAME CMD...: runs CMD with stdout and stderr to /tmp/NAME.{out,err};
# quiet=1 saves without printing (printed later by show NAME).
run() {
    name=$1; shift
    t0=$(uptime_cs)
    "$@" >/tmp/$name.out 2>/tmp/$name.err
    st=$?
    t1=$(uptime_cs)
    c=$((t1 - t0))
    echo "$st $((c / 100)).$((c % 100 / 10))$((c % 10))" >/tmp/$name.status
    [ "${quiet:-0}" = 1 ] || show "$name"
}
show() {
    name=$1
    read st secs </tmp/$name.status
    echo "=== BEGIN $name ==="
    cat /tmp/$name.out
    echo "=== END $name ==="
    echo "=== BEGIN $name.stderr ==="
    cat /tmp/$name.err
    echo "=== END $name.stderr ==="
    echo "EXIT $name status=$st secs=$secs stdout-lines=$(wc -l </tmp/$name.out) stderr-bytes=$(wc -c </tmp/$name.err)"
}

K=/bin/kptdump
run help $K --help
run info $K info
run info-json $K info --json
run kernel $K
run current-kernel $K --table current-kernel
run current-user $K --table current-user
run ps $K ps
run check-wx $K check-wx
# The kernel listing again, last, saved before anything is printed: the state
# the host's dump is judged against. Nothing but cat and echo runs after it.
quiet=1 run kernel-final $K
show kernel-final
echo "READY-FOR-DUMP"
read -r line <&3
echo "init: released by the host: $line"
run kernel-after-dump $K
if cmp -s /tmp/kernel-final.out /tmp/kernel-after-dump.out; then
    echo "AFTER-DUMP: kernel listing identical to kernel-final"
else
    echo "AFTER-DUMP: kernel listing DIFFERENT from kernel-final"
    echo "=== BEGIN after-dump.diff ==="
    diff -u /tmp/kernel-final.out /tmp/kernel-after-dump.out
    echo "=== END after-dump.diff ==="
fi
if cmp -s /tmp/kernel.out /tmp/kernel-final.out; then
    echo "FIRST-VS-FINAL: kernel listing identical"
else
    echo "FIRST-VS-FINAL: kernel listing DIFFERENT"
fi
# Two aliases of one physical page in /proc/kcore (kcore-alias.c): the
# kernel image's range read through KCORE_TEXT (the image's virtual alias)
# and through KCORE_RAM (the direct map). Then, for each whole 2M PTE table
# the live listing shows empty, its table page read through each alias.
run kcore-alias-scan /bin/kcore-alias scan
run kcore-notes /bin/kcore-alias notes
n=0
for a in $(grep -E '^0x[0-9a-f]+-0x[0-9a-f]+ +2M +pte$' /tmp/kernel-final.out | cut -c1-18); do
    n=$((n + 1)); [ $n -le 8 ] || break
    run vtop-$a $K vtop $a
    t=$(awk '$1 == "pmd" {for (i = 1; i < NF; i++) if ($i == "table") print $(i + 1)}' /tmp/vtop-$a.out)
    [ -n "$t" ] && run kcore-alias-$a /bin/kcore-alias $t
done
# Where the live types come from: without sysfs there is no
# /sys/kernel/btf/vmlinux, and with no vmlinux ps must be refused.
umount /sys/kernel/debug
umount /sys || echo "init: umount /sys failed"
ls /sys/kernel/btf/vmlinux >/dev/null 2>&1 && echo "init: /sys/kernel/btf/vmlinux still there"
run ps-without-sysfs $K ps
mount -t sysfs sysfs /sys
echo DONE
sync
poweroff -f
