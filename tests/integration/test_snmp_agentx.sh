#!/usr/bin/env bash
# test_snmp_agentx.sh: resyncd as an AgentX subagent of a real snmpd, traps to
# a real snmptrapd. Checks (issue 4): resyncd started before snmpd connects by
# itself; walk and snmptable by name; every setting set and read back; each
# bad-SET class gets its error and changes nothing; a read-only community
# cannot set; a device added and removed by RowStatus; a scheduled job
# cancelled; traps decoded with row-indexed varbinds; snmpd restarted under
# resyncd; a setting survives a restart of resyncd.
. "$(dirname "$0")/lib.sh" snmp
for t in snmpd snmptrapd snmpwalk snmpset snmpget snmptable ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
FAIL_LOGS="resyncd.log snmpd.log traps.log"

# Net-snmp tools keep state in SNMP_PERSISTENT_DIR: keep it private.
export SNMP_PERSISTENT_DIR=$work/persist
mkdir -p "$SNMP_PERSISTENT_DIR" "$work/state"
snmp_port=$(free_udp_port)
trap_port=$(free_udp_port)
syslog_port=$(free_udp_port)
start_snmptrapd "$trap_port"

# --- resyncd, started before snmpd -----------------------------------------------
cat >"$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/state/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$syslog_port"; tcp = ""; };
snmp = { mode = "agentx"; agentx_socket = "$work/agentx.sock"; };
credentials = ( { name = "lab"; user = "netconf"; key = "$work/nokey"; } );
devices = (
  { name = "r1.lab"; address = "192.0.2.1"; port = 830; credential = "lab"; },
  { name = "r2.lab"; address = "192.0.2.2"; port = 830; credential = "lab"; }
);
CONF
run_resyncd
wait_for "resyncd to report the missing master" log_has 'AgentX master .* is not reachable'

start_snmpd "$snmp_port" "$trap_port"
snmpd_pid=${daemon_pids[-1]} # start_snmpd tracked it last
has_devices() { snmp_walk RESYNCD-MIB::resyncdDeviceName | grep_all 'resyncdDeviceName.2 = STRING: r2.lab'; }
wait_for "resyncd to connect to the late snmpd" has_devices
log_has 'connected to AgentX master' || fail "no connection line in the log"
[ "$(grep -c 'is not reachable' "$work/resyncd.log")" -eq 1 ] || fail "the retry was logged more than once"
echo "ok - subagent connects to a master started after it"

# --- walk by name, snmptable ---------------------------------------------------------
W=$(snmp_walk RESYNCD-MIB::resyncdMIB)
for want in 'RESYNCD-MIB::autoResyncEnabled.0 = INTEGER: true(1)' \
	'RESYNCD-MIB::resyncdDeviceCount.0 = Gauge32: 2' \
	'RESYNCD-MIB::resyncdJobDeviceCount.1 = Gauge32: 2' \
	'RESYNCD-MIB::resyncdDeviceName.1 = STRING: r1.lab' \
	'RESYNCD-MIB::resyncdDeviceAddress.1 = Hex-STRING: C0 00 02 01' \
	'RESYNCD-MIB::resyncdDeviceCommitCount.2 = Counter64: 0' \
	'RESYNCD-MIB::resyncdDeviceRowStatus.2 = INTEGER: active(1)'; do
	grep -qF "$want" <<<"$W" || fail "walk lacks: $want"
done
snmp_table RESYNCD-MIB::resyncdDeviceTable | grep_all '^r1.lab|ipv4|' || fail "snmptable of resyncdDeviceTable"
echo "ok - walk and snmptable by name"

# --- every setting: set and read back ---------------------------------------------------
check_set() { # object type value expected-readback
	snmp_set "RESYNCD-MIB::$1.0" "$2" "$3" >/dev/null
	local got
	got=$(snmp_get "RESYNCD-MIB::$1.0")
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
log_has 'setting autoResyncWaitSecs changed from 20 to 3600 by snmp' || fail "no log line naming the change"
echo "ok - every setting set and read back, change logged"

# --- bad SETs: the matching error, nothing changed ------------------------------------------
# set_as COMMUNITY ARGS...: snmpset -Ir, so the agent, not snmpset, judges the value.
set_as() { local c=$1; shift; snmp_quiet snmpset -Ir -t 2 -r 2 -v2c -c "$c" "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }
bad() { # expected-error args...
	local want=$1 out
	shift
	out=$(set_as rwsecret "$@")
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
[ "$(snmp_get RESYNCD-MIB::autoResyncWaitSecs.0)" = "3600 seconds" ] || fail "a refused SET changed autoResyncWaitSecs"
[ "$(snmp_get RESYNCD-MIB::jobRetentionDays.0)" = "30 days" ] || fail "a refused PDU changed jobRetentionDays"
[ -z "$(snmp_get RESYNCD-MIB::resyncdDeviceName.9 | grep -v 'No Such')" ] || fail "a refused createAndGo made a row"
out=$(set_as public RESYNCD-MIB::jobRetentionDays.0 u 1)
grep -q -e noAccess -e authorizationError <<<"$out" || fail "read-only community could set: $out"
[ "$(snmp_get RESYNCD-MIB::jobRetentionDays.0)" = "30 days" ] || fail "read-only community changed a setting"
echo "ok - bad SETs refused with wrongType/wrongValue/notWritable/noCreation/inconsistentValue, nothing changed"

# --- add and remove a device by RowStatus ----------------------------------------------------
snmp_set RESYNCD-MIB::resyncdDeviceRowStatus.5 i createAndGo RESYNCD-MIB::resyncdDeviceName.5 s r5.lab \
	RESYNCD-MIB::resyncdDeviceAddressType.5 i ipv4 RESYNCD-MIB::resyncdDeviceAddress.5 x 0A090905 \
	RESYNCD-MIB::resyncdDeviceCredential.5 s lab >/dev/null
[ "$(snmp_get RESYNCD-MIB::resyncdDeviceName.5)" = '"r5.lab"' ] || [ "$(snmp_get RESYNCD-MIB::resyncdDeviceName.5)" = r5.lab ] ||
	fail "createAndGo did not add r5.lab"
[ "$(snmp_get RESYNCD-MIB::resyncdDeviceCount.0)" = 3 ] || fail "device count after add"
snmp_set RESYNCD-MIB::resyncdDeviceRowStatus.5 i destroy >/dev/null
snmp_get RESYNCD-MIB::resyncdDeviceName.5 | grep_all 'No Such Instance' || fail "destroy did not remove r5.lab"
[ "$(snmp_get RESYNCD-MIB::resyncdDeviceCount.0)" = 2 ] || fail "device count after destroy"
echo "ok - device added and removed by RowStatus"

# --- a commit schedules a job (W = 3600 s); cancel it ------------------------------------------
udp_send "$syslog_port" "<189>$(LC_ALL=C date '+%b %e %H:%M:%S') r1.lab mgd[4242]: UI_COMMIT_COMPLETED: commit complete"
scheduled_job() { snmp_walk RESYNCD-MIB::resyncdJobState | grep -m1 'INTEGER: scheduled(1)' | sed -n 's/.*resyncdJobState\.\([0-9]*\) .*/\1/p'; }
JOB=
find_job() { JOB=$(scheduled_job); [ -n "$JOB" ]; }
wait_for "the commit to schedule a job" find_job
[ "$(snmp_get RESYNCD-MIB::resyncdDeviceManagedStatus.1)" = outOfSync ] || fail "r1.lab not outOfSync after commit"
bad inconsistentValue "RESYNCD-MIB::resyncdJobAction.$JOB" i retry
snmp_set "RESYNCD-MIB::resyncdJobAction.$JOB" i cancel >/dev/null
[ "$(snmp_get "RESYNCD-MIB::resyncdJobState.$JOB")" = cancelled ] || fail "job $JOB not cancelled"
bad inconsistentValue "RESYNCD-MIB::resyncdJobAction.$JOB" i cancel
echo "ok - scheduled job $JOB cancelled"

# --- traps, decoded, with row indexes --------------------------------------------------------------
# The two configured devices went unknown -> synchronizing (their initial
# resync, J7) before snmpd was up, so those traps are gone; r3.lab, added now
# over SNMP, gives deviceAdded and its own unknown -> synchronizing.
snmp_set RESYNCD-MIB::resyncdDeviceName.3 s r3.lab RESYNCD-MIB::resyncdDeviceAddress.3 s 192.0.2.3 \
	RESYNCD-MIB::resyncdDeviceRowStatus.3 i createAndGo >/dev/null
# traps.log has one notification a line: the varbinds of one trap are checked together.
traps_of() { grep -F "RESYNCD-MIB::$1" "$work/traps.log" || true; }
trap_seen() { traps_of "$1" | grep_all -F "$2"; }
wait_for "deviceAdded trap" trap_seen deviceAdded 'resyncdDeviceName.3 = STRING: r3.lab'
wait_for "deviceManagedStatusChange trap" trap_seen deviceManagedStatusChange 'resyncdDeviceName.3 = STRING: r3.lab'
wait_for "jobStateChange trap for the cancel" trap_seen jobStateChange "RESYNCD-MIB::resyncdJobState.$JOB = INTEGER: cancelled(5)"
status_trap=$(traps_of deviceManagedStatusChange | grep -F 'RESYNCD-MIB::resyncdDeviceName.3 = STRING: r3.lab' | head -1)
grep -qF 'RESYNCD-MIB::resyncdNotifPreviousStatus.3 = INTEGER: unknown(1)' <<<"$status_trap" || fail "status trap lacks the old status"
grep -qF 'RESYNCD-MIB::resyncdDeviceManagedStatus.3 = INTEGER: synchronizing(4)' <<<"$status_trap" || fail "status trap lacks the new status"
echo "ok - traps decoded with row-indexed varbinds"

# --- snmpd restarted under resyncd ---------------------------------------------------------------------
stop_daemon "$snmpd_pid"
wait_for "resyncd to notice the master went away" log_has 'AgentX master .* went away'
start_snmpd "$snmp_port" "$trap_port"
wait_for "resyncd to reconnect to the restarted snmpd" has_devices
[ "$(grep -c 'went away' "$work/resyncd.log")" -eq 1 ] || fail "the lost master was logged more than once"
echo "ok - reconnects after snmpd restarts"

# --- settings survive a restart of resyncd -------------------------------------------------------------
stop_resyncd
run_resyncd
persisted() { [ "$(snmp_get RESYNCD-MIB::autoResyncWaitSecs.0)" = "3600 seconds" ]; }
wait_for "autoResyncWaitSecs to survive a restart" persisted
echo "ok - settings persisted across a restart"
# net-snmp reads its state file once (it read it twice: the configuration
# and persistent directories were one, and oldEngineID's second read warned).
! grep -q "buffer too small" "$work/resyncd.log" || fail "net-snmp warned at the restart: $(grep "buffer too small" "$work/resyncd.log")"
echo "PASS"
