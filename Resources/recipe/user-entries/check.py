#!/usr/bin/env python3
"""check.py ARCH OUTDIR PGD_PHYS [KPTDUMP_JSONL]: for every page of the victim's
regions (OUTDIR/victim.txt), put side by side
  - the kernel's verdict: /proc/PID/pagemap (OUTDIR/pagemap.txt),
  - the raw PTE, read here from OUTDIR/vmcore.elf by walking the victim's table
    from its mm->pgd (PGD_PHYS, physical; column 4 of `kptdump ps`), and this
    script's own decoding of it (Linux 6.1 or 6.12 encodings, below; the version
    is read from the first lines of OUTDIR/config, the kernel's .config),
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
arm64, 6.12 (6.10 moved PROT_NONE and the swap fields; pgtable.h "Encode and
decode a swap entry", pgtable-prot.h):
  pte_present = VALID | PTE_PRESENT_INVALID, which is PTE_NG (bit 11), only
  when !VALID (PAGE_NONE sets it); bit 58 is now PTE_UFFD_WP (present entries,
  only with HAVE_ARCH_USERFAULTFD_WP, i.e. USERFAULTFD). Swap entry: bits 1:0
  zero, bit 2 PTE_SWP_EXCLUSIVE, bit 3 PTE_SWP_UFFD_WP (with USERFAULTFD),
  type = bits 10:6 (__SWP_TYPE_SHIFT 6, 5 bits), bit 11 zero, offset = bits
  61:12 (__SWP_OFFSET_SHIFT 12, 50 bits). PTE_SPECIAL 56, PTE_DEVMAP 57,
  PTE_DIRTY 55, PTE_WRITE 51 unchanged.
riscv64, 6.12 (6.3 added the swap-exclusive bit; pgtable.h "Format of swap
PTE", pgtable-bits.h): present and PROT_NONE as in 6.1 (_PAGE_PROT_NONE =
  _PAGE_GLOBAL, bit 5); swap entry: bits 0..5 zero, bit 6 exclusive
  (_PAGE_SWP_EXCLUSIVE = _PAGE_ACCESSED), type = bits 11:7, offset = bits
  63:12. No soft-dirty or uffd-wp bits in 6.12 either.
Neither has soft-dirty or userfaultfd-wp bits in 6.1 (no HAVE_ARCH_SOFT_DIRTY,
no HAVE_ARCH_USERFAULTFD_WP, hence no PTE markers): pagemap bits 55 and 57 are
always 0.
Swap types (include/linux/swap.h): MAX_SWAPFILES = 32 - SWP_DEVICE_NUM (4 if
DEVICE_PRIVATE) - SWP_MIGRATION_NUM (3 if MIGRATION) - SWP_HWPOISON_NUM (1 if
MEMORY_FAILURE) - SWP_PTE_MARKER_NUM (1 if PTE_MARKER) - 1 (SWP_SWAPIN_ERROR);
above it, in order: hwpoison, migration read/read-exclusive/write, device
private write/read/exclusive write/exclusive read, PTE marker, swapin error.
In 6.12 the PTE-marker type is always reserved (SWP_PTE_MARKER_NUM 1, no
CONFIG_PTE_MARKER) and there is no SWP_SWAPIN_ERROR (swapin errors became PTE
markers): MAX_SWAPFILES = 32 - device - migration - hwpoison - 1, the last
type is the PTE marker. With these configs both versions give arm64 27
(hwpoison 27, migration 28-30, 31 swapin error / PTE marker) and riscv64 28.
They are computed here from OUTDIR/config (the kernel's .config).
pagemap (fs/proc/task_mmu.c): bit 63 present (pte_present, so PROT_NONE too),
62 swap (any non-present non-none entry), 61 file/shared, 56 exclusively
mapped, 55 soft-dirty, 57 uffd-wp; bits 0..54 the PFN, or type | offset << 5
(for hwpoison and migration entries the offset is the PFN).
Linux 7.3 (arm64, riscv64): decoded as 6.12. Checked in 7.3.0-rc7's headers:
arm64 pgtable.h "Encode and decode a swap entry" (exclusive bit 2, uffd bit 3,
type 10:6, offset 61:12), PTE_PRESENT_INVALID = nG, PTE_SPECIAL 56, the uffd
bit (renamed PTE_UFFD / PTE_SWP_UFFD) 58 / 3; riscv pgtable.h "Format of swap
PTE" unchanged (bits 3 and 4 swap soft-dirty / uffd only with MEM_SOFT_DIRTY /
HAVE_ARCH_USERFAULTFD_WP, neither in these kernels); swap.h: migration 3,
hwpoison 1, PTE marker 1 as in 6.12, but SWP_DEVICE_NUM is 3 (no separate
device-exclusive read/write types; not in these configs); PTE_MARKER_UFFD_WP is
still marker bit 0. PTE_DEVMAP (bit 57) is gone in 7.3, bit 57 unused.
"""
import json
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from elfcore import Core as Mem, pte_walk  # noqa: E402  (ELF PT_LOAD reader; the table walk)
from pagemap_capture import read_capture  # noqa: E402

M64 = (1 << 64) - 1
PFN55 = (1 << 55) - 1




def read_config(config_path):
    """(version tuple, set of =y option names) from a kernel .config, whose
    third line is "# Linux/ARCH X.Y.Z Kernel Configuration"."""
    cfg, ver = set(), None
    for line in open(config_path):
        if ver is None and line.startswith("# Linux/"):
            ver = tuple(int(x) for x in line.split()[2].split("-")[0].split(".")[:2])
        if line.startswith("CONFIG_") and line.rstrip().endswith("=y"):
            cfg.add(line.split("=")[0][7:])
    if ver not in ((6, 1), (6, 12), (7, 3)):
        raise SystemExit("%s: kernel %s; this script knows 6.1, 6.12 and 7.3" % (config_path, ver))
    return ver, cfg


def swap_types(ver, cfg):
    """{type: kind} for the reserved types, and MAX_SWAPFILES, from .config."""
    dev = (3 if ver >= (7, 3) else 4) if "DEVICE_PRIVATE" in cfg else 0
    mig = 3 if "MIGRATION" in cfg else 0
    hwp = 1 if "MEMORY_FAILURE" in cfg else 0
    if ver >= (6, 12):   # marker always reserved, no swapin-error type
        mark, swapin_err = 1, 0
    else:
        mark, swapin_err = (1 if "PTE_MARKER" in cfg else 0), 1
    maxsf = 32 - dev - mig - hwp - mark - swapin_err
    names = {}
    t = maxsf
    for n, kinds in ((hwp, ["hwpoison"]),
                     (mig, ["migration_read", "migration_read_exclusive", "migration_write"]),
                     (dev, ["device_private_write", "device_private_read", "device_exclusive"]
                      if ver >= (7, 3) else
                      ["device_private_write", "device_private_read",
                       "device_exclusive_write", "device_exclusive_read"]),
                     (mark, ["pte_marker"])):
        for k in kinds[:n]:
            names[t] = k
            t += 1
    if swapin_err:
        names[t] = "swapin_error"
    return maxsf, names


class Arch:
    def __init__(self, arch, outdir, ver=(6, 1), cfg=frozenset()):
        self.arch = arch
        self.ver = ver
        # uffd-wp bits exist only with HAVE_ARCH_USERFAULTFD_WP (arm64 6.12
        # selects it with USERFAULTFD; riscv 6.12 and both in 6.1 do not).
        self.uffd = arch == "arm64" and ver >= (6, 12) and "USERFAULTFD" in cfg
        # pagemap's PM_UFFD_WP for a PTE marker: pte_marker_entry_uffd_wp(),
        # the marker's PTE_MARKER_UFFD_WP bit (offset bit 0), with that option.
        self.marker_wp = "PTE_MARKER_UFFD_WP" in cfg
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

    def decode(self, e, names, maxsf):
        """(kind, pagemap-like value, exclusive) from a raw PTE, in kptdump's
        kind words (normal, special, devmap, prot_none, swap, hwpoison, ...)."""
        if e == 0:
            return "none", 0, False
        new = self.ver >= (6, 12)
        wp = 0
        if self.arch == "arm64":
            # 6.1: PTE_PROT_NONE bit 58; 6.12: PTE_PRESENT_INVALID = nG, bit 11
            present = e & 1 or (e >> 11 & 1 if new else e >> 58 & 1)
            if present:
                pfn = (e & self.addr_mask) >> 12
                kind = "prot_none" if not e & 1 else \
                    "special" if e >> 56 & 1 else "devmap" if e >> 57 & 1 else "normal"
                if self.uffd and e >> 58 & 1:
                    wp = 1 << 57
                return kind, 1 << 63 | wp | pfn, False
            if new:
                t, off, excl = e >> 6 & 31, e >> 12 & ((1 << 50) - 1), bool(e >> 2 & 1)
                if self.uffd and e >> 3 & 1:
                    wp = 1 << 57
            else:
                t, off, excl = e >> 3 & 31, e >> 8 & ((1 << 50) - 1), bool(e >> 2 & 1)
        else:
            present = e & 1 or e & 0x20
            if present:
                pfn = (e >> 10) & ((1 << 44) - 1)
                kind = "prot_none" if not e & 1 else "special" if e >> 8 & 1 else "normal"
                return kind, 1 << 63 | pfn, False
            if new:
                t, off, excl = e >> 7 & 31, e >> 12, bool(e >> 6 & 1)
            else:
                t, off, excl = e >> 6 & 31, e >> 11, False
        kind = "swap" if t < maxsf else names.get(t, "non_swap")
        if kind == "pte_marker" and self.marker_wp and off & 1:
            wp = 1 << 57
        return kind, 1 << 62 | wp | t | (off << 5 & PFN55), excl


def main():
    arch, out, pgd = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
    jsonl = sys.argv[4] if len(sys.argv) > 4 else None
    ver, cfg = read_config(os.path.join(out, "config"))
    A = Arch(arch, out, ver, cfg)
    maxsf, names = swap_types(ver, cfg)
    print("# %s, Linux %d.%d encodings, %d levels; MAX_SWAPFILES %d; reserved swap types: %s" % (
        arch, ver[0], ver[1], A.levels, maxsf, ", ".join("%d %s" % kv for kv in sorted(names.items()))))
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
            # None (no table below), the PTE, or (shift, entry) for an entry above
            # the last level that is no table (a block/huge leaf, or non-present)
            w = pte_walk(mem, pgd, va, A.levels, arch)
            excl = False
            if w is None:
                raw, kind, mine = "no-table", "none", 0
            elif isinstance(w, tuple):
                shift, he = w
                lvl = {21: "pmd", 30: "pud", 39: "p4d"}.get(shift, "l%d" % shift)
                raw = "%016x(%s)" % (he, lvl)
                kind, mine, excl = A.decode(he, names, maxsf)
                if mine >> 63:  # a huge leaf: the 4K page inside it
                    mine = (mine & ~PFN55) | ((mine & PFN55) & ~((1 << (shift - 12)) - 1)) + \
                        ((va & ((1 << shift) - 1)) >> 12)
                    kind = "thp-" + kind
            else:
                raw = "%016x" % w
                kind, mine, excl = A.decode(w, names, maxsf)
            p = pm.get(va, 0)
            cmp_mask = 1 << 63 | 1 << 62 | 1 << 57 | 1 << 55 | PFN55
            ok = (p & cmp_mask) == (mine & cmp_mask)
            bad_capture += not ok
            cat = kind + (" excl" if excl else "") + (" uffd-wp" if mine >> 57 & 1 else "")
            if kind in ("swap",):
                cat += " type %d" % (mine & 31)
            seen.setdefault((name, cat), (i, va, p, raw))
            kdesc = ""
            if jsonl:
                s0, k = next(((s, r) for s, t, r in ranges if s <= va < t), (0, None))
                if k is None:
                    kdesc, kbad = "no range", kind != "none"
                elif "kind" not in k and kind == "none" and not k["present"]:
                    # An empty entry inside a range ptdump prints without
                    # attributes (a hole between mappings): nothing to decode.
                    kdesc, kbad = "hole (present=False)", False
                elif "kind" not in k:
                    kdesc = "not decoded (present=%s%s)" % (
                        k["present"], " phys=" + k["phys"] if "phys" in k else "")
                    kbad = None
                else:
                    kdesc = "%s present=%s" % (k["kind"], k["present"])
                    for f in ("swap_type", "swap_offset", "exclusive", "uffd_wp", "soft_dirty"):
                        if f in k:
                            kdesc += " %s=%s" % (f, k[f])
                    if "phys" in k:
                        kdesc += " phys=%s" % k["phys"]
                    want = kind[4:] if kind.startswith("thp-") else kind
                    kbad = k["kind"] != want
                    if "uffd_wp" in k:   # every entry of a range shares it
                        kbad |= k["uffd_wp"] != bool(mine >> 57 & 1)
                    if "soft_dirty" in k:
                        kbad |= k["soft_dirty"] != bool(mine >> 55 & 1)
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
