#!/usr/bin/env bash
# test_mib_no_shadow: the IETF stand-ins in mibs/stubs never shadow an
# operator's real modules (issue 12 item 8). "Fuller" modules of the same
# names (here: the stand-ins plus sysDescr in SNMPv2-MIB, as the real RFC 3418
# module has) are put where an operator's modules live; with the path the
# tests, the demo and the docs use, net-snmp loads those, not ours, and
# RESYNCD-MIB still resolves. The opposite order (the stand-ins added after,
# as `-M +stubs` did) is shown to lose sysDescr, so the check can fail.
. "$(dirname "$0")/lib.sh" mibshadow
real=$work/ietf
mkdir -p "$real"
cp "$SRC"/mibs/stubs/*.txt "$real/"
python3 - "$real/SNMPv2-MIB.txt" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("snmpTrap       OBJECT IDENTIFIER", """sysDescr OBJECT-TYPE
    SYNTAX      OCTET STRING (SIZE (0..255))
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "A textual description of the entity."
    ::= { system 1 }

snmpTrap       OBJECT IDENTIFIER""")
open(p, "w").write(s)
PY
# translate PATH OBJECT: its numeric OID (or net-snmp's complaint).
translate() { snmptranslate -M "$1" -m RESYNCD-MIB:SNMPv2-MIB -On "$2" 2>&1 | tail -1; }
ours_first="$SRC/mibs/stubs:$SRC/mibs:/usr/share/snmp/mibs:$real"
[ "$(translate "$ours_first" SNMPv2-MIB::sysDescr.0)" = .1.3.6.1.2.1.1.1.0 ] ||
	fail "the fuller SNMPv2-MIB was not loaded: $(translate "$ours_first" SNMPv2-MIB::sysDescr.0)"
[ "$(translate "$ours_first" RESYNCD-MIB::resyncdDeviceCount.0)" = .1.3.6.1.4.1.8072.9999.9999.7343.1.2.1.0 ] ||
	fail "RESYNCD-MIB does not resolve with the fuller modules: $(translate "$ours_first" RESYNCD-MIB::resyncdDeviceCount.0)"
# The lib.sh path (default directories last) follows the same rule.
[ "${MIB_PATH%%:*}" = "$SRC/mibs/stubs" ] || fail "MIB_PATH does not start with the stand-ins: $MIB_PATH"
# The order that shadowed: the stand-ins after the operator's modules.
[ "$(translate "/usr/share/snmp/mibs:$real:$SRC/mibs:$SRC/mibs/stubs" SNMPv2-MIB::sysDescr.0)" != .1.3.6.1.2.1.1.1.0 ] ||
	fail "the stand-ins after the real modules did not shadow them: the test proves nothing"
# Nothing in the docs adds the stand-ins with "-M +" or loads with "-m +".
bad=$(grep -rn -e '-M +[^ ]*stubs' -e '-m +RESYNCD-MIB' "$SRC/README.md" "$SRC/docs" "$SRC/man" "$SRC/scripts/demo" || true)
[ -z "$bad" ] || fail "docs still use the shadowing options: $bad"
echo "PASS test_mib_no_shadow"
