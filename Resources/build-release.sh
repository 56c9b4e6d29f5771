#!/usr/bin/env bash
# Builds release products as users get them: one static executable each, with the
# Swift runtime, libelf, libdw, the page codecs and glibc linked in. Prints the
# directory that holds the binaries on stdout; the build's output goes to stderr.
#
#   Resources/build-release.sh [PRODUCT...]      # default: kptdump
#
# Why static: a dynamic kptdump spent 2.5M of a short run's 4.2M instructions in ld.so
# (2,100 symbol lookups through 10 libraries, 43,500 relative relocations), and the
# static one lists a 2 GiB dump 2.6-5.4 ms faster (hyperfine means, 2026-12-07).
# libdw.a needs libelf, zlib, lzma and bzip2 after it; Debian's -dev packages ship all
# these .a files (Resources/install-deps.sh installs them). A plain `swift build -c release`
# still works and links dynamically.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release --static-swift-stdlib -Xswiftc -static-executable)
for lib in elf z lzma bz2 zstd; do flags+=(-Xlinker "-l$lib"); done
products=("$@")
[ ${#products[@]} -gt 0 ] || products=(kptdump)
# Two warnings of the static link are dropped: glibc's, that dlopen in a static program
# needs the same glibc at run time (only the Swift runtime's optional prespecialization
# library is ever dlopened, and its absence is silent), and Foundation's mktemp (never
# called here).
quiet='statically linked applications requires at runtime|the use of .mktemp. is dangerous'
for product in "${products[@]}"; do
  if ! swift build "${flags[@]}" --product "$product" > >(grep -Ev "$quiet" >&2) 2>&1; then
    echo "build of $product failed" >&2; exit 1
  fi
done
swift build "${flags[@]}" --show-bin-path
