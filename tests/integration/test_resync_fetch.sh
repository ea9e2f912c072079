#!/usr/bin/env bash
# test_resync_fetch: resync jobs fetch real configurations from simulated Junos
# devices on a real OpenSSH sshd (scripts/devsim). SPEC R4: success stores a
# configuration version (--diff shows the simulator's commit) and the device is
# inSync, also for a device known_hosts knows only by its RSA key while it
# offers ed25519 too (resyncd asks for the known type); each failure class — NETCONF rpc-error, a reply cut in half, a wrong
# key, a changed host key, sshd stopped — leaves it outOfSync with a one-line
# reason, the connection status, and no new version. Both framings.
. "$(dirname "$0")/lib.sh" fetch
# failed_now NAME: its newest resync failed and left it outOfSync.
failed_now() { [ "$(field "$1" 9)" = 3 ] && [ "$(field "$1" 5)" = outOfSync ]; }
# commit NAME [USER]: the device commits; its failed resyncs so far are noted.
declare -A fails_before
fails() { grep -c "device $1: resync failed" "$work/resyncd.log" || true; }
commit() {
	fails_before[$1]=$(fails "$1")
	"$DEVSIM" commit "$work/sim" "$1" --user "${2:-alice}" --syslog "127.0.0.1:$udp_port" >/dev/null
}
failed_again() { [ "$(fails "$1")" -gt "${fails_before[$1]}" ] && failed_now "$1"; }
# expect_failure NAME REASON CONN VERSION: the resync after a commit failed so.
expect_failure() {
	wait_for "$1 resync failure" failed_again "$1"
	field "$1" 10 | grep_all -- "$2" || fail "$1 reason '$(field "$1" 10)' lacks '$2'"
	[ "$(field "$1" 6)" = "$3" ] || fail "$1 connStatus $(field "$1" 6), want $3"
	[ "$(field "$1" 11)" = "$4" ] || fail "$1 configVersion $(field "$1" 11), want $4"
	echo "ok: $1 failed: $(field "$1" 10)"
}

"$DEVSIM" start "$work/sim" --devices 7 >/dev/null
port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
udp_port=$(free_port)
# resyncd's own known_hosts: r5's entry names another key, as if the device changed.
grep -v '^\[127.0.0.6\]' "$work/sim/known_hosts" > "$work/known_hosts"
echo "[127.0.0.6]:$port $(cut -d' ' -f1,2 "$work/sim/client_key.pub")" >> "$work/known_hosts"
# r7 is known by its RSA host key only.
grep -v '^\[127.0.0.8\]' "$work/known_hosts" > "$work/known_hosts.tmp"
grep '^\[127.0.0.8\]' "$work/sim/known_hosts.rsa" >> "$work/known_hosts.tmp"
mv "$work/known_hosts.tmp" "$work/known_hosts"
"$DEVSIM" set "$work/sim" r2 framing=1.0
"$DEVSIM" set "$work/sim" r3 fault=rpc-error
"$DEVSIM" set "$work/sim" r4 fault=cut

mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; };
snmp = { mode = "off"; };
settings = { autoResyncWaitSecs = 1; damperIntervalSecs = 1; resyncTimeoutSecs = 10; };
credentials = (
	{ name = "sim"; user = "$(id -un)"; key = "$work/sim/client_key"; },
	{ name = "wrong"; user = "$(id -un)"; key = "$work/sim/ssh_host_ed25519_key"; }
);
devices = (
	{ name = "r1"; address = "127.0.0.2"; port = $port; credential = "sim"; },
	{ name = "r2"; address = "127.0.0.3"; port = $port; credential = "sim"; },
	{ name = "r3"; address = "127.0.0.4"; port = $port; credential = "sim"; },
	{ name = "r4"; address = "127.0.0.5"; port = $port; credential = "sim"; },
	{ name = "r5"; address = "127.0.0.6"; port = $port; credential = "sim"; },
	{ name = "r6"; address = "127.0.0.7"; port = $port; credential = "wrong"; },
	{ name = "r7"; address = "127.0.0.8"; port = $port; credential = "sim"; }
);
CONF
"$RESYNCD" -f -c "$work/resyncd.conf" 2> "$work/resyncd.log" &
pid=$!
# Only once resyncd owns the store may --dump-state join it (see store_open).
wait_for "resyncd running" grep -q 'running: 7 devices' "$work/resyncd.log"
# J7: every device was fetched at start, without a commit (its initial
# resync): the good ones stored version 1, the faulty ones failed, each with
# its reason; the commits below then make the next versions.
settled() { local n; for n in r1 r2 r3 r4 r5 r6 r7; do [ "$(field "$n" 9)" != 1 ] || return 1; done; }
wait_for "the initial resyncs" settled
for n in r1 r2 r7; do
	[ "$(field $n 5)" = inSync ] && [ "$(field $n 11)" = 1 ] || fail "$n after its initial resync: $(field $n 5) version $(field $n 11)"
done
for n in r3 r4 r5 r6; do failed_now $n || fail "$n's initial resync did not fail: $(field $n 5)"; done
[ "$(field r5 10 | grep -c 'host key mismatch')" = 1 ] || fail "r5's initial reason: $(field r5 10)"
"$RESYNCD" -c "$work/resyncd.conf" --diff r1 > "$work/diff1" || fail "--diff r1 failed"
grep -q '^+    host-name r1;$' "$work/diff1" || fail "first version diff lacks the config"
echo "ok: the initial resyncs stored r1, r2, r7 and failed r3-r6"

# --- success, chunked framing (base:1.1): a commit makes a new version.
commit r1
wait_for "r1 version 2" is r1 11 2
wait_for "r1 inSync" is r1 5 inSync
[ "$(field r1 6)" = up ] || fail "r1 connStatus $(field r1 6)"
commit r1 bob
wait_for "r1 version 3" is r1 11 3
wait_for "r1 inSync again" is r1 5 inSync
"$RESYNCD" -c "$work/resyncd.conf" --diff r1 > "$work/diff2" || fail "--diff r1 failed"
grep -q '^--- r1 version 2' "$work/diff2" || fail "diff not from version 2: $(head -2 "$work/diff2")"
grep -q '^+++ r1 version 3.*committed by bob' "$work/diff2" || fail "diff not to version 3 by bob"
grep -q '^-    location "lab rack 4, revision 2";$' "$work/diff2" || fail "diff lacks the removed line"
grep -q '^+    location "lab rack 4, revision 3";$' "$work/diff2" || fail "diff lacks the added line"
grep -q '^+        route 10.3.0.0/16 next-hop 192.0.2.1;$' "$work/diff2" || fail "diff lacks the new route"
[ "$(grep -c '^[-+][^-+]' "$work/diff2")" = 3 ] || fail "diff is not +2/-1: $(cat "$work/diff2")"
echo "ok: r1 fetched twice (chunked framing), --diff shows the commit"

# A commit that changes nothing (re-commit): fetched, no new version.
"$DEVSIM" commit "$work/sim" r1 --no-change --syslog "127.0.0.1:$udp_port" >/dev/null
wait_for "r1 unchanged resync" grep -q 'r1: resync succeeded: configuration unchanged (version 3)' "$work/resyncd.log"
[ "$(field r1 11)" = 3 ] || fail "unchanged configuration made a version"
echo "ok: r1 unchanged configuration stores no version"

# --- success, end-of-message framing (base:1.0).
"$RESYNCD" -c "$work/resyncd.conf" --diff r2 | grep_all '^+    host-name r2;$' || fail "r2 diff"
commit r2
wait_for "r2 version 2" is r2 11 2
wait_for "r2 inSync" is r2 5 inSync
echo "ok: r2 fetched with ]]>]]> framing"

# --- success with the RSA host key, the only one known_hosts has for r7.
commit r7
wait_for "r7 version 2" is r7 11 2
wait_for "r7 inSync" is r7 5 inSync
grep -c '^\[127.0.0.8\]' "$work/known_hosts" | grep_all -x 1 || fail "known_hosts changed for r7"
echo "ok: r7 fetched, checked against its RSA host key"

# --- failure classes.
commit r3
expect_failure r3 "NETCONF rpc-error: configuration database locked" up 0
commit r4
expect_failure r4 "malformed reply" up 0
commit r5
expect_failure r5 "host key mismatch" up 0
commit r6
expect_failure r6 "authentication failed" up 0
"$RESYNCD" -c "$work/resyncd.conf" --diff r5 >/dev/null 2>&1 && fail "r5 has a stored configuration"

# The device is replaced (new host key): refused, nothing stored.
"$DEVSIM" rekey "$work/sim"
commit r2
expect_failure r2 "host key mismatch" up 2

# sshd stopped: connection refused, connection down.
"$DEVSIM" stop "$work/sim"
commit r1
expect_failure r1 "connection refused" down 3

kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
echo "PASS test_resync_fetch"
