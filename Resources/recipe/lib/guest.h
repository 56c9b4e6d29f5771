/*
 * What the recipes' static /init programs share: console output, reading files
 * and the kernel log out between "=== BEGIN name ===" / "=== END name ===" lines,
 * and a process's pagemap for every page of every VMA. Include it once, after
 * the system headers, from an init.c (gcc finds it relative to that file).
 * Needs PG (the page size) defined before it.
 */
#ifndef RECIPE_GUEST_H
#define RECIPE_GUEST_H

static char msgbuf[1024];

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

static void out(const char *s) { out_n(s, strlen(s)); }

#define say(...) do { snprintf(msgbuf, sizeof msgbuf, __VA_ARGS__); out(msgbuf); } while (0)

static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, s, strlen(s));
	int e = w < 0 ? -errno : 0;
	close(fd);
	return e;
}

static void dump_file(const char *label, const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		say("init: open %s: %s\n", path, strerror(errno));
		return;
	}
	say("=== BEGIN %s ===\n", label);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		out_n(buf, (size_t)r);
	}
	close(fd);
	say("=== END %s ===\n", label);
}

/* disksize, then the swap header; swapon is left to the caller. */
static void dump_pagemap(pid_t pid)
{
	char path[64], line[512];
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
		for (unsigned long va = lo; va < hi; va += PG) {
			uint64_t e;
			if (pread(fd, &e, 8, (off_t)(va / PG * 8)) != 8) {
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

static void dump_dmesg(void)
{
	static char logbuf[1 << 20];
	int n = klogctl(3, logbuf, sizeof logbuf);
	if (n < 0)
		return;
	out("=== BEGIN dmesg ===\n");
	out_n(logbuf, (size_t)n);
	if (n > 0 && logbuf[n - 1] != '\n')
		out("\n");
	out("=== END dmesg ===\n");
}

static void do_mount(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) != 0 && errno != EBUSY)
		say("init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

#endif
