"""A minimal gdb remote-protocol client for QEMU's gdb stub (standard library
only): what QMP cannot give on arm, whose `info registers` (QEMU 7.2) shows no
TTBR/TCR. The stub stops the VM when it connects; it is closed without a detach
packet, which would resume the VM.

  GDB(path)            .cmd(payload) -> the reply, .xfer(annex), .close()
  regnums(g)           {name: (regnum, bitsize, feature file)} from target.xml and
                       the files it includes (first of a name wins)
  read_reg(g, num, bits)  one register's value, or None
  sysregs(q, gdb_sock, outdir)
                       qmp_client.py's `sysregs` step: every system register (and
                       pc, sp, cpsr) of the current thread -> OUTDIR/sysregs.txt
                       ("NAME 0x..."), the MMU ones -> OUTDIR/mmu-regs.txt; then
                       QMP `stop` again
"""
import os
import re
import socket
import time
import xml.etree.ElementTree as ET

# QEMU 7.2's system-registers.xml names some EL1 registers by their shared
# AArch32 name (SCTLR, VBAR).
MMU_REGS = ["TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "SCTLR", "MAIR_EL1",
            "ID_AA64MMFR0_EL1", "ID_AA64MMFR1_EL1", "ID_AA64MMFR2_EL1",
            "ID_AA64PFR0_EL1", "CONTEXTIDR_EL1", "VBAR", "TPIDR_EL1", "SP_EL0",
            "pc", "cpsr"]


class GDB:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(20)
        self.buf = b""

    def cmd(self, payload):
        data = payload.encode()
        self.s.sendall(b"$" + data + b"#" + b"%02x" % (sum(data) & 0xff))
        # Skip acks and any stray stop reply until a full packet arrives.
        while True:
            m = re.search(rb"\$([^#]*)#([0-9a-fA-F]{2})", self.buf, re.S)
            if m:
                self.buf = self.buf[m.end():]
                self.s.sendall(b"+")
                return self._unescape(m.group(1))
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise EOFError("gdb stub closed")
            self.buf += chunk

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


def regnums(g):
    nums, nextnum = {}, 0
    for inc in re.findall(r'<xi:include href="([^"]+)"', g.xfer("target.xml")):
        for r in ET.fromstring(g.xfer(inc)).iter("reg"):
            num = int(r.get("regnum", nextnum))
            nums.setdefault(r.get("name"), (num, int(r.get("bitsize")), inc))
            nextnum = num + 1
    return nums


def read_reg(g, num, bits):
    r = g.cmd(f"p{num:x}")
    if not r or r.startswith(b"E") or len(r) < bits // 4:
        return None
    return int.from_bytes(bytes.fromhex(r[:bits // 4].decode()), "little")


def sysregs(q, gdb_sock, outdir):
    t0 = time.time()
    try:
        g = GDB(gdb_sock)
        # Drain the stop reply the stub may send on connect, then talk.
        g.cmd("qSupported:multiprocess+;xmlRegisters=aarch64;qRelocInsn+")
        g.cmd("?")
        v = {}
        for name, (num, bits, feat) in regnums(g).items():
            if feat == "system-registers.xml" or name in ("pc", "sp", "cpsr"):
                val = read_reg(g, num, bits)
                if val is not None:
                    v[name] = val
        g.close()
        with open(os.path.join(outdir, "sysregs.txt"), "w") as f:
            f.writelines(f"{k} 0x{v[k]:016x}\n" for k in sorted(v))
        with open(os.path.join(outdir, "mmu-regs.txt"), "w") as f:
            f.writelines(f"{k} 0x{v[k]:016x}\n" for k in MMU_REGS if k in v)
        print(f"gdb stub: {len(v)} registers, {time.time() - t0:.1f} s")
    except Exception as e:  # keep the capture going
        print(f"gdb stub failed: {e!r}")
    q.cmd("stop")
    print(f"VM status after gdb: {q.cmd('query-status')['status']}")
