/*
 * Tiny static /init for the riscv64 page-table fixtures.
 *
 * Mounts proc, sysfs, devtmpfs and debugfs, quiets the console log level,
 * locks all its memory, then copies to the console, each between
 *   === BEGIN <name> ===
 *   === END <name> ===
 * lines:
 *   kernel_page_tables  /sys/kernel/debug/kernel_page_tables (the kernel's ptdump)
 *   efi_page_tables     /sys/kernel/debug/efi_page_tables (only if it exists:
 *                       the kernel came up through EFI with runtime services)
 *   vmcoreinfo          /sys/kernel/vmcoreinfo (physical address and size of
 *                       the VMCOREINFO ELF note)
 *   cmdline             /proc/cmdline
 *   iomem               /proc/iomem (where the kernel image sits physically)
 * then prints READY and pauses forever.
 *
 * Everything is done by this process itself (no fork/exec), so when the host
 * stops the guest the CPU's satp still holds init's page table, whose kernel
 * half is a copy of swapper_pg_dir's.
 *
 * Build: riscv64-linux-gnu-gcc -static -O2 -o init init.c
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

static void out(const char *s)
{
	size_t n = strlen(s);
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
		char *p = buf;
		while (r > 0) {
			ssize_t w = write(1, p, (size_t)r);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				r = 0;
				break;
			}
			p += w;
			r -= w;
		}
	}
	close(fd);
	snprintf(line, sizeof line, "=== END %s ===\n", label);
	out(line);
}

int main(void)
{
	/* Fault in every page now (the 64 KiB bss buffer included), so that the
	 * process's memory does not change between the dump of the tables and
	 * the host's memory dump. */
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

	dump_file("kernel_page_tables", "/sys/kernel/debug/kernel_page_tables");
	if (access("/sys/kernel/debug/efi_page_tables", F_OK) == 0)
		dump_file("efi_page_tables", "/sys/kernel/debug/efi_page_tables");
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	dump_file("iomem", "/proc/iomem");

	out("READY\n");
	for (;;)
		pause();
}
