#!/usr/bin/env python3
"""qmp-capture.py SOCK OUTDIR: stop the guest, save `info registers -a`, take
the ELF dump (paging=false) to OUTDIR/vmcore.elf, quit. Uses ../lib/qmp_client.py."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, dump_and_quit, write  # noqa: E402

sock, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
q = QMP(sock)
q.cmd("qmp_capabilities")
t0 = time.time()
q.cmd("stop")
print("status after stop:", q.cmd("query-status"))
write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
vmcore = os.path.join(outdir, "vmcore.elf")
if os.path.exists(vmcore):
    os.unlink(vmcore)
dump_and_quit(q, outdir)
print(f"qmp total {time.time() - t0:.1f} s")
