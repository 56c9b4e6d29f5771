#!/usr/bin/env python3
"""Cut the sections of each moment out of an x86_64-wx capture's serial.log.

Usage: extract.py SERIAL_LOG OUTDIR1 [OUTDIR2 ...]

This folder's init.c prints moment N's sections and then a line `READY<N>`.
The log is split at those lines; moment N's sections go to OUTDIR<N>:
  page_tables/<name>.txt   each /sys/kernel/debug/page_tables file
  kptdump_test.txt, vmcoreinfo.txt, cmdline.txt, dmesg.txt, maps.txt,
  ps.txt, stat.txt          the other sections, by name
As in ../x86_64/extract.py (whose PTDUMP_LINE pattern is reused), the serial
line discipline's CRLF is turned back into LF, and page-table lines that are not
ptdump-shaped (interleaved printk output) or a stray CR are reported.
Exit status 1 if anything is wrong or a moment is missing.
"""
import importlib.util
import os
import re
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in ../x86_64
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "x86_64_extract", os.path.join(HERE, "..", "x86_64", "extract.py"))
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)
PTDUMP_LINE = _base.PTDUMP_LINE

OTHER = {"kptdump_test", "vmcoreinfo", "cmdline", "dmesg", "maps", "ps", "stat"}


def extract(chunk, outdir, label):
    ok = True
    sections = re.findall(rb"=== BEGIN (\S+) ===\r\n(.*?)=== END \1 ===\r\n", chunk, re.S)
    if not sections:
        print(f"{label}: no sections")
        return False
    os.makedirs(os.path.join(outdir, "page_tables"), exist_ok=True)
    for name, body in sections:
        name = name.decode()
        text = body.replace(b"\r\n", b"\n")
        if b"\r" in text:
            print(f"WARNING {label} {name}: stray CR left after CRLF->LF")
            ok = False
        if name in OTHER:
            path = os.path.join(outdir, name + ".txt")
        else:
            path = os.path.join(outdir, "page_tables", name + ".txt")
            bad = [l for l in text.split(b"\n")[:-1] if not PTDUMP_LINE.match(l)]
            if bad:
                ok = False
                print(f"WARNING {label} {name}: {len(bad)} line(s) not ptdump-shaped, e.g. {bad[0][:120]!r}")
        with open(path, "wb") as f:
            f.write(text)
        nlines = text.count(b"\n")
        print(f"{label}: {os.path.relpath(path, outdir)}: {nlines} lines, {len(text)} bytes")
    return ok


def main():
    serial, outdirs = sys.argv[1], sys.argv[2:]
    data = open(serial, "rb").read()
    ok = True
    rest = data
    for n, outdir in enumerate(outdirs, 1):
        m = re.search(rb"^READY%d\r\n" % n, rest, re.M)
        if not m:
            print(f"moment {n}: no READY{n} line")
            ok = False
            break
        ok &= extract(rest[:m.start()], outdir, f"moment {n}")
        rest = rest[m.end():]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
