#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hot-plug and unplug a vswitch NIC again and again; QMP errors; no leaks.

Copyright (C) 2026 The vswitch authors

One guest (-M pc, ACPI hot-plug) on switch "lab"; the namespace's own
kernel stack sits on the same switch through tests/tools/vsw-tap.
Five times: netdev_add vswitch + device_add virtio-net-pci, the guest
gets the NIC and pings through it, device_del + netdev_del, the port
disappears from the switch.  QEMU's open file descriptors and the
switch's port list must be the same after every round.  Then the
errors a management tool gets from netdev_add (a bad VLAN, no daemon at
the socket) or, since netdev_add does not wait for the daemon, from
NETDEV_VSWITCH_DISCONNECTED (no such switch, a port name already taken).
Exit 0 pass, 1 fail, 77 without root.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vswvm  # noqa: E402
from vswvm import check, log  # noqa: E402

ROUNDS = 5
HP_MAC = "52:54:00:00:aa:01"
VSW_TAP = os.path.join(vswvm.BUILD, "tests", "vsw-tap")


def ifname_of(g, mac):
    out = g.must("for i in /sys/class/net/*; do [ \"$(cat $i/address)\" = %s ] && "
                 "echo IF=${i##*/}; done; true" % mac)
    for line in out.splitlines():
        if line.startswith("IF="):
            return line[3:]
    return None


def ports(env):
    return sorted(line.split()[1] for line in env.ctl("port", "list", "lab").splitlines()[1:])


def test(env):
    env.start_daemon()
    env.ctl("switch", "add", "lab")
    ready = os.path.join(env.tmp, "tap.ready")
    env.spawn([VSW_TAP, "--socket", env.sock, "--switch", "lab", "--port", "host",
               "--tap", "vswhost", "--ready-file", ready],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    vswvm.wait_for(lambda: os.path.exists(ready), 10, "vsw-tap")
    subprocess.run(env.netns(["ip", "addr", "add", "10.0.1.254/24", "dev", "vswhost"]), check=True)
    subprocess.run(env.netns(["ip", "link", "set", "vswhost", "up"]), check=True)

    g = env.guest_start("g", "vswitch,id=n0,switch=lab,sock=%s,port=g0" % env.sock,
                        "52:54:00:00:aa:00", machine="pc")
    g.wait_ready()
    base_ports = ports(env)
    check(base_ports == ["g0", "host"], "ports at start: %s" % base_ports)
    fds = []
    for i in range(ROUNDS):
        g.qmp_cmd("netdev_add", type="vswitch", id="hp", switch="lab",
                  sock=env.sock, port="hp")
        g.qmp_event("NETDEV_VSWITCH_CONNECTED", 10, **{"netdev-id": "hp"})
        check("hp" in ports(env), "round %d: port hp not on the switch after netdev_add" % i)
        g.qmp_cmd("device_add", driver="virtio-net-pci", id="hpdev", netdev="hp",
                  mac=HP_MAC, romfile="")
        vswvm.wait_for(lambda: ifname_of(g, HP_MAC), 30, "the hot-plugged NIC in the guest")
        ifn = ifname_of(g, HP_MAC)
        g.must("ip addr add 10.0.1.%d/24 dev %s && ip link set %s up" % (10 + i, ifn, ifn))
        vswvm.wait_for(lambda: g.run("ping -c 1 -W 1 -I %s 10.0.1.254" % ifn)[0] == 0,
                       30, "ping over the hot-plugged NIC")
        g.qmp_cmd("device_del", id="hpdev")
        g.qmp_event("DEVICE_DELETED", 30, device="hpdev")
        g.qmp_cmd("netdev_del", id="hp")
        vswvm.wait_for(lambda: ports(env) == base_ports, 10, "port hp to leave the switch")
        fds.append(g.fd_count())
        log("round %d: plugged %s, pinged, unplugged; QEMU has %d fds" % (i, ifn, fds[-1]))
    check(len(set(fds)) == 1, "QEMU's fd count changed over the rounds: %s" % fds)

    # What a management tool gets wrong, it hears about: at once when QEMU
    # can tell, else (the daemon refuses) in NETDEV_VSWITCH_DISCONNECTED,
    # since netdev_add does not wait for the daemon.
    g.qmp_cmd("netdev_add", type="vswitch", id="x1", switch="nosuch", sock=env.sock)
    e = g.qmp_event("NETDEV_VSWITCH_DISCONNECTED", 10, **{"netdev-id": "x1"})
    check("switch 'nosuch' does not exist" in e.get("error", ""),
          "no switch named in: %s" % e)
    g.qmp_cmd("netdev_del", id="x1")
    e = g.qmp_error("netdev_add", type="vswitch", id="x2", switch="lab", sock=env.sock,
                    vlan=5000)
    check("5000" in e or "VLAN" in e or "vlan" in e, "bad VLAN not named in: %s" % e)
    e = g.qmp_error("netdev_add", type="vswitch", id="x3", switch="lab",
                    sock=os.path.join(env.tmp, "nothing.sock"))
    check("nothing.sock" in e, "socket path not named in: %s" % e)
    g.qmp_cmd("netdev_add", type="vswitch", id="x4", switch="lab", sock=env.sock,
              port="g0")
    e = g.qmp_event("NETDEV_VSWITCH_DISCONNECTED", 10, **{"netdev-id": "x4"})
    check("g0" in e.get("error", ""), "taken port name not named in: %s" % e)
    g.qmp_cmd("netdev_del", id="x4")
    check(ports(env) == base_ports, "failed netdev_adds left ports: %s" % ports(env))
    check(g.fd_count() == fds[-1], "failed netdev_adds leaked fds: %d -> %d"
          % (fds[-1], g.fd_count()))
    log("netdev_add errors: clear, nothing leaked")
    # The first NIC still works.
    g.must("ip addr add 10.0.1.2/24 dev eth0")
    vswvm.wait_for(lambda: g.run("ping -c 1 -W 1 -I eth0 10.0.1.254")[0] == 0, 30,
                   "ping over the first NIC")


if __name__ == "__main__":
    vswvm.main(test)
