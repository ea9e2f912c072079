#!/usr/bin/env bash
# test_install: what an operator installs. `cmake --install` into a DESTDIR
# puts every file where docs/OPERATIONS.md says; the man pages render without
# warnings and document every option of --help and every key of the example
# configuration; the systemd unit, sysusers and tmpfiles files pass systemd's
# own checks; the installed binary runs --version and --check-config on the
# installed example. Then, as root, the deployment of OPERATIONS.md section 4:
# the installed resyncd as an unprivileged user, subagent of a real snmpd set
# up as documented (agentXPerms, read-only and read-write communities), where a
# setting changed by snmpset outlives a restart against the file's value.
. "$(dirname "$0")/lib.sh" install

stage=$work/stage
DESTDIR=$stage cmake --install "$BUILD" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "cmake --install"; }

cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
# dir VAR DEFAULT: a GNUInstallDirs directory (the cache holds "" for defaults).
dir() { local v; v=$(cache "$1"); echo "${v:-$2}"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
root=$stage$prefix
share=$(dir CMAKE_INSTALL_DATAROOTDIR share)
sbin=$root/$(dir CMAKE_INSTALL_SBINDIR sbin)
datadir=$root/$(dir CMAKE_INSTALL_DATADIR "$share")
mandir=$root/$(dir CMAKE_INSTALL_MANDIR "$share/man")
docdir=$root/$(dir CMAKE_INSTALL_DOCDIR "$share/doc/resyncd")
unitdir=$root/$(cache RESYNCD_SYSTEMD_UNITDIR)
for f in "$sbin/resyncd" "$datadir/snmp/mibs/RESYNCD-MIB.txt" \
	"$mandir/man8/resyncd.8" "$mandir/man5/resyncd.conf.5" \
	"$unitdir/resyncd.service" "$root/$(cache RESYNCD_SYSUSERSDIR)/resyncd.conf" \
	"$root/$(cache RESYNCD_TMPFILESDIR)/resyncd.conf" \
	"$docdir/resyncd.conf.example" "$docdir/OPERATIONS.md"; do
	[ -s "$f" ] || fail "not installed: ${f#"$stage"}"
done
[ -x "$sbin/resyncd" ] || fail "installed resyncd is not executable"
# Nothing installed under an IETF module's name (issue 12 item 8): only RESYNCD-MIB.
shadow=$(find "$stage" -name 'SNMPv2-*' -o -name 'INET-ADDRESS-MIB*' | head -3)
[ -z "$shadow" ] || fail "installed under an IETF module name: ${shadow#"$stage"}"
[ "$(cache RESYNCD_SYSTEMD_UNITDIR)" = lib/systemd/system ] || echo "note: unit dir overridden"
echo "ok - every file installed under $prefix"

# --- man pages ----------------------------------------------------------------------
for page in "$mandir/man8/resyncd.8" "$mandir/man5/resyncd.conf.5"; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>"$work/man.err") || fail "man -l $page"
	[ ! -s "$work/man.err" ] || { cat "$work/man.err"; fail "man -l warns on ${page##*/}"; }
	grep -q '^NAME' <<<"$out" || fail "${page##*/} renders without a NAME section"
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$warn" ] || fail "groff warns on ${page##*/}: $warn"
done
# Every long option of --help is in resyncd(8) (roff writes '-' as '\-').
opts=$("$sbin/resyncd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ "$(wc -l <<<"$opts")" -ge 10 ] || fail "--help lists too few options: $opts"
for o in $opts; do
	grep -qF -- "${o//-/\\-}" "$mandir/man8/resyncd.8" || fail "resyncd(8) does not document $o"
done
# Every key of the installed example is in resyncd.conf(5) (as .B key).
keys=$(sed 's/#.*//' "$docdir/resyncd.conf.example" | grep -o '[A-Za-z_]* *=' | sed 's/ *=$//' | sort -u)
n=0
for k in $keys; do
	grep -q "^\.B $k\$" "$mandir/man5/resyncd.conf.5" || fail "resyncd.conf(5) does not document $k"
	n=$((n + 1))
done
[ $n -ge 25 ] || fail "found only $n keys in the example"
echo "ok - man pages render without warnings, document all $(wc -l <<<"$opts") options and $n example keys"

# --- the installed binary -----------------------------------------------------------------
version=$(cache CMAKE_PROJECT_VERSION)
[ "$("$sbin/resyncd" --version)" = "resyncd $version" ] || fail "--version: $("$sbin/resyncd" --version)"
out=$("$sbin/resyncd" --check-config -c "$docdir/resyncd.conf.example") || fail "--check-config on the example: $out"
# (with warnings where the example's key and known_hosts do not exist)
grep -q ': OK (2 devices, 1 credential sets, 3 event profiles)' <<<"$out" || fail "--check-config said: $out"
echo "ok - installed resyncd: --version, --check-config on the installed example"

# --- systemd files ---------------------------------------------------------------------------
unit=$unitdir/resyncd.service
grep -qx "ExecStart=${sbin#"$stage"}/resyncd -f" "$unit" || fail "ExecStart is not the installed binary"
for want in User=resyncd StateDirectory=resyncd 'ExecReload=/bin/kill -HUP $MAINPID' NoNewPrivileges=yes \
	ProtectSystem=strict ProtectHome=yes PrivateTmp=yes; do
	grep -qxF "$want" "$unit" || fail "unit lacks $want"
done
# systemd-analyze checks the binary exists: point ExecStart into the stage.
mkdir -p "$work/unit"
sed "s#^ExecStart=$prefix#ExecStart=$root#" "$unit" >"$work/unit/resyncd.service"
out=$(systemd-analyze --man=no verify "$work/unit/resyncd.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
sysroot=$work/sysroot
mkdir -p "$sysroot/etc"
systemd-sysusers --root="$sysroot" "$root/$(cache RESYNCD_SYSUSERSDIR)/resyncd.conf" >/dev/null 2>&1 ||
	fail "systemd-sysusers"
grep -q '^resyncd:x:[0-9]*:[0-9]*:.*:/var/lib/resyncd:' "$sysroot/etc/passwd" || fail "no user resyncd: $(cat "$sysroot/etc/passwd")"
grep -q '^resyncd:x:' "$sysroot/etc/group" || fail "no group resyncd"
systemd-tmpfiles --root="$sysroot" --create "$root/$(cache RESYNCD_TMPFILESDIR)/resyncd.conf" >/dev/null 2>&1 ||
	fail "systemd-tmpfiles"
gid=$(awk -F: '$1 == "resyncd" { print $3 }' "$sysroot/etc/group")
[ "$(stat -c '%u %g %a' "$sysroot/etc/resyncd")" = "0 $gid 750" ] || fail "/etc/resyncd: $(stat -c '%u %g %a' "$sysroot/etc/resyncd")"
echo "ok - unit passes systemd-analyze verify; sysusers makes resyncd, tmpfiles makes /etc/resyncd 0750 root:resyncd"

# --- deployment: unprivileged resyncd under a real snmpd, as OPERATIONS.md says ----------------
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - (deployment part needs root for the user switch; not run)"
	exit 0
fi
user=nobody group=nogroup
chmod 0755 "$work" # the unprivileged daemon reaches the stage and its config
snmp_port=$(free_udp_port)
udp_port=$(free_udp_port)
ax=$work/agentx/master
cat >"$work/snmpd.conf" <<CONF
master agentx
agentXSocket $ax
agentXPerms 0660 0755 root $group
view resyncdView included .1.3.6.1.2.1.1
view resyncdView included .1.3.6.1.4.1.8072.9999.9999.7343
rocommunity nmsread  127.0.0.1 -V resyncdView
rwcommunity rwsecret 127.0.0.1 -V resyncdView
CONF
mkdir -p "$work/snmp-persist"
SNMP_PERSISTENT_DIR=$work/snmp-persist MIBS= snmpd -f -C -c "$work/snmpd.conf" -Lf "$work/snmpd.log" \
	-p "$work/snmpd.pid" "udp:127.0.0.1:$snmp_port" &
snmpd_pid=$!
stop_snmpd() { kill "$snmpd_pid" 2>/dev/null && wait "$snmpd_pid" 2>/dev/null || true; }
trap 'stop_snmpd; cleanup' EXIT
wait_for "snmpd's AgentX socket" test -S "$ax"
[ "$(stat -c '%a %G' "$ax")" = "660 $group" ] || fail "socket: $(stat -c '%a %G' "$ax")"

mkdir -p "$work/state"
chown "$user:$group" "$work/state"
chmod 0750 "$work/state"
cat >"$work/resyncd.conf" <<CONF
state_dir = "$work/state";
known_hosts = "$work/state/known_hosts";
listen = { relp = ""; udp = "127.0.0.1:$udp_port"; };
snmp = { mode = "agentx"; agentx_socket = "$ax"; };
settings = { autoResyncWaitSecs = 20; };
devices = ( { name = "r1.lab"; address = "192.0.2.1"; }, { name = "r2.lab"; address = "192.0.2.2"; } );
CONF
chmod 0644 "$work/resyncd.conf"
# Only RESYNCD-MIB and what it imports, from the installed files.
# The IETF stand-ins are not installed: they come from the source tree, first
# in the path, so real modules (if any) replace them.
M=(-M "$SRC/mibs/stubs:$datadir/snmp/mibs:$(net-snmp-config --default-mibdirs)" -m RESYNCD-MIB)
get() { timeout 10 snmpget -v2c -c "$1" -OqvU "${M[@]}" "127.0.0.1:$snmp_port" "RESYNCD-MIB::$2" 2>>"$work/snmp.err" | tr -d '"'; }
names() { timeout 10 snmpwalk -v2c -c nmsread -OqvU "${M[@]}" "127.0.0.1:$snmp_port" RESYNCD-MIB::resyncdDeviceName 2>>"$work/snmp.err" |
	tr -d '"' | sort | tr '\n' ' '; }
as_user() { setpriv --reuid="$user" --regid="$group" --clear-groups --no-new-privs "$@"; }
run_unprivileged() { # setpriv execs resyncd: $pid is the daemon's
	setpriv --reuid="$user" --regid="$group" --clear-groups --no-new-privs "$sbin/resyncd" -f -c "$work/resyncd.conf" >>"$work/resyncd.log" 2>&1 &
	pid=$!
}
run_unprivileged
has_two() { [ "$(get nmsread resyncdDeviceCount.0)" = 2 ]; }
wait_for "resyncd (user $user) to serve two devices through snmpd" has_two
log_has 'snmp: connected to AgentX master' || fail "no AgentX connection line"
[ "$(stat -c '%U' "$work/state/devices.db")" = "$user" ] || fail "store not owned by $user"

out=$(timeout 10 snmpset -v2c -c nmsread "${M[@]}" "127.0.0.1:$snmp_port" RESYNCD-MIB::autoResyncWaitSecs.0 u 45 2>&1) &&
	fail "the read-only community could set: $out"
grep -q -e noAccess -e authorizationError <<<"$out" || fail "read-only set refused oddly: $out"
timeout 10 snmpset -v2c -c rwsecret "${M[@]}" "127.0.0.1:$snmp_port" RESYNCD-MIB::autoResyncWaitSecs.0 u 45 >/dev/null ||
	fail "read-write set of autoResyncWaitSecs"
wait_for "the set to be logged" log_has 'setting autoResyncWaitSecs changed from 20 to 45'
echo "ok - unprivileged resyncd served through snmpd's AgentX socket (0660, dir 0755); read-only community cannot set"

# SIGHUP reloads the device list; SIGTERM stops with status 0.
sed -i 's/{ name = "r2.lab"; address = "192.0.2.2"; }/{ name = "r3.lab"; address = "192.0.2.3"; }/' "$work/resyncd.conf"
kill -HUP "$pid"
has_r3() { [ "$(names)" = "r1.lab r3.lab " ]; }
wait_for "r3.lab after SIGHUP" has_r3
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ $rc -eq 0 ] || fail "SIGTERM exit status $rc"
# The file still says 20; the stored 45 wins across the restart.
run_unprivileged
has_45() { [ "$(get nmsread autoResyncWaitSecs.0)" = 45 ]; }
wait_for "autoResyncWaitSecs 45 after the restart" has_45
[ "$(as_user "$sbin/resyncd" --dump-state -c "$work/resyncd.conf" | awk -F'\t' '$1 == "setting" && $2 == "autoResyncWaitSecs" { print $3 }')" = 45 ] ||
	fail "--dump-state does not show 45"
echo "ok - SIGHUP reloads devices, SIGTERM exits 0, the snmpset value wins over the file across a restart"
