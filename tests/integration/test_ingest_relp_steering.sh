#!/usr/bin/env bash
# test_ingest_relp_steering.sh (issue 16 item 3): the RELP engines share the
# port as an SO_REUSEPORT group, and one engine serves one commit at a time.
# The kernel's own choice in the group is a hash of addresses and ports: with
# 8 engines, 8 sessions all land apart by chance once in 400 runs, and 4
# sessions share an engine more often than not. resyncd steers a new
# connection to an engine that has no busy session, and an engine is busy
# from the moment a connection reaches it, before any message: relays that
# connect at once must not share. Checked from outside the daemon: 8 relay
# sessions opened one after another, each only the RELP handshake (no
# message) and each after the daemon's debug log says the steering took in
# the one before, end up in 8 different engines, as the kernel shows it:
# each engine's epoll instance (/proc/PID/fdinfo) watches its sessions'
# sockets.
. "$(dirname "$0")/lib.sh" relp_steering
relp_port=$(free_port)
ingest_conf "relp = \"127.0.0.1:$relp_port\"; udp = \"\"; tcp = \"\"; relp_threads = 8;" \
	'{ name = "r1.lab"; address = "192.0.2.1"; }'
run_resyncd -d
wait_for "the RELP listener" log_has 'relp: listening on 127.0.0.1:'"$relp_port"' (8 engines)'

out=$(python3 - "$relp_port" "$pid" "$work/resyncd.log" <<'PY'
import os, re, socket, sys, time
port, pid, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def steers():
    with open(log, errors="replace") as f:
        return f.read().count("relp: new connections go to engines")
def recv_frame(s, txnr):
    data = b""
    while b"\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("session %d closed" % txnr)
        data += chunk
    if not data.startswith(b"%d rsp " % txnr):
        sys.exit("unexpected reply %r" % data)
    return data
txnrs = {}
def send(s, text):
    txnr = txnrs[s] = txnrs.get(s, 1) + 1 # RELP: each session's own sequence
    msg = b"<13>Dec  1 10:00:00 r1.lab sshd[1]: " + text
    s.sendall(b"%d syslog %d %s\n" % (txnr, len(msg), msg))
    if not recv_frame(s, txnr).startswith(b"%d rsp 6 200 OK" % txnr):
        sys.exit("message %d not acknowledged" % txnr)
def open_session(i):
    before = steers()
    s = socket.create_connection(("127.0.0.1", port))
    offer = b"relp_version=0\nrelp_software=resyncd-test\ncommands=syslog"
    s.sendall(b"1 open %d %s\n" % (len(offer), offer))
    recv_frame(s, 1)
    deadline = time.monotonic() + 30
    while steers() == before:
        if time.monotonic() > deadline:
            sys.exit("no steering change after session %d connected (and sent nothing)" % i)
        time.sleep(0.01)
    return s
def engines_serving(sessions):
    # resyncd's socket of each session: local port = the RELP port, remote = ours.
    mine = {s.getsockname()[1] for s in sessions}
    inodes = set()
    with open("/proc/%d/net/tcp" % pid) as f:
        for line in f.readlines()[1:]:
            p = line.split()
            lport, rport = int(p[1].split(":")[1], 16), int(p[2].split(":")[1], 16)
            if lport == port and rport in mine and p[3] == "01":
                inodes.add(int(p[9]))
    if len(inodes) != len(sessions):
        sys.exit("found %d of the %d sessions' sockets" % (len(inodes), len(sessions)))
    # Which epoll instance watches each of them.
    engines = {}
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            info = open("/proc/%d/fdinfo/%s" % (pid, fd)).read()
        except OSError:
            continue
        for ino in re.findall(r"^tfd:.*\bino:([0-9a-f]+)", info, re.M):
            if int(ino, 16) in inodes:
                engines.setdefault(int(ino, 16), set()).add(fd)
    if len(engines) != len(sessions):
        sys.exit("only %d of the %d sessions are in an engine's epoll set" % (len(engines), len(sessions)))
    return len({min(v) for v in engines.values()})
sessions = []
for i in range(8):
    # An engine counts as busy for a second after its last message or
    # connection: the sessions already open send one each first, so a slow
    # machine (a round over a second) does not make their engines idle again.
    for k, old in enumerate(sessions):
        send(old, b"still here %d" % k)
    sessions.append(open_session(i))
first = engines_serving(sessions)
# Every engine is busy now. A second group of relays connecting at once (in
# the second after the first group's last messages) must not be spread at
# random over all engines: each goes to the engine busy least recently, so
# the 8 land apart again (at random, 8 apart in 0.24% of runs).
for k, old in enumerate(sessions):
    send(old, b"busy %d" % k)
second = [open_session(8 + i) for i in range(8)]
print(first, engines_serving(second))
PY
) || fail "RELP sessions: $out"
expect "engines serving the 8 sessions opened one after another, without messages; then 8 more" "$out" "8 8"
echo "ok - 8 RELP sessions opened one after another, none sending, are served by 8 different engines"
echo "ok - 8 more opened while every engine is busy go to the 8 engines busy least recently, one each"
stop_resyncd
grep_all 'connections steered to idle engines: [1-9]' "$work/resyncd.log" || fail "no steering in the stop's log line"
echo "PASS"
