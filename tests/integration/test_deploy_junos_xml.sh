#!/usr/bin/env bash
# test_deploy_junos_xml: SPEC S4 with a Junos XML intended configuration.
# An operator exports a device's configuration as XML (`show configuration |
# display xml`), edits it and stages it as <device>.xml; deploy(3) must load
# it with Junos's <load-configuration action="override" format="xml">, commit
# confirmed, confirm, and find the running configuration equal to it. Real
# parts: snmpd master with resyncd as AgentX subagent (snmpset), OpenSSH
# sshd serving scripts/devsim's Junos NETCONF subsystem.
. "$(dirname "$0")/lib.sh" deployxml
for t in snmpd snmpget snmpset snmpwalk ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
FAIL_LOGS="resyncd.log snmpd.log"

sim_start 1
udp_port=$(free_udp_port)
"$DEVSIM" set "$work/sim" all "syslog=127.0.0.1:$udp_port"
start_snmpd "$(free_udp_port)" "$(free_udp_port)"

deploy_conf 30 "relp = \"\"; udp = \"127.0.0.1:$udp_port\"; tcp = \"\";" \
	'systemOfRecord = "manager"; autoResyncWaitSecs = 0; resyncTimeoutSecs = 30;' "$(sim_credential)
devices = ( $(sim_devices 1) );"
run_resyncd
wait_for "resyncd registered with snmpd" snmp_registered 1
index_devices r1
status_is() { [ "$(dev r1 ManagedStatus)" = "$1" ]; }
action() { snmp_set "RESYNCD-MIB::resyncdDeviceAction.${ix[r1]}" i "$1" >/dev/null || fail "action $1 refused"; }

# The device's configuration accepted first (S2), so there is a fetched one.
action 2
wait_for "r1 accepted" status_is inSync

# Staged: the device's own XML with another SNMP location and one more route.
"$DEVSIM" show "$work/sim" r1 --xml |
	sed 's|<location>.*</location>|<location>rack 9, deployed as XML</location>|' > "$work/intended/r1.xml"
grep -q 'deployed as XML' "$work/intended/r1.xml" || fail "no location to edit: $(cat "$work/intended/r1.xml")"
kill -HUP "$pid"
wait_for "r1 managerChanged" status_is managerChanged

action 3
job=$(last_job)
[ "$(get "resyncdJobType.$job")" = deploy ] || fail "job $job is $(get "resyncdJobType.$job"), not deploy"
wait_for "the deploy job" job_final "$job"
[ "$(get "resyncdJobState.$job")" = success ] || fail "deploy failed: $(get "resyncdJobSummary.$job")"
wait_for "r1 inSync after the deploy" status_is inSync

# The device took XML (not text) and now runs the intended configuration.
grep -qx 'load-configuration xml' "$work/sim/dev/r1/loads.log" ||
	fail "the device was not loaded with XML: $(cat "$work/sim/dev/r1/loads.log")"
"$DEVSIM" show "$work/sim" r1 | grep_all -F 'location "rack 9, deployed as XML";' ||
	fail "r1 does not run the intended location: $("$DEVSIM" show "$work/sim" r1)"
# Archived as every fetch archives it (Junos text): the diff against the
# accepted version is the one changed line, and a later fetch of the same
# configuration makes no new version.
"$RESYNCD" -c "$work/resyncd.conf" --diff r1 > "$work/diff" || fail "--diff r1 failed"
[ "$(grep '^[-+][^-+]' "$work/diff")" = "$(printf '%s\n%s' '-    location "lab rack 4, revision 1";' \
	'+    location "rack 9, deployed as XML";')" ] || fail "diff after the deploy: $(cat "$work/diff")"
versions=$(get "resyncdDeviceConfigVersion.${ix[r1]}")
action 2
job=$(last_job)
wait_for "the accept after the deploy" job_final "$job"
[ "$(get "resyncdJobState.$job")" = success ] || fail "the accept failed: $(get "resyncdJobSummary.$job")"
log_has "device r1: resync succeeded: configuration unchanged (version $versions)" ||
	fail "a fetch of the deployed configuration: $(grep 'resync succeeded' "$work/resyncd.log")"
[ "$(get "resyncdDeviceConfigVersion.${ix[r1]}")" = "$versions" ] || fail "a fetch after the deploy made a new version"
# The deploy's own commit (manager_user) is no device change: still inSync.
status_is inSync || fail "the deploy's commit notification moved r1 to $(dev r1 ManagedStatus)"
echo "PASS test_deploy_junos_xml"
