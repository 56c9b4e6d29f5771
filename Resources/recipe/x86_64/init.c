/*
 * Tiny static /init for the x86-64 page-table fixtures.
 *
 * Mounts proc, sysfs, devtmpfs and debugfs, quiets the console log level,
 * then copies every /sys/kernel/debug/page_tables/<name> file, then
 * /sys/kernel/vmcoreinfo and /proc/cmdline, to the console between
 *   === BEGIN <name> ===
 *   === END <name> ===
 * lines, prints READY and pauses forever.
 *
 * Everything is done by this process itself (no fork/exec): the
 * current_kernel and current_user files must show init's own page tables,
 * and when the host dumps memory the idle CPU's CR3 is still init's.
 *
 * It first pins itself to CPU 0, so that with -smp N the dump's first CPU
 * (and QEMU's monitor CPU) is the one whose CR3 is init's page table; another
 * CPU that never ran a user task keeps swapper_pg_dir (init_top_pgt) in CR3.
 *
 * Build: gcc -static -O2 -o init init.c
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

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	cpu_set_t cpu0;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	int pinned = sched_setaffinity(0, sizeof cpu0, &cpu0);

	/* Fault in every page now (bss buffers included) so that the user half of
	 * current_kernel printed first equals the tables at dump time, after the
	 * later files were printed. Without this, buffers filled by a later, larger
	 * read add pages after current_kernel was printed. */
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

	if (pinned != 0)
		out("init: could not pin to CPU 0\n");
	else if (sched_getcpu() != 0)
		out("init: pinned, yet not on CPU 0\n");
	else
		out("init: on CPU 0\n");

	const char *dir = "/sys/kernel/debug/page_tables";
	char *names[64];
	int n = 0;
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) && n < 64) {
			if (e->d_name[0] == '.')
				continue;
			names[n++] = strdup(e->d_name);
		}
		closedir(d);
	} else {
		out("init: no /sys/kernel/debug/page_tables\n");
	}
	qsort(names, (size_t)n, sizeof names[0], cmp_names);
	for (int i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		dump_file(names[i], path);
	}

	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");

	out("READY\n");
	for (;;)
		pause();
}
