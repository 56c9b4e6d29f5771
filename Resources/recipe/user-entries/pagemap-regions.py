#!/usr/bin/env python3
"""pagemap-regions.py OUT: what the victim's pagemap (OUT/pagemap.txt, printed by
init.c just before the dump) says per region of OUT/victim.txt, in runs of pages
of the same kind, and whether that is what init.c intended (OUT/steps.txt tells
which calls worked). Architecture-neutral: it reads only pagemap, so it serves
the architectures check.py does not decode (ppc64le, s390x) as well.

pagemap (Documentation/admin-guide/mm/pagemap.rst, fs/proc/task_mmu.c): bit 63
present, 62 swap (also hwpoison and PTE markers), 61 file/shared-anon, 58 guard
region, 57 uffd-wp, 56 exclusively mapped, 55 soft-dirty; bits 0..54 the PFN
(present) or type | offset << 5 (swap; hwpoison: the offset is the PFN).
Swap types above MAX_SWAPFILES (include/linux/swap.h, 6.12 and 7.3: 32 minus
3 device (DEVICE_PRIVATE), 3 migration (MIGRATION), 1 hwpoison (MEMORY_FAILURE),
1 PTE marker; computed from OUT/config): hwpoison, migration, device, marker.

Intended (init.c), page numbers within each region:
  region  0..15 swap type 0; 50..53 swap type 1; 20 hwpoison when "MADV_HWPOISON
          page 20: ok" (else present); 40..41 present (PROT_NONE is present to
          pagemap); the others present
  zero    present, not exclusive (the zero page: vm_normal_page is NULL)
  thp     present, PFNs contiguous, the first aligned to the region's page count
  uffd    with a userfaultfd (steps "uffd: UFFDIO_REGISTER WP: ok"): 0..1
          present uffd-wp, 2..3 swap uffd-wp, 4..7 swap (PTE marker) uffd-wp;
          without: 0..3 present, 4..7 none
  soft-dirty, when the steps say "soft-dirty: clear_refs 4 ...: ok" (kernels
          with MEM_SOFT_DIRTY): region 60..61 present and 62 swap type 1, all
          three soft-dirty, and no other page of any region soft-dirty.
          Otherwise soft-dirty is not looked at (where VMAs carry
          VM_SOFTDIRTY, pagemap sets bit 55 on all their pages).
Exit 1 when a page is not as intended.
"""
import os
import re
import sys


def config_bools(path):
    on = set()
    try:
        for line in open(path):
            m = re.match(r"CONFIG_(\w+)=y$", line.strip())
            if m:
                on.add(m.group(1))
    except OSError:
        pass
    return on


def main():
    out = sys.argv[1]
    cfg = config_bools(os.path.join(out, "config"))
    maxsf = 32 - (3 if "DEVICE_PRIVATE" in cfg else 0) - (3 if "MIGRATION" in cfg else 0) \
        - (1 if "MEMORY_FAILURE" in cfg else 0) - 1
    hwpoison_type = maxsf if "MEMORY_FAILURE" in cfg else None
    pm = {}
    for line in open(os.path.join(out, "pagemap.txt")):
        f = line.split()
        if len(f) == 2:
            pm[int(f[0], 16)] = int(f[1], 16)
    regions = []
    for line in open(os.path.join(out, "victim.txt")):
        m = re.match(r"(\w+) ([0-9a-f]+) (\d+) pages", line)
        if m:
            regions.append((m.group(1), int(m.group(2), 16), int(m.group(3))))
    steps = open(os.path.join(out, "steps.txt")).read() if os.path.exists(os.path.join(out, "steps.txt")) else ""
    vas = sorted(pm)
    diffs = [b - a for a, b in zip(vas, vas[1:]) if b > a]
    pg = min(diffs) if diffs else 4096
    print(f"page size {pg}; MAX_SWAPFILES {maxsf}; hwpoison type {hwpoison_type if hwpoison_type is not None else '(no MEMORY_FAILURE)'}")

    def decode(e):
        flags = [n for b, n in ((55, "soft-dirty"), (56, "exclusive"), (57, "uffd-wp"), (58, "guard"), (61, "file"))
                 if e >> b & 1]
        frame = e & ((1 << 55) - 1)
        if e >> 63 & 1:
            return "present", frame, flags
        if e >> 62 & 1:
            t, off = frame & 31, frame >> 5
            if t < maxsf:
                return f"swap type {t}", off, flags
            if t == hwpoison_type:
                return "hwpoison", off, flags
            if t == 31:
                return "pte marker", off, flags
            return f"swap type {t} (non-swap)", off, flags
        # pte_none (or a hole): only soft-dirty may be set (VM_SOFTDIRTY VMAs)
        return ("none" if frame == 0 and not e >> 56 else f"? {e:016x}"), None, flags

    initlog = open(os.path.join(out, "init-log.txt")).read() if os.path.exists(os.path.join(out, "init-log.txt")) else ""
    m = re.search(r"hpage_pmd_size (\d+)", initlog)
    no_thp = m is not None and m.group(1) == "0"   # the file was missing: no THP on this machine
    hw_ok = re.search(r"^MADV_HWPOISON page 20: ok$", steps, re.M) is not None
    uffd_ok = re.search(r"^uffd: UFFDIO_REGISTER WP: ok$", steps, re.M) is not None
    sd_ok = re.search(r"^soft-dirty: clear_refs 4 .*: ok$", steps, re.M) is not None

    def intended(name, i, n):
        """(kind, required flags, forbidden flags) init.c intended for page i."""
        kind, need, forbid = intended_kind(name, i, n)
        if sd_ok and kind is not None:
            sd = name == "region" and 60 <= i <= 62
            need, forbid = (need + ("soft-dirty",), forbid) if sd else (need, forbid + ("soft-dirty",))
        return kind, need, forbid

    def intended_kind(name, i, n):
        if name == "region":
            if i == 62 and sd_ok:
                return "swap type 1", (), ()
            if i < 16:
                return "swap type 0", (), ()
            if 50 <= i <= 53:
                return "swap type 1", (), ()
            if i == 20 and hw_ok:
                return "hwpoison", (), ()
            return "present", (), ()
        if name == "zero":
            return "present", (), ("exclusive",)
        if name == "thp":
            return "present", (), ()
        if name == "uffd":
            if uffd_ok:
                return ("present", ("uffd-wp",), ()) if i < 2 else \
                    ("swap type 1", ("uffd-wp",), ()) if i < 4 else ("pte marker", ("uffd-wp",), ())
            return ("present", (), ()) if i < 4 else ("none", (), ())
        return None, (), ()

    bad = 0
    for name, base, n in regions:
        print(f"{name} {base:016x} {n} pages")
        if base == 0:
            print("  (not mapped)")
            continue
        runs = []   # [key, first page, last page, values]
        pfns = []
        for i in range(n):
            e = pm.get(base + i * pg)
            kind, val, flags = decode(e) if e is not None else ("not in pagemap", None, [])
            if kind == "present":
                pfns.append(val)
            want, need, forbid = intended(name, i, n)
            ok = want is None or (kind == want and all(f in flags for f in need)
                                  and not any(f in flags for f in forbid))
            bad += not ok
            key = (kind, tuple(flags), ok, want, tuple(need), tuple(forbid))
            if runs and runs[-1][0] == key:
                runs[-1][2] = i
                runs[-1][3].append(val)
            else:
                runs.append([key, i, i, [val]])
        for (kind, flags, ok, want, need, forbid), a, b, vals in runs:
            what = kind
            if vals[0] is not None:
                label = "pfn" if kind in ("present", "hwpoison") else "offset"
                if len(vals) == 1:
                    what += f", {label} {vals[0]:#x}"
                elif all(y == x + 1 for x, y in zip(vals, vals[1:])):
                    what += f", {label}s {vals[0]:#x}..{vals[-1]:#x}"
                elif all(y == x - 1 for x, y in zip(vals, vals[1:])):
                    what += f", {label}s {vals[0]:#x}..{vals[-1]:#x} (descending)"
                elif len(set(vals)) == 1:
                    what += f", {label} {vals[0]:#x} (all)"
                elif len(vals) <= 8:
                    what += f", {label}s " + " ".join(f"{v:#x}" for v in vals)
                else:
                    what += f", {len(vals)} {label}s, not consecutive: " + " ".join(f"{v:#x}" for v in vals[:4]) \
                        + " ... " + " ".join(f"{v:#x}" for v in vals[-2:])
            if flags:
                what += " [" + " ".join(flags) + "]"
            intent = want + "".join(f" +{f}" for f in need) + "".join(f" -{f}" for f in forbid)
            note = "" if ok else f"   <-- UNEXPECTED (intended: {intent})"
            pages = f"{a}" if a == b else f"{a}..{b}"
            print(f"  {pages:<8} {what}{note}")
        if name == "thp" and pfns:
            contiguous = len(pfns) == n and all(b == a + 1 for a, b in zip(pfns, pfns[1:]))
            aligned = pfns[0] % n == 0
            print(f"  thp: {'contiguous' if contiguous else 'NOT contiguous'} PFNs, first "
                  f"{'aligned' if aligned else 'NOT aligned'} to {n} pages ({n * pg // 1024}K)")
            if no_thp:
                print("  thp: no THP on this machine (init: hpage_pmd_size unreadable, "
                      "has_transparent_hugepage() false): small pages, not counted")
            elif not (contiguous and aligned):
                bad += 1
        if name == "zero" and pfns:
            z = sorted(set(pfns))
            if len(z) > 4 and z[-1] - z[0] == len(z) - 1:
                print(f"  zero page PFNs: {len(z)} distinct, {z[0]:#x}..{z[-1]:#x}")
            else:
                print(f"  zero page PFNs: {' '.join(f'{p:#x}' for p in z)}")
    print(f"pagemap vs init.c's intent: {'as intended' if bad == 0 else f'{bad} UNEXPECTED'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
