# lib.sh: what the integration tests that run resyncd share: paths, a work
# directory removed on exit (KEEP=1 keeps it), resyncd ($pid) and devsim
# ($work/sim) stopped by PID, polling with a deadline instead of sleeps, and
# reading the store with --dump-state.
#   . "$(dirname "$0")/lib.sh" NAME      (WAIT_SECS sets the deadline, default 60)
set -euo pipefail

BUILD=${RESYNCD_BUILD_DIR:?}
SRC=${RESYNCD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RESYNCD=$BUILD/resyncd
DEVSIM=$SRC/scripts/devsim/devsim
WAIT_SECS=${WAIT_SECS:-60}
work=$(mktemp -d "/tmp/resyncd-$1.XXXXXX")
pid=

cleanup() {
	stop_resyncd
	if [ -d "$work/sim" ]; then "$DEVSIM" stop "$work/sim" >/dev/null 2>&1 || true; fi
	[ "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# fail MESSAGE: the tails of the files in $work named by FAIL_LOGS (default resyncd.log) shown.
FAIL_LOGS=resyncd.log
fail() {
	local f
	echo "FAIL: $*"
	for f in $FAIL_LOGS; do [ -f "$work/$f" ] && { echo "--- $f"; tail -n 40 "$work/$f"; }; done
	exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds or WAIT_SECS pass.
wait_for() {
	local what=$1; shift
	local end=$((SECONDS + WAIT_SECS))
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
	fail "timed out waiting for $what"
}
dump() { "$RESYNCD" -c "$work/resyncd.conf" --dump-state; }
# ingest_conf LISTEN DEVICES [SNMP]: $work/resyncd.conf (and $work/state) for
# an ingestion test: listen = { LISTEN }, devices = ( DEVICES ), snmp off
# unless SNMP gives its group's body, no automatic resyncs. Nothing answers
# at the devices' addresses: their initial resync (J7, at start) fails within
# resyncTimeoutSecs 2 and leaves them outOfSync with no commit counted, so an
# ingestion test tells a commit by commitCount (committed), not by status.
ingest_conf() {
	local snmp=${3:-'mode = "off";'}
	mkdir -p "$work/state"
	cat > "$work/resyncd.conf" <<-CONF
	state_dir = "$work/state";
	known_hosts = "$work/known_hosts";
	listen = { $1 };
	snmp = { $snmp };
	settings = { autoResyncEnabled = false; resyncTimeoutSecs = 2; };
	devices = ( $2 );
	CONF
}
# field NAME COLUMN: a device's column in --dump-state (5 managedStatus,
# 6 connStatus, 7 commitCount, 8 lastCommitUser, 9 lastResyncResult,
# 10 lastResyncReason, 11 configVersion, 12 scheduledAutoJob).
field() { dump | awk -F'\t' -v n="$1" -v c="$2" '$1 == "device" && $3 == n { print $c }'; }
# is NAME COLUMN VALUE: evaluated afresh at each poll.
is() { [ "$(field "$1" "$2")" = "$3" ]; }
# grep -q at the end of a pipe exits at the first match; under pipefail the
# writer's SIGPIPE then fails the pipe however right the output was. grep_all
# reads everything and says only whether it matched.
grep_all() { grep "$@" >/dev/null; }
log_has() { grep -q -- "$1" "$work/resyncd.log"; }
# committed NAME N: N commits counted for NAME, and it is outOfSync (R1).
committed() { [ "$(dump | awk -F'\t' -v n="$1" '$1 == "device" && $3 == n { print $7, $5 }')" = "$2 outOfSync" ]; }
# stop_resyncd: SIGTERM to resyncd ($pid), SIGKILL if it is still there 10 s
# later (a resyncd spinning inside net-snmp never reaches its handler), so a
# hang fails the test instead of blocking it.
stop_resyncd() {
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	local end=$((SECONDS + 10))
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
}

# run_resyncd [OPTION...]: resyncd -f on $work/resyncd.conf in the background
# ($pid), its output appended to $work/resyncd.log.
run_resyncd() {
	"$RESYNCD" -f -c "$work/resyncd.conf" "$@" >> "$work/resyncd.log" 2>&1 &
	pid=$!
}
# expect WHAT GOT WANT: fails unless GOT is WANT.
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

# --- devsim's simulated Junos devices (OpenSSH sshd + NETCONF) -----------------------
# sim_start N [OPTION...]: devices r1..rN in $work/sim, at 127.0.0.2.. on one
# sshd; sets ssh_port to its port.
sim_start() {
	local n=$1
	shift
	"$DEVSIM" start "$work/sim" --devices "$n" "$@" >/dev/null
	ssh_port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
}
# sim_credential [NAME]: a credentials list (one line) whose credential NAME
# (default sim) logs in to devsim's devices.
sim_credential() { echo "credentials = ( { name = \"${1:-sim}\"; user = \"$(id -un)\"; key = \"$work/sim/client_key\"; } );"; }
# sim_devices N [PORT]: the entries of devsim's r1..rN in a devices list, comma
# separated (none after the last), on PORT (default $ssh_port), credential sim.
sim_devices() {
	local i sep
	for i in $(seq "$1"); do
		sep=,
		[ "$i" -eq "$1" ] && sep=
		printf '\t{ name = "r%d"; address = "127.0.0.%d"; port = %s; credential = "sim"; }%s\n' \
			"$i" $((i + 1)) "${2:-$ssh_port}" "$sep"
	done
}
# deploy_conf CONFIRM LISTEN SETTINGS REST: $work/resyncd.conf (and
# $work/state, $work/intended) for a test that deploys to devsim's devices:
# manager_user this user, intended_dir $work/intended, deploy's
# confirm_timeout_secs CONFIRM, listen = { LISTEN }, resyncd the AgentX
# subagent of start_snmpd's master, settings = { SETTINGS }, then REST
# (credentials and devices, e.g. from sim_credential and sim_devices).
deploy_conf() {
	mkdir -p "$work/state" "$work/intended"
	cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
manager_user = "$(id -un)";
intended_dir = "$work/intended";
deploy = { confirm_timeout_secs = $1; };
listen = { $2 };
snmp = { mode = "agentx"; agentx_socket = "$work/agentx.sock"; };
settings = { $3 };
$4
CONF
}
# sim_conf N SETTINGS [SNMP]: $work/resyncd.conf for devsim's devices r1..rN
# on $port (UDP syslog on $udp_port), with SETTINGS inside settings = {};
# snmp off unless SNMP gives its group's body.
sim_conf() {
	local snmp=${3:-'mode = "off";'}
	mkdir -p "$work/state"
	cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; };
snmp = { $snmp };
settings = { $2 };
$(sim_credential)
devices = (
$(sim_devices "$1" "$port")
);
CONF
}

# --- real net-snmp and rsyslog daemons around resyncd --------------------------------
# Each is started on private ports with its files in $work and stopped by PID
# when the test exits (before cleanup stops resyncd and devsim).
daemon_pids=()
track_daemon() {
	daemon_pids+=("$1")
	trap 'stop_daemons; cleanup' EXIT
}
stop_daemons() {
	local p
	# SIGCONT too: a daemon a test left stopped (SIGSTOP) would never end.
	for p in "${daemon_pids[@]}"; do kill "$p" 2>/dev/null || true; kill -CONT "$p" 2>/dev/null || true; done
	for p in "${daemon_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	daemon_pids=()
}
# stop_daemon PID: one tracked daemon stopped now (to restart it) and no longer tracked.
stop_daemon() {
	local p left=()
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	for p in "${daemon_pids[@]}"; do [ "$p" = "$1" ] || left+=("$p"); done
	daemon_pids=("${left[@]}")
}
# udp_listening PORT: something has bound 127.0.0.1:PORT/udp (no probe datagram).
udp_listening() { [ -n "$(ss -Hnlu "src 127.0.0.1:$1")" ]; }
# tcp_listening PORT: something listens on 127.0.0.1:PORT/tcp (no connection made).
tcp_listening() { [ -n "$(ss -Hnlt "src 127.0.0.1:$1")" ]; }

# SNMP clients by name through the RESYNCD-MIB. Debian main ships no IETF
# modules: the stand-ins in mibs/stubs come FIRST in the path, because
# net-snmp takes the module found last, so real modules of the same names in
# the default directories (snmp-mibs-downloader) replace them
# (test_mib_no_shadow checks this). -m without "+": only RESYNCD-MIB and its imports.
MIB_PATH="$SRC/mibs/stubs:$SRC/mibs:$(net-snmp-config --default-mibdirs 2>/dev/null || echo /usr/share/snmp/mibs)"
SNMP_MIBOPT=(-M "$MIB_PATH" -m RESYNCD-MIB)
snmp_quiet() { "$@" 2>&1 | grep -v -e '^Cannot find module' -e '^Did not find' -e '^Cannot adopt' -e '^MIB search path' || true; }
# Reads use $SNMP_READ_COMMUNITY (public; resyncd's embedded master has one
# community, which a test then sets it to).
snmp_get() { snmp_quiet snmpget -Oqv -t 2 -r 2 -v2c -c "${SNMP_READ_COMMUNITY:-public}" "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }
snmp_walk() { snmp_quiet snmpwalk -t 2 -r 2 -v2c -c "${SNMP_READ_COMMUNITY:-public}" "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }
snmp_table() { snmp_quiet snmptable -Cf '|' -Cb -t 2 -r 2 -v2c -c "${SNMP_READ_COMMUNITY:-public}" "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }
snmp_set() { snmp_quiet snmpset -t 2 -r 2 -v2c -c rwsecret "${SNMP_MIBOPT[@]}" "$SNMP_AGENT" "$@"; }

# The device and job tables by name over SNMP ($SNMP_AGENT, through snmp_get
# and snmp_walk, which a test may redefine).
# get OBJECT.INSTANCE: one value of RESYNCD-MIB::OBJECT.INSTANCE.
get() { snmp_get "RESYNCD-MIB::$1"; }
# snmp_registered N: resyncd's agent answers with N devices.
snmp_registered() { [ "$(get resyncdDeviceCount.0)" = "$1" ]; }
# index_devices [NAME...]: ix[NAME] is each device's row index (from
# resyncdDeviceName); fails for a NAME that has no row.
index_devices() {
	local oid name
	declare -gA ix
	while read -r oid name; do ix[$name]=${oid##*.}; done < <(snmp_walk -Oq RESYNCD-MIB::resyncdDeviceName)
	for name in "$@"; do [ -n "${ix[$name]:-}" ] || fail "no device row for $name"; done
}
# dev NAME COLUMN: resyncdDevice<COLUMN> of NAME's row (index_devices first).
dev() { get "resyncdDevice$2.${ix[$1]}"; }
# status_traps NAME: the new statuses of NAME's deviceManagedStatusChange
# traps in $work/traps.log, in order; only those after line $trap_base if set.
status_traps() {
	tail -n +$((${trap_base:-0} + 1)) "$work/traps.log" | grep -F 'deviceManagedStatusChange' |
		grep -o "resyncdDeviceManagedStatus\.${ix[$1]} = INTEGER: [a-zA-Z]*" | awk '{ print $NF }' | paste -sd' '
}
# job_ids: every job's id, in order; last_job: the newest one's.
job_ids() { snmp_walk -Oq RESYNCD-MIB::resyncdJobType | sed -n 's/^RESYNCD-MIB::resyncdJobType\.\([0-9]*\) .*/\1/p'; }
last_job() { job_ids | tail -n 1; }
# job_final ID: the job has ended (success, failure or cancelled).
job_final() { case "$(get "resyncdJobState.$1")" in success|failure|cancelled) return 0 ;; esac; return 1; }

# start_snmptrapd PORT: decoded notifications, one line each (varbinds tab
# separated), appended to $work/traps.log (with its own start-up lines).
start_snmptrapd() {
	echo 'authCommunity log public' > "$work/snmptrapd.conf"
	snmptrapd -f -C -X -c "$work/snmptrapd.conf" -Lf "$work/traps.log" -F '%v\n' -A \
		"${SNMP_MIBOPT[@]}" -p "$work/snmptrapd.pid" "udp:127.0.0.1:$1" 2>>"$work/snmptrapd.log" &
	track_daemon $!
	wait_for "snmptrapd listening" udp_listening "$1"
}
# start_snmp_master: snmptrapd and an AgentX master snmpd (start_snmptrapd,
# start_snmpd) on free ports ($trap_port, $snmp_port; sets SNMP_AGENT).
start_snmp_master() {
	snmp_port=$(free_udp_port)
	trap_port=$(free_udp_port)
	start_snmptrapd "$trap_port"
	start_snmpd "$snmp_port" "$trap_port"
}
# start_snmpd PORT TRAP_PORT: an AgentX master on its own socket
# ($work/agentx.sock), community public read-only and rwsecret read-write, its
# notifications (resyncd's traps) sent to TRAP_PORT. Sets SNMP_AGENT.
# ACCESS_FILE (optional): access control lines (view, rocommunity, ...) used
# instead of those two communities.
start_snmpd() {
	local access='rocommunity public 127.0.0.1
rwcommunity rwsecret 127.0.0.1'
	[ -z "${3:-}" ] || access=$(cat "$3")
	mkdir -p "$work/snmp-persist"
	cat > "$work/snmpd.conf" <<-CONF
	master agentx
	agentXSocket $work/agentx.sock
	agentXPerms 0600 0700
	dontLogTCPWrappersConnects yes
	$access
	trap2sink 127.0.0.1:$2 public
	CONF
	SNMP_PERSISTENT_DIR=$work/snmp-persist MIBS= snmpd -f -C -c "$work/snmpd.conf" -Lf "$work/snmpd.log" \
		-p "$work/snmpd.pid" "udp:127.0.0.1:$1" &
	track_daemon $!
	SNMP_AGENT=127.0.0.1:$1
	wait_for "snmpd's AgentX socket" test -S "$work/agentx.sock"
	wait_for "snmpd listening" udp_listening "$1"
}
# start_rsyslog_relp IN_PORT RELP_PORT: a private rsyslogd ($rsyslog_pid; own
# config, pid file and work directory, no system inputs) that takes device
# syslog on IN_PORT/udp and forwards it by RELP to resyncd, as docs/INGESTION.md says.
# RSYSLOG_MAXMSG (default rsyslog's 8k) sets rsyslog's maxMessageSize,
# RSYSLOG_RELP_OPTS adds omrelp parameters (e.g. localClientIp="127.0.0.2").
start_rsyslog_relp() {
	mkdir -p "$work/rsyslog"
	cat > "$work/rsyslog.conf" <<-CONF
	global(workDirectory="$work/rsyslog" processInternalMessages="on" maxMessageSize="${RSYSLOG_MAXMSG:-8k}")
	module(load="imudp")
	module(load="omrelp")
	input(type="imudp" address="127.0.0.1" port="$1")
	action(type="omrelp" target="127.0.0.1" port="$2" template="RSYSLOG_SyslogProtocol23Format" ${RSYSLOG_RELP_OPTS:-}
	       action.resumeRetryCount="-1" action.resumeInterval="1"
	       queue.type="LinkedList" queue.filename="relpq" queue.saveOnShutdown="on")
	CONF
	rsyslogd -n -i "$work/rsyslogd.pid" -f "$work/rsyslog.conf" > "$work/rsyslogd.log" 2>&1 &
	rsyslog_pid=$!
	track_daemon $!
	wait_for "rsyslogd's UDP input" udp_listening "$1"
}
# udp_send PORT LINE...: one datagram per line to 127.0.0.1:PORT, as a device sends syslog.
udp_send() {
	python3 - "$@" <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	for line in sys.argv[2:]:
	    s.sendto(line.encode(), ("127.0.0.1", int(sys.argv[1])))
	PY
}
