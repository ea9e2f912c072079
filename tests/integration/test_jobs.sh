#!/usr/bin/env bash
# test_jobs: job management as an operator does it, with real snmpset,
# snmpget, snmpwalk and snmptable against resyncd as embedded master agent,
# real sshd (devsim) for the devices that answer and a dead port for two that
# do not, and a real snmptrapd for the notifications:
#   J7: the configured devices are fetched at start without a commit (one
#       initial job), so is a row created over SNMP; deviceAdded for each;
#   J6: one SET with resyncdDeviceAction = resync on three rows is one
#       manualResync job over the three; resyncdJobDeviceTable shows each
#       device's state, start, end and reason; its percent ends at 100;
#   J2: retry of it is a job for its failed devices only, naming the job it
#       retries (resyncdJobRetryOf); resyncdJobUser says who and from where;
#   R7/J6: resyncdInventoryAction = resyncAll is one inventoryResync job over
#       every device; the auto job a commit scheduled inside its run ends as
#       redundant, without a second fetch;
#   J3: resyncdJobRecurrenceSecs and resyncdJobScheduledStart of a scheduled
#       job are written (the job then starts at the new time and its next
#       run is scheduled), refused on a finished job and for a time past;
#       inventoryResyncIntervalSecs schedules a recurring inventory resync and
#       0 cancels it;
#   J4: resyncdPurgeAction = purgeFinished archives every finished job to
#       jobs-archive.jsonl (one JSON object per line) and purges it; the log
#       says how many, resyncdJobsPurged counts them;
#   resyncdStoreBytesWritten moves.
. "$(dirname "$0")/lib.sh" jobs
for t in snmpget snmpset snmpwalk snmptable snmptrapd python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
FAIL_LOGS="resyncd.log traps.log"
export SNMP_PERSISTENT_DIR=$work/persist
mkdir -p "$SNMP_PERSISTENT_DIR" "$work/state"

W=4
DEAD_PORT=$(free_port) # nothing listens: those fetches fail at once
sim_start 4 # r4 is added later, over SNMP
udp_port=$(free_udp_port)
snmp_port=$(free_udp_port)
trap_port=$(free_udp_port)
start_snmptrapd "$trap_port"

cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; tcp = ""; };
snmp = { mode = "master"; listen = "udp:127.0.0.1:$snmp_port"; community = "rwsecret";
         trap_sinks = ( "127.0.0.1:$trap_port" ); trap_community = "public"; };
settings = { autoResyncWaitSecs = $W; damperIntervalSecs = 1; resyncTimeoutSecs = 20; };
$(sim_credential)
devices = (
$(sim_devices 3),
	{ name = "d4"; address = "127.0.0.7"; port = $DEAD_PORT; credential = "sim"; },
	{ name = "d5"; address = "127.0.0.8"; port = $DEAD_PORT; credential = "sim"; }
);
CONF
SNMP_AGENT=127.0.0.1:$snmp_port
# The read-write community for reads too: there is only one.
snmp_get() { snmp_quiet snmpget -Oqv -t 2 -r 2 -v2c -c rwsecret "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }
snmp_walk() { snmp_quiet snmpwalk -t 2 -r 2 -v2c -c rwsecret "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }
snmp_table() { snmp_quiet snmptable -Cf '|' -Cb -t 2 -r 2 -v2c -c rwsecret "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }
run_resyncd
wait_for "resyncd's SNMP agent" snmp_registered 5
index_devices r1 r2 r3 d4 d5

# get, job_ids, last_job, job_final: lib.sh
job() { get "resyncdJob$2.$1"; }          # job ID COLUMN
commit() { "$DEVSIM" commit "$work/sim" "$1" --syslog "127.0.0.1:$udp_port" >/dev/null; }
# DateAndTime octets (hex) of now + $1 seconds, in UTC.
datetime_in() {
	python3 -c 'import sys,time; t=time.gmtime(time.time()+int(sys.argv[1]))
print("%04x%02x%02x%02x%02x%02x00" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec))' "$1"
}
idle() { # nothing scheduled or running
	! snmp_walk -Oqv RESYNCD-MIB::resyncdJobState | grep_all -e scheduled -e inProgress
}
wait_for "start-up jobs settled" idle

# --- J7: discovery ------------------------------------------------------------------------
# The devices of the file were fetched at start, without any commit: one
# initial job over the five; deviceAdded for each.
[ "$(job 1 Type)" = autoResync ] && [ "$(job 1 DeviceCount)" = 5 ] && [ "$(job 1 User)" = system ] ||
	fail "job 1 is not the initial resync of the five: $(job 1 Type) $(job 1 DeviceCount) $(job 1 User)"
job 1 Name | grep_all 'initial resync (5 devices)' || fail "job 1 is named $(job 1 Name)"
for n in r1 r2 r3; do
	[ "$(get "resyncdDeviceManagedStatus.${ix[$n]}")" = inSync ] || fail "$n not inSync after its initial resync"
	[ "$(get "resyncdDeviceConfigVersion.${ix[$n]}")" = 1 ] || fail "$n has no stored configuration"
done
[ "$(get "resyncdDeviceManagedStatus.${ix[d4]}")" = outOfSync ] || fail "d4 (dead) is not outOfSync"
added() { [ "$(grep -c 'RESYNCD-MIB::deviceAdded' "$work/traps.log")" -ge "$1" ]; }
wait_for "deviceAdded for the five" added 5
grep 'RESYNCD-MIB::deviceAdded' "$work/traps.log" | grep_all "resyncdDeviceName.${ix[r2]} = STRING: \"\?r2" ||
	fail "no deviceAdded with r2's index and name"
# A row created over SNMP is fetched at once too.
snmp_set RESYNCD-MIB::resyncdDeviceName.9 s r4 RESYNCD-MIB::resyncdDeviceAddress.9 s 127.0.0.5 \
	RESYNCD-MIB::resyncdDeviceSshPort.9 u "$ssh_port" RESYNCD-MIB::resyncdDeviceCredential.9 s sim \
	RESYNCD-MIB::resyncdDeviceRowStatus.9 i 4 | grep_all resyncdDeviceRowStatus || fail "createAndGo of r4 refused"
ix[r4]=9
r4_synced() { [ "$(get resyncdDeviceManagedStatus.9)" = inSync ]; }
wait_for "r4 fetched without a commit" r4_synced
[ "$(get resyncdDeviceCommitCount.9)" = 0 ] || fail "r4 has commits"
wait_for "deviceAdded for r4" added 6
grep 'RESYNCD-MIB::deviceAdded' "$work/traps.log" | grep_all 'resyncdDeviceName.9 = STRING: "\?r4' || fail "deviceAdded for r4"
echo "ok - J7: the five configured devices and r4 (RowStatus) were fetched without a commit; deviceAdded sent"
wait_for "r4's job settled" idle

# --- J6: one SET over three rows, one job -------------------------------------------------
before=$(last_job); before=${before:-0}
out=$(snmp_set "RESYNCD-MIB::resyncdDeviceAction.${ix[r1]}" i 2 "RESYNCD-MIB::resyncdDeviceAction.${ix[r2]}" i 2 \
	"RESYNCD-MIB::resyncdDeviceAction.${ix[d4]}" i 2)
grep -q 'resyncdDeviceAction' <<<"$out" || fail "SET refused: $out"
new=$(job_ids | awk -v b="$before" '$1 > b')
[ "$(wc -w <<<"$new")" = 1 ] || fail "one SET over three devices made jobs: $new (all: $(job_ids | paste -sd" "); $(snmp_walk RESYNCD-MIB::resyncdJobType))"
m=$new
[ "$(job "$m" Type)" = manualResync ] || fail "job $m is $(job "$m" Type)"
[ "$(job "$m" DeviceCount)" = 3 ] || fail "job $m has $(job "$m" DeviceCount) devices"
wait_for "manual job $m ends" job_final "$m"
[ "$(job "$m" State)" = failure ] || fail "job $m: $(job "$m" State), want failure (d4 is dead)"
[ "$(job "$m" PercentComplete)" = "100 percent" ] || fail "job $m percent $(job "$m" PercentComplete)"
user=$(job "$m" User)
grep -q 'snmp v2c.*from UDP: \[127.0.0.1\]' <<<"$user" || fail "resyncdJobUser '$user' lacks the manager's address"
grep -q rwsecret <<<"$user" && fail "resyncdJobUser shows the community: $user"
# index (job.seq) | device | state | start | end | reason
table=$(snmp_table -Ci RESYNCD-MIB::resyncdJobDeviceTable | awk -F'|' -v m="$m" 'index($1, m ".") == 1')
[ "$(wc -l <<<"$table")" = 3 ] || fail "resyncdJobDeviceTable for job $m: $table"
grep -q "^$m\.[0-9]*|${ix[r1]}|ok|.*|.*|configuration " <<<"$table" || fail "r1's row: $table"
grep -q "^$m\.[0-9]*|${ix[d4]}|failed|.*|.*|.*[Cc]onnection refused" <<<"$table" || fail "d4's row: $table"
start=$(get "resyncdJobDeviceStart.$m.3")
end=$(get "resyncdJobDeviceEnd.$m.3")
[ "$start" != "0-0-0,0:0:0.0" ] && [ "$end" != "0-0-0,0:0:0.0" ] || fail "d4's start '$start' / end '$end'"
echo "ok - J6: one SET over three devices made one manualResync job; per-device state, times, reasons"

# --- J2: retry of the failed device only ---------------------------------------------------
snmp_set "RESYNCD-MIB::resyncdJobAction.$m" i 3 | grep_all resyncdJobAction || fail "retry refused"
r=$(last_job)
[ "$r" -gt "$m" ] || fail "no retry job"
[ "$(job "$r" DeviceCount)" = 1 ] || fail "retry job $r has $(job "$r" DeviceCount) devices"
[ "$(job "$r" FirstDevice)" = "${ix[d4]}" ] || fail "retry job $r is for device $(job "$r" FirstDevice)"
[ "$(job "$r" RetryOf)" = "$m" ] || fail "retry job $r: resyncdJobRetryOf $(job "$r" RetryOf), want $m"
[ "$(job "$m" RetryOf)" = 0 ] || fail "job $m names a job it retries"
wait_for "retry job $r ends" job_final "$r"
echo "ok - J2: the retry of job $m is job $r, for d4 only, naming job $m"

# --- R7: resync all, and an auto job it makes redundant -----------------------------------
commit r2
has_auto() { [ "$(get "resyncdDeviceCurrentJob.${ix[r2]}")" != 0 ]; }
wait_for "r2's auto job scheduled" has_auto
a=$(get "resyncdDeviceCurrentJob.${ix[r2]}")
[ "$(job "$a" Type)" = autoResync ] || fail "job $a is $(job "$a" Type)"
snmp_set RESYNCD-MIB::resyncdInventoryAction.0 i 2 | grep_all resyncdInventoryAction || fail "resyncAll refused"
[ "$(get resyncdInventoryAction.0)" = none ] || fail "resyncdInventoryAction reads $(get resyncdInventoryAction.0)"
inv=$(last_job)
[ "$(job "$inv" Type)" = inventoryResync ] || fail "job $inv is $(job "$inv" Type)"
[ "$(job "$inv" DeviceCount)" = 6 ] || fail "inventory job $inv has $(job "$inv" DeviceCount) devices"
wait_for "inventory job $inv ends" job_final "$inv"
wait_for "r2's auto job $a ends" job_final "$a"
[ "$(job "$a" State)" = success ] || fail "auto job $a: $(job "$a" State)"
job "$a" Summary | grep_all 'already synchronized by a later fetch' || fail "auto job $a: $(job "$a" Summary)"
[ "$(get "resyncdJobDeviceState.$a.1")" = skipped ] || fail "auto job $a's device state $(get "resyncdJobDeviceState.$a.1")"
echo "ok - R7: resyncAll is one inventoryResync job over 6 devices; r2's auto job $a was redundant"

# --- J3: reschedule and recurrence of a scheduled job --------------------------------------
snmp_set RESYNCD-MIB::autoResyncWaitSecs.0 u 3600 | grep_all autoResyncWaitSecs || fail "W not set"
commit r3
has_r3() { [ "$(get "resyncdDeviceCurrentJob.${ix[r3]}")" != 0 ]; }
wait_for "r3's auto job scheduled" has_r3
s=$(get "resyncdDeviceCurrentJob.${ix[r3]}")
[ "$(job "$s" State)" = scheduled ] || fail "job $s: $(job "$s" State)"
out=$(snmp_set "RESYNCD-MIB::resyncdJobScheduledStart.$s" x "$(datetime_in -7200)")
grep -q wrongValue <<<"$out" || fail "a start two hours ago was not refused: $out"
snmp_set "RESYNCD-MIB::resyncdJobRecurrenceSecs.$s" u 600 | grep_all resyncdJobRecurrenceSecs || fail "recurrence refused"
[ "$(job "$s" RecurrenceSecs)" = "600 seconds" ] || fail "job $s recurrence $(job "$s" RecurrenceSecs)"
snmp_set "RESYNCD-MIB::resyncdJobScheduledStart.$s" x "$(datetime_in 2)" | grep_all resyncdJobScheduledStart ||
	fail "reschedule refused"
wait_for "job $s runs at its new start" job_final "$s"
[ "$(job "$s" State)" = success ] || fail "job $s: $(job "$s" State)"
next=$(last_job)
[ "$next" -gt "$s" ] && [ "$(job "$next" State)" = scheduled ] || fail "no next run of job $s"
[ "$(job "$next" RecurrenceSecs)" = "600 seconds" ] || fail "next run $next recurrence $(job "$next" RecurrenceSecs)"
out=$(snmp_set "RESYNCD-MIB::resyncdJobRecurrenceSecs.$s" u 60)
grep -q inconsistentValue <<<"$out" || fail "recurrence of a finished job not refused: $out"
grep -q "job $s: rescheduled" "$work/resyncd.log" || fail "the reschedule is not logged"
echo "ok - J3: job $s rescheduled to now+2 s with recurrence 600 s; its next run $next is scheduled"

snmp_set RESYNCD-MIB::inventoryResyncIntervalSecs.0 u 3600 | grep_all inventoryResyncIntervalSecs || fail "interval refused"
ri=$(last_job)
[ "$(job "$ri" Type)" = inventoryResync ] && [ "$(job "$ri" State)" = scheduled ] || fail "no recurring inventory job"
[ "$(job "$ri" User)" = system ] && [ "$(job "$ri" RecurrenceSecs)" = "3600 seconds" ] || fail "job $ri: $(job "$ri" User)"
snmp_set RESYNCD-MIB::inventoryResyncIntervalSecs.0 u 0 | grep_all inventoryResyncIntervalSecs || fail "interval 0 refused"
[ "$(job "$ri" State)" = cancelled ] || fail "interval 0 left job $ri $(job "$ri" State)"
echo "ok - J3: inventoryResyncIntervalSecs 3600 scheduled inventory job $ri; 0 cancelled it"

# --- J4: archive and purge on demand -------------------------------------------------------
snmp_set "RESYNCD-MIB::resyncdJobAction.$next" i 2 | grep_all resyncdJobAction || fail "cancel refused"
finished=$(snmp_walk -Oqv RESYNCD-MIB::resyncdJobState | grep -c -e success -e failure -e cancelled)
purged0=$(get resyncdJobsPurged.0)
bytes=$(get resyncdStoreBytesWritten.0); bytes=${bytes%% *}
[ "${bytes:-0}" -gt 0 ] || fail "resyncdStoreBytesWritten is '$bytes'"
snmp_set RESYNCD-MIB::resyncdPurgeAction.0 i 2 | grep_all resyncdPurgeAction || fail "purge refused"
left=$(snmp_walk -Oqv RESYNCD-MIB::resyncdJobState | grep -c -e success -e failure -e cancelled || true)
[ "$left" = 0 ] || fail "$left finished jobs left after the purge"
[ "$(get resyncdJobsPurged.0)" = $((purged0 + finished)) ] || fail "resyncdJobsPurged $(get resyncdJobsPurged.0)"
log_has "jobs: purged $finished finished jobs" || fail "the purge did not log its count"
python3 - "$work/state/jobs-archive.jsonl" "$m" "$r" "$inv" "$finished" <<'PY' || fail "archive check failed"
import json, sys
path, m, r, inv, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
jobs = {}
for line in open(path):
    j = json.loads(line)
    jobs[j["id"]] = j
assert len(jobs) >= n, "%d jobs archived, %d purged" % (len(jobs), n)
assert jobs[m]["type"] == "manualResync" and len(jobs[m]["devices"]) == 3, jobs[m]
assert any(d["state"] == "failed" and "onnection refused" in d["reason"] for d in jobs[m]["devices"]), jobs[m]
assert jobs[r]["retryOf"] == m, jobs[r]
assert jobs[inv]["type"] == "inventoryResync" and len(jobs[inv]["devices"]) == 6, jobs[inv]
PY
echo "ok - J4: $finished finished jobs archived to jobs-archive.jsonl and purged; resyncdStoreBytesWritten $bytes"

snmp_set "RESYNCD-MIB::resyncdDeviceRowStatus.${ix[d5]}" i 6 | grep_all resyncdDeviceRowStatus || fail "destroy of d5 refused"
removed() { grep 'RESYNCD-MIB::deviceRemoved' "$work/traps.log" | grep_all "resyncdDeviceName.${ix[d5]} = STRING: \"\?d5"; }
wait_for "deviceRemoved for d5" removed
echo "ok - deviceRemoved for d5"

kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
echo "PASS test_jobs"
