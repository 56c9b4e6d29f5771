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
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the repository
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import elfcore  # noqa: E402
from elfcore import X86_PHYS_MASK as PHYS_MASK, Core, x86_translate  # noqa: E402


def main():
    outdir = sys.argv[1]
    step = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    regs = open(os.path.join(outdir, "info-registers.txt")).read()
    cr3 = int(re.search(r"CR3=([0-9a-f]+)", regs).group(1), 16)
    cr4 = int(re.search(r"CR4=([0-9a-f]+)", regs).group(1), 16)
    levels = 5 if cr4 & (1 << 12) else 4
    vmcore = os.path.join(outdir, "vmcore.elf")
    info = {}
    for name, _t, desc in elfcore.notes(vmcore):
        if name == "VMCOREINFO":
            for line in desc.rstrip(b"\0").decode().splitlines():
                k, _, v = line.partition("=")
                info[k] = v
    mem = Core(vmcore)

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
            got = x86_translate(mem, cr3, va, levels)
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
