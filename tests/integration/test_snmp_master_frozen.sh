#!/usr/bin/env bash
# test_snmp_master_frozen.sh (issue 11 item 6): a stopped snmpd does not stop
# resyncd. resyncd is the AgentX subagent of a real snmpd; snmpd gets SIGSTOP
# and, over the next ~10 s (the time net-snmp's synchronous ping, Close and
# re-Open used to hold the loop, 6 s each), commits arrive by UDP and by RELP
# one at a time. commit_latency.py times each inside the sender: a RELP
# commit until its acknowledgement, a UDP commit until the loop's log line
# written after the store transaction. Each must take under 1 s; then
# --dump-state shows every commit counted. After SIGCONT, snmpd answers for
# resyncd again and the traps of those commits arrive at a real snmptrapd
# (or are counted in resyncdTrapsDropped, read by snmpget). Stopped once more,
# snmpd does not hold resyncd's own stop either.
. "$(dirname "$0")/lib.sh" snmp_frozen
for t in snmpd snmptrapd snmpget ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
FAIL_LOGS="resyncd.log snmpd.log traps.log"
export SNMP_PERSISTENT_DIR=$work/persist
mkdir -p "$SNMP_PERSISTENT_DIR"
snmp_port=$(free_udp_port)
trap_port=$(free_udp_port)
udp_port=$(free_udp_port)
relp_port=$(free_port)
COUNT=12
start_snmptrapd "$trap_port"
start_snmpd "$snmp_port" "$trap_port"
snmpd_pid=${daemon_pids[-1]}

devices=
for k in $(seq "$COUNT"); do
	name=t$k; [ $((k % 2)) -eq 1 ] && name=u$k
	devices+="${devices:+, }{ name = \"$name\"; address = \"192.0.2.$k\"; }"
done
ingest_conf "relp = \"127.0.0.1:$relp_port\"; udp = \"127.0.0.1:$udp_port\"; tcp = \"\";" "$devices" \
	"mode = \"agentx\"; agentx_socket = \"$work/agentx.sock\";"
run_resyncd
wait_for "resyncd's MIB through snmpd" snmp_registered "$COUNT"
wait_for "the RELP listener" log_has 'relp: listening'

# --- snmpd stopped: every commit stored and acknowledged within 1 s ----------------------
python3 "$SRC/tests/integration/commit_latency.py" --udp-port "$udp_port" --relp-port "$relp_port" \
	--log "$work/resyncd.log" --count "$COUNT" --pace 0.8 --stop "$snmpd_pid" >"$work/latency.log" ||
	fail "commit_latency: $(tail -n 1 "$work/latency.log")"
cat "$work/latency.log"
grep_all -x 'END ok' "$work/latency.log" || fail "sender: $(tail -n 1 "$work/latency.log")"
[ "$(grep -c -E '^(udp|relp) ' "$work/latency.log")" -eq "$COUNT" ] || fail "not every commit was timed"
slow=$(awk '($1 == "udp" || $1 == "relp") && $3 >= 1.0' "$work/latency.log")
[ -z "$slow" ] || fail "commits took 1 s or more while snmpd was stopped: $slow"
for k in $(seq "$COUNT"); do
	name=t$k; [ $((k % 2)) -eq 1 ] && name=u$k
	[ "$(field "$name" 7)" = 1 ] || fail "--dump-state: $name has commitCount '$(field "$name" 7)', want 1"
done
log_has 'AgentX master .* is not answering' || fail "the stopped master was not logged"
echo "ok - snmpd stopped: $COUNT commits (UDP and RELP) stored and acknowledged within 1 s each, max $(awk '$1 == "udp" || $1 == "relp" { if ($3 > m) m = $3 } END { print m }' "$work/latency.log") s"

# --- snmpd resumed: SNMP answers, the traps arrive or are counted dropped -----------------------
kill -CONT "$snmpd_pid"
wait_for "resyncd to answer through snmpd again" snmp_registered "$COUNT"
wait_for "the resumed master to be noticed" log_has 'AgentX master .* is answering again'
dropped() { get resyncdTrapsDropped.0; }
arrived() {
	local k name n=0
	for k in $(seq "$COUNT"); do
		name=t$k; [ $((k % 2)) -eq 1 ] && name=u$k
		grep -F 'RESYNCD-MIB::deviceManagedStatusChange' "$work/traps.log" |
			grep_all -F "STRING: $name"$'\t' && n=$((n + 1))
	done
	echo "$n"
}
all_traps() { d=$(dropped); [[ $d =~ ^[0-9]+$ ]] && [ $(( $(arrived) + d )) -ge "$COUNT" ]; }
wait_for "each commit's trap at snmptrapd or in resyncdTrapsDropped" all_traps
expect "traps queued after the master resumed" "$(get resyncdTrapsQueued.0)" 0
echo "ok - snmpd resumed: SNMP answers, $(arrived) traps arrived, $(dropped) dropped"

# --- snmpd stopped again: resyncd stops at once ---------------------------------------------------
# A Close to the master would wait for its answer (the session's 2 s timeout).
kill -STOP "$snmpd_pid"
seen=$(grep -c 'is not answering' "$work/resyncd.log")
stopped_noticed() { [ "$(grep -c 'is not answering' "$work/resyncd.log")" -gt "$seen" ]; }
wait_for "the stopped master to be noticed again" stopped_noticed
t0=$EPOCHREALTIME
kill "$pid"
rc=0
wait "$pid" || rc=$?
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
pid=
expect "resyncd's exit status on SIGTERM" "$rc" 0
awk -v t="$took" 'BEGIN { exit !(t < 1.5) }' || fail "resyncd took $took s to stop while snmpd was stopped"
kill -CONT "$snmpd_pid"
echo "ok - snmpd stopped: resyncd stops in $took s"
echo "PASS"
