# Sourced by build-kernel.sh, capture.sh and judge.sh: KVER (6.1, the default,
# 6.12 or 7.3) and the work root UE_ROOT it defaults to, and the source tree
# UE_SRC (default UE_ROOT/src; for 7.3, when UE_ROOT/src holds no tree, the
# s390x recipe's /work/big/s390x-7.3/src: Debian sid's linux-source-7.3,
# shared, builds are out of tree).
KVER=${KVER:-6.1}
case "$KVER" in
    6.1)  UE_ROOT=${UE_ROOT:-/work/big/user-entries} ;;
    6.12) UE_ROOT=${UE_ROOT:-/work/big/user-entries-6.12} ;;
    7.3)  UE_ROOT=${UE_ROOT:-/work/big/user-entries-7.3} ;;
    *) echo "KVER must be 6.1, 6.12 or 7.3" >&2; exit 1 ;;
esac
if [ -z "${UE_SRC:-}" ]; then
    UE_SRC=$UE_ROOT/src
    if [ "$KVER" = 7.3 ] && [ ! -f "$UE_SRC/Makefile" ] && [ -f /work/big/s390x-7.3/src/Makefile ]; then
        UE_SRC=/work/big/s390x-7.3/src
    fi
fi
export KVER
