#!/usr/bin/env bash
# test_netconfd: a NETCONF server no one here wrote — Debian's yuma123
# netconfd, behind OpenSSH sshd as the netconf subsystem (devsim only runs
# sshd and the keys) — on the standard paths:
#   a) resyncd fetches its configuration with <get-config> (it refuses the
#      Junos <get-configuration>) and stores it as a version;
#   b) a change made on the server by another NETCONF client is stored as a
#      second version and --diff shows it;
#   c) manager mode: an intended .xml file is staged (managerChanged) and a
#      deploy(3) by snmpset pushes it with <edit-config> (default-operation
#      replace) and a confirmed <commit> on the candidate: the server runs
#      it, the device ends inSync;
#   d) a .conf (Junos text) intended configuration is refused for this
#      server with a clear reason, and the server keeps its configuration.
. "$(dirname "$0")/lib.sh" netconfd
for t in netconfd /usr/sbin/netconf-subsystem snmpd snmpset; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (scripts/install-deps)"; exit 77; }
done
FAIL_LOGS="resyncd.log netconfd.log snmpd.log"
NC_CLIENT="$SRC/tests/integration/netconf_client.py"

sim_start 1 --subsystem "/usr/sbin/netconf-subsystem --ncxserver-sockname={port}@$work/ncxserver.sock"
cat > "$work/startup.xml" <<'XML'
<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><lab xmlns="urn:resyncd:test"><hostname>nd1</hostname><location>rack 1</location></lab></config>
XML
# netconfd takes sessions only for the ports it is told of (the subsystem
# reports the port the client reached); its home and log stay in $work.
HOME="$work" netconfd --module="$SRC/tests/integration/data/resyncd-test.yang" \
	--startup="$work/startup.xml" --ncxserver-sockname="$work/ncxserver.sock" --port="$ssh_port" \
	--target=candidate --access-control=off --superuser="$(id -un)" \
	--log="$work/netconfd.log" --log-level=info >/dev/null 2>&1 &
track_daemon $!
wait_for "netconfd's socket" test -S "$work/ncxserver.sock"
nc_client() { python3 "$NC_CLIENT" 127.0.0.2 "$ssh_port" "$work/sim/client_key" "$work/sim/known_hosts" "$(id -un)" "$@"; }
running_has() { nc_client "<get-config><source><running/></source></get-config>" > "$work/running.xml" 2>&1; grep -qF -- "$1" "$work/running.xml"; }

snmp_port=$(free_udp_port)
trap_port=$(free_udp_port)
start_snmpd "$snmp_port" "$trap_port"
deploy_conf 30 'relp = ""; udp = ""; tcp = "";' 'resyncTimeoutSecs = 30;' "$(sim_credential nd)
devices = ( { name = \"nd1\"; address = \"127.0.0.2\"; port = $ssh_port; credential = \"nd\"; } );"
run_resyncd
wait_for "resyncd registered with snmpd" snmp_registered 1
i=$(snmp_walk -Oq RESYNCD-MIB::resyncdDeviceName | awk '$2 == "nd1" { sub(/.*\./, "", $1); print $1 }')
dev() { snmp_get "RESYNCD-MIB::resyncdDevice$1.$i"; }
status_is() { [ "$(dev ManagedStatus)" = "$1" ]; }
version_is() { [ "$(dev ConfigVersion)" = "$1" ]; }
action() { snmp_set "RESYNCD-MIB::resyncdDeviceAction.$i" i "$1" >/dev/null || fail "action $1 refused"; }

# --- a) fetch over <get-config> ------------------------------------------------------
action 2
wait_for "nd1 fetched" version_is 1
[ "$(dev ManagedStatus)" = inSync ] || fail "nd1 $(dev ManagedStatus) after its fetch: $(dev LastResyncReason)"
"$RESYNCD" -c "$work/resyncd.conf" --diff nd1 > "$work/diff1" || fail "--diff nd1 failed"
grep -q '<location>rack 1</location>' "$work/diff1" || fail "first version lacks the server's data: $(cat "$work/diff1")"
echo "ok: netconfd's configuration fetched with <get-config>, version 1"

# --- b) a change made on the server ----------------------------------------------------
nc_client '<lock><target><candidate/></target></lock>' \
	'<edit-config><target><candidate/></target><config><lab xmlns="urn:resyncd:test"><location>rack 9</location></lab></config></edit-config>' \
	'<commit/>' '<unlock><target><candidate/></target></unlock>' >/dev/null || fail "the change on netconfd failed"
action 2
wait_for "nd1 version 2" version_is 2
"$RESYNCD" -c "$work/resyncd.conf" --diff nd1 > "$work/diff2" || fail "--diff nd1 failed"
grep -q '^-.*<location>rack 1</location>' "$work/diff2" && grep -q '^+.*<location>rack 9</location>' "$work/diff2" ||
	fail "--diff does not show the change: $(cat "$work/diff2")"
echo "ok: a change on netconfd is version 2, --diff shows it"

# --- c) manager mode: stage and deploy with <edit-config> ---------------------------------
snmp_set RESYNCD-MIB::systemOfRecord.0 i 2 >/dev/null || fail "systemOfRecord manager refused"
cat > "$work/intended/nd1.xml" <<'XML'
<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <lab xmlns="urn:resyncd:test">
    <hostname>nd1</hostname>
    <location>rack 42</location>
    <route><prefix>10.1.0.0/16</prefix><next-hop>192.0.2.1</next-hop></route>
  </lab>
</config>
XML
kill -HUP "$pid"
wait_for "nd1 managerChanged" status_is managerChanged
action 3
job_done() { log_has "device nd1: deploy \(succeeded\|failed\)"; }
wait_for "the deploy" job_done
log_has "device nd1: deploy succeeded" || fail "deploy failed: $(dev LastResyncReason)"
wait_for "nd1 inSync" status_is inSync
wait_for "netconfd running the intended configuration" running_has '<location>rack 42</location>'
running_has '<next-hop>192.0.2.1</next-hop>' || fail "netconfd lacks the intended route: $(cat "$work/running.xml")"
echo "ok: deploy over <edit-config> + confirmed <commit>: netconfd runs the intended configuration, inSync"

# --- d) a text configuration is not for this server --------------------------------------
rm "$work/intended/nd1.xml"
printf 'lab {\n    location "rack 7";\n}\n' > "$work/intended/nd1.conf"
kill -HUP "$pid"
wait_for "nd1 managerChanged again" status_is managerChanged
action 3
wait_for "the second deploy" log_has "device nd1: deploy failed"
log_has "a text (.conf) intended configuration needs a Junos device" || fail "no clear reason for the text deploy"
[ "$(dev ManagedStatus)" = managerChanged ] || fail "nd1 $(dev ManagedStatus) after a refused deploy"
running_has '<location>rack 42</location>' || fail "a refused deploy changed netconfd's configuration"
echo "ok: a .conf for a standard server is refused with the reason, nothing changes"
stop_resyncd
echo PASS
