#!/usr/bin/env python3
"""Minimal QMP client (python3 stdlib only) for the debian-stock capture.

Usage:
  qmp.py SOCK capture OUTDIR   stop the guest, save `info registers -a` and
                               `info tlb`, dump guest memory as ELF to
                               OUTDIR/vmcore.elf (paging=false), then quit.
  qmp.py SOCK hmp 'COMMAND'    run one human-monitor command, print its output.
  qmp.py SOCK quit             quit QEMU.
"""
import json
import os
import socket
import sys
import time


class QMP:
    def __init__(self, path, timeout=600.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        greeting = self._read()
        if "QMP" not in greeting:
            raise RuntimeError("unexpected greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("QMP socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                sys.stderr.write("qmp event: %s\n" % reply["event"])
                continue
            if "error" in reply:
                raise RuntimeError("%s failed: %s" % (name, reply["error"]))
            return reply.get("return")

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})


def capture(q, outdir):
    outdir = os.path.abspath(outdir)
    t = {}
    t0 = time.time()
    q.cmd("stop")
    status = q.cmd("query-status")
    sys.stderr.write("status after stop: %s\n" % status)
    t["stop"] = time.time() - t0

    t0 = time.time()
    regs = q.hmp("info registers -a")
    with open(os.path.join(outdir, "info-registers.txt"), "w") as f:
        f.write(regs)
    t["info registers -a"] = time.time() - t0

    t0 = time.time()
    tlb = q.hmp("info tlb")
    with open(os.path.join(outdir, "info-tlb.txt"), "w") as f:
        f.write(tlb)
    t["info tlb"] = time.time() - t0

    t0 = time.time()
    vmcore = os.path.join(outdir, "vmcore.elf")
    if os.path.exists(vmcore):
        os.unlink(vmcore)
    q.cmd("dump-guest-memory", paging=False, protocol="file:" + vmcore,
          format="elf")
    t["dump-guest-memory"] = time.time() - t0

    for k, v in t.items():
        sys.stderr.write("qmp timing: %-20s %.1f s\n" % (k, v))
    try:
        q.cmd("quit")
    except EOFError:
        pass


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sock, what = sys.argv[1], sys.argv[2]
    q = QMP(sock)
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
