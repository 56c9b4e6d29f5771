#!/usr/bin/env python3
"""Print the VMCOREINFO note text from an ELF64 little-endian core (QEMU's dump).

Usage: vmcoreinfo-note.py VMCORE.ELF > vmcoreinfo-note.txt
Exits 1 if the dump has no VMCOREINFO note.
"""
import struct
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2 or eh[5] != 1:
            sys.exit("not an ELF64 little-endian file")
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        f.seek(phoff)
        phdrs = [struct.unpack("<IIQQQQQQ", f.read(phentsize)[:56]) for _ in range(phnum)]
        for p_type, _, off, _, _, filesz, _, _ in phdrs:
            if p_type != 4:  # PT_NOTE
                continue
            f.seek(off)
            data = f.read(filesz)
            pos = 0
            while pos + 12 <= len(data):
                namesz, descsz, _ = struct.unpack_from("<III", data, pos)
                pos += 12
                name = data[pos:pos + namesz].rstrip(b"\0")
                pos += (namesz + 3) & ~3
                desc = data[pos:pos + descsz]
                pos += (descsz + 3) & ~3
                if name == b"VMCOREINFO":
                    sys.stdout.write(desc.rstrip(b"\0").decode())
                    return
    sys.exit("no VMCOREINFO note")


if __name__ == "__main__":
    main()
