#!/usr/bin/env python3
"""qmp.py QMP_SOCKET OUTDIR [GDB_SOCKET]: the arm64 capture of old, kept for its
callers; ../lib/qmp_client.py's `regs` and (with GDB_SOCKET) `sysregs` steps:
stop, `info registers -a`, the system registers through QEMU's gdb stub
(sysregs.txt, mmu-regs.txt; ../lib/gdb_client.py), stop, ELF dump, quit."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from gdb_client import sysregs  # noqa: E402
from qmp_client import QMP, dump_and_quit, write  # noqa: E402

sock, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
q = QMP(sock)
q.cmd("qmp_capabilities")
q.cmd("stop")
write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
if len(sys.argv) > 3:
    sysregs(q, sys.argv[3], outdir)
dump_and_quit(q, outdir)
