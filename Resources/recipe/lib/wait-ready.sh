# Sourced by the capture scripts. wait_for_ready SERIAL_LOG QEMU_PID TIMEOUT_S:
# returns once lib/init.c has printed READY on the serial console (the listing
# is out and the guest is idle); exits the script if QEMU dies or time runs out.
wait_for_ready() {
    local serial=$1 pid=$2 timeout=$3
    local deadline=$(( $(date +%s) + timeout ))
    until grep -aq '^READY' "$serial" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "QEMU exited before READY; see $serial" >&2; exit 1; fi
        if [ "$(date +%s)" -ge "$deadline" ]; then echo "no READY within ${timeout}s" >&2; exit 1; fi
        sleep 0.5
    done
}

# boot_until_ready SERIAL_LOG TIMEOUT_S CMD...: starts CMD (QEMU) in the
# background as QPID, with an EXIT trap that kills it should the script stop
# early, and returns once the guest printed READY (wait_for_ready).
boot_until_ready() {
    local serial=$1 timeout=$2
    shift 2
    "$@" &
    QPID=$!
    trap 'kill $QPID 2>/dev/null || true' EXIT
    wait_for_ready "$serial" "$QPID" "$timeout"
}
