/*
 * Static /init for the x86_64-wx fixtures: lib/init.c extended to capture
 * several moments of one boot (compiled by this folder's capture.sh).
 *
 * As lib/init.c: pins itself to CPU 0, locks its memory (mlockall
 * MCL_CURRENT|MCL_FUTURE), mounts proc, sysfs, devtmpfs and debugfs, quiets
 * the console log level, and does everything itself: it stays pid 1 and
 * never forks or execs, so current_kernel/current_user are its own tables
 * and the stopped CPU's CR3 still holds them.
 *
 * Then it opens the control port /dev/ttyS1 (QEMU's second -serial; raw
 * mode) BEFORE printing anything, because opening a tty allocates n_tty's
 * buffer with vzalloc(), i.e. changes the vmalloc area of the kernel's tables.
 *
 * Moment N (N = 1, 2, ...): copies to the console, each between
 *   === BEGIN <name> ===
 *   === END <name> ===
 * lines:
 *   <name>        every /sys/kernel/debug/page_tables/<name>, sorted by name
 *                 (current_kernel, current_user, efi, kernel)
 *   kptdump_test  /sys/kernel/debug/kptdump_test (the test pages' addresses)
 *   vmcoreinfo    /sys/kernel/vmcoreinfo
 *   cmdline       /proc/cmdline
 *   dmesg         the kernel log buffer (klogctl READ_ALL; loglevel=1 keeps
 *                 it off the console)
 *   maps          /proc/self/maps (this process, pid 1)
 *   ps            one line per /proc/<pid>: "<pid> <comm>", comm as
 *                 /proc/<pid>/stat shows it (kernel threads included; the
 *                 idle task, pid 0, has no /proc entry)
 *   stat          the raw /proc/<pid>/stat lines, same order
 * then prints "READY<N>" and blocks reading one line from /dev/ttyS1.
 * A line "rw" makes it write "rw" to /sys/kernel/debug/kptdump_test (the
 * test kernel's read-only vmalloc page becomes writable); any other line
 * changes nothing. Either way it then prints moment N+1.
 *
 * /proc is listed with getdents64 into a static buffer (no malloc), so that
 * no heap page appears between the tables' listing and the host's dump.
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

#include <sys/syscall.h>
#include <termios.h>

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
	char path[64], line[600];
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
		if (!lens[i])
			continue;
		char *open_p = strchr(stats[i], '(');
		char *close_p = strrchr(stats[i], ')');
		if (!open_p || !close_p || close_p < open_p)
			continue;
		snprintf(line, sizeof line, "%d %.*s\n", pids[i],
			 (int)(close_p - open_p - 1), open_p + 1);
		out(line);
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

static void moment(int n)
{
	char line[64];

	if (!dump_page_tables_dir("/sys/kernel/debug/page_tables"))
		out("init: no /sys/kernel/debug/page_tables\n");
	dump_file("kptdump_test", "/sys/kernel/debug/kptdump_test");
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	dump_dmesg();
	dump_file("maps", "/proc/self/maps");
	dump_tasks();
	snprintf(line, sizeof line, "READY%d\n", n);
	out(line);
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

static void write_kptdump_test(const char *what)
{
	char msg[256];
	int fd = open("/sys/kernel/debug/kptdump_test", O_WRONLY);
	if (fd < 0) {
		snprintf(msg, sizeof msg, "init: open kptdump_test failed: %s\n",
			 strerror(errno));
		out(msg);
		return;
	}
	ssize_t w = write(fd, what, strlen(what));
	snprintf(msg, sizeof msg, "init: write \"%s\" to kptdump_test: %s\n",
		 what, w < 0 ? strerror(errno) : "ok");
	close(fd);
	out(msg);
}

int main(void)
{
	cpu_set_t cpu0;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	int pinned = sched_setaffinity(0, sizeof cpu0, &cpu0);

	/* Fault in every page now (bss buffers included) and every later one as
	 * it is mapped, so the user half of the tables does not change between
	 * a listing and the host's dump. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		out("init: mlockall failed\n");

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

	char msg[256];
	snprintf(msg, sizeof msg, "init: pid %d\n", (int)getpid());
	out(msg);

	int ctl = open_control("/dev/ttyS1");
	out(ctl >= 0 ? "init: control port /dev/ttyS1 open\n"
		     : "init: no control port /dev/ttyS1 (one moment only)\n");

	for (int n = 1;; n++) {
		moment(n);
		char cmd[64];
		if (ctl < 0 || !read_command(ctl, cmd, sizeof cmd))
			break;
		snprintf(msg, sizeof msg, "init: command \"%s\"\n", cmd);
		out(msg);
		if (strcmp(cmd, "rw") == 0)
			write_kptdump_test("rw");
	}
	for (;;)
		pause();
}
