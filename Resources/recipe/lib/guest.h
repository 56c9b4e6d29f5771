/*
 * What every recipe's static /init shares (lib/init.c and the victims of
 * debian-stock-swap, user-entries, x86_64-hmm, live-churn): console output,
 * the boot steps (mounts, console, quiet printk, fw_cfg, pinning), files and
 * the kernel log copied out between "=== BEGIN name ===" / "=== END name ==="
 * lines, and, when PG (the page size) is defined before it, the victim
 * scaffolding: a forked victim reporting to init over a pipe, its steps' log,
 * and its maps, pagemap (every page of every VMA) and smaps.
 * Include it once, after the system headers (gcc finds it relative to the
 * including file). Unused helpers cost nothing (GUEST_FN).
 */
#ifndef RECIPE_GUEST_H
#define RECIPE_GUEST_H

#include <dirent.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/utsname.h>

#define GUEST_FN static __attribute__((unused))

static char msgbuf[1024];

GUEST_FN void out_n(const char *s, size_t n)
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

GUEST_FN void out(const char *s) { out_n(s, strlen(s)); }

#define say(...) do { snprintf(msgbuf, sizeof msgbuf, __VA_ARGS__); out(msgbuf); } while (0)

GUEST_FN int exists(const char *path) { return access(path, F_OK) == 0; }

GUEST_FN int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, s, strlen(s));
	int e = w < 0 ? -errno : 0;
	close(fd);
	return e;
}

/* Copy one file to the console between marker lines (ending its last line). */
GUEST_FN void dump_file(const char *label, const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		say("init: open %s failed: %s\n", path, strerror(errno));
		return;
	}
	say("=== BEGIN %s ===\n", label);
	char last = '\n';
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			say("init: read %s failed: %s\n", path, strerror(errno));
		if (r <= 0)
			break;
		out_n(buf, (size_t)r);
		last = buf[r - 1];
	}
	close(fd);
	say("%s=== END %s ===\n", last == '\n' ? "" : "\n", label);
}

/* The kernel log (SYSLOG_ACTION_READ_ALL), which loglevel=1 keeps off the console. */
GUEST_FN void dump_dmesg(void)
{
	static char logbuf[1 << 20];
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

GUEST_FN void do_mount(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) != 0 && errno != EBUSY)
		say("init: mount %s on %s failed: %s\n", type, dst, strerror(errno));
}

/* proc, sysfs, devtmpfs (and debugfs), devtmpfs' console when the initramfs had
 * none, and only KERN_EMERG on the console (SYSLOG_ACTION_CONSOLE_LEVEL), so
 * that no printk lands between the lines printed. */
GUEST_FN void guest_setup(int debugfs)
{
	do_mount("proc", "/proc", "proc");
	do_mount("sysfs", "/sys", "sysfs");
	do_mount("devtmpfs", "/dev", "devtmpfs");
	if (debugfs)
		do_mount("debugfs", "/sys/kernel/debug", "debugfs");
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
	klogctl(8, NULL, 1);
}

/* The directory exists as soon as the driver (CONFIG_FW_CFG_SYSFS) is there; "rev"
 * only once it has found the device (and written VMCOREINFO's address). */
GUEST_FN void guest_fw_cfg(void)
{
	if (exists("/sys/firmware/qemu_fw_cfg"))
		out(exists("/sys/firmware/qemu_fw_cfg/rev")
			    ? "init: fw_cfg device found\n"
			    : "init: fw_cfg device NOT found (no VMCOREINFO in dumps)\n");
}

/* Returns sched_setaffinity's result; the message comes from guest_on_cpu0. */
GUEST_FN int guest_pin_cpu0(void)
{
	cpu_set_t cpu0;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	return sched_setaffinity(0, sizeof cpu0, &cpu0);
}

GUEST_FN void guest_on_cpu0(int pinned)
{
	if (pinned != 0)
		out("init: could not pin to CPU 0\n");
	else if (sched_getcpu() != 0)
		out("init: pinned, yet not on CPU 0\n");
	else
		out("init: on CPU 0\n");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* x86: every file of the page_tables directory, sorted by name.
 * Returns 0 if the directory does not exist. */
GUEST_FN int dump_page_tables_dir(const char *dir)
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

/* From 6.15 the swap allocator's fast path (swap_alloc_fast, mm/swapfile.c)
 * takes the per-CPU cluster of the device it allocated from last
 * (percpu_swap_cluster, set for SWP_SOLIDSTATE devices only), whatever the
 * priorities: with zram0 (non-rotational, like every zram) cached by the first
 * MADV_PAGEOUT, the second went to zram0 again although zram1 had priority 10
 * (7.3 s390x, first capture); the swapoff of zram1 flushes only caches of
 * zram1. So on those kernels zram0 is made rotational before its swapon: no
 * SWP_SOLIDSTATE, its allocations use the device's global cluster and never
 * the per-CPU cache, and the second page-out goes through swap_alloc_slow,
 * which takes the devices by priority (zram1). Older kernels (the 6.1 and 6.12
 * captures) are left as they were. Used by debian-stock-swap and user-entries. */
GUEST_FN void zram0_rotational(void)
{
	struct utsname u;
	int major = 0, minor = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return;
	if (major < 6 || (major == 6 && minor < 15))
		return;
	int e = write_file("/sys/block/zram0/queue/rotational", "1");
	say("init: zram0 queue/rotational 1 (%s: no per-CPU swap cluster for zram0): %s\n", u.release,
	    e ? strerror(-e) : "ok");
}

#ifdef PG
/* ---- victims: a forked process that sets up pages and reports to init ---- */

/* A 64 MiB zram device NAME: disksize, then the swap header (union
 * swap_header of include/linux/swap.h, one page of the running kernel's size:
 * version at 1024, last_page, nr_badpages, "SWAPSPACE2" at the page's last 10
 * bytes); swapon is left to the caller. */
GUEST_FN void make_swap(const char *name)
{
	static unsigned char h[1 << 16];
	const unsigned long pg = (unsigned long)sysconf(_SC_PAGESIZE);
	const unsigned long size = 64UL << 20;
	char path[64];
	if (pg > sizeof h || pg < 4096) {
		say("init: page size %lu: no swap header\n", pg);
		return;
	}
	snprintf(path, sizeof path, "/sys/block/%s/disksize", name);
	int e = write_file(path, "64M");
	say("init: %s disksize 64M: %s\n", name, e ? strerror(-e) : "ok");
	snprintf(path, sizeof path, "/dev/%s", name);
	int fd = -1;
	for (int i = 0; i < 50 && fd < 0; i++) {
		fd = open(path, O_RDWR | O_SYNC);
		if (fd < 0)
			usleep(100000);
	}
	if (fd < 0) {
		say("init: open %s: %s\n", path, strerror(errno));
		return;
	}
	memset(h, 0, pg);
	uint32_t info[3] = { 1, (uint32_t)(size / pg - 1), 0 }; /* version, last_page, nr_badpages */
	memcpy(h + 1024, info, sizeof info);
	memcpy(h + pg - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, h, pg, 0) != (ssize_t)pg)
		say("init: write swap header on %s: %s\n", path, strerror(errno));
	else
		say("init: swap header on %s: ok\n", path);
	fsync(fd);
	close(fd);
}


/* Appends to a report's steps log (char steps[] of the caller's struct report). */
GUEST_FN void steps_note(char *steps, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
GUEST_FN void steps_note(char *steps, size_t size, const char *fmt, ...)
{
	size_t n = strlen(steps);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(steps + n, size - n, fmt, ap);
	va_end(ap);
}
#define note(r, ...) steps_note((r)->steps, sizeof (r)->steps, __VA_ARGS__)
GUEST_FN void steps_step(char *steps, size_t size, const char *what, long rc)
{
	steps_note(steps, size, "%s: %s\n", what, rc == 0 ? "ok" : strerror(errno));
}
#define step(r, what, rc) steps_step((r)->steps, sizeof (r)->steps, what, rc)

/* Forks victim(write end), reads its report (size bytes) from the pipe, then locks
 * init's own pages where they are. Returns the victim's pid. */
GUEST_FN pid_t start_victim(void (*victim)(int), void *report, size_t size)
{
	int pfd[2];
	if (pipe(pfd) != 0) {
		say("init: pipe: %s\n", strerror(errno));
		for (;;)
			pause();
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		victim(pfd[1]);
	}
	close(pfd[1]);
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(pfd[0], (char *)report + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != size)
		say("init: victim report short (%zu bytes)\n", got);
	mlockall(MCL_CURRENT | MCL_FUTURE);
	return pid;
}

/* The victim's side: send the report, then stay. */
GUEST_FN void victim_done(int tell, const void *report, size_t size)
{
	if (write(tell, report, size) != (ssize_t)size)
		_exit(1);
	close(tell);
	for (;;)
		pause();
}

/* One "VA PAGEMAP" line (16 hex digits each) per page of every VMA of pid;
 * pages of the running kernel's size (64K on ppc64), which PG need not be. */
GUEST_FN void dump_pagemap(pid_t pid)
{
	char path[64], line[512];
	unsigned long pg = (unsigned long)sysconf(_SC_PAGESIZE);
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *m = fopen(path, "r");
	snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
	int fd = open(path, O_RDONLY);
	if (!m || fd < 0) {
		say("init: open maps/pagemap of %d: %s\n", pid, strerror(errno));
		return;
	}
	out("=== BEGIN pagemap ===\n");
	while (fgets(line, sizeof line, m)) {
		unsigned long lo, hi;
#if defined(__x86_64__)
		/* The vsyscall page is no VMA's page table. */
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || lo >= 0x800000000000UL)
#else
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
#endif
			continue;
		for (unsigned long va = lo; va < hi; va += pg) {
			uint64_t e;
			if (pread(fd, &e, 8, (off_t)(va / pg * 8)) != 8) {
				say("init: pagemap read at %lx: %s\n", va, strerror(errno));
				break;
			}
			say("%016lx %016llx\n", va, (unsigned long long)e);
		}
	}
	out("=== END pagemap ===\n");
	fclose(m);
	close(fd);
}

/* "victim" (pid line, then the caller's region lines), "steps", and the victim's
 * maps, pagemap and smaps. */
GUEST_FN void dump_victim(pid_t pid, const char *regions, const char *steps)
{
	char path[64];
	out("=== BEGIN victim ===\n");
	say("pid %d\n", pid);
	out(regions);
	out("=== END victim ===\n");
	out("=== BEGIN steps ===\n");
	out(steps);
	out("=== END steps ===\n");
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	dump_file("maps", path);
	dump_pagemap(pid);
	snprintf(path, sizeof path, "/proc/%d/smaps", pid);
	dump_file("smaps", path);
}
#endif

GUEST_FN void ready_forever(void)
{
	out("READY\n");
	for (;;)
		pause();
}

#endif
