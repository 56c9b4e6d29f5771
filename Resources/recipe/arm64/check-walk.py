#!/usr/bin/env python3
"""Check that a capture's vmcore.elf holds the tables its kernel listing shows.

Usage: check-walk.py CAPTURE_DIR

An independent, deliberately simple check (not kptdump): walks the kernel
half of the tables from the dump the way the MMU would, rooted at TTBR1_EL1
(mmu-regs.txt, read through QEMU's gdb stub at dump time), with the granule
from VMCOREINFO's PAGESIZE and the VA size from TCR_EL1.T1SZ
(../lib/elfcore.py's arm64_leaves). Each leaf (block or page; an invalid
non-zero entry too) becomes (start, end, level name, attribute text) with the
attribute text built like arch/arm64/mm/ptdump.c's dump_prot() (6.1's
pte_bits, or 5.10's when MAIR_EL1 shows that index order). Contiguous leaves
with the same name and text are merged; so are the listing's lines with
attributes (markers can split a range). The two lists must be equal. Holes
(lines without attributes) are not compared.

Exits 0 when they agree, 1 otherwise. Python 3 standard library only.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core, arm64_compare, arm64_leaves, arm64_pte_bits, regs_file  # noqa: E402


def main():
    cap = sys.argv[1]
    info = dict(line.rstrip("\n").split("=", 1) for line in open(os.path.join(cap, "vmcoreinfo-note.txt")) if "=" in line)
    regs = regs_file(os.path.join(cap, "mmu-regs.txt"))
    shift = int(info["PAGESIZE"]).bit_length() - 1
    bits, what = arm64_pte_bits(regs.get("MAIR_EL1"))
    print("attribute table:", what)
    t1sz = (regs["TCR_EL1"] >> 16) & 0x3f
    ttbr1 = regs["TTBR1_EL1"]
    ds = (regs["TCR_EL1"] >> 59) & 1   # FEAT_LPA2's 52-bit output addresses (4K/16K)
    nlev, leaves = arm64_leaves(Core(os.path.join(cap, "vmcore.elf")), ttbr1, 64 - t1sz, shift, upper=True, ds=bool(ds))
    unusual = sum(1 for *_r, d in leaves if not d & 1)
    head = (f"walk: TTBR1_EL1=0x{ttbr1:x} T1SZ={t1sz} (VA {64 - t1sz} bits), "
            f"{1 << shift >> 10}K granule, {nlev} levels"
            + (f"; {unusual} invalid non-zero entries" if unusual else ""))
    return arm64_compare(leaves, bits, os.path.join(cap, "page_tables", "kernel_page_tables.txt"), head,
                         "the dump's tables give exactly the listing's mapped ranges and attributes")


if __name__ == "__main__":
    sys.exit(main())
