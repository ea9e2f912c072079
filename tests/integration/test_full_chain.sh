#!/usr/bin/env bash
# test_full_chain: the whole chain, every part real. Simulated Junos devices
# (scripts/devsim: OpenSSH sshd + NETCONF) send their commit syslog to a
# private rsyslogd (imudp), which forwards it by RELP (omrelp) to resyncd;
# resyncd is the AgentX subagent of a private snmpd, whose traps go to a
# private snmptrapd. Everything is checked with snmpget/snmpwalk/snmptable/
# snmpset and the decoded traps:
#   a) R1/R4: a commit gives exactly the traps outOfSync, synchronizing,
#      inSync for that device, and one successful autoResync job (job traps
#      scheduled, inProgress, success);
#   b) R2/R6: five commits inside one waiting window make one job (however
#      long sending them takes);
#   c) R1/R3/R4: a commit while the device is synchronizing (devsim fault=slow)
#      leaves it outOfSync when that job ends, a second job (delayed by I while
#      the first runs, never overlapping it) brings it inSync;
#   d) R5: autoResyncEnabled off by snmpset: a commit gives outOfSync and no
#      job; a manual resync by snmpset on the device's action column syncs it;
#   e) the per-status scalars match the device table.
# Before a): J7, the five configured devices are fetched at start without any
# commit (one initial job over them, deviceAdded for each); a) to e) then look
# only at the traps and jobs that come after it.
. "$(dirname "$0")/lib.sh" fullchain
for t in snmpd snmptrapd snmpget snmpset snmpwalk snmptable rsyslogd ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

fail() {
	echo "FAIL: $*"
	for f in resyncd.log rsyslogd.log snmpd.log snmptrapd.log traps.log; do
		[ -f "$work/$f" ] && { echo "--- $f"; tail -n 30 "$work/$f"; }
	done
	exit 1
}

W=2 I=2 SLOW=6
sim_start 5
relp_port=$(free_port)
in_port=$(free_udp_port)
start_snmp_master

mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = "127.0.0.1:$relp_port"; udp = ""; tcp = ""; };
snmp = { mode = "agentx"; agentx_socket = "$work/agentx.sock"; };
settings = { autoResyncWaitSecs = $W; damperIntervalSecs = $I; resyncTimeoutSecs = 30; };
$(sim_credential)
devices = (
$(sim_devices 5)
);
CONF
run_resyncd
wait_for "resyncd registered with snmpd" snmp_registered 5
wait_for "resyncd's RELP listener" log_has 'relp: listening'
start_rsyslog_relp "$in_port" "$relp_port"
index_devices r1 r2 r3 r4 r5

# --- readers (get, dev, status_traps: lib.sh) -------------------------------------------
status_is() { [ "$(dev "$1" ManagedStatus)" = "$2" ]; }
# jobs_of NAME: ids of the jobs after the initial one whose (only) device is NAME, in id order.
initial_job=0
jobs_of() {
	snmp_walk -Oq RESYNCD-MIB::resyncdJobFirstDevice |
		awk -v i="${ix[$1]}" -v b="$initial_job" '$2 == i { sub(/.*\./, "", $1); if ($1 + 0 > b + 0) print $1 }'
}
trap_base=0 # lines of traps.log before a): the start-up's traps (status_traps skips them)
# job_traps JOB: the states of JOB's jobStateChange traps, in order.
job_traps() {
	grep -F 'jobStateChange' "$work/traps.log" | grep -o "resyncdJobState\.$1 = INTEGER: [a-zA-Z]*" |
		awk '{ print $NF }' | paste -sd' '
}
# trap_line PATTERN N: line number in traps.log of the Nth trap matching PATTERN.
# Only traps after the start-up's (trap_base) count.
trap_line() { grep -n -- "$1" "$work/traps.log" | awk -F: -v b="$trap_base" '$1 > b' | sed -n "$2p" | cut -d: -f1; }
traps_are() { [ "$(status_traps "$1")" = "$2" ]; }
job_traps_are() { [ "$(job_traps "$1")" = "$2" ]; }
# expect_job JOB TYPE STATE: a job's row, and its jobStateChange traps.
expect_job() {
	expect "job $1 type" "$(get "resyncdJobType.$1")" "$2"
	expect "job $1 state" "$(get "resyncdJobState.$1")" "$3"
	expect "job $1 device count" "$(get "resyncdJobDeviceCount.$1")" 1
	wait_for "job $1's traps scheduled inProgress $3" job_traps_are "$1" "scheduled inProgress $3"
}

# fetched_current NAME: the newest stored configuration (resyncd --diff) is the
# device's current one (its revision shows in the snmp location line).
fetched_current() {
	local want
	want=$("$DEVSIM" show "$work/sim" "$1" | grep -m1 'location')
	"$RESYNCD" -c "$work/resyncd.conf" --diff "$1" 2>&1 | grep_all -xF -- "+$want" ||
		fail "$1: the newest stored configuration lacks the device's '$want'"
}

# commit NAME USER: the device commits (devsim: a new configuration revision)
# and its mgd logs UI_COMMIT and UI_COMMIT_COMPLETED to rsyslog, each commit
# from its own mgd process id (as separate CLI sessions would).
mgd_pid=4000
commit() {
	"$DEVSIM" commit "$work/sim" "$1" --user "$2" >/dev/null
	mgd_pid=$((mgd_pid + 1))
	local ts
	ts=$(LC_ALL=C date '+%b %e %H:%M:%S')
	udp_send "$in_port" \
		"<189>$ts $1 mgd[$mgd_pid]: UI_COMMIT: User '$2' requested 'commit' operation (comment: full chain)" \
		"<189>$ts $1 mgd[$mgd_pid]: UI_COMMIT_COMPLETED: : commit complete"
}

# (e) the per-status scalars against the device table (snmptable), at a quiet moment.
check_status_counts() {
	local table header rows col want got s
	table=$(snmp_table RESYNCD-MIB::resyncdDeviceTable)
	header=$(grep -m1 '|' <<<"$table" || true)
	rows=$(grep '|' <<<"$table" | tail -n +2 || true)
	col=$(tr '|' '\n' <<<"$header" | grep -nx 'ManagedStatus' | cut -d: -f1 || true)
	[ -n "$col" ] || fail "snmptable of the device table has no ManagedStatus column: $table"
	expect "resyncdDeviceCount" "$(get resyncdDeviceCount.0)" "$(grep -c . <<<"$rows")"
	for s in Unknown:unknown InSync:inSync OutOfSync:outOfSync Synchronizing:synchronizing \
		DeviceChanged:deviceChanged ManagerChanged:managerChanged ManagerAndDeviceChanged:managerAndDeviceChanged; do
		want=$(awk -F'|' -v c="$col" -v v="${s#*:}" '$c == v' <<<"$rows" | wc -l)
		got=$(get "resyncdDevices${s%%:*}.0")
		expect "resyncdDevices${s%%:*}.0 against the table" "$got" "$want"
	done
	echo "$1: status scalars match the table ($(awk -F'|' -v c="$col" '{ print $c }' <<<"$rows" | sort | uniq -c | awk '{ print $2 "=" $1 }' | paste -sd' '))"
}

# --- J7: every configured device fetched at start, without a commit -----------------------
all_in_sync() { [ "$(get resyncdDevicesInSync.0)" = 5 ]; }
wait_for "the five devices inSync after their initial resync" all_in_sync
initial_job=$(snmp_walk -Oq RESYNCD-MIB::resyncdJobType | sed -n 's/^RESYNCD-MIB::resyncdJobType\.\([0-9]*\) .*/\1/p' | head -1)
expect "initial job type" "$(get "resyncdJobType.$initial_job")" autoResync
expect "initial job devices" "$(get "resyncdJobDeviceCount.$initial_job")" 5
initial_done() { [ "$(get "resyncdJobState.$initial_job")" = success ]; }
wait_for "the initial job ends" initial_done
for n in r1 r2 r3 r4 r5; do
	expect "$n commits at start" "$(dev $n CommitCount)" 0
	expect "$n config version at start" "$(dev $n ConfigVersion)" 1
	wait_for "$n's initial traps" traps_are $n "synchronizing inSync"
done
fetched_current r5
added() { [ "$(grep -c 'RESYNCD-MIB::deviceAdded' "$work/traps.log" || true)" = 5 ]; }
wait_for "deviceAdded for the five" added
n_added=5
trap_base=$(wc -l < "$work/traps.log")
echo "ok J7: the five devices fetched at start without a commit (job $initial_job); $n_added deviceAdded traps"
check_status_counts "at start"
expect "r5 at start" "$(dev r5 ManagedStatus)" inSync

# --- a) one commit: outOfSync, synchronizing, inSync; one autoResync job -------------------
commit r1 alice
wait_for "r1 inSync" status_is r1 inSync
wait_for "r1's three status traps" traps_are r1 "outOfSync synchronizing inSync"
tail -n +$((trap_base + 1)) "$work/traps.log" | grep -F 'deviceManagedStatusChange' | head -1 |
	grep -q "resyncdDeviceName.${ix[r1]} = STRING: \"\?r1\"\?.*resyncdNotifPreviousStatus.${ix[r1]} = INTEGER: inSync(2).*resyncdDeviceLastCommitUser.${ix[r1]} = STRING: \"\?alice" ||
	fail "r1's first trap lacks its name, previous status or user: $(head -3 "$work/traps.log")"
mapfile -t J < <(jobs_of r1)
expect "r1's jobs" "${#J[@]}" 1
expect_job "${J[0]}" autoResync success
expect "job ${J[0]} user" "$(get "resyncdJobUser.${J[0]}")" system
expect "r1 config version" "$(dev r1 ConfigVersion)" 2 # 1: its initial resync
fetched_current r1
expect "r1 last resync" "$(dev r1 LastResyncResult)" success
echo "ok a) r1: traps outOfSync synchronizing inSync, job ${J[0]} autoResync success"

# --- b) five commits inside one window (W raised by snmpset first): one job ---------------------
snmp_set RESYNCD-MIB::autoResyncWaitSecs.0 u 10 >/dev/null
expect "autoResyncWaitSecs" "$(get autoResyncWaitSecs.0)" "10 seconds"
dups=$(get resyncdMsgsDuplicate.0)
# The window starts when the first commit reaches resyncd, and all five must
# reach it inside the window however long sending them takes (five devsim
# commits and senders on a busy machine can take longer than W): rsyslogd is
# held (SIGSTOP) while they are sent, the kernel keeps the datagrams in its
# socket buffer, and once released rsyslogd relays them back to back.
kill -STOP "$rsyslog_pid"
for _ in 1 2 3 4 5; do commit r2 bob; done
kill -CONT "$rsyslog_pid"
commits_are() { [ "$(dev r2 CommitCount)" = "$1" ]; }
wait_for "r2's five commits" commits_are 5
mapfile -t J < <(jobs_of r2)
expect "r2's jobs after five commits" "${#J[@]}" 1
expect "r2's job ${J[0]} once the five commits are in" "$(get "resyncdJobState.${J[0]}")" scheduled
expect "duplicates" "$(get resyncdMsgsDuplicate.0)" "$dups"
snmp_set RESYNCD-MIB::autoResyncWaitSecs.0 u "$W" >/dev/null
wait_for "r2 inSync" status_is r2 inSync
wait_for "r2's three status traps" traps_are r2 "outOfSync synchronizing inSync"
mapfile -t J < <(jobs_of r2)
expect "r2's jobs" "${#J[@]}" 1
expect_job "${J[0]}" autoResync success
expect "r2 config version" "$(dev r2 ConfigVersion)" 2
fetched_current r2
echo "ok b) r2: five commits, one job ${J[0]}"

# --- c) a commit while synchronizing: outOfSync at the end of that job, then a second job ------
"$DEVSIM" set "$work/sim" r3 fault=slow slow_secs=$SLOW >/dev/null
delayed=$(get resyncdJobsDelayed.0)
commit r3 carol
wait_for "r3 synchronizing" status_is r3 synchronizing
commit r3 carol
wait_for "r3 outOfSync during the fetch" status_is r3 outOfSync
mapfile -t J < <(jobs_of r3)
expect "r3's jobs after the second commit" "${#J[@]}" 2
expect "r3's first job ${J[0]} while outOfSync" "$(get "resyncdJobState.${J[0]}")" inProgress
wait_for "r3 inSync" status_is r3 inSync
wait_for "r3's status traps" traps_are r3 "outOfSync synchronizing outOfSync synchronizing inSync"
expect_job "${J[0]}" autoResync success
expect_job "${J[1]}" autoResync success
mapfile -t J2 < <(jobs_of r3)
expect "r3's jobs" "${#J2[@]}" 2
# R4: the first job ended (success) while r3 was outOfSync: its success trap lies
# between r3's second outOfSync trap and its second synchronizing trap.
r3_trap() { trap_line "resyncdDeviceManagedStatus.${ix[r3]} = INTEGER: $1" "$2"; }
ended=$(trap_line "resyncdJobState.${J[0]} = INTEGER: success" 1)
[ "$(r3_trap outOfSync 2)" -lt "$ended" ] && [ "$ended" -lt "$(r3_trap synchronizing 2)" ] ||
	fail "job ${J[0]} did not end while r3 was outOfSync (trap lines $(r3_trap outOfSync 2) $ended $(r3_trap synchronizing 2))"
# R3: the second job came due during the first and was delayed; the sessions never overlapped.
[ "$(get resyncdJobsDelayed.0)" -gt "$delayed" ] || fail "R3: no job was delayed ($(get resyncdJobsDelayed.0))"
overlap=$(awk '$3 == "r3" { n += ($2 == "start") ? 1 : -1; if (n > max) max = n } END { print max + 0 }' "$work/sim/sessions.log")
expect "r3's most NETCONF sessions at once" "$overlap" 1
# The first fetch read the first or (if its RPC came after it) the second
# commit's configuration: one or two versions after the initial one, the
# newest the device's.
case $(dev r3 ConfigVersion) in 2|3) ;; *) fail "r3 config version $(dev r3 ConfigVersion)";; esac
fetched_current r3
"$DEVSIM" set "$work/sim" r3 fault=none >/dev/null
echo "ok c) r3: commit during job ${J[0]} left it outOfSync, job ${J[1]} (delayed by I) synced it"

# --- d) autoResyncEnabled off: outOfSync, no job; a manual resync syncs ---------------------------
snmp_set RESYNCD-MIB::autoResyncEnabled.0 i false >/dev/null
expect "autoResyncEnabled" "$(get autoResyncEnabled.0)" false
created=$(get resyncdJobsCreated.0)
commit r4 dave
wait_for "r4 outOfSync" status_is r4 outOfSync
sleep $((W + 1)) # not synchronisation: lets a wrongly scheduled job come due
expect "jobs created with autoResyncEnabled off" "$(get resyncdJobsCreated.0)" "$created"
expect "r4's jobs" "$(jobs_of r4 | wc -l)" 0
expect "r4 current job" "$(dev r4 CurrentJob)" 0
expect "r4 still" "$(dev r4 ManagedStatus)" outOfSync
expect "r4's traps" "$(status_traps r4)" outOfSync
check_status_counts "r4 outOfSync"
snmp_set "RESYNCD-MIB::resyncdDeviceAction.${ix[r4]}" i resync >/dev/null
wait_for "r4 inSync after the manual resync" status_is r4 inSync
wait_for "r4's status traps" traps_are r4 "outOfSync synchronizing inSync"
mapfile -t J < <(jobs_of r4)
expect "r4's jobs" "${#J[@]}" 1
expect_job "${J[0]}" manualResync success
fetched_current r4
[ "$(get "resyncdJobUser.${J[0]}")" != system ] || fail "manual job ${J[0]} initiated by system"
# R6: turning it back on schedules nothing by itself.
snmp_set RESYNCD-MIB::autoResyncEnabled.0 i true >/dev/null
expect "jobs created after re-enabling" "$(get resyncdJobsCreated.0)" "$((created + 1))"
echo "ok d) r4: no job with autoResyncEnabled off, manual job ${J[0]} synced it"

# --- e) and no stray traps for anyone ---------------------------------------------------------
check_status_counts "at the end"
expect "r1's traps" "$(status_traps r1)" "outOfSync synchronizing inSync"
expect "r2's traps" "$(status_traps r2)" "outOfSync synchronizing inSync"
expect "r3's traps" "$(status_traps r3)" "outOfSync synchronizing outOfSync synchronizing inSync"
expect "r4's traps" "$(status_traps r4)" "outOfSync synchronizing inSync"
expect "r5's traps" "$(status_traps r5)" ""
expect "jobs" "$(get resyncdJobCount.0)" 6 # the initial job and a) to d)
expect "jobs succeeded" "$(get resyncdJobsSucceeded.0)" 6
echo "ok e) status scalars match the device table; no stray traps"

kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
echo "PASS test_full_chain"
