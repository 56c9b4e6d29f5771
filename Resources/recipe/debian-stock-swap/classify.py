#!/usr/bin/env python3
"""classify.py OUTDIR: decode the victim's /proc/PID/pagemap (OUTDIR/pagemap.txt) for
the regions named in OUTDIR/victim.txt, print one line per page, and check each page
against what init.c did to it. Exit 1 if any page differs.

pagemap bits (Documentation/admin-guide/mm/pagemap.rst, 6.1):
  63 present, 62 swapped, 61 file-page or shared-anon, 57 uffd-wp,
  56 exclusively mapped, 55 soft-dirty,
  0-54 PFN when present; when swapped, type in 0-4 and offset in 5-54.
Swap types of Debian's 6.1 (DEVICE_PRIVATE off, MIGRATION, MEMORY_FAILURE,
PTE_MARKER on): MAX_SWAPFILES 26, so 26 hwpoison, 27-29 migration (read,
read-exclusive, write), 30 PTE marker, 31 swapin error.
"""
import os
import sys

SWAPTYPE = {26: "hwpoison", 27: "migration-read", 28: "migration-read-excl",
            29: "migration-write", 30: "pte-marker", 31: "swapin-error"}


def decode(e):
    f = []
    if e >> 63 & 1:
        f.append("present pfn=%#x" % (e & ((1 << 55) - 1)))
    if e >> 62 & 1:
        t, off = e & 31, (e >> 5) & ((1 << 50) - 1)
        f.append("swap type=%d(%s) offset=%#x" % (t, SWAPTYPE.get(t, "swapfile"), off))
    for bit, name in ((61, "file/shared"), (57, "uffd-wp"), (56, "exclusive"), (55, "soft-dirty")):
        if e >> bit & 1:
            f.append(name)
    return " ".join(f) or "none"


def kind(e):
    """The category init.c aimed at."""
    if e >> 62 & 1:
        t = e & 31
        if t == 26:
            return "hwpoison"
        if t == 30:
            return "marker" + ("+uffd-wp" if e >> 57 & 1 else "")
        return "swap" + ("+sd" if e >> 55 & 1 else "") + ("+uffd-wp" if e >> 57 & 1 else "")
    if e >> 63 & 1:
        return "present" + ("+sd" if e >> 55 & 1 else "") + ("+uffd-wp" if e >> 57 & 1 else "")
    return "none"


def expected(region, i):
    if region == "region":
        if i < 16:
            return "swap"
        if i == 20:
            return "hwpoison"
        if 30 <= i <= 33:
            return "present+sd"
        if 34 <= i <= 35:
            return "swap+sd"
        return "present"  # 40..41 are PROT_NONE: present to pagemap
    if region == "uffd-anon":
        # uffd-anon was mapped after clear_refs: its VMA is VM_SOFTDIRTY, so pagemap
        # reports soft-dirty for every page of it whatever the PTE says.
        return ("present" if i < 2 else "swap") + "+sd+uffd-wp"
    if region == "thp":
        return "present"
    if region == "uffd-shmem":
        return "present+sd+uffd-wp" if i < 4 else "marker+uffd-wp"
    return None


def read_capture(out):
    """pagemap.txt as {va: entry}, and victim.txt's regions as (name, base, pages)."""
    pm = {}
    for line in open(os.path.join(out, "pagemap.txt")):
        va, e = line.split()
        pm[int(va, 16)] = int(e, 16)
    regions = []
    for line in open(os.path.join(out, "victim.txt")):
        w = line.split()
        if len(w) == 4 and w[3] == "pages":
            regions.append((w[0], int(w[1], 16), int(w[2])))
    return pm, regions


def main():
    out = sys.argv[1]
    pm, regions = read_capture(out)
    bad = 0
    seen = {}
    for name, base, n in regions:
        print("# %s %016x %d pages" % (name, base, n))
        for i in range(n):
            va = base + i * 4096
            e = pm.get(va)
            if e is None:
                print("%-10s %2d %016x MISSING from pagemap.txt" % (name, i, va))
                bad += 1
                continue
            k, x = kind(e), expected(name, i)
            note = "" if k == x else "   <-- expected %s" % x
            bad += k != x
            tag = "PROT_NONE " if name == "region" and i in (40, 41) else ""
            print("%-10s %2d %016x %016x %-20s %s%s%s" % (name, i, va, e, k, tag, decode(e), note))
            seen.setdefault((name, tag + k), (i, e))
    print("# one example per category (region, category: page, pagemap):")
    for (name, k), (i, e) in seen.items():
        print("#   %-10s %-24s page %2d  %016x" % (name, k, i, e))
    print("# %d pages differ from what init.c aimed at" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
