#!/usr/bin/env python3
"""Peer benchmark: enumerate an x86-64 kernel's page-table leaves with drgn.

Usage: drgn_walk.py DUMP VMLINUX [--count-only] [--repeat K] [--verify N|all]
                    [--addresses FILE]

Opens DUMP (an ELF vmcore, e.g. QEMU dump-guest-memory) with VMLINUX as debug
info, finds the kernel page table (init_mm.pgd, which is init_top_pgt =
swapper_pg_dir on x86-64) and walks its kernel half (top-level entries
256..511), visiting every present leaf: 4 KiB PTEs, 2 MiB PMDs and 1 GiB PUDs
(PSE bit set), on 4- or 5-level paging.

drgn 0.3.0 walks page tables in C (libdrgn's linux_kernel_pgtable_iterator),
but Python only sees it through follow_phys(mm, addr), which translates one
address and says nothing about the leaf's size or flags, so it cannot
enumerate mappings. The walk is therefore done here in Python, reading each
table page whole from physical memory with prog.read(pa, 4096, True) and
decoding it with memoryview.cast('Q'). Only drgn reads the dump.

By default every leaf is enumerated as (virtual address, size, physical
address, entry) like a listing would need. --count-only counts PTE-level
leaves with a bytes.translate/count trick instead of a Python loop (a lower
bound: no per-leaf record).

Prints one line of JSON:
  {"tool":"drgn","version":...,"method":...,"seconds":walk time,
   "load_seconds":open dump + debug info + locating the root table,
   "leaves":present leaf entries,"bytes_mapped":sum of leaf sizes,
   "peak_rss_kb":...,...}
"""

import argparse
import json
import os
import resource
import sys
import time

T_START = time.perf_counter()

import drgn  # noqa: E402
from drgn.helpers.linux.boot import pgtable_l5_enabled  # noqa: E402
from drgn.helpers.linux.mm import follow_phys  # noqa: E402

PRESENT = 0x1
PSE = 0x80  # leaf bit in PUD/PMD entries (in a PTE this bit is PAT)
ADDR_MASK = 0x000F_FFFF_FFFF_F000  # bits 12..51: next table / 4 KiB frame
PAGE = 4096

# Low byte of each 8-byte entry -> 1 if present, else 0 (for --count-only).
_PRESENT_BYTE = bytes(b & 1 for b in range(256))


def walk(prog, root_pa, levels, count_only):
    """Walk the kernel half of the table at root_pa.

    Returns (leaves, bytes_mapped, leaves_by_level, tables_read,
    missing_tables, records)."""
    va_bits = 12 + 9 * levels  # 48 or 57
    sign = ~((1 << va_bits) - 1) & 0xFFFF_FFFF_FFFF_FFFF
    read = prog.read
    shifts = [12 + 9 * k for k in range(levels)]  # shifts[0]=PTE ... top
    names = ["pte", "pmd", "pud", "p4d", "pgd"][:levels]
    names[-1] = "pgd"
    by_level = {n: 0 for n in names}
    state = {"tables": 0, "missing": 0, "leaves": 0, "bytes": 0}
    records = []
    rec = records.append
    extend = records.extend

    def table(pa, lvl, base):
        # lvl: index into shifts (levels-1 = top). base: VA of entry 0.
        try:
            data = read(pa, PAGE, True)
        except drgn.FaultError:
            state["missing"] += 1
            return
        state["tables"] += 1
        shift = shifts[lvl]
        if lvl == 0:
            if count_only:
                n = data[0::8].translate(_PRESENT_BYTE).count(1)
            else:
                leaf = [(base + (i << 12), PAGE, e & ADDR_MASK, e)
                        for i, e in enumerate(memoryview(data).cast("Q"))
                        if e & PRESENT]
                extend(leaf)
                n = len(leaf)
            state["leaves"] += n
            state["bytes"] += n * PAGE
            by_level["pte"] += n
            return
        ents = memoryview(data).cast("Q")
        start = 256 if lvl == levels - 1 else 0  # kernel half of the top table
        size = 1 << shift
        for i in range(start, 512):
            e = ents[i]
            if not e & PRESENT:
                continue
            va = base + (i << shift)
            if lvl == levels - 1:
                va |= sign if i >= 256 else 0
            if lvl <= 2 and e & PSE:  # 2 MiB PMD or 1 GiB PUD leaf
                # Frame address: clear the large-page PAT bit (bit 12).
                if not count_only:
                    rec((va, size, e & ADDR_MASK & ~(size - 1), e))
                state["leaves"] += 1
                state["bytes"] += size
                by_level[names[lvl]] += 1
            else:
                table(e & ADDR_MASK, lvl - 1, va)

    table(root_pa, levels - 1, 0)
    return (state["leaves"], state["bytes"], by_level, state["tables"],
            state["missing"], records)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump")
    ap.add_argument("vmlinux")
    ap.add_argument("--count-only", action="store_true",
                    help="count PTE leaves without a per-leaf record")
    ap.add_argument("--repeat", type=int, default=1,
                    help="walk K times; 'seconds' is the first walk, "
                    "'seconds_all' lists them all")
    ap.add_argument("--addresses", metavar="FILE",
                    help="also time follow_phys on each address in FILE (hex, "
                    "one a line; 'vtop ADDR' lines and crash_vtop.sh's "
                    "vtop.cmd work too): drgn's per-address rate")
    ap.add_argument("--verify", metavar="N|all",
                    help="check N leaves (or all) against drgn's follow_phys "
                    "and time it (needs the default per-leaf enumeration)")
    args = ap.parse_args()
    if args.verify and args.count_only:
        ap.error("--verify needs the per-leaf enumeration, not --count-only")
    if args.verify and args.verify != "all" and not args.verify.isdigit():
        ap.error("--verify takes a count or 'all'")

    t0 = time.perf_counter()
    prog = drgn.Program()
    prog.set_core_dump(args.dump)
    try:
        prog.load_debug_info([args.vmlinux])
    except drgn.MissingDebugInfoError as e:
        # Only modules' debug info is missing; the kernel's is what we need.
        print(f"drgn_walk: warning: {str(e).splitlines()[0]}", file=sys.stderr)
    if prog.platform.arch != drgn.Architecture.X86_64:
        print(f"drgn_walk: only x86-64 is handled, not {prog.platform.arch}",
              file=sys.stderr)
        return 2
    init_mm = prog["init_mm"]
    root_va = init_mm.pgd.value_()
    # init_top_pgt lives in the kernel image, not the direct map, so
    # translate it through the page table itself (drgn's C walker).
    root_pa = follow_phys(init_mm.address_of_(), root_va).value_()
    levels = 5 if pgtable_l5_enabled(prog) else 4
    load_seconds = time.perf_counter() - t0

    times = []
    for _ in range(max(1, args.repeat)):
        result = None  # let the previous walk's records go first
        t1 = time.perf_counter()
        result = walk(prog, root_pa, levels, args.count_only)
        times.append(time.perf_counter() - t1)
    leaves, nbytes, by_level, tables, missing, records = result

    addr_result = None
    if args.addresses:
        addrs = []
        for line in open(args.addresses):
            words = line.split()
            if words and words[0] == "vtop":
                words = words[1:]
            if words and not words[0].startswith(("!", "#", "q")):
                addrs.append(int(words[0], 16))
        mm_ptr = init_mm.address_of_()
        faults = 0
        t3 = time.perf_counter()
        for a in addrs:
            try:
                follow_phys(mm_ptr, a)
            except drgn.FaultError:
                faults += 1
        at = time.perf_counter() - t3
        addr_result = {"addresses": len(addrs), "address_faults": faults,
                       "addresses_seconds": round(at, 6),
                       "addresses_per_second":
                           round(len(addrs) / at, 1) if at else None}

    verify = None
    if args.verify:
        # Cross-check the Python walk against drgn's own C page-table walker
        # (follow_phys), on N leaves spread evenly over the enumeration. This
        # also gives drgn's per-address translation rate (compare crash vtop).
        n = len(records) if args.verify == "all" else int(args.verify)
        n = max(1, min(n, len(records)))
        step = len(records) / n
        sample = [records[int(k * step)] for k in range(n)]
        mm_ptr = init_mm.address_of_()
        bad = []
        t2 = time.perf_counter()
        for va, size, pa, _e in sample:
            off = (va * 7 + 0x5A8) & (size - 1) & ~7  # some offset in the leaf
            try:
                got = follow_phys(mm_ptr, va + off).value_()
            except drgn.FaultError:
                got = None
            if got != pa + off:
                bad.append((hex(va + off), hex(pa + off),
                            None if got is None else hex(got)))
        vt = time.perf_counter() - t2
        verify = {"verify_count": n, "verify_mismatches": len(bad),
                  "verify_seconds": round(vt, 6),
                  "follow_phys_per_second": round(n / vt, 1) if vt else None}
        for b in bad[:10]:
            print(f"drgn_walk: mismatch va {b[0]}: walk {b[1]}, follow_phys "
                  f"{b[2]}", file=sys.stderr)

    method = ("python walk of init_mm.pgd (kernel half): prog.read(pa, 4096, "
              "physical=True) per table page, memoryview.cast('Q'); "
              + ("PTE leaves counted with bytes.translate/count"
                 if args.count_only else
                 "every leaf recorded as (va, size, pa, entry)"))
    out = {
        "tool": "drgn",
        "version": drgn.__version__,
        "method": method,
        "seconds": round(times[0], 6),
        "load_seconds": round(load_seconds, 6),
        "leaves": leaves,
        "bytes_mapped": nbytes,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "levels": levels,
        "root_pa": hex(root_pa),
        "leaves_by_level": by_level,
        "tables_read": tables,
        "missing_tables": missing,
        "records": len(records),
        "repeat": len(times),
        "seconds_all": [round(t, 6) for t in times],
        "total_seconds": round(time.perf_counter() - T_START, 6),
        "python": sys.version.split()[0],
        "loadavg_1min": os.getloadavg()[0],
    }
    if verify:
        out.update(verify)
    if addr_result:
        out.update(addr_result)
    print(json.dumps(out))
    if verify and verify["verify_mismatches"]:
        return 4
    return 0 if missing == 0 else 3


if __name__ == "__main__":
    sys.exit(main())
