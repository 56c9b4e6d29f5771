/*
 * The floor a listing is measured against, as a whole process: open an ELF
 * core, read its program headers, and read each page the listing reads, once
 * (the list from `kptdump-bench pages`: "HEXADDRESS COUNT" lines). Nothing
 * else: no symbols, no VMCOREINFO, no output but a count. Any tool that
 * prints the listing must do at least this much.
 *
 *   cc -O2 -o floor floor.c && ./floor vmcore.elf pages.txt
 */
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: floor ELF-CORE PAGES\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	Elf64_Ehdr eh;
	if (fd < 0 || pread(fd, &eh, sizeof eh, 0) != sizeof eh || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "floor: %s: not a 64-bit ELF core\n", argv[1]);
		return 2;
	}
	Elf64_Phdr *ph = calloc(eh.e_phnum, sizeof *ph);
	if (!ph || pread(fd, ph, eh.e_phnum * sizeof *ph, eh.e_phoff) != (ssize_t)(eh.e_phnum * sizeof *ph)) {
		fprintf(stderr, "floor: %s: cannot read the program headers\n", argv[1]);
		return 2;
	}
	FILE *list = fopen(argv[2], "r");
	if (!list) {
		perror(argv[2]);
		return 2;
	}
	static unsigned char buf[1 << 16];
	unsigned long long address, reads = 0, missing = 0, sum = 0;
	int count;
	while (fscanf(list, "%llx %d", &address, &count) == 2) {
		if (count <= 0 || count > (int)sizeof buf)
			continue;
		int found = 0;
		for (int i = 0; i < eh.e_phnum && !found; i++) {
			if (ph[i].p_type != PT_LOAD || address < ph[i].p_paddr ||
			    address + count > ph[i].p_paddr + ph[i].p_filesz)
				continue;
			found = pread(fd, buf, count, ph[i].p_offset + (address - ph[i].p_paddr)) == count;
		}
		if (!found) {
			missing++;
			continue;
		}
		sum += buf[0] + buf[count - 1];
		reads++;
	}
	printf("%llu reads, %llu not in the core (checksum %llu)\n", reads, missing, sum);
	return 0;
}
