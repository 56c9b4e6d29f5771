/*
 * Static /init for the x86_64-hmm capture (built by ../lib/initramfs.sh, called
 * from capture.sh beside this file). The kernel is build-kernel.sh's, with the
 * HMM test driver lib/test_hmm.c built in (/dev/hmm_dmirror0, /dev/hmm_dmirror1,
 * both backed by fake MEMORY_DEVICE_PRIVATE memory).
 *
 * 1. Mounts proc, sysfs, devtmpfs and debugfs.
 * 2. Forks "victim", which opens /dev/hmm_dmirror0 (the driver mirrors the
 *    opener's mm), maps anonymous regions at fixed addresses
 *    (MAP_FIXED_NOREPLACE, MADV_NOHUGEPAGE, far apart), writes every page with
 *    a distinct pattern, and makes (page numbers within a region):
 *      "dev"   16 pages at 0x10000000
 *              4..7   mprotect(PROT_READ) first
 *              0..7   HMM_DMIRROR_MIGRATE_TO_DEV -> device-private entries:
 *                     0..3 SWP_DEVICE_WRITE, 4..7 SWP_DEVICE_READ (the
 *                     migration entry, and then the device entry, keep the
 *                     PTE's write permission)
 *              8..15  left present
 *      "excl"  8 pages at 0x20000000
 *              0..3   HMM_DMIRROR_EXCLUSIVE -> SWP_DEVICE_EXCLUSIVE_WRITE
 *                     (make_device_exclusive_range() takes the pages with
 *                     FOLL_WRITE, so the PTEs are writable when replaced)
 *              6..7   mprotect(PROT_READ), then HMM_DMIRROR_EXCLUSIVE: an
 *                     attempt at SWP_DEVICE_EXCLUSIVE_READ, expected to fail
 *                     (FOLL_WRITE on a read-only VMA); its errno is recorded
 *              4..5   left present
 *      "poison" 4 pages at 0x30000000
 *              1      MADV_HWPOISON -> hwpoison entry (offset = PFN)
 *    For each ioctl the victim records the result, cpages, and whether the data
 *    the driver read back (cmd.ptr) equals what was written. It keeps the
 *    dmirror fd open (closing it would drop the mirror) and pauses forever, never
 *    touching those pages again (a CPU access would migrate a device page back
 *    or restore an exclusive entry).
 * 3. init prints, between "=== BEGIN name ===" / "=== END name ===" lines:
 *      victim   pid, and each region's name, address and page count
 *      steps    what the victim did, with errno for anything that failed
 *      maps     /proc/PID/maps
 *      pagemap  one line per page of every user VMA of the victim:
 *               "VA PAGEMAP" (16 hex digits each)
 *      smaps    /proc/PID/smaps
 *      iomem    /proc/iomem (the hmm_dmirror device-private ranges)
 *      meminfo  /proc/meminfo
 *      dmesg    the kernel log (klogctl READ_ALL)
 *      vmcoreinfo, cmdline
 *    then READY, and pauses forever. init calls mlockall after the victim
 *    reported (reading pagemap or smaps does not fault the victim's pages).
 *
 * Build: gcc -static -O2 -Wall -o init init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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
#include <unistd.h>

#define PG 4096UL
#define DEV_AT 0x10000000UL
#define DEV_PAGES 16
#define EXCL_AT 0x20000000UL
#define EXCL_PAGES 8
#define POISON_AT 0x30000000UL
#define POISON_PAGES 4

#include "../lib/guest.h"

/* lib/test_hmm_uapi.h (Linux 6.1) */
struct hmm_dmirror_cmd {
	uint64_t addr;
	uint64_t ptr;
	uint64_t npages;
	uint64_t cpages;
	uint64_t faults;
};
#define HMM_DMIRROR_MIGRATE_TO_DEV _IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_EXCLUSIVE _IOWR('H', 0x05, struct hmm_dmirror_cmd)
_Static_assert(HMM_DMIRROR_MIGRATE_TO_DEV == 0xc0284802, "ioctl number");
_Static_assert(HMM_DMIRROR_EXCLUSIVE == 0xc0284805, "ioctl number");

/* ---------------------------------------------------------------- victim */

struct report {
	unsigned long dev, excl, poison;
	char steps[3000];
};


static void fill(unsigned char *p, unsigned long tag, unsigned long page)
{
	uint64_t *w = (uint64_t *)p;
	for (unsigned long i = 0; i < PG / 8; i++)
		w[i] = (tag << 48) ^ (page << 20) ^ (i * 0x9e3779b1UL);
}

static void *map_at(unsigned long at, size_t len)
{
	void *p = mmap((void *)at, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p;
}

/* One dmirror ioctl over pages [first, first+n) of region p (tag for the data
 * check); records the result, cpages, faults and whether the driver's copy of
 * the data (cmd.ptr) equals the pattern written. */
static void dmirror(struct report *r, int fd, unsigned long req, const char *name,
		    unsigned char *p, unsigned long tag, unsigned long first, unsigned long n)
{
	static unsigned char buf[64 * 4096];
	struct hmm_dmirror_cmd cmd = {
		.addr = (uint64_t)(unsigned long)(p + first * PG),
		.ptr = (uint64_t)(unsigned long)buf,
		.npages = n,
	};
	memset(buf, 0, n * PG);
	int rc = ioctl(fd, req, &cmd);
	int e = errno;
	if (rc != 0) {
		note(r, "%s pages %lu..%lu: %s (errno %d)\n", name, first, first + n - 1, strerror(e), e);
		return;
	}
	unsigned long same = 0;
	static unsigned char want[4096];
	for (unsigned long i = 0; i < n; i++) {
		fill(want, tag, first + i);
		same += memcmp(buf + i * PG, want, PG) == 0;
	}
	note(r, "%s pages %lu..%lu: ok, cpages %llu, faults %llu, data read back equal on %lu of %lu pages\n",
	     name, first, first + n - 1, (unsigned long long)cmd.cpages,
	     (unsigned long long)cmd.faults, same, n);
}

static void victim(int tell)
{
	static struct report r;
	prctl(PR_SET_NAME, "victim");
	int fd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		step(&r, "open /dev/hmm_dmirror0", -1);
	} else {
		step(&r, "open /dev/hmm_dmirror0", 0);
	}
	unsigned char *d = map_at(DEV_AT, DEV_PAGES * PG);
	unsigned char *x = map_at(EXCL_AT, EXCL_PAGES * PG);
	unsigned char *h = map_at(POISON_AT, POISON_PAGES * PG);
	if (d == MAP_FAILED || x == MAP_FAILED || h == MAP_FAILED) {
		step(&r, "mmap", -1);
		goto done;
	}
	r.dev = (unsigned long)d;
	r.excl = (unsigned long)x;
	r.poison = (unsigned long)h;
	step(&r, "dev: madvise NOHUGEPAGE", madvise(d, DEV_PAGES * PG, MADV_NOHUGEPAGE));
	step(&r, "excl: madvise NOHUGEPAGE", madvise(x, EXCL_PAGES * PG, MADV_NOHUGEPAGE));
	step(&r, "poison: madvise NOHUGEPAGE", madvise(h, POISON_PAGES * PG, MADV_NOHUGEPAGE));
	for (unsigned long i = 0; i < DEV_PAGES; i++)
		fill(d + i * PG, 0x6476, i);
	for (unsigned long i = 0; i < EXCL_PAGES; i++)
		fill(x + i * PG, 0x7863, i);
	for (unsigned long i = 0; i < POISON_PAGES; i++)
		fill(h + i * PG, 0x6870, i);
	if (fd < 0)
		goto done;

	step(&r, "dev: mprotect PROT_READ pages 4..7", mprotect(d + 4 * PG, 4 * PG, PROT_READ));
	dmirror(&r, fd, HMM_DMIRROR_MIGRATE_TO_DEV, "dev: HMM_DMIRROR_MIGRATE_TO_DEV", d, 0x6476, 0, 8);
	dmirror(&r, fd, HMM_DMIRROR_EXCLUSIVE, "excl: HMM_DMIRROR_EXCLUSIVE", x, 0x7863, 0, 4);
	step(&r, "excl: mprotect PROT_READ pages 6..7", mprotect(x + 6 * PG, 2 * PG, PROT_READ));
	dmirror(&r, fd, HMM_DMIRROR_EXCLUSIVE, "excl: HMM_DMIRROR_EXCLUSIVE (read-only VMA)", x, 0x7863, 6, 2);
	step(&r, "poison: MADV_HWPOISON page 1", madvise(h + PG, PG, MADV_HWPOISON));
	/* fd stays open: the victim never exits. */
done:
	victim_done(tell, &r, sizeof r);
}

/* ---------------------------------------------------------------- init */

int main(void)
{
	guest_setup(1);
	guest_fw_cfg();
	out(access("/dev/hmm_dmirror0", F_OK) == 0
		    ? "init: /dev/hmm_dmirror0 found\n"
		    : "init: /dev/hmm_dmirror0 NOT found\n");

	static struct report r;
	pid_t pid = start_victim(victim, &r, sizeof r); /* then mlockall */

	char regions[512];
	snprintf(regions, sizeof regions,
		 "dev %016lx %d pages\n"
		 "excl %016lx %d pages\n"
		 "poison %016lx %d pages\n"
		 , r.dev, DEV_PAGES, r.excl, EXCL_PAGES, r.poison, POISON_PAGES);
	dump_victim(pid, regions, r.steps);
	dump_file("iomem", "/proc/iomem");
	dump_file("meminfo", "/proc/meminfo");
	dump_dmesg();
	dump_file("vmcoreinfo", "/sys/kernel/vmcoreinfo");
	dump_file("cmdline", "/proc/cmdline");
	ready_forever();
}
