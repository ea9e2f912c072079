#!/usr/bin/env bash
# test_daemon_lifecycle: the daemon as an operator meets it. --check-config
# names the broken line; devices come from the file; SIGHUP adds and removes
# devices without losing the others' state; SIGTERM exits 0; and a
# SIGKILLed daemon restarts with its devices and jobs (J5).
. "$(dirname "$0")/lib.sh" life
devices() { dump | awk -F'\t' '$1 == "device" { print $3 }' | sort | tr '\n' ' '; }
has_devices() { [ "$(devices)" = "$1" ]; }
status_is() { [ "$(field "$1" 5)" = "$2" ]; }
start() {
	"$RESYNCD" -f -c "$work/resyncd.conf" 2>>"$work/resyncd.log" &
	pid=$!
	wait_for "resyncd to run" log_has "running: "
}
udp_port=$(free_udp_port)
write_conf() { # DEVICES...
	{
		echo "state_dir = \"$work/state\";"
		echo "known_hosts = \"$work/known_hosts\";"
		echo "listen = { relp = \"\"; udp = \"127.0.0.1:$udp_port\"; tcp = \"\"; };"
		echo "snmp = { mode = \"off\"; };"
		echo "settings = { autoResyncWaitSecs = 600; };"
		echo "devices = ("
		local sep=
		for d in "$@"; do
			printf '%s { name = "%s"; address = "192.0.2.%s"; }\n' "$sep" "$d" "${d#r}"
			sep=,
		done
		echo ");"
	} > "$work/resyncd.conf"
}

# --check-config: a broken file is refused with its line and the reason.
printf 'state_dir = "/tmp/x";\nsettings = {\n  damperIntervalSecs = 0;\n};\n' > "$work/broken.conf"
if out=$("$RESYNCD" --check-config -c "$work/broken.conf" 2>&1); then fail "broken config accepted"; fi
echo "$out" | grep_all "broken.conf:3: damperIntervalSecs must be within 1..86400" || fail "unclear error: $out"

write_conf r1 r2 r3
# known_hosts does not exist yet: --check-config says so (issue 12 item 9).
out=$("$RESYNCD" --check-config -c "$work/resyncd.conf" 2>&1) || fail "check-config: $out"
grep -q "OK (3 devices.*with warnings" <<<"$out" || fail "check-config: $out"
grep -q "warning: known_hosts $work/known_hosts: No such file" <<<"$out" || fail "no known_hosts warning: $out"
: > "$work/known_hosts"
out=$("$RESYNCD" --check-config -c "$work/resyncd.conf" 2>&1) || fail "check-config: $out"
[ "$out" = "$work/resyncd.conf: OK (3 devices, 0 credential sets, 0 event profiles)" ] || fail "check-config: $out"
start
has_devices "r1 r2 r3 " || fail "devices from the file: $(devices)"

# A second daemon on the same state directory is refused.
if "$RESYNCD" -f -c "$work/resyncd.conf" 2>"$work/second.log"; then fail "second daemon started"; fi
grep -q "another resyncd is running" "$work/second.log" || fail "second daemon: $(cat "$work/second.log")"

# A commit on r2 (UDP syslog) marks it outOfSync and schedules a job.
python3 - "$udp_port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"<189>Mar  3 10:15:02 r2 mgd[4242]: UI_COMMIT_COMPLETED: commit complete", ("127.0.0.1", int(sys.argv[1])))
PY
wait_for "r2 outOfSync" status_is r2 outOfSync

# SIGHUP: r1 removed, r4 added, r2 keeps its state.
r1_index=$(field r1 2)
write_conf r2 r3 r4
kill -HUP "$pid"
wait_for "reload" has_devices "r2 r3 r4 "
status_is r2 outOfSync || fail "r2 lost its state on reload"
[ "$(field r2 12)" != 0 ] || fail "r2 lost its scheduled job on reload"
# One addition and one removal are two changes, both by "configuration reload".
wait_for "the reload's summary" log_has "reload: "
log_has "reload: 2 device changes" || fail "reload summary: $(grep 'reload: ' "$work/resyncd.log")"
log_has "device r4: added as index [0-9]* (192.0.2.4) by configuration reload" ||
	fail "r4's addition: $(grep 'device r4' "$work/resyncd.log")"

# r1's index is kept with its history (a "removed" line), not handed to r4;
# restoring r1 in the file brings it back under that index (issue 11 item 9).
removed_index() { dump | awk -F'\t' -v n="$1" '$1 == "removed" && $3 == n { print $2 }'; }
[ "$(removed_index r1)" = "$r1_index" ] || fail "r1's index $r1_index not kept: $(dump | grep '^removed')"
[ "$(field r4 2)" != "$r1_index" ] || fail "r4 took removed r1's index $r1_index"
write_conf r1 r2 r3 r4
kill -HUP "$pid"
wait_for "r1 restored" has_devices "r1 r2 r3 r4 "
[ "$(field r1 2)" = "$r1_index" ] || fail "r1 came back as index $(field r1 2), was $r1_index"
[ -z "$(removed_index r1)" ] || fail "r1 restored but still listed as removed"
write_conf r2 r3 r4
kill -HUP "$pid"
wait_for "r1 removed again" has_devices "r2 r3 r4 "

# An empty file (no devices section) is refused, not read as "remove all".
cp "$work/resyncd.conf" "$work/good.conf"
: > "$work/resyncd.conf"
refusals=$(grep -c "reload refused" "$work/resyncd.log" || true)
kill -HUP "$pid"
refused_again() { [ "$(grep -c "reload refused" "$work/resyncd.log")" -gt "$refusals" ]; }
wait_for "the empty file's refusal" refused_again
mv "$work/good.conf" "$work/resyncd.conf"
has_devices "r2 r3 r4 " || fail "an empty file removed devices: $(devices)"

# A reload with a broken file keeps the running configuration.
cp "$work/resyncd.conf" "$work/good.conf"
echo 'devices = ( { name = "bad"; } );' >> "$work/resyncd.conf"
refusals=$(grep -c "reload refused" "$work/resyncd.log")
kill -HUP "$pid"
wait_for "reload refusal" refused_again
mv "$work/good.conf" "$work/resyncd.conf"
has_devices "r2 r3 r4 " || fail "broken reload changed devices"

# SIGTERM: orderly exit with status 0.
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
[ $rc -eq 0 ] || fail "SIGTERM exit status $rc"
log_has "stopped" || fail "no orderly stop"

# Restart, then SIGKILL and restart: state and due times survive (J5).
start
job=$(field r2 12)
[ "$job" != 0 ] || fail "scheduled job lost across restart"
due=$(dump | awk -F'\t' -v j="$job" '$1 == "job" && $2 == j { print $7 }')
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
start
[ "$(dump | awk -F'\t' -v j="$job" '$1 == "job" && $2 == j { print $4 " " $7 }')" = "scheduled $due" ] ||
	fail "J5: job $job did not keep its due time after SIGKILL"
status_is r2 outOfSync || fail "r2 state lost after SIGKILL"
echo "PASS"
