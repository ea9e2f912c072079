#!/usr/bin/env python3
"""netconf_client.py: a minimal NETCONF client over OpenSSH's ssh for the
integration tests ("a change made on the device" on a server that is not
devsim). Sends a base:1.0 hello, then each RPC given (one operation element
each), waits for each reply and prints it; exits 1 on an <rpc-error>.

    netconf_client.py HOST PORT KEY KNOWN_HOSTS USER RPC...
"""
import select
import subprocess
import sys
import time

EOM = b"]]>]]>"
NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def main():
    host, port, key, known, user = sys.argv[1:6]
    p = subprocess.Popen(["ssh", "-q", "-i", key, "-o", "UserKnownHostsFile=" + known,
                          "-o", "BatchMode=yes", "-p", port, "%s@%s" % (user, host), "-s", "netconf"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    buf = b""

    def recv():
        nonlocal buf
        while EOM not in buf:
            if not select.select([p.stdout], [], [], 15)[0]:
                p.kill()
                sys.exit("netconf_client: no answer within 15 s")
            b = p.stdout.read1(65536)
            if not b:
                sys.exit("netconf_client: the server closed the session")
            buf += b
        msg, _, buf = buf.partition(EOM)
        return msg.decode()

    def send(xml):
        p.stdin.write((DECL + xml).encode() + EOM + b"\n")
        p.stdin.flush()

    recv()  # the server's hello
    send('<hello xmlns="%s"><capabilities><capability>urn:ietf:params:netconf:base:1.0'
         '</capability></capabilities></hello>' % NS)
    # yuma123's netconf-subsystem drops what follows the hello in the same
    # read: the first RPC goes in a write of its own, a moment later.
    time.sleep(0.5)
    rc = 0
    for i, op in enumerate(sys.argv[6:], 1):
        send('<rpc xmlns="%s" message-id="%d">%s</rpc>' % (NS, i, op))
        reply = recv()
        print(reply)
        if "<rpc-error" in reply:
            rc = 1
            break
    send('<rpc xmlns="%s" message-id="0"><close-session/></rpc>' % NS)
    p.stdin.close()
    p.wait(timeout=30)
    return rc


if __name__ == "__main__":
    sys.exit(main())
