#!/usr/bin/env python3
"""check.py OUTDIR PGD_PHYS [KPTDUMP_JSONL]: for every page of the victim's regions
(OUTDIR/victim.txt), put side by side
  - the kernel's verdict: /proc/PID/pagemap (OUTDIR/pagemap.txt),
  - the raw PTE, read here from OUTDIR/vmcore.elf by walking 4 (or, with CR4.LA57,
    5) levels from the victim's mm->pgd (PGD_PHYS, physical: column 4 of
    `kptdump ps`), and this script's own decoding of it,
  - with KPTDUMP_JSONL (`kptdump vmcore.elf --vmlinux vmlinux --pid PID --json`),
    what kptdump said for the range holding that page,
and report each disagreement. Exit 1 only when pagemap and the raw PTE disagree
(the capture itself is wrong); kptdump's disagreements are printed and counted.

Swap types are worked out from OUTDIR/config (the kernel's .config) as
include/linux/swap.h (Linux 6.1) assigns them, upwards from MAX_SWAPFILES:
  MAX_SWAPFILES = 32 - DEVICE(4 with DEVICE_PRIVATE) - MIGRATION(3 with
  MIGRATION) - HWPOISON(1 with MEMORY_FAILURE) - PTE_MARKER(1 with PTE_MARKER)
  - SWAPIN_ERROR(1)
  then hwpoison; migration read, read-exclusive, write; device write, read,
  exclusive write, exclusive read; PTE marker; swapin error.
x86-64 PTE encodings in 6.1 (arch/x86/include/asm/pgtable{_64,_types}.h):
  present        bit 0 set
  PROT_NONE      bit 0 clear, bit 8 (_PAGE_PROTNONE) set; PFN stored inverted
  swap entry     bit 0 and bit 8 clear, not zero: type = pte >> 59, offset =
                 (~pte << 5) >> 14 (inverted, L1TF); bit 1 _PAGE_SWP_SOFT_DIRTY
                 (MEM_SOFT_DIRTY only), bit 3 _PAGE_SWP_EXCLUSIVE
For hwpoison, migration and device entries the offset is a PFN; pagemap shows
swp_offset_pfn() (the same here: no migration A/D bits are involved).
pagemap (Documentation/admin-guide/mm/pagemap.rst): 63 present, 62 swapped,
61 file/shared, 57 uffd-wp, 56 exclusively mapped, 55 soft-dirty, 0..54 PFN, or
swap type (0..4) and offset (5..54).
"""
import json
import os
import sys

sys.dont_write_bytecode = True
_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "..", "lib"))
from elfcore import Core as Mem, X86_PHYS_MASK as PHYS_MASK, x86_pte as pte_of  # noqa: E402
from pagemap_capture import read_capture  # noqa: E402

M64 = (1 << 64) - 1


def swap_types(config_path):
    """(MAX_SWAPFILES, {type: kind}) for a 6.1 .config, names as kptdump's JSON."""
    cfg = set()
    for line in open(config_path):
        if line.startswith("CONFIG_") and line.rstrip().endswith("=y"):
            cfg.add(line.split("=")[0][7:])
    dev = 4 if "DEVICE_PRIVATE" in cfg else 0
    mig = 3 if "MIGRATION" in cfg else 0
    hwp = 1 if "MEMORY_FAILURE" in cfg else 0
    mark = 1 if "PTE_MARKER" in cfg else 0
    mx = 32 - dev - mig - hwp - mark - 1
    names, t = {}, mx
    if hwp:
        names[t] = "hwpoison"; t += 1
    for k in ["migration_read", "migration_read_exclusive", "migration_write"][:mig]:
        names[t] = k; t += 1
    for k in ["device_private_write", "device_private_read",
              "device_exclusive_write", "device_exclusive_read"][:dev]:
        names[t] = k; t += 1
    if mark:
        names[t] = "pte_marker"; t += 1
    names[t] = "swapin_error"
    assert t == 31
    return mx, names


def own_decode(e, mx, names):
    """(kind, pagemap-like value, swap type, swap offset) from a raw PTE."""
    if e is None or e == 0:
        return "none", 0, None, None
    if e & 1 or e & 0x100:
        pfn = (e & PHYS_MASK) >> 12
        kind = "present"
        if not e & 1:
            pfn = ((~e & M64) & PHYS_MASK) >> 12
            kind = "prot_none"
        return kind, 1 << 63 | pfn, None, None
    t = e >> 59
    off = ((~e & M64) << 5 & M64) >> 14
    kind = "swap" if t < mx else names.get(t, "non_swap")
    return kind, 1 << 62 | t | off << 5, t, off


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out, pgd = sys.argv[1], int(sys.argv[2], 0)
    jsonl = sys.argv[3] if len(sys.argv) == 4 else None
    mx, names = swap_types(os.path.join(out, "config"))
    print("# MAX_SWAPFILES %d; %s" % (mx, ", ".join("%d %s" % kv for kv in sorted(names.items()))))
    pm, regions = read_capture(out)
    ranges = []
    if jsonl:
        for line in open(jsonl):
            r = json.loads(line)
            ranges.append((int(r["start"], 16), int(r["end"], 16), r))
    regs = open(os.path.join(out, "info-registers.txt")).read()
    levels = 4
    for tok in regs.split():
        if tok.startswith("CR4="):
            levels = 5 if int(tok[4:], 16) & (1 << 12) else 4
            break
    mem = Mem(os.path.join(out, "vmcore.elf"))

    bad_capture = bad_kpt = 0
    counts = {}
    for name, base, n in regions:
        print("# %s %016x %d pages   columns: region page VA pagemap raw-PTE own-kind own-decode%s"
              % (name, base, n, " | kptdump" if jsonl else ""))
        for i in range(n):
            va = base + i * 4096
            e = pte_of(mem, pgd, va, levels)
            if isinstance(e, tuple):  # a huge leaf: decode it as the 4K page inside
                _, shift, he = e
                raw = "%016x(%s)" % (he, {21: "pmd", 30: "pud"}[shift])
                kind, mine, st, so = own_decode(he & ~0x80 & ~(1 << 12), mx, names)
                mine += (va & ((1 << shift) - 1)) >> 12
            else:
                raw = "%016x" % e if e is not None else "no-table"
                kind, mine, st, so = own_decode(e, mx, names)
            counts[kind] = counts.get(kind, 0) + 1
            p = pm.get(va, 0)
            # pagemap adds what the PTE does not hold: bit 56 (exclusively mapped)
            # and 61 (file/shared page). No soft-dirty or uffd-wp in this kernel.
            cmp_mask = 1 << 63 | 1 << 62 | 1 << 57 | 1 << 55 | (1 << 55) - 1
            ok = (p & cmp_mask) == (mine & cmp_mask)
            bad_capture += not ok
            line = "%-7s %2d %016x %016x %s %-22s %016x%s" % (
                name, i, va, p, raw, kind, mine, "" if ok else "  <-- pagemap differs")
            if jsonl:
                s0, k = next(((s, r) for s, t, r in ranges if s <= va < t), (0, None))
                kdesc, kbad = "no range", True
                if k is not None:
                    kdesc = "%s present=%s" % (k.get("kind", "-"), k["present"])
                    for f in ("swap_type", "swap_offset", "exclusive", "soft_dirty", "uffd_wp"):
                        if f in k:
                            kdesc += " %s=%s" % (f, k[f])
                    if "phys" in k:
                        kdesc += " phys=%s" % k["phys"]
                    kbad = False
                    pfn = mine & ((1 << 55) - 1)
                    if kind in ("present", "prot_none"):
                        if kind == "present":
                            kbad |= not k["present"] or k.get("kind") not in ("normal", "special", "devmap")
                        else:
                            kbad |= k.get("kind") != "prot_none"
                        # A range's phys is its first page's (or every page's when contiguous).
                        if va == s0 or k.get("contiguous"):
                            kbad |= (int(k.get("phys", "0"), 16) + va - s0) >> 12 != pfn
                    else:
                        kbad |= bool(k["present"]) or k.get("kind") != kind or k.get("swap_type") != st
                        # swap_offset is the range's first page's: compare it there only.
                        if va == s0:
                            kbad |= k.get("swap_offset") != so
                    kbad |= bool(k.get("soft_dirty")) or bool(k.get("uffd_wp"))
                bad_kpt += kbad
                line += " | %s%s" % (kdesc, "  <-- kptdump differs" if kbad else "")
            print(line)
    print("# kinds (own decoding of the raw PTEs): %s"
          % ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    print("# pagemap vs raw PTE: %d pages differ" % bad_capture)
    if jsonl:
        print("# kptdump vs raw PTE: %d pages differ" % bad_kpt)
    return 1 if bad_capture else 0


if __name__ == "__main__":
    sys.exit(main())
