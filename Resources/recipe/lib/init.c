/*
 * Tiny static /init for the x86_64, arm64 and riscv64 page-table fixtures
 * (compiled by each arch's capture.sh).
 *
 * Pins itself to CPU 0, locks its memory, mounts proc, sysfs, devtmpfs and
 * debugfs, quiets the console log level, then copies to the console, each
 * between
 *   === BEGIN <name> ===
 *   === END <name> ===
 * lines, whichever of these exist, in this order:
 *   <name>              every /sys/kernel/debug/page_tables/<name>, sorted by
 *                       name (x86: current_kernel, current_user, efi, kernel)
 *   kernel_page_tables  /sys/kernel/debug/kernel_page_tables (arm64, riscv)
 *   efi_page_tables     /sys/kernel/debug/efi_page_tables (arm64, riscv; only
 *                       when the kernel came up through EFI with runtime
 *                       services)
 *   vmcoreinfo          /sys/kernel/vmcoreinfo (the note's physical address, size)
 *   cmdline             /proc/cmdline
 *   maps                /proc/self/maps (init's VMAs, for kptdump --pid 1)
 *   dmesg               arm64 only: the kernel log buffer (klogctl READ_ALL),
 *                       which never reaches the console because of loglevel=1
 *   iomem               riscv64 only: /proc/iomem (where the kernel image sits
 *                       physically)
 * then prints READY and pauses forever. Each arch's extract.py files the
 * sections by name, so dmesg and iomem are only written where that arch's
 * extract.py expects them.
 *
 * Everything is done by this process itself (no fork/exec): x86's
 * current_kernel and current_user files must show init's own page tables, and
 * when the host stops the guest the CPU's CR3/TTBR0/satp still holds init's
 * table, so nothing changes the tables between the listing and the host's
 * memory dump.
 *
 * It first pins itself to CPU 0, so that with -smp N the dump's first CPU
 * (and QEMU's monitor CPU) is the one whose page-table base is init's; another
 * CPU that never ran a user task keeps the kernel's own table (x86:
 * init_top_pgt).
 *
 * Build (from each arch's capture.sh):
 *   gcc -static -O2 -o init init.c                      (x86_64)
 *   aarch64-linux-gnu-gcc -static -O2 -o init init.c    (arm64)
 *   riscv64-linux-gnu-gcc -static -O2 -o init init.c    (riscv64)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static void out_n(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void out(const char *s)
{
	out_n(s, strlen(s));
}

static void do_mount(const char *src, const char *dst, const char *type)
{
	char msg[256];
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) != 0 && errno != EBUSY) {
		snprintf(msg, sizeof msg, "init: mount %s on %s failed: %s\n",
			 type, dst, strerror(errno));
		out(msg);
	}
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Copy one file to stdout between marker lines. */
static void dump_file(const char *label, const char *path)
{
	static char buf[65536];
	char line[512];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(line, sizeof line, "init: open %s failed: %s\n", path,
			 strerror(errno));
		out(line);
		return;
	}
	snprintf(line, sizeof line, "=== BEGIN %s ===\n", label);
	out(line);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0) {
				snprintf(line, sizeof line,
					 "init: read %s failed: %s\n", path,
					 strerror(errno));
				out(line);
			}
			break;
		}
		out_n(buf, (size_t)r);
	}
	close(fd);
	snprintf(line, sizeof line, "=== END %s ===\n", label);
	out(line);
}

#if defined(__aarch64__)
static void dump_dmesg(void)
{
	static char logbuf[1 << 20];
	/* SYSLOG_ACTION_READ_ALL */
	int n = klogctl(3, logbuf, sizeof logbuf);
	if (n < 0) {
		out("init: klogctl READ_ALL failed\n");
		return;
	}
	out("=== BEGIN dmesg ===\n");
	out_n(logbuf, (size_t)n);
	if (n > 0 && logbuf[n - 1] != '\n')
		out("\n");
	out("=== END dmesg ===\n");
}
#endif

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* x86: every file of the page_tables directory, sorted by name.
 * Returns 0 if the directory does not exist. */
static int dump_page_tables_dir(const char *dir)
{
	char *names[64];
	int n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64) {
		if (e->d_name[0] == '.')
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp_names);
	for (int i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		dump_file(names[i], path);
	}
	return 1;
}

int main(void)
{
	cpu_set_t cpu0;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	int pinned = sched_setaffinity(0, sizeof cpu0, &cpu0);

	/* Fault in every page now (bss buffers included) so that the user half of
	 * the tables printed first equals the tables at dump time, after the
	 * later files were printed. Without this, buffers filled by a later, larger
	 * read add pages after the first table was printed. */
	mlockall(MCL_CURRENT | MCL_FUTURE);

	do_mount("proc", "/proc", "proc");
	do_mount("sysfs", "/sys", "sysfs");
	do_mount("devtmpfs", "/dev", "devtmpfs");
	do_mount("debugfs", "/sys/kernel/debug", "debugfs");

	/* If the kernel found no /dev/console in the initramfs, use devtmpfs'. */
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}

	/* SYSLOG_ACTION_CONSOLE_LEVEL: only KERN_EMERG reaches the console. */
	klogctl(8, NULL, 1);

	/* The directory exists as soon as the driver (CONFIG_FW_CFG_SYSFS) is
	 * built in (x86_64, arm64; not riscv64); "rev" only once it has found the
	 * device (and written VMCOREINFO's address). */
	if (exists("/sys/firmware/qemu_fw_cfg"))
		out(exists("/sys/firmware/qemu_fw_cfg/rev")
			    ? "init: fw_cfg device found\n"
			    : "init: fw_cfg device NOT found (no VMCOREINFO in dumps)\n");

	if (pinned != 0)
		out("init: could not pin to CPU 0\n");
	else if (sched_getcpu() != 0)
		out("init: pinned, yet not on CPU 0\n");
	else
		out("init: on CPU 0\n");

	int found = dump_page_tables_dir("/sys/kernel/debug/page_tables");
	if (exists("/sys/kernel/debug/kernel_page_tables")) {
		found = 1;
		dump_file("kernel_page_tables",
			  "/sys/kernel/debug/kernel_page_tables");
		if (exists("/sys/kernel/debug/efi_page_tables"))
			dump_file("efi_page_tables",
				  "/sys/kernel/debug/efi_page_tables");
		else
			out("init: no /sys/kernel/debug/efi_page_tables\n");
	}
	if (!found)
		out("init: no /sys/kernel/debug/page_tables or kernel_page_tables\n");

	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	/* Its own VMAs: the judge of a process listing (kptdump --pid 1). */
	dump_file("maps", "/proc/self/maps");
#if defined(__aarch64__)
	dump_dmesg();
#endif
#if defined(__riscv)
	dump_file("iomem", "/proc/iomem");
#endif

	out("READY\n");
	for (;;)
		pause();
}
