#!/usr/bin/env bash
# test_resync_cancel: SPEC J1 — cancelling an in-progress resync (snmpset
# resyncdJobAction = cancel) closes its SSH session at once and leaves the
# device outOfSync; nothing is stored. The device answers slowly (devsim
# fault=slow), so the fetch is surely in progress when it is cancelled.
. "$(dirname "$0")/lib.sh" cancel
job_state() { dump | awk -F'\t' -v j="$1" '$1 == "job" && $2 == j { print $4 }'; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }
# SSH connections from resyncd to the simulated device (client side).
sessions() { ss -Htn state established "( dst 127.0.0.2 and dport = :$port )" | wc -l; }
session_open() { [ "$(sessions)" -ge 1 ]; }
no_session() { [ "$(sessions)" -eq 0 ]; }

command -v snmpset >/dev/null || { echo "SKIP: no snmpset"; exit 0; }

"$DEVSIM" start "$work/sim" --devices 1 >/dev/null
port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
"$DEVSIM" set "$work/sim" r1 fault=slow slow_secs=50
udp_port=$(free_port)
snmp_port=$(free_udp_port)
mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; };
snmp = { mode = "master"; listen = "udp:127.0.0.1:$snmp_port"; community = "t$$"; };
settings = { autoResyncWaitSecs = 1; damperIntervalSecs = 1; resyncTimeoutSecs = 60; };
credentials = ( { name = "sim"; user = "$(id -un)"; key = "$work/sim/client_key"; } );
devices = ( { name = "r1"; address = "127.0.0.2"; port = $port; credential = "sim"; } );
CONF
"$RESYNCD" -f -c "$work/resyncd.conf" 2> "$work/resyncd.log" &
pid=$!
wait_for "resyncd running" grep -q 'running: 1 devices' "$work/resyncd.log"

# The fetch to cancel is r1's initial resync (J7): it starts with resyncd,
# without a commit, and the slow device keeps it in progress.
wait_for "r1 synchronizing" is r1 5 synchronizing
wait_for "the SSH session" session_open
job=$(dump | awk -F'\t' '$1 == "job" && $4 == "inProgress" { print $2 }')
[ -n "$job" ] || fail "no job in progress"

t0=$(date +%s.%N)
snmpset -t 2 -r 1 -v2c -c "t$$" -M "$MIB_PATH" -m RESYNCD-MIB "127.0.0.1:$snmp_port" \
	"RESYNCD-MIB::resyncdJobAction.$job" i 2 >"$work/snmpset.out" 2>&1 ||
	fail "snmpset cancel refused: $(cat "$work/snmpset.out")"
wait_for "job $job cancelled" job_is "$job" cancelled
wait_for "session closed" no_session
elapsed=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
echo "ok: job $job cancelled, session closed ${elapsed} s after the cancel"
# Closed promptly, not when the 50 s reply or the 60 s timeout came.
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 10 else 1)" "$elapsed" ||
	fail "session closed only after $elapsed s"
wait_for "r1 outOfSync" is r1 5 outOfSync
[ "$(field r1 11)" = 0 ] || fail "a cancelled fetch stored a configuration"

kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
echo "PASS test_resync_cancel"
