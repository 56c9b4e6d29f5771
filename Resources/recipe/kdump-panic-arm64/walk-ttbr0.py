#!/usr/bin/env python3
"""Independent walk of a user table from a CPU's TTBR0_EL1 (the truth), against a listing.

Usage: walk-ttbr0.py VMCORE_ELF TTBR_FILE LISTING

TTBR_FILE is a capture's ttbr-cpuN.txt ("NAME 0x..." lines: TTBR0_EL1, TCR_EL1);
LISTING is kptdump's `--pid PID` text for the task that CPU ran. The walk (4K
granule; levels and VA size from TCR_EL1.T0SZ; ASID bits 63:48 and CnP bit 0 of
TTBR0 masked off) reads the dump by physical address, builds each valid leaf's
attribute text with ../arm64/check-walk.py's copy of the 6.1 ptdump pte_bits,
merges neighbours with the same level and text, and compares with the
listing's mapped ranges (holes are not compared). Exit 0 when equal.
"""
import importlib.util
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
spec = importlib.util.spec_from_file_location("check_walk", os.path.join(HERE, "..", "arm64", "check-walk.py"))
cw = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cw)


def main():
    core, ttbr_file, listing = sys.argv[1:4]
    regs = {k: int(v, 16) for k, v in cw.kv(ttbr_file, " ").items()}
    ttbr0, tcr = regs["TTBR0_EL1"], regs["TCR_EL1"]
    t0sz = tcr & 0x3f
    va_bits, shift, stride = 64 - t0sz, 12, 9
    nlev = -(-(va_bits - shift) // stride)
    names = ["PGD", "PUD", "PMD", "PTE"][4 - nlev:] if nlev < 4 else ["PGD", "PUD", "PMD", "PTE"]
    root = ttbr0 & ((1 << 48) - 1) & ~1
    dump = cw.Dump(core)
    leaves = []

    def walk(pa, level, va_base):
        lshift = shift + (nlev - 1 - level) * stride
        n = (1 << (va_bits - lshift)) if level == 0 else (1 << stride)
        for i, d in enumerate(struct.unpack(f"<{n}Q", dump.read(pa, n * 8))):
            if d == 0:
                continue
            va = va_base + (i << lshift)
            end = va + (1 << lshift)
            if d & 1 and level < nlev - 1 and d & 2:
                walk(d & ((1 << 48) - 1) & ~0xfff, level + 1, va)
            elif d & 1:
                leaves.append((va, end, names[level], cw.prot_text(d & cw.PROT_MASK)))
            # invalid non-zero user entries (swap, PROT_NONE) are not leaves of the
            # listing's text either way; none in these tasks after mlockall

    walk(root, 0, 0)
    mine = cw.merge(leaves)
    line_re = re.compile(r"^0x([0-9a-f]{16})-0x([0-9a-f]{16})   [ 0-9]*[0-9][KMGTPE] (\w+)( .*)?$")
    listed = []
    for line in open(listing):
        m = line_re.match(line.rstrip("\n"))
        if m and m.group(4):
            listed.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4)))
    theirs = cw.merge(listed)
    print(f"walk: TTBR0_EL1=0x{ttbr0:016x} -> root 0x{root:x}, T0SZ={t0sz} ({va_bits}-bit VA), "
          f"{nlev} levels; {len(leaves)} leaves -> {len(mine)} ranges; listing: {len(theirs)} mapped ranges")
    if mine == theirs:
        print("walk OK: the tables under TTBR0 give exactly the listing's mapped ranges and attributes")
        return 0
    for r in sorted(set(mine) - set(theirs))[:10]:
        print(f"  only in walk:    0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    for r in sorted(set(theirs) - set(mine))[:10]:
        print(f"  only in listing: 0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    print("walk MISMATCH")
    return 1


if __name__ == "__main__":
    sys.exit(main())
