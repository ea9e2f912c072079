#!/usr/bin/env bash
# test_ingest_conn_limits: TCP syslog under a descriptor limit (issue 11 item
# 4). resyncd runs with `prlimit --nofile=256` and 400 clients connect and
# stay silent. Before, accept() failed with EMFILE, libevent's listener
# retried at once for ever (millions of "Too many open files" lines) and
# SNMP timed out. Now accepting pauses (logged once per streak), silent
# connections are closed after idle_timeout_secs or to make room, and:
# SNMP answers within a second the whole time, the log stays small, and a
# commit from a normal client still arrives.
command -v prlimit >/dev/null || { echo "SKIP: prlimit not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" connlim

tcp_port=$(free_port)
snmp_port=$(free_udp_port)
ingest_conf "relp = \"\"; udp = \"\"; tcp = \"127.0.0.1:$tcp_port\"; idle_timeout_secs = 3;" \
	'{ name = "r1"; address = "192.0.2.11"; }' \
	"mode = \"master\"; listen = \"udp:127.0.0.1:$snmp_port\"; community = \"t$$\";"
prlimit --nofile=256:256 -- "$RESYNCD" -f -c "$work/resyncd.conf" >> "$work/resyncd.log" 2>&1 &
pid=$!
wait_for "resyncd's TCP listener" log_has "listening on tcp"
wait_for "resyncd's SNMP" udp_listening "$snmp_port"

# 400 silent clients (non-blocking connects: those beyond the listen queue
# wait in SYN retries), held open until the test ends.
python3 - "$tcp_port" > "$work/idle.log" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for _ in range(400):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", int(sys.argv[1])))
    socks.append(s)
print("connected", flush=True)
time.sleep(3600)
PY
track_daemon $!
wait_for "the idle clients" grep -q connected "$work/idle.log"
wait_for "accepting paused at the descriptor limit" log_has "pausing accepts"

# SNMP answers within a second, again and again, while the clients churn.
status_oid=1.3.6.1.4.1.8072.9999.9999.7343.1.2.1.0   # resyncdDeviceCount.0
for i in $(seq 1 10); do
	start=$(date +%s%N)
	v=$(snmpget -Oqv -t 1 -r 0 -v2c -c "t$$" "127.0.0.1:$snmp_port" "$status_oid" 2>&1) ||
		fail "SNMP GET $i failed: $v"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$v" = 1 ] || fail "SNMP GET $i: '$v', want 1"
	[ "$ms" -lt 1000 ] || fail "SNMP GET $i took $ms ms"
	sleep 0.3 # spaces the probes over the churn (not synchronisation)
done

# A normal client's commit gets through (a silent connection is closed to
# make room, or after 3 s).
python3 - "$tcp_port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
s.sendall(b"<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete\n")
s.close()
PY
wait_for "the normal client's commit" is r1 5 outOfSync

lines=$(wc -l < "$work/resyncd.log")
[ "$lines" -lt 40 ] || fail "resyncd.log has $lines lines"
n=$(grep -c "pausing accepts" "$work/resyncd.log")
[ "$n" -le 5 ] || fail "$n 'pausing accepts' lines"
echo "PASS test_ingest_conn_limits ($lines log lines)"
