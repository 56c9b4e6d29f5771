#!/usr/bin/env python3
"""Independent walk of an arm64 dump's tables, 4 or 5 levels, with or without LPA2
(stdlib only; shares no code with kptdump). Adapted from ../arm64/check-walk.py.

Usage: check-walk-lpa2.py VMCORE MMU_REGS LISTING [--user ROOT_PA] [--leaves OUT]
  LISTING: kptdump's text listing (`kptdump list` for the kernel half, rooted at
  TTBR1_EL1 from MMU_REGS; with --user, `kptdump list --pid 1` and ROOT_PA the
  physical address of that process's PGD, whose VA range is TTBR0's, sized by T0SZ).

Walks like the MMU with a 4K granule: VA bits = 64 - TnSZ; levels = ceil((VA - 12) / 9)
(52 bits: 5 levels, a 16-entry top table; 48 bits: 4 levels). With TCR_EL1.DS (bit 59,
FEAT_LPA2) an output or next-table address is desc[49:12] | desc[9:8] << 50, and a TTBR's
BADDR[51:48] sits in its bits [5:2]; without DS it is desc[47:12]. Every non-zero entry
that is not a table becomes a leaf with dump_prot()'s text, from Linux 7.x's
arch/arm64/mm/ptdump.c pte_bits[] (the BLK row is PMD_TYPE_MASK/PMD_TYPE_SECT there,
7.x: "BLK" when desc[1:0] == 01). Level names: PGD P4D PUD PMD PTE with 5 levels; with 4
the kernel folds P4D at run time and note_page() calls what is left PGD, so PGD PUD PMD
PTE. Leaves are merged when adjacent with equal name and text; so are the listing's
lines with attributes. Exit 0 when both lists are equal. --leaves OUT also writes every
valid leaf as "VA SIZE PA DESCRIPTOR" (hex), for judge-vtop.py.
"""
import re
import struct
import sys

PTE_BITS = [
    (1 << 0, 1 << 0, " ", "F"),
    (1 << 6, 1 << 6, "USR", "   "),
    (1 << 7, 1 << 7, "ro", "RW"),
    (1 << 53, 1 << 53, "NX", "x "),
    (3 << 8, 3 << 8, "SHD", "   "),
    (1 << 10, 1 << 10, "AF", "  "),
    (1 << 11, 1 << 11, "NG", "  "),
    (1 << 52, 1 << 52, "CON", "   "),
    (3, 1, "BLK", "   "),
    (1 << 54, 1 << 54, "UXN", "   "),
    (1 << 50, 1 << 50, "GP", "  "),
    (7 << 2, 3 << 2, "DEVICE/nGnRnE", None),
    (7 << 2, 4 << 2, "DEVICE/nGnRE", None),
    (7 << 2, 2 << 2, "MEM/NORMAL-NC", None),
    (7 << 2, 0 << 2, "MEM/NORMAL", None),
    (7 << 2, 1 << 2, "MEM/NORMAL-TAGGED", None),
]
PROT_MASK = 0
for _m, _v, _s, _c in PTE_BITS:
    PROT_MASK |= _m


def prot_text(prot):
    out = ""
    for mask, val, s, c in PTE_BITS:
        t = s if (prot & mask) == val else c
        if t is not None:
            out += " " + t
    return out


class Dump:
    def __init__(self, path):
        self.f = open(path, "rb")
        hdr = self.f.read(64)
        phoff, = struct.unpack("<Q", hdr[32:40])
        phentsize, phnum = struct.unpack("<HH", hdr[54:58])
        self.loads = []
        for i in range(phnum):
            self.f.seek(phoff + i * phentsize)
            p = struct.unpack("<IIQQQQQQ", self.f.read(56))
            if p[0] == 1:
                self.loads.append((p[4], p[5], p[2]))

    def read(self, pa, n):
        for base, size, off in self.loads:
            if base <= pa and pa + n <= base + size:
                self.f.seek(off + pa - base)
                return self.f.read(n)
        raise KeyError(f"physical 0x{pa:x} not in dump")


def merge(items):
    out = []
    for s, e, name, text in items:
        if out and out[-1][1] == s and out[-1][2] == name and out[-1][3] == text:
            out[-1] = (out[-1][0], e, name, text)
        else:
            out.append((s, e, name, text))
    return out


def main():
    vmcore, regs_path, listing = sys.argv[1:4]
    opts = sys.argv[4:]
    user_root = int(opts[opts.index("--user") + 1], 16) if "--user" in opts else None
    leaves_out = opts[opts.index("--leaves") + 1] if "--leaves" in opts else None
    valid = []
    regs = {}
    for line in open(regs_path):
        f = line.split()
        if len(f) == 2:
            try:
                regs[f[0]] = int(f[1], 16)
            except ValueError:
                pass
    tcr = regs["TCR_EL1"]
    ds = (tcr >> 59) & 1
    tsz = (tcr & 0x3f) if user_root is not None else (tcr >> 16) & 0x3f
    va_bits = 64 - tsz
    nlev = -(-(va_bits - 12) // 9)
    names = {5: ["PGD", "P4D", "PUD", "PMD", "PTE"], 4: ["PGD", "PUD", "PMD", "PTE"],
             3: ["PGD", "PMD", "PTE"]}[nlev]

    def out_addr(d):
        if ds:
            return (d & 0x0003fffffffff000) | (((d >> 8) & 3) << 50)
        return d & 0x0000fffffffff000

    if user_root is None:
        ttbr = regs["TTBR1_EL1"]
        root = ttbr & 0x0000ffffffffffc0
        if ds:
            root |= ((ttbr >> 2) & 0xf) << 48
        va0 = (1 << 64) - (1 << va_bits)
        what = f"TTBR1_EL1=0x{ttbr:x}"
    else:
        root, va0 = user_root, 0
        what = f"user PGD at 0x{root:x} (TTBR0_EL1=0x{regs.get('TTBR0_EL1', 0):x})"

    dump = Dump(vmcore)
    leaves = []
    invalid = 0

    def walk(pa, level, va_base):
        nonlocal invalid
        lshift = 12 + (nlev - 1 - level) * 9
        n = (1 << (va_bits - lshift)) if level == 0 else 512
        for i, d in enumerate(struct.unpack(f"<{n}Q", dump.read(pa, n * 8))):
            if d == 0:
                continue
            va = va_base + (i << lshift)
            end = (va + (1 << lshift)) & ((1 << 64) - 1)
            if d & 1 and level < nlev - 1 and d & 2:
                walk(out_addr(d), level + 1, va)
            else:
                if not d & 1:
                    invalid += 1
                else:
                    valid.append((va, 1 << lshift, out_addr(d) & ~((1 << lshift) - 1), d))
                leaves.append((va, end, names[level], prot_text(d & PROT_MASK)))

    walk(root, 0, va0)
    if leaves_out:
        with open(leaves_out, "w") as f:
            for va, size, pa, d in valid:
                f.write(f"{va:016x} {size:x} {pa:x} {d:016x}\n")
    mine = merge(leaves)
    line_re = re.compile(r"^0x([0-9a-f]{16})-0x([0-9a-f]{16})   [ 0-9]*[0-9][KMGTPE] (\w+)( .*)?$")
    listed = []
    for line in open(listing):
        m = line_re.match(line.rstrip("\n"))
        if m and m.group(4) and m.group(4).strip():
            s = int(m.group(1), 16)
            if user_root is not None and s >= 1 << 63:
                continue
            listed.append((s, int(m.group(2), 16), m.group(3), m.group(4)))
    theirs = merge(listed)
    print(f"walk from {what}: TCR_EL1=0x{tcr:x} DS={ds} TnSZ={tsz} (VA {va_bits} bits), {nlev} levels {names}; "
          f"{len(leaves)} leaves ({invalid} non-zero invalid) -> {len(mine)} ranges; listing: {len(theirs)} mapped ranges")
    if mine == theirs:
        print(f"walk OK: {len(mine)} mapped ranges, same bounds, levels and attributes as the listing")
        return 0
    a, b = set(mine), set(theirs)
    for r in sorted(a - b)[:15]:
        print(f"  only in dump:    0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    for r in sorted(b - a)[:15]:
        print(f"  only in listing: 0x{r[0]:016x}-0x{r[1]:016x} {r[2]}{r[3]}")
    print(f"walk MISMATCH: {len(a - b)} only in dump, {len(b - a)} only in listing")
    return 1


if __name__ == "__main__":
    sys.exit(main())
