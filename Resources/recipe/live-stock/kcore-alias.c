/*
 * kcore-alias: reads physical pages through each /proc/kcore PT_LOAD segment
 * that covers them, to show where two aliases of one page disagree. On x86-64
 * the kernel image's physical range is covered twice: by the KCORE_TEXT
 * segment (the image's virtual alias, 0xffffffff8...) and by a KCORE_RAM
 * segment (the direct map). The kernel reads KCORE_TEXT through the image
 * alias and fills zeros where that alias is not mapped; with PTI, 6.1's
 * free_kernel_image_pages() unmaps the image alias of the memory it frees
 * (__init, and the gaps after the text and rodata), which the page allocator
 * then hands out again, page tables included.
 *
 * Usage (as root, static; built by run.sh):
 *   kcore-alias scan          every page of every physical range covered by
 *                             two segments: how many read the same, how many
 *                             are zeros through one alias only, other
 *   kcore-alias notes         the PT_NOTE notes: name, type, size (live `ps`
 *                             counts CPUs by CORE/NT_PRSTATUS notes)
 *   kcore-alias PHYS...       for each page: each covering segment's vaddr,
 *                             nonzero bytes and first 4 qwords
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096
static Elf64_Phdr *ph;
static int nph, fd;

static int read_page(const Elf64_Phdr *p, uint64_t pa, unsigned char *buf)
{
	off_t off = (off_t)(p->p_offset + (pa - p->p_paddr));
	return pread(fd, buf, PAGE, off) == PAGE ? 0 : -1;
}

static int covers(const Elf64_Phdr *p, uint64_t pa)
{
	return p->p_type == PT_LOAD && p->p_paddr != (uint64_t)-1 && pa >= p->p_paddr &&
	       pa - p->p_paddr + PAGE <= p->p_memsz;
}

static int nonzero(const unsigned char *b)
{
	int n = 0;
	for (int i = 0; i < PAGE; i++)
		n += b[i] != 0;
	return n;
}

int main(int argc, char **argv)
{
	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0) {
		perror("/proc/kcore");
		return 2;
	}
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != sizeof eh)
		return 2;
	nph = eh.e_phnum;
	ph = calloc(nph, sizeof *ph);
	if (pread(fd, ph, nph * sizeof *ph, eh.e_phoff) != (ssize_t)(nph * sizeof *ph))
		return 2;
	unsigned char a[PAGE], b[PAGE];
	if (argc > 1 && strcmp(argv[1], "notes") == 0) {
		for (int i = 0; i < nph; i++) {
			if (ph[i].p_type != PT_NOTE)
				continue;
			unsigned char *n = malloc(ph[i].p_filesz);
			if (pread(fd, n, ph[i].p_filesz, ph[i].p_offset) != (ssize_t)ph[i].p_filesz)
				return 2;
			for (size_t o = 0; o + sizeof(Elf64_Nhdr) <= ph[i].p_filesz;) {
				Elf64_Nhdr *h = (Elf64_Nhdr *)(n + o);
				const char *name = (const char *)(h + 1);
				printf("note %.*s type %u size %u\n", (int)(h->n_namesz ? h->n_namesz - 1 : 0), name,
				       h->n_type, h->n_descsz);
				o += sizeof *h + ((h->n_namesz + 3) & ~3u) + ((h->n_descsz + 3) & ~3u);
			}
		}
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "scan") == 0) {
		for (int i = 0; i < nph; i++)
			for (int j = 0; j < nph; j++) {
				if (i == j || !covers(&ph[i], ph[i].p_paddr) || ph[j].p_type != PT_LOAD ||
				    ph[j].p_paddr == (uint64_t)-1)
					continue;
				/* the part of i's range that j covers too, once per pair */
				if (ph[i].p_memsz > ph[j].p_memsz || (ph[i].p_memsz == ph[j].p_memsz && i > j))
					continue;
				uint64_t lo = ph[i].p_paddr, hi = ph[i].p_paddr + ph[i].p_memsz;
				long covered = 0, same = 0, zero_i = 0, zero_j = 0, other = 0, unread = 0, both_zero = 0;
				for (uint64_t pa = lo; pa + PAGE <= hi; pa += PAGE) {
					if (!covers(&ph[j], pa))
						continue;
					covered++;
					if (read_page(&ph[i], pa, a) || read_page(&ph[j], pa, b)) {
						unread++;
						continue;
					}
					int za = nonzero(a) == 0, zb = nonzero(b) == 0;
					if (memcmp(a, b, PAGE) == 0)
						*(za ? &both_zero : &same) += 1;
					else if (za)
						zero_i++;
					else if (zb)
						zero_j++;
					else
						other++;
				}
				if (!covered)
					continue;
				printf("segments vaddr 0x%" PRIx64 " and 0x%" PRIx64 " share physical 0x%" PRIx64
				       "-0x%" PRIx64 ": %ld pages equal (%ld of them zeros), %ld zeros only through 0x%" PRIx64
				       ", %ld zeros only through 0x%" PRIx64 ", %ld differing otherwise, %ld unreadable\n",
				       ph[i].p_vaddr, ph[j].p_vaddr, lo, hi, same + both_zero, both_zero, zero_i,
				       ph[i].p_vaddr, zero_j, ph[j].p_vaddr, other, unread);
			}
		return 0;
	}
	for (int k = 1; k < argc; k++) {
		uint64_t pa = strtoull(argv[k], NULL, 16) & ~(uint64_t)(PAGE - 1);
		for (int i = 0; i < nph; i++) {
			if (!covers(&ph[i], pa))
				continue;
			if (read_page(&ph[i], pa, a)) {
				printf("0x%" PRIx64 " via segment vaddr 0x%" PRIx64 ": unreadable\n", pa, ph[i].p_vaddr);
				continue;
			}
			uint64_t q[4];
			memcpy(q, a, sizeof q);
			printf("0x%" PRIx64 " via segment vaddr 0x%" PRIx64 " (at 0x%" PRIx64 "): %d nonzero bytes;"
			       " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n",
			       pa, ph[i].p_vaddr, ph[i].p_vaddr + (pa - ph[i].p_paddr), nonzero(a), q[0], q[1], q[2], q[3]);
		}
	}
	return 0;
}
