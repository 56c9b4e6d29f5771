#!/bin/bash
# judge.sh CAPTURE: ../lib/judge-listing.sh (snapshot, kernel_page_tables and
# efi_page_tables four ways vs the kernel's own text, check-wx, info); see there.
exec "$(dirname "$0")/../lib/judge-listing.sh" "$@"
