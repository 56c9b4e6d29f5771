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

KASAN kernels (CONFIG_KASAN=y in the capture's config): the early shadow
is one PUD/PMD/PTE table set shared by every entry of the shadow region
(tens of TiB: billions of 4K leaves), so the walk is the same MMU walk with
each table's leaves computed once per (table, level) and merged by level name
and attribute text (shared_leaves below); everything else is as above.

Exits 0 when they agree, 1 otherwise. Python 3 standard library only.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core, arm64_compare, arm64_leaves, arm64_pte_bits, regs_file  # noqa: E402
from elfcore import ARM64_LEVELS, arm64_prot_text  # noqa: E402


def shared_leaves(core, ttbr, va_bits, page_shift, bits, ds=False):
    """arm64_leaves(upper=True, invalid=True) for tables shared many times over
    (KASAN's early shadow): each table's leaves are computed once, relative to
    the table's base, and touching leaves with the same level name and
    attribute text are merged (the first descriptor stands for the range)."""
    stride = page_shift - 3
    nlev = -(-(va_bits - page_shift) // stride)
    names = ARM64_LEVELS[nlev]
    mask = ((1 << (50 if ds else 48)) - 1) & ~((1 << page_shift) - 1)
    root = ttbr & ((1 << 48) - 1) & ~1
    if page_shift == 16 or ds:
        root = (root & ~0x3f) | (((ttbr >> 2) & 0xf) << 48)

    def output(d):
        if page_shift == 16:
            return (d & mask) | (((d >> 12) & 0xf) << 48)
        return (d & mask) | ((((d >> 8) & 3) << 50) if ds else 0)
    memo = {}
    counts = {"leaves": 0}

    def add(out, s, e, name, d, text):
        if out and out[-1][1] == s and out[-1][2] == name and out[-1][4] == text:
            out[-1] = (out[-1][0], e, name, out[-1][3], text)
        else:
            out.append((s, e, name, d, text))

    def table(pa, level):
        # (leaves relative to the table's base, number of leaves before merging)
        key = (pa, level)
        if key in memo:
            return memo[key]
        lshift = page_shift + (nlev - 1 - level) * stride
        n = 1 << (va_bits - lshift if level == 0 else stride)
        out, count = [], 0
        for i, d in enumerate(struct.unpack(f"<{n}Q", core.read(pa, n * 8))):
            if d == 0:
                continue
            off = i << lshift
            if d & 3 == 3 and level < nlev - 1:
                sub, c = table(output(d), level + 1)
                count += c
                for s, e, name, dd, text in sub:
                    add(out, off + s, off + e, name, dd, text)
            else:
                count += 1
                add(out, off, off + (1 << lshift), names[level], d, arm64_prot_text(d, bits))
        memo[key] = (out, count)
        return memo[key]

    base = (1 << 64) - (1 << va_bits)
    out, count = table(root, 0)
    leaves = [((base + s) & ((1 << 64) - 1), (base + e) & ((1 << 64) - 1), name, d) for s, e, name, d, _t in out]
    return nlev, leaves, count, len(memo)


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
    config = os.path.join(cap, "config")
    kasan = os.path.exists(config) and "CONFIG_KASAN=y\n" in open(config).read()
    core = Core(os.path.join(cap, "vmcore.elf"))
    if kasan:
        nlev, leaves, count, ntables = shared_leaves(core, ttbr1, 64 - t1sz, shift, bits, ds=bool(ds))
        unusual = sum(1 for *_r, d in leaves if not d & 1)
        more = f"; KASAN walk: {count} leaves in {ntables} distinct tables, merged per table"
    else:
        nlev, leaves = arm64_leaves(core, ttbr1, 64 - t1sz, shift, upper=True, ds=bool(ds))
        unusual = sum(1 for *_r, d in leaves if not d & 1)
        more = ""
    head = (f"walk: TTBR1_EL1=0x{ttbr1:x} T1SZ={t1sz} (VA {64 - t1sz} bits), "
            f"{1 << shift >> 10}K granule, {nlev} levels"
            + (f"; {unusual} invalid non-zero entries" if unusual and not kasan else "") + more)
    return arm64_compare(leaves, bits, os.path.join(cap, "page_tables", "kernel_page_tables.txt"), head,
                         "the dump's tables give exactly the listing's mapped ranges and attributes")


if __name__ == "__main__":
    sys.exit(main())
