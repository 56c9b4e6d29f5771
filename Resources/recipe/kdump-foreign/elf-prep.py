#!/usr/bin/env python3
"""Copy a QEMU ELF64 core into a form makedumpfile 1.7.2 can convert.

Usage: elf-prep.py IN.elf OUT.elf [--vmcoreinfo TEXTFILE] [--kernel-map]
                   [--little-endian] [--vaddr-offset HEX] [--map VADDR:PADDR:SIZE]...

The copy: ELF header, program headers at offset 64 (1.7.2 ignores e_phoff),
no section headers, the input's notes (+ a VMCOREINFO note made from TEXTFILE),
then the input's PT_LOAD data, page-aligned, copied unchanged.

--kernel-map (needs --vmcoreinfo with KERNELOFFSET and KERNELOFFPHYS, s390x):
adds a PT_LOAD mapping the kernel image's virtual addresses onto the same file
bytes, as the kernel's own /proc/vmcore does. makedumpfile 1.7.2 predates
s390x's separate kernel mapping (6.10+) and otherwise cannot read any kernel
symbol ("get_machdep_info_s390x: Can't get vmalloc_start").

--little-endian: write the headers little-endian. QEMU 7.2 writes a ppc64le
guest's ELF headers big-endian; makedumpfile reads them in its own byte order
("get_elf_info: Can't get the number of PT_LOAD."). The input's CPU notes are
dropped then (their contents would stay big-endian); only VMCOREINFO is kept.

--vaddr-offset HEX: p_vaddr = p_paddr + HEX for every PT_LOAD, as the kernel's
/proc/vmcore does (ppc64: c000000000000000); QEMU writes p_vaddr = p_paddr.

--map VADDR:PADDR:SIZE (hex): one more PT_LOAD for a virtual range whose
physical backing is known (e.g. from the kernel's ptdump). makedumpfile 1.7.2
finds ppc64's vmemmap only through vmemmap_list/mmu_psize_defs VMCOREINFO
entries that 7.x no longer exports ("__exclude_unnecessary_pages: Can't read
the buffer of struct page."); a PT_LOAD covering vmemmap lets -d 31 work.
"""
import os
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4


def note(e, name, ntype, desc):
    n = name + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack(e + "III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def main():
    args = sys.argv[1:]
    vmci, kmap = None, False
    if "--vmcoreinfo" in args:
        i = args.index("--vmcoreinfo"); vmci = open(args[i + 1], "rb").read(); del args[i:i + 2]
    le = "--little-endian" in args
    if le:
        args.remove("--little-endian")
    voff = None
    if "--vaddr-offset" in args:
        i = args.index("--vaddr-offset"); voff = int(args[i + 1], 16); del args[i:i + 2]
    maps = []
    while "--map" in args:
        i = args.index("--map"); maps.append([int(x, 16) for x in args[i + 1].split(":")]); del args[i:i + 2]
    if "--kernel-map" in args:
        args.remove("--kernel-map"); kmap = True
    if len(args) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    src, dst = args
    if os.path.exists(dst) and os.path.samefile(src, dst):
        sys.exit("refusing to write onto the input")
    fin = open(src, "rb")
    hdr = fin.read(64)
    if hdr[:4] != b"\x7fELF" or hdr[4] != 2:
        sys.exit("not ELF64")
    e = "<" if hdr[5] == 1 else ">"
    eh = list(struct.unpack(e + "HHIQQQIHHHHHH", hdr[16:]))
    phoff, phnum = eh[4], eh[9]
    if phnum == 0xFFFF:
        fin.seek(eh[5]); phnum = struct.unpack(e + "IIQQQQIIQQ", fin.read(64))[7]
    fin.seek(phoff)
    phdrs = [list(struct.unpack(e + "IIQQQQQQ", fin.read(56))) for _ in range(phnum)]
    notes = b""
    for p in ([] if le else phdrs):
        if p[0] == PT_NOTE:
            fin.seek(p[2]); notes += fin.read(p[5])
    if le:
        e = "<"; hdr = hdr[:5] + b"\x01" + hdr[6:]
    if vmci is not None:
        if not vmci.endswith(b"\n"):
            vmci += b"\n"
        notes += note(e, b"VMCOREINFO", 0, vmci)
    loads = [p for p in phdrs if p[0] == PT_LOAD]
    if voff is not None:
        for p in loads:
            p[3] = p[4] + voff
    extra = []
    if kmap:
        kv = dict(l.split("=", 1) for l in vmci.decode().splitlines() if "=" in l)
        koff, kphys = int(kv["KERNELOFFSET"], 16), int(kv["KERNELOFFPHYS"], 16)
        # s390 __pa_symbol: paddr = vaddr - KERNELOFFSET + KERNELOFFPHYS (only the image range is
        # ever read through it, so over-mapping is harmless and keeps this simple)
        for p in loads:
            q = list(p); q[3] = p[4] + koff - kphys; extra.append(q)
        print(f"kernel map: vaddr = paddr + KERNELOFFSET {koff:#x} - KERNELOFFPHYS {kphys:#x}")
    for (mv, mp, msz) in maps:
        for p in loads:
            if p[4] <= mp and mp + msz <= p[4] + p[5]:
                extra.append([PT_LOAD, p[1], p[2] + (mp - p[4]), mv, mp, msz, msz, 0])
                break
        else:
            sys.exit(f"--map {mp:#x}+{msz:#x} is not inside one PT_LOAD")
    nph = 1 + len(loads) + len(extra)
    off = 64 + 56 * nph
    note_off = off
    data_off = (note_off + len(notes) + 4095) & ~4095
    out_ph = [[PT_NOTE, 0, note_off, 0, 0, len(notes), len(notes), 0]]
    cur = data_off
    moves = []
    for p in loads:
        q = list(p); q[2] = cur; out_ph.append(q); moves.append((p[2], cur, p[5]))
        cur += (p[5] + 4095) & ~4095
    for x in extra:
        src_off = x[2]
        for (o, n, sz) in moves:
            if o <= src_off < o + sz:
                x[2] = n + (src_off - o)
        out_ph.append(x)
    eh[4], eh[5], eh[6], eh[7], eh[8], eh[9], eh[10], eh[11], eh[12] = 64, 0, 0, 64, 56, nph, 64, 0, 0
    with open(dst, "wb") as fo:
        fo.write(hdr[:16] + struct.pack(e + "HHIQQQIHHHHHH", *eh))
        for p in out_ph:
            fo.write(struct.pack(e + "IIQQQQQQ", *p))
        fo.write(notes)
        for (o, n, sz) in moves:
            fo.seek(n)
            left, so, do = sz, o, n
            while left:
                k = os.copy_file_range(fin.fileno(), fo.fileno(), left, so, do)
                if k <= 0:
                    sys.exit("short copy")
                left -= k; so += k; do += k
        fo.truncate(cur)
    print(f"{dst}: {nph} phdrs, notes {len(notes)} bytes at {note_off}, data at {data_off}")


main()
