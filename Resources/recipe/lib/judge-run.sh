# Sourced by the judge.sh scripts (x86_64, user-entries), which set J (the
# output folder) and status (0; set to 1 by `must` on a failure).
#   run NAME CMD...    CMD's stdout to J/NAME.txt, stderr to J/NAME.err, its exit
#                      status to J/NAME.rc; returns that status.
#   must NAME CMD...   the same, and a failure is printed and sets status=1.
run() {
    local name=$1; shift
    "$@" >"$J/$name.txt" 2>"$J/$name.err"
    local rc=$?
    echo "$rc" >"$J/$name.rc"
    return $rc
}
must() {
    run "$@" && return 0
    local rc=$?
    echo "FAILED (exit $rc): ${*:2}"
    status=1
    return $rc
}
