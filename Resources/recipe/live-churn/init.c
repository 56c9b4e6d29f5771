/*
 * /init of the live-churn test: runs kptdump inside the guest on the guest's
 * own /proc/kcore, idle and while user space churns vmalloc'd kernel stacks,
 * and prints the results on the console (ttyS0). Packed by ../lib/initramfs.sh
 * (which compiles it: gcc -static -O2 -Wall) together with a second archive
 * from run.sh: /bin/kptdump and its shared libraries, /System.map, /vmlinux
 * (the kernel build's, with DWARF), /bin/churn, /bin/check-listing and
 * /bin/busybox (for cat and diff).
 *
 * Steps (every child's stdout and stderr go to files under /tmp):
 *   0. kptdump --help must exit 0; `kptdump info --system-map /System.map` is
 *      printed for the record.
 *   1. idle-before: for the kernel table (and current-kernel when
 *      /sys/kernel/debug/page_tables/current_kernel exists):
 *        kptdump --system-map /System.map > A
 *        kptdump --vmlinux /vmlinux --table current-kernel > A
 *        cat /sys/kernel/debug/page_tables/<kernel|current_kernel> > K
 *      A and K should be byte-identical; for current-kernel only from the
 *      "---[ Kernel Space ]---" line on. Live, current-kernel is the table of
 *      the process that reads it: kptdump's own (its task's mm->pgd, found
 *      through init_task's task list with the vmlinux's DWARF offsets) and,
 *      for the kernel's file, cat's. Their user halves are two different
 *      processes' and differ by construction; their kernel halves are the
 *      same (every mm's kernel half is init_mm's). Also, without DWARF:
 *        kptdump --system-map /System.map --table current-kernel
 *      must exit 2 with stdout empty and a message naming --vmlinux.
 *      If A and K differ, both files and
 *      `diff -u K A` are printed between marker lines and, when kptdump
 *      exited 0, up to 4 "settled" attempts follow (half a second between
 *      steps, and the kernel's file read before kptdump too): the first one
 *      in which the kernel's file did not change around kptdump's walk
 *      decides whether the difference was kptdump's or the tables' own
 *      (every fork allocates a kernel stack in vmalloc space).
 *      After idle-before, `kptdump --vmlinux /vmlinux` (the kernel table)
 *      is timed too (TIMING:), to tell what opening the vmlinux costs from
 *      what the DWARF offsets and the task walk cost.
 *   2. churn: /bin/churn THREADS PROCS 1 in the background (pinned to CPU 1),
 *      then RUNS times: kptdump --system-map /System.map (pinned to CPU 0),
 *      recording exit status, stderr, time, and /bin/check-listing's verdict
 *      on the output. A run is ok when the status is 0, stderr is empty and
 *      the check passes. Failed runs print their stderr and check output
 *      (and, for the first MAX_SAVED, the listing) between marker lines.
 *      Each run's listing, without the lines inside the vmalloc area, is also
 *      compared with the kernel's own idle listing (idle-before, attempt 1)
 *      cut the same way: the churn changes only the vmalloc area. The first
 *      MAX_SAVED differences are printed as diffs.
 *   3. the churner is stopped (SIGTERM), the guest settles SETTLE seconds,
 *      then idle-after: step 1 again.
 * Finally:
 *   LIVE: <ok>/<runs> runs ok
 *   OUTSIDE-VMALLOC: <n>/<runs> runs listed the same as the idle kernel ...
 *   IDLE <phase> <table>: identical | identical in settled attempt N ... |
 *                         DIFFERENT (...)
 *   RESULT: PASS | FAIL
 *   DONE
 *   READY          (what ../lib/capture.sh waits for)
 * and the guest powers off (QEMU, run with -no-reboot, exits).
 *
 * Marker lines, as lib/init.c writes them (run.sh's extract.py cuts them out):
 *   === BEGIN <name> ===
 *   ...
 *   === END <name> ===
 *
 * Parameters from the kernel command line (defaults in brackets):
 *   live.runs=N [100]  live.threads=N [200]  live.procs=N [100]
 *   live.settle=S [5]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../lib/guest.h"

#define KPTDUMP "/bin/kptdump"
#define SYSMAP "/System.map"
#define VMLINUX "/vmlinux"
#define BUSYBOX "/bin/busybox"
#define PT_DIR "/sys/kernel/debug/page_tables"
#define MAX_SAVED 3

static char *const child_env[] = {"PATH=/bin", "HOME=/", "TERM=dumb", NULL};

/* ---- console output ---- */

static void outf(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_n(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- files ---- */

/* Reads a whole file; returns NULL (and *len 0) if it cannot. */
static char *slurp(const char *path, size_t *len)
{
	*len = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static long count_lines(const char *buf, size_t len)
{
	long n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* Where the line that is exactly marker starts (NULL marker: all of buf);
 * NULL if buf has no such line. */
static const char *from_marker(const char *buf, const char *marker)
{
	if (!buf || !marker)
		return buf;
	size_t n = strlen(marker);
	for (const char *p = buf; *p;) {
		if (strncmp(p, marker, n) == 0 && (p[n] == '\n' || p[n] == 0))
			return p;
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

/* Lines between "---[ vmalloc() Area ]---" and the next marker. */
static long vmalloc_lines(const char *buf)
{
	const char *p = strstr(buf, "---[ vmalloc() Area ]---\n");
	if (!p)
		return -1;
	p = strchr(p, '\n') + 1;
	long n = 0;
	while (*p && strncmp(p, "---[", 4) != 0) {
		n++;
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

/* The listing without the lines inside the vmalloc area (its marker kept):
 * what the churn must not change. */
static char *outside_vmalloc(const char *buf)
{
	char *o = malloc(strlen(buf) + 1), *q = o;
	int inside = 0;
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (strncmp(p, "---[", 4) == 0)
			inside = strncmp(p, "---[ vmalloc() Area ]---", 24) == 0 ? -1 : 0;
		if (inside != 1) {
			memcpy(q, p, n);
			q += n;
		}
		if (inside == -1)
			inside = 1;
		p += n;
	}
	*q = 0;
	return o;
}

static int save_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	size_t n = strlen(text);
	while (n > 0) {
		ssize_t w = write(fd, text, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		text += w;
		n -= (size_t)w;
	}
	close(fd);
	return 0;
}

static uint64_t fnv1a(const char *buf, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* ---- children ---- */

/*
 * Runs argv[0] with stdout to out_path and stderr to err_path (NULL: the
 * console), pinned to cpu (-1: not pinned), and waits for it. Returns the
 * exit status, or 128 + signal; -1 if it could not fork. *secs gets the wall
 * time.
 */
static int run(char *const argv[], const char *out_path, const char *err_path, int cpu,
	       double *secs)
{
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		outf("init: fork failed: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof set, &set);
		}
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0)
			dup2(in, 0);
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				_exit(126);
			dup2(fd, 1);
		}
		if (err_path) {
			int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				_exit(126);
			dup2(fd, 2);
		}
		execve(argv[0], argv, child_env);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			outf("init: waitpid: %s\n", strerror(errno));
			return -1;
		}
	}
	if (secs)
		*secs = now() - t0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static const char *describe_status(int rc)
{
	static char buf[64];
	if (rc > 128)
		snprintf(buf, sizeof buf, "%d (signal %d: %s)", rc, rc - 128, strsignal(rc - 128));
	else
		snprintf(buf, sizeof buf, "%d", rc);
	return buf;
}

/* Runs check-listing on path; returns its status and copies its last line. */
static int check(const char *path, char *verdict, size_t n)
{
	char *argv[] = {"/bin/check-listing", (char *)path, NULL};
	int rc = run(argv, "/tmp/check.out", "/tmp/check.err", 0, NULL);
	size_t len;
	char *buf = slurp("/tmp/check.out", &len);
	verdict[0] = 0;
	if (buf) {
		while (len && buf[len - 1] == '\n')
			buf[--len] = 0;
		char *last = strrchr(buf, '\n');
		snprintf(verdict, n, "%s", last ? last + 1 : buf);
		free(buf);
	}
	return rc;
}

/* ---- idle comparison ---- */

struct idle_result {
	char phase[32];
	char table[48];
	char note[160];      /* the refusal check's verdict (table *-without-vmlinux) */
	int first;           /* attempt 1: 1 identical, 0 different */
	int first_status;    /* kptdump's exit status in attempt 1 */
	int settled;         /* first settled attempt: 1 identical, 0 different, -1 none */
	int settled_attempt;
};
static struct idle_result idle_results[8];
static int n_idle;

/*
 * One attempt: kptdump into A, then the kernel's file into K. A settled
 * attempt waits half a second before each step and also reads the kernel's
 * file before kptdump (K0): when K0 == K, the tables did not change around
 * kptdump's walk. Every comparison is of the files from the line `from` on
 * (NULL: whole files). Returns 1 if A == K; *stable gets K0 == K (settled
 * only), *status kptdump's exit status.
 */
static int idle_attempt(const char *phase, const char *table, const char *file, const char *from,
			int attempt, int settled, int *stable, int *status)
{
	char a[128], e[128], k[128], k0[128], label[128];
	snprintf(a, sizeof a, "/tmp/%s-%s-%d.kptdump", phase, table, attempt);
	snprintf(e, sizeof e, "/tmp/%s-%s-%d.stderr", phase, table, attempt);
	snprintf(k, sizeof k, "/tmp/%s-%s-%d.kernel", phase, table, attempt);
	snprintf(k0, sizeof k0, "/tmp/%s-%s-%d.kernel-before", phase, table, attempt);
	char kfile[128];
	snprintf(kfile, sizeof kfile, PT_DIR "/%s", file);

	char tflag[64];
	snprintf(tflag, sizeof tflag, "%s", table);
	char *kargv_kernel[] = {KPTDUMP, "--system-map", SYSMAP, NULL};
	/* Live, the current tables are kptdump's own process's: its task is found
	 * with the vmlinux's DWARF offsets (System.map alone is refused, below). */
	char *kargv_table[] = {KPTDUMP, "--vmlinux", VMLINUX, "--table", tflag, NULL};
	char *cargv0[] = {BUSYBOX, "cat", kfile, NULL};
	char *cargv[] = {BUSYBOX, "cat", kfile, NULL};
	double secs;
	int crc0 = 0;
	if (settled) {
		usleep(500000);
		crc0 = run(cargv0, k0, NULL, 0, NULL);
		usleep(500000);
	}
	int rc = run(strcmp(table, "kernel") == 0 ? kargv_kernel : kargv_table, a, e, 0, &secs);
	if (settled)
		usleep(500000);
	int crc = run(cargv, k, NULL, 0, NULL);
	*status = rc;

	size_t la, lk, le;
	char *ba = slurp(a, &la), *bk = slurp(k, &lk), *be = slurp(e, &le);
	const char *ca = from_marker(ba, from), *ck = from_marker(bk, from);
	size_t lca = ca ? la - (size_t)(ca - ba) : 0, lck = ck ? lk - (size_t)(ck - bk) : 0;
	int same = ca && ck && lca == lck && memcmp(ca, ck, lca) == 0;
	char va[256], vk[256];
	check(a, va, sizeof va);
	check(k, vk, sizeof vk);
	char part[160] = "";
	if (from)
		snprintf(part, sizeof part, "; from \"%s\" on: kptdump %ld lines, cat %ld lines", from,
			 ca ? count_lines(ca, lca) : -1, ck ? count_lines(ck, lck) : -1);
	outf("IDLE %s %s attempt %d%s: kptdump exit %s, %.2f s, stderr %zu bytes, %ld lines; "
	     "cat exit %d, %ld lines%s; %s\n",
	     phase, table, attempt, settled ? " (settled)" : "", describe_status(rc), secs, le,
	     count_lines(ba ? ba : "", la), crc, count_lines(bk ? bk : "", lk), part,
	     same ? "identical" : "DIFFERENT");
	outf("IDLE %s %s attempt %d: kptdump %s\n", phase, table, attempt, va);
	outf("IDLE %s %s attempt %d: kernel  %s\n", phase, table, attempt, vk);
	if (le) {
		snprintf(label, sizeof label, "%s-%s-%d.stderr", phase, table, attempt);
		dump_file(label, e);
	}
	*stable = 0;
	if (settled) {
		size_t lk0;
		char *bk0 = slurp(k0, &lk0);
		const char *ck0 = from_marker(bk0, from);
		size_t lck0 = ck0 ? lk0 - (size_t)(ck0 - bk0) : 0;
		*stable = ck0 && ck && lck == lck0 && memcmp(ck, ck0, lck) == 0;
		outf("IDLE %s %s attempt %d: the kernel's file before and after kptdump: %s (cat exit %d)\n",
		     phase, table, attempt, *stable ? "same" : "differs", crc0);
		free(bk0);
	}
	if (!same) {
		snprintf(label, sizeof label, "%s-%s-%d.kptdump", phase, table, attempt);
		dump_file(label, a);
		snprintf(label, sizeof label, "%s-%s-%d.kernel", phase, table, attempt);
		dump_file(label, k);
		if (settled && !*stable) {
			snprintf(label, sizeof label, "%s-%s-%d.kernel-before", phase, table, attempt);
			dump_file(label, k0);
		}
		char ka[160], kk[160];
		snprintf(ka, sizeof ka, "%s", a);
		snprintf(kk, sizeof kk, "%s", k);
		if (from) {
			/* Diff only the compared parts. */
			snprintf(ka, sizeof ka, "%s.from", a);
			snprintf(kk, sizeof kk, "%s.from", k);
			save_file(ka, ca ? ca : "");
			save_file(kk, ck ? ck : "");
		}
		char *dargv[] = {BUSYBOX, "diff", "-u", kk, ka, NULL};
		char d[160];
		snprintf(d, sizeof d, "/tmp/%s-%s-%d.diff", phase, table, attempt);
		run(dargv, d, d, 0, NULL);
		snprintf(label, sizeof label, "%s-%s-%d.diff", phase, table, attempt);
		dump_file(label, d);
	}
	free(ba);
	free(bk);
	free(be);
	return same;
}

/*
 * Live without DWARF offsets there is no current table: kptdump must refuse
 * with exit 2, nothing on stdout, and a message naming --vmlinux. Recorded
 * as table "current-kernel-without-vmlinux"; returns 1 if it did.
 */
static int without_vmlinux_check(const char *phase)
{
	char o[128], e[128], label[128];
	snprintf(o, sizeof o, "/tmp/%s-current-kernel-without-vmlinux.out", phase);
	snprintf(e, sizeof e, "/tmp/%s-current-kernel-without-vmlinux.stderr", phase);
	char *argv[] = {KPTDUMP, "--system-map", SYSMAP, "--table", "current-kernel", NULL};
	double secs;
	int rc = run(argv, o, e, 0, &secs);
	size_t lo, le;
	char *bo = slurp(o, &lo), *be = slurp(e, &le);
	int names = be && strstr(be, "--vmlinux") != NULL;
	int good = rc == 2 && lo == 0 && names;
	struct idle_result *res = &idle_results[n_idle++];
	snprintf(res->phase, sizeof res->phase, "%s", phase);
	snprintf(res->table, sizeof res->table, "current-kernel-without-vmlinux");
	res->first = good;
	res->first_status = rc;
	res->settled = -1;
	snprintf(res->note, sizeof res->note, "%s (exit %s, stdout %zu bytes, stderr %zu bytes %s --vmlinux)",
		 good ? "refused as expected" : "NOT REFUSED AS EXPECTED", describe_status(rc), lo, le,
		 names ? "naming" : "NOT naming");
	outf("IDLE %s current-kernel-without-vmlinux attempt 1: kptdump --system-map " SYSMAP
	     " --table current-kernel: %.2f s; %s\n",
	     phase, secs, res->note);
	snprintf(label, sizeof label, "%s-current-kernel-without-vmlinux.stderr", phase);
	dump_file(label, e);
	if (lo) {
		snprintf(label, sizeof label, "%s-current-kernel-without-vmlinux.stdout", phase);
		dump_file(label, o);
	}
	free(bo);
	free(be);
	return good;
}

/*
 * Attempt 1 is the plain sequence (kptdump > A; cat > K). If A and K differ
 * and kptdump succeeded, up to 4 settled attempts follow, until one where the
 * kernel's own file was the same before and after kptdump; that one's verdict
 * is kept as well. A table passes if attempt 1 is identical, or if the first
 * settled attempt is.
 */
static int idle_check(const char *phase)
{
	/* table, the kernel's file, and the line the comparison starts at: for
	 * current-kernel the kernel half only, because the user halves are two
	 * different processes' (kptdump's and cat's). */
	static const char *tables[][3] = {
		{"kernel", "kernel", NULL},
		{"current-kernel", "current_kernel", "---[ Kernel Space ]---"},
	};
	int all = 1;
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char kfile[128];
		snprintf(kfile, sizeof kfile, PT_DIR "/%s", tables[i][1]);
		if (!exists(kfile)) {
			outf("IDLE %s %s: no %s, skipped\n", phase, tables[i][0], kfile);
			continue;
		}
		struct idle_result *res = &idle_results[n_idle++];
		snprintf(res->phase, sizeof res->phase, "%s", phase);
		snprintf(res->table, sizeof res->table, "%s", tables[i][0]);
		res->settled = -1;
		int stable, status;
		res->first = idle_attempt(phase, tables[i][0], tables[i][1], tables[i][2], 1, 0, &stable,
					  &status);
		res->first_status = status;
		if (!res->first && status == 0) {
			for (int r = 2; r <= 5; r++) {
				int same = idle_attempt(phase, tables[i][0], tables[i][1], tables[i][2], r,
							1, &stable, &status);
				if (stable) {
					res->settled = same;
					res->settled_attempt = r;
					break;
				}
			}
		}
		all &= res->first || res->settled == 1;
	}
	if (exists(PT_DIR "/current_kernel"))
		all &= without_vmlinux_check(phase);
	return all;
}

static void idle_summary(void)
{
	for (int i = 0; i < n_idle; i++) {
		struct idle_result *r = &idle_results[i];
		if (r->note[0])
			outf("IDLE %s %s: %s\n", r->phase, r->table, r->note);
		else if (r->first)
			outf("IDLE %s %s: identical\n", r->phase, r->table);
		else if (r->first_status != 0)
			outf("IDLE %s %s: DIFFERENT (kptdump exit %s)\n", r->phase, r->table,
			     describe_status(r->first_status));
		else if (r->settled == 1)
			outf("IDLE %s %s: identical in settled attempt %d (attempt 1 DIFFERENT)\n",
			     r->phase, r->table, r->settled_attempt);
		else if (r->settled == 0)
			outf("IDLE %s %s: DIFFERENT (also in settled attempt %d, the kernel's file unchanged around it)\n",
			     r->phase, r->table, r->settled_attempt);
		else
			outf("IDLE %s %s: DIFFERENT (and no settled attempt: the kernel's file kept changing)\n",
			     r->phase, r->table);
	}
}

/* ---- parameters ---- */

static long param(const char *cmdline, const char *name, long dflt)
{
	const char *p = cmdline;
	size_t n = strlen(name);
	while ((p = strstr(p, name))) {
		if ((p == cmdline || p[-1] == ' ') && p[n] == '=')
			return strtol(p + n + 1, NULL, 10);
		p += n;
	}
	return dflt;
}

/* ---- vmallocinfo ---- */

static void vmalloc_stats(const char *when)
{
	size_t len;
	char *buf = slurp("/proc/vmallocinfo", &len);
	if (!buf) {
		outf("VMALLOC %s: /proc/vmallocinfo unreadable\n", when);
		return;
	}
	/* "0xSTART-0xEND SIZE CALLER+0x../0x.. pages=.. vmalloc ..." or
	 * "0xSTART-0xEND SIZE unpurged vm_area" (freed, address not yet purged). */
	struct { char name[48]; long n; } callers[64];
	int ncallers = 0;
	long busy = 0, unpurged = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char range[64], size[32], caller[128];
		if (sscanf(line, "%63s %31s %127s", range, size, caller) != 3)
			continue;
		if (strcmp(caller, "unpurged") == 0) {
			unpurged++;
			continue;
		}
		busy++;
		char *plus = strchr(caller, '+');
		if (plus)
			*plus = 0;
		int j;
		for (j = 0; j < ncallers && strcmp(callers[j].name, caller) != 0; j++)
			;
		if (j == ncallers) {
			if (ncallers == 64)
				continue;
			snprintf(callers[j].name, sizeof callers[j].name, "%.47s", caller);
			callers[j].n = 0;
			ncallers++;
		}
		callers[j].n++;
	}
	char top[512] = "";
	for (int t = 0; t < 4 && ncallers > 0; t++) {
		int best = 0;
		for (int j = 1; j < ncallers; j++)
			if (callers[j].n > callers[best].n)
				best = j;
		if (callers[best].n == 0)
			break;
		size_t l = strlen(top);
		snprintf(top + l, sizeof top - l, "%s %s %ld", t ? "," : "", callers[best].name,
			 callers[best].n);
		callers[best].n = 0;
	}
	outf("VMALLOC %s: %ld areas in use, %ld freed and not yet purged; most by:%s\n", when, busy,
	     unpurged, top);
	free(buf);
}

static void finish(int pass)
{
	outf("RESULT: %s\n", pass ? "PASS" : "FAIL");
	outf("DONE\n");
	/* What ../lib/capture.sh waits for. */
	outf("READY\n");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

int main(void)
{
	/* Everything this process forks starts on CPU 0 (the churner then moves
	 * itself to CPU 1), so that idle forks and exits keep taking and giving
	 * back the same cached kernel stacks (NR_CACHED_STACKS per CPU). */
	if (guest_pin_cpu0() != 0)
		outf("init: could not pin to CPU 0\n");
	guest_setup(1); /* mounts, console, only KERN_EMERG on it */
	mkdir("/tmp", 01777);

	size_t clen;
	char *cmdline = slurp("/proc/cmdline", &clen);
	if (!cmdline)
		cmdline = "";
	long runs = param(cmdline, "live.runs", 100);
	long threads = param(cmdline, "live.threads", 200);
	long procs = param(cmdline, "live.procs", 100);
	long settle = param(cmdline, "live.settle", 5);
	outf("init: live-churn: %ld runs, churn %ld threads + %ld processes a round, %ld CPUs\n",
	     runs, threads, procs, sysconf(_SC_NPROCESSORS_ONLN));
	outf("init: cmdline: %s", cmdline);
	{
		size_t l;
		char *v = slurp("/proc/version", &l);
		if (v)
			outf("init: %s", v);
		free(v);
	}
	outf("init: %s %s\n", exists("/proc/kcore") ? "/proc/kcore present" : "NO /proc/kcore",
	     exists(PT_DIR) ? "page_tables present" : "NO " PT_DIR);

	/* 0. Does the binary run at all? */
	double secs;
	char *hargv[] = {KPTDUMP, "--help", NULL};
	int rc = run(hargv, "/tmp/help.out", "/tmp/help.err", 0, &secs);
	outf("HELP: kptdump --help exit %s, %.2f s, stdout %ld bytes, stderr %ld bytes\n",
	     describe_status(rc), secs, file_size("/tmp/help.out"), file_size("/tmp/help.err"));
	if (rc != 0) {
		dump_file("help.stdout", "/tmp/help.out");
		dump_file("help.stderr", "/tmp/help.err");
		outf("LIVE: 0/%ld runs ok (kptdump --help failed)\n", runs);
		finish(0);
	}
	{
		size_t l;
		char *h = slurp("/tmp/help.out", &l);
		char *nl = h ? strchr(h, '\n') : NULL;
		if (nl)
			*nl = 0;
		outf("HELP: %s\n", h ? h : "");
		free(h);
	}
	char *iargv[] = {KPTDUMP, "info", "--system-map", SYSMAP, NULL};
	rc = run(iargv, "/tmp/info.out", "/tmp/info.out", 0, &secs);
	outf("INFO: kptdump info --system-map " SYSMAP " exit %s, %.2f s\n", describe_status(rc), secs);
	dump_file("info", "/tmp/info.out");

	/* 1. Idle. */
	vmalloc_stats("idle-before");
	int idle_ok = idle_check("idle-before");
	{
		/* What opening the vmlinux costs (symbols, BUILD-ID) without the DWARF
		 * offsets and the task walk that current-kernel adds. Recorded only. */
		char *vargv[] = {KPTDUMP, "--vmlinux", VMLINUX, NULL};
		rc = run(vargv, "/tmp/vmlinux-kernel.out", "/tmp/vmlinux-kernel.err", 0, &secs);
		size_t l1, l2;
		char *b1 = slurp("/tmp/vmlinux-kernel.out", &l1);
		char *b2 = slurp("/tmp/idle-before-kernel-1.kernel", &l2);
		outf("TIMING: kptdump --vmlinux " VMLINUX " (kernel table): exit %s, %.2f s, stderr %ld bytes; "
		     "%s the kernel's idle-before file\n",
		     describe_status(rc), secs, file_size("/tmp/vmlinux-kernel.err"),
		     b1 && b2 && l1 == l2 && memcmp(b1, b2, l1) == 0 ? "identical to" : "DIFFERENT from");
		if (file_size("/tmp/vmlinux-kernel.err") > 0)
			dump_file("vmlinux-kernel.stderr", "/tmp/vmlinux-kernel.err");
		free(b1);
		free(b2);
	}
	/* Outside the vmalloc area, every churn run must list what the kernel
	 * listed idle (stacks live only in the vmalloc area). */
	size_t rlen;
	char *rbuf = slurp("/tmp/idle-before-kernel-1.kernel", &rlen);
	char *ref_outside = outside_vmalloc(rbuf ? rbuf : "");
	free(rbuf);
	save_file("/tmp/idle.outside", ref_outside);
	outf("init: reference outside the vmalloc area: the kernel's idle listing, %ld of its lines\n",
	     count_lines(ref_outside, strlen(ref_outside)));

	/* 2. Churn. */
	char nt[24], np[24];
	snprintf(nt, sizeof nt, "%ld", threads);
	snprintf(np, sizeof np, "%ld", procs);
	pid_t churner = fork();
	if (churner == 0) {
		char *cargv[] = {"/bin/churn", nt, np, "1", NULL};
		execve(cargv[0], cargv, child_env);
		dprintf(2, "exec /bin/churn: %s\n", strerror(errno));
		_exit(127);
	}
	sleep(2);
	vmalloc_stats("churning");

	long ok = 0, with_stderr = 0, bad_status = 0, bad_check = 0, saved = 0;
	long outside_same = 0, outside_saved = 0;
	long min_lines = -1, max_lines = -1, min_vm = -1, max_vm = -1;
	double total = 0, slowest = 0;
	uint64_t *hashes = calloc((size_t)runs + 1, sizeof *hashes);
	long distinct = 0;
	int churner_alive = 1;
	double t_churn = now();
	for (long i = 1; i <= runs; i++) {
		char *kargv[] = {KPTDUMP, "--system-map", SYSMAP, NULL};
		rc = run(kargv, "/tmp/run.out", "/tmp/run.err", 0, &secs);
		total += secs;
		if (secs > slowest)
			slowest = secs;
		long errsize = file_size("/tmp/run.err");
		char verdict[256];
		int crc = check("/tmp/run.out", verdict, sizeof verdict);
		size_t len;
		char *buf = slurp("/tmp/run.out", &len);
		long lines = count_lines(buf ? buf : "", len);
		long vm = buf ? vmalloc_lines(buf) : -1;
		char *outside = outside_vmalloc(buf ? buf : "");
		int same_outside = strcmp(outside, ref_outside) == 0;
		outside_same += same_outside;
		if (!same_outside && outside_saved < MAX_SAVED) {
			outside_saved++;
			char path[64], label[64];
			snprintf(path, sizeof path, "/tmp/run-%ld.outside", i);
			write_file(path, outside);
			char *dargv[] = {BUSYBOX, "diff", "-u", "/tmp/idle.outside", path, NULL};
			run(dargv, "/tmp/outside.diff", "/tmp/outside.diff", 0, NULL);
			snprintf(label, sizeof label, "run-%ld.outside-vmalloc.diff", i);
			dump_file(label, "/tmp/outside.diff");
		}
		free(outside);
		uint64_t h = fnv1a(buf ? buf : "", len);
		int seen = 0;
		for (long j = 0; j < distinct; j++)
			seen |= hashes[j] == h;
		if (!seen)
			hashes[distinct++] = h;
		free(buf);
		if (min_lines < 0 || lines < min_lines)
			min_lines = lines;
		if (lines > max_lines)
			max_lines = lines;
		if (min_vm < 0 || vm < min_vm)
			min_vm = vm;
		if (vm > max_vm)
			max_vm = vm;
		if (churner_alive && waitpid(churner, NULL, WNOHANG) == churner) {
			churner_alive = 0;
			outf("init: the churner exited during run %ld\n", i);
		}

		int good = rc == 0 && errsize == 0 && crc == 0;
		ok += good;
		with_stderr += errsize != 0;
		bad_status += rc != 0;
		bad_check += crc != 0;
		outf("RUN %ld/%ld: %s exit %s, %.2f s, stderr %ld bytes, %ld lines, vmalloc area %ld lines; "
		     "%s; outside vmalloc: %s\n",
		     i, runs, good ? "ok" : "FAIL", describe_status(rc), secs, errsize, lines, vm, verdict,
		     same_outside ? "as idle" : "DIFFERENT from idle");
		if (!good) {
			char label[64];
			if (errsize > 0) {
				snprintf(label, sizeof label, "run-%ld.stderr", i);
				dump_file(label, "/tmp/run.err");
			}
			if (crc != 0) {
				snprintf(label, sizeof label, "run-%ld.check", i);
				dump_file(label, "/tmp/check.out");
			}
			if (saved < MAX_SAVED) {
				saved++;
				snprintf(label, sizeof label, "run-%ld.kptdump", i);
				dump_file(label, "/tmp/run.out");
			}
		}
	}
	double churn_secs = now() - t_churn;
	vmalloc_stats("churning, after the runs");
	if (churner_alive) {
		kill(churner, SIGTERM);
		while (waitpid(churner, NULL, 0) < 0 && errno == EINTR)
			;
	} else {
		outf("init: WARNING: the churner had died; the runs after that were not under churn\n");
	}
	outf("init: churner stopped; settling %ld s\n", settle);
	sleep((unsigned)settle);

	/* 3. Idle again. */
	vmalloc_stats("idle-after");
	idle_ok &= idle_check("idle-after");

	outf("STATS: %ld runs in %.1f s (kptdump %.1f s total, mean %.2f s, slowest %.2f s); "
	     "lines %ld..%ld, vmalloc area lines %ld..%ld, %ld distinct listings\n",
	     runs, churn_secs, total, runs ? total / runs : 0.0, slowest, min_lines, max_lines, min_vm,
	     max_vm, distinct);
	outf("STATS: failures: %ld nonzero exit, %ld with stderr, %ld failed checks\n", bad_status,
	     with_stderr, bad_check);
	outf("LIVE: %ld/%ld runs ok\n", ok, runs);
	outf("OUTSIDE-VMALLOC: %ld/%ld runs listed the same as the idle kernel outside the vmalloc area\n",
	     outside_same, runs);
	idle_summary();
	/* Reap anything left. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	finish(ok == runs && outside_same == runs && churner_alive && idle_ok);
	return 0;
}
