#!/usr/bin/env bash
# test_incidents: device events become incidents (SPEC E1-E6), end to end with
# real daemons: a private rsyslogd forwards real-shaped Junos event lines over
# RELP to resyncd, the AgentX subagent of a private snmpd whose traps go to a
# private snmptrapd. Checked with snmpget/snmpset/snmptable, the decoded
# traps, `resyncd --incident` and the case-creation hook's output:
#   a) E2/E3: a burst of one link-down opens one incident (one incidentOpened
#      trap) whose count is the burst's size; another interface is another
#      incident; an event no profile names opens nothing
#   b) E5: the clearing link-up closes its interface's incident (incidentClosed,
#      clearingEvent); the next link-down opens a new one
#   c) E5: the close action closes one (incidentClosed, operator)
#   d) E5: a FRU incident closes after its quiet period (quietPeriod); the
#      hook ran for open and close with the incident in its environment
#   e) incidents survive a restart; --incident prints one
#   f) E6: with eventRateCap set to 1 over SNMP, a flooding device's burst is
#      capped and counted while another device's event still opens an
#      incident; SIGHUP loads a new profile
for t in snmpd snmptrapd snmpget snmpset snmptable rsyslogd ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1 || { echo "SKIP: rsyslog-relp not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" incidents
FAIL_LOGS="resyncd.log rsyslogd.log snmpd.log traps.log hook.log"

relp_port=$(free_port)
in_port=$(free_udp_port)
start_snmp_master

cat > "$work/hook" <<'HOOK'
#!/bin/sh
# The case-creation hook: what a ticket system would get.
echo "$RESYNCD_EVENT id=$RESYNCD_INCIDENT_ID device=$RESYNCD_DEVICE tag=$RESYNCD_EVENT_TAG detail=$RESYNCD_DETAIL count=$RESYNCD_COUNT closed_by=$RESYNCD_INCIDENT_CLOSED_BY" >> "$(dirname "$0")/hook.log"
exit 3
HOOK
chmod +x "$work/hook"

mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/known_hosts";
listen = { relp = "127.0.0.1:$relp_port"; udp = ""; tcp = ""; };
snmp = { mode = "agentx"; agentx_socket = "$work/agentx.sock"; };
settings = { autoResyncEnabled = false; };
devices = (
	{ name = "r1"; address = "192.0.2.11"; },
	{ name = "r2.lab.example.net"; address = "192.0.2.12"; }
);
profiles = (
	{ name = "links"; events = [ "SNMP_TRAP_LINK_DOWN" ]; clear = [ "SNMP_TRAP_LINK_UP" ]; },
	{ name = "fru"; events = [ "CHASSISD_FRU_OFFLINE_NOTICE" ]; severity = "warning";
	  auto_close_secs = 2; hook = "$work/hook"; }
);
CONF
"$RESYNCD" --check-config -c "$work/resyncd.conf" | grep_all '2 event profiles' || fail "--check-config"
start_resyncd() {
	run_resyncd
	wait_for "resyncd registered with snmpd" snmp_registered 2
	wait_for "resyncd's RELP listener" log_has 'relp: listening'
}
start_resyncd
start_rsyslog_relp "$in_port" "$relp_port"

to_rsyslog() { udp_send "$in_port" "$@"; }
inc() { snmp_get "RESYNCD-MIB::resyncdIncident$1.$2"; }  # inc COLUMN ID
inc_is() { [ "$(inc "$1" "$2")" = "$3" ]; }
# traps_of NAME ID: how many NAME traps (incidentOpened/incidentClosed) carry incident ID.
traps_of() { grep -F "RESYNCD-MIB::$1" "$work/traps.log" | grep -c "resyncdIncidentEventTag\.$2 = " || true; }
traps_are() { [ "$(traps_of "$1" "$2")" = "$3" ]; }
link_down() { # HOST IFNAME SECONDS: the BSD form mib2d logs
	echo "<28>Dec  1 10:15:$3 $1 mib2d[1402]: SNMP_TRAP_LINK_DOWN: ifIndex 539, ifAdminStatus up(1), ifOperStatus down(2), ifName $2"
}

# --- a) a burst of one link-down: one incident, one trap, the count of the burst
lines=()
for s in $(seq 10 29); do lines+=("$(link_down r1 ge-0/0/1 "$s")"); done
to_rsyslog "${lines[@]}"
wait_for "E2: incident 1 for r1 ge-0/0/1" inc_is Detail 1 ge-0/0/1
wait_for "E3: incident 1 absorbed the burst of 20" inc_is Count 1 20
inc_is EventTag 1 SNMP_TRAP_LINK_DOWN || fail "incident 1 tag $(inc EventTag 1)"
inc_is DeviceName 1 r1 || fail "incident 1 device $(inc DeviceName 1)"
inc_is State 1 open || fail "incident 1 state $(inc State 1)"
wait_for "incidentOpened for incident 1" traps_are incidentOpened 1 1
# The structured form, of another device by its short name, another interface.
to_rsyslog '<28>1 2026-12-01T10:16:02.000Z r2 mib2d 1402 SNMP_TRAP_LINK_DOWN [junos@2636.1.1.1.2.18 snmp-interface-index="540" admin-status="up(1)" operational-status="down(2)" interface-name="xe-0/1/0"] ifIndex 540, ifAdminStatus up(1), ifOperStatus down(2), ifName xe-0/1/0' \
	"$(link_down r1 ge-0/0/2 40)" \
	'<28>Dec  1 10:16:41 r1 rpd[1500]: RPD_BGP_NEIGHBOR_STATE_CHANGED: BGP peer 192.0.2.9 (External AS 65001) changed state from Established to Idle' \
	"$(link_down unmanaged-host ge-0/0/1 42)"
wait_for "E3: r1 ge-0/0/2 is incident 3" inc_is Detail 3 ge-0/0/2
inc_is Detail 2 xe-0/1/0 || fail "incident 2 detail $(inc Detail 2)"
inc_is DeviceName 2 r2.lab.example.net || fail "incident 2 device $(inc DeviceName 2)"
sleep 1 # not synchronisation: a trap or row that should not come gets a chance to
inc_is Count 1 20 || fail "incident 1 count changed to $(inc Count 1)"
[ "$(snmp_get RESYNCD-MIB::resyncdIncidentsOpen.0)" = 3 ] || fail "open incidents $(snmp_get RESYNCD-MIB::resyncdIncidentsOpen.0), want 3 (the BGP line and the unmanaged host open none)"
traps_are incidentOpened 1 1 || fail "E3: $(traps_of incidentOpened 1) incidentOpened traps for incident 1, want 1"
[ "$(grep -c 'RESYNCD-MIB::incidentOpened' "$work/traps.log")" = 3 ] || fail "incidentOpened traps: $(grep -c 'RESYNCD-MIB::incidentOpened' "$work/traps.log"), want 3"
grep -F 'RESYNCD-MIB::incidentOpened' "$work/traps.log" | head -1 | grep_all 'resyncdIncidentDeviceName.1 = STRING: "\?r1' ||
	fail "incidentOpened lacks the device name with its index: $(grep -F incidentOpened "$work/traps.log" | head -1)"
echo "ok a) burst of 20: one incident, one incidentOpened; three incidents for three interfaces"

# --- b) the clearing event closes its interface's incident only
to_rsyslog '<30>Dec  1 10:17:00 r1 mib2d[1402]: SNMP_TRAP_LINK_UP: ifIndex 539, ifAdminStatus up(1), ifOperStatus up(1), ifName ge-0/0/1'
wait_for "E5: the link-up closed incident 1" inc_is State 1 closed
inc_is ClosedBy 1 clearingEvent || fail "incident 1 closed by $(inc ClosedBy 1)"
inc_is State 3 open || fail "incident 3 (ge-0/0/2) closed by ge-0/0/1's link-up"
wait_for "incidentClosed for incident 1" traps_are incidentClosed 1 1
grep -F 'RESYNCD-MIB::incidentClosed' "$work/traps.log" | grep_all 'resyncdIncidentClosedBy.1 = INTEGER: clearingEvent' ||
	fail "incidentClosed lacks closedBy: $(grep -F incidentClosed "$work/traps.log")"
to_rsyslog "$(link_down r1 ge-0/0/1 50)"
wait_for "E5: a link-down after the close opens incident 4" inc_is Detail 4 ge-0/0/1
inc_is Count 1 20 || fail "the closed incident 1 absorbed an event"
echo "ok b) link-up closed ge-0/0/1's incident (clearingEvent); the next link-down opened a new one"

# --- c) the operator closes one
out=$(snmp_set RESYNCD-MIB::resyncdIncidentAction.3 i 2)
wait_for "E5: incident 3 closed by the action ($out)" inc_is State 3 closed
inc_is ClosedBy 3 operator || fail "incident 3 closed by $(inc ClosedBy 3)"
wait_for "incidentClosed for incident 3" traps_are incidentClosed 3 1
out=$(snmp_set RESYNCD-MIB::resyncdIncidentAction.3 i 2)
echo "$out" | grep_all -i 'inconsistentValue' || fail "closing a closed incident: $out"
echo "ok c) close action: incidentClosed (operator); closing it again is inconsistentValue"

# --- d) a FRU goes offline; the quiet period closes it; the hook saw both
to_rsyslog '<28>Dec  1 10:18:00 r1 chassisd[1300]: CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 1 offline: Error' \
	'<30>Dec  1 10:18:01 r1 chassisd[1300]: CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 2 offline: Offlined by cli command'
wait_for "E2: FRU incident 5 for FPC 1" inc_is Detail 5 "FPC 1"
wait_for "E5: incident 5 closed after its quiet period" inc_is State 5 closed
inc_is ClosedBy 5 quietPeriod || fail "incident 5 closed by $(inc ClosedBy 5)"
wait_for "incidentClosed for incident 5" traps_are incidentClosed 5 1
hook_has() { grep -q -- "$1" "$work/hook.log" 2>/dev/null; }
wait_for "the hook ran on open" hook_has "opened id=5 device=r1 tag=CHASSISD_FRU_OFFLINE_NOTICE detail=FPC 1 count=1"
wait_for "the hook ran on close" hook_has "closed id=5 device=r1 tag=CHASSISD_FRU_OFFLINE_NOTICE detail=FPC 1 count=1 closed_by=quietPeriod"
wait_for "the hook's exit status logged" log_has "incident 5: hook $work/hook exited with status 3"
hook_has "FPC 2" && fail "E1: an info-severity event passed the profile's severity = warning"
echo "ok d) FRU incident closed by its quiet period; the hook ran on open and close, exit status logged"

# --- e) the table as snmptable shows it, a restart, --incident
snmp_table RESYNCD-MIB::resyncdIncidentTable > "$work/table.txt"
grep -q '|r2.lab.example.net|links|SNMP_TRAP_LINK_DOWN|xe-0/1/0|' "$work/table.txt" || fail "snmptable: $(cat "$work/table.txt")"
[ "$(grep -c '|SNMP_TRAP_LINK_DOWN|' "$work/table.txt")" = 4 ] || fail "snmptable rows: $(cat "$work/table.txt")"
stop_resyncd
start_resyncd
wait_for "incidents back after a restart" inc_is Count 1 20
inc_is State 2 open || fail "incident 2 not open after the restart"
inc_is ClosedBy 3 operator || fail "incident 3 lost its closing after the restart"
to_rsyslog '<28>1 2026-12-01T10:19:00.000Z r2 mib2d 1402 SNMP_TRAP_LINK_DOWN [junos@2636.1.1.1.2.18 interface-name="xe-0/1/0"] ifIndex 540, ifName xe-0/1/0'
wait_for "E3 after the restart: incident 2 absorbed the repeat" inc_is Count 2 2
traps_are incidentOpened 2 1 || fail "a repeat after the restart sent incidentOpened again"
"$RESYNCD" -c "$work/resyncd.conf" --incident 1 > "$work/show.txt" || fail "--incident 1 failed"
grep -q '^device *r1' "$work/show.txt" && grep -q '^count *20' "$work/show.txt" &&
	grep -q '^closed by *clearingEvent' "$work/show.txt" || fail "--incident 1: $(cat "$work/show.txt")"
"$RESYNCD" -c "$work/resyncd.conf" --incident 99 >/dev/null 2>&1 && fail "--incident 99 succeeded"
echo "ok e) snmptable rows, incidents kept over a restart, --incident prints one"

# --- f) the rate cap (a setting) and a profile added by SIGHUP
snmp_set RESYNCD-MIB::eventRateCap.0 u 1 >/dev/null
case "$(snmp_get RESYNCD-MIB::eventRateCap.0)" in 1|"1 events per second") ;; *) fail "eventRateCap not set: $(snmp_get RESYNCD-MIB::eventRateCap.0)";; esac
lines=()
for s in $(seq 10 59); do lines+=("$(link_down r1 ge-0/0/7 "$s")"); done
to_rsyslog "${lines[@]}" '<28>Dec  1 10:21:00 r2 mib2d[1402]: SNMP_TRAP_LINK_DOWN: ifIndex 9, ifName et-0/0/9'
limited() { snmp_get RESYNCD-MIB::resyncdEventsRateLimited.0; }
all_seen() { [ $(( $(inc Count 6) + $(limited) )) = 50 ]; }
wait_for "E6: r2's event opens incident 7 during r1's flood" inc_is Detail 7 et-0/0/9
inc_is Detail 6 ge-0/0/7 || fail "incident 6: $(inc Detail 6)"
wait_for "E6: every event of the burst counted or rate-limited" all_seen
[ "$(limited)" -ge 1 ] || fail "E6: nothing rate-limited (count $(inc Count 6))"
echo "ok f) eventRateCap 1: $(limited) of r1's 50 events rate-limited, r2 not starved"
snmp_set RESYNCD-MIB::eventRateCap.0 u 100 >/dev/null
cat >> "$work/resyncd.conf" <<CONF
profiles = (
	{ name = "bgp"; events = [ "RPD_BGP_NEIGHBOR_STATE_CHANGED" ]; }
);
CONF
"$RESYNCD" --check-config -c "$work/resyncd.conf" >/dev/null 2>&1 && fail "--check-config took a second profiles list"
head -n -3 "$work/resyncd.conf" > "$work/conf.tmp" && mv "$work/conf.tmp" "$work/resyncd.conf"
sed -i 's/^	{ name = "links";/	{ name = "bgp"; events = [ "RPD_BGP_*" ]; },\n	{ name = "links";/' "$work/resyncd.conf"
"$RESYNCD" --check-config -c "$work/resyncd.conf" | grep_all '3 event profiles' || fail "--check-config: $("$RESYNCD" --check-config -c "$work/resyncd.conf" 2>&1)"
kill -HUP "$pid"
wait_for "the reload" log_has 'reload: 3 event profiles'
to_rsyslog '<28>Dec  1 10:22:41 r1 rpd[1500]: RPD_BGP_NEIGHBOR_STATE_CHANGED: BGP peer 192.0.2.9 (External AS 65001) changed state from Established to Idle'
wait_for "E1: the reloaded profile opens incident 8" inc_is Profile 8 bgp
echo "ok f) SIGHUP: the new profile acts"
echo "PASS test_incidents"
