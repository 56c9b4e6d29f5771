#!/usr/bin/env python3
"""Judge `kptdump list --pid 1 --json` against the guest's /proc/1/maps (stdlib only).

Usage: judge-maps.py MAPS_TXT LISTING_JSONL ARCH      (ARCH: x86_64 or arm64)

init (lib/init.c) ran mlockall() before printing its maps, and nothing ran in user
space after it, so:
  - every present page below the kernel half is a user page inside a VMA, writable only
    where the VMA has w, executable (to user space) only where it has x; on arm64 a page
    is user-executable unless UXN, and RW is writable (a writable-clean page prints ro);
  - every VMA is fully mapped, except the vvar ones ([vvar], [vvar_vclock]), which are
    VM_PFNMAP/VM_IO and only mapped when touched.
Exit status 1 on any mismatch.
"""
import json
import sys


def main():
    maps_path, listing_path, arch = sys.argv[1:4]
    vmas = []
    for line in open(maps_path):
        f = line.split()
        if len(f) >= 5 and "-" in f[0]:
            s, e = (int(x, 16) for x in f[0].split("-"))
            vmas.append((s, e, f[1], f[5] if len(f) > 5 else ""))
    covered = {v[0]: 0 for v in vmas}
    bad = []
    n = 0
    for line in open(listing_path):
        r = json.loads(line)
        if not r["present"]:
            continue
        s, e = int(r["start"], 16), int(r["end"], 16)
        if s >= 1 << 63:
            continue  # the kernel half (x86 --pid lists both halves)
        n += 1
        a = set(r["attributes"])
        user = "USR" in a
        writable = "RW" in a
        executable = ("x" in a) if arch == "x86_64" else ("UXN" not in a)
        inside = 0
        for vs, ve, perms, name in vmas:
            if vs < e and s < ve:
                ov = min(e, ve) - max(s, vs)
                inside += ov
                covered[vs] += ov
                if not user:
                    bad.append(f"{s:#x}: not a user page {sorted(a)}")
                if writable and "w" not in perms:
                    bad.append(f"{s:#x}-{e:#x}: writable in {perms} {name}")
                if executable and "x" not in perms:
                    bad.append(f"{s:#x}-{e:#x}: executable in {perms} {name}")
        if inside != e - s:
            bad.append(f"{s:#x}-{e:#x}: {e - s - inside:#x} bytes mapped outside every VMA")
    for vs, ve, perms, name in vmas:
        if name.startswith("[vvar"):
            continue
        if covered[vs] != ve - vs:
            bad.append(f"VMA {vs:#x}-{ve:#x} {perms} {name}: {covered[vs]:#x} of {ve - vs:#x} bytes mapped")
    print(f"VMAs: {len(vmas)}; present user ranges: {n}; mismatches: {len(bad)}")
    for b in bad[:20]:
        print("MISMATCH", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
