#!/usr/bin/env python3
"""Check that a capture's vmcore.elf holds the tables its kernel listing shows.

Usage: check-walk.py CAPTURE_DIR

An independent, deliberately simple check (not kptdump): walks the kernel
half of the tables from the dump the way the MMU would, rooted at TTBR1_EL1
(mmu-regs.txt, read through QEMU's gdb stub at dump time), with the granule
from VMCOREINFO's PAGESIZE and the VA size from TCR_EL1.T1SZ. Each valid leaf
(block or page) becomes (start, end, level name, attribute text) with the
attribute text built like arch/arm64/mm/ptdump.c's dump_prot(). Contiguous
leaves with the same name and text are merged; so are the listing's lines
with attributes (markers can split a range). The two lists must be equal.
Holes (lines without attributes) are not compared.

Exits 0 when they agree, 1 otherwise. Python 3 standard library only.
"""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core  # noqa: E402

PTE_BITS = [  # (mask, val, set, clear) as in arch/arm64/mm/ptdump.c (6.1)
    (1 << 0, 1 << 0, " ", "F"),
    (1 << 6, 1 << 6, "USR", "   "),
    (1 << 7, 1 << 7, "ro", "RW"),
    (1 << 53, 1 << 53, "NX", "x "),
    (3 << 8, 3 << 8, "SHD", "   "),
    (1 << 10, 1 << 10, "AF", "  "),
    (1 << 11, 1 << 11, "NG", "  "),
    (1 << 52, 1 << 52, "CON", "   "),
    (1 << 1, 1 << 1, "   ", "BLK"),
    (1 << 54, 1 << 54, "UXN", "   "),
    (1 << 50, 1 << 50, "GP", "  "),
    (7 << 2, 3 << 2, "DEVICE/nGnRnE", None),
    (7 << 2, 4 << 2, "DEVICE/nGnRE", None),
    (7 << 2, 2 << 2, "MEM/NORMAL-NC", None),
    (7 << 2, 0 << 2, "MEM/NORMAL", None),
    (7 << 2, 1 << 2, "MEM/NORMAL-TAGGED", None),
]
# Linux 5.10 to 5.13 (5.14 dropped MT_NORMAL_WT and MT_DEVICE_GRE and renumbered
# the device types): MAIR indices 3 = NORMAL_WT, 4 = DEVICE_nGnRnE, 5 = DEVICE_nGnRE,
# 6 = DEVICE_GRE, and pte_bits[] has a DEVICE/GRE row.
PTE_BITS_5_10 = PTE_BITS[:11] + [
    (7 << 2, 4 << 2, "DEVICE/nGnRnE", None),
    (7 << 2, 5 << 2, "DEVICE/nGnRE", None),
    (7 << 2, 6 << 2, "DEVICE/GRE", None),
    (7 << 2, 2 << 2, "MEM/NORMAL-NC", None),
    (7 << 2, 0 << 2, "MEM/NORMAL", None),
    (7 << 2, 1 << 2, "MEM/NORMAL-TAGGED", None),
]
PROT_MASK = 0
for _m, _v, _s, _c in PTE_BITS:
    PROT_MASK |= _m


def pick_table(mair):
    """The attribute table whose MAIR index order MAIR_EL1 shows: attr3 is
    0xbb (Normal write-through) and attr5 0x04 (Device-nGnRE) up to 5.13;
    attr3 0x00 (Device-nGnRnE), attr4 0x04 from 5.14."""
    global PTE_BITS
    if mair is not None and (mair >> 24) & 0xff == 0xbb and (mair >> 40) & 0xff == 0x04:
        PTE_BITS = PTE_BITS_5_10
        return "5.10-5.13 (MAIR_EL1 attr3=0xbb NORMAL_WT, attr4..6 = DEVICE nGnRnE/nGnRE/GRE)"
    return "5.14+ (MAIR_EL1 attr3=DEVICE_nGnRnE, attr4=DEVICE_nGnRE)"


def prot_text(prot):
    out = ""
    for mask, val, s, c in PTE_BITS:
        t = s if (prot & mask) == val else c
        if t is not None:
            out += " " + t
    return out


Dump = Core  # ../lib/elfcore.py: .read(pa, n) by physical address


def kv(path, sep):
    d = {}
    for line in open(path):
        if sep in line:
            k, v = line.rstrip("\n").split(sep, 1)
            d[k.strip()] = v.strip()
    return d


def merge(items):
    out = []
    for s, e, name, text in items:
        if out and out[-1][1] == s and out[-1][2] == name and out[-1][3] == text:
            out[-1] = (out[-1][0], e, name, text)
        else:
            out.append((s, e, name, text))
    return out


def main():
    cap = sys.argv[1]
    info = kv(os.path.join(cap, "vmcoreinfo-note.txt"), "=")
    regs = {k: int(v, 16) for k, v in kv(os.path.join(cap, "mmu-regs.txt"), " ").items()}
    shift = int(info["PAGESIZE"]).bit_length() - 1
    print("attribute table:", pick_table(regs.get("MAIR_EL1")))
    tcr = regs["TCR_EL1"]
    t1sz = (tcr >> 16) & 0x3f
    va_bits = 64 - t1sz
    stride = shift - 3
    nlev = -(-(va_bits - shift) // stride)
    names = {4: ["PGD", "PUD", "PMD", "PTE"], 3: ["PGD", "PMD", "PTE"],
             2: ["PGD", "PTE"]}[nlev]
    ttbr1 = regs["TTBR1_EL1"]
    addr_mask = ((1 << 48) - 1) & ~((1 << shift) - 1)

    def table_pa(desc_or_ttbr, is_ttbr=False):
        if is_ttbr:
            pa = desc_or_ttbr & ((1 << 48) - 1) & ~1
            if shift == 16:
                pa |= ((desc_or_ttbr >> 2) & 0xf) << 48
            return pa
        pa = desc_or_ttbr & addr_mask
        if shift == 16:
            pa |= ((desc_or_ttbr >> 12) & 0xf) << 48
        return pa

    dump = Dump(os.path.join(cap, "vmcore.elf"))
    leaves = []
    unusual = 0

    def walk(pa, level, va_base):
        nonlocal unusual
        lshift = shift + (nlev - 1 - level) * stride
        n = (1 << (va_bits - lshift)) if level == 0 else (1 << stride)
        raw = dump.read(pa, n * 8)
        for i, d in enumerate(struct.unpack(f"<{n}Q", raw)):
            if d == 0:
                continue
            va = va_base + (i << lshift)
            end = (va + (1 << lshift)) & ((1 << 64) - 1)
            if not d & 1:
                unusual += 1
                leaves.append((va, end, names[level], prot_text(d & PROT_MASK)))
            elif level < nlev - 1 and d & 2:
                walk(table_pa(d), level + 1, va)
            else:
                leaves.append((va, end, names[level], prot_text(d & PROT_MASK)))

    walk(table_pa(ttbr1, True), 0, (1 << 64) - (1 << va_bits))
    mine = merge(leaves)

    line_re = re.compile(r"^0x([0-9a-f]{16})-0x([0-9a-f]{16})   [ 0-9]*[0-9][KMGTPE] (\w+)( .*)?$")
    listed = []
    for line in open(os.path.join(cap, "page_tables", "kernel_page_tables.txt")):
        m = line_re.match(line.rstrip("\n"))
        if m and m.group(4):
            listed.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4)))
    theirs = merge(listed)

    print(f"walk: TTBR1_EL1=0x{ttbr1:x} T1SZ={t1sz} (VA {va_bits} bits), "
          f"{1 << shift >> 10}K granule, {nlev} levels {names}; "
          f"{len(leaves)} leaves -> {len(mine)} ranges; listing: {len(theirs)} mapped ranges"
          + (f"; {unusual} invalid non-zero entries" if unusual else ""))
    if mine == theirs:
        print("walk OK: the dump's tables give exactly the listing's mapped ranges and attributes")
        return 0
    a, b = set(mine), set(theirs)
    for r in sorted(a - b)[:10]:
        print(f"  only in dump:    0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    for r in sorted(b - a)[:10]:
        print(f"  only in listing: 0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    print("walk MISMATCH")
    return 1


if __name__ == "__main__":
    sys.exit(main())
