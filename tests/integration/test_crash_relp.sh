#!/usr/bin/env bash
# test_crash_relp: a commit acknowledged over RELP survives SIGKILL (README:
# "A commit acknowledged over RELP is already on disk"; SPEC R1, R2, J5).
#
# A sender streams Junos UI_COMMIT_COMPLETED notifications for 200 configured
# devices over RELP (RFC 5424, as rsyslog's RSYSLOG_SyslogProtocol23Format
# forwards them). At a random moment mid-stream resyncd is killed with
# SIGKILL; this happens ROUNDS times, then a last stream runs to its end.
#
# Knowing exactly what was acknowledged: the sender
# (relp_crash_sender.py) speaks the RELP wire protocol itself and logs a
# message as acknowledged only when the "rsp" frame for that message's own
# transaction number says "200 OK". librelp's client API cannot say that
# (librelp relpsess.c): relpCltSendSyslog() returns once the frame is sent
# and the window has room, acknowledgements are consumed inside the library,
# an unacknowledged window is re-sent after a reconnect, and the "window 1"
# trick is impossible: relpSessSetWindowSize() ignores sizes below 2. (On
# the server side librelp answers "200 OK" once the reception callback
# returns, whatever it returned; resyncd's callback returns only after the
# commit is written.) Every message is unique (username u<k>,
# "seq k" in the text), so resyncd's duplicate filter never hides one, and
# none is re-sent, so per device
#     acked commits <= commitCount <= commits sent,
# and the stored lastCommitUser is one sent at or after the last acked one.
#
# Resyncs really run during the stream, so some are in progress when the
# kill comes (J5 is exercised, not vacuous): the 200 devices point at a
# devsim --fast instance (real sshd, one loopback address per device: no two
# devices may share an address, and devsim tells devices apart by it), with
# autoResyncWaitSecs 1. So "reflected" is checked as the state allows it:
#   right after the kill, on a copy of the crash image (--dump-state runs
#   Berkeley DB recovery on it): the bounds above; a device with commits is
#   outOfSync with its scheduledAutoJob a scheduled job, or synchronizing
#   (each with an inProgress job), or inSync after a successful fetch; every
#   scheduled job over one device belongs to exactly one device (one over
#   many is the re-run of the interrupted initial resync, J5/J7);
#   after resyncd restarts (its own recovery, no error logged): the same
#   commit counts; every job that was inProgress at the kill is now failure
#   "interrupted by restart" (J5), and a job inProgress is a new one or was
#   scheduled at the kill;
#   at the end: every device with commits is inSync, nothing scheduled or
#   running, and the whole last stream was acknowledged; but a device whose
#   resync two kills in a row interrupted waits out its restart back-off
#   (300 s, longer than this test): outOfSync, its job scheduled saying so.
# SESSIONS senders stream at once (message numbers k = o, o + SESSIONS, ...
# for sender o, so each device hears from one sender only), over resyncd's
# several RELP engines: commits of different sessions wait for one shared
# group commit, and each must still be on disk before its acknowledgement.
# CRASH_SEED=N repeats the kill delays of an earlier run.
N=200
ROUNDS=${CRASH_ROUNDS:-3}
SESSIONS=${CRASH_SESSIONS:-4}
SIMDEV=$N
WAIT_SECS=${WAIT_SECS:-120}
. "$(dirname "$0")/lib.sh" crash
SENDER=$SRC/tests/integration/relp_crash_sender.py
RANDOM=${CRASH_SEED:-$$}
echo "CRASH_SEED=${CRASH_SEED:-$$}"

"$DEVSIM" start "$work/sim" --devices $SIMDEV --fast >/dev/null
sim_port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
relp_port=$(free_port)
mkdir -p "$work/state"
: > "$work/resyncd.log"
{
	cat <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = "127.0.0.1:$relp_port"; udp = ""; tcp = ""; };
snmp = { mode = "off"; };
settings = { autoResyncWaitSecs = 1; damperIntervalSecs = 1; resyncTimeoutSecs = 30;
             maxConcurrentResyncs = 6; };
credentials = ( { name = "sim"; user = "$(id -un)"; key = "$work/sim/client_key"; } );
devices = (
CONF
	for i in $(seq $N); do
		sep=,; [ "$i" -eq $N ] && sep=
		printf '  { name = "c%03d"; address = "127.0.0.%d"; port = %d; credential = "sim"; }%s\n' \
			"$i" $((2 + i % SIMDEV)) "$sim_port" "$sep"
	done
	echo ");"
} > "$work/resyncd.conf"

# start_resyncd: starts it and waits for its RELP listener; the lines this
# start logged are those after log_from.
start_resyncd() {
	log_from=$(($(wc -l < "$work/resyncd.log") + 1))
	"$RESYNCD" -f -c "$work/resyncd.conf" >> "$work/resyncd.log" 2>&1 &
	pid=$!
	wait_for "resyncd's RELP listener" this_start_logged "relp: listening"
	wait_for "resyncd running" this_start_logged "running: $N devices"
}
this_start_logged() { tail -n +"$log_from" "$work/resyncd.log" | grep_all -- "$1"; }
sender_ended() { cat "$work"/round.*.log | grep_all '^END'; }
acked_once() { [ "$(cat "$work"/round.*.log | grep -c '^A')" -ge "$SESSIONS" ]; }
# senders FIRST COUNT: SESSIONS senders of COUNT messages each, from FIRST
# on, in the background (pids in spids), logging to round.<o>.log.
senders() {
	rm -f "$work"/round.*.log
	spids=()
	for o in $(seq 0 $((SESSIONS - 1))); do
		: > "$work/round.$o.log"
		python3 "$SENDER" --port "$relp_port" --devices $N --first $(($1 + o)) --stride "$SESSIONS" \
			--count "$2" --log "$work/round.$o.log" &
		spids+=($!)
	done
}

# check MODE DUMP [CRASH_DUMP]: the assertions above, from the sender logs
# ($work/sent.log, every round) and --dump-state output.
check() {
	python3 - "$@" "$work/sent.log" <<'PY'
import os, re, sys
mode, dump_path = sys.argv[1], sys.argv[2]
crash_path = sys.argv[3] if len(sys.argv) > 4 else None
log_path = sys.argv[-1]
ndev = 200
sent, acked = {}, {}                     # device number -> sorted message numbers
for line in open(log_path):
    f = line.split()
    if len(f) == 2 and f[0] in ("S", "A"):
        k = int(f[1])
        (sent if f[0] == "S" else acked).setdefault(k % ndev + 1, []).append(k)

def read(path):
    devs, jobs = {}, {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[0] == "device":
            devs[int(f[2][1:])] = dict(status=f[4], count=int(f[6]), user=f[7], result=f[8],
                                       reason=f[9], version=int(f[10]), job=int(f[11]))
        elif f[0] == "job":
            jobs[int(f[1])] = dict(type=f[2], state=f[3], ntasks=int(f[5]), summary=f[8])
    return devs, jobs

devs, jobs = read(dump_path)
bad = []
def no(msg):
    bad.append(msg)

if len(devs) != ndev:
    no("%d devices in the store, want %d" % (len(devs), ndev))
for n, d in sorted(devs.items()):
    s, a = sent.get(n, []), acked.get(n, [])
    if not len(a) <= d["count"] <= len(s):
        no("c%03d: commitCount %d, but %d acked and %d sent" % (n, d["count"], len(a), len(s)))
    if d["count"] == 0:
        # No commit: only its initial resync (J7) may have moved it.
        initial = d["status"] in ("unknown", "synchronizing") or \
            (d["status"] == "inSync" and d["result"] == "2") or (d["status"] == "outOfSync" and d["result"] == "3")
        if not initial or d["user"]:
            no("c%03d: no commit but %s, user %r" % (n, d["status"], d["user"]))
        continue
    m = re.fullmatch(r"u([0-9]+)", d["user"])
    k = int(m.group(1)) if m else -1
    if k not in s or (a and k < a[-1]):
        no("c%03d: last commit user %r; last acked u%s" % (n, d["user"], a[-1] if a else "-"))
    if mode == "restart":
        continue  # a live store is read without a snapshot: statuses and jobs may move between reads
    if d["status"] == "outOfSync":
        j = jobs.get(d["job"])
        if not j or j["state"] != "scheduled":
            no("c%03d: outOfSync, scheduledAutoJob %d is %s (last resync: %s)" %
               (n, d["job"], j and j["state"], d["reason"]))
    elif d["status"] == "inSync":
        if d["result"] != "2" or d["version"] < 1:
            no("c%03d: inSync without a fetched configuration" % n)
    elif d["status"] != "synchronizing":
        no("c%03d: %s after %d commits" % (n, d["status"], d["count"]))

state = lambda st: sorted(i for i, j in jobs.items() if j["state"] == st)
owners = {}
for n, d in devs.items():
    if d["job"]:
        owners.setdefault(d["job"], []).append(n)
# A scheduled job that is the re-run of an interrupted job over many (J5:
# the start's initial resync) is no device's own, even when only one of its
# devices was left to run (seen: "job 405 over 1 devices"); any other
# scheduled job is one device's auto job.
for i in state("scheduled") if mode != "restart" else []:
    rerun = jobs[i]["summary"].startswith("re-run of job")
    if rerun and jobs[i]["type"] != "autoResync":
        no("scheduled job %d is a re-run of type %s" % (i, jobs[i]["type"]))
    if len(owners.get(i, [])) != (0 if rerun else 1) or (not rerun and jobs[i]["ntasks"] != 1):
        no("scheduled job %d over %d devices belongs to devices %s" % (i, jobs[i]["ntasks"], owners.get(i)))
syncing = sum(d["status"] == "synchronizing" for d in devs.values())
running = state("inProgress")
# A commit during a fetch makes the device outOfSync again (R1), so not every
# running job has a synchronizing device; but each synchronizing one has a job
# in progress for it (the start's initial resync is one job over many devices).
if mode == "crash" and syncing > sum(jobs[i]["ntasks"] for i in running):
    no("%d devices synchronizing, only %d devices in jobs inProgress" %
       (syncing, sum(jobs[i]["ntasks"] for i in running)))
if mode == "restart":
    cdevs, cjobs = read(crash_path)
    for n, d in devs.items():
        if d["count"] != cdevs[n]["count"]:
            no("c%03d: commitCount %d after restart, %d in the crash image" %
               (n, d["count"], cdevs[n]["count"]))
    for i, j in cjobs.items():
        if j["state"] == "inProgress" and (jobs[i]["state"] != "failure" or
                                           not jobs[i]["summary"].startswith("interrupted by restart")):
            no("J5: job %d inProgress at the kill is %s %r" % (i, jobs[i]["state"], jobs[i]["summary"]))
    # Running now: jobs that were scheduled at the kill, or new ones.
    stale = [i for i in running if i in cjobs and cjobs[i]["state"] != "scheduled"]
    if stale:
        no("J5: jobs %s were not scheduled at the kill but are inProgress" % stale)
# A device whose resync a kill interrupted twice in a row is resynced after a
# back-off (issue 11 item 1: a device that crashes the daemon must not do so
# on every start), longer than this test waits: its scheduled job says so.
backoff = [i for i in state("scheduled") if "restarts in a row: back-off" in jobs[i]["summary"]]
if mode == "final":
    waiting = [i for i in state("scheduled") if i not in backoff]
    if running or waiting:
        no("jobs still running %s or scheduled %s" % (running, waiting))
    if len(backoff) > 6 * int(os.environ.get("CRASH_ROUNDS", "3")):  # maxConcurrentResyncs per kill
        no("%d devices in restart back-off: more than the resyncs the kills can interrupt" % len(backoff))
    for n, d in devs.items():
        if d["count"] and d["status"] != "inSync" and not (d["status"] == "outOfSync" and d["job"] in backoff):
            no("c%03d: %s at the end" % (n, d["status"]))
nacked = sum(map(len, acked.values()))
if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
print("%s: %d acked, %d sent, %d recorded; %d jobs inProgress, %d scheduled (%d in restart back-off)" %
      (mode, nacked, sum(map(len, sent.values())), sum(d["count"] for d in devs.values()),
       len(running), len(state("scheduled")), len(backoff)))
PY
}
# settled: the final state is reached when nothing is scheduled or running.
settled() { check final <(dump) >/dev/null; }

next=0
interrupted=0
start_resyncd
for round in $(seq "$ROUNDS"); do
	# A stream far longer than the moment it is cut at.
	senders "$next" 1000000
	wait_for "the first acknowledgements of round $round" acked_once
	moment=$((1500 + RANDOM % 2500))
	sleep "$((moment / 1000)).$(printf %03d $((moment % 1000)))" # the random moment, not synchronisation
	sender_ended && fail "round $round: a stream ended before the kill: $(cat "$work"/round.*.log | grep '^END')"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	for o in $(seq 0 $((SESSIONS - 1))); do
		wait "${spids[$o]}" || fail "sender $o failed in round $round"
		grep -q '^END lost' "$work/round.$o.log" ||
			fail "round $round: sender $o $(grep '^END' "$work/round.$o.log")"
		cat "$work/round.$o.log" >> "$work/sent.log"
	done
	next=$(awk '$1 == "S" && $2 >= k { k = $2 + 1 } END { print k }' "$work/sent.log")

	# The crash image as the kill left it, recovered by --dump-state on a copy.
	cp -a "$work/state" "$work/crash.$round"
	"$RESYNCD" -c "$work/resyncd.conf" --state-dir "$work/crash.$round" --dump-state \
		> "$work/crash.$round.tsv" 2> "$work/crash.$round.err" ||
		fail "round $round: --dump-state of the crash image: $(cat "$work/crash.$round.err")"
	[ -s "$work/crash.$round.err" ] && fail "round $round: recovery said: $(cat "$work/crash.$round.err")"
	echo "round $round: killed $moment ms after the first ack"
	check crash "$work/crash.$round.tsv" || fail "round $round: the crash image"
	interrupted=$((interrupted + $(awk -F'\t' '$1 == "job" && $4 == "inProgress"' "$work/crash.$round.tsv" | wc -l)))

	start_resyncd
	if tail -n +"$log_from" "$work/resyncd.log" | grep -E 'resyncd (error|crit|alert|emerg):|resyncd store'; then
		fail "round $round: errors after the restart"
	fi
	check restart <(dump) "$work/crash.$round.tsv" || fail "round $round: after the restart"
done
[ "$interrupted" -ge 1 ] || fail "no resync was in progress at any kill: J5 was not exercised"

# The last streams run to their end: all acknowledged, then everything settles.
senders "$next" $((1000 / SESSIONS))
for o in $(seq 0 $((SESSIONS - 1))); do
	wait "${spids[$o]}" || fail "last sender $o failed"
	grep -q '^END ok' "$work/round.$o.log" || fail "last stream $o: $(grep '^END' "$work/round.$o.log")"
	[ "$(grep -c '^A' "$work/round.$o.log")" -eq $((1000 / SESSIONS)) ] ||
		fail "last stream $o: not all $((1000 / SESSIONS)) acknowledged"
	cat "$work/round.$o.log" >> "$work/sent.log"
done
wait_for "every device inSync with nothing scheduled or running" settled
check final <(dump) || fail "final state"
kill "$pid"
wait "$pid" || fail "resyncd exited with $? on SIGTERM"
pid=
check final <(dump) || fail "final state after a clean stop"
echo "ok: $ROUNDS kills, $interrupted resyncs interrupted"
echo "PASS test_crash_relp"
