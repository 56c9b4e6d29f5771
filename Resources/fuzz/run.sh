#!/usr/bin/env bash
# Fuzzes kptdump's input readers with libFuzzer.
#
#   Resources/fuzz/run.sh                 # every target, 60 s each
#   Resources/fuzz/run.sh -runs=1000000   # every target, 10^6 executions each
#   Resources/fuzz/run.sh -max_total_time=10 walker kdump   # some targets
#
# Options starting with '-' go to libFuzzer. Targets: elf-core kdump vmcoreinfo
# listing-text walker (Sources/FuzzTargets). The committed seeds in corpus/ are
# copied to $FUZZ_DIR/corpus/<target> (default /tmp/kptdump-fuzz), where the
# inputs libFuzzer finds interesting accumulate; crashes go to
# $FUZZ_DIR/artifacts/<target>/. Exit status 1 when any target found a crash,
# a hang (-timeout, default 10 s) or an out-of-memory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${FUZZ_DIR:-/tmp/kptdump-fuzz}
flags=()
targets=()
for a in "$@"; do
  case "$a" in
    -*) flags+=("$a") ;;
    *) targets+=("$a") ;;
  esac
done
[ ${#flags[@]} -gt 0 ] || flags=(-max_total_time=60)
[ ${#targets[@]} -gt 0 ] || targets=(elf-core kdump vmcoreinfo listing-text walker)

cd "$root"
echo "building kptdump-fuzz with -sanitize=fuzzer ..." >&2
# A scratch path of its own: these objects are instrumented. lld links libFuzzer
# where gold fails.
swift build -c release --product kptdump-fuzz --scratch-path "$root/.build-fuzz" \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld >&2
bin="$root/.build-fuzz/release/kptdump-fuzz"

status=0
for t in "${targets[@]}"; do
  [ -d "$here/corpus/$t" ] || { echo "unknown target: $t" >&2; exit 2; }
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  cp -n "$here/corpus/$t"/* "$work/corpus/$t/" 2>/dev/null || true
  echo "== $t" >&2
  # Swift's own backtracer would catch the trap first and libFuzzer would
  # write no reproducer.
  if SWIFT_BACKTRACE=enable=no KPTDUMP_FUZZ_TARGET=$t "$bin" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
      -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 "${flags[@]}" "$work/corpus/$t" \
      > "$work/$t.log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "$work/$t.log" | tr '\n' ' ' >&2
    echo >&2
  else
    status=1
    echo "$t: libFuzzer stopped with a finding; see $work/$t.log and $work/artifacts/$t/" >&2
    grep -E "ERROR|Fatal|SUMMARY|Test unit written" "$work/$t.log" | head -5 >&2 || true
  fi
done
exit $status
