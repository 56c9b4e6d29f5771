#!/usr/bin/env python3
"""Writes the walker target's seeds: for each paging form (byte 0), a three-page
table chain with folded addresses (byte 1 = 1): page 0's first and last entries
point at page 1, page 1's at page 2, and page 2 holds leaves and a self-reference.
The fuzzer mutates these; the harness is FuzzTargets.walker."""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "walker")
os.makedirs(out, exist_ok=True)
names = ["x86-4level", "x86-5level", "arm64-4k-48", "arm64-4k-39", "arm64-16k-47",
         "arm64-64k-42", "arm64-64k-52", "riscv-sv39", "riscv-sv48", "riscv-sv57"]
for selector, name in enumerate(names):
    riscv = name.startswith("riscv")
    x86 = name.startswith("x86")

    def table(target):
        # Folding keeps the flag bits and maps bits 12.. to a stored page index.
        if riscv:
            return (target << 12) | 0x1          # V only: a pointer to the next level
        if x86:
            return (target << 12) | 0x63
        return (target << 12) | 0x3              # arm64 table descriptor

    def leaf(frame):
        if riscv:
            return (frame << 12) | 0xcf          # D A X W R V
        if x86:
            return (frame << 12) | 0x163 | (1 << 63)
        return (frame << 12) | 0x703            # page, AF, inner shareable

    pages = []
    for p in range(3):
        entries = [0] * 512
        if p < 2:
            entries[0] = table(p + 1)
            entries[511] = table(p + 1)
        else:
            for i in range(16):
                entries[i] = leaf(0x100 + i)
            entries[100] = table(2)
        pages.append(struct.pack("<512Q", *entries))
    with open(os.path.join(out, f"{selector:02d}-{name}"), "wb") as f:
        f.write(bytes([selector, 1]) + b"".join(pages))
