#!/usr/bin/env bash
# test_resync_concurrency: 50 simulated devices commit at once; every one is
# resynced from the real sshd and stored, and no more than
# maxConcurrentResyncs NETCONF sessions are ever open at the same time (the
# simulator logs each session's start and end).
N=50
MAX=5
WAIT_SECS=90
. "$(dirname "$0")/lib.sh" conc
count_in_sync_v() { dump | awk -F'\t' -v v="$1" '$1 == "device" && $5 == "inSync" && $11 == v' | wc -l; }
all_in_sync() { [ "$(count_in_sync_v "$1")" -eq $N ]; }

"$DEVSIM" start "$work/sim" --devices $N >/dev/null
port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
# Each reply takes a moment, so sessions overlap whenever the pool allows it.
"$DEVSIM" set "$work/sim" all fault=slow slow_secs=0.4
udp_port=$(free_port)
sim_conf $N "autoResyncWaitSecs = 1; damperIntervalSecs = 1; resyncTimeoutSecs = 30;
             maxConcurrentResyncs = $MAX;"
"$RESYNCD" -f -c "$work/resyncd.conf" 2> "$work/resyncd.log" &
pid=$!
wait_for "resyncd running" grep -q "running: $N devices" "$work/resyncd.log"

# J7: the start's initial resync (one job over the 50), then a commit on
# every device (50 auto jobs): both within maxConcurrentResyncs.
start=$SECONDS
wait_for "$N devices inSync after their initial resync" all_in_sync 1
read -r peak sessions < <("$DEVSIM" concurrency "$work/sim")
echo "ok: $N devices fetched at start in $((SECONDS - start)) s; $sessions NETCONF sessions, at most $peak at once"
[ "$sessions" -eq $N ] || fail "$sessions sessions for $N devices at start"
[ "$peak" -le $MAX ] || fail "$peak sessions at once at start, maxConcurrentResyncs is $MAX"
[ "$peak" -ge 2 ] || fail "the initial resyncs never ran in parallel (peak $peak)"
start=$SECONDS
"$DEVSIM" commit "$work/sim" all --syslog "127.0.0.1:$udp_port" >/dev/null
wait_for "$N devices inSync with a second stored configuration" all_in_sync 2
read -r peak sessions < <("$DEVSIM" concurrency "$work/sim")
echo "ok: $N devices resynced in $((SECONDS - start)) s; $sessions NETCONF sessions in all, at most $peak at once"
[ "$sessions" -eq $((2 * N)) ] || fail "$sessions sessions for $N devices fetched twice"
[ "$peak" -le $MAX ] || fail "$peak sessions at once, maxConcurrentResyncs is $MAX"
[ "$peak" -ge 2 ] || fail "resyncs never ran in parallel (peak $peak)"
grep -q 'resync failed' "$work/resyncd.log" && fail "a resync failed"

kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
echo "PASS test_resync_concurrency"
