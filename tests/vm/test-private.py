#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real guests on one Private switch: ping, VLAN isolation, VLAN change, daemon restart.

Copyright (C) 2026 The vswitch authors

Three guests (patched QEMU, -netdev vswitch, virtio-net, TCG) on switch
"lab" inside a network namespace of the test's own:
  a: VLAN 10, 10.0.0.1    b: VLAN 10, 10.0.0.2    c: VLAN 20, 10.0.0.3
Checks: a and b ping each other both ways; c reaches neither; after
`vswitchctl port set lab c --vlan 10` c reaches a without a reboot
(and QEMU's `info network` says so);
after vswitchd is stopped the guests see their link go down, and after
it is started again (with its persisted switch) they re-attach by
themselves and ping again, c still on VLAN 10.  Then d, a QEMU without
-name given its NIC with -nic, as a new user would: its port is named
after the NIC's MAC (52:54:00:00:10:04.nic0), so the VLAN an
administrator provisioned for that name applies to it, and again after
that QEMU is restarted with the same command line.  Guest e (VLAN 10,
10.0.0.5) has a legacy virtio-net NIC without mergeable RX buffers, so
its frames carry the 10-byte header that QEMU copies through a buffer
of its own, where a and b take the ring's bytes as they are: pings of
several sizes and a TCP transfer both ways between a and e.
Exit 0 pass, 1 fail, 77 without root.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vswvm  # noqa: E402
from vswvm import check, log  # noqa: E402

NETDEV = "vswitch,id=n0,switch=lab,sock=%s,port=%s,vlan=%d,reconnect-ms=500"


def ping(g, addr, count=2, size=56):
    rc, out = g.run("ping -c %d -W 2 -s %d %s" % (count, size, addr), timeout=30)
    return rc == 0


def link_state(g):
    return g.must("cat /sys/class/net/eth0/operstate").strip().splitlines()[-1]


def test(env):
    env.start_daemon()
    env.ctl("switch", "add", "lab")
    guests = {}
    for name, vlan, ip, mac in (("a", 10, "10.0.0.1", "52:54:00:00:10:01"),
                                ("b", 10, "10.0.0.2", "52:54:00:00:10:02"),
                                ("c", 20, "10.0.0.3", "52:54:00:00:20:03")):
        guests[name] = env.guest_start(
            name, NETDEV % (env.sock, name, vlan), mac, "vsw.ip=%s/24" % ip)
    guests["e"] = env.guest_start("e", NETDEV % (env.sock, "e", 10), "52:54:00:00:10:05",
                                  "vsw.ip=10.0.0.5/24",
                                  device="virtio-net-pci,disable-modern=on,mrg_rxbuf=off")
    a, b, c, e = guests["a"], guests["b"], guests["c"], guests["e"]
    start = time.monotonic()
    for g in guests.values():
        g.wait_ready()
    log("4 guests up in %.1fs" % (time.monotonic() - start))
    ports = env.ctl("port", "list", "lab")
    log("ports:\n" + ports)
    for name in "abc":
        check(("lab " in ports) and (" %s " % name) in ports, "port %s not listed" % name)

    # Same VLAN: both ways.
    check(ping(a, "10.0.0.2"), "a cannot ping b (both VLAN 10)")
    check(ping(b, "10.0.0.1"), "b cannot ping a (both VLAN 10)")
    log("a <-> b: ping ok")
    # e's driver negotiated neither VERSION_1 (bit 32) nor MRG_RXBUF (15).
    feat = e.must("cat /sys/class/net/eth0/device/features").strip().splitlines()[-1]
    check(len(feat) >= 33 and feat[15] == "0" and feat[32] == "0",
          "e's virtio-net is not legacy without mergeable buffers: %s" % feat)
    for size in (20, 1400, 4000):
        check(ping(a, "10.0.0.5", size=size), "a cannot ping e with %d bytes" % size)
        check(ping(e, "10.0.0.1", size=size), "e cannot ping a with %d bytes" % size)
    e.must("iperf3 -s -D >/dev/null 2>&1")
    out = a.must("iperf3 -c 10.0.0.5 -n 8M -f m 2>&1 | grep receiver", timeout=120)
    check("receiver" in out, "a -> e TCP: %s" % out)
    out = a.must("iperf3 -c 10.0.0.5 -n 8M -R -f m 2>&1 | grep receiver", timeout=120)
    check("receiver" in out, "e -> a TCP: %s" % out)
    log("a <-> e (10-byte header): pings of 20, 1400, 4000 bytes and 8 MiB of TCP each way")
    # QEMU told the switch each NIC's MAC once the NIC was up.
    ports = env.ctl("port", "list", "lab")
    for mac in ("52:54:00:00:10:01", "52:54:00:00:10:02"):
        check(mac in ports, "MAC %s not in the port list:\n%s" % (mac, ports))
    # Other VLAN: nothing, either way.
    check(not ping(a, "10.0.0.3", 1), "a reached c across VLANs 10 -> 20")
    check(not ping(c, "10.0.0.2", 1), "c reached b across VLANs 20 -> 10")
    log("a, b -/- c: isolated")

    # Move c to VLAN 10 at run time: no reboot, the next frame goes through.
    info = c.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check("switch=lab,port=c,vlan=20" in info, "info network before the change:\n" + info)
    env.ctl("port", "set", "lab", "c", "--vlan", "10")
    check(ping(c, "10.0.0.1"), "c cannot ping a after moving to VLAN 10")
    info = c.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check("switch=lab,port=c,vlan=10" in info, "info network after the change:\n" + info)
    check(ping(a, "10.0.0.3"), "a cannot ping c after c moved to VLAN 10")
    log("c moved to VLAN 10: c <-> a ok")

    # vswitchd goes away: links go down; it comes back: guests re-attach.
    env.stop_daemon()
    vswvm.wait_for(lambda: link_state(a) == "down", 15, "a's link to go down")
    log("daemon stopped: a's link is down")
    env.start_daemon()
    for g in (a, b, c, e):
        vswvm.wait_for(lambda g=g: link_state(g) == "up", 30, "%s's link to come up" % g.name)
    log("daemon restarted: links up again")
    ports = env.ctl("port", "list", "lab")
    log("ports after restart:\n" + ports)
    check(ping(a, "10.0.0.2"), "a cannot ping b after the daemon restart")
    check(ping(c, "10.0.0.1"), "c (VLAN 10, persisted) cannot ping a after the restart")
    check(not ping(b, "10.0.0.9", 1), "ping to nobody answered")
    log("after restart: a <-> b, c <-> a ok")

    # A QEMU without -name, its NIC given with -nic: the port name comes
    # from the NIC's MAC, the same on every run, so settings made for it
    # by name stay with it.
    port_d = "52:54:00:00:10:04.nic0"
    env.ctl("port", "provision", "lab", port_d, "--vlan", "10")
    for run in (1, 2):
        d = env.guest_start("d%d" % run, "vswitch,switch=lab,sock=%s" % env.sock,
                            "52:54:00:00:10:04", "vsw.ip=10.0.0.4/24", nic=True,
                            anonymous=True)
        d.wait_ready()
        ports = env.ctl("port", "list", "lab")
        check((" %s " % port_d) in ports, "run %d: no port %s:\n%s" % (run, port_d, ports))
        check(ping(d, "10.0.0.1"), "run %d: d cannot ping a on its provisioned VLAN 10" % run)
        check(not ping(d, "10.0.0.9", 1), "ping to nobody answered")
        d.kill()
        vswvm.wait_for(lambda: port_d not in env.ctl("port", "list", "lab"), 10,
                       "d's port to go")
        log("run %d of d (no -name, -nic): port %s, VLAN 10 as provisioned" % (run, port_d))


if __name__ == "__main__":
    vswvm.main(test)
