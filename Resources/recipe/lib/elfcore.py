#!/usr/bin/env python3
"""The one ELF-core reader of the recipes (python3 stdlib only): QEMU's
dump-guest-memory and /proc/vmcore files, ELF64 of either byte order; and the
page walks the recipes check kptdump and the kernel's listings by.

As a script:
  elfcore.py vmcore.elf          -> VMCOREINFO note text on stdout
  elfcore.py --list vmcore.elf   -> one line per note: name, type, size
As a module:
  notes(path)          (name, type, desc) of every note of the PT_NOTE segments
  memory_note(core, pa, size)   one note in guest memory, either byte order
  Core(path)           .header (64 bytes), .machine (e_machine), .phdrs (raw),
                       .order (the file's "<" or ">"), .mem_order (for .q/.u64v;
                       the file's unless set),
                       .loads [(paddr, filesz, offset, vaddr)],
                       .read(pa, n) (KeyError outside the dump), .q(pa) (u64),
                       .read_phys(pa, n) (across adjacent PT_LOADs) /
                       .read_virt(va, n) (None outside),
                       .v2p(va) (by the PT_LOADs' p_vaddr), .u64v(va)
  pte_walk(core, root, va, levels, arch)
                       the walk of 4K-page tables (x86_64, arm64, riscv64) from a
                       root table (physical) down to VA's last-level entry: that
                       entry (int), None where an entry above is 0, or (shift,
                       entry) where one above is no table (a huge or block leaf,
                       or not present)
  x86_pte(core, root, va, levels)
                       x86-64's: the PTE (int), None when a level above is not
                       present, or ("huge", shift, entry) for a PSE leaf
  x86_translate(core, root, va, levels)
                       VA's physical address by that walk, or None
  arm64_leaves(core, ttbr, va_bits, page_shift, upper, invalid)
                       every leaf under a TTBR0_EL1/TTBR1_EL1 value (any granule)
  arm64_pte_bits(mair), arm64_prot_text(desc, bits), arm64_compare(...)
                       arch/arm64/mm/ptdump.c's attribute text (6.1, or 5.10-5.13
                       by MAIR_EL1) and a walk's leaves against a listing
"""
import re
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
X86_PHYS_MASK = 0x000FFFFFFFFFF000


class Core:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        hdr = self.f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2 or hdr[5] not in (1, 2):
            raise SystemExit("%s: not an ELF64 file" % path)
        # s390x dumps are big-endian throughout; QEMU writes ppc64le's headers and
        # notes big-endian over little-endian memory: mem_order is the caller's to set.
        self.order = "<" if hdr[5] == 1 else ">"
        self.mem_order = self.order
        e = self.order
        self.header = hdr
        self.machine, = struct.unpack_from(e + "H", hdr, 18)
        phoff, = struct.unpack_from(e + "Q", hdr, 32)
        phentsize, phnum = struct.unpack_from(e + "HH", hdr, 54)
        self.f.seek(phoff)
        self.phdrs = [struct.unpack(e + "IIQQQQQQ", self.f.read(phentsize)[:56]) for _ in range(phnum)]
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
        return struct.unpack(self.mem_order + "Q", self.read(pa, 8))[0]

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
        return struct.unpack(self.mem_order + "Q", data)[0]


def notes(path):
    core = Core(path)
    for p_type, _fl, p_offset, _va, _pa, p_filesz, _memsz, _al in core.phdrs:
        if p_type != PT_NOTE:
            continue
        core.f.seek(p_offset)
        data = core.f.read(p_filesz)
        off = 0
        while off + 12 <= len(data):
            namesz, descsz, ntype = struct.unpack_from(core.order + "III", data, off)
            off += 12
            name = data[off:off + namesz].rstrip(b"\0").decode("ascii", "replace")
            off += (namesz + 3) & ~3
            desc = data[off:off + descsz]
            off += (descsz + 3) & ~3
            yield name, ntype, desc


def memory_note(core, pa, size):
    """The ELF note at PA in guest memory (the kernel's VMCOREINFO note, where
    /sys/kernel/vmcoreinfo points): (name, type, desc). Its header is in the
    guest's byte order, taken as the one whose namesz is sane."""
    data = core.read(pa, size)
    for order in "<>":
        namesz, descsz, ntype = struct.unpack_from(order + "III", data, 0)
        if 0 < namesz < 64 and 12 + namesz <= size:
            break
    name = data[12:12 + namesz].rstrip(b"\0").decode("ascii", "replace")
    off = 12 + ((namesz + 3) & ~3)
    return name, ntype, data[off:off + descsz]


# An upper-level entry's table (physical), or None when it is no table.
TABLE_OF = {
    "x86_64": lambda e: e & X86_PHYS_MASK if e & 0x81 == 1 else None,        # present, not PSE
    "arm64": lambda e: e & 0x0000FFFFFFFFF000 if e & 3 == 3 else None,       # valid table descriptor
    "riscv64": lambda e: (e >> 10 & (1 << 44) - 1) << 12 if e & 0xf == 1 else None,  # V, no R/W/X
}


def pte_walk(core, root, va, levels, arch):
    table = root
    for shift in [48, 39, 30, 21, 12][5 - levels:]:
        e = core.q(table + ((va >> shift) & 511) * 8)
        if shift == 12:
            return e
        if e == 0:
            return None
        table = TABLE_OF[arch](e)
        if table is None:
            return (shift, e)


def x86_pte(core, root, va, levels):
    e = pte_walk(core, root & X86_PHYS_MASK, va, levels, "x86_64")
    if isinstance(e, tuple):
        return ("huge",) + e if e[1] & 1 else None  # not present: pte_none for pagemap
    return e


def x86_translate(core, root, va, levels):
    e = x86_pte(core, root, va, levels)
    if isinstance(e, tuple):
        size = 1 << e[1]
        return (e[2] & X86_PHYS_MASK & ~(size - 1)) + (va & (size - 1))
    if e is None or not e & 1:
        return None
    return (e & X86_PHYS_MASK) + (va & 0xfff)


ARM64_PTE_BITS = [  # (mask, val, set, clear) as in arch/arm64/mm/ptdump.c (6.1)
    (1 << 0, 1 << 0, " ", "F"),
    (1 << 6, 1 << 6, "USR", "   "),
    (1 << 7, 1 << 7, "ro", "RW"),
    (1 << 53, 1 << 53, "NX", "x "),
    (3 << 8, 3 << 8, "SHD", "   "),
    (1 << 10, 1 << 10, "AF", "  "),
    (1 << 11, 1 << 11, "NG", "  "),
    (1 << 52, 1 << 52, "CON", "   "),
    (1 << 1, 1 << 1, "   ", "BLK"),
    (1 << 54, 1 << 54, "UXN", "   "),
    (1 << 50, 1 << 50, "GP", "  "),
    (7 << 2, 3 << 2, "DEVICE/nGnRnE", None),
    (7 << 2, 4 << 2, "DEVICE/nGnRE", None),
    (7 << 2, 2 << 2, "MEM/NORMAL-NC", None),
    (7 << 2, 0 << 2, "MEM/NORMAL", None),
    (7 << 2, 1 << 2, "MEM/NORMAL-TAGGED", None),
]
# Linux 5.10 to 5.13 (5.14 dropped MT_NORMAL_WT and MT_DEVICE_GRE and renumbered
# the device types): MAIR indices 3 = NORMAL_WT, 4 = DEVICE_nGnRnE, 5 = DEVICE_nGnRE,
# 6 = DEVICE_GRE, and pte_bits[] has a DEVICE/GRE row.
ARM64_PTE_BITS_5_10 = ARM64_PTE_BITS[:11] + [
    (7 << 2, 4 << 2, "DEVICE/nGnRnE", None),
    (7 << 2, 5 << 2, "DEVICE/nGnRE", None),
    (7 << 2, 6 << 2, "DEVICE/GRE", None),
    (7 << 2, 2 << 2, "MEM/NORMAL-NC", None),
    (7 << 2, 0 << 2, "MEM/NORMAL", None),
    (7 << 2, 1 << 2, "MEM/NORMAL-TAGGED", None),
]
# Linux 6.15 (f5e93819e2cc; the BLK row now PMD_TYPE_MASK/PMD_TYPE_SECT):
# "BLK" when desc[1:0] == 01, else blank; 6.1's printed "BLK" whenever bit 1 was
# clear, invalid entries too.
ARM64_PTE_BITS_6_15 = [row if row[2:] != ("   ", "BLK") else (3, 1, "BLK", "   ") for row in ARM64_PTE_BITS]
# A 5-level kernel on a CPU without LPA2 folds its P4D at run time, and its
# note_page() prints that level as PGD: 4 hardware levels, the 4-level names.
ARM64_LEVELS = {5: ["PGD", "P4D", "PUD", "PMD", "PTE"], 4: ["PGD", "PUD", "PMD", "PTE"],
                3: ["PGD", "PMD", "PTE"], 2: ["PGD", "PTE"]}
ARM64_LINE = re.compile(r"^0x([0-9a-f]{16})-0x([0-9a-f]{16})   [ 0-9]*[0-9][KMGTPE] (\w+)( .*)?$")


def arm64_pte_bits(mair):
    """(pte_bits, what) for the kernel whose index order MAIR_EL1 (None: unknown,
    6.1's) shows: attr3 0xbb (Normal write-through) and attr5 0x04
    (Device-nGnRE) up to 5.13; attr3 0x00 (Device-nGnRnE), attr4 0x04 from 5.14."""
    if mair is not None and (mair >> 24) & 0xff == 0xbb and (mair >> 40) & 0xff == 0x04:
        return ARM64_PTE_BITS_5_10, "5.10-5.13 (MAIR_EL1 attr3=0xbb NORMAL_WT, attr4..6 = DEVICE nGnRnE/nGnRE/GRE)"
    return ARM64_PTE_BITS, "5.14+ (MAIR_EL1 attr3=DEVICE_nGnRnE, attr4=DEVICE_nGnRE)"


def arm64_prot_text(desc, bits=ARM64_PTE_BITS):
    out = ""
    for mask, val, s, c in bits:
        t = s if (desc & mask) == val else c
        if t is not None:
            out += " " + t
    return out


def arm64_leaves(core, ttbr, va_bits, page_shift, upper, invalid=True, ds=False):
    """(levels, leaves): every leaf under TTBR (ASID bits 63:48 and CnP masked),
    walked as the MMU does, as (start, end, level name, descriptor); upper: the
    TTBR1 half. invalid: invalid non-zero entries too (counted as leaves).
    ds: TCR_EL1.DS (FEAT_LPA2, 4K/16K): output addresses to bit 51, with bits
    51:50 in descriptor bits 9:8 and 51:48 in TTBR bits 5:2."""
    stride = page_shift - 3
    nlev = -(-(va_bits - page_shift) // stride)
    names = ARM64_LEVELS[nlev]
    mask = ((1 << (50 if ds else 48)) - 1) & ~((1 << page_shift) - 1)
    root = ttbr & ((1 << 48) - 1) & ~1
    if page_shift == 16 or ds:  # 52-bit PA: bits 51:48 in TTBR bits 5:2
        root = (root & ~0x3f) | (((ttbr >> 2) & 0xf) << 48)

    def output(d):
        if page_shift == 16:  # 64K: PA bits 51:48 in descriptor bits 15:12
            return (d & mask) | (((d >> 12) & 0xf) << 48)
        return (d & mask) | ((((d >> 8) & 3) << 50) if ds else 0)
    leaves = []

    def walk(pa, level, base):
        lshift = page_shift + (nlev - 1 - level) * stride
        n = 1 << (va_bits - lshift if level == 0 else stride)
        for i, d in enumerate(struct.unpack(f"<{n}Q", core.read(pa, n * 8))):
            if d == 0:
                continue
            va = base + (i << lshift)
            if d & 3 == 3 and level < nlev - 1:
                walk(output(d), level + 1, va)
            elif d & 1 or invalid:
                leaves.append((va, (va + (1 << lshift)) & ((1 << 64) - 1), names[level], d))

    walk(root, 0, (1 << 64) - (1 << va_bits) if upper else 0)
    return nlev, leaves


def merge_ranges(items):
    """Touching (start, end, name, text) ranges with the same name and text, merged."""
    out = []
    for s, e, name, text in items:
        if out and out[-1][1] == s and out[-1][2] == name and out[-1][3] == text:
            out[-1] = (out[-1][0], e, name, text)
        else:
            out.append((s, e, name, text))
    return out


def arm64_compare(leaves, bits, listing, head, ok_text):
    """The leaves' merged ranges with their attribute text against an arm64
    listing's mapped lines (merged: markers can split a range; holes are not
    compared). Prints HEAD and the verdict; returns 0 when equal, 1 otherwise."""
    mine = merge_ranges([(s, e, n, arm64_prot_text(d, bits)) for s, e, n, d in leaves])
    listed = []
    for line in open(listing):
        m = ARM64_LINE.match(line.rstrip("\n"))
        if m and m.group(4):
            listed.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4)))
    theirs = merge_ranges(listed)
    print(f"{head}; {len(leaves)} leaves -> {len(mine)} ranges; listing: {len(theirs)} mapped ranges")
    if mine == theirs:
        print("walk OK: " + ok_text)
        return 0
    for r in sorted(set(mine) - set(theirs))[:10]:
        print(f"  only in walk:    0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    for r in sorted(set(theirs) - set(mine))[:10]:
        print(f"  only in listing: 0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    print("walk MISMATCH")
    return 1


def regs_file(path):
    """A "NAME 0x..." file (mmu-regs.txt, ttbr-cpuN.txt) as {NAME: int}."""
    return {w[0]: int(w[1], 16) for w in (line.split() for line in open(path)) if len(w) == 2}


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
