#!/usr/bin/env python3
"""Cut a kdump-compressed dump down to the pages a page-table walk reads.

    kdump-subset.py IN.kdump SNAPSHOT.core OUT [--flatten] [HEXPA:HEXSIZE ...]

IN is a dump written by makedumpfile or QEMU (plain or flattened). SNAPSHOT is
`kptdump snapshot` of the same state (its PT_LOAD segments are exactly the
bytes the walk read). OUT keeps IN's header blocks (disk_dump_header,
kdump_sub_header, notes, VMCOREINFO) and 1st bitmap byte for byte, and for
each kept page its page_desc and its compressed bytes as the original writer
produced them; only the 2nd bitmap shrinks. So what makedumpfile left out
stays left out, and every kept page is decoded from the original writer's
compressed stream. --flatten writes makedumpfile's flattened form. Each
HEXPA:HEXSIZE keeps that physical range's pages too (the kernel's kallsyms, so
the cut dump lists without a System.map). Either byte order.

The format is read by kdumpinfo.py beside it. Never writes to IN.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kdumpinfo import DESC, Kdump, elf_loads  # noqa: E402  the format, read once


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src_path, snap_path, out_path = sys.argv[1:4]
    flatten = "--flatten" in sys.argv[4:]
    extra = [a.split(":") for a in sys.argv[4:] if ":" in a]  # HEXPA:HEXSIZE pages to keep too
    k = Kdump(src_path)
    block = k.block_size
    keep = set()
    for pa, size, _ in elf_loads(snap_path):
        keep.update(range(pa // block, (pa + size - 1) // block + 1))
    for pa, size in ((int(a, 16), int(b, 16)) for a, b in extra):
        keep.update(range(pa // block, (pa + size - 1) // block + 1))

    kept = [pfn for pfn in range(k.max_mapnr) if pfn in keep and k.dumped(pfn)]
    stored = k.rank[-1]
    bitmap_off = (1 + k.sub_hdr_size) * block
    new_second = bytearray(len(k.bitmap2))
    for pfn in kept:
        new_second[pfn >> 3] |= 1 << (pfn & 7)

    data_off = k.desc_off + DESC.size * len(kept)
    descs = bytearray()
    data = bytearray()
    for pfn in kept:
        off, size, flags, page_flags = k.desc(pfn)
        descs += k.DESC.pack(data_off + len(data), size, flags, page_flags)
        data += k.data[off:off + size]

    pieces = [(0, k.data[:bitmap_off]), (bitmap_off, k.bitmap1 + bytes(new_second)),
              (k.desc_off, bytes(descs)), (data_off, bytes(data))]
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
    print(f"{out_path}: kept {len(kept)} of {stored} stored pages "
          f"({len(keep)} pages in the snapshot), {len(data)} bytes of page data")


if __name__ == "__main__":
    main()
