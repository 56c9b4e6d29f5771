#!/usr/bin/env python3
"""Make a riscv64 fixture that must find the kernel image by linux_banner.

Usage: banner-fixture.py SNAP.core FULL.elf|- SYSTEM_MAP OUT.core
  SNAP.core   `kptdump snapshot --core FULL.elf --system-map SYSTEM_MAP` (ELF64 LE)
  FULL.elf    the QEMU dump it was made from; "-" adds no page (a kernel whose
              VMCOREINFO has va_kernel_pa_offset, 6.12+, needs no banner)
  SYSTEM_MAP  the kernel's System.map (for linux_banner's address)
  OUT.core    SNAP.core without the va_kernel_pa_offset fact of its KPTDUMP note,
              and with the page holding linux_banner added from FULL.elf

A snapshot remembers where the image sits; without that fact, and with neither a
vmlinux nor a program header that maps the image, kptdump must find the banner's
text in memory ("Linux version OSRELEASE (") and confirm it by the kernel's own
tables. Nothing is written into the inputs.
"""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core, notes  # noqa: E402

PAGE = 4096


def note_bytes(entries):
    out = b""
    for name, ntype, desc in entries:
        n = name.encode() + b"\0"
        out += struct.pack("<III", len(n), len(desc), ntype)
        out += n + b"\0" * (-len(n) % 4) + desc + b"\0" * (-len(desc) % 4)
    return out


def main():
    snap_path, full_path, map_path, out_path = sys.argv[1:5]
    snap = Core(snap_path)
    entries = [(n.decode() if isinstance(n, bytes) else n, t, d) for n, t, d in notes(snap_path)]
    offset = None
    kept = []
    for name, ntype, desc in entries:
        if name == "KPTDUMP":
            lines = desc.decode().split("\n")
            for line in lines:
                m = re.match(r"NUMBER\(va_kernel_pa_offset\)=(0x[0-9a-f]+|[0-9]+)$", line)
                if m:
                    offset = int(m.group(1), 0)
            desc = "\n".join(l for l in lines if "va_kernel_pa_offset" not in l).encode()
        kept.append((name, ntype, desc))
    if offset is None:
        sys.exit("no va_kernel_pa_offset in the snapshot's KPTDUMP note")
    banner = None
    for line in open(map_path):
        f = line.split()
        if len(f) == 3 and f[2] == "linux_banner":
            banner = int(f[0], 16)
    if banner is None:
        sys.exit("no linux_banner in " + map_path)
    page_pa = (banner - offset) & ~(PAGE - 1)
    page = None
    if full_path != "-":
        page = Core(full_path).read_phys(page_pa, PAGE)
        if page is None:
            sys.exit(f"{full_path}: no page at {page_pa:#x}")
    loads = []
    for pa, size, off, _ in snap.loads:
        snap.f.seek(off)
        loads.append((pa, snap.f.read(size)))
    if page is not None and not any(pa <= page_pa < pa + len(b) for pa, b in loads):
        loads.append((page_pa, page))
    loads.sort()
    nb = note_bytes(kept)
    phnum = 1 + len(loads)
    data_off = 64 + 56 * phnum
    hdr = bytearray(snap.header)
    struct.pack_into("<QQ", hdr, 32, 64, 0)          # e_phoff, e_shoff
    struct.pack_into("<HHHHHH", hdr, 52, 64, 56, phnum, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 4, 0, data_off, 0, 0, len(nb), len(nb), 4)
    body = nb
    for pa, b in loads:
        ph += struct.pack("<IIQQQQQQ", 1, 0, data_off + len(body), 0, pa, len(b), len(b), 0)
        body += b
    with open(out_path, "wb") as f:
        f.write(bytes(hdr) + ph + body)
    added = f"banner page {page_pa:#x} added" if page is not None else "no page added"
    print(f"{out_path}: {len(loads)} loads, {added} (linux_banner {banner:#x})")


if __name__ == "__main__":
    main()
