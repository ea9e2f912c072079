#!/usr/bin/env python3
"""commit_latency: sends Junos commits by UDP and by RELP, one at a time, and
measures for each how long resyncd took (used by test_snmp_master_frozen.sh).

- RELP: from writing the "syslog" frame to reading its "200 OK" answer, which
  resyncd sends only after the loop has stored the commit (loop_call_sync).
- UDP: from sendto() to the loop's log line for the commit ("device u1:
  UI_COMMIT_COMPLETED by ..."), which the loop writes after the store
  transaction (a status line would not do: the device's initial resync, J7,
  may have made it outOfSync already). The log is polled every 2 ms; --dump-state, which the
  test reads afterwards, would add a process start and a store open of its
  own to every measurement.

Commit k (k = 1 .. --count) alternates: odd k by UDP for device u<k>, even k
by RELP for device t<k>, each device's first commit. --pace seconds pass from
one send to the next (spread over the time the master is stopped, not sent
in one burst). --stop PID: that process gets SIGSTOP once the RELP session is
open, so that only commits are timed, not the RELP handshake.

Prints one line per commit: "udp u1 0.004" (seconds), then "END ok", or
"END error: ..." on the first commit not answered or not logged within
--timeout seconds.
"""
import argparse
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relp_crash_sender import Lost, Reader, frame  # noqa: E402


def commit(name, k, rfc5424):
    if rfc5424:
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return ("<189>1 %s %s mgd %d UI_COMMIT_COMPLETED [junos@2636.1.1.1.2.129 username=\"u%d\"]"
                " commit complete\n" % (ts, name, 4000 + k, k)).encode()
    ts = time.strftime("%b %e %H:%M:%S", time.localtime())
    return ("<189>%s %s mgd[%d]: UI_COMMIT_COMPLETED: User 'u%d' commit complete"
            % (ts, name, 4000 + k, k)).encode()


class LogWatch:
    """Follows resyncd's log for one line at a time."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.f.seek(0, os.SEEK_END)
        self.buf = b""

    def wait_for(self, needle, deadline):
        while True:
            chunk = self.f.read()
            if chunk:
                self.buf += chunk
                lines = self.buf.split(b"\n")
                self.buf = lines.pop()
                if any(needle in line for line in lines):
                    return True
                continue
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udp-port", type=int, required=True)
    ap.add_argument("--relp-port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--pace", type=float, default=0.8)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--stop", type=int, default=0)
    a = ap.parse_args()

    relp = socket.create_connection(("127.0.0.1", a.relp_port), timeout=a.timeout)
    rd = Reader(relp)
    relp.sendall(frame(1, b"open", b"relp_version=0\nrelp_software=resyncd-test\ncommands=syslog"))
    txnr, cmd, data = rd.next_frame()
    if txnr != 1 or cmd != b"rsp" or not data.startswith(b"200"):
        print("END error: RELP open answered %r %r" % (cmd, data[:40]))
        return 1
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    log = LogWatch(a.log)
    if a.stop:
        os.kill(a.stop, signal.SIGSTOP)
    start = time.monotonic()
    for k in range(1, a.count + 1):
        due = start + (k - 1) * a.pace
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        if k % 2:
            name = "u%d" % k
            msg = commit(name, k, False)
            t0 = time.monotonic()
            udp.sendto(msg, ("127.0.0.1", a.udp_port))
            ok = log.wait_for(("device %s: UI_COMMIT_COMPLETED" % name).encode(),
                              t0 + a.timeout)
            took = time.monotonic() - t0
            if not ok:
                print("END error: udp commit for %s not processed in %g s" % (name, a.timeout))
                return 1
            print("udp %s %.3f" % (name, took), flush=True)
        else:
            name = "t%d" % k
            txnr += 1
            t0 = time.monotonic()
            try:
                relp.sendall(frame(txnr, b"syslog", commit(name, k, True)))
                t, cmd, data = rd.next_frame()
            except (Lost, OSError) as e:
                print("END error: relp commit for %s: %s" % (name, e))
                return 1
            took = time.monotonic() - t0
            if t != txnr or cmd != b"rsp" or not data.startswith(b"200"):
                print("END error: relp commit for %s answered %r %r" % (name, cmd, data[:40]))
                return 1
            print("relp %s %.3f" % (name, took), flush=True)
    txnr += 1
    relp.sendall(frame(txnr, b"close"))
    print("END ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
