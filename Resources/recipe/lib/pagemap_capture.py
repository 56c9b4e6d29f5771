"""The victim files every pagemap capture writes (debian-stock-swap, user-entries,
x86_64-hmm): pagemap.txt ("VA PAGEMAP" in hex, one line per page) and victim.txt
("NAME BASE N pages" per region)."""
import os


def read_capture(out):
    """pagemap.txt as {va: entry}, and victim.txt's regions as (name, base, pages)."""
    pm = {}
    for line in open(os.path.join(out, "pagemap.txt")):
        va, e = line.split()
        pm[int(va, 16)] = int(e, 16)
    regions = []
    for line in open(os.path.join(out, "victim.txt")):
        w = line.split()
        if len(w) == 4 and w[3] == "pages":
            regions.append((w[0], int(w[1], 16), int(w[2])))
    return pm, regions
