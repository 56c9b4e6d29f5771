#!/usr/bin/env python3
"""Freeze a QEMU guest and take an ELF dump plus every kdump-* dump QEMU offers,
all of the same stopped moment (standard library only).

Usage: qmp-kdump.py SOCKET OUTDIR

Steps: qmp_capabilities, query-version, query-dump-guest-memory-capability
(-> OUTDIR/dump-capability.json), stop, `info registers -a`
(-> info-registers.txt), `info tlb` per CPU (-> info-tlb.txt, info-tlb-cpuN.txt),
then, with the guest still stopped, dump-guest-memory paging=false:
  format elf        -> OUTDIR/vmcore.elf
  format kdump-XXX  -> OUTDIR/vmcore.kdump-XXX.flat   (QEMU 7.2 writes these in
                       makedumpfile's flattened format)
for each kdump-* format in the capability list, each waited for with
query-dump, then quit. Prints one line per dump (status, bytes, seconds).
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in ../lib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from qmp_client import QMP, write  # noqa: E402


def dump(q, path, fmt):
    t0 = time.time()
    q.cmd("dump-guest-memory", paging=False, protocol="file:" + path, format=fmt)
    while True:
        st = q.cmd("query-dump")
        if st["status"] != "active":
            break
        time.sleep(0.2)
    print(f"dump-guest-memory {fmt}: {st['status']}, {st.get('completed')} of "
          f"{st.get('total')} bytes, {time.time() - t0:.1f} s -> {os.path.basename(path)}")
    if st["status"] != "completed":
        sys.exit(f"dump failed: {st}")
    os.chmod(path, 0o644)  # QEMU creates dumps 0400


def main():
    sock, outdir = sys.argv[1], os.path.abspath(sys.argv[2])
    q = QMP(sock)
    q.cmd("qmp_capabilities")
    ver = q.cmd("query-version")
    caps = q.cmd("query-dump-guest-memory-capability")
    write(os.path.join(outdir, "dump-capability.json"),
          json.dumps({"version": ver, "capability": caps}, indent=1) + "\n")
    print("dump formats:", " ".join(caps["formats"]))
    q.cmd("stop")
    write(os.path.join(outdir, "info-registers.txt"), q.hmp("info registers -a"))
    for c in q.cmd("query-cpus-fast"):
        idx = c["cpu-index"]
        name = "info-tlb.txt" if idx == 0 else f"info-tlb-cpu{idx}.txt"
        write(os.path.join(outdir, name), q.hmp("info tlb", cpu=idx))
    dump(q, os.path.join(outdir, "vmcore.elf"), "elf")
    for fmt in caps["formats"]:
        if fmt.startswith("kdump-"):
            dump(q, os.path.join(outdir, f"vmcore.{fmt}.flat"), fmt)
    try:
        q.cmd("quit")
    except EOFError:
        pass


if __name__ == "__main__":
    main()
