#!/usr/bin/env python3
"""Copy an ELF64 core so that its program header table sits right after the ELF header.

Usage: phdrs-first.py IN.elf OUT.elf

Why: makedumpfile 1.7.2 reads program header i at file offset
64 + 56 * i, ignoring e_phoff. QEMU 7.2's dump-guest-memory writes the section
header table at 64 and the program headers after it (e_phoff = 192), so
makedumpfile sees no PT_LOAD ("get_elf_info: Can't get the number of PT_LOAD").

What the copy looks like:
  ELF header (64 bytes, e_phoff = 64, e_ehsize = 64)
  program headers, then section headers (if the input has any; e_shoff fixed)
  zero padding, if the data had to move
  the input's bytes from its first note/segment/section byte to its end, copied
  unchanged (os.copy_file_range, so a 2 GiB dump takes seconds).
If the new header tables fit below the first data byte (QEMU's case: the two
tables just swap places), every data offset stays the same. Otherwise the data
moves by a multiple of 4096 bytes and every p_offset / sh_offset that points into
it is shifted by the same amount.
QEMU 7.2 also writes e_ehsize = 8 (sizeof a pointer); the copy says 64.
PN_XNUM (e_phnum = 0xffff, real count in section 0's sh_info) is honoured.
The input is opened read-only; OUT must be a different file.
"""
import os
import struct
import sys

PN_XNUM = 0xFFFF
SHT_NOBITS = 8
EHDR = "HHIQQQIHHHHHH"          # after e_ident
PHDR = "IIQQQQQQ"               # p_type p_flags p_offset p_vaddr p_paddr p_filesz p_memsz p_align
SHDR = "IIQQQQIIQQ"             # name type flags addr offset size link info addralign entsize


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    src, dst = sys.argv[1], sys.argv[2]
    if os.path.exists(dst) and os.path.samefile(src, dst):
        sys.exit("refusing to write onto the input")
    fin = open(src, "rb")
    size = os.fstat(fin.fileno()).st_size
    ident = fin.read(16)
    if ident[:4] != b"\x7fELF" or ident[4] != 2:
        sys.exit(f"{src}: not an ELF64 file")
    e = "<" if ident[5] == 1 else ">"
    eh = list(struct.unpack(e + EHDR, fin.read(48)))
    (_t, _m, _v, _entry, phoff, shoff, _fl, ehsize,
     phentsize, phnum, shentsize, shnum, _shstrndx) = eh

    shdrs = []
    if shoff:
        fin.seek(shoff)
        first = struct.unpack(e + SHDR, fin.read(64))
        if shnum == 0:                      # > 0xff00 sections: count in sh[0].sh_size
            shnum = first[5]
        fin.seek(shoff)
        shdrs = [list(struct.unpack(e + SHDR, fin.read(shentsize)[:64])) for _ in range(shnum)]
    if phnum == PN_XNUM:
        phnum = shdrs[0][7]
    fin.seek(phoff)
    phdrs = [list(struct.unpack(e + PHDR, fin.read(phentsize)[:56])) for _ in range(phnum)]

    # Where the data (anything a header points to) begins.
    starts = [p[2] for p in phdrs if p[5] > 0]
    starts += [s[4] for i, s in enumerate(shdrs) if i > 0 and s[1] != SHT_NOBITS and s[5] > 0]
    data_start = min(starts) if starts else size
    for name, off, n, ent in (("program", phoff, phnum, phentsize),
                              ("section", shoff, len(shdrs), shentsize)):
        if n and off + n * ent > data_start and off < data_start:
            sys.exit(f"{src}: {name} header table overlaps the data; not supported")

    new_phoff = 64
    new_shoff = new_phoff + 56 * phnum if shdrs else 0
    hdr_end = new_phoff + 56 * phnum + 64 * len(shdrs)
    delta = 0
    if hdr_end > data_start:
        delta = (hdr_end - data_start + 4095) & ~4095

    for p in phdrs:
        if p[2] >= data_start and (p[5] > 0 or p[2] > 0):
            p[2] += delta
    for s in shdrs[1:]:
        if s[4] >= data_start and s[1] != SHT_NOBITS and s[5] > 0:
            s[4] += delta

    eh[4], eh[5], eh[7], eh[8], eh[10] = new_phoff, new_shoff, 64, 56, 64
    out = bytearray(ident + struct.pack(e + EHDR, *eh))
    out += b"".join(struct.pack(e + PHDR, *p) for p in phdrs)
    out += b"".join(struct.pack(e + SHDR, *s) for s in shdrs)
    out += bytes(data_start + delta - len(out))

    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, out)
    in_off, left = data_start, size - data_start
    while left > 0:
        n = os.copy_file_range(fin.fileno(), fd, min(left, 1 << 30), in_off)
        if n <= 0:
            sys.exit("short copy")
        in_off += n
        left -= n
    os.close(fd)
    print(f"{dst}: e_phoff {phoff} -> 64, e_shoff {shoff} -> {new_shoff}, "
          f"e_ehsize {ehsize} -> 64, {phnum} program headers, {len(shdrs)} section headers, "
          f"data from {data_start} moved by {delta} bytes")


if __name__ == "__main__":
    main()
