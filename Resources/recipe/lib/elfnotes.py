#!/usr/bin/env python3
"""Print the VMCOREINFO note text of an ELF core (python3 stdlib only).

Usage: elfnotes.py vmcore.elf          -> VMCOREINFO text on stdout
       elfnotes.py --list vmcore.elf   -> one line per note: name, type, size
Only reads the ELF header, the program headers and the PT_NOTE segments.
"""
import struct
import sys

PT_NOTE = 4


def notes(path):
    with open(path, "rb") as f:
        ident = f.read(16)
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
            raise SystemExit("%s: not a little-endian ELF64 file" % path)
        hdr = f.read(48)
        (_type, _mach, _ver, _entry, phoff, _shoff, _flags, _ehsize,
         phentsize, phnum, _shentsize, _shnum, _shstrndx) = struct.unpack(
            "<HHIQQQIHHHHHH", hdr)
        f.seek(phoff)
        phdrs = [struct.unpack("<IIQQQQQQ", f.read(phentsize)[:56])
                 for _ in range(phnum)]
        for p_type, _fl, p_offset, _va, _pa, p_filesz, _memsz, _al in phdrs:
            if p_type != PT_NOTE:
                continue
            f.seek(p_offset)
            data = f.read(p_filesz)
            off = 0
            while off + 12 <= len(data):
                namesz, descsz, ntype = struct.unpack_from("<III", data, off)
                off += 12
                name = data[off:off + namesz].rstrip(b"\0").decode("ascii", "replace")
                off += (namesz + 3) & ~3
                desc = data[off:off + descsz]
                off += (descsz + 3) & ~3
                yield name, ntype, desc


def main():
    args = sys.argv[1:]
    if args and args[0] == "--list":
        for name, ntype, desc in notes(args[1]):
            print("%-12s type=0x%x size=%d" % (name, ntype, len(desc)))
        return
    if len(args) != 1:
        raise SystemExit(__doc__)
    found = False
    for name, _ntype, desc in notes(args[0]):
        if name == "VMCOREINFO":
            sys.stdout.write(desc.rstrip(b"\0").decode("ascii", "replace"))
            found = True
    if not found:
        raise SystemExit("no VMCOREINFO note in %s" % args[0])


if __name__ == "__main__":
    main()
