#!/usr/bin/env python3
"""classify.py OUTDIR: decode the victim's /proc/PID/pagemap (OUTDIR/pagemap.txt) for
the regions named in OUTDIR/victim.txt, print one line per page, and check each page
against what init.c did to it. Exit 1 if any page differs.

pagemap bits (Documentation/admin-guide/mm/pagemap.rst, 6.1):
  63 present, 62 swapped, 61 file-page or shared-anon, 57 uffd-wp,
  56 exclusively mapped, 55 soft-dirty,
  0-54 PFN when present; when swapped, type in 0-4 and offset in 5-54.
The reserved swap types depend on the kernel version and its config
(include/linux/swap.h; swap_types() below computes them from OUTDIR/config and the
dump's OSRELEASE):
  Debian's 6.1 (DEVICE_PRIVATE off, MIGRATION, MEMORY_FAILURE, PTE_MARKER on):
    MAX_SWAPFILES 26, so 26 hwpoison, 27-29 migration (read, read-exclusive,
    write), 30 PTE marker, 31 swapin error.
  Debian's 6.12 (same options; 6.2 turned SWP_SWAPIN_ERROR into a PTE marker
    value, now PTE_MARKER_POISONED, and CONFIG_PTE_MARKER is gone, markers are
    always there): MAX_SWAPFILES 27, so 27 hwpoison, 28-30 migration, 31 PTE marker.
  Debian's 7.2 (DEVICE_PRIVATE on; since 6.15 there are three device types:
    write, read, exclusive, "mm: use single SWP_DEVICE_EXCLUSIVE entry type"):
    MAX_SWAPFILES 24, so 24 hwpoison, 25-27 migration, 28-30 device, 31 PTE marker
    (offset bit 0 UFFD_WP, bit 1 POISONED, bit 2 GUARD, 6.13+).
pagemap bit 58 (6.14+): a guard-region PTE marker (PM_GUARD_REGION).
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pagemap_capture import read_capture  # noqa: E402,F401  (check.py and ../x86_64-hmm import it from here)


def kernel_version(out):
    """(major, minor) from OSRELEASE in OUT/vmcoreinfo-note.txt (default 6.1)."""
    try:
        for line in open(os.path.join(out, "vmcoreinfo-note.txt")):
            m = re.match(r"OSRELEASE=(\d+)\.(\d+)", line)
            if m:
                return (int(m.group(1)), int(m.group(2)))
    except OSError:
        pass
    return (6, 1)


def swap_types(out):
    """{type: name} of the reserved swap types (include/linux/swap.h), and
    MAX_SWAPFILES, for the kernel of the capture in OUT (its config, and OSRELEASE
    from vmcoreinfo-note.txt; without them, Debian's 6.1)."""
    ver = kernel_version(out)
    cfg = {}
    try:
        for line in open(os.path.join(out, "config")):
            m = re.match(r"(CONFIG_\w+)=(.*)", line)
            if m:
                cfg[m.group(1)] = m.group(2)
    except OSError:
        cfg = {"CONFIG_MIGRATION": "y", "CONFIG_MEMORY_FAILURE": "y", "CONFIG_PTE_MARKER": "y"}
    on = lambda o: cfg.get("CONFIG_" + o) == "y"  # noqa: E731
    device = (3 if ver >= (6, 15) else 4) if on("DEVICE_PRIVATE") else 0
    migration = 3 if on("MIGRATION") else 0
    hwpoison = 1 if on("MEMORY_FAILURE") else 0
    # CONFIG_PTE_MARKER (5.19..6.x) was removed later; then markers always exist.
    marker = 1 if on("PTE_MARKER") or (ver >= (6, 2) and "CONFIG_PTE_MARKER" not in cfg) else 0
    swapin_error = 1 if (5, 19) <= ver < (6, 2) else 0  # SWP_SWAPIN_ERROR_NUM
    maxsf = 32 - device - migration - hwpoison - marker - swapin_error
    names = {}
    t = maxsf
    for n, what in ((hwpoison, ["hwpoison"]),
                    (migration, ["migration-read", "migration-read-excl", "migration-write"]),
                    (device, ["device-write", "device-read", "device-excl-write", "device-excl-read"]
                     if device == 4 else ["device-write", "device-read", "device-excl"]),
                    (marker, ["pte-marker"]), (swapin_error, ["swapin-error"])):
        for i in range(n):
            names[t] = what[i]
            t += 1
    assert t == 32
    return names, maxsf


SWAPTYPE = {}


def decode(e):
    f = []
    if e >> 63 & 1:
        f.append("present pfn=%#x" % (e & ((1 << 55) - 1)))
    if e >> 62 & 1:
        t, off = e & 31, (e >> 5) & ((1 << 50) - 1)
        f.append("swap type=%d(%s) offset=%#x" % (t, SWAPTYPE.get(t, "swapfile"), off))
    for bit, name in ((61, "file/shared"), (58, "guard"), (57, "uffd-wp"), (56, "exclusive"), (55, "soft-dirty")):
        if e >> bit & 1:
            f.append(name)
    return " ".join(f) or "none"


def kind(e):
    """The category init.c aimed at."""
    if e >> 62 & 1:
        t = e & 31
        if SWAPTYPE.get(t) == "hwpoison":
            return "hwpoison"
        if SWAPTYPE.get(t) == "pte-marker":
            return "marker" + ("+uffd-wp" if e >> 57 & 1 else "") + ("+guard" if e >> 58 & 1 else "")
        return "swap" + ("+sd" if e >> 55 & 1 else "") + ("+uffd-wp" if e >> 57 & 1 else "")
    if e >> 63 & 1:
        return "present" + ("+sd" if e >> 55 & 1 else "") + ("+uffd-wp" if e >> 57 & 1 else "")
    return "none"


EXTRAS = [False]  # the capture ran with victim.extras=1 (a "zero" region in victim.txt)


def expected(region, i):
    if region == "region":
        if i < 16 or (EXTRAS[0] and 50 <= i <= 53):
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
    if region == "zero":
        return "present"  # the zero page (pte_special), mapped before clear_refs
    if region == "guard":
        # mapped after clear_refs (VM_SOFTDIRTY); 1..2 guard markers, 0 and 3 written
        return "marker+guard" if i in (1, 2) else "present+sd"
    return None




def main():
    out = sys.argv[1]
    SWAPTYPE.update(swap_types(out)[0])
    print("# reserved swap types: %s" % " ".join("%d=%s" % kv for kv in sorted(SWAPTYPE.items())))
    pm, regions = read_capture(out)
    EXTRAS[0] = any(name == "zero" for name, _, _ in regions)
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
