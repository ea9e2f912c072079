#!/usr/bin/env bash
# test_snmp_master_walk.sh: resyncd as an embedded master agent answers every
# GETNEXT/GETBULK walk to its end. Regression for the demo's hang (resyncd at
# 100% CPU in net-snmp's handle_getnext_loop after the last row of a table or
# the last scalar of a group): with 3 devices and 3 finished jobs, after a
# device is removed, with no devices left, and on a fresh daemon with nothing
# configured, snmpwalk and snmpbulkwalk of the whole RESYNCD-MIB (and of the
# whole agent) end with the right number of objects in increasing OID order
# (snmpwalk fails on "OID not increasing"), snmptable reads each table, and
# the agent still answers afterwards. Every client call runs under timeout.
. "$(dirname "$0")/lib.sh" walk
for t in snmpwalk snmpbulkwalk snmpset snmpget snmptable timeout; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
# A hung resyncd ignores SIGTERM: lib.sh's cleanup (stop_resyncd) SIGKILLs it after 10 s.
trap 'exit 1' INT TERM

export SNMP_PERSISTENT_DIR=$work/persist
mkdir -p "$SNMP_PERSISTENT_DIR"
DEAD_PORT=$(free_port) # nothing listens: each resync fails at once

# snmp SECS TOOL ARGS...: TOOL against resyncd's agent (community walk), killed
# after SECS (exit 124). Only RESYNCD-MIB is loaded: no noise on stderr.
snmp() {
	local secs=$1 tool=$2
	shift 2
	timeout "$secs" "$tool" -v2c -c walk -t 3 -r 1 -M "$MIB_PATH" -m RESYNCD-MIB \
		"$SNMP_AGENT" "$@"
}
get() { snmp 10 snmpget -Oqv "$@"; }
answers() { get RESYNCD-MIB::resyncdDeviceCount.0 >/dev/null 2>&1; }
cpu() { ps -o pid=,pcpu=,stat=,time= -p "$pid" || true; }

start_resyncd() { # name, devices (libconfig list body)
	local snmp_port
	snmp_port=$(free_udp_port)
	mkdir -p "$work/$1"
	cat >"$work/$1/resyncd.conf" <<CONF
state_dir = "$work/$1/state";
listen = { relp = "127.0.0.1:$(free_port)"; udp = "127.0.0.1:$(free_udp_port)"; };
snmp = { mode = "master"; listen = "udp:127.0.0.1:$snmp_port"; community = "walk"; };
devices = ( $2 );
CONF
	"$RESYNCD" -f -c "$work/$1/resyncd.conf" 2>"$work/resyncd.log" &
	pid=$!
	SNMP_AGENT=127.0.0.1:$snmp_port
	wait_for "the SNMP agent" answers
}

# One walk with tool $1 of OID $2: must end, in order, with $3 RESYNCD-MIB objects.
walk_ok() {
	local out rc=0 n
	out=$(snmp 20 "$1" "$2" 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "$1 $2 exited $rc (124: hung): $(tail -n 3 <<<"$out") [resyncd: $(cpu)]"
	grep -q 'not increasing' <<<"$out" && fail "$1 $2: $(grep 'not increasing' <<<"$out")"
	n=$(grep '^RESYNCD-MIB::' <<<"$out" | grep -vc 'No more variables' || true)
	[ "$n" -eq "$3" ] || fail "$1 $2: $n objects, want $3"
}

# Everything a manager walks, then proof that the agent is not spinning.

check_walks() { # label, objects in RESYNCD-MIB, device rows, job rows, job-device rows
	echo "== $1"
	for tool in snmpwalk snmpbulkwalk; do
		walk_ok $tool RESYNCD-MIB::resyncdMIB "$2"
		walk_ok $tool .1 "$2"
		walk_ok $tool RESYNCD-MIB::resyncdStatus $STATUS
		walk_ok $tool RESYNCD-MIB::resyncdSettings $SETTINGS
		walk_ok $tool RESYNCD-MIB::resyncdControl $CONTROL
	done
	local table rows out rc
	for table in resyncdDeviceTable:$3 resyncdJobTable:$4 resyncdJobDeviceTable:${5:-$4}; do
		rows=${table#*:}
		table=${table%:*}
		rc=0
		out=$(snmp 20 snmptable -Cb -Cf '|' -CH "RESYNCD-MIB::$table" 2>&1) || rc=$?
		[ $rc -eq 0 ] || fail "snmptable $table exited $rc (124: hung) [resyncd: $(cpu)]"
		if [ "$rows" -eq 0 ]; then
			grep -q 'No entries' <<<"$out" || fail "snmptable $table: want no entries, got: $out"
		else
			[ "$(grep -c '|' <<<"$out")" -eq "$rows" ] || fail "snmptable $table: want $rows rows, got: $out"
		fi
	done
	[ "$(get RESYNCD-MIB::resyncdDeviceCount.0)" = "$3" ] || fail "agent does not answer after the walks"
}

# 3 devices, their initial resync (J7) and a failed manual resync on two of them (3 finished jobs).
start_resyncd full "
  { name = \"r1\"; address = \"127.0.0.2\"; port = $DEAD_PORT; },
  { name = \"r2\"; address = \"127.0.0.3\"; port = $DEAD_PORT; },
  { name = \"r3\"; address = \"127.0.0.4\"; port = $DEAD_PORT; }"
for i in 1 2; do
	snmp 10 snmpset "RESYNCD-MIB::resyncdDeviceAction.$i" i 2 >/dev/null || fail "resync of device $i refused"
done
# 3 failed jobs: the initial resync of the three (J7) and the two resyncs.
finished() { [ "$(get RESYNCD-MIB::resyncdJobsFailed.0)" = 3 ]; }
wait_for "3 failed jobs" finished
# Device columns 2-24: 23 a row.
DEV_COLS=23
# Job columns 2-15; job-device columns 2-6 per task.
JOB_COLS=14 TASK_COLS=5
# Settings 1-14; status
# 1-32 and 34-38 (33 belongs to another counter, not there yet);
# resyncdControl's two actions.
SETTINGS=14 STATUS=37 CONTROL=2
SCALARS=$((SETTINGS + STATUS + CONTROL))
# scalars + device columns + job columns + job-device columns of each task
check_walks "3 devices, 3 jobs" $((SCALARS + 3 * DEV_COLS + 3 * JOB_COLS + 5 * TASK_COLS)) 3 3 5

snmp 10 snmpset RESYNCD-MIB::resyncdDeviceRowStatus.2 i 6 >/dev/null || fail "destroy of device 2 refused"
check_walks "device 2 removed" $((SCALARS + 2 * DEV_COLS + 3 * JOB_COLS + 5 * TASK_COLS)) 2 3 5

for i in 1 3; do
	snmp 10 snmpset "RESYNCD-MIB::resyncdDeviceRowStatus.$i" i 6 >/dev/null || fail "destroy of device $i refused"
done
check_walks "no devices left, jobs kept" $((SCALARS + 3 * JOB_COLS + 5 * TASK_COLS)) 0 3 5
stop_resyncd

start_resyncd empty ""
check_walks "fresh daemon, nothing configured" $SCALARS 0 0
stop_resyncd
echo "PASS"
