#!/usr/bin/env bash
# kptdump's benchmark: our listing against the floor (reading each table page once
# through the same reader), against drgn and crash, and at scale.
#
#   Resources/bench/run.sh                          # the shipped sample + synthetic dumps
#   Resources/bench/run.sh --dump VMCORE --vmlinux VMLINUX   # add a real dump (and the peers)
#   Resources/bench/run.sh --scale "1000 10000 100000"       # synthetic sizes, in PTE tables
#   Resources/bench/run.sh --dump VMCORE.elf --vmlinux V --system-map M   # whole process vs the C floor
#
# For an ELF dump, the whole `kptdump DUMP` process (best wall time of 10 runs) is set
# against the C floor (floor.c: parse the core's program headers and read each table
# page the listing reads, once), with the dump alone, with --system-map and with
# --vmlinux, each as given.
#
# Needs what ./Resources/sample.sh installs. drgn (pip install drgn) and crash
# (apt-get install crash) are measured when installed and a vmlinux is given; see
# Resources/bench/peers/README.md. Scratch files go to $BENCH_DIR (/tmp/kptdump-bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${BENCH_DIR:-/tmp/kptdump-bench}
scales="1000 10000 100000"
repeat=5
dumps=()
vmlinuxes=()
maps=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dump) dumps+=("$2"); vmlinuxes+=(""); maps+=(""); shift 2 ;;
    --system-map) [ ${#dumps[@]} -gt 0 ] || { echo "--system-map comes after its --dump" >&2; exit 2; }
               maps[$((${#dumps[@]} - 1))]="$2"; shift 2 ;;
    --vmlinux) [ ${#dumps[@]} -gt 0 ] || { echo "--vmlinux comes after its --dump" >&2; exit 2; }
               vmlinuxes[$((${#dumps[@]} - 1))]="$2"; shift 2 ;;
    --scale) scales="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"
cd "$root"
# /usr/bin/time measures the command's peak memory.
if [ ! -x /usr/bin/time ]; then
  SUDO=$([ "$(id -u)" = 0 ] && echo || echo sudo)
  $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q time
fi
echo "building (release)..." >&2
# As Resources/package.sh builds the .deb's binary: one static executable.
bin=$(Resources/build-release.sh kptdump kptdump-bench)

# The shipped sample first: a snapshot of Debian's stock kernel (tables only).
sample="$work/debian-stock-4level.core"
[ -s "$sample" ] || zstd -d -q -f Resources/fixtures/x86_64/debian-stock-4level/snapshot.core.zst -o "$sample"
all_dumps=("$sample")
all_vmlinux=("")
for n in $scales; do
  core="$work/scale-$n.core"
  [ -s "$core" ] || "$bin/kptdump-bench" generate --pte-tables "$n" -o "$core" >&2
  all_dumps+=("$core")
  all_vmlinux+=("")
done
for i in "${!dumps[@]}"; do
  all_dumps+=("${dumps[$i]}")
  all_vmlinux+=("${vmlinuxes[$i]}")
done

results="$work/results.jsonl"
: > "$results"
for i in "${!all_dumps[@]}"; do
  d=${all_dumps[$i]}
  v=${all_vmlinux[$i]}
  args=(--core "$d")
  [ -z "$v" ] || args+=(--vmlinux "$v")
  echo "measuring $d ..." >&2
  # The whole command as a user runs it: best wall time of three, and its peak RSS.
  best=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin/kptdump" "${args[@]}" >/dev/null 2>"$work/stderr.txt" || {
      rc=$?; [ $rc -eq 3 ] || { echo "kptdump failed ($rc) on $d:" >&2; cat "$work/stderr.txt" >&2; exit 1; }; }
    read -r secs rss < <(tail -1 "$work/time.txt")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; best_rss=$rss; fi
  done
  measure=$("$bin/kptdump-bench" measure --json --repeat "$repeat" "$d" ${v:+--vmlinux "$v"})
  printf '{"kind":"ours","dump":"%s","command_seconds":%s,"command_peak_rss_kb":%s,"measure":%s}\n' \
    "$d" "$best" "$best_rss" "$measure" >> "$results"
  if [ -n "$v" ]; then
    py=${DRGN_PYTHON:-python3}
    if "$py" -c 'import drgn' 2>/dev/null; then
      echo "  drgn ..." >&2
      out=$("$py" Resources/bench/peers/drgn_walk.py "$d" "$v" | tail -1) || out=""
      [ -z "$out" ] || printf '{"kind":"drgn","dump":"%s","result":%s}\n' "$d" "$out" >> "$results"
    else
      echo "  drgn: not installed for $py (pip install drgn; or set DRGN_PYTHON)" >&2
    fi
    if command -v crash >/dev/null; then
      echo "  crash ..." >&2
      out=$(bash Resources/bench/peers/crash_vtop.sh "$d" "$v" | tail -1) || out=""
      [ -z "$out" ] || printf '{"kind":"crash","dump":"%s","result":%s}\n' "$d" "$out" >> "$results"
    else
      echo "  crash: not installed (apt-get install crash)" >&2
    fi
  fi
done
# Whole processes against the C floor, on ELF dumps.
cc -O2 -o "$work/floor" Resources/bench/floor.c
for i in "${!dumps[@]}"; do
  d=${dumps[$i]}
  [ "$(head -c 4 "$d" | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "  $d: not ELF, no C floor" >&2; continue; }
  echo "whole process against the C floor: $d ..." >&2
  "$bin/kptdump-bench" pages "$d" ${vmlinuxes[$i]:+--vmlinux "${vmlinuxes[$i]}"} >"$work/pages.txt"
  floor=$(python3 Resources/bench/wall.py 10 "$work/floor" "$d" "$work/pages.txt")
  # A dump alone must not find a vmlinux or System.map beside it: link it from an empty folder.
  alone_dir=$(mktemp -d "$work/alone.XXXX")
  ln -s "$(readlink -f "$d")" "$alone_dir/dump"
  modes=("alone:$alone_dir/dump")
  [ -z "${maps[$i]}" ] || modes+=("system-map:$alone_dir/dump --system-map ${maps[$i]}")
  [ -z "${vmlinuxes[$i]}" ] || modes+=("vmlinux:$alone_dir/dump --vmlinux ${vmlinuxes[$i]}")
  for m in "${modes[@]}"; do
    # shellcheck disable=SC2086
    secs=$(python3 Resources/bench/wall.py 10 "$bin/kptdump" ${m#*:})
    printf '{"kind":"process","dump":"%s","mode":"%s","seconds":%s,"floor_seconds":%s,"pages":%s}\n' \
      "$d" "${m%%:*}" "$secs" "$floor" "$(wc -l <"$work/pages.txt")" >> "$results"
  done
  rm -rf "$alone_dir"
done
python3 Resources/bench/report.py "$results"
