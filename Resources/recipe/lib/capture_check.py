"""What the capture checks of architectures without QEMU's VMCOREINFO note
(ppc64le/, s390x/check-capture.py) share: the kernel's own note read out of
guest memory, and the ending (summary.txt, the verdict, the exit status)."""
import os
import re
import sys

from elfcore import memory_note


def vmcoreinfo_from_memory(d, core, kver, page_size=None):
    """Reads the note at the address init printed (CAPTURE/vmcoreinfo.txt) into
    vmcoreinfo-note.txt; returns (text, ok): ok when it is a VMCOREINFO of KVER
    (and of PAGESIZE page_size, when given)."""
    addr, size = (int(x, 16) for x in open(os.path.join(d, "vmcoreinfo.txt")).read().split())
    name, _t, desc = memory_note(core, addr, size)
    text = desc.rstrip(b"\0").decode("ascii", "replace")
    open(os.path.join(d, "vmcoreinfo-note.txt"), "w").write(text)
    rel = re.search(r"^OSRELEASE=(\S+)", text, re.M)
    page = re.search(r"^PAGESIZE=(\d+)", text, re.M)
    print(f"note {name} at {addr:#x}: OSRELEASE={rel and rel.group(1)} PAGESIZE={page and page.group(1)}"
          f" (dump header {'big' if core.order == '>' else 'little'}-endian, e_machine {core.machine})")
    ok = name == "VMCOREINFO" and rel is not None and rel.group(1).startswith(kver + ".")
    if page_size is not None:
        ok = ok and page is not None and page.group(1) == str(page_size)
    if not ok:
        print(f"FAIL: no VMCOREINFO of {kver}" + (f" with PAGESIZE {page_size}" if page_size else ""))
    return text, ok


def finish(d, summary, ok):
    """Writes summary.txt, prints it and the verdict, exits 0 or 1."""
    open(os.path.join(d, "summary.txt"), "w").write("\n".join(summary) + "\n")
    print("\n".join(summary))
    print("check-capture: " + ("OK" if ok else "FAILED"))
    sys.exit(0 if ok else 1)
