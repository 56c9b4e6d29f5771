#!/bin/bash
# Everything kdump-custom does, in order (see README.md): build the kernel, capture
# each state, judge kptdump against the kernel's own listings, cut the fixtures.
# Usage: run-all.sh [STATE...]     (default: nopti-cpu0 pti-cpu0)
# Environment: BIG, KPTDUMP as for the scripts it calls; FIXTURES (default
# Resources/fixtures/real-panic-custom in this checkout).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIG=${BIG:-/work/big/kdump-custom}
FIXTURES=${FIXTURES:-$HERE/../../fixtures/real-panic-custom}
STATES=("$@"); [ ${#STATES[@]} -gt 0 ] || STATES=(nopti-cpu0 pti-cpu0)
mkdir -p "$BIG"
[ -f "$BIG/build/arch/x86/boot/bzImage" ] || "$HERE/build-kernel.sh" "$BIG/build" 2>&1 | tee "$BIG/build.log"
for s in "${STATES[@]}"; do
    /usr/bin/time -f "capture $s: %e s" "$HERE/capture.sh" "$s" 2>&1 | tee "$BIG/run-$s.log"
done
st=0
for s in "${STATES[@]}"; do
    "$HERE/judge.sh" "$s" || st=1
    "$HERE/cut-fixture.sh" "$s" "$FIXTURES/$s" || st=1
done
exit $st
