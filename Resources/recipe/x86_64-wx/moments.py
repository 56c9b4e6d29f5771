#!/usr/bin/env python3
"""Capture one or more moments of one QEMU boot (standard library only).

Usage: moments.py QMP_SOCK CTL_SOCK SERIAL_LOG TIMEOUT OUTDIR1 [OUTDIR2 ...]

For moment N (OUTDIR<N>): wait until ../lib/init.c (moments) has printed
`READY<N>` on SERIAL_LOG, then over QMP: stop, `info registers -a` ->
info-registers.txt, `info tlb` (each CPU; info-tlb.txt for CPU 0,
info-tlb-cpuK.txt for others), dump-guest-memory (paging=false, ELF) ->
vmcore.elf. If another moment follows: `cont`, then send the line "rw" to the
guest's control port (QEMU's second -serial, a Unix socket CTL_SOCK; init reads
/dev/ttyS1), so init writes "rw" to /sys/kernel/debug/kptdump_test and prints
moment N+1. After the last moment: quit. Timings go to OUTDIR<N>/timings.txt.
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in ../lib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, dump, quit, write  # noqa: E402

COMMAND = b"rw\n"


def wait_ready(serial, n, deadline):
    marker = b"\nREADY%d\r\n" % n
    while True:
        try:
            if marker in open(serial, "rb").read():
                return
        except FileNotFoundError:
            pass
        if time.time() > deadline:
            sys.exit(f"no READY{n} in {serial}")
        time.sleep(0.5)


def main():
    qsock, csock, serial, timeout = sys.argv[1:5]
    outdirs = [os.path.abspath(d) for d in sys.argv[5:]]
    timeout = float(timeout)
    t_start = time.time()
    q = QMP(qsock)
    q.cmd("qmp_capabilities")
    ctl = None
    for n, outdir in enumerate(outdirs, 1):
        os.makedirs(outdir, exist_ok=True)
        t0 = time.time()
        wait_ready(serial, n, t0 + timeout)
        t1 = time.time()
        q.cmd("stop")
        status = q.cmd("query-status")["status"]
        cpus = q.cmd("query-cpus-fast")
        write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
        for c in cpus:
            idx = c["cpu-index"]
            name = "info-tlb.txt" if idx == 0 else f"info-tlb-cpu{idx}.txt"
            write(os.path.join(outdir, name), q.hmp("info tlb", cpu=idx))
        dump(q, outdir)
        t2 = time.time()
        since = "boot start" if n == 1 else "command sent"
        with open(os.path.join(outdir, "timings.txt"), "w") as f:
            f.write(f"moment {n}: READY{n} {t1 - (t_start if n == 1 else t0):.1f} s after {since}\n")
            f.write(f"moment {n}: stopped ({status}), registers, tlb, dump: {t2 - t1:.1f} s\n")
        print(open(os.path.join(outdir, "timings.txt")).read(), end="")
        if n < len(outdirs):
            q.cmd("cont")
            if ctl is None:
                ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                ctl.connect(csock)
            ctl.sendall(COMMAND)
            print(f"moment {n}: cont, sent {COMMAND!r} on the control port")
    quit(q)
    if ctl is not None:
        ctl.close()


if __name__ == "__main__":
    main()
