#!/usr/bin/env python3
"""Freeze an arm64 QEMU guest and capture it (standard library only).

Usage: qmp.py QMP_SOCKET OUTDIR [GDB_SOCKET]

arm64 counterpart of ../lib/qmp_client.py (which captures x86 guests): QEMU 7.2 has
no `info tlb` for arm, and its `info registers` shows no TTBR/TCR, so this:

  1. QMP: qmp_capabilities, stop, `info registers -a` -> OUTDIR/info-registers.txt
  2. if GDB_SOCKET is given (QEMU started with -gdb unix:GDB_SOCKET,...): reads
     the CPU's system registers through QEMU's gdb stub (target.xml and its
     system-registers.xml give the register numbers) ->
     OUTDIR/sysregs.txt (every system register, "NAME 0x...") and
     OUTDIR/mmu-regs.txt (TTBR0_EL1 TTBR1_EL1 TCR_EL1 SCTLR_EL1 MAIR_EL1 ...).
     The stub stops the VM when it connects; it is closed without a detach
     packet, which would resume the VM. QMP `stop` is sent again afterwards.
  3. QMP: dump-guest-memory (paging=false, ELF) -> OUTDIR/vmcore.elf, quit.
"""
import os
import re
import socket
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))

sys.dont_write_bytecode = True  # leave no __pycache__ in ../x86_64

sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from qmp_client import QMP, dump_and_quit, write  # noqa: E402

# QEMU 7.2's system-registers.xml names some EL1 registers by their shared
# AArch32 name (SCTLR, VBAR).
MMU_REGS = ["TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "SCTLR", "MAIR_EL1",
            "ID_AA64MMFR0_EL1", "ID_AA64MMFR1_EL1", "ID_AA64MMFR2_EL1",
            "ID_AA64PFR0_EL1", "CONTEXTIDR_EL1", "VBAR", "TPIDR_EL1", "SP_EL0",
            "pc", "cpsr"]


class GDB:
    """Minimal gdb remote-protocol client (no-ack mode is not needed)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(20)
        self.buf = b""

    def _recv(self):
        chunk = self.s.recv(1 << 16)
        if not chunk:
            raise EOFError("gdb stub closed")
        self.buf += chunk

    def cmd(self, payload):
        data = payload.encode()
        pkt = b"$" + data + b"#" + b"%02x" % (sum(data) & 0xff)
        self.s.sendall(pkt)
        # Skip acks and any stray stop reply until a full packet arrives.
        while True:
            m = re.search(rb"\$([^#]*)#([0-9a-fA-F]{2})", self.buf, re.S)
            if m:
                self.buf = self.buf[m.end():]
                self.s.sendall(b"+")
                return self._unescape(m.group(1))
            self._recv()

    @staticmethod
    def _unescape(b):
        out = bytearray()
        i = 0
        while i < len(b):
            c = b[i]
            if c == 0x7d:  # '}' escape
                out.append(b[i + 1] ^ 0x20)
                i += 2
            elif c == 0x2a and out:  # '*' run-length
                out += bytes([out[-1]]) * (b[i + 1] - 29)
                i += 2
            else:
                out.append(c)
                i += 1
        return bytes(out)

    def xfer(self, annex):
        data = b""
        while True:
            r = self.cmd(f"qXfer:features:read:{annex}:{len(data):x},ffff")
            data += r[1:]
            if r[:1] == b"l":
                return data.decode()
            if r[:1] != b"m":
                raise RuntimeError(f"qXfer {annex}: {r[:80]!r}")

    def close(self):
        self.s.close()


def read_sysregs(path):
    g = GDB(path)
    # Drain the stop reply the stub may send on connect, then talk.
    g.cmd("qSupported:multiprocess+;xmlRegisters=aarch64;qRelocInsn+")
    g.cmd("?")
    target = g.xfer("target.xml")
    regs = []   # (regnum, name, bitsize, feature)
    nextnum = 0
    for inc in re.findall(r'<xi:include href="([^"]+)"', target):
        root = ET.fromstring(g.xfer(inc))
        for r in root.iter("reg"):
            num = int(r.get("regnum", nextnum))
            regs.append((num, r.get("name"), int(r.get("bitsize")), inc))
            nextnum = num + 1
    values = {}
    for num, name, bits, feat in regs:
        if feat not in ("system-registers.xml",) and name not in ("pc", "sp", "cpsr"):
            continue
        r = g.cmd(f"p{num:x}")
        if not r or r.startswith(b"E") or len(r) < bits // 4:
            continue
        raw = bytes.fromhex(r[:bits // 4].decode())
        values[name] = int.from_bytes(raw, "little")
    g.close()
    return values


def main():
    sock, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
    gdbsock = sys.argv[3] if len(sys.argv) > 3 else None
    q = QMP(sock)
    q.cmd("qmp_capabilities")
    q.cmd("stop")
    write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
    if gdbsock:
        t0 = time.time()
        try:
            v = read_sysregs(gdbsock)
            with open(os.path.join(outdir, "sysregs.txt"), "w") as f:
                for k in sorted(v):
                    f.write(f"{k} 0x{v[k]:016x}\n")
            with open(os.path.join(outdir, "mmu-regs.txt"), "w") as f:
                for k in MMU_REGS:
                    if k in v:
                        f.write(f"{k} 0x{v[k]:016x}\n")
            print(f"gdb stub: {len(v)} registers, {time.time() - t0:.1f} s")
        except Exception as e:  # keep the capture going
            print(f"gdb stub failed: {e!r}")
        q.cmd("stop")
        st = q.cmd("query-status")
        print(f"VM status after gdb: {st['status']}")
    dump_and_quit(q, outdir)

if __name__ == "__main__":
    main()
