#!/usr/bin/env python3
"""Compare drgn_walk.py's counts with kptdump's listing of the same dump.

Usage: check_counts.py LISTING_JSON [DRGN_JSON]

LISTING_JSON is `kptdump --core DUMP --vmlinux VMLINUX --json` output (one
JSON object per range; '-' reads stdin). Sums the sizes of its present ranges
in the kernel half (the listing also has the empty user half) and, when
DRGN_JSON (a file holding drgn_walk.py's output line) is given, compares that
with drgn's bytes_mapped. Prints one line of JSON; exits 1 on a mismatch.
"""

import json
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2])
    src = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1])
    ranges = present = nbytes = user_bytes = 0
    for line in src:
        if not line.strip():
            continue
        r = json.loads(line)
        ranges += 1
        if not r.get("present"):
            continue
        if int(r["start"], 16) < 1 << 63:
            user_bytes += r["size"]
            continue
        present += 1
        nbytes += r["size"]
    out = {"listing_ranges": ranges, "listing_present_ranges": present,
           "listing_bytes_present": nbytes,
           "listing_user_half_bytes_present": user_bytes}
    ok = True
    if len(sys.argv) == 3:
        d = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
        out["drgn_bytes_mapped"] = d["bytes_mapped"]
        out["drgn_leaves"] = d["leaves"]
        ok = d["bytes_mapped"] == nbytes
        out["equal"] = ok
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
