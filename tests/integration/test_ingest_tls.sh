#!/usr/bin/env bash
# test_ingest_tls: syslog over TLS (RFC 5425, issue 12 item 7) from a real
# rsyslogd (omfwd with the "ossl" network stream driver, octet-counted
# frames, as Junos 21.2+ and rsyslog send it), with client-certificate
# verification on: rsyslog holds a certificate of the test CA, so its commit
# counts; a client without a certificate, or with one from another CA, fails
# the handshake and its commit changes nothing.
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed"; exit 77; }
ls /usr/lib/*/rsyslog/lmnsd_ossl.so >/dev/null 2>&1 || { echo "SKIP: rsyslog-openssl not installed"; exit 77; }
. "$(dirname "$0")/lib.sh" tls
FAIL_LOGS="resyncd.log rsyslogd.log"

# A CA, the collector's certificate (resyncd.test) and a device's (r1), and
# a certificate of another CA.
pki=$work/pki
mkdir -p "$pki"
mkcert() { # NAME CN CA
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\n' "$2" > "$pki/$1.ext"
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" -CAcreateserial \
		-days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
for ca in ca otherca; do
	openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$ca" -days 2 \
		-keyout "$pki/$ca.key" -out "$pki/$ca.pem" 2>/dev/null
done
mkcert server resyncd.test ca
mkcert r1 r1.lab ca
mkcert stranger stranger otherca

tls_port=$(free_port)
in_port=$(free_port)
ingest_conf "relp = \"\"; udp = \"\"; tcp = \"\"; tls = \"127.0.0.1:$tls_port\";
	tls_cert = \"$pki/server.pem\"; tls_key = \"$pki/server.key\"; tls_ca = \"$pki/ca.pem\";" \
	'{ name = "r1"; address = "192.0.2.11"; }, { name = "r2"; address = "192.0.2.12"; },
	 { name = "r3"; address = "192.0.2.13"; }'
"$RESYNCD" --check-config -c "$work/resyncd.conf" >/dev/null || fail "check-config refused the TLS settings"
"$RESYNCD" -f -c "$work/resyncd.conf" >> "$work/resyncd.log" 2>&1 &
pid=$!
wait_for "resyncd's TLS listener" log_has "listening on tls"

# Clients without a certificate, and with another CA's: refused.
# tls_send CERT|none LINE: one octet-counted message over TLS; fails if the
# collector refuses the handshake.
tls_send() { python3 - "$tls_port" "$pki" "$1" "$2" <<'PY'
import socket, ssl, sys
port, pki, cert, line = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=pki + "/ca.pem")
ctx.check_hostname = False
if cert != "none":
    ctx.load_cert_chain(pki + "/" + cert + ".pem", pki + "/" + cert + ".key")
msg = line.encode()
try:
    with socket.create_connection(("127.0.0.1", int(port))) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(str(len(msg)).encode() + b" " + msg)
            s.recv(1)  # TLS 1.3: the refusal arrives after the handshake
except (ssl.SSLError, ConnectionError, OSError) as e:
    print("refused:", e)
    sys.exit(1)
PY
}
commit() { echo "<189>Mar  5 10:15:0$2 $1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete"; }
if tls_send none "$(commit r2 1)"; then fail "a client without a certificate was accepted"; fi
if tls_send stranger "$(commit r3 2)"; then fail "a certificate of another CA was accepted"; fi
wait_for "the refusals logged" log_has "syslog: tls: 127.0.0.1: "

# rsyslog, as docs/INGESTION.md configures it, with r1's certificate.
mkdir -p "$work/rsyslog"
cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog" processInternalMessages="on"
       DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="$pki/ca.pem"
       DefaultNetstreamDriverCertFile="$pki/r1.pem" DefaultNetstreamDriverKeyFile="$pki/r1.key")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$in_port")
action(type="omfwd" target="127.0.0.1" port="$tls_port" protocol="tcp" TCP_Framing="octet-counted"
       StreamDriver="ossl" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
       StreamDriverPermittedPeers="resyncd.test" template="RSYSLOG_SyslogProtocol23Format"
       action.resumeRetryCount="-1" action.resumeInterval="1")
CONF
rsyslogd -n -i "$work/rsyslogd.pid" -f "$work/rsyslog.conf" > "$work/rsyslogd.log" 2>&1 &
track_daemon $!
wait_for "rsyslogd's UDP input" udp_listening "$in_port"
udp_send "$in_port" "$(commit r1 3)"
wait_for "r1's commit over TLS from rsyslog" committed r1 1
is r2 7 0 || fail "r2 changed by a client without a certificate"
is r3 7 0 || fail "r3 changed by a certificate of another CA"
echo "PASS test_ingest_tls"
