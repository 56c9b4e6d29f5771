#!/usr/bin/env python3
"""Cut the marked sections out of an arm64 capture's serial.log.

Usage: extract.py SERIAL_LOG OUTDIR

arm64 variant of ../x86_64/extract.py: the same `=== BEGIN <name> === ...
=== END <name> ===` convention (written by init.c), plus a `dmesg` section,
and a stricter line check that matches arm64's note_page() output
(arch/arm64/mm/ptdump.c):

    "0x%016lx-0x%016lx   " "%9lu%c %s" then " %s" per attribute field
    "---[ %s ]---"

Page-table sections go to OUTDIR/page_tables/<name>.txt (kernel_page_tables,
efi_page_tables); `vmcoreinfo` -> OUTDIR/vmcoreinfo.txt, `cmdline` ->
OUTDIR/cmdline.txt, `dmesg` -> OUTDIR/dmesg.txt. The serial line discipline
turned each LF into CRLF; that is undone, so the files hold exactly the bytes
the kernel produced. Exits 1 if any page-table line is not ptdump-shaped (a
sign of interleaved console output), if a stray CR is left, or if the
kernel_page_tables section is missing or empty.
"""
import os
import re
import sys

PTDUMP_LINE = re.compile(
    rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16}   [ 0-9]*[0-9][KMGTPE] (PGD|P4D|PUD|PMD|PTE)( .*)?"
    rb"|---\[ [^\]]+ \]---)$")
OTHER = {"vmcoreinfo": "vmcoreinfo.txt", "cmdline": "cmdline.txt", "maps": "maps.txt", "dmesg": "dmesg.txt"}


def main():
    serial, outdir = sys.argv[1], sys.argv[2]
    data = open(serial, "rb").read()
    sections = re.findall(rb"=== BEGIN (\S+) ===\r\n(.*?)=== END \1 ===\r\n", data, re.S)
    if not sections:
        sys.exit("no sections found in " + serial)
    ok = True
    seen = set()
    os.makedirs(os.path.join(outdir, "page_tables"), exist_ok=True)
    for name, body in sections:
        name = name.decode()
        seen.add(name)
        text = body.replace(b"\r\n", b"\n")
        if b"\r" in text:
            print(f"WARNING {name}: stray CR left after CRLF->LF")
            ok = False
        if name in OTHER:
            path = os.path.join(outdir, OTHER[name])
        else:
            path = os.path.join(outdir, "page_tables", name + ".txt")
            lines = text.split(b"\n")
            if lines[-1] != b"":
                ok = False
                print(f"WARNING {name}: does not end with a newline")
            bad = [l for l in lines[:-1] if not PTDUMP_LINE.match(l)]
            if bad:
                ok = False
                print(f"WARNING {name}: {len(bad)} line(s) not ptdump-shaped, e.g. {bad[0][:120]!r}")
            if len(lines) < 3:
                ok = False
                print(f"WARNING {name}: (nearly) empty")
        with open(path, "wb") as f:
            f.write(text)
        nlines = text.count(b"\n")
        print(f"{os.path.relpath(path, outdir)}: {nlines} lines, {len(text)} bytes")
    if "kernel_page_tables" not in seen:
        ok = False
        print("WARNING: no kernel_page_tables section")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
