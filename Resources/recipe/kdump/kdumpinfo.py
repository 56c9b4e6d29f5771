#!/usr/bin/env python3
"""Read makedumpfile's kdump-compressed format (python3 stdlib only).

Usage:
  kdumpinfo.py DUMP                        headers, bitmap counts, descriptor stats
  kdumpinfo.py DUMP pfn N [N ...]          per PFN: in 1st bitmap, dumped (2nd bitmap),
                                           page descriptor (decimal or 0x... PFNs)
  kdumpinfo.py DUMP ranges CORE.elf        for every PT_LOAD of an ELF core (e.g. a
                                           `kptdump snapshot`), the PFNs it covers
                                           that DUMP does not hold (exit 1 if any),
                                           and those it holds as all-zero pages
  kdumpinfo.py DUMP verify ELF [--all]     decompress pages and compare them with
                                           the ELF dump they came from (default:
                                           every 64th dumped page; zlib only unless
                                           the `lzo` module is importable); also
                                           checks that excluded pages are zero /
                                           reports how many are not
DUMP is either the plain format ("KDUMP   " at offset 0) or the flattened one
("makedumpfile" at 0, from `makedumpfile -F` or QEMU's kdump-* formats), which
is replayed into memory first.

Layout (makedumpfile diskdump_mod.h / crash diskdump.h, LP64 little-endian only):
  block 0                   struct disk_dump_header (464 bytes used):
      0 signature[8] "KDUMP   "   8 header_version i32   12 utsname 6 x 65 chars
    408 timestamp (tv_sec, tv_usec: i64 each)   424 status u32   428 block_size i32
    432 sub_hdr_size i32 (blocks)   436 bitmap_blocks u32   440 max_mapnr u32
    444 total_ram_blocks  448 device_blocks  452 written_blocks  456 current_cpu
    460 nr_cpus
  block 1                   struct kdump_sub_header:
      0 phys_base u64   8 dump_level i32   12 split i32   16 start_pfn u64
     24 end_pfn u64    32 offset_vmcoreinfo i64   40 size_vmcoreinfo u64
     48 offset_note i64  56 size_note u64   64 offset_eraseinfo i64
     72 size_eraseinfo u64   80 start_pfn_64   88 end_pfn_64   96 max_mapnr_64
     (version >= 6: the *_64 fields are the real ones)
  block 1+sub_hdr_size      the bitmaps, bitmap_blocks blocks: 1st half = pages
                            that exist (not holes), 2nd half = pages dumped.
                            Bit for PFN n: byte n >> 3, bit n & 7 (LSB first).
  next block                page_desc_t per dumped PFN, in PFN order (24 bytes):
                            offset i64, size u32, flags u32, page_flags u64.
                            flags: 1 zlib, 2 lzo, 4 snappy, 0x20 zstd; 0 = raw
                            (size == block_size).
  status bits (header): 1 zlib, 2 lzo, 4 snappy, 8 incomplete, 0x10 vmemmap
                        excluded, 0x20 zstd.
Flattened format: a 4096-byte header ("makedumpfile", type i64 BE = 1, version
i64 BE = 1), then records {offset i64 BE, size i64 BE, size bytes}, ended by a
record with offset = size = -1.
"""
import hashlib
import os
import struct
import sys
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core  # noqa: E402

DESC = struct.Struct("<qIIQ")
COMP = {1: "zlib", 2: "lzo", 4: "snappy", 0x20: "zstd"}


def load(path):
    """Return the dump's bytes as the plain format (flattened files replayed)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:12] != b"makedumpfile":
        return data, "plain"
    typ, ver = struct.unpack_from(">qq", data, 16)
    out = bytearray()
    pos, records = 4096, 0
    while True:
        off, size = struct.unpack_from(">qq", data, pos)
        pos += 16
        if off == -1 and size == -1:
            break
        if off < 0 or size <= 0 or pos + size > len(data):
            sys.exit(f"{path}: bad flattened record at {pos - 16}: offset {off}, size {size}")
        if len(out) < off + size:
            out.extend(bytes(off + size - len(out)))
        out[off:off + size] = data[pos:pos + size]
        pos += size
        records += 1
    return bytes(out), f"flattened (type {typ}, version {ver}, {records} records, end at {pos})"


class Kdump:
    def __init__(self, path):
        self.path = path
        self.data, self.form = load(path)
        d = self.data
        if d[:8] != b"KDUMP   ":
            sys.exit(f"{path}: signature {d[:8]!r}, not 'KDUMP   '")
        e = ">" if struct.unpack_from("<I", d, 8)[0] > 0xFFFF else "<"  # s390x: big-endian
        self.order, self.DESC = e, struct.Struct(e + "qIIQ")
        self.version = struct.unpack_from(e + "i", d, 8)[0]
        self.uts = [d[12 + 65 * i:12 + 65 * (i + 1)].split(b"\0")[0].decode() for i in range(6)]
        self.tv_sec, self.tv_usec = struct.unpack_from(e + "qq", d, 408)
        (self.status, self.block_size, self.sub_hdr_size, self.bitmap_blocks,
         self.max_mapnr32, self.total_ram_blocks, self.device_blocks,
         self.written_blocks, self.current_cpu, self.nr_cpus) = struct.unpack_from(e + "IiiIIIIIIi", d, 424)
        bs = self.block_size
        s = struct.unpack_from(e + "QiiQQqQqQqQQQQ", d, bs)
        self.sub = dict(zip(("phys_base dump_level split start_pfn end_pfn offset_vmcoreinfo "
                             "size_vmcoreinfo offset_note size_note offset_eraseinfo "
                             "size_eraseinfo start_pfn_64 end_pfn_64 max_mapnr_64").split(), s))
        self.max_mapnr = self.sub["max_mapnr_64"] if self.version >= 6 else self.max_mapnr32
        boff = (1 + self.sub_hdr_size) * bs
        half = self.bitmap_blocks * bs // 2
        self.bitmap1 = d[boff:boff + half]
        self.bitmap2 = d[boff + half:boff + 2 * half]
        self.desc_off = boff + self.bitmap_blocks * bs
        # rank[i] = number of dumped PFNs below 8*i
        self.rank = [0]
        for b in self.bitmap2:
            self.rank.append(self.rank[-1] + bin(b).count("1"))

    @staticmethod
    def bit(bm, pfn):
        return pfn >> 3 < len(bm) and bool(bm[pfn >> 3] >> (pfn & 7) & 1)

    def present(self, pfn):
        return self.bit(self.bitmap1, pfn)

    def dumped(self, pfn):
        return self.bit(self.bitmap2, pfn)

    def desc(self, pfn):
        """(offset, size, flags, page_flags) of a dumped PFN, else None."""
        if not self.dumped(pfn):
            return None
        i = self.rank[pfn >> 3] + bin(self.bitmap2[pfn >> 3] & ((1 << (pfn & 7)) - 1)).count("1")
        return self.DESC.unpack_from(self.data, self.desc_off + DESC.size * i)

    def page(self, pfn):
        """The page's bytes, or None when not dumped; raises on unknown compression."""
        dsc = self.desc(pfn)
        if dsc is None:
            return None
        off, size, flags, _ = dsc
        raw = self.data[off:off + size]
        if flags & 1:
            return zlib.decompress(raw)
        if flags & 2:
            import lzo  # python3-lzo; not in the standard library
            return lzo.decompress(raw, False, self.block_size)
        if flags == 0 and size == self.block_size:
            return raw
        raise ValueError(f"PFN {pfn:#x}: flags {flags:#x} not supported here")

    def summary(self):
        d = self.data
        print(f"file:             {self.path} ({self.form})")
        print(f"header_version:   {self.version}")
        print(f"utsname:          {' | '.join(self.uts)}")
        print(f"timestamp:        {self.tv_sec}.{self.tv_usec:06d}")
        flags = [n for b, n in ((1, "zlib"), (2, "lzo"), (4, "snappy"), (8, "INCOMPLETE"),
                                (0x10, "vmemmap-excluded"), (0x20, "zstd")) if self.status & b]
        print(f"status:           {self.status:#x} {' '.join(flags)}")
        print(f"block_size:       {self.block_size}")
        print(f"sub_hdr_size:     {self.sub_hdr_size} blocks")
        print(f"bitmap_blocks:    {self.bitmap_blocks} (each bitmap {len(self.bitmap1)} bytes)")
        print(f"max_mapnr:        {self.max_mapnr32} (32-bit field), {self.max_mapnr} used")
        print(f"total_ram_blocks: {self.total_ram_blocks}, device_blocks {self.device_blocks}, "
              f"written_blocks {self.written_blocks}, current_cpu {self.current_cpu}, nr_cpus {self.nr_cpus}")
        for k, v in self.sub.items():
            print(f"sub.{k + ':':18s}{v:#x}" if k != "dump_level" else f"sub.dump_level:    {v}")
        n1 = sum(bin(b).count("1") for b in self.bitmap1)
        n2 = self.rank[-1]
        print(f"1st bitmap:       {n1} PFNs present")
        print(f"2nd bitmap:       {n2} PFNs dumped, {n1 - n2} excluded"
              f"{'' if all((a | b) == a for a, b in zip(self.bitmap1, self.bitmap2)) else ' (2nd has bits the 1st lacks!)'}")
        print(f"descriptors at:   {self.desc_off:#x}, end {self.desc_off + DESC.size * n2:#x}, file {len(d):#x}")
        kinds, offsets = {}, {}
        for i in range(n2):
            off, size, fl, _ = self.DESC.unpack_from(d, self.desc_off + DESC.size * i)
            name = "raw" if fl == 0 else "+".join(v for k, v in COMP.items() if fl & k) or hex(fl)
            kinds[name] = kinds.get(name, 0) + 1
            offsets[off] = offsets.get(off, 0) + 1
        print(f"page data:        {', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}")
        shared = {o: c for o, c in offsets.items() if c > 1}
        print(f"shared data:      {sum(shared.values())} descriptors share {len(shared)} offsets"
              + (f" (most: {max(shared.values())} at {max(shared, key=shared.get):#x})" if shared else ""))
        o, n = self.sub["offset_vmcoreinfo"], self.sub["size_vmcoreinfo"]
        if self.version >= 3 and n:
            vi = d[o:o + n].decode("ascii", "replace")
            rel = [l for l in vi.splitlines() if l.startswith(("OSRELEASE=", "BUILD-ID="))]
            print(f"VMCOREINFO:       {n} bytes at {o:#x}: {', '.join(rel)}")
        o, n = self.sub["offset_note"], self.sub["size_note"]
        if self.version >= 4 and n:
            print(f"ELF notes:        {n} bytes at {o:#x}: {', '.join(notes(d[o:o + n], self.order))}")


def notes(buf, e="<"):
    out, pos = [], 0
    while pos + 12 <= len(buf):
        nsz, dsz, typ = struct.unpack_from(e + "III", buf, pos)
        if nsz == 0 and dsz == 0 and typ == 0:
            break
        name = buf[pos + 12:pos + 12 + nsz].rstrip(b"\0").decode("ascii", "replace")
        out.append(f"{name}/{typ:#x}")
        pos += 12 + (nsz + 3 & ~3) + (dsz + 3 & ~3)
    return out


def elf_loads(path):
    """[(paddr, filesz, offset)] of an ELF64 LE core's PT_LOADs (../lib/elfcore.py)."""
    return [(pa, size, off) for pa, size, off, _va in Core(path).loads if size]


def cmd_ranges(k, core):
    """Which PFNs under the core's PT_LOADs the kdump lacks. Dumped pages whose
    data is all zero are listed too: `zero-shared` when several descriptors
    point at the same data (makedumpfile's way of storing the pages -d 1
    "excludes" as zero), `zero` when the page has data of its own."""
    bs = k.block_size
    uses = {}
    for i in range(k.rank[-1]):
        off = k.DESC.unpack_from(k.data, k.desc_off + DESC.size * i)[0]
        uses[off] = uses.get(off, 0) + 1
    missing = zeros = 0
    for pa, sz, _ in elf_loads(core):
        pfns = range(pa // bs, (pa + sz - 1) // bs + 1)
        notes = []
        for p in pfns:
            if not k.dumped(p):
                notes.append(f"{p:#x}:NOT-DUMPED{'' if k.present(p) else '(hole)'}")
                missing += 1
                continue
            try:
                pg = k.page(p)
            except ImportError:
                continue
            if not any(pg):
                zeros += 1
                notes.append(f"{p:#x}:zero{'-shared' if uses[k.desc(p)[0]] > 1 else ''}")
        print(f"{pa:#014x}-{pa + sz:#014x} {len(pfns):5d} page(s)  {' '.join(notes) or 'ok'}")
    print(f"{missing} page(s) of {core}'s PT_LOADs are not in {k.path}; "
          f"{zeros} are dumped as all-zero pages")
    return 1 if missing else 0


def cmd_verify(k, elf, every):
    loads = elf_loads(elf)
    bs = k.block_size
    f = open(elf, "rb")

    def elf_page(pfn):
        pa = pfn * bs
        for a, n, off in loads:
            if a <= pa and pa + bs <= a + n:
                f.seek(off + pa - a)
                return f.read(bs)
        return None

    checked = compared = bad = skipped = nonzero_excluded = 0
    zero = bytes(bs)
    for pfn in range(k.max_mapnr):
        if k.dumped(pfn):
            checked += 1
            if (checked - 1) % every:
                continue
            try:
                got = k.page(pfn)
            except ImportError:
                skipped += 1
                continue
            compared += 1
            want = elf_page(pfn)
            if want is not None and got != want:
                bad += 1
                if bad <= 10:
                    print(f"PFN {pfn:#x}: differs (kdump sha256 {hashlib.sha256(got).hexdigest()[:16]},"
                          f" ELF {hashlib.sha256(want).hexdigest()[:16]})")
        elif k.present(pfn):
            want = elf_page(pfn)
            if want is not None and want != zero:
                nonzero_excluded += 1
    print(f"dumped pages: {checked}, compared {compared} (every {every}th): {bad} differ"
          f"{f', {skipped} skipped (no lzo module)' if skipped else ''}")
    print(f"excluded pages that are not zero in the ELF dump: {nonzero_excluded}")
    return 1 if bad else 0


def main():
    a = sys.argv[1:]
    if not a or a[0] in ("-h", "--help"):
        sys.exit(__doc__)
    k = Kdump(a[0])
    if len(a) == 1:
        k.summary()
        return 0
    if a[1] == "pfn":
        for s in a[2:]:
            pfn = int(s, 0)
            d = k.desc(pfn)
            print(f"PFN {pfn:#x}: 1st bitmap {int(k.present(pfn))}, 2nd bitmap {int(k.dumped(pfn))}"
                  + (f", data at {d[0]:#x}, {d[1]} bytes, flags {d[2]:#x}" if d else ""))
        return 0
    if a[1] == "ranges" and len(a) == 3:
        return cmd_ranges(k, a[2])
    if a[1] == "verify" and len(a) in (3, 4):
        return cmd_verify(k, a[2], 1 if "--all" in a else 64)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
