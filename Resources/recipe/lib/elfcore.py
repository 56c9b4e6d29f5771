#!/usr/bin/env python3
"""The one ELF-core reader of the recipes (python3 stdlib only): QEMU's
dump-guest-memory and /proc/vmcore files, little-endian ELF64.

As a script:
  elfcore.py vmcore.elf          -> VMCOREINFO note text on stdout
  elfcore.py --list vmcore.elf   -> one line per note: name, type, size
As a module:
  notes(path)          (name, type, desc) of every note of the PT_NOTE segments
  Core(path)           .header (64 bytes), .machine (e_machine), .phdrs (raw),
                       .loads [(paddr, filesz, offset, vaddr)],
                       .read(pa, n) (KeyError outside the dump), .q(pa) (u64),
                       .read_phys(pa, n) (across adjacent PT_LOADs) /
                       .read_virt(va, n) (None outside),
                       .v2p(va) (by the PT_LOADs' p_vaddr), .u64v(va)
  x86_pte(core, root, va, levels)
                       the x86-64 walk from a PGD (physical) down to VA's entry:
                       the PTE (int), None when a level above is not present, or
                       ("huge", shift, entry) for a PSE leaf (1 GiB, 2 MiB)
  x86_translate(core, root, va, levels)
                       VA's physical address by that walk, or None
"""
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
X86_PHYS_MASK = 0x000FFFFFFFFFF000


class Core:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        hdr = self.f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2 or hdr[5] != 1:
            raise SystemExit("%s: not a little-endian ELF64 file" % path)
        self.header = hdr
        self.machine, = struct.unpack_from("<H", hdr, 18)
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        self.f.seek(phoff)
        self.phdrs = [struct.unpack("<IIQQQQQQ", self.f.read(phentsize)[:56]) for _ in range(phnum)]
        self.loads = [(p[4], p[5], p[2], p[3]) for p in self.phdrs if p[0] == PT_LOAD]

    def read_phys(self, pa, n):
        out = b""
        while n > 0:
            for base, size, off, _va in self.loads:
                if base <= pa < base + size:
                    k = min(n, base + size - pa)
                    self.f.seek(off + pa - base)
                    out += self.f.read(k)
                    pa, n = pa + k, n - k
                    break
            else:
                return None
        return out

    def read(self, pa, n):
        data = self.read_phys(pa, n)
        if data is None:
            raise KeyError("physical %#x not in dump" % pa)
        return data

    def q(self, pa):
        return struct.unpack("<Q", self.read(pa, 8))[0]

    def read_virt(self, va, n):
        for _pa, size, off, base in self.loads:
            if base <= va < base + size:
                self.f.seek(off + va - base)
                return self.f.read(n)
        return None

    def v2p(self, va):
        for pa, size, _off, base in self.loads:
            if base <= va < base + size:
                return pa + va - base
        return None

    def u64v(self, va):
        data = self.read_virt(va, 8)
        if data is None:
            raise KeyError(f"{va:#x} not in the dump")
        return struct.unpack("<Q", data)[0]


def notes(path):
    core = Core(path)
    for p_type, _fl, p_offset, _va, _pa, p_filesz, _memsz, _al in core.phdrs:
        if p_type != PT_NOTE:
            continue
        core.f.seek(p_offset)
        data = core.f.read(p_filesz)
        off = 0
        while off + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from("<III", data, off)
            off += 12
            name = data[off:off + namesz].rstrip(b"\0").decode("ascii", "replace")
            off += (namesz + 3) & ~3
            desc = data[off:off + descsz]
            off += (descsz + 3) & ~3
            yield name, ntype, desc


def x86_pte(core, root, va, levels):
    table = root & X86_PHYS_MASK
    for shift in [48, 39, 30, 21, 12][5 - levels:]:
        e = core.q(table + ((va >> shift) & 511) * 8)
        if shift == 12:
            return e
        if not e & 1:
            return None  # no table below: pte_none for pagemap
        if e & 0x80:
            return ("huge", shift, e)
        table = e & X86_PHYS_MASK


def x86_translate(core, root, va, levels):
    e = x86_pte(core, root, va, levels)
    if isinstance(e, tuple):
        size = 1 << e[1]
        return (e[2] & X86_PHYS_MASK & ~(size - 1)) + (va & (size - 1))
    if e is None or not e & 1:
        return None
    return (e & X86_PHYS_MASK) + (va & 0xfff)


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
