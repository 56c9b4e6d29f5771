#!/usr/bin/env python3
"""Compare an arm64 kdump-panic state's truth with what its ELF vmcore says.

Usage: check-truth.py STATE|DIR   (DIR with vmcore.elf, truth.txt, paths.txt;
                                   STATE is looked up in $BIG or /work/big/kdump-panic-arm64)

Prints each CPU's NT_PRSTATUS (notes are in CPU order): pr_pid (offset 32 of
elf_prstatus) and, from pr_reg (offset 112: x0-x30, sp, pc, pstate), pc, sp and
the exception level (pstate bits 3:2); the kernel variable panic_cpu, read from
the dump at System.map's address + VMCOREINFO's KERNELOFFSET, translated to a
physical address with NUMBER(kimage_voffset). Checks that the panicking CPU's
pid is the crasher's and the busy CPU's is the busy task's (or 0). Exit 1 on a
mismatch.
"""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfnotes import notes  # noqa: E402

NT_PRSTATUS = 1
PR_REG = 112


def loads(path):
    with open(path, "rb") as f:
        hdr = f.read(64)
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        f.seek(phoff)
        return [struct.unpack("<IIQQQQQQ", f.read(phentsize)[:56]) for _ in range(phnum)]


def read_phys(path, phdrs, paddr, size):
    for p_type, _fl, off, _va, pa, filesz, _m, _a in phdrs:
        if p_type == 1 and pa <= paddr and paddr + size <= pa + filesz:
            with open(path, "rb") as f:
                f.seek(off + paddr - pa)
                return f.read(size)
    return None


def main():
    arg = sys.argv[1]
    d = arg if os.path.isdir(arg) else os.path.join(
        os.environ.get("BIG", "/work/big/kdump-panic-arm64"), arg)
    core = os.path.join(d, "vmcore.elf")
    truth = open(os.path.join(d, "truth.txt")).read()
    crasher = re.search(r"^crasher +pid=(\d+) comm=\S+ cpu=(\d+)", truth, re.M)
    busy = re.search(r"^busy +pid=(\d+) comm=\S+ cpu=(\d+)", truth, re.M)
    pids, info = [], ""
    for name, ntype, desc in notes(core):
        if name == "CORE" and ntype == NT_PRSTATUS:
            pid, = struct.unpack_from("<i", desc, 32)
            r = struct.unpack_from("<34Q", desc, PR_REG)
            pc, sp, pstate = r[32], r[31], r[33]
            print(f"cpu{len(pids)}: pr_pid={pid} pc={pc:#x} sp={sp:#x} pstate={pstate:#x} "
                  f"(EL{(pstate >> 2) & 3}, {'user' if (pstate >> 2) & 3 == 0 else 'kernel'})")
            pids.append(pid)
        elif name == "VMCOREINFO":
            info = desc.decode("ascii", "replace")
    off = re.search(r"^KERNELOFFSET=([0-9a-f]+)", info, re.M)
    kvo = re.search(r"^NUMBER\(kimage_voffset\)=(0x)?([0-9a-f]+)", info, re.M)
    smap = re.search(r"^System.map +(\S+)", open(os.path.join(d, "paths.txt")).read(), re.M)
    panic_cpu = None
    if off and kvo and smap:
        for line in open(smap.group(1)):
            a, _t, sym = line.split()[:3]
            if sym == "panic_cpu":
                va = int(a, 16) + int(off.group(1), 16)
                raw = read_phys(core, loads(core), va - int(kvo.group(2), 16), 4)
                panic_cpu = struct.unpack("<i", raw)[0] if raw else None
                break
    crashtime = re.search(r"^CRASHTIME=(\d+)", info, re.M)
    print(f"panic_cpu={panic_cpu} KERNELOFFSET={off.group(1) if off else None} "
          f"kimage_voffset={kvo.group(2) if kvo else None} "
          f"CRASHTIME={crashtime.group(1) if crashtime else None}")
    ok = True
    if crasher:
        pid, cpu = int(crasher.group(1)), int(crasher.group(2))
        good = cpu < len(pids) and pids[cpu] == pid and panic_cpu == cpu
        ok &= good
        print(f"crasher pid={pid} on cpu{cpu} (panic_cpu {panic_cpu}): {'OK' if good else 'MISMATCH'}")
    if busy:
        pid, cpu = int(busy.group(1)), int(busy.group(2))
        good = cpu < len(pids) and pids[cpu] in (pid, 0)
        ok &= good
        print(f"busy pid={pid} on cpu{cpu}, dump says {pids[cpu] if cpu < len(pids) else '?'}: "
              f"{'OK' if good else 'MISMATCH'}")
    else:
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
