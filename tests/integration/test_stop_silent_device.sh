#!/usr/bin/env bash
# test_stop_silent_device: a device that takes the connection and never
# answers cannot hold resyncd's stop. SIGTERM waits for running fetches for
# at most 10 s (STOP_GRACE_SECS), then cancels them — not for
# resyncTimeoutSecs (here an hour, which systemd's TimeoutStopSec would have
# cut short with SIGKILL). The interrupted job ends at the next start as
# "interrupted by restart" and the device is resynced again (SPEC J5).
. "$(dirname "$0")/lib.sh" stopsilent
job_state() { dump | awk -F'\t' -v j="$1" '$1 == "job" && $2 == j { print $4 }'; }
sessions() { ss -Htn state established "( dst 127.0.0.2 and dport = :$port )" | wc -l; }
session_open() { [ "$(sessions)" -ge 1 ]; }

sim_start 1
port=$ssh_port
"$DEVSIM" set "$work/sim" r1 fault=slow slow_secs=3000
udp_port=$(free_port)
sim_conf 1 "resyncTimeoutSecs = 3600;"
run_resyncd
wait_for "resyncd running" grep -q 'running: 1 devices' "$work/resyncd.log"
# r1's initial resync (J7) is the fetch the silent device holds.
wait_for "r1 synchronizing" is r1 5 synchronizing
wait_for "the SSH session" session_open
job=$(dump | awk -F'\t' '$1 == "job" && $4 == "inProgress" { print $2 }')
[ -n "$job" ] || fail "no job in progress"

t0=$SECONDS
kill "$pid"
# 10 s of grace, then the cancel; 40 s leaves room for a busy machine and
# is still nothing like the hour resyncTimeoutSecs allows.
for _ in $(seq 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	kill -9 "$pid"
	fail "resyncd still running $((SECONDS - t0)) s after SIGTERM with a fetch held by a silent device"
fi
wait "$pid" || fail "resyncd exited with $? after SIGTERM"
pid=
took=$((SECONDS - t0))
echo "ok: stopped ${took} s after SIGTERM"
[ "$took" -ge 9 ] || fail "stopped after $took s: the running fetch got no grace"
log_has "stopping: 1 fetches still running" || fail "the stop did not log the running fetch"
[ "$(sessions)" -eq 0 ] || fail "the SSH session outlived resyncd"
# The silent device's NETCONF server ends with its session, as a device's
# does (devsim used to sleep slow_secs, 50 min here, after the hang-up).
servers() { pgrep -f "netconf-server $work/sim" | wc -l; }
wait_for "the silent device's NETCONF server gone" eval '[ "$(servers)" -eq 0 ]'
[ "$(job_state "$job")" = inProgress ] || fail "job $job is $(job_state "$job") in the store, want inProgress until the next start"

# The next start: J5. The device answers now.
"$DEVSIM" set "$work/sim" r1 fault=none
run_resyncd
wait_for "job $job ended as failure" eval '[ "$(job_state "$job")" = failure ]'
dump | awk -F'\t' -v j="$job" '$1 == "job" && $2 == j' | grep_all "interrupted by restart" ||
	fail "job $job does not say 'interrupted by restart': $(dump | awk -F'\t' -v j="$job" '$1 == "job" && $2 == j')"
wait_for "r1 resynced again, inSync" is r1 5 inSync
kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
echo "PASS test_stop_silent_device"
