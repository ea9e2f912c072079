#!/usr/bin/env bash
# test_start_errors: started without -f, resyncd returns only once it runs or
# has failed to start; a start-up failure (state directory unusable or held
# by another resyncd, a listen port taken, the RELP port held by another
# process even with SO_REUSEPORT) is a non-zero exit status with the
# reason on stderr, and a good start exits 0 with the daemon running.
. "$(dirname "$0")/lib.sh" starterr
udp_port=$(free_udp_port)
write_conf() { # STATE_DIR UDP_LISTEN [RELP_LISTEN]
	cat > "$work/resyncd.conf" <<-CONF
	state_dir = "$1";
	known_hosts = "$work/known_hosts";
	listen = { relp = "${3:-}"; udp = "$2"; tcp = ""; };
	snmp = { mode = "off"; };
	devices = ( { name = "r1"; address = "192.0.2.1"; } );
	CONF
}
# refused WHAT PATTERN: resyncd (detaching) exits non-zero at once, saying PATTERN on stderr.
refused() {
	local rc=0
	timeout 60 "$RESYNCD" -c "$work/resyncd.conf" 2>"$work/err.log" || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "$1: exit status $rc, want a failure"
	grep -q -- "$2" "$work/err.log" || fail "$1: stderr lacks '$2': $(cat "$work/err.log")"
	echo "ok $1: exit $rc, '$(grep -m1 -- "$2" "$work/err.log")'"
}

# An unusable state directory (a file is in the way).
touch "$work/notadir"
write_conf "$work/notadir/state" "127.0.0.1:$udp_port"
refused "unusable state directory" "cannot create state directory $work/notadir/state"

# A state directory another resyncd holds.
write_conf "$work/state" "127.0.0.1:$udp_port"
"$RESYNCD" -f -c "$work/resyncd.conf" 2>>"$work/resyncd.log" &
pid=$!
wait_for "the first resyncd to run" log_has "running: "
refused "state directory in use" "another resyncd is running on $work/state"
stop_resyncd

# The syslog port is taken (found after the store is open).
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); time.sleep(600)' "$udp_port" &
holder=$!
wait_for "the port holder" udp_listening "$udp_port"
refused "listen port taken" "127.0.0.1:$udp_port"
kill "$holder"
wait "$holder" 2>/dev/null || true

# The RELP port is taken by a listener that allows SO_REUSEPORT: resyncd's
# engines share the port as such a group, and a process of the same user
# that set the option could otherwise join it unnoticed (and take a share
# of the connections).
relp_port=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' "$relp_port" &
holder=$!
wait_for "the RELP port holder" tcp_listening "$relp_port"
write_conf "$work/state" "127.0.0.1:$udp_port" "127.0.0.1:$relp_port"
refused "RELP port taken (SO_REUSEPORT)" "relp: cannot listen on 127.0.0.1:$relp_port: Address already in use"
kill "$holder"
wait "$holder" 2>/dev/null || true
write_conf "$work/state" "127.0.0.1:$udp_port"

# A good start: exit 0 once the daemon runs, stderr quiet, the daemon there.
rc=0
timeout 60 "$RESYNCD" -c "$work/resyncd.conf" 2>"$work/err.log" || rc=$?
[ "$rc" = 0 ] || fail "good start: exit status $rc: $(cat "$work/err.log")"
[ ! -s "$work/err.log" ] || fail "good start: stderr not empty: $(cat "$work/err.log")"
pid=$(cat "$work/state/resyncd.pid")
kill -0 "$pid" || fail "good start: no daemon (pid $pid)"
wait_for "the daemon's UDP listener" udp_listening "$udp_port"
echo "ok good start: exit 0, daemon $pid running"
stop_resyncd
echo "PASS test_start_errors"
