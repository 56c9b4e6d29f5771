#!/usr/bin/env python3
"""Every leaf of an independent walk (check-walk-lpa2.py --leaves) through `kptdump vtop`.

Usage: judge-vtop.py LEAVES KPTDUMP DUMP [vtop options, e.g. --pid 1]

For each leaf "VA SIZE PA DESCRIPTOR", asks kptdump to translate VA + 0x123 (5,000
addresses per run) and checks that it prints "physical PA+0x123" and that the last
level line's entry is DESCRIPTOR. Prints a summary and up to 20 mismatches; exit 1 on any.
"""
import re
import subprocess
import sys


def main():
    leaves_path, kptdump, dump = sys.argv[1:4]
    extra = sys.argv[4:]
    leaves = []
    for line in open(leaves_path):
        va, size, pa, d = line.split()
        leaves.append((int(va, 16), int(size, 16), int(pa, 16), int(d, 16)))
    bad = []
    checked = 0
    head = re.compile(r"^0x([0-9a-f]+)  \[")
    step = re.compile(r"^  (pgd|p4d|pud|pmd|pte)  0x[0-9a-f]+\[\d+\]\s+0x([0-9a-f]+)")
    phys = re.compile(r"^  physical 0x([0-9a-f]+)")
    for i in range(0, len(leaves), 5000):
        batch = leaves[i:i + 5000]
        r = subprocess.run([kptdump, "vtop", dump, *extra, *[hex(l[0] + 0x123) for l in batch]],
                           capture_output=True, text=True)
        got = {}
        cur = None
        for line in r.stdout.splitlines():
            m = head.match(line)
            if m:
                cur = int(m.group(1), 16)
                got[cur] = [None, None]
                continue
            m = step.match(line)
            if m and cur is not None:
                got[cur][1] = int(m.group(2), 16)
                continue
            m = phys.match(line)
            if m and cur is not None:
                got[cur][0] = int(m.group(1), 16)
        for va, size, pa, d in batch:
            checked += 1
            g = got.get(va + 0x123)
            if g is None:
                bad.append(f"{va:#x}: no vtop answer (rc {r.returncode})")
            elif g[0] != pa + 0x123 or g[1] != d:
                bad.append(f"{va:#x}: walk PA {pa + 0x123:#x} entry {d:#018x}; vtop PA "
                           f"{g[0] if g[0] is None else hex(g[0])} entry {g[1] if g[1] is None else hex(g[1])}")
    print(f"leaves checked through vtop: {checked}; mismatches: {len(bad)}")
    for b in bad[:20]:
        print("MISMATCH", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
