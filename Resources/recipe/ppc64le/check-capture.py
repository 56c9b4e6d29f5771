#!/usr/bin/env python3
"""check-capture.py CAPTURE STATE KVER: a ppc64le capture is what STATE says.

- the kernel's VMCOREINFO note, read out of guest memory (little-endian; the
  dump's own headers are big-endian) at the address init printed
  (vmcoreinfo.txt), to vmcoreinfo-note.txt; its OSRELEASE must be KVER's and
  PAGESIZE 65536 (radix, hash) or 4096 (radix-4k, hash-4k: the PAGES=4K build);
- the MMU: radix when dmesg says "Using radix MMU under hypervisor", hash when
  it says "Initializing hash mmu"; and the listing agrees (radix lists the
  linear map from 0xc000000000000000; hash starts at the vmalloc area);
- summary.txt: MMU, the first ranges, the listing's size.
"""
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from elfcore import Core  # noqa: E402
from capture_check import finish, vmcoreinfo_from_memory  # noqa: E402


def main():
    d, state, kver = sys.argv[1:4]
    mmu_want, _, pages = state.partition("-")
    want_page = {"": 65536, "4k": 4096}[pages]
    summary = []
    core = Core(os.path.join(d, "vmcore.elf"))
    core.mem_order = "<"
    text, ok = vmcoreinfo_from_memory(d, core, kver, want_page)
    page = re.search(r"^PAGESIZE=(\d+)", text, re.M)
    dmesg = open(os.path.join(d, "dmesg.txt"), errors="replace").read()
    mmu = "radix" if "Using radix MMU under hypervisor" in dmesg else \
        "hash" if "Initializing hash mmu" in dmesg else "unknown"
    lines = open(os.path.join(d, "page_tables", "kernel_page_tables.txt")).read().splitlines()
    ranges = [l for l in lines if l.startswith("0x")]
    linear = bool(ranges) and ranges[0].startswith("0xc000000000000000-")
    summary += [f"MMU (dmesg): {mmu}; linear map listed: {linear}"] + \
        ["first: " + r.rstrip() for r in ranges[:2]] + \
        [f"PAGESIZE (VMCOREINFO): {page and page.group(1)}", f"listing: {len(lines)} lines"]
    if mmu != mmu_want or linear != (mmu_want == "radix"):
        print(f"FAIL: {state} wanted")
        ok = False
    finish(d, summary, ok)


if __name__ == "__main__":
    main()
