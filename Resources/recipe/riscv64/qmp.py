#!/usr/bin/env python3
"""Freeze a riscv64 QEMU guest and capture it over QMP (standard library only).

Usage: qmp.py SOCKET OUTDIR

Steps: qmp_capabilities, stop, `info registers -a` -> OUTDIR/info-registers.txt
(on riscv it shows satp), `info mem` (monitor CPU 0; virtual -> physical ranges
of the current satp, with attributes) -> OUTDIR/info-mem.txt unless INFO_MEM=0,
dump-guest-memory (paging=false, ELF) -> OUTDIR/vmcore.elf, then quit.

The riscv variant of ../x86_64/qmp.py: QEMU has no `info tlb` on riscv.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "x86_64"))
from qmp import QMP, write  # noqa: E402  (the x86 recipe's QMP client)


def main():
    sock, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
    q = QMP(sock)
    q.cmd("qmp_capabilities")
    q.cmd("stop")
    write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
    if os.environ.get("INFO_MEM", "1") != "0":
        t0 = time.time()
        write(os.path.join(outdir, "info-mem.txt"), q.hmp("info mem", cpu=0))
        print(f"info mem: {time.time() - t0:.1f} s")
    vmcore = os.path.join(outdir, "vmcore.elf")
    t0 = time.time()
    q.cmd("dump-guest-memory", paging=False, protocol="file:" + vmcore, format="elf")
    while True:
        st = q.cmd("query-dump")
        if st["status"] != "active":
            break
        time.sleep(0.5)
    print(f"dump-guest-memory: {st['status']}, {st.get('completed')} bytes, "
          f"{time.time() - t0:.1f} s")
    if st["status"] != "completed":
        sys.exit(f"dump failed: {st}")
    try:
        q.cmd("quit")
    except EOFError:
        pass


if __name__ == "__main__":
    main()
