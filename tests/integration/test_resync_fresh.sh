#!/usr/bin/env bash
# test_resync_fresh: a fetch that raced a slow commit is made again. Every
# device last committed an hour ago; its new commit is notified (syslog) at
# once, but with devsim's slow_commit=N the next N sessions still read the
# configuration of before it, with its junos:commit-seconds an hour old, as
# from a Junos whose commit is slow to reach the running configuration:
#   r1 slow_commit=1: fetched again once after damperIntervalSecs, then fresh
#   r2 slow_commit=9: fetched 1 + 3 times (the bound), then accepted, and the
#      summary says its configuration stayed older than the notification
#   r3 slow_commit=1, junos=0: <get-config>, no commit time: no refetch
# A fetch is one NETCONF session: devsim's sessions.log counts them (the
# first is each device's initial resync at start, J7, before any commit).
# resyncd is its own SNMP master: resyncdResyncRefetches counts the 1 + 3
# refetches, none for r3 or a fetch that was fresh (without snmpget, which
# only this check needs, the rest still runs).
. "$(dirname "$0")/lib.sh" fresh

"$DEVSIM" start "$work/sim" --devices 3 >/dev/null
port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
udp_port=$(free_port)
"$DEVSIM" set "$work/sim" all commit_seconds=$(($(date +%s) - 3600))
"$DEVSIM" set "$work/sim" r1 slow_commit=1
"$DEVSIM" set "$work/sim" r2 slow_commit=9
"$DEVSIM" set "$work/sim" r3 slow_commit=1 junos=0

snmp_port=$(free_udp_port)
export SNMP_PERSISTENT_DIR=$work/persist
mkdir -p "$SNMP_PERSISTENT_DIR"
sim_conf 3 "autoResyncWaitSecs = 1; damperIntervalSecs = 1; resyncTimeoutSecs = 30;" \
	"mode = \"master\"; listen = \"udp:127.0.0.1:$snmp_port\"; community = \"rwsecret\";"
SNMP_AGENT=127.0.0.1:$snmp_port
SNMP_READ_COMMUNITY=rwsecret
# refetches N: resyncdResyncRefetches.0 over snmpget is N (true without snmpget).
have_snmpget=$(command -v snmpget || true)
[ -n "$have_snmpget" ] || echo "note: snmpget not installed: resyncdResyncRefetches not checked"
refetches() { [ -z "$have_snmpget" ] || [ "$(get resyncdResyncRefetches.0)" = "$1" ]; }
"$RESYNCD" -f -c "$work/resyncd.conf" 2> "$work/resyncd.log" &
pid=$!
wait_for "resyncd running" grep -q 'running: 3 devices' "$work/resyncd.log"
[ -z "$have_snmpget" ] || wait_for "resyncd's SNMP agent" snmp_registered 3
# sessions NAME: NETCONF sessions of NAME so far.
sessions() { awk -v n="$1" '$2 == "start" && $3 == n' "$work/sim/sessions.log" 2>/dev/null | wc -l; }
for i in 1 2 3; do wait_for "r$i's initial resync" is "r$i" 11 1; done
for i in 1 2 3; do [ "$(sessions "r$i")" = 1 ] || fail "r$i: $(sessions "r$i") sessions at start, want 1"; done
refetches 0 || fail "resyncdResyncRefetches '$(get resyncdResyncRefetches.0)' after the initial resyncs, want 0"
# job_of NAME: "state<TAB>summary" of NAME's (only) job.
job_of() { dump | awk -F'\t' -v p="$1: " '$1 == "job" && index($9, p) == 1 { print $4 "\t" $9 }'; }
job_done() { case "$(job_of "$1")" in success*|failure*) return 0 ;; esac; return 1; }
notified=$(date +%s)
for i in 1 2 3; do "$DEVSIM" commit "$work/sim" "r$i" --user bob --syslog "127.0.0.1:$udp_port" >/dev/null; done

wait_for "r1 job done" job_done r1
[ "$(job_of r1)" = "$(printf 'success\tr1: configuration fetched; refetched 1 time: fetched configuration committed before the notification')" ] ||
	fail "r1 job: '$(job_of r1)'"
[ "$(sessions r1)" = 3 ] || fail "r1: $(sessions r1) sessions, want 3 (initial, fetch, refetch)"
is r1 5 inSync || fail "r1 $(field r1 5)"
[ "$(field r1 13)" -ge $((notified - 5)) ] || fail "r1 configCommitTime $(field r1 13): not the notified commit"
field r1 10 | grep_all "refetched 1 time" || fail "r1 reason '$(field r1 10)'"
log_has "device r1: the fetched configuration was committed 36[0-9][0-9] s before the commit notification" ||
	fail "r1: no log line for the refetch"
echo "ok: r1 fetched again after damperIntervalSecs, then in sync with the notified commit"

wait_for "r2 job done" job_done r2
[ "$(job_of r2)" = "$(printf "success\tr2: configuration fetched; refetched 3 times: the device's configuration stayed older than its commit notification")" ] ||
	fail "r2 job: '$(job_of r2)'"
[ "$(sessions r2)" = 5 ] || fail "r2: $(sessions r2) sessions, want 5 (initial, 1 + 3 refetches)"
[ "$(python3 -c "import json;print(json.load(open('$work/sim/dev/r2/lag.json'))['sessions'])")" = 5 ] ||
	fail "r2: devsim's lagging sessions left, want 5"
is r2 5 inSync || fail "r2 $(field r2 5)"
[ "$(field r2 12)" = 0 ] || fail "r2: a job is still scheduled: $(field r2 12)"
dump | awk -F'\t' '$1 == "job" && ($4 == "scheduled" || $4 == "inProgress")' | grep_all . &&
	fail "jobs left unfinished: $(dump | grep '^job')"
echo "ok: r2 refetched 3 times (the bound), accepted, the summary says it stayed older"

wait_for "r3 job done" job_done r3
[ "$(job_of r3)" = "$(printf 'success\tr3: configuration fetched')" ] || fail "r3 job: '$(job_of r3)'"
[ "$(sessions r3)" = 2 ] || fail "r3: $(sessions r3) sessions, want 2 (initial, fetch)"
[ "$(field r3 13)" = 0 ] || fail "r3 configCommitTime '$(field r3 13)', want 0 (not reported)"
echo "ok: r3 reports no commit time: not refetched"
refetches 4 || fail "resyncdResyncRefetches '$(get resyncdResyncRefetches.0)', want 4 (r1 1, r2 3, r3 none)"
[ -z "$have_snmpget" ] || echo "ok: resyncdResyncRefetches counts the 4 refetches"

# Without the slow commit, one commit is one fetch.
"$DEVSIM" set "$work/sim" r1 slow_commit=0
"$DEVSIM" commit "$work/sim" r1 --user carol --syslog "127.0.0.1:$udp_port" >/dev/null
wait_for "r1 second version" is r1 11 3
wait_for "r1 inSync" is r1 5 inSync
[ "$(sessions r1)" = 4 ] || fail "r1: $(sessions r1) sessions after a plain commit, want 4"
refetches 4 || fail "resyncdResyncRefetches '$(get resyncdResyncRefetches.0)' after a fresh fetch, want 4"
echo "ok: without a slow commit, one fetch"

stop_resyncd
echo "PASS test_resync_fresh"
