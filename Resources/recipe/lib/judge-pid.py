#!/usr/bin/env python3
"""Judge `kptdump --pid 1` on a capture without any page-table code of our own.

Usage: judge-pid.py CAPTURE_DIR KPTDUMP [KPTDUMP_ARGS...]
       (e.g. judge-pid.py /work/big/s390x-7.3/plain .build/debug/kptdump --vmlinux VMLINUX)

init (lib/init.c) ran mlockall() before printing /proc/self/maps (maps.txt), and nothing
ran in user space after it, so at the dump (CAPTURE/vmcore.elf):
  1. maps: every present range of `list --pid 1 --json` lies inside a VMA that allows it
     (writable only in a w VMA, executable only in an x one), and every VMA but the vvar
     ones is fully present;
  2. bytes: every 4K page of /init's executable file mappings (never written; its
     read-only RELRO mapping was written before mprotect), translated by
     `vtop --pid 1`, holds in the dump exactly the bytes of the /init file (taken out of
     CAPTURE/initrd.cpio.gz) at that VMA's offset: the translation is right whatever the
     architecture's table format.
Exit status 1 on any mismatch. Standard library only.
"""
import gzip
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from elfcore import Core  # noqa: E402

PAGE = 4096


def cpio_file(path, name):
    """One file's bytes out of a gzip'd newc cpio archive."""
    data = gzip.open(path).read()
    at = 0
    while at + 110 <= len(data):
        hdr = data[at:at + 110]
        if hdr[:6] not in (b"070701", b"070702"):
            break
        size = int(hdr[54:62], 16)
        namesize = int(hdr[94:102], 16)
        fname = data[at + 110:at + 110 + namesize - 1].decode()
        start = (at + 110 + namesize + 3) & ~3
        if fname == name:
            return data[start:start + size]
        if fname == "TRAILER!!!":
            break
        at = (start + size + 3) & ~3
    raise SystemExit(f"{path}: no {name}")


def maps(path):
    out = []
    for line in open(path):
        f = line.split()
        if len(f) >= 5 and "-" in f[0]:
            s, e = (int(x, 16) for x in f[0].split("-"))
            out.append((s, e, f[1], int(f[2], 16), f[5] if len(f) > 5 else ""))
    return out


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    return p.stdout


def main():
    cap, kptdump, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    core_path = os.path.join(cap, "vmcore.elf")
    vmas = maps(os.path.join(cap, "maps.txt"))
    bad = []

    listing = [json.loads(l) for l in run([kptdump, "list", core_path, "--pid", "1", "--json"] + extra).splitlines()]
    covered = {v[0]: 0 for v in vmas}
    present = [r for r in listing if r.get("present")]
    for r in present:
        s, e = int(r["start"], 16), int(r["end"], 16)
        inside = 0
        for vs, ve, perms, _off, name in vmas:
            lo, hi = max(s, vs), min(e, ve)
            if lo >= hi:
                continue
            inside += hi - lo
            covered[vs] += hi - lo
            if r["writable"] and "w" not in perms:
                bad.append(f"{s:#x}: writable in {perms} {name}")
            if r["executable"] and "x" not in perms:
                bad.append(f"{s:#x}: executable in {perms} {name}")
        if inside != e - s:
            bad.append(f"{s:#x}-{e:#x}: present outside every VMA")
    for vs, ve, perms, _off, name in vmas:
        if not name.startswith("[vvar") and covered[vs] != ve - vs:
            bad.append(f"VMA {vs:#x}-{ve:#x} {name}: {covered[vs]:#x} of {ve - vs:#x} bytes present")
    print(f"maps: {len(present)} present ranges, {len(vmas)} VMAs, {len(bad)} problems")

    init = cpio_file(os.path.join(cap, "initrd.cpio.gz"), "init")
    pages = []
    for vs, ve, perms, off, name in vmas:
        if name == "/init" and "x" in perms and "w" not in perms:
            pages += [(va, off + va - vs) for va in range(vs, ve, PAGE) if off + va - vs < len(init)]
    out = run([kptdump, "vtop", core_path, "--pid", "1"] + extra + [hex(va) for va, _ in pages])
    physical = [int(l.split()[1], 16) for l in out.splitlines() if l.startswith("  physical ")]
    if len(physical) != len(pages):
        bad.append(f"vtop translated {len(physical)} of {len(pages)} pages")
    core = Core(core_path)
    same = 0
    for (va, off), pa in zip(pages, physical):
        want = init[off:off + PAGE]
        got = core.read_phys(pa, len(want))
        if got == want:
            same += 1
        else:
            bad.append(f"{va:#x} -> {pa:#x}: not /init's bytes at offset {off:#x}")
    print(f"bytes: {same} of {len(pages)} pages of /init's executable mappings hold /init's bytes")
    for b in bad[:20]:
        print("  " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
