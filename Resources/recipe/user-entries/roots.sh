# Sourced by build-kernel.sh, capture.sh and judge.sh: KVER (6.1, the default,
# or 6.12) and the work root UE_ROOT it defaults to.
KVER=${KVER:-6.1}
case "$KVER" in
    6.1)  UE_ROOT=${UE_ROOT:-/work/big/user-entries} ;;
    6.12) UE_ROOT=${UE_ROOT:-/work/big/user-entries-6.12} ;;
    *) echo "KVER must be 6.1 or 6.12" >&2; exit 1 ;;
esac
export KVER
