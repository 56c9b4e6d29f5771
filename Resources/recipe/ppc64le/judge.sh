#!/bin/bash
# judge.sh radix|hash|radix-4k|hash-4k (or a capture folder): ../lib/judge-listing.sh on
# /work/big/ppc64le-KVER/STATE (KVER default 7.3): snapshot, kernel_page_tables
# four ways vs the kernel's own text, check-wx, info.
C=${1:?usage: judge.sh radix|hash|radix-4k|hash-4k|CAPTURE_DIR}
[ -d "$C" ] || C=/work/big/ppc64le-${KVER:-7.3}/$C
exec "$(dirname "$0")/../lib/judge-listing.sh" "$C"
