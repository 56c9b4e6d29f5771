#!/usr/bin/env python3
"""extract.py ARCH SERIAL_LOG OUTDIR: cut the `=== BEGIN name === ... === END name ===`
sections init.c printed out of the console log (CRLF turned back into LF).

kernel_page_tables goes to OUTDIR/page_tables/kernel_page_tables.txt, and each of
its lines must have the shape of that architecture's ptdump (the PTDUMP_LINE
regex of ../arm64/extract.py or ../riscv64/extract.py, imported from there);
every other section goes to OUTDIR/NAME.txt (victim, steps, maps, pagemap, smaps,
swaps, meminfo, vmcoreinfo, cmdline, dmesg). victim-pid.txt is the pid line of
victim.txt. Exit 1 when a section is missing, a stray CR is left, or a
page-table line is not ptdump-shaped.
"""
import importlib.util
import os
import re
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
NEEDED = ["victim", "steps", "maps", "pagemap", "smaps", "swaps", "meminfo",
          "kernel_page_tables", "vmcoreinfo", "cmdline", "dmesg"]


def arch_regex(arch):
    path = os.path.join(HERE, "..", arch, "extract.py")
    spec = importlib.util.spec_from_file_location(arch + "_extract", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.PTDUMP_LINE


def main():
    arch, serial, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    ptdump_line = arch_regex(arch)
    data = open(serial, "rb").read()
    sections = re.findall(rb"=== BEGIN (\S+) ===\r\n(.*?)=== END \1 ===\r\n", data, re.S)
    ok = True
    seen = set()
    os.makedirs(os.path.join(outdir, "page_tables"), exist_ok=True)
    for name, body in sections:
        name = name.decode()
        seen.add(name)
        text = body.replace(b"\r\n", b"\n")
        if b"\r" in text:
            print(f"WARNING {name}: stray CR left after CRLF->LF")
            ok = False
        if name == "kernel_page_tables":
            path = os.path.join(outdir, "page_tables", name + ".txt")
            lines = text.split(b"\n")
            bad = [l for l in lines[:-1] if not ptdump_line.match(l)]
            if lines[-1] != b"" or bad or len(lines) < 3:
                ok = False
                print(f"WARNING {name}: {len(bad)} line(s) not ptdump-shaped, e.g. {bad[:1]!r}")
        else:
            path = os.path.join(outdir, name + ".txt")
        with open(path, "wb") as f:
            f.write(text)
        nlines = text.count(b"\n")
        print(f"{os.path.relpath(path, outdir)}: {nlines} lines, {len(text)} bytes")
    for name in NEEDED:
        if name not in seen:
            print(f"WARNING: no {name} section")
            ok = False
    pid = ""
    if "victim" in seen:
        for line in open(os.path.join(outdir, "victim.txt")):
            if line.startswith("pid "):
                pid = line.split()[1]
    with open(os.path.join(outdir, "victim-pid.txt"), "w") as f:
        f.write(pid + "\n" if pid else "")
    sys.exit(0 if ok and pid else 1)


if __name__ == "__main__":
    main()
