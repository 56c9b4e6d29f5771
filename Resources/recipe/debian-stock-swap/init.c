/*
 * Static /init for the debian-stock-swap capture (built by ../lib/initramfs.sh,
 * called from capture.sh beside this file).
 *
 * 1. Mounts proc, sysfs and devtmpfs; loads the modules listed in
 *    /lib/modules/order (qemu_fw_cfg, zsmalloc, zram) with finit_module(2).
 * 2. Makes /dev/zram0 a 64 MiB swap device: writes disksize, writes a swap
 *    header itself (union swap_header of include/linux/swap.h: version 1,
 *    last_page, nr_badpages 0, "SWAPSPACE2" at the end of page 0), swapon(2).
 * 3. Forks "victim", which maps 64 anonymous pages, writes a distinct pattern
 *    to each, and makes (page numbers within that region):
 *      0..15   MADV_PAGEOUT before clear_refs  -> swap entries, not soft-dirty
 *      20      MADV_HWPOISON                    -> hwpoison entry (6.12 also
 *              sends SIGBUS BUS_MCEERR_AR: caught, noted in "steps")
 *      (then "4" > /proc/self/clear_refs: every PTE and VMA loses soft-dirty)
 *      30..33  written again                    -> present, soft-dirty
 *      34..35  written again, then MADV_PAGEOUT -> swap entries, soft-dirty
 *      40..41  mprotect(PROT_NONE)              -> present (PROTNONE), not soft-dirty
 *      the rest                                 -> present, not soft-dirty
 *    plus two small userfaultfd write-protected regions (extras):
 *      "uffd-anon"  4 anonymous pages, all written, UFFDIO_WRITEPROTECT,
 *                   then MADV_PAGEOUT of pages 2..3 -> 0..1 present uffd-wp,
 *                   2..3 swap entries with the swap uffd-wp bit
 *      "uffd-shmem" 8 pages of a memfd (MAP_SHARED), pages 0..3 written,
 *                   UFFDIO_WRITEPROTECT of all 8 -> 0..3 present uffd-wp,
 *                   4..7 PTE markers (PTE_MARKER_UFFD_WP)
 *    and (made before clear_refs, not written after it):
 *      "thp"        512 pages at a 2 MiB boundary, MADV_HUGEPAGE, every page
 *                   touched -> one PMD leaf (transparent huge page)
 *    then tells init over a pipe and pauses forever.
 * 4. init prints, between "=== BEGIN name ===" / "=== END name ===" lines:
 *      victim   pid, and each region's address and page count
 *      steps    what the victim did, with errno for anything that failed
 *      maps     /proc/PID/maps
 *      pagemap  one line per page of every user VMA of the victim:
 *               "VA PAGEMAP" (16 hex digits each)
 *      smaps    /proc/PID/smaps
 *      swaps    /proc/swaps
 *      meminfo  /proc/meminfo
 *      dmesg    the kernel log (klogctl READ_ALL)
 *      vmcoreinfo, cmdline
 *    then READY, and pauses forever.
 *
 * Extras (only when the kernel command line has "victim.extras=1": capture.sh
 * sets it for 7.x; the 6.1 and 6.12 captures ran without them):
 *    - zram is loaded with num_devices=2 and /dev/zram1 made a swap device too;
 *      from 6.15 zram0 is made rotational before its swapon (see
 *      zram0_rotational), and after the first MADV_PAGEOUT zram1 is swapped on
 *      with priority 10 (swapon, swapoff, swapon: the swapoff drains the slot
 *      caches of older kernels). Region pages 50..53 are then paged out (swap
 *      type 1), and so are the later page-outs (34..35, uffd-anon 2..3).
 *    - "zero" (0x50000000): 16 anonymous pages, MADV_NOHUGEPAGE, only read:
 *      each PTE maps the shared zero page (pte_special).
 *    - "guard" (0x60000000): 4 anonymous pages, MADV_GUARD_INSTALL (6.13+) on
 *      pages 1..2: PTE markers with PTE_MARKER_GUARD (pagemap bit 58).
 *    - debugfs is mounted, and a kernel with PTDUMP_DEBUGFS (a custom build;
 *      Debian's have none) has every file of /sys/kernel/debug/page_tables printed
 *      (sections kernel, current_kernel, current_user, efi) after cmdline.
 *
 * Build: gcc -static -O2 -Wall -o init init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PG 4096UL
#define NPAGES 64
#define UANON_PAGES 4
#define USHM_PAGES 8
#define REGION_AT 0x10000000UL
#define UANON_AT 0x20000000UL
#define USHM_AT 0x30000000UL
#define THP_AT 0x40000000UL /* 2 MiB aligned */
#define THP_PAGES 512
#define ZERO_AT 0x50000000UL
#define ZERO_PAGES 16
#define GUARD_AT 0x60000000UL
#define GUARD_PAGES 4
#define ZRAM1_PRIO 10
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#include "../lib/guest.h"

static int extras; /* "victim.extras=1" on the kernel command line */

static int cmdline_has(const char *word)
{
	char buf[1024];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, word) != NULL;
}

static void load_modules(void)
{
	char name[128], path[256];
	FILE *f = fopen("/lib/modules/order", "r");
	if (!f) {
		out("init: no /lib/modules/order\n");
		return;
	}
	while (fscanf(f, "%127s", name) == 1) {
		snprintf(path, sizeof path, "/lib/modules/%s.ko", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		const char *args = extras && strcmp(name, "zram") == 0 ? "num_devices=2" : "";
		if (fd < 0 || syscall(SYS_finit_module, fd, args, 0) != 0)
			say("init: insmod %s: %s\n", name, strerror(errno));
		else
			say("init: insmod %s: ok\n", name);
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
}

/* zram0_rotational: ../lib/guest.h (from 6.15, the per-CPU swap cluster). */

static void setup_swap(void)
{
	make_swap("zram0");
	if (extras) {
		make_swap("zram1");
		zram0_rotational();
	}
	if (swapon("/dev/zram0", 0) != 0)
		say("init: swapon /dev/zram0: %s\n", strerror(errno));
	else
		out("init: swapon /dev/zram0: ok\n");
}

/* ---------------------------------------------------------------- victim */

struct report {
	unsigned long region, uanon, ushm, thp, zero, guard;
	char steps[3000];
};


/* 6.12's MADV_HWPOISON injects with MF_ACTION_REQUIRED (6.1's did not), so the
 * kernel sends the caller SIGBUS (BUS_MCEERR_AR), which would kill the victim: catch
 * it and note what came. */
static volatile sig_atomic_t sigbus_code;
static void *volatile sigbus_addr;
static volatile sig_atomic_t sigbus_count;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sigbus_count++;
	sigbus_code = si->si_code;
	sigbus_addr = si->si_addr;
}

static void fill(unsigned char *p, unsigned long tag, unsigned long page, unsigned long gen)
{
	uint64_t *w = (uint64_t *)p;
	for (unsigned long i = 0; i < PG / 8; i++)
		w[i] = (tag << 48) ^ (gen << 40) ^ (page << 20) ^ (i * 0x9e3779b1UL);
}

/* Each region at its own address, far from the others, so that no two VMAs merge
 * (a merge would spread one VMA's VM_SOFTDIRTY over the other's pages). */
static void *map_at(unsigned long at, size_t len, int flags, int fd)
{
	void *p = mmap((void *)at, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED_NOREPLACE, fd, 0);
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	return p;
}

static void uffd_regions(struct report *r)
{
	unsigned char *a = map_at(UANON_AT, UANON_PAGES * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	int mfd = memfd_create("uffd-shmem", 0);
	unsigned char *s = MAP_FAILED;
	if (mfd >= 0 && ftruncate(mfd, USHM_PAGES * PG) == 0)
		s = map_at(USHM_AT, USHM_PAGES * PG, MAP_SHARED, mfd);
	if (a == MAP_FAILED || s == MAP_FAILED) {
		step(r, "uffd: mmap", -1);
		return;
	}
	r->uanon = (unsigned long)a;
	r->ushm = (unsigned long)s;
	step(r, "uffd-anon: madvise NOHUGEPAGE", madvise(a, UANON_PAGES * PG, MADV_NOHUGEPAGE));
	for (unsigned long i = 0; i < UANON_PAGES; i++)
		fill(a + i * PG, 0x55aa, i, 1);
	for (unsigned long i = 0; i < 4; i++)
		fill(s + i * PG, 0x5353, i, 1);

	int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u < 0) {
		step(r, "userfaultfd", -1);
		return;
	}
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM };
	step(r, "uffd: UFFDIO_API (WP_HUGETLBFS_SHMEM)", ioctl(u, UFFDIO_API, &api));
	struct uffdio_register reg = {
		.range = { (unsigned long)a, UANON_PAGES * PG },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	step(r, "uffd-anon: UFFDIO_REGISTER WP", ioctl(u, UFFDIO_REGISTER, &reg));
	reg.range.start = (unsigned long)s;
	reg.range.len = USHM_PAGES * PG;
	step(r, "uffd-shmem: UFFDIO_REGISTER WP", ioctl(u, UFFDIO_REGISTER, &reg));
	struct uffdio_writeprotect wp = {
		.range = { (unsigned long)a, UANON_PAGES * PG },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	step(r, "uffd-anon: UFFDIO_WRITEPROTECT", ioctl(u, UFFDIO_WRITEPROTECT, &wp));
	wp.range.start = (unsigned long)s;
	wp.range.len = USHM_PAGES * PG;
	step(r, "uffd-shmem: UFFDIO_WRITEPROTECT", ioctl(u, UFFDIO_WRITEPROTECT, &wp));
	step(r, "uffd-anon: MADV_PAGEOUT pages 2..3", madvise(a + 2 * PG, 2 * PG, MADV_PAGEOUT));
	/* u stays open: the victim never exits. */
}

static void victim(int tell)
{
	static struct report r;
	prctl(PR_SET_NAME, "victim");
	unsigned char *p = map_at(REGION_AT, NPAGES * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (p == MAP_FAILED) {
		step(&r, "mmap", -1);
		goto done;
	}
	r.region = (unsigned long)p;
	step(&r, "madvise NOHUGEPAGE", madvise(p, NPAGES * PG, MADV_NOHUGEPAGE));
	for (unsigned long i = 0; i < NPAGES; i++)
		fill(p + i * PG, 0x7669, i, 1);
	/* A transparent huge page (PMD leaf), made before clear_refs and not written
	 * after it. */
	unsigned char *t = map_at(THP_AT, THP_PAGES * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (t != MAP_FAILED) {
		r.thp = (unsigned long)t;
		step(&r, "thp: madvise HUGEPAGE", madvise(t, THP_PAGES * PG, MADV_HUGEPAGE));
		for (unsigned long i = 0; i < THP_PAGES; i++)
			t[i * PG] = (unsigned char)i;
	} else {
		step(&r, "thp: mmap", -1);
	}
	step(&r, "MADV_PAGEOUT pages 0..15", madvise(p, 16 * PG, MADV_PAGEOUT));
	if (extras) {
		/* Read, never written: every PTE maps the shared zero page. */
		volatile unsigned char *z = map_at(ZERO_AT, ZERO_PAGES * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if (z != MAP_FAILED) {
			r.zero = (unsigned long)z;
			step(&r, "zero: madvise NOHUGEPAGE", madvise((void *)z, ZERO_PAGES * PG, MADV_NOHUGEPAGE));
			unsigned sum = 0;
			for (unsigned long i = 0; i < ZERO_PAGES; i++)
				sum += z[i * PG + 8];
			errno = EIO;
			step(&r, "zero: read every page (sum 0)", sum == 0 ? 0 : -1);
		} else {
			step(&r, "zero: mmap", -1);
		}
		int prio = SWAP_FLAG_PREFER | (ZRAM1_PRIO << SWAP_FLAG_PRIO_SHIFT);
		step(&r, "swapon /dev/zram1 prio 10", swapon("/dev/zram1", prio));
		step(&r, "swapoff /dev/zram1 (drains the swap slot caches)", swapoff("/dev/zram1"));
		step(&r, "swapon /dev/zram1 prio 10 again", swapon("/dev/zram1", prio));
		step(&r, "MADV_PAGEOUT pages 50..53", madvise(p + 50 * PG, 4 * PG, MADV_PAGEOUT));
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	step(&r, "sigaction SIGBUS", sigaction(SIGBUS, &sa, NULL));
	step(&r, "MADV_HWPOISON page 20", madvise(p + 20 * PG, PG, MADV_HWPOISON));
	if (sigbus_count) {
		size_t n = strlen(r.steps);
		snprintf(r.steps + n, sizeof r.steps - n,
			 "SIGBUS caught: %d time(s), si_code %d%s, si_addr %p\n", (int)sigbus_count,
			 (int)sigbus_code, sigbus_code == BUS_MCEERR_AR ? " (BUS_MCEERR_AR)" :
			 sigbus_code == BUS_MCEERR_AO ? " (BUS_MCEERR_AO)" : "", sigbus_addr);
	}
	int e = write_file("/proc/self/clear_refs", "4");
	errno = -e;
	step(&r, "clear_refs 4", e);
	for (unsigned long i = 30; i <= 35; i++)
		fill(p + i * PG, 0x7669, i, 2);
	step(&r, "MADV_PAGEOUT pages 34..35", madvise(p + 34 * PG, 2 * PG, MADV_PAGEOUT));
	step(&r, "mprotect PROT_NONE pages 40..41", mprotect(p + 40 * PG, 2 * PG, PROT_NONE));
	uffd_regions(&r);
	if (extras) {
		unsigned char *g = map_at(GUARD_AT, GUARD_PAGES * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if (g != MAP_FAILED) {
			r.guard = (unsigned long)g;
			step(&r, "guard: madvise NOHUGEPAGE", madvise(g, GUARD_PAGES * PG, MADV_NOHUGEPAGE));
			fill(g, 0x6775, 0, 1);
			fill(g + 3 * PG, 0x6775, 3, 1);
			step(&r, "guard: MADV_GUARD_INSTALL pages 1..2", madvise(g + PG, 2 * PG, MADV_GUARD_INSTALL));
		} else {
			step(&r, "guard: mmap", -1);
		}
	}
done:
	victim_done(tell, &r, sizeof r);
}

/* ---------------------------------------------------------------- init */

int main(void)
{
	guest_setup(0);
	extras = cmdline_has("victim.extras=1");
	say("init: extras %s\n", extras ? "on" : "off");
	if (extras)
		do_mount("debugfs", "/sys/kernel/debug", "debugfs");

	load_modules();
	guest_fw_cfg();
	setup_swap();

	static struct report r;
	pid_t pid = start_victim(victim, &r, sizeof r); /* then mlockall */

	char regions[512];
	int n = snprintf(regions, sizeof regions,
		 "region %016lx %d pages\n"
		 "uffd-anon %016lx %d pages\n"
		 "uffd-shmem %016lx %d pages\n"
		 "thp %016lx %d pages\n"
		 , r.region, NPAGES, r.uanon, UANON_PAGES, r.ushm, USHM_PAGES, r.thp, THP_PAGES);
	if (extras)
		snprintf(regions + n, sizeof regions - n,
			 "zero %016lx %d pages\n"
			 "guard %016lx %d pages\n"
			 , r.zero, ZERO_PAGES, r.guard, GUARD_PAGES);
	dump_victim(pid, regions, r.steps);
	dump_file("swaps", "/proc/swaps");
	dump_file("meminfo", "/proc/meminfo");
	dump_dmesg();
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	if (extras && !dump_page_tables_dir("/sys/kernel/debug/page_tables"))
		out("init: no /sys/kernel/debug/page_tables\n");
	ready_forever();
}
