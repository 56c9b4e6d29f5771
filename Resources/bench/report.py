#!/usr/bin/env python3
"""Prints run.sh's results (JSON Lines) as one table per dump, with the ratios:
ours to the floor, and drgn to ours."""
import json
import os
import sys


def namer(dumps):
    """The dumps' file names, with their folders' where two share a name."""
    bases = [os.path.basename(d) for d in dumps]

    def name(dump):
        folder, base = os.path.split(dump)
        shown = os.path.basename(folder) + "/" + base if bases.count(base) > 1 else base
        return shown[:28]
    return name


def command_text(seconds):
    """/usr/bin/time's wall time, which counts in 10 ms steps."""
    return f"{seconds:.2f}s" if seconds > 0 else "<0.01s"


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    ours = {r["dump"]: r for r in rows if r["kind"] == "ours"}
    name = namer(list(ours))
    peers = {}
    for r in rows:
        if r["kind"] not in ("ours", "process"):
            peers.setdefault(r["dump"], {})[r["kind"]] = r["result"]
    print(f"{'dump':<28} {'tables':>7} {'lines':>8} {'command':>9} {'peak RSS':>10} "
          f"{'listing':>9} {'floor':>9} {'list/floor':>10} {'us/table':>9}")
    for dump, r in ours.items():
        m = r["measure"]
        per_table = m["listing_seconds"] / max(1, m["tables_read"]) * 1e6
        print(f"{name(dump):<28} {m['tables_read']:>7} {m['listing_lines']:>8} "
              f"{command_text(r['command_seconds']):>9} {r['command_peak_rss_kb']:>7} kB "
              f"{m['listing_seconds']:>8.4f}s {m['floor_seconds']:>8.4f}s {m['ratio_to_floor']:>10.2f} "
              f"{per_table:>9.2f}")
    process = [r for r in rows if r["kind"] == "process"]
    if process:
        print(f"\n{'whole process (best of 10)':<28} {'mode':<11} {'kptdump':>9} {'C floor':>9} {'ratio':>7} {'pages':>6}")
        for r in process:
            ratio = r["seconds"] / r["floor_seconds"] if r["floor_seconds"] else 0
            print(f"{name(r['dump']):<28} {r['mode']:<11} {r['seconds']:>8.4f}s "
                  f"{r['floor_seconds']:>8.4f}s {ratio:>6.1f}x {r['pages']:>6}")
    for dump, p in peers.items():
        m = ours[dump]["measure"]
        # The command with the same vmlinux drgn loads: the whole-process
        # best of 10 where there is one (/usr/bin/time counts in 10 ms steps).
        command = next((r["seconds"] for r in process if r["dump"] == dump and r["mode"] == "vmlinux"),
                       ours[dump]["command_seconds"])
        print(f"\n{dump}")
        print(f"  ours: listing {m['listing_seconds']:.4f} s in process, "
              f"{command:.4f} s as a command (with symbols)")
        if "drgn" in p:
            d = p["drgn"]
            ratio = d["seconds"] / m["listing_seconds"] if m["listing_seconds"] else 0
            ratio_cmd = (d["seconds"] + d.get("load_seconds", 0)) / command if command else 0
            print(f"  drgn {d.get('version', '?')} ({d.get('method', '?')}): {d['seconds']:.3f} s "
                  f"for {d.get('leaves', '?')} leaves, +{d.get('load_seconds', 0):.2f} s to load; "
                  f"drgn / ours = {ratio:.1f}x (walks), {ratio_cmd:.1f}x (with loading)")
        if "crash" in p:
            c = p["crash"]
            print(f"  crash {c.get('version', '?')}: {c['per_second']:.0f} vtop/s "
                  f"({c['vtops']} in {c['seconds']:.2f} s after {c.get('startup_seconds', 0):.2f} s startup)")


if __name__ == "__main__":
    main(sys.argv[1])
