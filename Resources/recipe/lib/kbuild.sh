# Sourced by the build-kernel.sh scripts, once SRC_DIR and BUILD_DIR are set and
# mk() (make -C SRC_DIR O=BUILD_DIR ARCH=... "$@") is defined:
#   unpack_source TARBALL [KVER]  SRC_DIR from TARBALL unless it holds a tree
#                                 already (which must be KVER's, when given)
#   kconfig_tiny [ARG...]         tinyconfig (or a copy of KCONFIG_BASE); scripts/config --enable every WANTED
#                                 and DEPS option, --disable every OFF one, then
#                                 ARGs; olddefconfig; BUILD_DIR/config-check.txt.
#                                 Returns 1 (after saying which) when a WANTED or
#                                 DEPS option is not =y or an OFF one is set.
#   make_image TARGET             make -jJOBS TARGET, timed (BUILD_DIR/build-time.txt)
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
    start=$(date +%s)
    mk -j"${JOBS:-2}" "$1"
    secs=$(( $(date +%s) - start ))
    echo "$1 built in $secs s (make -j${JOBS:-2}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))" |
        tee "$BUILD_DIR/build-time.txt"
    ls -l "$BUILD_DIR/vmlinux" "$BUILD_DIR/System.map"
    cat "$BUILD_DIR/include/config/kernel.release"
}
