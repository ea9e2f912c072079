#!/usr/bin/env bash
# test_ingest_udp_tcp: syslog over UDP and TCP (LF-framed and octet-counted)
# reaches the model. SPEC R1 (a commit notification marks the device
# outOfSync), section 8 (UI_COMMIT's user is kept; unknown hosts change
# nothing), and duplicate copies do not count as two commits.
. "$(dirname "$0")/lib.sh" udptcp
udp() { python3 - "$udp_port" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))
PY
}
# tcp PAYLOAD [SOURCE]: sends raw bytes (Python escapes allowed) from SOURCE
# (default 127.0.0.1, which is no device's address) and closes.
tcp() { python3 - "$tcp_port" "$1" "${2:-127.0.0.1}" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), source_address=(sys.argv[3], 0))
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.close()
PY
}

udp_port=$(free_port)
tcp_port=$(free_port)
mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; tcp = "127.0.0.1:$tcp_port"; max_message_size = 1024; };
snmp = { mode = "off"; };
settings = { autoResyncEnabled = false; resyncTimeoutSecs = 2; };
devices = (
	{ name = "r1"; address = "192.0.2.11"; },
	{ name = "r2.lab.example.net"; address = "192.0.2.12"; },
	{ name = "r3"; address = "127.0.0.3"; },
	{ name = "r4"; address = "192.0.2.14"; }
);
CONF

"$RESYNCD" -f -d -c "$work/resyncd.conf" > "$work/resyncd.log" 2>&1 &
pid=$!
wait_for "the listeners" log_has "listening on tcp"
# Their initial resyncs (J7) fail (nothing answers there) and leave them
# outOfSync: a commit shows in commitCount (committed, lib.sh).
for d in r1 r2.lab.example.net r3 r4; do is "$d" 7 0 || fail "$d has commits at start"; done

# UDP, BSD form: UI_COMMIT names the user, UI_COMMIT_COMPLETED is the trigger.
udp "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT: User 'alice' requested 'commit' operation (comment: udp test)"
udp "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete"
wait_for "R1: r1 outOfSync after a UDP commit" committed r1 1
[ "$(field r1 8)" = alice ] || fail "r1 last commit user is '$(field r1 8)', want alice"
[ "$(field r1 7)" = 1 ] || fail "r1 commit count $(field r1 7), want 1"

# The same commit again (a second copy) is not a second commit; then a commit
# from an FQDN-named device sent by its short name, structured form, as a marker.
udp "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete"
udp "<13>Mar  5 10:15:05 nobody mgd[1]: UI_COMMIT_COMPLETED: commit complete"
udp '<189>1 2024-03-05T10:16:00.100Z r2 mgd 77 UI_COMMIT_COMPLETED [junos@2636.1.1.1.2.18 message="commit complete"] commit complete'
wait_for "R1: r2.lab.example.net outOfSync (short name in the message)" committed r2.lab.example.net 1
[ "$(field r1 7)" = 1 ] || fail "a duplicate copy counted as a commit: r1 count $(field r1 7)"
log_has "duplicate UI_COMMIT_COMPLETED ignored" || fail "no duplicate log line"
log_has "from nobody at 127.0.0.1: no managed device" || fail "unknown host not reported"

# TCP, LF-framed, no hostname in the header: matched by the sender address.
tcp '<28>Mar  5 10:17:00 r3 mib2d[1409]: SNMP_TRAP_LINK_DOWN: ifIndex 522\n<189>Mar  5 10:17:01 mgd[9]: UI_COMMIT_COMPLETED: commit complete\n' 127.0.0.3
wait_for "R1: r3 outOfSync by sender address over TCP" committed r3 1

# TCP, octet-counted, with an oversize frame that must be skipped.
big=$(printf 'x%.0s' $(seq 2000))
m1="<28>Mar  5 10:18:00 r4 mib2d[1]: SNMP_TRAP_LINK_UP: ifIndex 522"
m2="<189>Mar  5 10:18:01 r4 mgd[2]: UI_COMMIT_NOT_CONFIRMED: Commit was not confirmed; automatic rollback complete"
tcp "${#m1} $m1${#big} $big${#m2} $m2"
wait_for "R1: r4 outOfSync after an octet-counted UI_COMMIT_NOT_CONFIRMED" committed r4 1
[ "$(field r4 7)" = 1 ] || fail "r4 commit count $(field r4 7), want 1"
[ "$(field r3 7)" = 1 ] || fail "r3 commit count $(field r3 7), want 1"
echo "PASS test_ingest_udp_tcp"
