#!/usr/bin/env python3
"""Find which pages makedumpfile reads beyond a `kptdump snapshot`, and write a
snapshot with those pages added, so that makedumpfile converts it.

Usage: snapshot-plus.py SNAP.core FULL.elf OUT.core [-- MAKEDUMPFILE-ARGS...]
  SNAP.core  a `kptdump snapshot` of FULL.elf (ELF64 LE, program headers at 64)
  FULL.elf   the dump it was made from (QEMU's layout is fine: e_phoff is honoured)
  OUT.core   the snapshot plus the added pages (program headers at 64)
  MAKEDUMPFILE-ARGS  default: -c -d 0

Loop: run `makedumpfile ARGS --message-level 31 OUT.core TMP`; if it fails with
"readpage_elf: Attempt to read non-existent page at 0xADDR", print that page
with the two log lines that follow (makedumpfile's readmem/caller messages,
which say what it was reading), add the page from FULL.elf and run again.
Stops when makedumpfile succeeds, fails in another way, or after 200 rounds.
The output's PT_LOADs are the snapshot's ranges rounded out to whole pages
(makedumpfile drops a PT_LOAD's last partial page, drops a PT_LOAD that lies
inside one page, and zero-fills the part of a first partial page before the
segment) and the added pages, merged where they touch or overlap, with the
bytes taken from FULL.elf; the notes are the snapshot's. Nothing is written into SNAP.core or FULL.elf.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core  # noqa: E402

PAGE = 4096


def write_core(snap, full, out, extra_pages):
    sc, fc = Core(snap), Core(full)
    h, sph = sc.header, sc.phdrs
    note = [p for p in sph if p[0] == 4]
    # whole pages only: makedumpfile drops a PT_LOAD's last partial page (and a
    # PT_LOAD inside one page entirely) and zero-fills a first partial page
    iv = sorted([(p[4] & -PAGE, (p[4] + p[5] + PAGE - 1) & -PAGE) for p in sph if p[0] == 1 and p[5]] +
                [(pg, pg + PAGE) for pg in extra_pages])
    merged = []
    for a, b in iv:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    notes = b""
    for p in note:
        sc.f.seek(p[2])
        notes += sc.f.read(p[5])
    nph = 1 + len(merged)
    off = 64 + 56 * nph
    ph = [struct.pack("<IIQQQQQQ", 4, 0, off, 0, 0, len(notes), len(notes), 4)]
    off += len(notes)
    body = [notes]
    for a, b in merged:
        data = fc.read_phys(a, b - a)
        if data is None:
            raise SystemExit(f"{a:#x}+{b - a:#x} is not inside the full dump's PT_LOADs")
        ph.append(struct.pack("<IIQQQQQQ", 1, 7, off, 0, a, b - a, b - a, 0))
        body.append(data)
        off += b - a
    ehdr = bytearray(h)
    struct.pack_into("<QQ", ehdr, 32, 64, 0)            # e_phoff, e_shoff
    struct.pack_into("<HHHHHH", ehdr, 52, 64, 56, nph, 64, 0, 0)
    with open(out, "wb") as f:
        f.write(ehdr + b"".join(ph) + b"".join(body))
    return len(merged)


def main():
    a = sys.argv[1:]
    if len(a) < 3:
        sys.exit(__doc__)
    snap, full, out = a[:3]
    args = a[4:] if len(a) > 3 and a[3] == "--" else ["-c", "-d", "0"]
    extra = []
    tmpd = tempfile.mkdtemp()
    for rnd in range(200):
        nloads = write_core(snap, full, out, extra)
        dst = os.path.join(tmpd, "out")
        if os.path.exists(dst):
            os.unlink(dst)
        r = subprocess.run(["makedumpfile", *args, "--message-level", "31", out, dst],
                           capture_output=True, text=True, errors="replace")
        log = (r.stdout + r.stderr).replace("\r", "\n")
        if r.returncode == 0:
            print(f"makedumpfile {' '.join(args)}: succeeded after adding {len(extra)} page(s); "
                  f"{out}: {nloads} PT_LOADs, {os.path.getsize(out)} bytes, "
                  f"kdump {os.path.getsize(dst)} bytes")
            os.unlink(dst)
            return 0
        m = re.search(r"readpage_elf: Attempt to read non-existent page at 0x([0-9a-f]+)\.\n(.*)\n(.*)\n", log)
        if not m:
            tail = [l for l in log.splitlines() if l.strip()][-6:]
            print(f"makedumpfile {' '.join(args)}: failed otherwise after adding {len(extra)} page(s):")
            print("\n".join("    " + l for l in tail))
            return 1
        pg = int(m.group(1), 16)
        print(f"round {rnd}: needs page {pg:#x}: {m.group(2).strip()} | {m.group(3).strip()}")
        if pg in extra:
            print("    (already added; giving up)")
            return 1
        extra.append(pg)
    print("gave up after 200 rounds")
    return 1


if __name__ == "__main__":
    sys.exit(main())
