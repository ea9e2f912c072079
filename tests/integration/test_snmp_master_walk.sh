#!/usr/bin/env bash
# test_snmp_master_walk.sh: resyncd as an embedded master agent answers every
# GETNEXT/GETBULK walk to its end. Regression for the demo's hang (resyncd at
# 100% CPU in net-snmp's handle_getnext_loop after the last row of a table or
# the last scalar of a group): with 3 devices and 2 finished jobs, after a
# device is removed, with no devices left, and on a fresh daemon with nothing
# configured, snmpwalk and snmpbulkwalk of the whole RESYNCD-MIB (and of the
# whole agent) end with the right number of objects in increasing OID order
# (snmpwalk fails on "OID not increasing"), snmptable reads each table, and
# the agent still answers afterwards. Every client call runs under timeout.
set -euo pipefail

SRC=${RESYNCD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${RESYNCD_BUILD_DIR:-$SRC/build}
RESYNCD=$BUILD/resyncd
for t in snmpwalk snmpbulkwalk snmpset snmpget snmptable timeout; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

T=$(mktemp -d /tmp/resyncd-walk.XXXXXX)
PID=
# A resyncd spinning inside net-snmp never reaches its SIGTERM handler:
# give it 10 s, then SIGKILL, so a hang fails the test instead of blocking it.
stop_resyncd() {
	[ -n "$PID" ] || return 0
	kill "$PID" 2>/dev/null || true
	local deadline=$((SECONDS + 10))
	while kill -0 "$PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
	kill -9 "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=
}
cleanup() {
	stop_resyncd
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	[ -f "$T/resyncd.log" ] && { echo "--- resyncd.log"; tail -n 30 "$T/resyncd.log"; }
	[ -n "$PID" ] && ps -o pid,pcpu,stat,time -p "$PID" || true
	exit 1
}

udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
tcp_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

export SNMP_PERSISTENT_DIR=$T/persist
mkdir -p "$SNMP_PERSISTENT_DIR"
# Debian ships no IETF MIB modules: mibs/stubs stands in for them.
OPTS=(-v2c -c walk -t 3 -r 1 -M "$SRC/mibs:$SRC/mibs/stubs:/usr/share/snmp/mibs" -m RESYNCD-MIB)
DEAD_PORT=$(tcp_port) # nothing listens: each resync fails at once

start_resyncd() { # name, devices (libconfig list body)
	local snmp_port
	snmp_port=$(udp_port)
	mkdir -p "$T/$1"
	cat >"$T/$1/resyncd.conf" <<CONF
state_dir = "$T/$1/state";
listen = { relp = "127.0.0.1:$(tcp_port)"; udp = "127.0.0.1:$(udp_port)"; };
snmp = { mode = "master"; listen = "udp:127.0.0.1:$snmp_port"; community = "walk"; };
devices = ( $2 );
CONF
	"$RESYNCD" -f -c "$T/$1/resyncd.conf" 2>"$T/resyncd.log" &
	PID=$!
	AGENT=127.0.0.1:$snmp_port
	wait_for 30 "the SNMP agent" sh -c "timeout 10 snmpget ${OPTS[*]} -Oqv $AGENT RESYNCD-MIB::resyncdDeviceCount.0 >/dev/null 2>&1"
}

wait_for() { # seconds, description, command...
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
		sleep 0.2
	done
}

get() { timeout 10 snmpget "${OPTS[@]}" -Oqv "$AGENT" "$@"; }

# One walk with tool $1 of OID $2: must end, in order, with $3 RESYNCD-MIB objects.
walk_ok() {
	local out rc=0 n
	out=$(timeout 20 "$1" "${OPTS[@]}" "$AGENT" "$2" 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "$1 $2 exited $rc (124: hung): $(tail -n 3 <<<"$out")"
	grep -q 'not increasing' <<<"$out" && fail "$1 $2: $(grep 'not increasing' <<<"$out")"
	n=$(grep '^RESYNCD-MIB::' <<<"$out" | grep -vc 'No more variables' || true)
	[ "$n" -eq "$3" ] || fail "$1 $2: $n objects, want $3"
}

# Everything a manager walks, then proof that the agent is not spinning.
check_walks() { # label, objects in RESYNCD-MIB, device rows, job rows
	echo "== $1"
	for tool in snmpwalk snmpbulkwalk; do
		walk_ok $tool RESYNCD-MIB::resyncdMIB "$2"
		walk_ok $tool .1 "$2"
		walk_ok $tool RESYNCD-MIB::resyncdStatus 23
		walk_ok $tool RESYNCD-MIB::resyncdSettings 9
	done
	local table rows out rc
	for table in resyncdDeviceTable:$3 resyncdJobTable:$4 resyncdJobDeviceTable:$4; do
		rows=${table#*:}
		table=${table%:*}
		rc=0
		out=$(timeout 20 snmptable "${OPTS[@]}" -Cb -Cf '|' -CH "$AGENT" "RESYNCD-MIB::$table" 2>&1) || rc=$?
		[ $rc -eq 0 ] || fail "snmptable $table exited $rc (124: hung)"
		if [ "$rows" -eq 0 ]; then
			grep -q 'No entries' <<<"$out" || fail "snmptable $table: want no entries, got: $out"
		else
			[ "$(grep -c '|' <<<"$out")" -eq "$rows" ] || fail "snmptable $table: want $rows rows, got: $out"
		fi
	done
	[ "$(get RESYNCD-MIB::resyncdDeviceCount.0)" = "$3" ] || fail "agent does not answer after the walks"
}

# 3 devices, a failed manual resync on two of them (2 finished jobs, 1 task each).
start_resyncd full "
  { name = \"r1\"; address = \"127.0.0.2\"; port = $DEAD_PORT; },
  { name = \"r2\"; address = \"127.0.0.3\"; port = $DEAD_PORT; },
  { name = \"r3\"; address = \"127.0.0.4\"; port = $DEAD_PORT; }"
for i in 1 2; do
	timeout 10 snmpset "${OPTS[@]}" "$AGENT" "RESYNCD-MIB::resyncdDeviceAction.$i" i 2 >/dev/null ||
		fail "resync of device $i refused"
done
finished() { [ "$(get RESYNCD-MIB::resyncdJobsFailed.0)" = 2 ]; }
wait_for 30 "2 failed jobs" finished
# settings 9 + status 23 + 19 device columns - index + 14 job columns - id + 2 per job task
check_walks "3 devices, 2 jobs" $((9 + 23 + 3 * 18 + 2 * 13 + 2 * 2)) 3 2

timeout 10 snmpset "${OPTS[@]}" "$AGENT" RESYNCD-MIB::resyncdDeviceRowStatus.2 i 6 >/dev/null ||
	fail "destroy of device 2 refused"
check_walks "device 2 removed" $((9 + 23 + 2 * 18 + 2 * 13 + 2 * 2)) 2 2

for i in 1 3; do
	timeout 10 snmpset "${OPTS[@]}" "$AGENT" "RESYNCD-MIB::resyncdDeviceRowStatus.$i" i 6 >/dev/null ||
		fail "destroy of device $i refused"
done
check_walks "no devices left, jobs kept" $((9 + 23 + 2 * 13 + 2 * 2)) 0 2
stop_resyncd

start_resyncd empty ""
check_walks "fresh daemon, nothing configured" $((9 + 23)) 0 0
stop_resyncd
echo "PASS"
