/*
 * The static /init of the listing captures (x86_64, arm64, riscv64, kdump,
 * debian-stock-arm64; x86_64-wx with -DINIT_MOMENTS), built by lib/initramfs.sh
 * (CFLAGS="-DINIT_MOMENTS" picks the scenario). Shared steps: lib/guest.h.
 *
 * Pins itself to CPU 0 (so that with -smp N the dump's first CPU, and QEMU's
 * monitor CPU, is the one whose page-table base is init's), locks its memory
 * (every page faulted in now, bss buffers included, so the user half of the
 * tables printed first equals the tables at dump time), mounts proc, sysfs,
 * devtmpfs and debugfs, quiets the console log level, then copies to the
 * console, each between "=== BEGIN <name> ===" and "=== END <name> ===":
 *
 * Scenario "listing" (default):
 *   <name>              every /sys/kernel/debug/page_tables/<name>, sorted
 *                       (x86: current_kernel, current_user, efi, kernel)
 *   kernel_page_tables  /sys/kernel/debug/kernel_page_tables (arm64, riscv),
 *   efi_page_tables     and efi_page_tables when booted through EFI
 *   vmcoreinfo          /sys/kernel/vmcoreinfo (the note's physical address, size)
 *   cmdline             /proc/cmdline
 *   maps                /proc/self/maps (init's VMAs, for kptdump --pid 1)
 *   dmesg               arm64, or any with -DINIT_DMESG (klogctl READ_ALL; loglevel=1 keeps it off
 *                       the console)
 *   iomem               riscv64 only (where the kernel image sits physically)
 * then READY, and pauses forever.
 *
 * Scenario "moments" (-DINIT_MOMENTS, x86_64-wx): first opens the control port
 * /dev/ttyS1 (QEMU's second -serial; raw) BEFORE printing anything (opening a
 * tty vzalloc()s n_tty's buffer: the vmalloc area changes). Moment N prints
 * the page_tables files, kptdump_test (/sys/kernel/debug/kptdump_test), vmcoreinfo,
 * cmdline, dmesg, maps, ps ("<pid> <comm>" per /proc/<pid>) and stat (the raw
 * /proc/<pid>/stat lines), then "READY<N>", and reads one line from the control
 * port: "rw" writes "rw" to kptdump_test (its read-only vmalloc page becomes
 * writable); then moment N+1. /proc is read with getdents64 into a static
 * buffer (no malloc: no heap page appears between listing and dump).
 *
 * Everything is done by this process itself (no fork/exec): x86's
 * current_kernel and current_user show init's own tables, and when the host
 * stops the guest the CPU's CR3/TTBR0/satp still holds them.
 *
 * Build: gcc|aarch64-linux-gnu-gcc|riscv64-linux-gnu-gcc -static -O2 [-DINIT_MOMENTS] -o init init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

#ifdef INIT_MOMENTS
#include <sys/syscall.h>
#include <termios.h>

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmp_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The pids of /proc, sorted; no malloc. */
static int list_pids(int *pids, int max)
{
	static char buf[65536];
	int n = 0;
	int fd = open("/proc", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (r <= 0)
			break;
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			off += d->d_reclen;
			char *end;
			long pid = strtol(d->d_name, &end, 10);
			if (*d->d_name && !*end && n < max)
				pids[n++] = (int)pid;
		}
	}
	close(fd);
	qsort(pids, (size_t)n, sizeof pids[0], cmp_ints);
	return n;
}

/* "ps" (pid and comm) and "stat" (raw lines) sections. */
static void dump_tasks(void)
{
	static int pids[4096];
	static char stats[4096][512];
	static int lens[4096];
	char path[64];
	int n = list_pids(pids, 4096);

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "/proc/%d/stat", pids[i]);
		int fd = open(path, O_RDONLY);
		lens[i] = 0;
		if (fd < 0)
			continue; /* the task has exited */
		ssize_t r = read(fd, stats[i], sizeof stats[i] - 1);
		close(fd);
		if (r > 0) {
			stats[i][r] = '\0';
			lens[i] = (int)r;
		}
	}
	out("=== BEGIN ps ===\n");
	for (int i = 0; i < n; i++) {
		char *open_p = strchr(stats[i], '('), *close_p = strrchr(stats[i], ')');
		if (lens[i] && open_p && close_p && close_p > open_p)
			say("%d %.*s\n", pids[i], (int)(close_p - open_p - 1), open_p + 1);
	}
	out("=== END ps ===\n");
	out("=== BEGIN stat ===\n");
	for (int i = 0; i < n; i++) {
		if (!lens[i])
			continue;
		out_n(stats[i], (size_t)lens[i]);
		if (stats[i][lens[i] - 1] != '\n')
			out("\n");
	}
	out("=== END stat ===\n");
}

/* Open the control port raw; -1 if there is none. */
static int open_control(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
	}
	tcflush(fd, TCIFLUSH);
	return fd;
}

/* One line from the control port (without CR/LF); 0 on EOF or error. */
static int read_command(int fd, char *cmd, size_t size)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		if (c == '\n' || c == '\r') {
			if (n == 0)
				continue;
			cmd[n] = '\0';
			return 1;
		}
		if (n + 1 < size)
			cmd[n++] = c;
	}
}

static void moments(void)
{
	say("init: pid %d\n", (int)getpid());
	int ctl = open_control("/dev/ttyS1");
	out(ctl >= 0 ? "init: control port /dev/ttyS1 open\n"
		     : "init: no control port /dev/ttyS1 (one moment only)\n");
	for (int n = 1;; n++) {
		if (!dump_page_tables_dir("/sys/kernel/debug/page_tables"))
			out("init: no /sys/kernel/debug/page_tables\n");
		dump_file("kptdump_test", "/sys/kernel/debug/kptdump_test");
		dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
		dump_file("cmdline", "/proc/cmdline");
		dump_dmesg();
		dump_file("maps", "/proc/self/maps");
		dump_tasks();
		say("READY%d\n", n);
		char cmd[64];
		if (ctl < 0 || !read_command(ctl, cmd, sizeof cmd))
			break;
		say("init: command \"%s\"\n", cmd);
		if (strcmp(cmd, "rw") == 0) {
			int e = write_file("/sys/kernel/debug/kptdump_test", "rw");
			say("init: write \"rw\" to kptdump_test: %s\n", e ? strerror(-e) : "ok");
		}
	}
	for (;;)
		pause();
}
#endif

GUEST_FN void listing(void)
{
	int found = dump_page_tables_dir("/sys/kernel/debug/page_tables");
	if (exists("/sys/kernel/debug/kernel_page_tables")) {
		found = 1;
		dump_file("kernel_page_tables", "/sys/kernel/debug/kernel_page_tables");
		if (exists("/sys/kernel/debug/efi_page_tables"))
			dump_file("efi_page_tables", "/sys/kernel/debug/efi_page_tables");
		else
			out("init: no /sys/kernel/debug/efi_page_tables\n");
	}
	if (!found)
		out("init: no /sys/kernel/debug/page_tables or kernel_page_tables\n");
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	dump_file("maps", "/proc/self/maps");
#if defined(__aarch64__) || defined(INIT_DMESG)
	dump_dmesg();
#endif
#if defined(__riscv)
	dump_file("iomem", "/proc/iomem");
#endif
	ready_forever();
}

int main(void)
{
	int pinned = guest_pin_cpu0();
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		out("init: mlockall failed\n");
	guest_setup(1);
	guest_fw_cfg();
	guest_on_cpu0(pinned);
#ifdef INIT_MOMENTS
	moments();
#else
	listing();
#endif
}
