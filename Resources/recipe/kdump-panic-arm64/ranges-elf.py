#!/usr/bin/env python3
"""Write an ELF64 core header whose PT_LOADs name physical ranges (no data), for
../kdump/kdump-subset.py, which reads only the PT_LOADs' p_paddr and p_filesz.

Usage: ranges-elf.py OUT SNAPSHOT_OR_RANGE...
Each argument is a `kptdump snapshot` core (its PT_LOADs are taken) or a range
PADDR+SIZE in hex (e.g. 0x413b075c+0x49b7db). The union, page-aligned, is written.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kdump"))
from kdumpinfo import elf_loads  # noqa: E402


def main():
    out, args = sys.argv[1], sys.argv[2:]
    pages = set()
    for a in args:
        spans = [tuple(int(x, 16) for x in a.split("+"))] if "+" in a else \
                [(pa, sz) for pa, sz, _ in elf_loads(a)]
        for pa, sz in spans:
            pages.update(range(pa >> 12, ((pa + sz - 1) >> 12) + 1))
    runs = []
    for p in sorted(pages):
        if runs and runs[-1][1] == p:
            runs[-1][1] = p + 1
        else:
            runs.append([p, p + 1])
    phnum = len(runs)
    ehdr = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 4, 183, 1, 0, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
    with open(out, "wb") as f:
        f.write(ehdr)
        for s, e in runs:
            f.write(struct.pack("<IIQQQQQQ", 1, 4, 0, 0, s << 12, (e - s) << 12, (e - s) << 12, 4096))
    print(f"{out}: {len(pages)} pages in {phnum} ranges")


if __name__ == "__main__":
    main()
