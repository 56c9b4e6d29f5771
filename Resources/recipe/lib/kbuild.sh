# Sourced by the build-kernel.sh scripts, once SRC_DIR and BUILD_DIR are set and
# mk() (make -C SRC_DIR O=BUILD_DIR ARCH=... "$@") is defined (kbuild_begin does
# both for x86_64, arm64 and riscv64):
#   kbuild_begin ROOT ARCH [CROSS_COMPILE [PKG...]]
#                                 source_tarball ROOT, need_pkgs (the build's and
#                                 PKGs), unpack_source; BUILD_DIR made (absolute); mk()
#   dwarf_extra                   WANTED += DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT with
#                                 DWARF=1, and EXTRA's options (space-separated)
#   source_tarball ROOT           TARBALL and SRC_PKG for KVER: Debian 12's package
#                                 linux-source-KVER (SRC_PKG, for need_pkgs) or, for
#                                 5.10 (bullseye) and 7.3 (sid/experimental), the
#                                 tarball fetch-source.sh fetches into ROOT/apt (one
#                                 another recipe's /work/big/*-KVER/apt holds already
#                                 serves too), unless SRC_DIR holds a tree
#   unpack_source TARBALL [KVER]  SRC_DIR from TARBALL unless it holds a tree
#                                 already (which must be KVER's, when given)
#   kconfig_tiny [ARG...]         tinyconfig (or a copy of KCONFIG_BASE); scripts/config --enable every WANTED
#                                 and DEPS option, --disable every OFF one, then
#                                 ARGs; olddefconfig; BUILD_DIR/config-check.txt.
#                                 Returns 1 (after saying which) when a WANTED or
#                                 DEPS option is not =y or an OFF one is set.
#   make_image TARGET             make -jJOBS TARGET, timed (BUILD_DIR/build-time.txt);
#                                 with CONFIG_ONLY=1 nothing (a dry run: .config and
#                                 config-check.txt only)
. "$(dirname "${BASH_SOURCE[0]}")/capture.sh"   # need_pkgs

kbuild_begin() {
    KB_ROOT=$1 KB_ARCH=$2 KB_CROSS=${3:-}
    shift $(( $# < 3 ? $# : 3 ))
    source_tarball "$KB_ROOT"
    need_pkgs build-essential bc bison flex libssl-dev libelf-dev $SRC_PKG xz-utils "$@"
    unpack_source "$TARBALL" "$KVER"
    mkdir -p "$BUILD_DIR"
    BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
    mk() { make -C "$SRC_DIR" O="$BUILD_DIR" ARCH="$KB_ARCH" ${KB_CROSS:+CROSS_COMPILE=$KB_CROSS} "$@"; }
}

dwarf_extra() {
    local extra=()
    [ "${DWARF:-0}" = 0 ] || WANTED+=(DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT)
    read -r -d "" -a extra <<<"${EXTRA:-}" || true   # -d "": across newlines too
    WANTED+=(${extra[@]+"${extra[@]}"})
}

source_tarball() {
    local t
    case "$KVER" in
        5.10|7.3)
            SRC_PKG= TARBALL=$1/apt/pkg/usr/src/linux-source-$KVER.tar.xz
            [ ! -f "$SRC_DIR/Makefile" ] && [ ! -f "$TARBALL" ] || return 0
            for t in /work/big/*-"$KVER"/apt/pkg/usr/src/linux-source-"$KVER".tar.xz; do
                [ ! -f "$t" ] || { TARBALL=$t; return 0; }
            done
            "$(dirname "${BASH_SOURCE[0]}")/fetch-source.sh" "$KVER" "$1/apt" ;;
        *) SRC_PKG=linux-source-$KVER TARBALL=/usr/src/linux-source-$KVER.tar.xz ;;
    esac
}

unpack_source() {
    local tarball=$1 kver=${2:-} have
    if [ -f "$SRC_DIR/Makefile" ]; then
        [ -n "$kver" ] || return 0
        have=$(make -s -C "$SRC_DIR" kernelversion)
        case "$have" in "$kver".*) ;; *) echo "$SRC_DIR holds $have, not $kver" >&2; exit 1 ;; esac
    else
        echo "extracting $tarball into $SRC_DIR"
        mkdir -p "$SRC_DIR"
        tar -xf "$tarball" -C "$SRC_DIR" --strip-components=1
    fi
}

kconfig_tiny() {
    local args=() o line bad=0 check=$BUILD_DIR/config-check.txt
    local off=(${OFF[@]+"${OFF[@]}"})
    if [ -n "${KCONFIG_BASE:-}" ]; then cp "$KCONFIG_BASE" "$BUILD_DIR/.config"; else mk tinyconfig; fi
    for o in "${WANTED[@]}" "${DEPS[@]}"; do args+=(--enable "$o"); done
    for o in ${off[@]+"${off[@]}"}; do args+=(--disable "$o"); done
    "$SRC_DIR/scripts/config" --file "$BUILD_DIR/.config" "${args[@]}" "$@"
    mk olddefconfig
    : >"$check"
    for o in "${WANTED[@]}" "${DEPS[@]}"; do
        line=$(grep -E "^(CONFIG_$o=|# CONFIG_$o is not set)" "$BUILD_DIR/.config" || echo "CONFIG_$o absent")
        echo "$line" >>"$check"
        case "$line" in CONFIG_$o=y) ;; *) echo "NOT SET: $line"; bad=1 ;; esac
    done
    for o in ${off[@]+"${off[@]}"}; do
        line=$(grep -E "^(CONFIG_$o=|# CONFIG_$o is not set)" "$BUILD_DIR/.config" || echo "CONFIG_$o absent")
        echo "$line" >>"$check"
        case "$line" in CONFIG_$o=y) echo "STILL SET: $line"; bad=1 ;; esac
    done
    [ $bad = 0 ] && echo "all requested options are as requested ($check)"
    return $bad
}

make_image() {
    local start secs
    [ "${CONFIG_ONLY:-0}" = 0 ] || { echo "CONFIG_ONLY: $BUILD_DIR/.config, no $1"; return 0; }
    start=$(date +%s)
    mk -j"${JOBS:-2}" "$1"
    secs=$(( $(date +%s) - start ))
    echo "$1 built in $secs s (make -j${JOBS:-2}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))" |
        tee "$BUILD_DIR/build-time.txt"
    ls -l "$BUILD_DIR/vmlinux" "$BUILD_DIR/System.map"
    cat "$BUILD_DIR/include/config/kernel.release"
}
