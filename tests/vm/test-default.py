#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A real guest on the Default switch: DHCP lease, a file from the host, a port forward.

Copyright (C) 2026 The vswitch authors

vswitchd runs inside a network namespace of the test's own, so "the host"
the NAT reaches is that namespace: nothing leaves it.  The test starts an
HTTP server there on 127.0.0.1, which the guest reaches as 10.0.2.2.
Checks: the guest's udhcpc gets 10.0.2.15 with gateway and DNS from the
NAT; it fetches a 1 MiB file from the host-side server intact (sha256)
and sends one back; a second guest, an e1000 (no offloads: the switch
cuts the NAT's large TCP segments for it), gets the next address, does
the same, and both reach each other; libslirp got the virtio guest's TSO
frames whole and sent GSO frames; a port forward (vswitchctl nat forward
add) takes a connection from the namespace's 127.0.0.1 to a server in the
guest.
Exit 0 pass, 1 fail, 77 without root.
"""

import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vswvm  # noqa: E402
from vswvm import check, log  # noqa: E402

HTTP_PORT = 8080
UP_PORT = 9000
FWD_PORT = 10022

# The host side of an upload: each connection's bytes, until EOF or 1 MiB,
# hashed into DIR/up-N.
UPLOAD_SERVER = r"""
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[2])))
s.listen(4)
s.settimeout(600)
for n in range(2):
    c, _ = s.accept()
    c.settimeout(60)
    h, got = hashlib.sha256(), 0
    while got < 1 << 20:
        d = c.recv(65536)
        if not d:
            break
        h.update(d)
        got += len(d)
    open("%s/up-%d" % (sys.argv[1], n), "w").write("%s %d\n" % (h.hexdigest(), got))
    c.close()
"""


def test(env):
    env.start_daemon()
    # As root the host's loopback is closed to guests until an administrator opens it.
    check(json.loads(env.ctl("--json", "nat", "show"))["host-loopback"] is False,
          "host-loopback is not off by default as root")
    env.ctl("nat", "set", "host-loopback", "on")
    www = os.path.join(env.tmp, "www")
    os.mkdir(www)
    blob = os.urandom(1024 * 1024)
    with open(os.path.join(www, "blob.bin"), "wb") as f:
        f.write(blob)
    env.spawn(["python3", "-m", "http.server", str(HTTP_PORT), "--bind", "127.0.0.1",
               "--directory", www], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env.spawn(["python3", "-c", UPLOAD_SERVER, env.tmp, str(UP_PORT)],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    nd = "vswitch,id=n0,switch=Default,sock=%s,port=%s"
    g1 = env.guest_start("g1", nd % (env.sock, "g1"), "52:54:00:00:d0:01", "vsw.ip=dhcp")
    g2 = env.guest_start("g2", nd % (env.sock, "g2"), "52:54:00:00:d0:02", "vsw.ip=dhcp",
                         device="e1000")
    ip1 = g1.wait_ready()
    ip2 = g2.wait_ready()
    log("leases: g1 %s, g2 %s" % (ip1, ip2))
    check({ip1, ip2} == {"10.0.2.15/24", "10.0.2.16/24"}, "unexpected leases %s %s" % (ip1, ip2))
    route = g1.must("ip route")
    check("default via 10.0.2.2" in route, "no default route via the NAT:\n" + route)
    dns = g1.must("cat /etc/resolv.conf")
    check("nameserver 10.0.2.3" in dns, "no DNS from the NAT:\n" + dns)

    want = hashlib.sha256(blob).hexdigest()
    for n, (g, what) in enumerate(((g1, "virtio-net"), (g2, "e1000"))):
        out = g.must("wget -q -O - http://10.0.2.2:%d/blob.bin | sha256sum" % HTTP_PORT,
                     timeout=120)
        check(want in out, "%s: the file arrived damaged or not at all: %s"
              % (what, out.strip()))
        log("%s fetched 1 MiB from the host side, sha256 ok" % what)
        out = g.must("head -c 1048576 /dev/urandom >/tmp/up && sha256sum /tmp/up && "
                     "nc 10.0.2.2 %d </tmp/up" % UP_PORT, timeout=120)
        sent = out.split()[0]
        path = os.path.join(env.tmp, "up-%d" % n)
        vswvm.wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 60,
                       "the host side of %s's upload" % what)
        with open(path) as f:
            got = f.read().split()
        check(got == [sent, str(1 << 20)], "%s: the upload arrived as %s, sent %s"
              % (what, got, sent))
        log("%s sent 1 MiB to the host side, sha256 ok" % what)
    counters = json.loads(env.ctl("--json", "nat", "show"))["counters"]
    log("NAT counters: %s" % counters)
    check(counters["to-nat-coalesced"] > 0, "libslirp never got a TSO frame whole")
    check(counters["from-nat-gso"] > 0, "libslirp's large segments never left as GSO frames")

    other = ip2.split("/")[0] if ip1.startswith("10.0.2.15") else ip1.split("/")[0]
    first = g1 if ip1.startswith("10.0.2.15") else g2
    check(first.run("ping -c 2 -W 2 %s" % other)[0] == 0, "VM-to-VM on the Default switch failed")
    log("VM to VM on the Default switch: ok")

    # A forward from the namespace's loopback into g1 (a TCP echo server there).
    g1.must("(nc -ll -p 7 -e cat >/dev/null 2>&1 &)")
    env.ctl("nat", "forward", "add", "tcp", str(FWD_PORT), "%s:7" % ip1.split("/")[0])
    listing = env.ctl("nat", "forward", "list")
    check(str(FWD_PORT) in listing and "127.0.0.1" in listing, "forward not listed:\n" + listing)
    reply = subprocess.run(
        env.netns(["python3", "-c",
                   "import socket;s=socket.create_connection(('127.0.0.1',%d),5);"
                   "s.settimeout(5);s.sendall(b'through-the-nat\\n');print(s.recv(64).decode())"
                   % FWD_PORT]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    check("through-the-nat" in reply.stdout,
          "no echo through the forward: %s %s" % (reply.stdout, reply.stderr))
    log("port forward 127.0.0.1:%d -> %s:7: echo ok" % (FWD_PORT, ip1.split("/")[0]))
    ports = env.ctl("port", "list", "Default")
    log("ports:\n" + ports)


if __name__ == "__main__":
    vswvm.main(test)
