#!/usr/bin/env bash
# test_ingest_udp_drops: what the kernel drops on the UDP listener because
# its receive buffer is full is counted (resyncdUdpBufferDrops over real
# snmpget, and the "ingest:" line at stop). resyncd is stopped (SIGSTOP)
# while 20,000 datagrams of 1 KB arrive, far more than any receive buffer
# the kernel grants it (8 MB at most): on loopback every datagram is either
# queued or dropped at the socket, so once resyncd runs again received +
# dropped must be exactly what was sent, and dropped must not be 0.
. "$(dirname "$0")/lib.sh" udpdrops
command -v snmpget >/dev/null || { echo "SKIP: no snmpget"; exit 77; }
udp_port=$(free_udp_port)
snmp_port=$(free_udp_port)
SNMP_AGENT=udp:127.0.0.1:$snmp_port
SNMP_READ_COMMUNITY=t$$
N=20000
mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; tcp = ""; };
snmp = { mode = "master"; listen = "$SNMP_AGENT"; community = "$SNMP_READ_COMMUNITY"; };
settings = { autoResyncEnabled = false; };
devices = ( { name = "r1"; address = "192.0.2.11"; } );
CONF
run_resyncd
wait_for "resyncd answering SNMP" snmp_registered 1
expect "drops before the burst" "$(get resyncdUdpBufferDrops.0)" 0
received0=$(get resyncdMsgsReceived.0)

kill -STOP "$pid"
python3 - "$udp_port" "$N" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
line = ("<165>Mar  5 10:15:02 r1 rpd[1]: RPD_TEST: " + "x" * 1000).encode()
for _ in range(int(sys.argv[2])):
    s.sendto(line, ("127.0.0.1", int(sys.argv[1])))
PY
kill -CONT "$pid"

accounted() {
	local r d
	r=$(get resyncdMsgsReceived.0) d=$(get resyncdUdpBufferDrops.0)
	[ -n "$r" ] && [ -n "$d" ] && [ $((r - received0 + d)) -eq "$N" ]
}
wait_for "received + dropped = $N sent" accounted
drops=$(get resyncdUdpBufferDrops.0)
echo "ok: of $N datagrams, $((N - drops)) received, $drops dropped by the kernel"
[ "$drops" -gt 0 ] || fail "no drops counted although $N KB arrived while resyncd was stopped"

kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
log_has "udp buffer drops $drops" || fail "the ingest line at stop does not say 'udp buffer drops $drops'"
echo "PASS test_ingest_udp_drops"
