"""The QMP client the capture recipes share (standard library only).

`QMP` speaks the QEMU Machine Protocol over a Unix socket; `dump_and_quit`
takes the ELF memory dump every capture ends with (paging=false) and stops QEMU.
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


def dump(q, outdir):
    """dump-guest-memory (paging=false, ELF) to OUTDIR/vmcore.elf, and wait for
    it to complete (exit on failure). The file is made readable (QEMU creates
    it 0400)."""
    vmcore = os.path.join(outdir, "vmcore.elf")
    t0 = time.time()
    q.cmd("dump-guest-memory", paging=False, protocol="file:" + vmcore, format="elf")
    while True:
        st = q.cmd("query-dump")
        if st["status"] != "active":
            break
        time.sleep(0.5)
    print(f"dump-guest-memory: {st['status']}, {st.get('completed')} bytes, "
          f"{time.time() - t0:.1f} s")
    if st["status"] != "completed":
        sys.exit(f"dump failed: {st}")
    os.chmod(vmcore, 0o644)


def quit(q):
    try:
        q.cmd("quit")
    except EOFError:
        pass


def dump_and_quit(q, outdir):
    """`dump`, then quit QEMU."""
    dump(q, outdir)
    quit(q)
