#!/usr/bin/env python3
"""Independent walk of a user table from a CPU's TTBR0_EL1 (the truth), against a listing.

Usage: walk-ttbr0.py VMCORE_ELF TTBR_FILE LISTING

TTBR_FILE is a capture's ttbr-cpuN.txt ("NAME 0x..." lines: TTBR0_EL1, TCR_EL1);
LISTING is kptdump's `--pid PID` text for the task that CPU ran. The walk
(../lib/elfcore.py's arm64_leaves: 4K granule; levels and VA size from
TCR_EL1.T0SZ; ASID bits 63:48 and CnP bit 0 of TTBR0 masked off; valid leaves
only) reads the dump by physical address, builds each leaf's attribute text
with the 6.1 ptdump pte_bits, merges neighbours with the same level and text,
and compares with the listing's mapped ranges (holes are not compared).
Invalid non-zero user entries (swap, PROT_NONE) are no leaves of the listing's
text either way; none in these tasks after mlockall. Exit 0 when equal.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import ARM64_PTE_BITS, Core, arm64_compare, arm64_leaves, regs_file  # noqa: E402


def main():
    core, ttbr_file, listing = sys.argv[1:4]
    regs = regs_file(ttbr_file)
    ttbr0, t0sz = regs["TTBR0_EL1"], regs["TCR_EL1"] & 0x3f
    nlev, leaves = arm64_leaves(Core(core), ttbr0, 64 - t0sz, 12, upper=False, invalid=False)
    head = (f"walk: TTBR0_EL1=0x{ttbr0:016x} -> root 0x{ttbr0 & ((1 << 48) - 1) & ~1:x}, "
            f"T0SZ={t0sz} ({64 - t0sz}-bit VA), {nlev} levels")
    return arm64_compare(leaves, ARM64_PTE_BITS, listing, head,
                         "the tables under TTBR0 give exactly the listing's mapped ranges and attributes")


if __name__ == "__main__":
    sys.exit(main())
