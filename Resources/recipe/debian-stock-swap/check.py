#!/usr/bin/env python3
"""check.py OUTDIR PGD_PHYS KPTDUMP_JSONL: for every page of the victim's regions,
put side by side
  - the kernel's verdict: /proc/PID/pagemap (OUTDIR/pagemap.txt),
  - the raw PTE, read here from OUTDIR/vmcore.elf by walking 4 or 5 levels from
    the victim's mm->pgd (PGD_PHYS, physical; from `kptdump ps`), and this
    script's own decoding of it (x86-64, Linux 6.1 and 6.12 encodings, below),
  - what `kptdump --pid PID --json` said for the range holding that page,
and report each disagreement. Exit 1 when pagemap and the raw PTE disagree (the
capture itself is wrong); disagreements with kptdump are printed and counted
(they judge the decoder, not the capture).

x86-64 PTE encodings in 6.1, unchanged in 6.12 (arch/x86/include/asm/pgtable{_64,_types}.h):
  present        bit 0 set
  PROT_NONE      bit 0 clear, bit 8 (_PAGE_PROTNONE, = GLOBAL) set; PFN stored
                 inverted (L1TF), pagemap calls it present
  swap entry     bit 0 and bit 8 clear, not zero: type = pte >> 59, offset =
                 (~pte << 5) >> 14 (inverted, L1TF); bit 1 _PAGE_SWP_SOFT_DIRTY,
                 bit 2 _PAGE_SWP_UFFD_WP, bit 3 _PAGE_SWP_EXCLUSIVE
  present bits   9 _PAGE_SPECIAL, 11 _PAGE_SOFT_DIRTY, 10 _PAGE_UFFD_WP;
                 6.1: 58 (SOFTW4) _PAGE_DEVMAP, 57 unused;
                 6.6+ (x86 shadow stacks), so 6.12: SOFTW4 moved to 57, so
                 _PAGE_DEVMAP is bit 57, and 58 (SOFTW5) is _PAGE_SAVED_DIRTY:
                 pte_wrprotect() (mksaveddirty_shift) moves D (bit 6) to bit 58
                 whenever it clears RW, so every write-protected dirty page has it.
                 6.17 removed _PAGE_DEVMAP ("mm: remove devmap related functions
                 and page table bits"); 7.2's pgtable_types.h has no devmap bit,
                 bit 57 (SOFTW4) is unused for user PTEs, so no present page is
                 devmap there.
                 The kind expected from kptdump for a present page is therefore
                 prot_none / devmap (pte_devmap) / special (pte_special) / normal.
Swap types (classify.swap_types, from the capture's config and OSRELEASE):
  6.1:  0..25 swap files, 26 hwpoison (offset = PFN), 27..29 migration,
        30 PTE marker (offset bit 0 = PTE_MARKER_UFFD_WP), 31 swapin error.
  7.2 (DEVICE_PRIVATE=y, three device types since 6.15): 0..23 swap files,
        24 hwpoison, 25..27 migration, 28..30 device (write, read, exclusive),
        31 PTE marker (offset bit 0 UFFD_WP, bit 1 POISONED, bit 2 GUARD).
  The swap PTE layout is unchanged in 7.2 (pgtable_64.h, softleaf_t).
  6.12: 0..26 swap files, 27 hwpoison, 28..30 migration, 31 PTE marker
        (offset bit 0 PTE_MARKER_UFFD_WP, bit 1 PTE_MARKER_POISONED).
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core as Mem, X86_PHYS_MASK as PHYS_MASK, x86_pte as pte_of  # noqa: E402
from classify import kernel_version, read_capture, swap_types  # noqa: E402

M64 = (1 << 64) - 1


DEVMAP_BIT = 58  # _PAGE_BIT_SOFTW4 before 6.6, 57 from 6.6 (set in main)


def present_kind(e):
    """kptdump's kind for a present (or PROT_NONE) entry, as the headers define it."""
    if not e & 1:
        return "prot_none"
    if DEVMAP_BIT is not None and e >> DEVMAP_BIT & 1:
        return "devmap"
    if e >> 9 & 1:
        return "special"
    return "normal"


def own_decode(e):
    """(kind, pagemap-like value) from a raw PTE."""
    if e is None or e == 0:
        return "none", 0
    if e & 1 or e & 0x100:
        pfn = (e & PHYS_MASK) >> 12
        kind = "present"
        if not e & 1:
            pfn = ((~e & M64) & PHYS_MASK) >> 12
            kind = "prot_none"
        v = 1 << 63 | pfn
        if e >> 11 & 1:
            v |= 1 << 55
        if e >> 10 & 1:
            v |= 1 << 57
        return kind, v
    t = e >> 59
    off = ((~e & M64) << 5 & M64) >> 14
    v = 1 << 62 | t | off << 5
    if e >> 1 & 1:
        v |= 1 << 55
    if e >> 2 & 1:
        v |= 1 << 57
    name = SWAPTYPE.get(t, "swap")
    if name == "pte-marker" and off & 1:
        v |= 1 << 57
    kind = name.split("-")[0] if name.startswith(("migration", "device")) else name.replace("-", "_")
    return kind, v


SWAPTYPE = {}


def main():
    out, pgd, jsonl = sys.argv[1], int(sys.argv[2], 0), sys.argv[3]
    SWAPTYPE.update(swap_types(out)[0])
    global DEVMAP_BIT
    ver = kernel_version(out)
    DEVMAP_BIT = None if ver >= (6, 17) else 57 if ver >= (6, 6) else 58
    print("# reserved swap types: %s" % " ".join("%d=%s" % kv for kv in sorted(SWAPTYPE.items())))
    print("# _PAGE_DEVMAP: %s" % ("none (6.17+)" if DEVMAP_BIT is None else "bit %d" % DEVMAP_BIT))
    pm, regions = read_capture(out)
    ranges = []
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
    per_kind = {}  # own kind -> [pages, pagemap differs, kptdump differs]
    for name, base, n in regions:
        print("# %s %016x %d pages   columns: page VA pagemap raw-PTE own-decode | kptdump" % (name, base, n))
        for i in range(n):
            va = base + i * 4096
            e = pte_of(mem, pgd, va, levels)
            if isinstance(e, tuple):  # a huge leaf: decode it as the 4K page inside
                _, shift, he = e
                raw = "%016x(%s)" % (he, {21: "pmd", 30: "pud"}[shift])
                kind, mine = own_decode(he & ~0x80 & ~(1 << 12))  # PSE, PAT_LARGE
                mine += (va & ((1 << shift) - 1)) >> 12
                pkind = present_kind(he)
            else:
                raw = "%016x" % e if e is not None else "no-table"
                kind, mine = own_decode(e)
                pkind = present_kind(e) if e else None
            p = pm.get(va, 0)
            # pagemap adds what the PTE does not hold: bit 56 (exclusively mapped),
            # 61 (file/shared page), and soft-dirty for a VM_SOFTDIRTY VMA.
            cmp_mask = (1 << 63 | 1 << 62 | 1 << 57 | (1 << 55) - 1)
            sd_vma = name != "region"  # mapped after clear_refs: VM_SOFTDIRTY
            if not sd_vma:
                cmp_mask |= 1 << 55
            ok = (p & cmp_mask) == (mine & cmp_mask)
            bad_capture += not ok
            s0, k = next(((s, r) for s, t, r in ranges if s <= va < t), (0, None))
            kdesc, kbad = "no range", True
            if k is not None:
                kdesc = "%s present=%s" % (k.get("kind", "-"), k["present"])
                for f in ("swap_type", "swap_offset", "exclusive", "soft_dirty", "uffd_wp"):
                    if f in k:
                        kdesc += " %s=%s" % (f, k[f])
                if "phys" in k:
                    kdesc += " phys=%s" % k["phys"]
                want_sd = bool(mine >> 55 & 1)
                want_wp = bool(mine >> 57 & 1)
                kbad = False
                # A range (merged by attributes, as the kernel's ptdump merges) gives
                # the PFN of its first page; the rest only when "contiguous" is true.
                # For PROT_NONE the real PFN is expected (the PTE holds it inverted).
                pfn = mine & ((1 << 55) - 1)
                kpfn = pfn
                if va == s0 or k.get("contiguous"):
                    kpfn = (int(k.get("phys", "0"), 16) + va - s0) >> 12
                if kind == "present":
                    kbad |= not k["present"] or kpfn != pfn
                    if k.get("kind") != pkind:
                        kbad = True
                        kdesc += " (kind: headers say %s)" % pkind
                elif kind == "prot_none":
                    kbad |= k.get("kind") != "prot_none" or kpfn != pfn
                else:
                    kbad |= k["present"] or k.get("swap_type") != (mine & 31) or \
                        k.get("swap_offset") != (mine >> 5 & ((1 << 50) - 1))
                    kbad |= k.get("kind") != kind
                kbad |= k.get("soft_dirty") != want_sd or k.get("uffd_wp") != want_wp
            bad_kpt += kbad
            c = per_kind.setdefault(kind, [0, 0, 0])
            c[0] += 1
            c[1] += not ok
            c[2] += bool(kbad)
            print("%-10s %2d %016x %016x %s %-10s %016x%s | %s%s" % (
                name, i, va, p, raw, kind, mine, "" if ok else "  <-- pagemap differs",
                kdesc, "  <-- kptdump differs" if kbad else ""))
    for kind, (n, dp, dk) in sorted(per_kind.items()):
        print("# kind %-11s %4d pages: pagemap differs on %d, kptdump differs on %d" % (kind, n, dp, dk))
    print("# pagemap vs raw PTE: %d pages differ" % bad_capture)
    print("# kptdump vs raw PTE: %d pages differ" % bad_kpt)
    return 1 if bad_capture else 0


if __name__ == "__main__":
    sys.exit(main())
