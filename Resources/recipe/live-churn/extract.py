#!/usr/bin/env python3
"""Cut the marked sections out of the live-churn serial.log.

Usage: extract.py SERIAL_LOG OUTDIR

Every `=== BEGIN <name> === ... === END <name> ===` section init.c printed
(listings that differ, stderr of failed runs, diffs, `kptdump info`) goes to
OUTDIR/<name>, with the serial line discipline's CRLF turned back into LF, so
the files hold the bytes the guest had. Prints one line per file.
"""
import os
import re
import sys


def main():
    serial, outdir = sys.argv[1], sys.argv[2]
    data = open(serial, "rb").read()
    os.makedirs(outdir, exist_ok=True)
    for name, body in re.findall(rb"=== BEGIN (\S+) ===\r?\n(.*?)=== END \1 ===\r?\n", data, re.S):
        name = os.path.basename(name.decode())
        text = body.replace(b"\r\n", b"\n")
        path = os.path.join(outdir, name)
        with open(path, "wb") as f:
            f.write(text)
        nlines = text.count(b"\n")
        print(f"{path}: {nlines} lines, {len(text)} bytes")


if __name__ == "__main__":
    main()
