#!/usr/bin/env bash
# test_readme_examples: README's "Quick examples", run as written against an
# instance set up as docs/OPERATIONS.md says (issue 12 item 9), so the docs
# cannot drift again: a real snmpd with the access lines of OPERATIONS §4
# (taken from the document itself), resyncd as its AgentX subagent, device
# r1.lab on a simulated Junos (devsim behind a real sshd). The only changes to
# the commands: snmpd listens on a private port (localhost -> localhost:PORT),
# resyncd gets this test's configuration (-c), and MIBDIRS points at the MIB
# files an operator would have installed (RESYNCD-MIB, the IETF modules).
command -v snmpd >/dev/null || { echo "SKIP: snmpd not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" readme
FAIL_LOGS="resyncd.log snmpd.log examples.log"

# The access control of OPERATIONS §4's snmpd.conf.d/resyncd.conf block.
awk '/^`\/etc\/snmp\/snmpd.conf.d\/resyncd.conf`:/ { f = 1; next }
     f && /^```$/ { if (++n == 2) exit; next }
     f && /^(view|rocommunity|rwcommunity) / { print }' "$SRC/docs/OPERATIONS.md" > "$work/access.conf"
grep -q '^rocommunity nmsread' "$work/access.conf" || fail "no rocommunity nmsread in OPERATIONS §4: $(cat "$work/access.conf")"
snmp_port=$(free_udp_port)
start_snmpd "$snmp_port" "$(free_udp_port)" "$work/access.conf"

"$DEVSIM" start "$work/sim" --devices 1 >/dev/null
port=$(python3 -c "import json;print(json.load(open('$work/sim/devsim.json'))['port'])")
mkdir -p "$work/state"
cat > "$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/sim/known_hosts";
listen = { relp = ""; udp = ""; };
snmp = { mode = "agentx"; agentx_socket = "$work/agentx.sock"; };
settings = { autoResyncWaitSecs = 1; damperIntervalSecs = 1; };
credentials = ( { name = "lab"; user = "$(id -un)"; key = "$work/sim/client_key"; } );
devices = ( { name = "r1.lab"; address = "127.0.0.2"; port = $port; credential = "lab"; } );
CONF
"$RESYNCD" -f -c "$work/resyncd.conf" 2> "$work/resyncd.log" &
pid=$!
export MIBDIRS=$MIB_PATH
wait_for "resyncd connected to snmpd" log_has "snmp: connected to AgentX master"

# The block, as written in README.md.
awk '/^## Quick examples/ { f = 1 } f && /^```sh$/ { g = 1; next } g && /^```$/ { exit } g { print }' \
	"$SRC/README.md" > "$work/examples.sh"
[ "$(grep -c . "$work/examples.sh")" -ge 4 ] || fail "README quick examples not found: $(cat "$work/examples.sh")"
sed -i -e "s/ localhost / localhost:$snmp_port /" \
	-e "s|^resyncd |\"\$RESYNCD\" -c \"\$work/resyncd.conf\" |" "$work/examples.sh"
: > "$work/examples.log"
while IFS= read -r line; do
	line=${line%%#*} # the block's comments
	[ -n "${line// /}" ] || continue
	case $line in
	M=*) eval "$line"; continue ;;
	*--diff*) # needs the fetch the resync example above started
		wait_for "r1.lab's first configuration version" is r1.lab 11 1 ;;
	esac
	echo "\$ $line" >> "$work/examples.log"
	out=$(eval "$line" 2>&1) || fail "README example failed: $line: $out"
	echo "$out" >> "$work/examples.log"
	if grep -q -e '^Timeout' -e 'Cannot find module' -e 'Unknown Object' -e 'No Such' -e 'Error in packet' <<<"$out"; then
		fail "README example complained: $line: $out"
	fi
	[ -n "$out" ] || case $line in snmpset*|*--diff*) ;; *) fail "README example printed nothing: $line" ;; esac
done < "$work/examples.sh"
grep -q 'r1.lab' "$work/examples.log" || fail "the device table did not show r1.lab"
echo "PASS test_readme_examples"
