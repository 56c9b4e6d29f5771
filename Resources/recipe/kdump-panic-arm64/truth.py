#!/usr/bin/env python3
"""The truth of an arm64 kdump-panic capture, then the release of the crasher.

Usage: truth.py QMP_SOCK GDB_SOCK RELEASE_SOCK OUTDIR [CPU=PID ...]

QEMU 7.2 has no `info tlb` for arm and its `info registers` shows no TTBR, so:
  1. QMP `stop`; `info registers -a` -> OUTDIR/info-registers.txt.
  2. QEMU's gdb stub (started with -gdb unix:GDB_SOCK,server=on,wait=off): the
     register numbers come from target.xml and its system-registers.xml (as in
     ../lib/gdb_client.py); for each thread of qfThreadInfo (thread N+1 is CPU N),
     `Hg` selects it and `p` reads pc, cpsr, TTBR0_EL1, TTBR1_EL1, TCR_EL1,
     SP_EL0, TPIDR_EL1, CONTEXTIDR_EL1, SCTLR and MAIR_EL1 -> OUTDIR/ttbr-cpuN.txt
     ("NAME 0x..." lines). The stub is closed without a detach packet.
     With CPU=PID pairs (the crasher's and the spinner's), the stop is retried
     (close the stub, QMP cont, 50 ms, stop, reconnect; at most 100 times) until
     each such CPU's CONTEXTIDR_EL1 is that pid (Debian sets PID_IN_CONTEXTIDR,
     so the kernel writes the running task's pid there at each switch): a
     kworker can briefly take the spinner's CPU.
  3. QMP `stop` again (harmless), `cont`; one line to RELEASE_SOCK (the guest's
     virtio-serial port "release"), and the crasher writes 'c' to sysrq-trigger.
Prints one line per CPU: TTBR0, TTBR1, EL, pc.
"""
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from qmp_client import QMP, write  # noqa: E402
from gdb_client import GDB, read_reg, regnums  # noqa: E402  (../lib/gdb_client.py)

WANT = ["pc", "cpsr", "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "SP_EL0", "TPIDR_EL1",
        "CONTEXTIDR_EL1", "SCTLR", "MAIR_EL1"]


def threads(g):
    out, r = [], g.cmd("qfThreadInfo").decode()
    while r.startswith("m"):
        out += r[1:].split(",")
        r = g.cmd("qsThreadInfo").decode()
    return out


def tid_cpu(t):   # "p1.2" or "2" -> CPU index 1
    return int(t.split(".")[-1], 16) - 1


def main():
    qmp_sock, gdb_sock, rel_sock, out = sys.argv[1:5]
    rel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    rel.connect(rel_sock)
    q = QMP(qmp_sock)
    q.cmd("qmp_capabilities")
    t0 = time.time()
    q.cmd("stop")
    want = {int(a.split("=")[0]): int(a.split("=")[1]) for a in sys.argv[5:] if a.split("=")[1]}
    nums = None
    for tries in range(1, 101):
        g = GDB(gdb_sock)
        g.cmd("qSupported:multiprocess+;xmlRegisters=aarch64")
        g.cmd("?")
        nums = nums or regnums(g)
        allv = {}
        for t in threads(g):
            assert g.cmd("Hg" + t) == b"OK", t
            vals = {}
            for name in WANT:
                if name not in nums:
                    continue
                v = read_reg(g, *nums[name][:2])
                if v is not None:
                    vals[name] = v
            allv[tid_cpu(t)] = vals
        g.close()
        if all(allv.get(c, {}).get("CONTEXTIDR_EL1") == p for c, p in want.items()):
            break
        q.cmd("cont")
        time.sleep(0.05)
        q.cmd("stop")
    print(f"stops: {tries}")
    write(os.path.join(out, "info-registers.txt"), q.hmp("info registers -a"))
    for cpu, vals in sorted(allv.items()):
        write(os.path.join(out, f"ttbr-cpu{cpu}.txt"),
              "".join(f"{k} 0x{v:016x}\n" for k, v in vals.items()))
        print(f"cpu{cpu}: TTBR0_EL1=0x{vals['TTBR0_EL1']:016x} TTBR1_EL1=0x{vals['TTBR1_EL1']:016x} "
              f"EL{(vals['cpsr'] >> 2) & 3} pc=0x{vals['pc']:016x} "
              f"CONTEXTIDR_EL1={vals.get('CONTEXTIDR_EL1', 0)}")
    q.cmd("stop")
    q.cmd("cont")
    st = q.cmd("query-status")["status"]
    t1 = time.time()
    rel.sendall(b"go\n")
    print(f"stopped {t1 - t0:.1f} s; status after cont: {st}; crasher released")


if __name__ == "__main__":
    main()
