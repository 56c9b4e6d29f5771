#!/usr/bin/env python3
"""Compare a kdump-panic state's truth with what its ELF vmcore says.

Usage: check-truth.py STATE        (reads /work/big/kdump-panic/STATE, or $BIG/STATE)
       check-truth.py DIR          (a folder with vmcore.elf, truth.txt, paths.txt)

Prints each CPU's NT_PRSTATUS (notes are in CPU order): pr_pid (offset 32 of
elf_prstatus), RIP, CS (ring 3 = user) and RSP; the kernel variable panic_cpu,
read from the dump at System.map's address plus VMCOREINFO's KERNELOFFSET; and
checks: the panicking CPU's pid is the crasher's, the busy CPU's pid is the busy
task's (or 0); in an idle state (truth line `idle pid=0 ... cpu=M`, no busy task)
the idle CPU's pid must be 0 (its idle task, swapper/M). Exit status 1 on a mismatch.
"""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in lib/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfnotes import notes  # noqa: E402

NT_PRSTATUS = 1
PR_REG = 112                     # offset of pr_reg (user_regs_struct) in elf_prstatus
REGS = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax "
        "rip cs eflags rsp ss fs_base gs_base ds es fs gs").split()


def loads(path):
    with open(path, "rb") as f:
        hdr = f.read(64)
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        f.seek(phoff)
        return [struct.unpack("<IIQQQQQQ", f.read(phentsize)[:56]) for _ in range(phnum)]


def read_virt(path, phdrs, vaddr, size):
    for p_type, _fl, off, va, _pa, filesz, _m, _a in phdrs:
        if p_type == 1 and va <= vaddr < va + filesz:
            with open(path, "rb") as f:
                f.seek(off + vaddr - va)
                return f.read(size)
    return None


def main():
    arg = sys.argv[1]
    d = arg if os.path.isdir(arg) else os.path.join(os.environ.get("BIG", "/work/big/kdump-panic"), arg)
    core = os.path.join(d, "vmcore.elf")
    truth = open(os.path.join(d, "truth.txt")).read()
    crasher = re.search(r"^crasher +pid=(\d+) comm=\S+ cpu=(\d+)", truth, re.M)
    busy = re.search(r"^busy +pid=(\d+) comm=\S+ cpu=(\d+)", truth, re.M)
    idle = re.search(r"^idle +pid=0 comm=\S+ cpu=(\d+)", truth, re.M)
    pids, info = [], ""
    for name, ntype, desc in notes(core):
        if name == "CORE" and ntype == NT_PRSTATUS:
            pid, = struct.unpack_from("<i", desc, 32)
            r = dict(zip(REGS, struct.unpack_from("<27Q", desc, PR_REG)))
            print(f"cpu{len(pids)}: pr_pid={pid} rip={r['rip']:#x} cs={r['cs']:#x} "
                  f"({'user' if r['cs'] & 3 == 3 else 'kernel'}) rsp={r['rsp']:#x}")
            pids.append(pid)
        elif name == "VMCOREINFO":
            info = desc.decode("ascii", "replace")
    off = re.search(r"^KERNELOFFSET=([0-9a-f]+)", info, re.M)
    smap = re.search(r"^System.map +(\S+)", open(os.path.join(d, "paths.txt")).read(), re.M)
    panic_cpu = None
    if off and smap:
        for line in open(smap.group(1)):
            a, _t, sym = line.split()[:3]
            if sym == "panic_cpu":
                raw = read_virt(core, loads(core), int(a, 16) + int(off.group(1), 16), 4)
                panic_cpu = struct.unpack("<i", raw)[0] if raw else None
                break
    crashtime = re.search(r"^CRASHTIME=(\d+)", info, re.M)
    print(f"panic_cpu={panic_cpu} KERNELOFFSET={off.group(1) if off else None} "
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
    if idle:
        cpu = int(idle.group(1))
        good = cpu < len(pids) and pids[cpu] == 0
        ok &= good
        print(f"idle cpu{cpu} (no busy task), dump says pid {pids[cpu] if cpu < len(pids) else '?'}: "
              f"{'OK' if good else 'MISMATCH'}")
    if not (busy or idle):
        ok = False
        print("truth.txt names neither a busy task nor an idle CPU: MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
