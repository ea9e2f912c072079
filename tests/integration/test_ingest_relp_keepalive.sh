#!/usr/bin/env bash
# test_ingest_relp_keepalive.sh (issue 11 item 4, RELP): librelp 1.11 has no
# idle timeout, no connection cap and no hook to close a session, so a relay
# host that vanished without closing kept its RELP session for ever. With
# listen.idle_timeout_secs set, a RELP session has TCP keepalive: silent that
# long, it is probed and closed if the host does not answer. Checked on the
# server side of a real session, as the kernel reports it (ss -o: the
# keepalive timer and its idle time), and absent with idle_timeout_secs = 0.
. "$(dirname "$0")/lib.sh" relp_keepalive
command -v ss >/dev/null || { echo "SKIP: ss not installed"; exit 77; }
relp_port=$(free_port)

# session_timer: the timer ss shows on resyncd's side of the one RELP session.
session_timer() { ss -Htno state established "( sport = :$relp_port )" | grep -o 'timer:([^)]*)' || true; }
# hold_session: a RELP client that opens a session and stays silent, in the background.
hold_session() {
	# Its output to a file: a client left behind by a failure must not hold ctest's pipe.
	python3 - "$relp_port" >"$work/client.log" 2>&1 <<-'PY' &
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	offer = b"relp_version=0\nrelp_software=resyncd-test\ncommands=syslog"
	s.sendall(b"1 open %d %s\n" % (len(offer), offer))
	if not s.recv(200).startswith(b"1 rsp "):
	    sys.exit(1)
	time.sleep(60)
	PY
	client=$!
}
run_with_idle() { # IDLE_SECS
	ingest_conf "relp = \"127.0.0.1:$relp_port\"; udp = \"\"; tcp = \"\"; idle_timeout_secs = $1;" \
		'{ name = "r1.lab"; address = "192.0.2.1"; }'
	run_resyncd
	wait_for "the RELP listener" log_has 'relp: listening'
	hold_session
	has_session() { [ -n "$(ss -Htn state established "( sport = :$relp_port )")" ]; }
	wait_for "the RELP session" has_session
}
end_run() { kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true; stop_resyncd; }

run_with_idle 300
t=$(session_timer)
grep_all -E '^timer:\(keepalive,([0-9]+min|[0-9.]+sec)' <<<"$t" || fail "RELP session has no keepalive timer: '$t'"
# The first probe comes after idle_timeout_secs (300 s): more than 4 minutes away.
grep_all -E '^timer:\(keepalive,[45]min' <<<"$t" || fail "keepalive not at idle_timeout_secs: '$t'"
end_run
echo "ok - a silent RELP session is probed by TCP keepalive after idle_timeout_secs ($t)"

run_with_idle 0
t=$(session_timer)
[ -z "$t" ] || fail "idle_timeout_secs = 0 still set a timer: '$t'"
end_run
echo "ok - idle_timeout_secs = 0: no keepalive"
echo "PASS"
