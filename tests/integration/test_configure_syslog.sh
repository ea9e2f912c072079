#!/usr/bin/env bash
# test_configure_syslog: enabling auto-resync on the device (SPEC S6), with
# real snmpd/snmpset and simulated Junos devices on a real sshd (devsim):
#   a) configure_device_syslog = true: at discovery resyncd merges a
#      "system syslog host" entry for itself (its address and port, the commit
#      messages, structured data) into r1's configuration and commits it;
#      the rest of r1's configuration stays; resyncdDeviceSyslogConfigured
#      says true; r2 (configure_device_syslog = false) is left alone (false);
#   b) resyncdDeviceAction = configureSyslog(4) configures r2 on demand;
#   c) a restart does not configure a configured device again.
. "$(dirname "$0")/lib.sh" cfgsyslog
for t in snmpd snmpset snmpget ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
FAIL_LOGS="resyncd.log snmpd.log"

sim_start 2
udp_port=$(free_udp_port)
snmp_port=$(free_udp_port)
trap_port=$(free_udp_port)
"$DEVSIM" set "$work/sim" all "syslog=127.0.0.1:$udp_port"
start_snmpd "$snmp_port" "$trap_port"
"$DEVSIM" show "$work/sim" r1 > "$work/r1.before"

mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
manager_user = "$(id -un)";
configure_device_syslog = true;
device_syslog_host = "127.0.0.1";
device_syslog_port = $udp_port;
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; tcp = ""; };
snmp = { mode = "agentx"; agentx_socket = "$work/agentx.sock"; };
settings = { autoResyncWaitSecs = 1; resyncTimeoutSecs = 30; };
$(sim_credential)
devices = (
$(sim_devices 1),
	{ name = "r2"; address = "127.0.0.3"; port = $ssh_port; credential = "sim"; configure_device_syslog = false; }
);
CONF
start() {
	run_resyncd
	wait_for "resyncd registered with snmpd" snmp_registered 2
}
start
index_devices
configured() { [ "$(snmp_get "RESYNCD-MIB::resyncdDeviceSyslogConfigured.${ix[$1]}")" = true ]; }
has_entry() {
	"$DEVSIM" show "$work/sim" "$1" > "$work/$1.now"
	grep -q '^        host 127.0.0.1 {$' "$work/$1.now" && grep -q "^            port $udp_port;$" "$work/$1.now" &&
		grep -q '^            interactive-commands info;$' "$work/$1.now" &&
		grep -q '^            structured-data;$' "$work/$1.now"
}

# --- a) at discovery -------------------------------------------------------------------
wait_for "r1 configured" configured r1
has_entry r1 || fail "r1 lacks resyncd's syslog host entry: $(cat "$work/r1.now")"
# Merged: every line r1 had is still there.
grep -vxFf "$work/r1.now" "$work/r1.before" > "$work/r1.lost" && fail "merge lost lines of r1: $(cat "$work/r1.lost")"
[ "$(snmp_get "RESYNCD-MIB::resyncdDeviceSyslogConfigured.${ix[r2]}")" = false ] || fail "r2 configured against its setting"
has_entry r2 && fail "r2's configuration was changed"
snmp_walk -Oq RESYNCD-MIB::resyncdJobType | grep_all configureSyslog || fail "no configureSyslog job"
echo "ok: r1 configured at discovery (merged, true), r2 left alone (false)"

# --- b) on demand ----------------------------------------------------------------------
snmp_set "RESYNCD-MIB::resyncdDeviceAction.${ix[r2]}" i 4 >/dev/null || fail "configureSyslog(4) refused"
wait_for "r2 configured" configured r2
has_entry r2 || fail "r2 lacks resyncd's syslog host entry: $(cat "$work/r2.now")"
echo "ok: configureSyslog(4) configured r2"

# --- c) a restart does not do it again ---------------------------------------------------
jobs_before=$(snmp_walk -Oq RESYNCD-MIB::resyncdJobType | grep -c configureSyslog)
stop_resyncd
start
configured r1 || fail "r1 no longer configured after a restart"
running() { log_has 'running: 2 devices' && [ "$(grep -c 'running: 2 devices' "$work/resyncd.log")" = 2 ]; }
wait_for "second start" running
[ "$(snmp_walk -Oq RESYNCD-MIB::resyncdJobType | grep -c configureSyslog)" = "$jobs_before" ] ||
	fail "a restart configured a configured device again"
echo "ok: nothing configured again after a restart"
stop_resyncd
# --dump-state shows when each was configured (column 17, seconds; 0 never).
dump | awk -F'\t' '$1 == "device" { print $3, ($17 > 0) }' | sort > "$work/dump.syslog"
[ "$(cat "$work/dump.syslog")" = "$(printf 'r1 1\nr2 1')" ] ||
	fail "--dump-state syslogConfigured: $(cat "$work/dump.syslog")"
echo PASS
