"""The QMP client the capture recipes share (standard library only).

`QMP` speaks the QEMU Machine Protocol over a Unix socket; `dump_and_quit`
takes the ELF memory dump every capture ends with (paging=false) and stops QEMU.

As a script, the capture every listing recipe takes once its guest is READY:
  qmp_client.py SOCKET OUTDIR [STEP...]
stop, then each STEP, then dump-guest-memory (paging=false, ELF) to
OUTDIR/vmcore.elf and quit. STEPs:
  regs   `info registers -a` -> OUTDIR/info-registers.txt
  tlb    `info tlb` of CPU 0 -> OUTDIR/info-tlb.txt, of each further CPU N ->
         OUTDIR/info-tlb-cpuN.txt (x86)
  tlb0   `info tlb` of CPU 0 only
  mem    `info mem` of CPU 0 -> OUTDIR/info-mem.txt (riscv; skipped with INFO_MEM=0)
  sysregs  arm64: the system registers through QEMU's gdb stub at OUTDIR/gdb.sock
         (QEMU started with -gdb unix:OUTDIR/gdb.sock,server=on,wait=off) ->
         OUTDIR/sysregs.txt and mmu-regs.txt (TTBR0/1_EL1, TCR_EL1, SCTLR,
         MAIR_EL1, ...), then `stop` again (gdb_client.py)
  kdumps after the ELF dump, one in every kdump-* format QEMU offers ->
         OUTDIR/vmcore.kdump-XXX.flat (QEMU 7.2 writes makedumpfile's flattened
         format), and OUTDIR/dump-capability.json (version, formats)
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


def dump(q, outdir, fmt="elf", name="vmcore.elf"):
    """dump-guest-memory (paging=false, FMT) to OUTDIR/NAME, and wait for it to
    complete (exit on failure). The file is made readable (QEMU creates it 0400)."""
    path = os.path.join(outdir, name)
    t0 = time.time()
    q.cmd("dump-guest-memory", paging=False, protocol="file:" + path, format=fmt)
    while True:
        st = q.cmd("query-dump")
        if st["status"] != "active":
            break
        time.sleep(0.2)
    print(f"dump-guest-memory {fmt}: {st['status']}, {st.get('completed')} of "
          f"{st.get('total')} bytes, {time.time() - t0:.1f} s -> {name}")
    if st["status"] != "completed":
        sys.exit(f"dump failed: {st}")
    os.chmod(path, 0o644)


def quit(q):
    try:
        q.cmd("quit")
    except EOFError:
        pass


def dump_and_quit(q, outdir):
    """`dump`, then quit QEMU."""
    dump(q, outdir)
    quit(q)


def main():
    sock, outdir, steps = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3:]
    q = QMP(sock)
    q.cmd("qmp_capabilities")
    formats = []
    if "kdumps" in steps:
        caps = q.cmd("query-dump-guest-memory-capability")
        write(os.path.join(outdir, "dump-capability.json"), json.dumps(
            {"version": q.cmd("query-version"), "capability": caps}, indent=1) + "\n")
        formats = [f for f in caps["formats"] if f.startswith("kdump-")]
        print("dump formats:", " ".join(caps["formats"]))
    q.cmd("stop")
    print("status after stop:", q.cmd("query-status"))
    for step in steps:
        t0 = time.time()
        if step == "regs":
            write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
        elif step in ("tlb", "tlb0"):
            for c in q.cmd("query-cpus-fast")[:1 if step == "tlb0" else None]:
                idx = c["cpu-index"]
                name = "info-tlb.txt" if idx == 0 else f"info-tlb-cpu{idx}.txt"
                write(os.path.join(outdir, name), q.hmp("info tlb", cpu=idx))
        elif step == "kdumps":
            continue
        elif step == "sysregs":
            sys.dont_write_bytecode = True   # no __pycache__ in lib/
            from gdb_client import sysregs
            sysregs(q, os.path.join(outdir, "gdb.sock"), outdir)
        elif step == "mem":
            if os.environ.get("INFO_MEM", "1") == "0":
                continue
            write(os.path.join(outdir, "info-mem.txt"), q.hmp("info mem", cpu=0))
        else:
            sys.exit(f"unknown step {step}")
        print(f"{step}: {time.time() - t0:.1f} s")
    vmcore = os.path.join(outdir, "vmcore.elf")
    if os.path.exists(vmcore):
        os.unlink(vmcore)
    dump(q, outdir)
    for fmt in formats:
        dump(q, outdir, fmt, f"vmcore.{fmt}.flat")
    quit(q)


if __name__ == "__main__":
    main()
