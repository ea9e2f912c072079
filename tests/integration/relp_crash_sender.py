#!/usr/bin/env python3
"""relp_crash_sender: a RELP client that knows exactly which messages were
acknowledged (used by test_crash_relp.sh).

It speaks the RELP wire protocol itself (rsyslog's doc/relp.html):
    frame = TXNR SP COMMAND SP DATALEN [SP DATA] LF
open (offers relp_version, commands=syslog), then "syslog" frames, each
answered by "TXNR rsp LEN 200 OK". A message counts as acknowledged only when
the "rsp" for its own transaction number says 200; anything else (no answer,
connection lost) leaves it unacknowledged. Several frames may be in flight
(--window); RELP answers each by its txnr, so that loses no precision.

Message k (k = --first, --first + --stride, ..., --count of them) is a Junos UI_COMMIT_COMPLETED for
device c<NNN> with NNN = k % devices + 1, in the RFC 5424 form rsyslog's
RSYSLOG_SyslogProtocol23Format forwards (trailing LF included), with
username "u<k>" in the Junos structured data and "seq k" in the text, so no
two messages are duplicates of each other and the stored lastCommitUser tells
which commit was recorded last.

Log (--log), one line each, written unbuffered before/after the fact:
    S k    frame for message k is about to be written to the socket
    A k    the server answered 200 for message k
    END ok|lost|refused|error:...   why the sender stopped
Exits when all messages are acknowledged (after a RELP close) or as soon as
the connection is lost (resyncd killed).
"""
import argparse
import os
import re
import socket
import sys
import time


def device_name(k, ndev):
    return "c%03d" % (k % ndev + 1)


def message(k, ndev):
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%06dZ" % (time.time_ns() // 1000 % 1000000)
    return ("<189>1 %s %s mgd %d UI_COMMIT_COMPLETED [junos@2636.1.1.1.2.129 username=\"u%d\"]"
            " commit complete (seq %d)\n" % (ts, device_name(k, ndev), 4000 + k % 1000, k, k)).encode()


def frame(txnr, cmd, data=b""):
    head = b"%d %s %d" % (txnr, cmd, len(data))
    return head + (b" " + data if data else b"") + b"\n"


# TXNR SP COMMAND SP DATALEN, then SP DATA LF or (DATALEN 0) LF.
HEADER = re.compile(rb"([0-9]{1,9}) ([a-z]{1,32}) ([0-9]{1,9})([ \n])")


class Lost(Exception):
    pass


class Reader:
    """Parses frames from the server (rsp, serverclose)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionError, socket.timeout, OSError) as e:
            raise Lost(str(e))
        if not chunk:
            raise Lost("connection closed")
        self.buf += chunk

    def next_frame(self):
        """(txnr, command, data) of the next complete frame."""
        while True:
            m = HEADER.match(self.buf)
            if m is None and (len(self.buf) > 64 or b"\n" in self.buf[:64]):
                raise Lost("bad frame %r" % self.buf[:64])
            if m is not None:
                n, at = int(m.group(3)), m.end()
                if n == 0 and m.group(4) == b"\n":
                    self.buf = self.buf[at:]
                    return int(m.group(1)), m.group(2), b""
                if len(self.buf) >= at + n + 1:
                    if self.buf[at + n:at + n + 1] != b"\n":
                        raise Lost("bad frame %r" % self.buf[:64])
                    data = self.buf[at:at + n]
                    self.buf = self.buf[at + n + 1:]
                    return int(m.group(1)), m.group(2), data
            self._fill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--window", type=int, default=16)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    log = os.open(a.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def note(s):
        os.write(log, (s + "\n").encode())

    try:
        sock = socket.create_connection(("127.0.0.1", a.port), timeout=30)
    except OSError as e:
        note("END refused %s" % e)
        return 1
    sock.settimeout(60)
    rd = Reader(sock)
    try:
        sock.sendall(frame(1, b"open", b"relp_version=0\nrelp_software=resyncd-test\ncommands=syslog"))
        txnr, cmd, data = rd.next_frame()
        if txnr != 1 or cmd != b"rsp" or not data.startswith(b"200"):
            note("END error: open answered %r %r" % (cmd, data[:40]))
            return 1
        inflight = {}  # txnr -> message number
        nxt, last = a.first, a.first + a.count * a.stride
        txnr = 1
        while nxt < last or inflight:
            while nxt < last and len(inflight) < a.window:
                txnr += 1
                inflight[txnr] = nxt
                note("S %d" % nxt)
                sock.sendall(frame(txnr, b"syslog", message(nxt, a.devices)))
                nxt += a.stride
            t, cmd, data = rd.next_frame()
            if cmd == b"serverclose":
                raise Lost("serverclose")
            if cmd != b"rsp" or t not in inflight:
                note("END error: unexpected %r for txnr %d" % (cmd, t))
                return 1
            k = inflight.pop(t)
            if data.startswith(b"200"):
                note("A %d" % k)
            else:
                note("N %d %s" % (k, data[:60].decode(errors="replace")))
        txnr += 1
        sock.sendall(frame(txnr, b"close"))
        rd.next_frame()
        note("END ok")
        return 0
    except (Lost, ConnectionError, OSError) as e:
        note("END lost %s" % e)
        return 0
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
