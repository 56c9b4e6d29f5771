#!/usr/bin/env python3
"""Cut the `=== BEGIN <name> === ... === END <name> ===` sections lib/init.c (or a
victim's init.c) printed out of a capture's serial.log: the one extractor of every
recipe.

Usage: extract.py ARCH SERIAL_LOG OUTDIR [OUTDIR2 ...] [--need NAME,...]
       extract.py --flat SERIAL_LOG OUTDIR

ARCH (x86_64, arm64, riscv64, s390x, ppc64) picks the shape every page-table
line must have (PTDUMP_LINE below). Page-table sections (kernel,
current_kernel, current_user, efi; kernel_page_tables, efi_page_tables) go to
OUTDIR/page_tables/<name>.txt, every other section to OUTDIR/<name>.txt
(vmcoreinfo, cmdline, maps, dmesg, iomem, victim, pagemap, ...); a `victim`
section also gives victim-pid.txt (its pid line). The serial line discipline's
CRLF is turned back into LF, so the files hold the bytes the guest printed.
With more than one OUTDIR the log is split at the lines READY1, READY2, ...
(lib/init.c's moments scenario) and moment N goes to OUTDIR N.
--need: sections that must be there (default, all but x86_64: kernel_page_tables).
--flat: every section to OUTDIR/<name> as it is, no checks (live-churn).
Exit 1 on a missing section, a stray CR, a page-table line that is not
ptdump-shaped (interleaved printk output), or (all but x86_64) a listing that
is (nearly) empty or does not end with a newline.
"""
import os
import re
import sys

PTDUMP_LINE = {
    # arch/x86/mm/dump_pagetables.c; "... N entries skipped ..." caps a region (ESPfix)
    "x86_64": re.compile(
        rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16} .*"
        rb"|---\[ .* \]---"
        rb"|\.\.\. \d+ entr(y|ies) skipped \.\.\. )$"),
    # arch/arm64/mm/ptdump.c: "0x%016lx-0x%016lx   " "%9lu%c %s" then " %s" per field
    "arm64": re.compile(
        rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16}   [ 0-9]*[0-9][KMGTPE] (PGD|P4D|PUD|PMD|PTE)( .*)?"
        rb"|---\[ [^\]]+ \]---)$"),
    # arch/riscv/mm/ptdump.c. 6.1: " RSW" or "    "; 6.12 (NAPOT and Svpbmt columns,
    # the RSW value): " N|." then " MT(NC|IO|??)" or "   ..  ", then " RSW(n)" or "   ..  "
    "riscv64": re.compile(
        rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16}    0x[0-9a-f]{16} +\d+[KMGTPE] (PGD|P4D|PUD|PMD|PTE)"
        rb"( (RSW|   )| [N.] (MT\((NC|IO|\?\?)\)|  \.\.  ) (RSW\(\d\)|  \.\.  ))"
        rb" [D.] [A.] [G.] [U.] [X.] [W.] [R.] [V.]"
        rb"|---\[ [^\]]+ \]---)$"),
    # arch/s390/mm/dump_pagetables.c: holes as "I"; markers "---[ name Start|End ]---"
    "s390x": re.compile(
        rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16} +\d+[KMGTPE] (ASCE|PGD|PUD|PMD|PTE) (I|R[OW] N?X)"
        rb"|---\[ [^\]]+ \]---)$"),
    # arch/powerpc/mm/ptdump/ptdump.c: inclusive end, physical address, size, the
    # level name (7.x; 6.12 had none), then blank-padded flag words
    "ppc64": re.compile(
        rb"^(0x[0-9a-f]{16}-0x[0-9a-f]{16}  0x[0-9a-f]{16} +\d+[KMGTPE] ((PGD|P4D|PUD|PMD|PTE) )? .*"
        rb"|---\[ [^\]]+ \]---)$"),
}
PAGE_TABLES = {"kernel", "current_kernel", "current_user", "efi",
               "kernel_page_tables", "efi_page_tables"}
SECTION = re.compile(rb"=== BEGIN (\S+) ===\r?\n(.*?)=== END \1 ===\r?\n", re.S)


def extract(chunk, outdir, arch, need=(), label=""):
    """Files one log chunk's sections; returns False on any problem."""
    ok, seen = True, set()
    os.makedirs(os.path.join(outdir, "page_tables"), exist_ok=True)
    strict = arch != "x86_64"
    for name, body in SECTION.findall(chunk):
        name = name.decode()
        seen.add(name)
        text = body.replace(b"\r\n", b"\n")
        if b"\r" in text:
            print(f"WARNING {label}{name}: stray CR left after CRLF->LF")
            ok = False
        if name in PAGE_TABLES:
            path = os.path.join(outdir, "page_tables", name + ".txt")
            lines = text.split(b"\n")
            bad = [l for l in lines[:-1] if not PTDUMP_LINE[arch].match(l)]
            if bad:
                ok = False
                print(f"WARNING {label}{name}: {len(bad)} line(s) not ptdump-shaped, e.g. {bad[0][:120]!r}")
            if strict and (lines[-1] != b"" or len(lines) < 3):
                ok = False
                print(f"WARNING {label}{name}: (nearly) empty or no final newline")
        else:
            path = os.path.join(outdir, name + ".txt")
        with open(path, "wb") as f:
            f.write(text)
        nlines = text.count(b"\n")
        print(f"{label}{os.path.relpath(path, outdir)}: {nlines} lines, {len(text)} bytes")
    for name in need:
        if name not in seen:
            print(f"WARNING {label}: no {name} section")
            ok = False
    if "victim" in seen:
        pid = [l.split()[1] for l in open(os.path.join(outdir, "victim.txt")) if l.startswith("pid ")]
        with open(os.path.join(outdir, "victim-pid.txt"), "w") as f:
            f.write(pid[0] + "\n" if pid else "")
        ok &= bool(pid)
    if not seen:
        print(f"{label}no sections")
    return ok and bool(seen)


def flat(data, outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, body in SECTION.findall(data):
        text = body.replace(b"\r\n", b"\n")
        path = os.path.join(outdir, os.path.basename(name.decode()))
        with open(path, "wb") as f:
            f.write(text)
        nlines = text.count(b"\n")
        print(f"{path}: {nlines} lines, {len(text)} bytes")


def main():
    args = sys.argv[1:]
    need = []
    if "--need" in args:
        i = args.index("--need")
        need = [n for n in args[i + 1].split(",") if n]
        del args[i:i + 2]
    if len(args) < 3:
        sys.exit(__doc__)
    arch, serial, outdirs = args[0], args[1], args[2:]
    data = open(serial, "rb").read()
    if arch == "--flat":
        return flat(data, outdirs[0])
    if arch not in PTDUMP_LINE:
        sys.exit(f"unknown ARCH {arch} ({', '.join(PTDUMP_LINE)})")
    if arch != "x86_64" and "--need" not in sys.argv:
        need = ["kernel_page_tables"]
    if len(outdirs) == 1:
        sys.exit(0 if extract(data, outdirs[0], arch, need) else 1)
    ok, rest = True, data
    for n, outdir in enumerate(outdirs, 1):
        m = re.search(rb"^READY%d\r?\n" % n, rest, re.M)
        if not m:
            print(f"moment {n}: no READY{n} line")
            sys.exit(1)
        ok &= extract(rest[:m.start()], outdir, arch, need, f"moment {n}: ")
        rest = rest[m.end():]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
