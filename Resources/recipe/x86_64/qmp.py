#!/usr/bin/env python3
"""Freeze a QEMU guest and capture it over QMP (standard library only).

Usage: qmp.py SOCKET OUTDIR

Steps: qmp_capabilities, stop, `info registers -a` -> OUTDIR/info-registers.txt,
`info tlb` (monitor CPU 0) -> OUTDIR/info-tlb.txt and, for each further CPU N,
OUTDIR/info-tlb-cpuN.txt, dump-guest-memory (paging=false, ELF) ->
OUTDIR/vmcore.elf, then quit.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in ../lib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, dump_and_quit, write  # noqa: E402


def main():
    sock, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
    q = QMP(sock)
    q.cmd("qmp_capabilities")
    q.cmd("stop")
    cpus = q.cmd("query-cpus-fast")
    write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
    for c in cpus:
        idx = c["cpu-index"]
        name = "info-tlb.txt" if idx == 0 else f"info-tlb-cpu{idx}.txt"
        t0 = time.time()
        write(os.path.join(outdir, name), q.hmp("info tlb", cpu=idx))
        print(f"info tlb cpu {idx}: {time.time() - t0:.1f} s")
    dump_and_quit(q, outdir)

if __name__ == "__main__":
    main()
