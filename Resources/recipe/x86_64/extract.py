#!/usr/bin/env python3
"""Cut the marked sections out of a capture's serial.log.

Usage: extract.py SERIAL_LOG OUTDIR

For each `=== BEGIN <name> === ... === END <name> ===` section written by init.c:
page-table files go to OUTDIR/page_tables/<name>.txt, `vmcoreinfo` to
OUTDIR/vmcoreinfo.txt and `cmdline` to OUTDIR/cmdline.txt. The serial line
discipline turned each LF into CRLF; that is undone, so the files hold exactly
the bytes the kernel produced. Prints a line count per file and warns about
anything that does not look like ptdump text (a sign of interleaved printk
output) or about a stray CR.
"""
import os
import re
import sys

PTDUMP_LINE = re.compile(
    rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16} .*"      # a range
    rb"|---\[ .* \]---"                        # an address marker
    rb"|\.\.\. \d+ entr(y|ies) skipped \.\.\. )$")  # a region over its line cap (ESPfix; arch/x86/mm/dump_pagetables.c)


def main():
    serial, outdir = sys.argv[1], sys.argv[2]
    data = open(serial, "rb").read()
    sections = re.findall(rb"=== BEGIN (\S+) ===\r\n(.*?)=== END \1 ===\r\n", data, re.S)
    if not sections:
        sys.exit("no sections found in " + serial)
    ok = True
    os.makedirs(os.path.join(outdir, "page_tables"), exist_ok=True)
    for name, body in sections:
        name = name.decode()
        text = body.replace(b"\r\n", b"\n")
        if b"\r" in text:
            print(f"WARNING {name}: stray CR left after CRLF->LF")
            ok = False
        if name == "vmcoreinfo":
            path = os.path.join(outdir, "vmcoreinfo.txt")
        elif name in ("cmdline", "maps"):
            path = os.path.join(outdir, name + ".txt")
        else:
            path = os.path.join(outdir, "page_tables", name + ".txt")
            bad = [l for l in text.split(b"\n")[:-1] if not PTDUMP_LINE.match(l)]
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
