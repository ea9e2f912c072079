#!/usr/bin/env bash
# test_incident_capture: SPEC E4 with real daemons. A FRU event forwarded by a
# private rsyslogd over RELP opens an incident whose profile names commands;
# resyncd runs them on the device (devsim's OpenSSH sshd serving the netconf
# subsystem) as Junos <command format="text"> RPCs in a dataCapture job, keeps
# their output with the incident, and `resyncd --incident ID` prints it, also
# after a restart. A command the device refuses is kept as its error; a repeat
# of the event starts no second capture. A device that cannot be reached
# ends its capture job in failure, its incident still open.
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed"; exit 77; }
ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1 || { echo "SKIP: rsyslog-relp not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" capture
FAIL_LOGS="resyncd.log rsyslogd.log"

sim_start 2
relp_port=$(free_port)
in_port=$(free_udp_port)
dead_port=$(free_port)
mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = "127.0.0.1:$relp_port"; udp = ""; tcp = ""; };
snmp = { mode = "off"; };
settings = { autoResyncEnabled = false; resyncTimeoutSecs = 20; };
$(sim_credential)
devices = (
$(sim_devices 1),
	{ name = "r9"; address = "127.0.0.9"; port = $dead_port; credential = "sim"; }
);
profiles = (
	{ name = "fru"; events = [ "CHASSISD_FRU_OFFLINE_NOTICE" ];
	  capture = [ "show chassis hardware", "show log messages | last 5", "request system reboot" ]; }
);
CONF
start_resyncd() {
	run_resyncd
	wait_for "resyncd's RELP listener" log_has 'relp: listening'
}
start_resyncd
start_rsyslog_relp "$in_port" "$relp_port"

show() { "$RESYNCD" -c "$work/resyncd.conf" --incident "$1" 2>/dev/null; }
shows() { show "$1" | grep_all -- "$2"; }
# job_of TYPE STATE: a job line of --dump-state with that type and state.
job_is() { dump | awk -F'\t' -v t="$1" -v s="$2" '$1 == "job" && $3 == t && $4 == s' | grep_all .; }

udp_send "$in_port" '<28>Dec  1 10:18:00 r1 chassisd[1300]: CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 0 offline: Error'
wait_for "E4: the capture of incident 1 is done" shows 1 '^data capture *done (job'
show 1 > "$work/show1.txt"
grep -q '^> show chassis hardware$' "$work/show1.txt" || fail "no command header: $(cat "$work/show1.txt")"
grep -q 'FPC 0 *REV 09' "$work/show1.txt" || fail "no hardware inventory in the output: $(cat "$work/show1.txt")"
grep -q "^(devsim: output of 'show log messages | last 5' on r1)" "$work/show1.txt" ||
	fail "the second command's output is missing: $(cat "$work/show1.txt")"
grep -q '^error: .*syntax error' "$work/show1.txt" || fail "the refused command's error is missing: $(cat "$work/show1.txt")"
grep -q '^detail *FPC 0$' "$work/show1.txt" || fail "detail: $(cat "$work/show1.txt")"
[ "$(cat "$work/sim/dev/r1/commands.log")" = "show chassis hardware
show log messages | last 5
request system reboot" ] || fail "devsim got: $(cat "$work/sim/dev/r1/commands.log")"
wait_for "the dataCapture job succeeded in the job table" job_is dataCapture success
echo "ok: capture over NETCONF <command>: output kept, errors kept, dataCapture job success"

# A repeat starts no second capture.
udp_send "$in_port" '<28>Dec  1 10:18:05 r1 chassisd[1300]: CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 0 offline: Error'
wait_for "E3: the repeat counted" shows 1 '^count *2$'
[ "$(wc -l < "$work/sim/dev/r1/commands.log")" = 3 ] || fail "a repeat ran the commands again"
[ "$(dump | awk -F'\t' '$1 == "job" && $3 == "dataCapture"' | wc -l)" = 1 ] || fail "a second dataCapture job"

# An unreachable device: the job fails, the incident stays open.
udp_send "$in_port" '<28>Dec  1 10:19:00 r9 chassisd[1300]: CHASSISD_FRU_OFFLINE_NOTICE: Taking PEM 1 offline: Error'
wait_for "E4: the capture of incident 2 failed" shows 2 '^data capture *failed'
shows 2 '^state *open$' || fail "incident 2: $(show 2)"
wait_for "the failed dataCapture job" job_is dataCapture failure
echo "ok: an unreachable device's capture job fails, its incident stays open"

# The output survives a restart.
stop_resyncd
start_resyncd
show 1 | grep_all 'FPC 0 *REV 09' || fail "captured output lost over a restart: $(show 1)"
echo "PASS test_incident_capture"
