#!/usr/bin/env bash
# test_ingest_relp: a private rsyslogd (imudp in, omrelp out) forwards device
# syslog to resyncd over RELP. SPEC R1: a commit line logged into rsyslog
# marks the device outOfSync, with the UI_COMMIT user kept (section 8), in
# both the BSD and the structured Junos forms. Then RELP's point: a commit
# logged while resyncd is down is delivered once it is back, not lost.
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed"; exit 77; }
ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1 || { echo "SKIP: rsyslog-relp not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" relp

# to_rsyslog LINE: what a device sends to the relay.
to_rsyslog() { udp_send "$in_port" "$1"; }
start_resyncd() {
	run_resyncd -d
	wait_for "resyncd's RELP listener" log_has "relp: listening"
}

relp_port=$(free_port)
in_port=$(free_port)
ingest_conf "relp = \"127.0.0.1:$relp_port\"; udp = \"\"; tcp = \"\";" '
	{ name = "r1"; address = "192.0.2.11"; },
	{ name = "vsrx-ci.lab.example.net"; address = "192.0.2.12"; },
	{ name = "r3"; address = "192.0.2.13"; }'
start_resyncd
# A private rsyslogd whose RELP action retries for ever from its queue, so a
# resyncd restart loses nothing.
start_rsyslog_relp "$in_port" "$relp_port"
# The initial resyncs (J7) fail (nothing answers there): a commit shows in
# commitCount (committed, lib.sh).
is r1 7 0 || fail "r1 has commits at start"

# BSD form through the relay.
to_rsyslog "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT: User 'alice' requested 'commit' operation (comment: via relp)"
to_rsyslog "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete"
wait_for "R1: r1 outOfSync after a commit through rsyslog/RELP" committed r1 1
[ "$(field r1 8)" = alice ] || fail "r1 last commit user '$(field r1 8)', want alice"

# Structured form (the RFC 5424 template keeps MSGID and structured data),
# from a device named by its FQDN.
to_rsyslog "<189>1 2026-07-06T03:52:49.972Z vsrx-ci mgd 97400 UI_COMMIT [junos@2636.1.1.1.2.129 username=\"netconf\" command=\"commit\"] User 'netconf' requested 'commit' operation (comment: none)"
to_rsyslog "<189>1 2026-07-06T03:52:51.100Z vsrx-ci mgd 97400 UI_COMMIT_PROGRESS [junos@2636.1.1.1.2.129 message=\"commit complete\"] Commit operation in progress: commit complete"
wait_for "R1: vsrx-ci outOfSync" committed vsrx-ci.lab.example.net 1
[ "$(field vsrx-ci.lab.example.net 8)" = netconf ] || fail "vsrx-ci user '$(field vsrx-ci.lab.example.net 8)'"

# resyncd down; the device commits; resyncd back: rsyslog re-sends over RELP.
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
to_rsyslog "<189>Mar  5 10:20:00 r3 mgd[77]: UI_COMMIT_NOT_CONFIRMED: Commit was not confirmed; automatic rollback complete"
sleep 0.5 # not synchronisation: gives rsyslog a chance to try (and fail) while resyncd is down
is r3 7 0 || fail "r3 changed while resyncd was down?"
start_resyncd
wait_for "R1: r3 outOfSync after resyncd came back (RELP re-send)" committed r3 1
[ "$(field r3 7)" = 1 ] || fail "r3 commit count $(field r3 7), want 1"
echo "PASS test_ingest_relp"
