#!/usr/bin/env python3
"""check.py ARCH OUTDIR PGD_PHYS [KPTDUMP_JSONL]: for every page of the victim's
regions (OUTDIR/victim.txt), put side by side
  - the kernel's verdict: /proc/PID/pagemap (OUTDIR/pagemap.txt),
  - the raw PTE, read here from OUTDIR/vmcore.elf by walking the victim's table
    from its mm->pgd (PGD_PHYS, physical; column 4 of `kptdump ps`), and this
    script's own decoding of it (Linux 6.1 encodings, below),
  - with KPTDUMP_JSONL (`kptdump VMCORE --vmlinux VMLINUX --pid PID --json`), what
    kptdump said for the range holding that page.
Exit 1 only when pagemap and the raw PTE disagree (the capture itself is wrong).
kptdump ranges without a `kind` field (no entry decoding for this architecture
yet) are counted as "not decoded", not as failures; other kptdump disagreements
are printed and counted.

ARCH is arm64 (4K pages, 48-bit VA: 4 levels of 512 entries, indexes from VA
bits 47:39, 38:30, 29:21, 20:12) or riscv64 (Sv39/48/57 from satp's MODE in
OUTDIR/info-registers.txt: 3, 4 or 5 levels of 512 entries).

arm64, 6.1 (arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h, pgtable.h):
  PTE_VALID bit 0; table descriptor bits 1:0 = 11 above the last level, block
  (PMD/PUD leaf) = 01; output address bits 47:12 (ARM64_PA_BITS=48).
  pte_present = VALID | PTE_PROT_NONE (bit 58, only when !VALID);
  PTE_SPECIAL bit 56 (zero page), PTE_DEVMAP 57, PTE_DIRTY 55 (software),
  PTE_WRITE = DBM 51, PTE_RDONLY 7, PTE_USER 6, PTE_UXN 54, PTE_CONT 52.
  Swap entry: bits 1:0 zero, bit 2 PTE_SWP_EXCLUSIVE, type = bits 7:3,
  offset = bits 57:8, bit 58 zero.
riscv64, 6.1 (arch/riscv/include/asm/pgtable-bits.h, pgtable-64.h, pgtable.h):
  _PAGE_PRESENT bit 0, R 1, W 2, X 3, U 4, G 5, A 6, D 7, _PAGE_SOFT 8
  (= _PAGE_SPECIAL); a valid entry with R=W=X=0 points to the next table;
  PFN = bits 53:10 (_PAGE_PFN_MASK). pte_present = PRESENT | _PAGE_PROT_NONE
  (= _PAGE_GLOBAL, bit 5, meaningful only when PRESENT is clear; PAGE_NONE is
  PROT_NONE|READ). Swap entry: bits 0..5 zero, type = bits 10:6,
  offset = bits 63:11. No swap-exclusive bit in 6.1.
Neither has soft-dirty or userfaultfd-wp bits in 6.1 (no HAVE_ARCH_SOFT_DIRTY,
no HAVE_ARCH_USERFAULTFD_WP, hence no PTE markers): pagemap bits 55 and 57 are
always 0.
Swap types (include/linux/swap.h): MAX_SWAPFILES = 32 - SWP_DEVICE_NUM (4 if
DEVICE_PRIVATE) - SWP_MIGRATION_NUM (3 if MIGRATION) - SWP_HWPOISON_NUM (1 if
MEMORY_FAILURE) - SWP_PTE_MARKER_NUM (1 if PTE_MARKER) - 1 (SWP_SWAPIN_ERROR);
above it, in order: hwpoison, migration read/read-exclusive/write, device
private write/read/exclusive write/exclusive read, PTE marker, swapin error.
They are computed here from OUTDIR/config (the kernel's .config).
pagemap (fs/proc/task_mmu.c): bit 63 present (pte_present, so PROT_NONE too),
62 swap (any non-present non-none entry), 61 file/shared, 56 exclusively
mapped, 55 soft-dirty, 57 uffd-wp; bits 0..54 the PFN, or type | offset << 5
(for hwpoison and migration entries the offset is the PFN).
"""
import json
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "debian-stock"))
sys.path.insert(0, os.path.join(HERE, "..", "debian-stock-swap"))
from walkcheck import Mem  # noqa: E402  (ELF PT_LOAD reader, physical addresses)
from classify import read_capture  # noqa: E402  (pagemap.txt, victim.txt)

M64 = (1 << 64) - 1
PFN55 = (1 << 55) - 1


def swap_types(config_path):
    """{type: kind} for the reserved types, and MAX_SWAPFILES, from .config."""
    cfg = set()
    for line in open(config_path):
        if line.startswith("CONFIG_") and line.rstrip().endswith("=y"):
            cfg.add(line.split("=")[0][7:])
    dev = 4 if "DEVICE_PRIVATE" in cfg else 0
    mig = 3 if "MIGRATION" in cfg else 0
    hwp = 1 if "MEMORY_FAILURE" in cfg else 0
    mark = 1 if "PTE_MARKER" in cfg else 0
    maxsf = 32 - dev - mig - hwp - mark - 1
    names = {}
    t = maxsf
    for n, kinds in ((hwp, ["hwpoison"]),
                     (mig, ["migration_read", "migration_read_exclusive", "migration_write"]),
                     (dev, ["device_private_write", "device_private_read",
                            "device_exclusive_write", "device_exclusive_read"]),
                     (mark, ["pte_marker"])):
        for k in kinds[:n]:
            names[t] = k
            t += 1
    names[t] = "swapin_error"
    return maxsf, names


class Arch:
    def __init__(self, arch, outdir):
        self.arch = arch
        if arch == "arm64":
            self.levels = 4
            self.addr_mask = ((1 << 48) - 1) & ~0xfff
        elif arch == "riscv64":
            mode = None
            for tok in open(os.path.join(outdir, "info-registers.txt")).read().split("\n"):
                w = tok.split()
                if len(w) >= 2 and w[0] == "satp":
                    mode = int(w[1], 16) >> 60
                    break
            self.levels = {8: 3, 9: 4, 10: 5}[mode]
        else:
            raise SystemExit("ARCH must be arm64 or riscv64")

    def walk(self, mem, pgd, va):
        """None (no table below), ("pte", e) or ("leaf", shift, e) for an entry
        above the last level that is not a table (a block/huge leaf, or a
        non-present non-none entry there)."""
        table = pgd
        shifts = [48, 39, 30, 21, 12][5 - self.levels:]
        for shift in shifts:
            e = mem.q(table + ((va >> shift) & 511) * 8)
            if shift == 12:
                return ("pte", e)
            if e == 0:
                return None
            if self.arch == "arm64":
                if e & 3 == 3:
                    table = e & self.addr_mask
                    continue
            else:
                if e & 1 and not e & 0xe:
                    table = ((e >> 10) & ((1 << 44) - 1)) << 12
                    continue
            return ("leaf", shift, e)

    def decode(self, e, names, maxsf):
        """(kind, pagemap-like value, exclusive) from a raw PTE, in kptdump's
        kind words (normal, special, devmap, prot_none, swap, hwpoison, ...)."""
        if e == 0:
            return "none", 0, False
        if self.arch == "arm64":
            present = e & 1 or e >> 58 & 1
            if present:
                pfn = (e & self.addr_mask) >> 12
                kind = "prot_none" if not e & 1 else \
                    "special" if e >> 56 & 1 else "devmap" if e >> 57 & 1 else "normal"
                return kind, 1 << 63 | pfn, False
            t, off, excl = e >> 3 & 31, e >> 8 & ((1 << 50) - 1), bool(e >> 2 & 1)
        else:
            present = e & 1 or e & 0x20
            if present:
                pfn = (e >> 10) & ((1 << 44) - 1)
                kind = "prot_none" if not e & 1 else "special" if e >> 8 & 1 else "normal"
                return kind, 1 << 63 | pfn, False
            t, off, excl = e >> 6 & 31, e >> 11, False
        kind = "swap" if t < maxsf else names.get(t, "non_swap")
        return kind, 1 << 62 | t | (off << 5 & PFN55), excl


def main():
    arch, out, pgd = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
    jsonl = sys.argv[4] if len(sys.argv) > 4 else None
    A = Arch(arch, out)
    maxsf, names = swap_types(os.path.join(out, "config"))
    print("# %s, %d levels; MAX_SWAPFILES %d; reserved swap types: %s" % (
        arch, A.levels, maxsf, ", ".join("%d %s" % kv for kv in sorted(names.items()))))
    pm, regions = read_capture(out)
    ranges = []
    if jsonl:
        for line in open(jsonl):
            if line.strip():
                r = json.loads(line)
                ranges.append((int(r["start"], 16), int(r["end"], 16), r))
    mem = Mem(os.path.join(out, "vmcore.elf"))

    bad_capture = bad_kpt = not_decoded = agree_kpt = 0
    seen = {}
    for name, base, n in regions:
        if not base:
            continue
        print("# %s %016x %d pages   columns: region page VA pagemap raw-PTE own-kind own-value%s" % (
            name, base, n, " | kptdump" if jsonl else ""))
        for i in range(n):
            va = base + i * 4096
            w = A.walk(mem, pgd, va)
            excl = False
            if w is None:
                raw, kind, mine = "no-table", "none", 0
            elif w[0] == "leaf":
                _, shift, he = w
                lvl = {21: "pmd", 30: "pud", 39: "p4d"}.get(shift, "l%d" % shift)
                raw = "%016x(%s)" % (he, lvl)
                kind, mine, excl = A.decode(he, names, maxsf)
                if mine >> 63:  # a huge leaf: the 4K page inside it
                    mine = (mine & ~PFN55) | ((mine & PFN55) & ~((1 << (shift - 12)) - 1)) + \
                        ((va & ((1 << shift) - 1)) >> 12)
                    kind = "thp-" + kind
            else:
                raw = "%016x" % w[1]
                kind, mine, excl = A.decode(w[1], names, maxsf)
            p = pm.get(va, 0)
            cmp_mask = 1 << 63 | 1 << 62 | 1 << 57 | 1 << 55 | PFN55
            ok = (p & cmp_mask) == (mine & cmp_mask)
            bad_capture += not ok
            cat = kind + (" excl" if excl else "")
            if kind in ("swap",):
                cat += " type %d" % (mine & 31)
            seen.setdefault((name, cat), (i, va, p, raw))
            kdesc = ""
            if jsonl:
                s0, k = next(((s, r) for s, t, r in ranges if s <= va < t), (0, None))
                if k is None:
                    kdesc, kbad = "no range", kind != "none"
                elif "kind" not in k:
                    kdesc = "not decoded (present=%s%s)" % (
                        k["present"], " phys=" + k["phys"] if "phys" in k else "")
                    kbad = None
                else:
                    kdesc = "%s present=%s" % (k["kind"], k["present"])
                    for f in ("swap_type", "swap_offset", "exclusive"):
                        if f in k:
                            kdesc += " %s=%s" % (f, k[f])
                    if "phys" in k:
                        kdesc += " phys=%s" % k["phys"]
                    want = kind[4:] if kind.startswith("thp-") else kind
                    kbad = k["kind"] != want
                    pfn = mine & PFN55
                    if mine >> 63:
                        kbad |= not k["present"] and want != "prot_none"
                        if va == s0 or k.get("contiguous"):
                            kbad |= (int(k.get("phys", "0"), 16) + va - s0) >> 12 != pfn
                    else:
                        # Only a range's first entry is described: every entry of
                        # a range shares the kind and type (they merge only when
                        # their attributes are equal), the offset is the first's.
                        kbad |= k["present"] or k.get("swap_type") != (mine & 31)
                        if va == s0:
                            kbad |= k.get("swap_offset") != (mine >> 5 & ((1 << 50) - 1))
                        kbad |= k.get("exclusive") != excl
                if kbad is None:
                    not_decoded += 1
                elif kbad:
                    bad_kpt += 1
                    kdesc += "  <-- kptdump differs"
                else:
                    agree_kpt += 1
                kdesc = " | " + kdesc
            print("%-7s %2d %016x %016x %-22s %-14s %016x%s%s" % (
                name, i, va, p, raw, cat, mine, "" if ok else "  <-- pagemap differs", kdesc))
    print("# one page per category (region, category: page, VA, pagemap, raw PTE):")
    for (name, cat), (i, va, p, raw) in seen.items():
        print("#   %-7s %-22s page %3d  %016x  %016x  %s" % (name, cat, i, va, p, raw))
    print("# pagemap vs raw PTE: %d pages differ" % bad_capture)
    if jsonl:
        print("# kptdump vs raw PTE: %d pages differ, %d agree, %d not decoded (no kind)" % (
            bad_kpt, agree_kpt, not_decoded))
    return 1 if bad_capture else 0


if __name__ == "__main__":
    sys.exit(main())
