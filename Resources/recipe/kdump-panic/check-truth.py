#!/usr/bin/env python3
"""Compare a kdump-panic or kdump-panic-arm64 state's truth with what its ELF
vmcore says.

Usage: check-truth.py STATE        (reads $BIG/STATE, /work/big/kdump-panic/STATE or
                                    /work/big/kdump-panic-arm64/STATE)
       check-truth.py DIR          (a folder with vmcore.elf, truth.txt, paths.txt)

Prints each CPU's NT_PRSTATUS (notes are in CPU order): pr_pid (offset 32 of
elf_prstatus) and, from pr_reg (offset 112), on x86-64 RIP, CS (ring 3 = user) and
RSP, on arm64 (x0-x30, sp, pc, pstate) pc, sp and the exception level (pstate bits
3:2); the kernel variable panic_cpu, read from the dump at System.map's address plus
VMCOREINFO's KERNELOFFSET (arm64: made physical with NUMBER(kimage_voffset)); and
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
from elfcore import Core, notes  # noqa: E402

NT_PRSTATUS = 1
PR_REG = 112                     # offset of pr_reg (user_regs_struct) in elf_prstatus
REGS = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax "
        "rip cs eflags rsp ss fs_base gs_base ds es fs gs").split()


def main():
    arg = sys.argv[1]
    d = arg
    for big in [os.environ.get("BIG", ""), "/work/big/kdump-panic", "/work/big/kdump-panic-arm64"]:
        if not os.path.isdir(d):
            d = os.path.join(big, arg)
    core = os.path.join(d, "vmcore.elf")
    arm64 = struct.unpack_from("<H", open(core, "rb").read(20), 18)[0] == 183  # EM_AARCH64
    truth = open(os.path.join(d, "truth.txt")).read()
    crasher = re.search(r"^crasher +pid=(\d+) comm=\S+ cpu=(\d+)", truth, re.M)
    busy = re.search(r"^busy +pid=(\d+) comm=\S+ cpu=(\d+)", truth, re.M)
    idle = re.search(r"^idle +pid=0 comm=\S+ cpu=(\d+)", truth, re.M)
    pids, info = [], ""
    for name, ntype, desc in notes(core):
        if name == "CORE" and ntype == NT_PRSTATUS:
            pid, = struct.unpack_from("<i", desc, 32)
            if arm64:
                r = struct.unpack_from("<34Q", desc, PR_REG)
                pc, sp, pstate = r[32], r[31], r[33]
                print(f"cpu{len(pids)}: pr_pid={pid} pc={pc:#x} sp={sp:#x} pstate={pstate:#x} "
                      f"(EL{(pstate >> 2) & 3}, {'user' if (pstate >> 2) & 3 == 0 else 'kernel'})")
            else:
                r = dict(zip(REGS, struct.unpack_from("<27Q", desc, PR_REG)))
                print(f"cpu{len(pids)}: pr_pid={pid} rip={r['rip']:#x} cs={r['cs']:#x} "
                      f"({'user' if r['cs'] & 3 == 3 else 'kernel'}) rsp={r['rsp']:#x}")
            pids.append(pid)
        elif name == "VMCOREINFO":
            info = desc.decode("ascii", "replace")
    off = re.search(r"^KERNELOFFSET=([0-9a-f]+)", info, re.M)
    kvo = re.search(r"^NUMBER\(kimage_voffset\)=(0x)?([0-9a-f]+)", info, re.M)
    smap = re.search(r"^System.map +(\S+)", open(os.path.join(d, "paths.txt")).read(), re.M)
    panic_cpu = None
    if off and smap and (kvo or not arm64):
        for line in open(smap.group(1)):
            a, _t, sym = line.split()[:3]
            if sym == "panic_cpu":
                va = int(a, 16) + int(off.group(1), 16)
                raw = (Core(core).read_phys(va - int(kvo.group(2), 16), 4) if arm64
                       else Core(core).read_virt(va, 4))
                panic_cpu = struct.unpack("<i", raw)[0] if raw else None
                break
    crashtime = re.search(r"^CRASHTIME=(\d+)", info, re.M)
    print(f"panic_cpu={panic_cpu} KERNELOFFSET={off.group(1) if off else None} "
          + (f"kimage_voffset={kvo.group(2) if kvo else None} " if arm64 else "") +
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
