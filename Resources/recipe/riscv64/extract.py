#!/usr/bin/env python3
"""Cut the marked sections out of a riscv64 capture's serial.log.

Usage: extract.py SERIAL_LOG OUTDIR

For each `=== BEGIN <name> === ... === END <name> ===` section written by
init.c: kernel_page_tables and efi_page_tables go to
OUTDIR/page_tables/<name>.txt; vmcoreinfo, cmdline and iomem go to
OUTDIR/<name>.txt. The serial line discipline turned each LF into CRLF; that is
undone, so the files hold exactly the bytes the kernel produced. Every
page-table line must have the shape arch/riscv/mm/ptdump.c (Linux 6.1, or 6.12
with its NAPOT "N", Svpbmt "MT(..)" and "RSW(n)" columns) prints:

  0xffffffff80000000-0xffffffff80200000    0x0000000080200000         2M PMD     D A G . X . R V
  ---[ Fixmap start ]---

Anything else (interleaved printk output, a stray CR) is reported and makes
the exit status 1.

The riscv variant of ../x86_64/extract.py (different section names, a strict
riscv line shape).
"""
import os
import re
import sys

PTDUMP_LINE = re.compile(
    rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16}    0x[0-9a-f]{16} +\d+[KMGTPE] (PGD|P4D|PUD|PMD|PTE)"
    # 6.1: " RSW" or "    "; 6.12 (pte_bits[] gained NAPOT and Svpbmt columns, and
    # the RSW value): " N|." then " MT(NC|IO|??)" or "   ..  ", then " RSW(n)" or "   ..  "
    rb"( (RSW|   )| [N.] (MT\((NC|IO|\?\?)\)|  \.\.  ) (RSW\(\d\)|  \.\.  ))"
    rb" [D.] [A.] [G.] [U.] [X.] [W.] [R.] [V.]"
    rb"|---\[ [^\]]+ \]---)$")

TEXT_SECTIONS = {"vmcoreinfo", "cmdline", "iomem", "maps"}


def main():
    serial, outdir = sys.argv[1], sys.argv[2]
    data = open(serial, "rb").read()
    sections = re.findall(rb"=== BEGIN (\S+) ===\r\n(.*?)=== END \1 ===\r\n", data, re.S)
    if not sections:
        sys.exit("no sections found in " + serial)
    ok = True
    names = [n.decode() for n, _ in sections]
    if "kernel_page_tables" not in names:
        print("WARNING: no kernel_page_tables section")
        ok = False
    os.makedirs(os.path.join(outdir, "page_tables"), exist_ok=True)
    for name, body in sections:
        name = name.decode()
        text = body.replace(b"\r\n", b"\n")
        if b"\r" in text:
            print(f"WARNING {name}: stray CR left after CRLF->LF")
            ok = False
        if name in TEXT_SECTIONS:
            path = os.path.join(outdir, name + ".txt")
        else:
            path = os.path.join(outdir, "page_tables", name + ".txt")
            lines = text.split(b"\n")
            if lines[-1] != b"":
                print(f"WARNING {name}: does not end with a newline")
                ok = False
            bad = [l for l in lines[:-1] if not PTDUMP_LINE.match(l)]
            if bad:
                ok = False
                print(f"WARNING {name}: {len(bad)} line(s) not ptdump-shaped, e.g. {bad[0][:120]!r}")
        with open(path, "wb") as f:
            f.write(text)
        nlines = text.count(b"\n")
        print(f"{os.path.relpath(path, outdir)}: {nlines} lines, {len(text)} bytes")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
