#!/usr/bin/env bash
# test_ingest_allowed_senders: listen.allowed_senders (issue 11 item 10), as
# rsyslog's AllowedSender, on all three doors. Allowed: 127.0.0.1. Commits
# from 127.0.0.2 are ignored and counted, over UDP, TCP (the connection is
# closed) and RELP (a real rsyslogd relaying from 127.0.0.2); the same from
# 127.0.0.1 count.
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed"; exit 77; }
ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1 || { echo "SKIP: rsyslog-relp not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" allowed
# send PROTO SOURCE LINE: one message over udp or tcp from SOURCE.
send() { python3 - "$1" "$2" "$3" "$udp_port" "$tcp_port" <<'PY'
import socket, sys
proto, src, line, up, tp = sys.argv[1:6]
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.sendto(line.encode(), ("127.0.0.1", int(up)))
else:
    s = socket.create_connection(("127.0.0.1", int(tp)), source_address=(src, 0))
    try:
        s.sendall(line.encode() + b"\n")
    except OSError:
        pass  # refused senders are disconnected
    s.close()
PY
}
commit() { echo "<189>Mar  5 10:15:0$2 $1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete"; }

udp_port=$(free_udp_port)
tcp_port=$(free_port)
relp_port=$(free_port)
in_port=$(free_port)
ingest_conf "relp = \"127.0.0.1:$relp_port\"; udp = \"127.0.0.1:$udp_port\"; tcp = \"127.0.0.1:$tcp_port\";
	allowed_senders = [ \"127.0.0.1/32\", \"2001:db8::/32\" ];" \
	'{ name = "r1"; address = "192.0.2.11"; }, { name = "r2"; address = "192.0.2.12"; },
	 { name = "r3"; address = "192.0.2.13"; }, { name = "r4"; address = "192.0.2.14"; },
	 { name = "r5"; address = "192.0.2.15"; }'
"$RESYNCD" -f -d -c "$work/resyncd.conf" >> "$work/resyncd.log" 2>&1 &
pid=$!
wait_for "resyncd's listeners" log_has "relp: listening"

send udp 127.0.0.2 "$(commit r1 1)"
send udp 127.0.0.1 "$(commit r2 2)"
wait_for "r2's commit over UDP from an allowed sender" committed r2 1
is r1 7 0 || fail "r1 changed by a UDP commit from 127.0.0.2"
send tcp 127.0.0.2 "$(commit r3 3)"
send tcp 127.0.0.1 "$(commit r4 4)"
wait_for "r4's commit over TCP from an allowed sender" committed r4 1
is r3 7 0 || fail "r3 changed by a TCP commit from 127.0.0.2"

FAIL_LOGS="resyncd.log rsyslogd.log"
RSYSLOG_RELP_OPTS='localClientIp="127.0.0.2"' start_rsyslog_relp "$in_port" "$relp_port"
udp_send "$in_port" "$(commit r5 5)"
wait_for "the RELP relay at 127.0.0.2 refused" log_has "relp: 127.0.0.2 is not in listen.allowed_senders"
stop_resyncd
is r5 7 0 || fail "r5 changed by a commit relayed from 127.0.0.2"
grep -q "ingest: received .*, commits 2, .*refused senders [3-9]" "$work/resyncd.log" ||
	fail "want 2 commits, 3 or more refused: $(grep 'ingest: received' "$work/resyncd.log")"
echo "PASS test_ingest_allowed_senders"
