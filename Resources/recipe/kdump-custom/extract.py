#!/usr/bin/env python3
"""Cut the kernel's own page_tables listings out of a kdump-custom serial log.

Usage: extract.py SERIAL_FIRST_LOG OUTDIR

ptcrasher prints each reading between `===== BEGIN NAME bytes=N =====` and
`===== END NAME =====` (NAME: kernel, current_kernel, current_user, kernel-2).
The log has had its CRs removed (the console's ONLCR). Each block is written to
OUTDIR/NAME.txt; its size must be N bytes, else the block was mangled (kernel
messages interleaved) and the script exits 1. Also checks that every line looks
like ptdump's (a marker `---[ ... ]---`, an address range, or the ESPfix
`... N entries skipped ... ` line).
"""
import os
import re
import sys

LINE = re.compile(rb"^(---\[ .* \]---|0x[0-9a-f]{16}-0x[0-9a-f]{16} .*|\.\.\. \d+ entries skipped \.\.\. )$")


def main():
    log, out = sys.argv[1:3]
    data = open(log, "rb").read()
    os.makedirs(out, exist_ok=True)
    status = 0
    found = 0
    for m in re.finditer(rb"===== BEGIN (\S+) bytes=(\d+) =====\n(.*?)===== END \1 =====\n", data, re.S):
        name, size, body = m.group(1).decode(), int(m.group(2)), m.group(3)
        found += 1
        bad = [l for l in body.split(b"\n")[:-1] if not LINE.match(l)]
        ok = len(body) == size and not bad
        with open(os.path.join(out, name + ".txt"), "wb") as f:
            f.write(body)
        nl = body.count(b"\n")
        print(f"{name}: {len(body)} bytes (printed {size}), {nl} lines"
              + ("" if ok else f"  MANGLED: {len(bad)} odd lines, e.g. {bad[:2]}"))
        status |= not ok
    if found == 0:
        print("no BEGIN/END blocks in", log)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()
