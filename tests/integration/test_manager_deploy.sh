#!/usr/bin/env bash
# test_manager_deploy: the manager as system of record (SPEC S1-S4), every
# part real: resyncd as the AgentX subagent of a private snmpd (snmpset,
# snmpget, traps to a private snmptrapd), simulated Junos devices on a real
# OpenSSH sshd (scripts/devsim) that send their commit syslog to resyncd.
#   a) accept (resync(2) in manager mode) of four devices in one SET is one
#      job, and they end inSync;
#   b) S3: an intended file read on SIGHUP moves inSync -> managerChanged;
#      --diff --intended shows it;
#   c) S4 deploy of two devices in one SET is one deploy job: their running
#      configuration is the intended one, they end inSync, and the manager's
#      own commit notifications did not count as device changes;
#   d) a load error discards, the job fails with the device's own text, the
#      device keeps its configuration and its status;
#   e) the connection lost between commit and confirm fails the job, the
#      device rolls back by itself (UI_COMMIT_NOT_CONFIRMED) and that
#      rollback is no device change either;
#   f) S2: a device commit -> deviceChanged -> accept -> inSync;
#   g) S3: staging on a deviceChanged device -> managerAndDeviceChanged;
#   h) S1: no automatic resync ran.
. "$(dirname "$0")/lib.sh" manager
for t in snmpd snmptrapd snmpget snmpset snmpwalk ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
FAIL_LOGS="resyncd.log snmpd.log traps.log"
CONFIRM=6

sim_start 4
udp_port=$(free_udp_port)
"$DEVSIM" set "$work/sim" all "syslog=127.0.0.1:$udp_port"
start_snmp_master

deploy_conf $CONFIRM "relp = \"\"; udp = \"127.0.0.1:$udp_port\"; tcp = \"\";" \
	'systemOfRecord = "manager"; autoResyncWaitSecs = 0; resyncTimeoutSecs = 30;' "$(sim_credential)
devices = (
$(sim_devices 4)
);"
run_resyncd
wait_for "resyncd registered with snmpd" snmp_registered 4
wait_for "resyncd's UDP listener" udp_listening "$udp_port"
index_devices

# get, dev, expect, last_job, job_final, status_traps: lib.sh
status_is() { [ "$(dev "$1" ManagedStatus)" = "$2" ]; }
# set_action ACTION NAME...: one SET with every device's action column.
set_action() {
	local a=$1 vbs=() n
	shift
	for n in "$@"; do vbs+=("RESYNCD-MIB::resyncdDeviceAction.${ix[$n]}" i "$a"); done
	snmp_set "${vbs[@]}" >/dev/null || fail "snmpset action $a on $* refused"
}
# stage NAME: an intended configuration = the device's own with another location.
stage() {
	"$DEVSIM" show "$work/sim" "$1" | sed "s/location \".*\";/location \"$2\";/" > "$work/intended/$1.conf"
}
device_config_is() { "$DEVSIM" show "$work/sim" "$1" | cmp -s - "$2"; }
# failed_deploy NAME FAULT TEXT: with devsim's FAULT, a deploy of NAME fails with TEXT in its summary.
failed_deploy() {
	local job
	"$DEVSIM" set "$work/sim" "$1" "fault=$2"
	set_action 3 "$1"
	job=$(last_job)
	wait_for "$1 deploy done" job_final "$job"
	expect "$1 deploy job" "$(get "resyncdJobState.$job")" failure
	get "resyncdJobSummary.$job" | grep_all -F -- "$3" || fail "$1 job summary lacks '$3': $(get "resyncdJobSummary.$job")"
}

# --- a) accept of all four: one job, inSync ------------------------------------------
set_action 2 r1 r2 r3 r4
job=$(last_job)
expect "accept job type" "$(get "resyncdJobType.$job")" manualResync
expect "accept job devices" "$(get "resyncdJobDeviceCount.$job")" 4
wait_for "accept job done" job_final "$job"
expect "accept job" "$(get "resyncdJobState.$job")" success
for n in r1 r2 r3 r4; do
	expect "$n after accept" "$(dev $n ManagedStatus)" inSync
	expect "$n intended version after accept" "$(dev $n IntendedVersion)" 1
done
echo "ok: accept of 4 devices in one SET: one job, inSync, the fetched copies are the manager's"

# --- b) stage r1..r4, SIGHUP: managerChanged ----------------------------------------
for n in r1 r2 r3 r4; do "$DEVSIM" show "$work/sim" "$n" > "$work/$n.orig"; done
stage r1 "staged for r1"; stage r2 "staged for r2"; stage r3 "staged for r3"; stage r4 "staged for r4"
kill -HUP "$pid"
for n in r1 r2 r3 r4; do wait_for "$n managerChanged" status_is $n managerChanged; done
expect "r1 intended version" "$(dev r1 IntendedVersion)" 2
"$RESYNCD" -c "$work/resyncd.conf" --diff r1 --intended > "$work/diff.r1" || fail "--diff r1 --intended failed"
grep -q '^+    location "staged for r1";$' "$work/diff.r1" || fail "--diff --intended lacks the staged line: $(cat "$work/diff.r1")"
echo "ok: staged on SIGHUP: managerChanged, --diff --intended shows the change"

# --- c) deploy r1 and r2 in one SET ----------------------------------------------------
commits_before=$(dev r1 CommitCount)
set_action 3 r1 r2
job=$(last_job)
expect "deploy job type" "$(get "resyncdJobType.$job")" deploy
expect "deploy job devices" "$(get "resyncdJobDeviceCount.$job")" 2
wait_for "deploy job done" job_final "$job"
expect "deploy job ($(get "resyncdJobSummary.$job"))" "$(get "resyncdJobState.$job")" success
for n in r1 r2; do
	expect "$n after deploy" "$(dev $n ManagedStatus)" inSync
	device_config_is $n "$work/intended/$n.conf" || fail "$n runs another configuration than the intended one"
done
# The deploy's own commit notifications (commit confirmed, confirm: two
# alike in one second may count as one copy) arrived and were the manager's:
# no deviceChanged/managerAndDeviceChanged in between.
own_commits() { [ "$(dev r1 CommitCount)" -ge $((commits_before + 1)) ]; }
wait_for "r1's own commit notifications" own_commits
expect "r1 status traps" "$(status_traps r1)" "synchronizing inSync managerChanged inSync"
expect "r1 still inSync after its own commits" "$(dev r1 ManagedStatus)" inSync
echo "ok: deploy of 2 devices in one job, running = intended, inSync, own commits no device change"

# --- d) a load error: discarded, the device's text, nothing changed --------------------
failed_deploy r3 load-error "load refused: syntax error, expecting ';' or '}'"
expect "r3 after a failed deploy" "$(dev r3 ManagedStatus)" managerChanged
device_config_is r3 "$work/r3.orig" || fail "r3's configuration changed by a failed deploy"
echo "ok: load error: job failed with the device's text, r3 kept its configuration and status"

# --- e) connection lost between commit and confirm: the device rolls back ----------------
failed_deploy r4 drop-after-commit "not reachable after commit confirmed (rolls back by itself)"
rolled_back() { device_config_is r4 "$work/r4.orig"; }
wait_for "r4 rolled back by itself" rolled_back
wait_for "r4's rollback notification" log_has 'r4: UI_COMMIT_NOT_CONFIRMED'
expect "r4 after its rollback" "$(dev r4 ManagedStatus)" managerChanged
echo "ok: lost after commit confirmed: job failed, r4 rolled back by itself, status kept"

# --- f) S2: a device commit, then accept ---------------------------------------------
"$DEVSIM" commit "$work/sim" r1 --user alice --syslog "127.0.0.1:$udp_port" >/dev/null
wait_for "r1 deviceChanged" status_is r1 deviceChanged
set_action 2 r1
wait_for "r1 accepted" status_is r1 inSync
expect "r1 intended version after accept" "$(dev r1 IntendedVersion)" 3
expect "r1 intended version in --dump-state" "$(dump | awk -F'\t' '$1 == "device" && $3 == "r1" { print $15 }')" 3
"$RESYNCD" -c "$work/resyncd.conf" --diff r1 --intended > "$work/diff.r1b" || fail "--diff r1 --intended failed"
if grep -q '^[-+][^-+]' "$work/diff.r1b"; then fail "accepted copy differs: $(cat "$work/diff.r1b")"; fi
echo "ok: device commit -> deviceChanged -> accept -> inSync"

# --- g) S3 on a deviceChanged device -------------------------------------------------
"$DEVSIM" commit "$work/sim" r2 --user alice --syslog "127.0.0.1:$udp_port" >/dev/null
wait_for "r2 deviceChanged" status_is r2 deviceChanged
stage r2 "staged again for r2"
kill -HUP "$pid"
wait_for "r2 managerAndDeviceChanged" status_is r2 managerAndDeviceChanged
echo "ok: staged on a deviceChanged device: managerAndDeviceChanged"

# --- h) S1: nothing automatic ran ------------------------------------------------------
snmp_walk -Oq RESYNCD-MIB::resyncdJobType | grep_all autoResync && fail "an autoResync job ran in manager mode"
echo "ok: no autoResync job in manager mode"
stop_resyncd
echo PASS
