#!/usr/bin/env python3
"""Freeze a QEMU guest and capture it over QMP (standard library only).

Usage: qmp.py SOCKET OUTDIR

Steps: qmp_capabilities, stop, `info registers -a` -> OUTDIR/info-registers.txt,
`info tlb` (monitor CPU 0) -> OUTDIR/info-tlb.txt and, for each further CPU N,
OUTDIR/info-tlb-cpuN.txt, dump-guest-memory (paging=false, ELF) ->
OUTDIR/vmcore.elf, then quit.
"""
import json
import os
import socket
import sys
import time


class QMP:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.greeting = self._read_msg()
        self.events = []

    def _read_msg(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read_msg()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError(f"{name}: {reply['error']}")
            return reply["return"]

    def hmp(self, line, cpu=None):
        args = {"command-line": line}
        if cpu is not None:
            args["cpu-index"] = cpu
        return self.cmd("human-monitor-command", **args)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


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
    vmcore = os.path.join(outdir, "vmcore.elf")
    t0 = time.time()
    q.cmd("dump-guest-memory", paging=False, protocol="file:" + vmcore, format="elf")
    # Synchronous without detach; confirm anyway.
    while True:
        st = q.cmd("query-dump")
        if st["status"] != "active":
            break
        time.sleep(0.5)
    print(f"dump-guest-memory: {st['status']}, {st.get('completed')} bytes, "
          f"{time.time() - t0:.1f} s")
    if st["status"] != "completed":
        sys.exit(f"dump failed: {st}")
    try:
        q.cmd("quit")
    except EOFError:
        pass


if __name__ == "__main__":
    main()
