#!/usr/bin/env bash
# Peer benchmark: crash's per-address vtop rate on a kernel dump.
#
# Usage: crash_vtop.sh DUMP VMLINUX [N]
#
# Picks N (default 2000) kernel virtual addresses spread over the mapped
# kernel ranges (round-robin over the listing's regions: direct map, vmalloc,
# vmemmap, CPU entry area, ESPfix, kernel text/data, modules, fixmap; evenly
# spaced inside each region's present bytes), writes them as `vtop ADDR`
# lines into a crash command file ending in `q`, and runs
#     crash -s -i CMDFILE VMLINUX DUMP
# once with an empty command file (just `q`: startup_seconds) and once with
# the vtop file. The vtop file also has clock marks (`!date`, crash's shell
# escape) before and after the vtops, so
#   seconds = time between the marks around the vtops, less one mark's cost;
#   per_second = N / seconds.
# (Startup is 12-20 s and varies by seconds on a busy machine, while 2000
# vtops take well under a second, so the plain difference of the two runs,
# also reported as seconds_by_subtraction, is mostly noise.)
# Prints one line of JSON:
#   {"tool":"crash","version":...,"vtops":N,"seconds":...,
#    "startup_seconds":...,"per_second":...,...}
# Extra fields: seconds_by_subtraction (vtop run - empty run),
# vtop_run_seconds (the whole vtop run), vtop_run_startup_seconds and
# vtop_run_exit_seconds (process start to the first mark, last mark to
# process end, in the vtop run), mark_overhead_seconds, peak_rss_kb (of the
# vtop run, when /usr/bin/time is installed), translated (vtops that
# printed a VIRTUAL/PHYSICAL result), checked/mismatches (results compared
# with the listing's physical address; crash 8.0.2 gets fixmap and ESPfix
# addresses wrong, see mismatches_by_region), addresses_by_region.
#
# The addresses come from kptdump's JSON listing of the same dump (not timed):
#   LISTING=FILE   use this `kptdump --json` output instead of running kptdump
#   KPTDUMP=PATH   kptdump binary (default: the first of the repo's
#                  .build/release, .build/debug and PATH that has --json)
#   CRASH=PATH     crash binary (default: crash on PATH)
#   WORKDIR=DIR    keep command files and crash output there (default: a
#                  temporary directory, removed at exit)
#   CRASH_ARGS=... extra crash options, e.g. "--kaslr auto" (not needed for a
#                  dump with a VMCOREINFO note: crash finds KASLR by itself)
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
DUMP=$1
VMLINUX=$2
N=${3:-2000}
case $N in ''|*[!0-9]*) echo "crash_vtop.sh: N must be a number" >&2; exit 2;; esac
[ "$N" -ge 1 ] || { echo "crash_vtop.sh: N must be at least 1" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
CRASH=${CRASH:-crash}
command -v "$CRASH" >/dev/null || { echo "crash_vtop.sh: $CRASH not found (apt-get install crash)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "crash_vtop.sh: python3 not found" >&2; exit 2; }

if [ -n "${WORKDIR:-}" ]; then
    W=$WORKDIR; mkdir -p "$W"
else
    W=$(mktemp -d "${TMPDIR:-/tmp}/crash_vtop.XXXXXX")
    trap 'rm -rf "$W"' EXIT
fi

# 1. The mapped ranges, from kptdump's listing (not timed).
if [ -n "${LISTING:-}" ]; then
    listing=$LISTING
else
    has_json() { [ -x "$1" ] && "$1" list --help 2>/dev/null | grep -q -- --json; }
    if [ -z "${KPTDUMP:-}" ]; then
        # The first that has --json (a stale build may not).
        for k in "$repo/.build/release/kptdump" "$repo/.build/debug/kptdump" \
                 "$(command -v kptdump || true)"; do
            if [ -n "$k" ] && has_json "$k"; then KPTDUMP=$k; break; fi
        done
    fi
    [ -n "${KPTDUMP:-}" ] && has_json "$KPTDUMP" || {
        echo "crash_vtop.sh: no kptdump binary with --json (swift build -c release, or set KPTDUMP or LISTING)" >&2; exit 2; }
    listing=$W/listing.json
    "$KPTDUMP" --core "$DUMP" --vmlinux "$VMLINUX" --json >"$listing"
fi

# 2. N addresses -> vtop.cmd, with the physical address each should give.
python3 - "$listing" "$N" "$W" <<'EOF'
import json, sys
listing, n, w = sys.argv[1], int(sys.argv[2]), sys.argv[3]
regions = {}  # marker -> list of present kernel ranges, in address order
for line in open(listing):
    r = json.loads(line)
    start = int(r["start"], 16)
    if not r.get("present") or start < 1 << 63:
        continue
    regions.setdefault(r["marker"], []).append(r)
names = list(regions)
if not names:
    sys.exit("crash_vtop.sh: the listing has no present kernel range")
# Round-robin over regions: region k gets about n/len(names) addresses.
quota = {m: n // len(names) + (1 if i < n % len(names) else 0)
         for i, m in enumerate(names)}
picked = []
for m in names:
    ranges = regions[m]
    total = sum(r["size"] for r in ranges)
    q = quota[m]
    if q == 0:
        continue
    # q points evenly spaced over the region's present bytes.
    targets = [(2 * k + 1) * total // (2 * q) for k in range(q)]
    ti, acc = 0, 0
    for r in ranges:
        while ti < q and targets[ti] < acc + r["size"]:
            off = (targets[ti] - acc) & ~7
            addr = int(r["start"], 16) + off
            expect = None
            if "phys" in r and (r.get("contiguous", True) or off < 4096):
                expect = int(r["phys"], 16) + off
            picked.append((addr, expect, m))
            ti += 1
        acc += r["size"]
with open(f"{w}/vtop.cmd", "w") as f:
    # Clock marks from crash's shell escape: two back to back (their own
    # cost), the vtops, and one after.
    f.write("!date +KPTBENCH_MARK%s.%N\n" * 2)
    for a, _, _ in picked:
        f.write(f"vtop {a:x}\n")
    f.write("!date +KPTBENCH_MARK%s.%N\n")
    f.write("q\n")
with open(f"{w}/empty.cmd", "w") as f:
    f.write("q\n")
with open(f"{w}/expected.tsv", "w") as f:
    for a, e, m in picked:
        f.write(f"{a:x}\t{'' if e is None else format(e, 'x')}\t{m}\n")
EOF

version=$("$CRASH" --version 2>/dev/null | awk '/^crash /{print $2; exit}')

run() {  # run CMDFILE OUT -> prints "START END" (seconds since the epoch)
    local t0 t1
    local timer=()
    # GNU time (Debian package "time"), if there, gives crash's peak RSS.
    if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -f %M -o "$2.rss"); fi
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "${timer[@]}" "$CRASH" -s ${CRASH_ARGS:-} -i "$1" "$VMLINUX" "$DUMP" </dev/null >"$2" 2>&1 || {
        echo "crash_vtop.sh: crash failed, see its output:" >&2; tail -20 "$2" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t0 $t1"
}

# 3. Startup (empty command file), then the vtops. One run at a time.
r_empty=$(run "$W/empty.cmd" "$W/empty.out")
r_vtop=$(run "$W/vtop.cmd" "$W/vtop.out")

# 4. Check that crash translated them, and report.
python3 - "$W" "$N" "$version" $r_empty $r_vtop <<'EOF'
import json, re, sys
w, n, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
e0, e1, v0, v1 = (float(x) for x in sys.argv[4:8])
t_empty, t_vtop = e1 - e0, v1 - v0
expected = []
for line in open(f"{w}/expected.tsv"):
    a, e, m = line.rstrip("\n").split("\t")
    expected.append((int(a, 16), int(e, 16) if e else None, m))
text = open(f"{w}/vtop.out", errors="replace").read()
# Each vtop prints "VIRTUAL           PHYSICAL" then "ADDR  PHYS".
got = {}
for va, pa in re.findall(r"^VIRTUAL\s+PHYSICAL\s*\n([0-9a-f]+)\s+([0-9a-f]+)\s*$", text, re.M):
    got.setdefault(int(va, 16), int(pa, 16))
checked = mism = 0
by_region, bad_region = {}, {}
for a, e, m in expected:
    by_region[m] = by_region.get(m, 0) + 1
    if e is None or a not in got:
        continue
    checked += 1
    if got[a] != e:
        mism += 1
        bad_region[m] = bad_region.get(m, 0) + 1
marks = [float(x) for x in re.findall(r"^KPTBENCH_MARK([0-9.]+)\s*$", text, re.M)]
if len(marks) != 3:
    sys.exit(f"crash_vtop.sh: expected 3 clock marks in crash's output, found {len(marks)}")
secs = (marks[2] - marks[1]) - (marks[1] - marks[0])
try:
    rss = int(open(f"{w}/vtop.out.rss").read().split()[-1])
except (OSError, ValueError, IndexError):
    rss = None
out = {
    "tool": "crash", "version": version, "vtops": n,
    "seconds": round(secs, 4), "startup_seconds": round(t_empty, 3),
    "per_second": round(n / secs, 1) if secs > 0 else None,
    "seconds_by_subtraction": round(t_vtop - t_empty, 3),
    "vtop_run_seconds": round(t_vtop, 3),
    "mark_overhead_seconds": round(marks[1] - marks[0], 4),
    "vtop_run_startup_seconds": round(marks[0] - v0, 3),
    "vtop_run_exit_seconds": round(v1 - marks[2], 3),
    "translated": sum(1 for a, _, _ in expected if a in got),
    "checked": checked, "mismatches": mism,
    "mismatches_by_region": bad_region,
    "addresses_by_region": by_region,
    "peak_rss_kb": rss,
    "loadavg_1min": float(open("/proc/loadavg").read().split()[0]),
}
print(json.dumps(out))
EOF
