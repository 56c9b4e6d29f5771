#!/usr/bin/env python3
"""Judge kptdump's x86-64 listing of CPU 0's table against QEMU's `info tlb` (stdlib only).

Usage: judge-tlb.py INFO_TLB LISTING_JSONL
  LISTING_JSONL = `kptdump list --table current-kernel --cpu 0 --json DUMP`

`info tlb` lists every present leaf of CPU 0's CR3: VA, PA and the leaf entry's flag
letters X G P D A C T U W (NX, global, PSE, dirty, accessed, PCD, PWT, user, RW; for 4K
pages QEMU clears bit 7 before printing). This checks, with no code shared with kptdump:
  - every present range [start, end) of the listing is tiled exactly by info tlb leaves
    of its level's size (pte 4K, pmd 2M, pud 1G), one at each step, no gaps;
  - each of those leaves has the flags the range prints: RW/ro <-> W, USR <-> U,
    NX/x <-> X, GLB <-> G, PCD <-> C, PWT <-> T, PSE <-> P (pmd, pud; never P on 4K);
  - the range's "phys" is the PA info tlb gives for its first page;
  - no info tlb leaf lies in a hole (a non-present range) or outside the listing;
  - every info tlb leaf is in some present range (counts must add up).
D and A are not printed by ptdump, so they are not compared. Prints a summary and up to
20 mismatches; exit status 1 on any.
"""
import json
import sys

SIZE = {"pte": 1 << 12, "pmd": 1 << 21, "pud": 1 << 30}
PAIRS = [("RW", "W"), ("USR", "U"), ("NX", "X"), ("GLB", "G"), ("PCD", "C"), ("PWT", "T")]


def main():
    tlb = {}
    for line in open(sys.argv[1], errors="replace"):
        f = line.split()
        if len(f) == 3 and f[0].endswith(":"):
            tlb[int(f[0][:-1], 16)] = (int(f[1], 16), f[2])
    letters = "XGPDACTUW"
    used = set()
    bad = []
    nranges = 0
    for line in open(sys.argv[2]):
        r = json.loads(line)
        s, e = int(r["start"], 16), int(r["end"], 16)
        if not r["present"]:
            # a hole: no leaf may start inside it (checked below through `used`)
            continue
        nranges += 1
        lvl = r["level"]
        step = SIZE.get(lvl)
        if step is None:
            bad.append(f"{s:#x}: present range at level {lvl}")
            continue
        attrs = set(r["attributes"])
        want = {}
        for word, letter in PAIRS:
            want[letter] = word in attrs
        want["P"] = "PSE" in attrs if lvl != "pte" else False
        if lvl != "pte" and "PSE" not in attrs:
            bad.append(f"{s:#x}: {lvl} leaf without PSE in the listing")
        va = s
        while va < e:
            if va not in tlb:
                bad.append(f"{va:#x}: in present range {s:#x}-{e:#x} ({lvl}) but not in info tlb")
                va += step
                continue
            pa, fl = tlb[va]
            used.add(va)
            for letter, on in want.items():
                got = fl[letters.index(letter)] == letter
                if got != on:
                    bad.append(f"{va:#x}: info tlb {fl}, listing {sorted(attrs)} ({letter} {'set' if got else 'clear'} in info tlb)")
                    break
            if va == s and "phys" in r and int(r["phys"], 16) != pa:
                bad.append(f"{va:#x}: listing phys {r['phys']}, info tlb {pa:#x}")
            va += step
    stray = sorted(set(tlb) - used)
    for va in stray[:20]:
        bad.append(f"{va:#x}: info tlb leaf {tlb[va][0]:#x} {tlb[va][1]} in no present range of the listing")
    print(f"info tlb leaves: {len(tlb)}; listing present ranges: {nranges}; leaves covered: {len(used)}; "
          f"stray leaves: {len(stray)}; mismatches: {len(bad)}")
    for b in bad[:20]:
        print("MISMATCH", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
