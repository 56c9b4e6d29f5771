/*
 * Static /init for the user-entries capture on arm64, riscv64, ppc64le and
 * s390x (built by ../lib/initramfs.sh with aarch64-linux-gnu-gcc,
 * riscv64-linux-gnu-gcc, powerpc64le-linux-gnu-gcc, s390x-linux-gnu-gcc
 * -static, called from capture.sh beside this file). Adapted from
 * ../debian-stock-swap/init.c: zram is built into these kernels (no modules;
 * boot with zram.num_devices=2), and there is no soft-dirty or userfaultfd-wp
 * on arm64 and riscv64 (neither has them in 6.1; ppc64le and s390x 7.3 have
 * soft-dirty, which pagemap reports as bit 55).
 *
 * Page sizes: everything is counted in pages of the running kernel's size
 * (sysconf(_SC_PAGESIZE), "pg" below): 4K on arm64, riscv64 and s390x, 64K on
 * the ppc64le kernel. The THP region is one PMD leaf's size and alignment as
 * the kernel says (/sys/kernel/mm/transparent_hugepage/hpage_pmd_size: 2M on
 * arm64 4K, riscv64 and ppc64le 64K radix, 1M (a segment) on s390x, 16M on
 * ppc64le 64K hash), THP_PAGES (512 pages of 4K) when that file is missing.
 * ../lib/guest.h's make_swap, dump_pagemap and dump_victim read the running
 * kernel's page size themselves (the same bytes and lines on 4K kernels).
 *
 * 1. Mounts proc, sysfs, devtmpfs, debugfs.
 * 2. Makes /dev/zram0 and /dev/zram1 64 MiB swap devices: writes disksize,
 *    writes the swap header itself (union swap_header of include/linux/swap.h:
 *    version 1, last_page, nr_badpages 0, "SWAPSPACE2" at the end of page 0),
 *    and swapon(2)s zram0 only (swap type 0); on 6.15 and later it first makes
 *    zram0 rotational (zram0_rotational in ../lib/guest.h: the per-CPU swap cluster).
 * 3. Forks "victim", which maps (each region at a fixed address with
 *    MAP_FIXED_NOREPLACE, far apart, so that no VMAs merge; "region" at
 *    0x10000000, on ppc64le 0x50000000, "zero" 0x20000000, "uffd" 0x30000000,
 *    "thp" 0x40000000):
 *      "region"  64 anonymous pages, MADV_NOHUGEPAGE, every page written;
 *      "zero"    16 anonymous pages, MADV_NOHUGEPAGE, only read: each PTE maps
 *                the shared zero page (pte_special);
 *      "thp"     one PMD leaf's size (hpage_pmd_size; 2 MiB = 512 pages on
 *                arm64 and riscv64), MADV_HUGEPAGE, every page written: one
 *                PMD leaf;
 *    and then, on "region" (page numbers within it):
 *      0..15   MADV_PAGEOUT while only zram0 is on      -> swap type 0
 *              swapon zram1 with a higher priority (SWAP_FLAG_PREFER), swapoff
 *              and swapon it again: swapoff drains the per-CPU swap slot
 *              caches, which still hold slots of zram0 otherwise (up to
 *              6.14; from 6.15 see zram0_rotational)
 *      50..53  MADV_PAGEOUT                              -> swap type 1
 *      20      MADV_HWPOISON                             -> hwpoison entry
 *              (EINVAL without CONFIG_MEMORY_FAILURE: riscv64, s390x). From 6.4
 *              madvise_inject_error() passes MF_ACTION_REQUIRED, and the
 *              kernel then sends the caller SIGBUS (BUS_MCEERR_AR), which
 *              killed the victim on 6.12: a handler notes it and returns.
 *      40..41  mprotect(PROT_NONE)                       -> PROT_NONE, present
 *      the rest                                          -> present
 *    then "uffd": 8 anonymous pages, MADV_NOHUGEPAGE, pages 0..3 written,
 *    registered with a userfaultfd (UFFD_FEATURE_WP_UNPOPULATED, 6.4+) in WP
 *    mode and UFFDIO_WRITEPROTECTed whole, then MADV_PAGEOUT of pages 2..3:
 *      0..1    present uffd-wp (arm64 6.10+: PTE_UFFD_WP, bit 58)
 *      2..3    swap entries with the swap uffd-wp bit (arm64 6.10+: bit 3)
 *      4..7    PTE markers (PTE_MARKER_UFFD_WP), never populated
 *    Only where the kernel has USERFAULTFD and HAVE_ARCH_USERFAULTFD_WP (the
 *    arm64 6.12 build); elsewhere the steps record ENOSYS or EINVAL and the
 *    region stays as written (0..3 present, 4..7 none).
 *    and last, where the kernel has soft-dirty (ppc64le and s390x 7.3; see
 *    soft_dirty_steps): clear_refs 4, then region pages 60..62 written again
 *    and page 62 paged out (swap type 1): pagemap bit 55 then on 60..62 only;
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
#include <sys/utsname.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/* ../lib/guest.h's victim scaffolding needs PG defined; the page-size-bound
 * parts of it read the running kernel's size. */
#define PG 4096UL
#define NPAGES 64
#define ZERO_PAGES 16
#define THP_PAGES 512 /* of 4K, when hpage_pmd_size cannot be read */
#if defined(__powerpc64__)
/* ppc64's static /init is linked at 0x10000000 (the ELF ABI's text base): the
 * first ppc64le capture's MAP_FIXED_NOREPLACE failed there and the region went
 * to the mmap area. */
#define REGION_AT 0x50000000UL
#else
#define REGION_AT 0x10000000UL
#endif
#define ZERO_AT 0x20000000UL
#define THP_AT 0x40000000UL /* 1 GiB aligned: any PMD size up to that */
#define ZRAM1_PRIO 10
#define UFFD_AT 0x30000000UL
#define UFFD_PAGES 8
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13) /* 6.4; the cross libc's headers are 6.1 */
#endif

#include "../lib/guest.h"

/* The running kernel's page size and PMD leaf size (main sets them). */
static unsigned long pg = PG, thp_size = THP_PAGES * PG;

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
	for (unsigned long i = 0; i < pg / 8; i++)
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
	unsigned char *a = map_at(UFFD_AT, UFFD_PAGES * pg);
	if (a == MAP_FAILED) {
		step(r, "mmap uffd", -1);
		return;
	}
	r->uffd = (unsigned long)a;
	step(r, "uffd: madvise NOHUGEPAGE", madvise(a, UFFD_PAGES * pg, MADV_NOHUGEPAGE));
	for (unsigned long i = 0; i < 4; i++)
		fill(a + i * pg, 0x7566, i);
	int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u < 0) {
		step(r, "uffd: userfaultfd", -1);
		return;
	}
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_UNPOPULATED };
	step(r, "uffd: UFFDIO_API (WP_UNPOPULATED)", ioctl(u, UFFDIO_API, &api));
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)a, .len = UFFD_PAGES * pg },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	if (ioctl(u, UFFDIO_REGISTER, &reg) != 0) {
		step(r, "uffd: UFFDIO_REGISTER WP", -1);
		return;
	}
	step(r, "uffd: UFFDIO_REGISTER WP", 0);
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)a, .len = UFFD_PAGES * pg },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	step(r, "uffd: UFFDIO_WRITEPROTECT pages 0..7", ioctl(u, UFFDIO_WRITEPROTECT, &wp));
	step(r, "uffd: MADV_PAGEOUT pages 2..3", madvise(a + 2 * pg, 2 * pg, MADV_PAGEOUT));
	/* u stays open: closing it would unregister the range and drop the bits. */
}

/* Soft-dirty, where the kernel has it (MEM_SOFT_DIRTY: the ppc64le and s390x
 * 7.3 kernels). Every new VMA has VM_SOFTDIRTY, and pagemap sets bit 55 on
 * every page of such a VMA whatever its entry holds (pte_to_pagemap_entry's
 * "out:"), so as set up, bit 55 would say nothing about the entries. Hence,
 * last: clear_refs 4 (clear_soft_dirty(): the soft-dirty bit of every present
 * and swap entry and VM_SOFTDIRTY of every VMA cleared, present PTEs
 * write-protected), then region pages 60..62 written again (write faults set
 * the PTE's soft-dirty bit) and page 62 paged out (a swap entry, type 1, with
 * the swap soft-dirty bit). Then pagemap's bit 55 is the entry's own bit:
 * set on 60..62 only. Skipped (a note in the steps) when pagemap's bit 55 is
 * clear on region page 16 beforehand: no MEM_SOFT_DIRTY (arm64, riscv64). */
static void soft_dirty_steps(struct report *r, unsigned char *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t at = (off_t)((unsigned long)(p + 16 * pg) / pg * 8);
	int got = fd >= 0 && pread(fd, &e, 8, at) == 8;
	if (fd >= 0)
		close(fd);
	if (!got) {
		step(r, "soft-dirty: read own pagemap", -1);
		return;
	}
	if (!(e >> 55 & 1)) {
		note(r, "soft-dirty: pagemap bit 55 clear on region page 16 (no MEM_SOFT_DIRTY): clear_refs skipped\n");
		return;
	}
	int w = write_file("/proc/self/clear_refs", "4");
	errno = -w;
	step(r, "soft-dirty: clear_refs 4 (every entry and VMA of the victim clean)", w ? -1 : 0);
	if (w)
		return;
	for (unsigned long i = 60; i <= 62; i++)
		fill(p + i * pg, 0x7364, i);
	note(r, "soft-dirty: pages 60..62 written again\n");
	step(r, "soft-dirty: MADV_PAGEOUT page 62", madvise(p + 62 * pg, pg, MADV_PAGEOUT));
}

static void victim(int tell)
{
	static struct report r;
	prctl(PR_SET_NAME, "victim");
	unsigned char *p = map_at(REGION_AT, NPAGES * pg);
	if (p == MAP_FAILED) {
		step(&r, "mmap region", -1);
		goto done;
	}
	r.region = (unsigned long)p;
	step(&r, "region: madvise NOHUGEPAGE", madvise(p, NPAGES * pg, MADV_NOHUGEPAGE));
	for (unsigned long i = 0; i < NPAGES; i++)
		fill(p + i * pg, 0x7669, i);

	/* Read, never written: every PTE maps the shared zero page. */
	volatile unsigned char *z = map_at(ZERO_AT, ZERO_PAGES * pg);
	if (z != MAP_FAILED) {
		r.zero = (unsigned long)z;
		step(&r, "zero: madvise NOHUGEPAGE", madvise((void *)z, ZERO_PAGES * pg, MADV_NOHUGEPAGE));
		unsigned sum = 0;
		for (unsigned long i = 0; i < ZERO_PAGES; i++)
			sum += z[i * pg + 8];
		errno = EIO;
		step(&r, "zero: read every page (sum 0)", sum == 0 ? 0 : -1);
	} else {
		step(&r, "mmap zero", -1);
	}

	/* A transparent huge page (PMD leaf). */
	unsigned char *t = map_at(THP_AT, thp_size);
	if (t != MAP_FAILED) {
		r.thp = (unsigned long)t;
		step(&r, "thp: madvise HUGEPAGE", madvise(t, thp_size, MADV_HUGEPAGE));
		for (unsigned long i = 0; i < thp_size / pg; i++)
			t[i * pg] = (unsigned char)(i | 1);
	} else {
		step(&r, "mmap thp", -1);
	}

	step(&r, "MADV_PAGEOUT pages 0..15 (only zram0 on)", madvise(p, 16 * pg, MADV_PAGEOUT));
	int prio = SWAP_FLAG_PREFER | (ZRAM1_PRIO << SWAP_FLAG_PRIO_SHIFT);
	step(&r, "swapon /dev/zram1 prio 10", swapon("/dev/zram1", prio));
	step(&r, "swapoff /dev/zram1 (drains the swap slot caches)", swapoff("/dev/zram1"));
	step(&r, "swapon /dev/zram1 prio 10 again", swapon("/dev/zram1", prio));
	step(&r, "MADV_PAGEOUT pages 50..53", madvise(p + 50 * pg, 4 * pg, MADV_PAGEOUT));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	step(&r, "sigaction SIGBUS", sigaction(SIGBUS, &sa, NULL));
	step(&r, "MADV_HWPOISON page 20", madvise(p + 20 * pg, pg, MADV_HWPOISON));
	if (bus_code != -1) {
		size_t n = strlen(r.steps);
		snprintf(r.steps + n, sizeof r.steps - n,
			 "SIGBUS after MADV_HWPOISON: si_code %d%s, si_addr %#lx\n", (int)bus_code,
			 bus_code == BUS_MCEERR_AR ? " (BUS_MCEERR_AR)" : "", (unsigned long)bus_addr);
	} else {
		size_t n = strlen(r.steps);
		snprintf(r.steps + n, sizeof r.steps - n, "no SIGBUS after MADV_HWPOISON\n");
	}
	step(&r, "mprotect PROT_NONE pages 40..41", mprotect(p + 40 * pg, 2 * pg, PROT_NONE));
	uffd_region(&r);
	soft_dirty_steps(&r, p);
done:
	victim_done(tell, &r, sizeof r);
}

/* ---------------------------------------------------------------- init */

/* zram0_rotational: ../lib/guest.h (from 6.15, the per-CPU swap cluster). */

int main(void)
{
	guest_setup(1);
#if defined(__powerpc64__)
	/* SLOF/prom_init leave a truncated banner without a newline on hvc0; end it,
	 * so that init's first line starts a line (capture.sh's init-log.txt). */
	out("\n");
#endif

	guest_fw_cfg();
	long ps = sysconf(_SC_PAGESIZE);
	if (ps > 0)
		pg = (unsigned long)ps;
	thp_size = THP_PAGES * PG;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	unsigned long h = 0;
	if (f && fscanf(f, "%lu", &h) == 1 && h >= pg && h % pg == 0 && THP_AT % h == 0)
		thp_size = h;
	if (f)
		fclose(f);
	say("init: page size %lu, hpage_pmd_size %lu%s: thp region %lu pages\n", pg, h,
	    thp_size == h ? "" : " (not usable: 2 MiB)", thp_size / pg);
	make_swap("zram0");
	make_swap("zram1");
	zram0_rotational();
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
		 , r.region, NPAGES, r.zero, ZERO_PAGES, r.thp, (int)(thp_size / pg), r.uffd, UFFD_PAGES);
	dump_victim(pid, regions, r.steps);
	dump_file("swaps", "/proc/swaps");
	dump_file("meminfo", "/proc/meminfo");
	dump_file("kernel_page_tables", "/sys/kernel/debug/kernel_page_tables");
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	dump_dmesg();
	ready_forever();
}
