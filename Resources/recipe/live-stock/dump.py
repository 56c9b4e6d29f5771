#!/usr/bin/env python3
"""Dump the quiet guest of live-stock and release it (standard library only).

Usage: dump.py QMP_SOCKET RELEASE_SOCKET OUTDIR

Over QMP (../lib/qmp_client.py): qmp_capabilities, stop, `info registers -a`
-> OUTDIR/info-registers.txt, dump-guest-memory (paging=false, ELF) ->
OUTDIR/vmcore.elf, cont. Then one line, "dumped", to the guest's ttyS1 (QEMU's
second -serial, a Unix socket), which init.sh blocks on: the guest then lists
its kernel tables once more and powers off.
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in ../lib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, dump, write  # noqa: E402


def main():
    qsock, rsock, outdir = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    q = QMP(qsock)
    q.cmd("qmp_capabilities")
    t0 = time.time()
    q.cmd("stop")
    write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
    dump(q, outdir)
    q.cmd("cont")
    print(f"guest stopped for {time.time() - t0:.1f} s")
    r = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    r.connect(rsock)
    r.sendall(b"dumped\n")
    time.sleep(1)
    r.close()


if __name__ == "__main__":
    main()
