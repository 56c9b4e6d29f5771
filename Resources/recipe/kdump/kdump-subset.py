#!/usr/bin/env python3
"""Cut a kdump-compressed dump down to the pages a page-table walk reads.

    kdump-subset.py IN.kdump SNAPSHOT.core OUT [--flatten]

IN is a dump written by makedumpfile or QEMU (plain or flattened). SNAPSHOT is
`kptdump snapshot` of the same state (its PT_LOAD segments are exactly the
bytes the walk read). OUT keeps IN's header blocks (disk_dump_header,
kdump_sub_header, notes, VMCOREINFO) and 1st bitmap byte for byte, and for
each kept page its page_desc and its compressed bytes as the original writer
produced them; only the 2nd bitmap shrinks. So what makedumpfile left out
stays left out, and every kept page is decoded from the original writer's
compressed stream. --flatten writes makedumpfile's flattened form.

Facts: makedumpfile's diskdump_mod.h (64-bit layout). Never writes to IN.
"""
import struct
import sys


class Flat:
    """Random access to a flattened file: (offset, size) records, big-endian."""

    def __init__(self, f):
        self.f = f
        self.chunks = []
        f.seek(4096)
        while True:
            head = f.read(16)
            if len(head) < 16:
                break
            off, size = struct.unpack(">qq", head)
            if off == -1 and size == -1:
                break
            self.chunks.append((off, size, f.tell()))
            f.seek(size, 1)
        # Later records win; writers only go back to patch headers.
        self.chunks.reverse()

    def pread(self, off, n):
        out = bytearray(n)
        for c_off, c_size, pos in self.chunks:
            lo, hi = max(off, c_off), min(off + n, c_off + c_size)
            if lo < hi:
                self.f.seek(pos + lo - c_off)
                out[lo - off:hi - off] = self.f.read(hi - lo)
        return bytes(out)


class Plain:
    def __init__(self, f):
        self.f = f

    def pread(self, off, n):
        self.f.seek(off)
        return self.f.read(n)


def snapshot_pfns(path, page_size):
    """Page frames covered by the ELF snapshot's PT_LOAD segments."""
    pfns = set()
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, _, _, p_paddr, p_filesz, _ = struct.unpack("<IIQQQQQ", f.read(48))[:7]
            if p_type != 1 or p_filesz == 0:
                continue
            for pfn in range(p_paddr // page_size, (p_paddr + p_filesz - 1) // page_size + 1):
                pfns.add(pfn)
    return pfns


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src_path, snap_path, out_path = sys.argv[1:4]
    flatten = "--flatten" in sys.argv[4:]
    f = open(src_path, "rb")
    src = Flat(f) if f.read(12) == b"makedumpfile" else Plain(f)

    h = src.pread(0, 464)
    assert h[:8] == b"KDUMP   ", "not a kdump-compressed dump"
    version, = struct.unpack_from("<i", h, 8)
    block, sub_blocks, bitmap_blocks, max_mapnr = struct.unpack_from("<iiII", h, 428)
    sub = src.pread(block, 104)
    if version >= 6:
        max_mapnr, = struct.unpack_from("<Q", sub, 96)
    bitmap_off = (1 + sub_blocks) * block
    half = bitmap_blocks * block // 2
    desc_off = (1 + sub_blocks + bitmap_blocks) * block
    first = src.pread(bitmap_off, half)
    second = bytearray(src.pread(bitmap_off + half, half))

    keep = snapshot_pfns(snap_path, block)
    kept = []          # (pfn, original rank)
    rank = 0
    new_second = bytearray(half)
    for byte_i in range(min(half, (max_mapnr + 7) // 8)):
        b = second[byte_i]
        if not b:
            continue
        for bit in range(8):
            if b & (1 << bit):
                pfn = byte_i * 8 + bit
                if pfn in keep:
                    kept.append((pfn, rank))
                    new_second[byte_i] |= 1 << bit
                rank += 1

    data_off = desc_off + 24 * len(kept)
    descs = bytearray()
    data = bytearray()
    for pfn, r in kept:
        off, size, flags, page_flags = struct.unpack("<qIIQ", src.pread(desc_off + 24 * r, 24))
        descs += struct.pack("<qIIQ", data_off + len(data), size, flags, page_flags)
        data += src.pread(off, size)

    pieces = [(0, src.pread(0, bitmap_off)), (bitmap_off, first + bytes(new_second)),
              (desc_off, bytes(descs)), (data_off, bytes(data))]
    with open(out_path, "wb") as out:
        if flatten:
            head = bytearray(4096)
            head[:12] = b"makedumpfile"
            head[16:32] = struct.pack(">qq", 1, 1)
            out.write(head)
            for off, b in pieces:
                if b:
                    out.write(struct.pack(">qq", off, len(b)) + b)
            out.write(struct.pack(">qq", -1, -1))
        else:
            for off, b in pieces:
                out.seek(off)
                out.write(b)
    print(f"{out_path}: kept {len(kept)} of {rank} stored pages "
          f"({len(keep)} pages in the snapshot), {len(data)} bytes of page data")


if __name__ == "__main__":
    main()
