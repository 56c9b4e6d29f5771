#!/usr/bin/env python3
"""Minimal QMP client (python3 stdlib only) for the debian-stock capture.

Usage:
  qmp.py SOCK capture OUTDIR   stop the guest, save `info registers -a` and
                               `info tlb`, dump guest memory as ELF to
                               OUTDIR/vmcore.elf (paging=false), then quit.
  qmp.py SOCK hmp 'COMMAND'    run one human-monitor command, print its output.
  qmp.py SOCK quit             quit QEMU.
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, dump_and_quit, write  # noqa: E402


def capture(q, outdir):
    outdir = os.path.abspath(outdir)
    t = {}
    t0 = time.time()
    q.cmd("stop")
    status = q.cmd("query-status")
    sys.stderr.write("status after stop: %s\n" % status)
    t["stop"] = time.time() - t0

    t0 = time.time()
    write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
    t["info registers -a"] = time.time() - t0

    t0 = time.time()
    write(os.path.join(outdir, "info-tlb.txt"), q.hmp("info tlb"))
    t["info tlb"] = time.time() - t0

    for k, v in t.items():
        sys.stderr.write("qmp timing: %-20s %.1f s\n" % (k, v))
    vmcore = os.path.join(outdir, "vmcore.elf")
    if os.path.exists(vmcore):
        os.unlink(vmcore)
    dump_and_quit(q, outdir)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sock, what = sys.argv[1], sys.argv[2]
    q = QMP(sock)
    q.cmd("qmp_capabilities")
    if what == "capture":
        capture(q, sys.argv[3])
    elif what == "hmp":
        sys.stdout.write(q.hmp(sys.argv[3]))
    elif what == "quit":
        try:
            q.cmd("quit")
        except EOFError:
            pass
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
