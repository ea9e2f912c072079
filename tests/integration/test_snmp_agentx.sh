#!/usr/bin/env bash
# test_snmp_agentx.sh: resyncd as an AgentX subagent of a real snmpd, traps to
# a real snmptrapd. Checks (issue 4): resyncd started before snmpd connects by
# itself; walk and snmptable by name; every setting set and read back; each
# bad-SET class gets its error and changes nothing; a read-only community
# cannot set; a device added and removed by RowStatus; a scheduled job
# cancelled; traps decoded with row-indexed varbinds; snmpd restarted under
# resyncd; a setting survives a restart of resyncd.
set -euo pipefail

SRC=${RESYNCD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${RESYNCD_BUILD_DIR:-$SRC/build}
RESYNCD=$BUILD/resyncd
for t in snmpd snmptrapd snmpwalk snmpset snmpget snmptable; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

T=$(mktemp -d /tmp/resyncd-snmp.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in resyncd.log snmpd.log traps.log; do
		[ -f "$T/$f" ] && { echo "--- $f"; tail -n 40 "$T/$f"; }
	done
	exit 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
SNMP_PORT=$(free_port)
TRAP_PORT=$(free_port)
SYSLOG_PORT=$(free_port)

# Net-snmp tools keep state in SNMP_PERSISTENT_DIR: keep it private.
export SNMP_PERSISTENT_DIR=$T/persist
export MIBDIRS=+$SRC/mibs:$SRC/mibs/stubs
mkdir -p "$SNMP_PERSISTENT_DIR" "$T/state"
MIBOPT=(-M "+$SRC/mibs:$SRC/mibs/stubs" -m +RESYNCD-MIB)
AGENT=127.0.0.1:$SNMP_PORT
q() { "$@" 2>&1 | grep -v -e '^Cannot find module' -e '^Did not find' -e '^Cannot adopt' -e '^MIB search path' || true; }
rw() { q snmpset -t 2 -r 1 -v2c -c rwsecret "${MIBOPT[@]}" "$AGENT" "$@"; }
rwraw() { q snmpset -Ir -t 2 -r 1 -v2c -c rwsecret "${MIBOPT[@]}" "$AGENT" "$@"; }
get() { q snmpget -Oqv -t 2 -r 1 -v2c -c rwsecret "${MIBOPT[@]}" "$AGENT" "$@"; }
walk() { q snmpwalk -t 2 -r 1 -v2c -c public "${MIBOPT[@]}" "$AGENT" "$@"; }

wait_for() { # seconds, description, command...
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for $what"
		sleep 0.2
	done
}

# --- snmptrapd -----------------------------------------------------------------
cat >"$T/snmptrapd.conf" <<CONF
disableAuthorization yes
CONF
snmptrapd -f -C -c "$T/snmptrapd.conf" -Lf "$T/traps.log" "${MIBOPT[@]}" \
	-p "$T/snmptrapd.pid" "udp:127.0.0.1:$TRAP_PORT" &
PIDS+=($!)

# --- snmpd config (started later) ------------------------------------------------
cat >"$T/snmpd.conf" <<CONF
master agentx
agentXSocket $T/agentx.sock
agentXPerms 0600 0700
rocommunity public 127.0.0.1
rwcommunity rwsecret 127.0.0.1
trap2sink 127.0.0.1:$TRAP_PORT public
CONF
start_snmpd() {
	MIBS= snmpd -f -C -c "$T/snmpd.conf" -Lf "$T/snmpd.log" -p "$T/snmpd.pid" "udp:127.0.0.1:$SNMP_PORT" &
	SNMPD_PID=$!
	PIDS+=($SNMPD_PID)
}

# --- resyncd, started before snmpd -----------------------------------------------
cat >"$T/resyncd.conf" <<CONF
state_dir = "$T/state";
known_hosts = "$T/state/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$SYSLOG_PORT"; tcp = ""; };
snmp = { mode = "agentx"; agentx_socket = "$T/agentx.sock"; };
credentials = ( { name = "lab"; user = "netconf"; key = "$T/nokey"; } );
devices = (
  { name = "r1.lab"; address = "192.0.2.1"; port = 830; credential = "lab"; },
  { name = "r2.lab"; address = "192.0.2.2"; port = 830; credential = "lab"; }
);
CONF
start_resyncd() {
	"$RESYNCD" -c "$T/resyncd.conf" -f >>"$T/resyncd.log" 2>&1 &
	RESYNCD_PID=$!
	PIDS+=($RESYNCD_PID)
}
start_resyncd
wait_for 30 "resyncd to report the missing master" grep -q 'AgentX master .* is not reachable' "$T/resyncd.log"

start_snmpd
has_devices() { walk RESYNCD-MIB::resyncdDeviceName | grep -q 'resyncdDeviceName.2 = STRING: r2.lab'; }
wait_for 30 "resyncd to connect to the late snmpd" has_devices
grep -q 'connected to AgentX master' "$T/resyncd.log" || fail "no connection line in the log"
[ "$(grep -c 'is not reachable' "$T/resyncd.log")" -eq 1 ] || fail "the retry was logged more than once"
echo "ok - subagent connects to a master started after it"

# --- walk by name, snmptable ---------------------------------------------------------
W=$(walk RESYNCD-MIB::resyncdMIB)
for want in 'RESYNCD-MIB::autoResyncEnabled.0 = INTEGER: true(1)' \
	'RESYNCD-MIB::resyncdDeviceCount.0 = Gauge32: 2' \
	'RESYNCD-MIB::resyncdDevicesUnknown.0 = Gauge32: 2' \
	'RESYNCD-MIB::resyncdDeviceName.1 = STRING: r1.lab' \
	'RESYNCD-MIB::resyncdDeviceAddress.1 = Hex-STRING: C0 00 02 01' \
	'RESYNCD-MIB::resyncdDeviceManagedStatus.2 = INTEGER: unknown(1)' \
	'RESYNCD-MIB::resyncdDeviceRowStatus.2 = INTEGER: active(1)'; do
	grep -qF "$want" <<<"$W" || fail "walk lacks: $want"
done
q snmptable -Cf '|' -v2c -c public "${MIBOPT[@]}" "$AGENT" RESYNCD-MIB::resyncdDeviceTable | grep -q '^r1.lab|ipv4|' ||
	fail "snmptable of resyncdDeviceTable"
echo "ok - walk and snmptable by name"

# --- every setting: set and read back ---------------------------------------------------
check_set() { # object type value expected-readback
	rw "RESYNCD-MIB::$1.0" "$2" "$3" >/dev/null
	local got
	got=$(get "RESYNCD-MIB::$1.0")
	[ "$got" = "$4" ] || fail "$1: set $3, read back '$got', want '$4'"
}
check_set autoResyncEnabled i false false
check_set autoResyncEnabled i true true
check_set autoResyncWaitSecs u 3600 "3600 seconds"
check_set damperIntervalSecs u 7 "7 seconds"
check_set systemOfRecord i manager manager
check_set systemOfRecord i network network
check_set maxConcurrentResyncs u 3 3
check_set resyncTimeoutSecs u 30 "30 seconds"
check_set jobRetentionDays u 30 "30 days"
check_set jobRetentionCount u 500 500
check_set configVersionsKept u 12 12
grep -q 'setting autoResyncWaitSecs changed from 20 to 3600 by snmp' "$T/resyncd.log" || fail "no log line naming the change"
echo "ok - every setting set and read back, change logged"

# --- bad SETs: the matching error, nothing changed ------------------------------------------
bad() { # expected-error args...
	local want=$1 out
	shift
	out=$(rwraw "$@")
	grep -q "Reason: $want" <<<"$out" || fail "SET $* gave: $out (want $want)"
}
bad wrongType RESYNCD-MIB::autoResyncWaitSecs.0 i 5
bad wrongValue RESYNCD-MIB::autoResyncWaitSecs.0 u 90000
bad wrongValue RESYNCD-MIB::damperIntervalSecs.0 u 0
bad wrongValue RESYNCD-MIB::autoResyncEnabled.0 i 3
bad notWritable RESYNCD-MIB::resyncdDeviceCount.0 u 5
bad notWritable RESYNCD-MIB::resyncdDeviceManagedStatus.1 i 2
bad noCreation RESYNCD-MIB::resyncdDeviceName.99 s ghost.lab
bad noCreation RESYNCD-MIB::resyncdJobAction.4000 i 2
bad inconsistentValue RESYNCD-MIB::resyncdDeviceRowStatus.1 i createAndGo
bad inconsistentValue RESYNCD-MIB::resyncdDeviceRowStatus.9 i createAndGo
# One bad varbind refuses the whole PDU: the good one in it is not applied.
bad wrongValue RESYNCD-MIB::jobRetentionDays.0 u 9 RESYNCD-MIB::autoResyncWaitSecs.0 u 90000
[ "$(get RESYNCD-MIB::autoResyncWaitSecs.0)" = "3600 seconds" ] || fail "a refused SET changed autoResyncWaitSecs"
[ "$(get RESYNCD-MIB::jobRetentionDays.0)" = "30 days" ] || fail "a refused PDU changed jobRetentionDays"
[ -z "$(get RESYNCD-MIB::resyncdDeviceName.9 | grep -v 'No Such')" ] || fail "a refused createAndGo made a row"
out=$(q snmpset -t 2 -r 1 -v2c -c public "${MIBOPT[@]}" "$AGENT" RESYNCD-MIB::jobRetentionDays.0 u 1)
grep -q -e noAccess -e authorizationError <<<"$out" || fail "read-only community could set: $out"
[ "$(get RESYNCD-MIB::jobRetentionDays.0)" = "30 days" ] || fail "read-only community changed a setting"
echo "ok - bad SETs refused with wrongType/wrongValue/notWritable/noCreation/inconsistentValue, nothing changed"

# --- add and remove a device by RowStatus ----------------------------------------------------
rw RESYNCD-MIB::resyncdDeviceRowStatus.5 i createAndGo RESYNCD-MIB::resyncdDeviceName.5 s r5.lab \
	RESYNCD-MIB::resyncdDeviceAddressType.5 i ipv4 RESYNCD-MIB::resyncdDeviceAddress.5 x 0A090905 \
	RESYNCD-MIB::resyncdDeviceCredential.5 s lab >/dev/null
[ "$(get RESYNCD-MIB::resyncdDeviceName.5)" = '"r5.lab"' ] || [ "$(get RESYNCD-MIB::resyncdDeviceName.5)" = r5.lab ] ||
	fail "createAndGo did not add r5.lab"
[ "$(get RESYNCD-MIB::resyncdDeviceCount.0)" = 3 ] || fail "device count after add"
rw RESYNCD-MIB::resyncdDeviceRowStatus.5 i destroy >/dev/null
get RESYNCD-MIB::resyncdDeviceName.5 | grep -q 'No Such Instance' || fail "destroy did not remove r5.lab"
[ "$(get RESYNCD-MIB::resyncdDeviceCount.0)" = 2 ] || fail "device count after destroy"
echo "ok - device added and removed by RowStatus"

# --- a commit schedules a job (W = 3600 s); cancel it ------------------------------------------
printf '<189>%s r1.lab mgd[4242]: UI_COMMIT_COMPLETED: commit complete' "$(LC_ALL=C date '+%b %e %H:%M:%S')" \
	>/dev/udp/127.0.0.1/$SYSLOG_PORT
scheduled_job() { walk RESYNCD-MIB::resyncdJobState | grep -m1 'INTEGER: scheduled(1)' | sed -n 's/.*resyncdJobState\.\([0-9]*\) .*/\1/p'; }
JOB=
find_job() { JOB=$(scheduled_job); [ -n "$JOB" ]; }
wait_for 30 "the commit to schedule a job" find_job
[ "$(get RESYNCD-MIB::resyncdDeviceManagedStatus.1)" = outOfSync ] || fail "r1.lab not outOfSync after commit"
bad inconsistentValue "RESYNCD-MIB::resyncdJobAction.$JOB" i retry
rw "RESYNCD-MIB::resyncdJobAction.$JOB" i cancel >/dev/null
[ "$(get "RESYNCD-MIB::resyncdJobState.$JOB")" = cancelled ] || fail "job $JOB not cancelled"
bad inconsistentValue "RESYNCD-MIB::resyncdJobAction.$JOB" i cancel
echo "ok - scheduled job $JOB cancelled"

# --- traps, decoded, with row indexes --------------------------------------------------------------
trap_seen() { grep -q "$1" "$T/traps.log"; }
wait_for 30 "deviceManagedStatusChange trap" trap_seen 'RESYNCD-MIB::deviceManagedStatusChange'
wait_for 30 "jobStateChange trap for the cancel" trap_seen "RESYNCD-MIB::resyncdJobState.$JOB = INTEGER: cancelled(5)"
grep -q 'RESYNCD-MIB::resyncdDeviceName.1 = STRING: r1.lab' "$T/traps.log" || fail "status trap lacks resyncdDeviceName.1"
grep -q 'RESYNCD-MIB::resyncdNotifPreviousStatus.1 = INTEGER: unknown(1)' "$T/traps.log" || fail "status trap lacks the old status"
grep -q 'RESYNCD-MIB::resyncdDeviceManagedStatus.1 = INTEGER: outOfSync(3)' "$T/traps.log" || fail "status trap lacks the new status"
echo "ok - traps decoded with row-indexed varbinds"

# --- snmpd restarted under resyncd ---------------------------------------------------------------------
kill "$SNMPD_PID"
wait "$SNMPD_PID" 2>/dev/null || true
wait_for 30 "resyncd to notice the master went away" grep -q 'AgentX master .* went away' "$T/resyncd.log"
start_snmpd
wait_for 30 "resyncd to reconnect to the restarted snmpd" has_devices
[ "$(grep -c 'went away' "$T/resyncd.log")" -eq 1 ] || fail "the lost master was logged more than once"
echo "ok - reconnects after snmpd restarts"

# --- settings survive a restart of resyncd -------------------------------------------------------------
kill "$RESYNCD_PID"
wait "$RESYNCD_PID" 2>/dev/null || true
start_resyncd
persisted() { [ "$(get RESYNCD-MIB::autoResyncWaitSecs.0)" = "3600 seconds" ]; }
wait_for 30 "autoResyncWaitSecs to survive a restart" persisted
echo "ok - settings persisted across a restart"
echo "PASS"
