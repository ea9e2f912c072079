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
commit() { "$DEVSIM" commit "$work/sim" "$1" --user "${2:-alice}" --syslog "127.0.0.1:$udp_port" >/dev/null; }
# expect_failure NAME REASON CONN VERSION: the resync after a commit failed so.
expect_failure() {
	wait_for "$1 resync failure" failed_now "$1"
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
wait_for "devices loaded" is r7 5 unknown

# --- success, chunked framing (base:1.1): a version is stored, then a commit makes a second.
commit r1
wait_for "r1 inSync" is r1 5 inSync
[ "$(field r1 11)" = 1 ] || fail "r1 configVersion $(field r1 11), want 1"
[ "$(field r1 6)" = up ] || fail "r1 connStatus $(field r1 6)"
"$RESYNCD" -c "$work/resyncd.conf" --diff r1 > "$work/diff1" || fail "--diff r1 failed"
grep -q '^+    host-name r1;$' "$work/diff1" || fail "first version diff lacks the config"
commit r1 bob
wait_for "r1 version 2" is r1 11 2
wait_for "r1 inSync again" is r1 5 inSync
"$RESYNCD" -c "$work/resyncd.conf" --diff r1 > "$work/diff2" || fail "--diff r1 failed"
grep -q '^--- r1 version 1' "$work/diff2" || fail "diff not from version 1: $(head -2 "$work/diff2")"
grep -q '^+++ r1 version 2.*committed by bob' "$work/diff2" || fail "diff not to version 2 by bob"
grep -q '^-    location "lab rack 4, revision 2";$' "$work/diff2" || fail "diff lacks the removed line"
grep -q '^+    location "lab rack 4, revision 3";$' "$work/diff2" || fail "diff lacks the added line"
grep -q '^+        route 10.3.0.0/16 next-hop 192.0.2.1;$' "$work/diff2" || fail "diff lacks the new route"
[ "$(grep -c '^[-+][^-+]' "$work/diff2")" = 3 ] || fail "diff is not +2/-1: $(cat "$work/diff2")"
echo "ok: r1 fetched twice (chunked framing), --diff shows the commit"

# A commit that changes nothing (re-commit): fetched, no new version.
"$DEVSIM" commit "$work/sim" r1 --no-change --syslog "127.0.0.1:$udp_port" >/dev/null
wait_for "r1 unchanged resync" grep -q 'r1: resync succeeded: configuration unchanged (version 2)' "$work/resyncd.log"
[ "$(field r1 11)" = 2 ] || fail "unchanged configuration made a version"
echo "ok: r1 unchanged configuration stores no version"

# --- success, end-of-message framing (base:1.0).
commit r2
wait_for "r2 inSync" is r2 5 inSync
[ "$(field r2 11)" = 1 ] || fail "r2 configVersion $(field r2 11)"
"$RESYNCD" -c "$work/resyncd.conf" --diff r2 | grep_all '^+    host-name r2;$' || fail "r2 diff"
echo "ok: r2 fetched with ]]>]]> framing"

# --- success with the RSA host key, the only one known_hosts has for r7.
commit r7
wait_for "r7 inSync" is r7 5 inSync
[ "$(field r7 11)" = 1 ] || fail "r7 configVersion $(field r7 11)"
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
expect_failure r2 "host key mismatch" up 1

# sshd stopped: connection refused, connection down.
"$DEVSIM" stop "$work/sim"
commit r1
expect_failure r1 "connection refused" down 2

kill "$pid"
wait "$pid" || fail "resyncd exited with $?"
pid=
echo "PASS test_resync_fetch"
