#!/usr/bin/env bash
# test_ingest_relp_oversize: a message larger than max_message_size relayed
# by a real rsyslogd (omrelp, retrying for ever) is acknowledged and counted
# as dropped, and the commits after it arrive (issue 11 item 3). Before,
# librelp aborted the session on the oversize frame, rsyslog re-sent it for
# ever and every later commit waited behind it, uncounted.
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed"; exit 77; }
ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1 || { echo "SKIP: rsyslog-relp not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" relpbig

relp_port=$(free_port)
in_port=$(free_port)
ingest_conf "relp = \"127.0.0.1:$relp_port\"; udp = \"\"; tcp = \"\"; max_message_size = 1024;" \
	'{ name = "r1"; address = "192.0.2.11"; }, { name = "r2"; address = "192.0.2.12"; },
	 { name = "r3"; address = "192.0.2.13"; }'
"$RESYNCD" -f -d -c "$work/resyncd.conf" >> "$work/resyncd.log" 2>&1 &
pid=$!
wait_for "resyncd's RELP listener" log_has "relp: listening"
# rsyslog itself takes messages far larger than resyncd's limit.
RSYSLOG_MAXMSG=64k start_rsyslog_relp "$in_port" "$relp_port"
FAIL_LOGS="resyncd.log rsyslogd.log"

big=$(head -c 6000 /dev/zero | tr '\0' x)
# Just over the limit (librelp's frame limit has some headroom), far over
# it, then an ordinary commit: all in one RELP session, in this order.
udp_send "$in_port" \
	"<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete ${big:0:1000}" \
	"<189>Mar  5 10:15:03 r2 mgd[4321]: UI_COMMIT_COMPLETED: commit complete $big" \
	"<189>Mar  5 10:15:04 r3 mgd[4321]: UI_COMMIT_COMPLETED: commit complete"
wait_for "r3's commit after the oversize messages" committed r3 1
is r1 7 0 || fail "r1 changed by an oversize message"
is r2 7 0 || fail "r2 changed by an oversize message"
stop_resyncd
grep -q "ingest: received .*, commits 1, .*dropped 2," "$work/resyncd.log" ||
	fail "want 1 commit, 2 dropped (rsyslog adds its own messages): $(grep 'ingest: received' "$work/resyncd.log")"
n=$(grep -c "oversize" "$work/resyncd.log" || true)
[ "$n" -le 2 ] || fail "$n oversize log lines for two messages"
echo "PASS test_ingest_relp_oversize"
