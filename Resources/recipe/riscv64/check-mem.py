#!/usr/bin/env python3
"""Cross-check a riscv64 capture: QEMU's `info mem` against the kernel's ptdump.

Usage: check-mem.py CAPTURE_DIR

`info mem` (QEMU's riscv monitor) walks the current satp and prints
"vaddr paddr size attr" runs, attr being r w x u g a d or '-'. The kernel's
listing prints ranges with D A G U X W R V flags, and only the first page's
physical address (arch/riscv/mm/ptdump.c does not split a range where the
physical addresses jump).

Kernel half only (virtual addresses with bit 63 set): satp holds init's table,
whose kernel half is a copy of swapper_pg_dir's. Checks:
  1. after merging touching runs with equal flags, both give the same list of
     (start, end, flags);
  2. each ptdump range's physical address equals what `info mem` translates
     its first virtual address to.
Exit status 1 on any disagreement.
"""
import bisect
import re
import sys

FLAGS = "rwxugad"


def merge(runs):
    out = []
    for s, e, f in sorted(runs):
        if out and out[-1][1] == s and out[-1][2] == f:
            out[-1] = (out[-1][0], e, f)
        else:
            out.append((s, e, f))
    return out


def main():
    d = sys.argv[1]
    pt, pt_pa = [], []
    for line in open(f"{d}/page_tables/kernel_page_tables.txt"):
        m = re.match(r"0x([0-9a-f]+)-0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S+ \S+ (.*)$", line)
        if not m:
            continue
        s, e, pa = int(m[1], 16), int(m[2], 16) or 1 << 64, int(m[3], 16)
        bits = m[4].split()
        if "V" not in bits:
            continue
        f = "".join(c if c.upper() in bits else "-" for c in FLAGS)
        pt.append((s, e, f))
        pt_pa.append((s, pa))
    mem = []
    for line in open(f"{d}/info-mem.txt"):
        m = re.match(r"([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16}) ([rwxugad-]{7})$", line.strip())
        if not m:
            continue
        va, pa, size = int(m[1], 16), int(m[2], 16), int(m[3], 16)
        if va >> 63:
            mem.append((va, va + size, m[4], pa))
    a = merge(pt)
    b = merge([(s, e, f) for s, e, f, _ in mem])
    ok = a == b
    if not ok:
        sa, sb = set(a), set(b)
        for r in sorted(sa - sb)[:5]:
            print(f"  only ptdump:   {r[0]:#x}-{r[1]:#x} {r[2]}")
        for r in sorted(sb - sa)[:5]:
            print(f"  only info mem: {r[0]:#x}-{r[1]:#x} {r[2]}")
    starts = [r[0] for r in mem]
    pa_bad = 0
    for va, pa in pt_pa:
        i = bisect.bisect_right(starts, va) - 1
        if i < 0 or not (mem[i][0] <= va < mem[i][1]) or mem[i][3] + (va - mem[i][0]) != pa:
            pa_bad += 1
            print(f"  physical address differs at {va:#x}: ptdump {pa:#x}")
    print(f"{d}: {len(pt)} present ptdump ranges, {len(mem)} kernel info-mem runs; "
          f"merged by flags: {len(a)} vs {len(b)} ranges, "
          f"{'identical' if ok else 'DIFFERENT'}; {pa_bad} first-page physical addresses differ")
    sys.exit(0 if ok and pa_bad == 0 else 1)


if __name__ == "__main__":
    main()
