/*
 * Static /init for the user-entries capture on arm64 and riscv64 (built by
 * ../lib/initramfs.sh with aarch64-linux-gnu-gcc / riscv64-linux-gnu-gcc
 * -static, called from capture.sh beside this file). Adapted from
 * ../debian-stock-swap/init.c: zram is built into these kernels (no modules;
 * boot with zram.num_devices=2), and there is no soft-dirty or userfaultfd-wp
 * (neither architecture has them in 6.1).
 *
 * 1. Mounts proc, sysfs, devtmpfs, debugfs.
 * 2. Makes /dev/zram0 and /dev/zram1 64 MiB swap devices: writes disksize,
 *    writes the swap header itself (union swap_header of include/linux/swap.h:
 *    version 1, last_page, nr_badpages 0, "SWAPSPACE2" at the end of page 0),
 *    and swapon(2)s zram0 only (swap type 0).
 * 3. Forks "victim", which maps (each region at a fixed address with
 *    MAP_FIXED_NOREPLACE, far apart, so that no VMAs merge):
 *      "region"  64 anonymous pages, MADV_NOHUGEPAGE, every page written;
 *      "zero"    16 anonymous pages, MADV_NOHUGEPAGE, only read: each PTE maps
 *                the shared zero page (pte_special);
 *      "thp"     512 pages at a 2 MiB boundary, MADV_HUGEPAGE, every page
 *                written: one PMD leaf;
 *    and then, on "region" (page numbers within it):
 *      0..15   MADV_PAGEOUT while only zram0 is on      -> swap type 0
 *              swapon zram1 with a higher priority (SWAP_FLAG_PREFER), swapoff
 *              and swapon it again: swapoff drains the per-CPU swap slot
 *              caches, which still hold slots of zram0 otherwise
 *      50..53  MADV_PAGEOUT                              -> swap type 1
 *      20      MADV_HWPOISON                             -> hwpoison entry
 *              (EINVAL without CONFIG_MEMORY_FAILURE: riscv64 6.1). From 6.4
 *              madvise_inject_error() passes MF_ACTION_REQUIRED, and the
 *              kernel then sends the caller SIGBUS (BUS_MCEERR_AR), which
 *              killed the victim on 6.12: a handler notes it and returns.
 *      40..41  mprotect(PROT_NONE)                       -> PROT_NONE, present
 *      the rest                                          -> present
 *    and last, "uffd": 8 anonymous pages, MADV_NOHUGEPAGE, pages 0..3 written,
 *    registered with a userfaultfd (UFFD_FEATURE_WP_UNPOPULATED, 6.4+) in WP
 *    mode and UFFDIO_WRITEPROTECTed whole, then MADV_PAGEOUT of pages 2..3:
 *      0..1    present uffd-wp (arm64 6.10+: PTE_UFFD_WP, bit 58)
 *      2..3    swap entries with the swap uffd-wp bit (arm64 6.10+: bit 3)
 *      4..7    PTE markers (PTE_MARKER_UFFD_WP), never populated
 *    Only where the kernel has USERFAULTFD and HAVE_ARCH_USERFAULTFD_WP (the
 *    arm64 6.12 build); elsewhere the steps record ENOSYS or EINVAL and the
 *    region stays as written (0..3 present, 4..7 none).
 *    then reports to init over a pipe and pauses forever.
 * 4. init mlockall()s, then prints, between "=== BEGIN name ===" and
 *    "=== END name ===" lines:
 *      victim     pid, and "NAME ADDRESS N pages" per region
 *      steps      what the victim did, with errno for anything that failed
 *      maps       /proc/PID/maps
 *      pagemap    one line per page of every VMA of the victim:
 *                 "VA PAGEMAP" (16 hex digits each)
 *      smaps      /proc/PID/smaps
 *      swaps      /proc/swaps
 *      meminfo    /proc/meminfo
 *      kernel_page_tables   /sys/kernel/debug/kernel_page_tables
 *      vmcoreinfo, cmdline
 *      dmesg      the kernel log (klogctl READ_ALL)
 *    then READY, and pauses forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PG 4096UL
#define NPAGES 64
#define ZERO_PAGES 16
#define THP_PAGES 512
#define REGION_AT 0x10000000UL
#define ZERO_AT 0x20000000UL
#define THP_AT 0x40000000UL /* 2 MiB aligned */
#define ZRAM1_PRIO 10
#define UFFD_AT 0x30000000UL
#define UFFD_PAGES 8
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13) /* 6.4; the cross libc's headers are 6.1 */
#endif

#include "../lib/guest.h"

/* ---------------------------------------------------------------- victim */

struct report {
	unsigned long region, zero, thp, uffd;
	char steps[3000];
};


/* SIGBUS from MADV_HWPOISON (6.4+: MF_ACTION_REQUIRED): note it, carry on. */
static volatile sig_atomic_t bus_code = -1;
static volatile unsigned long bus_addr;
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_code = si->si_code;
	bus_addr = (unsigned long)si->si_addr;
}

static void fill(unsigned char *p, unsigned long tag, unsigned long page)
{
	uint64_t *w = (uint64_t *)p;
	for (unsigned long i = 0; i < PG / 8; i++)
		w[i] = (tag << 48) ^ (page << 20) ^ (i * 0x9e3779b1UL);
}

static void *map_at(unsigned long at, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p = mmap((void *)at, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	return p;
}

/* The "uffd" region (see the top of this file). */
static void uffd_region(struct report *r)
{
	unsigned char *a = map_at(UFFD_AT, UFFD_PAGES * PG);
	if (a == MAP_FAILED) {
		step(r, "mmap uffd", -1);
		return;
	}
	r->uffd = (unsigned long)a;
	step(r, "uffd: madvise NOHUGEPAGE", madvise(a, UFFD_PAGES * PG, MADV_NOHUGEPAGE));
	for (unsigned long i = 0; i < 4; i++)
		fill(a + i * PG, 0x7566, i);
	int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u < 0) {
		step(r, "uffd: userfaultfd", -1);
		return;
	}
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_UNPOPULATED };
	step(r, "uffd: UFFDIO_API (WP_UNPOPULATED)", ioctl(u, UFFDIO_API, &api));
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)a, .len = UFFD_PAGES * PG },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	if (ioctl(u, UFFDIO_REGISTER, &reg) != 0) {
		step(r, "uffd: UFFDIO_REGISTER WP", -1);
		return;
	}
	step(r, "uffd: UFFDIO_REGISTER WP", 0);
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)a, .len = UFFD_PAGES * PG },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	step(r, "uffd: UFFDIO_WRITEPROTECT pages 0..7", ioctl(u, UFFDIO_WRITEPROTECT, &wp));
	step(r, "uffd: MADV_PAGEOUT pages 2..3", madvise(a + 2 * PG, 2 * PG, MADV_PAGEOUT));
	/* u stays open: closing it would unregister the range and drop the bits. */
}

static void victim(int tell)
{
	static struct report r;
	prctl(PR_SET_NAME, "victim");
	unsigned char *p = map_at(REGION_AT, NPAGES * PG);
	if (p == MAP_FAILED) {
		step(&r, "mmap region", -1);
		goto done;
	}
	r.region = (unsigned long)p;
	step(&r, "region: madvise NOHUGEPAGE", madvise(p, NPAGES * PG, MADV_NOHUGEPAGE));
	for (unsigned long i = 0; i < NPAGES; i++)
		fill(p + i * PG, 0x7669, i);

	/* Read, never written: every PTE maps the shared zero page. */
	volatile unsigned char *z = map_at(ZERO_AT, ZERO_PAGES * PG);
	if (z != MAP_FAILED) {
		r.zero = (unsigned long)z;
		step(&r, "zero: madvise NOHUGEPAGE", madvise((void *)z, ZERO_PAGES * PG, MADV_NOHUGEPAGE));
		unsigned sum = 0;
		for (unsigned long i = 0; i < ZERO_PAGES; i++)
			sum += z[i * PG + 8];
		errno = EIO;
		step(&r, "zero: read every page (sum 0)", sum == 0 ? 0 : -1);
	} else {
		step(&r, "mmap zero", -1);
	}

	/* A transparent huge page (PMD leaf). */
	unsigned char *t = map_at(THP_AT, THP_PAGES * PG);
	if (t != MAP_FAILED) {
		r.thp = (unsigned long)t;
		step(&r, "thp: madvise HUGEPAGE", madvise(t, THP_PAGES * PG, MADV_HUGEPAGE));
		for (unsigned long i = 0; i < THP_PAGES; i++)
			t[i * PG] = (unsigned char)(i | 1);
	} else {
		step(&r, "mmap thp", -1);
	}

	step(&r, "MADV_PAGEOUT pages 0..15 (only zram0 on)", madvise(p, 16 * PG, MADV_PAGEOUT));
	int prio = SWAP_FLAG_PREFER | (ZRAM1_PRIO << SWAP_FLAG_PRIO_SHIFT);
	step(&r, "swapon /dev/zram1 prio 10", swapon("/dev/zram1", prio));
	step(&r, "swapoff /dev/zram1 (drains the swap slot caches)", swapoff("/dev/zram1"));
	step(&r, "swapon /dev/zram1 prio 10 again", swapon("/dev/zram1", prio));
	step(&r, "MADV_PAGEOUT pages 50..53", madvise(p + 50 * PG, 4 * PG, MADV_PAGEOUT));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	step(&r, "sigaction SIGBUS", sigaction(SIGBUS, &sa, NULL));
	step(&r, "MADV_HWPOISON page 20", madvise(p + 20 * PG, PG, MADV_HWPOISON));
	if (bus_code != -1) {
		size_t n = strlen(r.steps);
		snprintf(r.steps + n, sizeof r.steps - n,
			 "SIGBUS after MADV_HWPOISON: si_code %d%s, si_addr %#lx\n", (int)bus_code,
			 bus_code == BUS_MCEERR_AR ? " (BUS_MCEERR_AR)" : "", (unsigned long)bus_addr);
	} else {
		size_t n = strlen(r.steps);
		snprintf(r.steps + n, sizeof r.steps - n, "no SIGBUS after MADV_HWPOISON\n");
	}
	step(&r, "mprotect PROT_NONE pages 40..41", mprotect(p + 40 * PG, 2 * PG, PROT_NONE));
	uffd_region(&r);
done:
	victim_done(tell, &r, sizeof r);
}

/* ---------------------------------------------------------------- init */

int main(void)
{
	guest_setup(1);

	guest_fw_cfg();
	make_swap("zram0");
	make_swap("zram1");
	if (swapon("/dev/zram0", 0) != 0)
		say("init: swapon /dev/zram0: %s\n", strerror(errno));
	else
		out("init: swapon /dev/zram0: ok\n");

	static struct report r;
	pid_t pid = start_victim(victim, &r, sizeof r); /* then mlockall */

	char regions[512];
	snprintf(regions, sizeof regions,
		 "region %016lx %d pages\n"
		 "zero %016lx %d pages\n"
		 "thp %016lx %d pages\n"
		 "uffd %016lx %d pages\n"
		 , r.region, NPAGES, r.zero, ZERO_PAGES, r.thp, THP_PAGES, r.uffd, UFFD_PAGES);
	dump_victim(pid, regions, r.steps);
	dump_file("swaps", "/proc/swaps");
	dump_file("meminfo", "/proc/meminfo");
	dump_file("kernel_page_tables", "/sys/kernel/debug/kernel_page_tables");
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	dump_dmesg();
	ready_forever();
}
