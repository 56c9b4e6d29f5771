#!/usr/bin/env python3
"""Read back the VMCOREINFO note from a riscv64 capture and check its paging mode.

Usage: check-capture.py CAPTURE_DIR MODE        MODE: sv39 | sv48 | sv57

QEMU cannot put a VMCOREINFO note into riscv dumps (no fw_cfg vmcoreinfo
device), but the kernel keeps the note in its own memory. init.c printed
/sys/kernel/vmcoreinfo ("<physical address> <size>", both hex) into
vmcoreinfo.txt; this script reads that many bytes at that physical address out
of vmcore.elf through its PT_LOAD program headers (p_paddr), parses the ELF
note and writes its text to vmcoreinfo-note.txt.

Then it checks that the capture really is in MODE:
  - satp's MODE field (bits 63..60) in info-registers.txt: 8 = Sv39,
    9 = Sv48, 10 = Sv57;
  - the listing: the first range after "---[ Linear mapping ]---" starts at
    PAGE_OFFSET, which Linux 6.1 sets per mode (0xffffffd800000000 Sv39,
    0xffffaf8000000000 Sv48, 0xff60000000000000 Sv57);
  - the kernel variable satp_mode (System.map; read from the dump through the
    kernel mapping's virtual-to-physical offset) holds the same satp mode bits.
It also writes summary.txt: satp, the root table's physical address, the
kernel image's physical load address (first range of "Kernel mapping"),
swapper_pg_dir's physical address and the listing's line count.
Exit status 1 if any check fails.

KVER=5.10 in the environment: riscv 5.10 has no kernel mapping (the image sits in the linear map,
PAGE_OFFSET = CONFIG_PAGE_OFFSET = 0xffffffe000000000 for Sv39) and no
satp_mode; symbols are read through the linear map (the listing's first
linear-map range gives PAGE_OFFSET's physical address; va_pa_offset is checked).
"""
import os
import re
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core  # noqa: E402

SATP_MODES = {8: "sv39", 9: "sv48", 10: "sv57", 11: "sv64"}
PAGE_OFFSET = {"sv39": 0xffffffd800000000, "sv48": 0xffffaf8000000000,
               "sv57": 0xff60000000000000}
KERNEL_LINK_ADDR = 0xffffffff80000000


def parse_note(data):
    namesz, descsz, ntype = struct.unpack_from("<III", data, 0)
    name = data[12:12 + namesz].rstrip(b"\0").decode()
    off = 12 + ((namesz + 3) & ~3)
    return name, ntype, data[off:off + descsz]


def main():
    d, mode = sys.argv[1], sys.argv[2]
    ok = True
    summary = []

    def fail(msg):
        nonlocal ok
        ok = False
        print("FAIL: " + msg)

    core = Core(os.path.join(d, "vmcore.elf"))
    print(f"vmcore.elf: e_machine {core.machine}, PT_LOAD segments (paddr, size): " +
          ", ".join(f"0x{b:x}+0x{s:x}" for b, s, *_ in core.loads))

    kver = os.environ.get("KVER", "6.1")
    if kver == "5.10":
        PAGE_OFFSET.clear()
        PAGE_OFFSET["sv39"] = 0xffffffe000000000
    elif kver not in ("6.1",):
        PAGE_OFFSET["sv39"] = 0xffffffd600000000   # 6.12, 7.3 (page.h PAGE_OFFSET_L3)
    # VMCOREINFO, read out of guest memory.
    vpath = os.path.join(d, "vmcoreinfo.txt")
    if kver == "5.10" and not os.path.exists(vpath):
        summary.append("vmcoreinfo: none")
    else:
        addr_s, size_s = open(vpath).read().split()
        note_pa, note_size = int(addr_s, 16), int(size_s, 16)
        name, ntype, desc = parse_note(core.read(note_pa, note_size))
        if name != "VMCOREINFO":
            fail(f"no VMCOREINFO note at 0x{note_pa:x} (found {name!r})")
        text = desc.rstrip(b"\0").decode("ascii", "replace")
        with open(os.path.join(d, "vmcoreinfo-note.txt"), "w") as f:
            f.write(text)
        summary.append(f"vmcoreinfo note: phys 0x{note_pa:x}, size 0x{note_size:x}, "
                       f"text {len(text)} bytes")

    # satp from the monitor.
    regs = open(os.path.join(d, "info-registers.txt")).read()
    m = re.search(r"\bsatp\s+([0-9a-fA-F]+)", regs)
    if not m:
        fail("no satp in info-registers.txt")
        satp = 0
    else:
        satp = int(m.group(1), 16)
    satp_mode = SATP_MODES.get(satp >> 60, f"mode {satp >> 60}")
    root_pa = (satp & ((1 << 44) - 1)) << 12
    summary.append(f"satp: 0x{satp:016x} (MODE {satp >> 60} = {satp_mode}, "
                   f"ASID {(satp >> 44) & 0xffff}, root table phys 0x{root_pa:x})")
    if satp_mode != mode:
        fail(f"satp says {satp_mode}, wanted {mode}")

    # The listing.
    lines = open(os.path.join(d, "page_tables", "kernel_page_tables.txt")).read().splitlines()
    summary.append(f"kernel_page_tables.txt: {len(lines)} lines")

    def first_after(marker):
        for i, l in enumerate(lines):
            if l == f"---[ {marker} ]---":
                for l2 in lines[i + 1:]:
                    if l2.startswith("0x"):
                        return l2
                    break
        return None

    lm = first_after("Linear mapping")
    lm_start = int(lm[:18], 16) if lm else None
    if lm_start is not None and kver not in ("6.1", "5.10"):
        lm_start &= ~0x3fffffff   # 6.12+: the linear map starts at phys_ram_base's offset (0x80060000)
    if lm_start is None:
        fail("no range right after ---[ Linear mapping ]---")
    else:
        lmode = {v: k for k, v in PAGE_OFFSET.items()}.get(lm_start, f"0x{lm_start:x}")
        summary.append(f"listing: linear mapping starts at 0x{lm_start:016x} (= PAGE_OFFSET for {lmode})")
        if lmode != mode:
            fail(f"listing's PAGE_OFFSET says {lmode}, wanted {mode}")

    km = first_after("Kernel mapping")
    if kver == "5.10":
        # No kernel mapping: symbols are linear-map addresses.
        if km is not None:
            fail("5.10 listing has a Kernel mapping section")
        KERNEL_LINK = PAGE_OFFSET["sv39"]
        kernel_pa = int(lm.split()[1], 16) if lm else None
        if kernel_pa is not None:
            summary.append(f"linear map: 0x{KERNEL_LINK:x} -> phys 0x{kernel_pa:x} (kernel image in the linear map)")
    elif km is None or int(km[:18], 16) != KERNEL_LINK_ADDR:
        fail(f"first range after ---[ Kernel mapping ]--- is {km!r}")
        kernel_pa = None
    else:
        KERNEL_LINK = KERNEL_LINK_ADDR
        kernel_pa = int(km.split()[1], 16)
        summary.append(f"kernel image: 0x{KERNEL_LINK_ADDR:x} -> phys 0x{kernel_pa:x}")

    # satp_mode from memory, through the kernel mapping.
    sysmap = os.path.join(d, "System.map")
    if kernel_pa is not None and os.path.exists(sysmap):
        syms = {}
        for l in open(sysmap):
            a, _t, n = l.split()[:3]
            syms[n] = int(a, 16)
        for n in ("swapper_pg_dir", "early_pg_dir", "trampoline_pg_dir"):
            if n in syms:
                summary.append(f"{n}: 0x{syms[n]:x} -> phys 0x{syms[n] - KERNEL_LINK + kernel_pa:x}")
        if "satp_mode" in syms:
            v = struct.unpack("<Q", core.read(syms["satp_mode"] - KERNEL_LINK + kernel_pa, 8))[0]
            vmode = SATP_MODES.get(v >> 60, f"0x{v:x}")
            summary.append(f"kernel variable satp_mode: 0x{v:016x} ({vmode})")
            if vmode != mode:
                fail(f"kernel variable satp_mode says {vmode}, wanted {mode}")
        for n in ("pgtable_l4_enabled", "pgtable_l5_enabled"):
            if n in syms:
                v = core.read(syms[n] - KERNEL_LINK + kernel_pa, 1)[0]
                summary.append(f"kernel variable {n}: {v}")
        for n in ("va_pa_offset", "pfn_base", "phys_ram_base", "vmemmap_start_pfn"):
            if n in syms:
                v = struct.unpack("<Q", core.read(syms[n] - KERNEL_LINK + kernel_pa, 8))[0]
                summary.append(f"kernel variable {n}: 0x{v:x}")
        if kver == "5.10" and "va_pa_offset" in syms:
            v = struct.unpack("<Q", core.read(syms["va_pa_offset"] - KERNEL_LINK + kernel_pa, 8))[0]
            if v != KERNEL_LINK - kernel_pa:
                fail(f"va_pa_offset 0x{v:x} is not PAGE_OFFSET - 0x{kernel_pa:x}")
        if "kernel_map" in syms:
            # struct kernel_mapping (arch/riscv/include/asm/page.h, no XIP)
            fields = ("page_offset", "virt_addr", "phys_addr", "size", "va_pa_offset",
                      "va_kernel_pa_offset", "va_kernel_xip_pa_offset")
            if kver == "6.12":  # virt_offset came after virt_addr (6.12's page.h, no XIP)
                fields = ("page_offset", "virt_addr", "virt_offset", "phys_addr", "size", "va_pa_offset",
                          "va_kernel_pa_offset")
            if kver == "7.3":   # 7.3's struct kernel_mapping: new order, no XIP field
                fields = ("virt_addr", "virt_offset", "phys_addr", "size", "va_pa_offset",
                          "page_offset", "va_kernel_pa_offset")
            vals = struct.unpack("<7Q", core.read(syms["kernel_map"] - KERNEL_LINK + kernel_pa, 56))
            summary.append("kernel variable kernel_map: " +
                           ", ".join(f"{f}=0x{v:x}" for f, v in zip(fields, vals)))
            km_map = dict(zip(fields, vals))
            if km_map["page_offset"] != PAGE_OFFSET.get(mode):
                fail(f"kernel_map.page_offset 0x{km_map['page_offset']:x} is not {mode}'s PAGE_OFFSET")
            if km_map["phys_addr"] != kernel_pa:
                fail(f"kernel_map.phys_addr 0x{km_map['phys_addr']:x} differs from the listing's 0x{kernel_pa:x}")

    with open(os.path.join(d, "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")
    print("\n".join(summary))
    print("mode check: " + ("OK, " + mode if ok else "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
