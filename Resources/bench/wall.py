#!/usr/bin/env python3
"""Best wall time of a whole command over N runs (stdout and stderr discarded):
   wall.py N COMMAND [ARGS...]  ->  prints seconds. Exits 1 if a run fails
   (an exit status other than 0 or 3, kptdump's "listing printed, some entries
   marked")."""
import subprocess
import sys
import time


def main():
    runs = int(sys.argv[1])
    command = sys.argv[2:]
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        status = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        elapsed = time.perf_counter() - start
        if status not in (0, 3):
            print(f"wall.py: {' '.join(command)} exited {status}", file=sys.stderr)
            sys.exit(1)
        best = elapsed if best is None else min(best, elapsed)
    print(f"{best:.6f}")


if __name__ == "__main__":
    main()
