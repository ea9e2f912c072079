#!/usr/bin/env bash
# test_inventory_current: the recurring inventory resync
# (inventoryResyncIntervalSecs, issue 14 item 4), the safety net for commit
# messages that never arrived, over devsim on a real sshd and resyncd as
# embedded SNMP master:
#   r1 did not commit since it was fetched: asked <get-commit-information/>,
#      its newest commit is the stored version's, so it is not fetched (its
#      job-device row: skipped, "configuration current ...");
#   r2 committed but its syslog message was lost (no --syslog): asked, the
#      commit is newer, so it is fetched and version 2 stored;
#   r3 is no Junos device (no <get-commit-information/>): fetched as before.
# The job's summary and resyncdInventoryDevicesCurrent count r1; the next
# run is scheduled. A resync all (resyncdInventoryAction) fetches r1 anyway.
. "$(dirname "$0")/lib.sh" invcur
for t in snmpget snmpset snmpwalk; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
export SNMP_PERSISTENT_DIR=$work/persist
mkdir -p "$SNMP_PERSISTENT_DIR" "$work/state"
sim_start 3
"$DEVSIM" set "$work/sim" r1 commit_seconds=1700000001
"$DEVSIM" set "$work/sim" r2 commit_seconds=1700000002
"$DEVSIM" set "$work/sim" r3 junos=0
snmp_port=$(free_udp_port)
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = ""; udp = ""; tcp = ""; };
snmp = { mode = "master"; listen = "udp:127.0.0.1:$snmp_port"; community = "rwsecret"; };
settings = { inventoryResyncIntervalSecs = 3600; resyncTimeoutSecs = 20; };
$(sim_credential)
devices = (
$(sim_devices 3)
);
CONF
SNMP_AGENT=127.0.0.1:$snmp_port
SNMP_READ_COMMUNITY=rwsecret
run_resyncd
wait_for "resyncd's SNMP agent" snmp_registered 3
index_devices r1 r2 r3
version() { get "resyncdDeviceConfigVersion.${ix[$1]}"; }
has_version() { [ "$(version "$1")" = "$2" ]; }
# J7 fetched each at start: version 1.
for n in r1 r2 r3; do wait_for "$n's initial resync" has_version "$n" 1; done
# inventory_job STATE: the id of the (one) inventoryResync job in STATE.
inventory_job() {
	local j
	for j in $(job_ids); do
		if [ "$(get "resyncdJobType.$j")" = inventoryResync ] && [ "$(get "resyncdJobState.$j")" = "$1" ]; then
			echo "$j"
		fi
	done | tail -n 1
}
inv=$(inventory_job scheduled)
[ -n "$inv" ] || fail "no recurring inventory resync scheduled"
[ "$(get "resyncdJobRecurrenceSecs.$inv")" = "3600 seconds" ] || fail "job $inv recurs every $(get "resyncdJobRecurrenceSecs.$inv") s"

# r2 commits; resyncd never hears of it.
"$DEVSIM" commit "$work/sim" r2 --user dave >/dev/null
# The run starts now instead of in an hour (J3: a scheduled job's start is writable).
now=$(python3 -c 'import time; t=time.gmtime(); print("%04x%02x%02x%02x%02x%02x00" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec))')
snmp_set "RESYNCD-MIB::resyncdJobScheduledStart.$inv" x "$now" | grep_all resyncdJobScheduledStart ||
	fail "rescheduling job $inv refused"
wait_for "inventory job $inv ends" job_final "$inv"
summary=$(get "resyncdJobSummary.$inv")
[ "$(get "resyncdJobState.$inv")" = success ] || fail "job $inv: $(get "resyncdJobState.$inv"): $summary"
grep_all -F '2 of 3 devices fetched; 1 current, not fetched' <<<"$summary" || fail "job $inv's summary: $summary"
[ "$(version r1)" = 1 ] || fail "r1 was fetched: version $(version r1)"
[ "$(version r2)" = 2 ] || fail "r2's lost commit was not fetched: version $(version r2)"
for n in r1 r2 r3; do
	[ "$(get "resyncdDeviceManagedStatus.${ix[$n]}")" = inSync ] || fail "$n: $(get "resyncdDeviceManagedStatus.${ix[$n]}")"
done
[ "$(get "resyncdJobDeviceState.$inv.1")" = skipped ] || fail "r1's task: $(get "resyncdJobDeviceState.$inv.1")"
get "resyncdJobDeviceReason.$inv.1" | grep_all 'configuration current: last commit 2023-11-14 22:13:21 UTC by admin, not fetched' ||
	fail "r1's task reason: $(get "resyncdJobDeviceReason.$inv.1")"
[ "$(get "resyncdJobDeviceState.$inv.2")" = ok ] || fail "r2's task: $(get "resyncdJobDeviceState.$inv.2")"
[ "$(get "resyncdJobDeviceState.$inv.3")" = ok ] || fail "r3's task: $(get "resyncdJobDeviceState.$inv.3")"
[ "$(get resyncdInventoryDevicesCurrent.0)" = 1 ] || fail "resyncdInventoryDevicesCurrent $(get resyncdInventoryDevicesCurrent.0)"
log_has 'device r1: resync skipped: configuration current' || fail "no log line for r1"
[ -n "$(inventory_job scheduled)" ] || fail "no next run scheduled (J3)"
echo "ok: the recurring inventory resync fetched r2 (lost commit) and r3, skipped r1 as current"

# An operator's resync of the inventory fetches every device, r1 too.
snmp_set RESYNCD-MIB::resyncdInventoryAction.0 i 2 | grep_all resyncdInventoryAction || fail "resyncAll refused"
all=$(inventory_job inProgress)
[ -n "$all" ] || all=$(last_job)
wait_for "resync all $all ends" job_final "$all"
[ "$(get "resyncdJobDeviceState.$all.1")" = ok ] || fail "resync all: r1's task $(get "resyncdJobDeviceState.$all.1")"
[ "$(get resyncdInventoryDevicesCurrent.0)" = 1 ] || fail "resyncdInventoryDevicesCurrent $(get resyncdInventoryDevicesCurrent.0) after resync all"
echo "ok: resync all fetched r1"
stop_resyncd
echo "PASS test_inventory_current"
