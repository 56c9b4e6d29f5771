#!/usr/bin/env python3
"""Freeze a riscv64 QEMU guest and capture it over QMP (standard library only).

Usage: qmp.py SOCKET OUTDIR

Steps: qmp_capabilities, stop, `info registers -a` -> OUTDIR/info-registers.txt
(on riscv it shows satp), `info mem` (monitor CPU 0; virtual -> physical ranges
of the current satp, with attributes) -> OUTDIR/info-mem.txt unless INFO_MEM=0,
dump-guest-memory (paging=false, ELF) -> OUTDIR/vmcore.elf, then quit.

The riscv variant of ../x86_64/qmp.py (client in ../lib/qmp_client.py): QEMU has no `info tlb` on riscv.
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, dump_and_quit, write  # noqa: E402


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
    dump_and_quit(q, outdir)

if __name__ == "__main__":
    main()
