#!/usr/bin/env bash
# test_resync_junos: NETCONF as real Junos devices send it, from the simulator
# on a real OpenSSH sshd. The simulator's default is a current Junos (XML
# unless the RPC asks format="text"); each quirk knob is one device:
#   r1 default              r2 format=xml (XML <configuration> to <get-configuration>)
#   r3 hello10 (9.x hello: only the pre-RFC 6241 base URN, ]]>]]> framing)
#   r4 prefix (<nc:rpc-reply>)   r5 cli (comments, whitespace, <cli> trailer, no message-id)
#   r6 commit_attrs=0 (a text reply without junos:commit-*: <get-commit-information/>)
#   r7 fault=deep (a reply 200,000 elements deep: the job fails, the daemon lives)
# Each fetch stores a version (the XML one a well-formed document with its
# xmlns:junos), and the device ends inSync: first the initial resync at start
# (J7), then the one after a commit.
. "$(dirname "$0")/lib.sh" junos
commit() { "$DEVSIM" commit "$work/sim" "$1" --user "${2:-alice}" --syslog "127.0.0.1:$udp_port" >/dev/null; }
# stored NAME: the newest stored configuration of NAME, as text.
stored() { "$RESYNCD" -c "$work/resyncd.conf" --diff "$1" | sed -n 's/^+//p' | sed 1d; }

"$DEVSIM" start "$work/sim" --devices 7 >/dev/null
port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
udp_port=$(free_port)
"$DEVSIM" set "$work/sim" r2 format=xml
"$DEVSIM" set "$work/sim" r3 hello10=1
"$DEVSIM" set "$work/sim" r4 prefix=1
"$DEVSIM" set "$work/sim" r5 cli=1
"$DEVSIM" set "$work/sim" r6 commit_attrs=0
"$DEVSIM" set "$work/sim" r7 fault=deep

sim_conf 7 "autoResyncWaitSecs = 1; damperIntervalSecs = 1; resyncTimeoutSecs = 30;"
"$RESYNCD" -f -c "$work/resyncd.conf" 2> "$work/resyncd.log" &
pid=$!
wait_for "resyncd running" grep -q 'running: 7 devices' "$work/resyncd.log"
r7_fails() { grep -c 'device r7: resync failed' "$work/resyncd.log" || true; }
# J7: each was fetched at start without a commit; r7's deep reply failed.
for i in 1 2 3 4 5 6; do wait_for "r$i's initial resync" is "r$i" 11 1; done
wait_for "r7's initial resync failure" is r7 9 3
fails=$(r7_fails)
# One version each so far: stored shows all of it.
for i in 1 3 4 5 6; do
	stored "r$i" | grep_all -x "    host-name r$i;" || fail "r$i: stored text lacks its host-name: $(stored "r$i" | head -5)"
done
echo "ok: default, hello10, prefix, cli and commit_attrs=0 devices fetched as text at start"
stored r2 > "$work/r2.xml"
xmllint --noout "$work/r2.xml" || fail "r2: stored XML is not well-formed on its own: $(head -3 "$work/r2.xml")"
grep -q 'xmlns:junos="http://xml.juniper.net/junos/' "$work/r2.xml" || fail "r2: xmlns:junos lost"
grep -q 'junos:commit-user="admin"' "$work/r2.xml" || fail "r2: commit attributes lost"
grep -q '<host-name>r2</host-name>' "$work/r2.xml" || fail "r2: host-name missing"
echo "ok: r2's XML <configuration> stored as a well-formed document"

for i in 1 2 3 4 5 6 7; do commit "r$i" bob; done
for i in 1 2 3 4 5 6; do
	wait_for "r$i version 2" is "r$i" 11 2
	wait_for "r$i inSync" is "r$i" 5 inSync
done
# The device's own commit time and user in the --diff header: from the
# junos:commit-* attributes (r1), or from <get-commit-information/> (r6).
for n in r1 r6; do
	"$RESYNCD" -c "$work/resyncd.conf" --diff "$n" | grep_all "^+++ $n version 2.*committed by bob at 20[0-9-]* [0-9:]* UTC" ||
		fail "$n: --diff header lacks the device's commit: $("$RESYNCD" -c "$work/resyncd.conf" --diff "$n" | sed -n 2p)"
done
for n in r1 r6; do # --dump-state: configCommitTime, configCommitUser
	[ "$(field "$n" 14)" = bob ] || fail "$n configCommitUser '$(field "$n" 14)'"
	[ "$(field "$n" 13)" -gt 1600000000 ] || fail "$n configCommitTime '$(field "$n" 13)'"
done
echo "ok: commit time and user from the reply (r1) and from <get-commit-information/> (r6)"
"$RESYNCD" -c "$work/resyncd.conf" --diff r2 | grep_all '^+++ r2 version 2.*committed by bob' ||
	fail "r2: version 2 is not bob's commit: $("$RESYNCD" -c "$work/resyncd.conf" --diff r2 | sed -n 2p)"

r7_failed_again() { [ "$(r7_fails)" -gt "$fails" ] && is r7 9 3; }
wait_for "r7 resync failure after its commit" r7_failed_again
field r7 10 | grep_all "nested too deeply" || fail "r7 reason '$(field r7 10)'"
kill -0 "$pid" || fail "resyncd died on r7's deep reply"
commit r1 carol
wait_for "r1 third version" is r1 11 3
echo "ok: r7's 200,000-deep reply failed its job ($(field r7 10)); resyncd kept working"

stop_resyncd
echo "PASS test_resync_junos"
