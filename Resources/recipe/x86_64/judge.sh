#!/bin/bash
# judge.sh STATE: after capture.sh STATE, ../lib/judge-listing.sh on
# OUT_ROOT/STATE (snapshot; every page_tables/*.txt four ways vs the kernel's
# own text; check-wx beside wx-check.txt; info). Env: KVER, OUT_ROOT as for
# capture.sh; KPTDUMP.
exec "$(dirname "$0")/../lib/run-profile.sh" "$(dirname "$0")/profile" "${1:?usage: judge.sh STATE}" judge
