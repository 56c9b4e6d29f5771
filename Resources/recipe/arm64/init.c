/*
 * Tiny static /init for the arm64 page-table fixtures
 * (adapted from ../x86_64/init.c).
 *
 * Mounts proc, sysfs, devtmpfs and debugfs, quiets the console log level,
 * locks its memory, then copies to the console, each between
 *   === BEGIN <name> ===
 *   === END <name> ===
 * lines:
 *   kernel_page_tables  /sys/kernel/debug/kernel_page_tables
 *   efi_page_tables     /sys/kernel/debug/efi_page_tables (only if it exists:
 *                       arm64 creates it only when EFI runtime services are up)
 *   vmcoreinfo          /sys/kernel/vmcoreinfo (the note's physical address, size)
 *   cmdline             /proc/cmdline
 *   dmesg               the kernel log buffer (klogctl READ_ALL), which never
 *                       reaches the console because of loglevel=1
 * prints READY and pauses forever.
 *
 * Everything is done by this process itself (no fork/exec), so nothing changes
 * the kernel's tables between the listing and the host's memory dump.
 *
 * Build: aarch64-linux-gnu-gcc -static -O2 -o init init.c
 */
#define _GNU_SOURCE
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

static char buf[1 << 20];

/* Copy one file to stdout between marker lines. */
static void dump_file(const char *label, const char *path)
{
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
		ssize_t r = read(fd, buf, 65536);
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

static void dump_dmesg(void)
{
	/* SYSLOG_ACTION_READ_ALL */
	int n = klogctl(3, buf, sizeof buf);
	if (n < 0) {
		out("init: klogctl READ_ALL failed\n");
		return;
	}
	out("=== BEGIN dmesg ===\n");
	out_n(buf, (size_t)n);
	if (n > 0 && buf[n - 1] != '\n')
		out("\n");
	out("=== END dmesg ===\n");
}

int main(void)
{
	cpu_set_t cpu0;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof cpu0, &cpu0);

	/* Fault in every page now (the bss buffer included). */
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

	/* The directory exists as soon as the driver is built in; "rev" only
	 * once it has found the device (and written VMCOREINFO's address). */
	out(access("/sys/firmware/qemu_fw_cfg/rev", F_OK) == 0
		    ? "init: fw_cfg device found\n"
		    : "init: fw_cfg device NOT found (no VMCOREINFO in dumps)\n");

	dump_file("kernel_page_tables", "/sys/kernel/debug/kernel_page_tables");
	if (access("/sys/kernel/debug/efi_page_tables", F_OK) == 0)
		dump_file("efi_page_tables", "/sys/kernel/debug/efi_page_tables");
	else
		out("init: no /sys/kernel/debug/efi_page_tables\n");
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	dump_dmesg();

	out("READY\n");
	for (;;)
		pause();
}
