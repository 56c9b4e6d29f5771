#!/usr/bin/env python3
"""Cross-check a capture: QEMU's `info tlb` (CPU 0) against the kernel's ptdump.

Usage: check-tlb.py CAPTURE_DIR [PTDUMP_NAME]   (default: current_kernel)

Every kernel-half page `info tlb` lists must fall in a ptdump range that has
attributes (a present range), and every present kernel-half ptdump range must
contain at least one `info tlb` page. ESPfix pages past the kernel's 16-line cap
for that area ("... N entries skipped ...") are counted apart. Only the kernel
half is compared: CPU 0 runs init, so its CR3 is init's, whose kernel half is
what current_kernel prints. Exit status 1 on any disagreement.
"""
import bisect
import re
import sys

KERNEL_HALF = 0xFF00000000000000          # below every 4- and 5-level kernel address
ESPFIX = (0xFFFFFF0000000000, 0xFFFFFF8000000000)  # ESPFIX_BASE_ADDR, one P4D/PGD slot


def main():
    d = sys.argv[1]
    name = sys.argv[2] if len(sys.argv) > 2 else "current_kernel"
    ranges = []
    for line in open(f"{d}/page_tables/{name}.txt"):
        m = re.match(r"0x([0-9a-f]+)-0x([0-9a-f]+)\s+\S+\s+(.*)$", line)
        if m:
            start, end = int(m[1], 16), int(m[2], 16) or 1 << 64
            present = len(m[3].split()) > 1   # a bare level name means not present
            ranges.append((start, end, present))
    starts = [r[0] for r in ranges]
    matched, espfix_capped, bad, seen = 0, 0, [], set()
    for line in open(f"{d}/info-tlb.txt"):
        m = re.match(r"([0-9a-f]+): [0-9a-f]+ ", line)
        if not m or int(m[1], 16) < KERNEL_HALF:
            continue
        va = int(m[1], 16)
        i = bisect.bisect_right(starts, va) - 1
        inside = i >= 0 and ranges[i][0] <= va < ranges[i][1]
        if not inside and ESPFIX[0] <= va < ESPFIX[1]:
            espfix_capped += 1
        elif inside and ranges[i][2]:
            matched += 1
            seen.add(i)
        else:
            bad.append(va)
    unseen = [r for i, r in enumerate(ranges)
              if r[2] and r[0] >= KERNEL_HALF and i not in seen]
    print(f"{d} {name}: {matched} info-tlb kernel pages inside present ptdump ranges, "
          f"{len(bad)} outside, {espfix_capped} ESPfix pages past ptdump's cap, "
          f"{len(unseen)} present ptdump ranges with no info-tlb page")
    for va in bad[:5]:
        print(f"  outside: {va:#x}")
    for r in unseen[:5]:
        print(f"  unseen: {r[0]:#x}-{r[1]:#x}")
    sys.exit(1 if bad or unseen else 0)


if __name__ == "__main__":
    main()
