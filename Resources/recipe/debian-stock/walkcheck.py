#!/usr/bin/env python3
"""Cross-check info-tlb.txt against the page tables inside vmcore.elf (stdlib only).

Usage: walkcheck.py OUTDIR [STEP]
Walks the tables from CPU 0's CR3 (from info-registers.txt; 5 levels when CR4.LA57
is set) inside OUTDIR/vmcore.elf for every STEP-th line of OUTDIR/info-tlb.txt (default
every line) and checks that the walk reaches a present leaf with the same physical
address. Also checks that the kernel half (entries 256..511) of CPU 0's top table equals
that of init_top_pgt (SYMBOL(init_top_pgt) and phys_base from the VMCOREINFO note).
"""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the repository
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import elfnotes  # noqa: E402

PHYS_MASK = 0x000FFFFFFFFFF000


class Mem:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.f.seek(32)
        phoff = struct.unpack("<Q", self.f.read(8))[0]
        self.f.seek(54)
        phentsize, phnum = struct.unpack("<HH", self.f.read(4))
        self.loads = []
        for i in range(phnum):
            self.f.seek(phoff + i * phentsize)
            p = struct.unpack("<IIQQQQQQ", self.f.read(56))
            if p[0] == 1:
                self.loads.append((p[4], p[5], p[2]))  # paddr, filesz, offset

    def read(self, paddr, n):
        for pa, sz, off in self.loads:
            if pa <= paddr and paddr + n <= pa + sz:
                self.f.seek(off + paddr - pa)
                return self.f.read(n)
        raise KeyError("physical %#x not in dump" % paddr)

    def q(self, paddr):
        return struct.unpack("<Q", self.read(paddr, 8))[0]


def walk(mem, cr3, va, levels):
    table = cr3 & PHYS_MASK
    shifts = [48, 39, 30, 21, 12][5 - levels:]
    for depth, shift in enumerate(shifts):
        e = mem.q(table + ((va >> shift) & 511) * 8)
        if not e & 1:
            return None
        last = depth == len(shifts) - 1
        if last or (e & 0x80 and shift in (30, 21)):
            size = 1 << shift
            base = e & PHYS_MASK & ~(size - 1)
            return base + (va & (size - 1))
        table = e & PHYS_MASK
    return None


def main():
    outdir = sys.argv[1]
    step = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    regs = open(os.path.join(outdir, "info-registers.txt")).read()
    cr3 = int(re.search(r"CR3=([0-9a-f]+)", regs).group(1), 16)
    cr4 = int(re.search(r"CR4=([0-9a-f]+)", regs).group(1), 16)
    levels = 5 if cr4 & (1 << 12) else 4
    vmcore = os.path.join(outdir, "vmcore.elf")
    info = {}
    for name, _t, desc in elfnotes.notes(vmcore):
        if name == "VMCOREINFO":
            for line in desc.rstrip(b"\0").decode().splitlines():
                k, _, v = line.partition("=")
                info[k] = v
    mem = Mem(vmcore)

    # kernel half of CR3's top table vs init_top_pgt
    itp = int(info["SYMBOL(init_top_pgt)"], 16)
    phys_base = int(info["NUMBER(phys_base)"])
    itp_pa = itp - 0xFFFFFFFF80000000 + phys_base
    top = mem.read(cr3 & PHYS_MASK, 4096)
    ref = mem.read(itp_pa, 4096)
    same = top[2048:] == ref[2048:]
    print("levels=%d CR3=%#x init_top_pgt pa=%#x kernel half equal: %s"
          % (levels, cr3, itp_pa, same))

    checked = bad = 0
    with open(os.path.join(outdir, "info-tlb.txt")) as f:
        for i, line in enumerate(f):
            if i % step:
                continue
            m = re.match(r"([0-9a-f]+): ([0-9a-f]+) ", line)
            if not m:
                continue
            va, pa = int(m.group(1), 16), int(m.group(2), 16)
            got = walk(mem, cr3, va, levels)
            checked += 1
            if got != pa:
                bad += 1
                if bad <= 10:
                    print("MISMATCH %s -> walk %s" % (line.strip(),
                                                     None if got is None else "%#x" % got))
    print("checked %d info-tlb lines, %d mismatches" % (checked, bad))
    sys.exit(1 if bad or not same else 0)


if __name__ == "__main__":
    main()
