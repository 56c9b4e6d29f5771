#!/usr/bin/env python3
"""Which mm does each CPU's hardware CR3 belong to? (kdump-panic capture)

Usage: cpu-mm.py STATE|DIR [--keep SNAPSHOT OUT]

Reads vmcore.elf through its PT_LOADs (virtual -> file offset, virtual ->
physical), symbols from paths.txt's System.map plus VMCOREINFO's KERNELOFFSET,
and structure offsets from the vmlinux's DWARF with `pahole` (dwarves). For each
CPU it prints, side by side with regs-cpuN.txt's CR3:

  rq->curr (pid, comm), its mm and active_mm, and each one's pgd (physical);
  per-CPU cpu_tlbstate.loaded_mm (what switch_mm_irqs_off last loaded into CR3)
  and its pgd; cpu_tlbstate.last_user_mm; init_mm (pgd = init_top_pgt).

and names the sources whose PGD equals CR3 & ~0x1fff (PTI pair: the kernel PGD
is 8 KiB-aligned, its user copy 4 KiB above; without PTI, ~0xfff). Exit status 1
when cpu_tlbstate.loaded_mm's PGD is not CR3's on some CPU.

With --keep, also writes OUT: an ELF header with SNAPSHOT's PT_LOADs (a `kptdump
snapshot`) plus one PT_LOAD per extra physical page (no data; kdump-subset.py reads
only p_paddr and p_filesz): each CPU's cpu_tlbstate and __per_cpu_offset, and the
mm_struct (the pgd member) of each loaded_mm and active_mm, so that a fixture cut
with it can also answer "what was loaded in CR3" from cpu_tlbstate.
"""
import os
import re
import struct
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core as ElfCore, notes  # noqa: E402


class Core(ElfCore):
    """../lib/elfcore.py's reader, addressed by virtual address (the PT_LOADs' p_vaddr)."""
    def read(self, va, size):
        data = self.read_virt(va, size)
        if data is None:
            raise KeyError(f"{va:#x} not in the dump")
        return data

    u64 = ElfCore.u64v


def offsets(vmlinux, struct_name, members):
    out = subprocess.run(["pahole", "-C", struct_name, vmlinux], capture_output=True, text=True).stdout
    found = {}
    for m in members:
        hit = re.search(r"[\s*]" + re.escape(m) + r"(\[\d+\])?;\s*/\*\s*(\d+)", out)
        if hit:
            found[m] = int(hit.group(2))
    return found


def main():
    arg = sys.argv[1]
    d = arg if os.path.isdir(arg) else os.path.join(os.environ.get("BIG", "/work/big/kdump-panic"), arg)
    paths = open(os.path.join(d, "paths.txt")).read()
    vmlinux = re.search(r"^vmlinux +(\S+)", paths, re.M).group(1)
    smap = re.search(r"^System.map +(\S+)", paths, re.M).group(1)
    core = Core(os.path.join(d, "vmcore.elf"))
    info = ""
    for name, _t, desc in notes(os.path.join(d, "vmcore.elf")):
        if name == "VMCOREINFO":
            info = desc.decode("ascii", "replace")
    koff = int(re.search(r"^KERNELOFFSET=([0-9a-f]+)", info, re.M).group(1), 16)
    want = {"__per_cpu_offset", "cpu_tlbstate", "runqueues", "init_mm", "init_top_pgt", "nr_cpu_ids"}
    sym = {}
    for line in open(smap):
        a, _t, s = line.split()[:3]
        if s in want:
            sym[s] = int(a, 16)
    percpu = lambda s, c: sym[s] + core.u64(sym["__per_cpu_offset"] + koff + 8 * c)  # noqa: E731
    mm_off = offsets(vmlinux, "mm_struct", ["pgd"])
    task_off = offsets(vmlinux, "task_struct", ["mm", "active_mm", "pid", "comm"])
    rq_off = offsets(vmlinux, "rq", ["curr", "idle"])
    tlb_off = offsets(vmlinux, "tlb_state", ["loaded_mm", "last_user_mm"])
    print(f"offsets: mm_struct.pgd={mm_off} task_struct={task_off} rq={rq_off} tlb_state={tlb_off}")
    init_mm = sym["init_mm"] + koff
    init_pgd_pa = core.v2p(sym["init_top_pgt"] + koff)
    print(f"init_mm={init_mm:#x} init_top_pgt pa={init_pgd_pa:#x}")

    def pgd_pa(mm):
        if not mm:
            return None
        return core.v2p(core.u64(mm + mm_off["pgd"]))

    def mmname(mm):
        if mm == 0:
            return "NULL"
        return f"{mm:#x}{' (init_mm)' if mm == init_mm else ''} pgd pa={pgd_pa(mm):#x}"

    status = 0
    extra = set()
    page = lambda va: extra.add(core.v2p(va) & ~0xfff)  # noqa: E731
    page(sym["__per_cpu_offset"] + koff)
    for cpu in range(2):
        regs = os.path.join(d, f"regs-cpu{cpu}.txt")
        cr3 = int(re.search(r"\bCR3=([0-9a-f]+)", open(regs).read()).group(1), 16)
        rq = percpu("runqueues", cpu)
        curr = core.u64(rq + rq_off["curr"])
        pid = struct.unpack("<i", core.read(curr + task_off["pid"], 4))[0]
        comm = core.read(curr + task_off["comm"], 16).split(b"\0")[0].decode()
        mm = core.u64(curr + task_off["mm"])
        active = core.u64(curr + task_off["active_mm"])
        tlb = percpu("cpu_tlbstate", cpu)
        loaded = core.u64(tlb + tlb_off["loaded_mm"])
        last_user = core.u64(tlb + tlb_off["last_user_mm"])
        page(tlb)
        page(tlb + 127)  # struct tlb_state: 128 bytes, cacheline-aligned
        for m in (loaded, active):
            if m:
                page(m + mm_off["pgd"])
        print(f"cpu{cpu}: CR3={cr3:#x}")
        print(f"  rq->curr        {curr:#x} pid {pid} {comm}")
        print(f"  curr->mm        {mmname(mm)}")
        print(f"  curr->active_mm {mmname(active)}")
        print(f"  cpu_tlbstate @ {tlb:#x}: loaded_mm {mmname(loaded)}")
        print(f"  cpu_tlbstate.last_user_mm {last_user:#x}")
        match = [n for n, m in (("rq->curr->active_mm", active), ("cpu_tlbstate.loaded_mm", loaded),
                                ("init_mm", init_mm)) if m and pgd_pa(m) in (cr3 & ~0xfff, cr3 & ~0x1fff)]
        print(f"  CR3 matches: {', '.join(match) or 'NONE'}")
        if "cpu_tlbstate.loaded_mm" not in match:
            status = 1
    if "--keep" in sys.argv:
        i = sys.argv.index("--keep")
        write_keep(sys.argv[i + 1], sys.argv[i + 2], sorted(extra))
    sys.exit(status)


def write_keep(snapshot, out, pages):
    """OUT: ELF64 header + PT_LOADs = SNAPSHOT's + one 4 KiB page each in PAGES."""
    with open(snapshot, "rb") as f:
        h = f.read(64)
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        f.seek(phoff)
        phdrs = [f.read(phentsize)[:56] for _ in range(phnum)]
    phdrs = [p for p in phdrs if struct.unpack_from("<I", p)[0] == 1]
    phdrs += [struct.pack("<IIQQQQQQ", 1, 4, 0, 0, pa, 0x1000, 0x1000, 0x1000) for pa in pages]
    hdr = bytearray(h)
    struct.pack_into("<Q", hdr, 32, 64)              # e_phoff
    struct.pack_into("<Q", hdr, 40, 0)               # e_shoff
    struct.pack_into("<HH", hdr, 54, 56, len(phdrs))  # e_phentsize, e_phnum
    struct.pack_into("<HHH", hdr, 58, 64, 0, 0)      # e_shentsize, e_shnum, e_shstrndx
    with open(out, "wb") as f:
        f.write(hdr + b"".join(phdrs))
    print(f"keep: {out}: {len(phdrs) - len(pages)} snapshot PT_LOADs + {len(pages)} pages "
          + " ".join(f"{pa:#x}" for pa in pages))


if __name__ == "__main__":
    main()
