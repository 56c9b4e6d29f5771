#!/usr/bin/env python3
"""check-capture.py CAPTURE STATE KVER: an s390x capture is what STATE says.

- the kernel's VMCOREINFO note, read out of guest memory at the address init
  printed (vmcoreinfo.txt: /sys/kernel/vmcoreinfo), to vmcoreinfo-note.txt;
  its OSRELEASE must be KVER's;
- the kernel ASCE (CR13, the home space, of the dump's S390 CTRS note; at the
  stop 7.3's CR1 and CR7 hold init's user ASCE, 6.12's CR1 the kernel's):
  its designation type must be a region-3
  table (plain, asce_limit 2^42) or a region-2 table (r2, asce_limit 2^53),
  and the listing's last address that limit;
- summary.txt: CR1, CR7, CR13, the table type, the kernel image's first range.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core, notes  # noqa: E402
from capture_check import finish, vmcoreinfo_from_memory  # noqa: E402

NT_S390_CTRS = 0x304
DT = {3: "region-1", 2: "region-2", 1: "region-3", 0: "segment"}
WANT = {"plain": ("region-3", 1 << 42), "r2": ("region-2", 1 << 53), "r2-nokaslr": ("region-2", 1 << 53)}


def main():
    d, state, kver = sys.argv[1:4]
    summary = []
    dump = os.path.join(d, "vmcore.elf")
    core = Core(dump)
    _text, ok = vmcoreinfo_from_memory(d, core, kver)
    ctrs = [desc for _n, t, desc in notes(dump) if t == NT_S390_CTRS]
    if not ctrs:
        sys.exit("FAIL: no S390 CTRS note")
    cr = struct.unpack(">16Q", ctrs[0][:128])
    kind = DT[cr[13] >> 2 & 3]
    for i in (1, 7, 13):
        summary.append(f"CR{i} {cr[i]:#018x} ({DT[cr[i] >> 2 & 3]} table at {cr[i] & ~0xfff:#x})")
    want, limit = WANT[state]
    lines = open(os.path.join(d, "page_tables", "kernel_page_tables.txt")).read().splitlines()
    ranges = [l for l in lines if l.startswith("0x")]
    last = int(ranges[-1].split()[0].split("-")[1], 16)
    image = [lines[i + 1] for i, l in enumerate(lines) if "Kernel Image Start" in l]
    summary += [f"kernel ASCE: {kind} table (want {want}); listing ends at {last:#x} (want {limit:#x})",
                "kernel image: " + (image[0] if image else "no marker"),
                f"listing: {len(lines)} lines"]
    if kind != want or last != limit:
        print(f"FAIL: {state} wants a {want} table up to {limit:#x}")
        ok = False
    finish(d, summary, ok)


if __name__ == "__main__":
    main()
