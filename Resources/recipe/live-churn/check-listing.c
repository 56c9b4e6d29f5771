/*
 * check-listing: self-consistency check of one x86 ptdump-style listing
 * (kptdump's output, or /sys/kernel/debug/page_tables/<table>).
 *
 * Usage: check-listing [FILE]        (stdin without FILE)
 *
 * Every line must be one of
 *   ---[ <name> ]---                         an address marker (skipped)
 *   ... <n> entries skipped ...              the ESPfix line cap (skipped)
 *   0x<16 hex>-0x<16 hex> <size><unit> ...   a range
 * and for the ranges:
 *   - start < end (an end of 0x0000000000000000 is 2^64: the last range);
 *   - start >= the previous range's end: no overlap, addresses increasing
 *     (an error otherwise: "overlap");
 *   - start == the previous range's end unless an "entries skipped" line came
 *     between (the kernel's listing has no holes; an error otherwise: "gap");
 *   - the size column is what arch/x86/mm/dump_pagetables.c prints for
 *     end - start ("%9lu%c" in the largest of B K M G T P E that divides it);
 *   - nothing after a range that ends at 2^64.
 * There must be at least one range.
 *
 * Prints one line:
 *   check: lines=L ranges=R markers=M skipped=S errors=E [first error ...]
 * plus one "check: line N: ..." line per error (the first 10), and exits 0
 * when there are no errors, 1 otherwise, 2 if the file cannot be read.
 *
 * Build: gcc -static -O2 -Wall -o check-listing check-listing.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int errors;
static char first_error[256];

static void error(long lineno, const char *what, const char *line)
{
	char msg[256];
	snprintf(msg, sizeof msg, "line %ld: %s: %.120s", lineno, what, line);
	if (errors == 0)
		snprintf(first_error, sizeof first_error, "%s", msg);
	if (errors < 10)
		printf("check: %s\n", msg);
	errors++;
}

/* The size column the kernel prints for a range of delta bytes. */
static void kernel_size(uint64_t delta, char *buf, size_t n)
{
	static const char units[] = "BKMGTPE";
	const char *unit = units;
	while (!(delta & 1023) && unit[1]) {
		delta >>= 10;
		unit++;
	}
	snprintf(buf, n, "%" PRIu64 "%c", delta, *unit);
}

int main(int argc, char **argv)
{
	FILE *f = stdin;
	if (argc > 1 && !(f = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 2;
	}
	char line[4096];
	long lineno = 0, ranges = 0, markers = 0, skipped = 0;
	uint64_t prev_end = 0;
	int have_prev = 0, wrapped = 0, skip_since = 0;

	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		else if (!feof(f)) {
			error(lineno, "line too long", line);
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (strncmp(line, "---[ ", 5) == 0 && len >= 10 &&
		    strcmp(line + len - 5, " ]---") == 0) {
			markers++;
			continue;
		}
		unsigned long n;
		char tail[64];
		if (sscanf(line, "... %lu entries skipped ..%63s", &n, tail) == 2 ||
		    sscanf(line, "... %lu entry skipped ..%63s", &n, tail) == 2) {
			skipped++;
			skip_since = 1;
			continue;
		}
		uint64_t start, end;
		char size[64];
		int pos = 0;
		if (strncmp(line, "0x", 2) != 0 || len < 37 || line[18] != '-' ||
		    sscanf(line, "0x%16" SCNx64 "-0x%16" SCNx64 " %63s%n", &start,
			   &end, size, &pos) != 3) {
			error(lineno, "not a ptdump line", line);
			continue;
		}
		ranges++;
		if (wrapped)
			error(lineno, "range after the one ending at 2^64", line);
		int ends_at_top = (end == 0);
		if (!ends_at_top && end <= start)
			error(lineno, "end <= start", line);
		if (have_prev && !wrapped) {
			if (start < prev_end)
				error(lineno, "overlap (start < previous end)", line);
			else if (start > prev_end && !skip_since)
				error(lineno, "gap (start > previous end, no skipped line between)", line);
		}
		char want[64];
		kernel_size(end - start, want, sizeof want);
		if (strcmp(size, want) != 0) {
			char msg[160];
			snprintf(msg, sizeof msg, "size column %s, expected %s", size, want);
			error(lineno, msg, line);
		}
		prev_end = end;
		have_prev = 1;
		skip_since = 0;
		if (ends_at_top)
			wrapped = 1;
	}
	if (ferror(f)) {
		perror("read");
		return 2;
	}
	if (ranges == 0)
		error(lineno, "no ranges at all", "");
	printf("check: lines=%ld ranges=%ld markers=%ld skipped=%ld errors=%d%s%s\n",
	       lineno, ranges, markers, skipped, errors, errors ? " first: " : "",
	       errors ? first_error : "");
	return errors ? 1 : 0;
}
