#!/usr/bin/env python3
"""The truth of a kdump-panic capture, then the release of the crasher.

Usage: truth.py QMP_SOCK RELEASE_SOCK OUTDIR [KERNEL_CR3_CPU]

Over QMP: `stop`; for each CPU (query-cpus-fast) `info registers` and `info tlb`
with that cpu-index into OUTDIR/regs-cpuN.txt and OUTDIR/tlb-cpuN.txt; `cont`.
Then one line to RELEASE_SOCK (the guest's ttyS1, which the crasher polls), and
the crasher writes 'c' to /proc/sysrq-trigger. Prints each CPU's CR3 and CR4.

With KERNEL_CR3_CPU (given under PTI: the crasher's CPU), the stop is retried
(cont, 50 ms, stop; at most 100 times) until that CPU's CR3 is its mm's kernel PGD
(bit 12 clear; PTI allocates the pair 8 KiB-aligned, user copy 4 KiB above), so
that its `info tlb` shows the tables the panic runs on, not the user copy.
"""
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in lib/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, write  # noqa: E402


def main():
    qmp_sock, release_sock, out = sys.argv[1:4]
    rel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    rel.connect(release_sock)
    q = QMP(qmp_sock)
    q.cmd("qmp_capabilities")
    want = int(sys.argv[4]) if len(sys.argv) > 4 else None
    for tries in range(1, 101):
        t0 = time.time()
        q.cmd("stop")
        if want is None:
            break
        cr3 = re.search(r"\bCR3=([0-9a-f]+)", q.hmp("info registers", cpu=want)).group(1)
        if not int(cr3, 16) & 0x1000:
            break
        q.cmd("cont")
        time.sleep(0.05)
    print(f"stops: {tries}")
    cpus = sorted(c["cpu-index"] for c in q.cmd("query-cpus-fast"))
    for i in cpus:
        regs = q.hmp("info registers", cpu=i)
        write(os.path.join(out, f"regs-cpu{i}.txt"), regs)
        write(os.path.join(out, f"tlb-cpu{i}.txt"), q.hmp("info tlb", cpu=i))
        cr = dict(re.findall(r"\b(CR[34])=([0-9a-f]+)", regs))
        print(f"cpu{i}: CR3={cr.get('CR3')} CR4={cr.get('CR4')} "
              f"RIP={re.search(r'RIP=([0-9a-f]+)', regs).group(1)}")
    q.cmd("cont")
    t1 = time.time()
    rel.sendall(b"go\n")
    print(f"stopped {t1 - t0:.1f} s; crasher released")


if __name__ == "__main__":
    main()
