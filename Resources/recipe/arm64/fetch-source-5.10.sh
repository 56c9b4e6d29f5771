#!/bin/bash
# Kept for the 5.10 recipe's command lines: ../lib/fetch-source.sh 5.10 DIR.
# Usage: fetch-source-5.10.sh DIR
exec "$(cd "$(dirname "$0")" && pwd)/../lib/fetch-source.sh" 5.10 "${1:?usage: fetch-source-5.10.sh DIR}"
