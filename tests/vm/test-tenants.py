#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A QEMU run by an unprivileged user gets the port its administrator provisioned.

Copyright (C) 2026 The vswitch authors

vswitchd runs as root with --socket-group users (how libvirt's QEMU user
gets the socket).  The administrator (root) adds switch "lab" and
provisions port "web" on VLAN 20 for user nobody with the NIC's MAC.
  peer: root's QEMU on VLAN 20, 10.0.0.2    other: root's QEMU on VLAN 10, 10.0.0.3
  web:  QEMU as nobody (group users), asking for VLAN 10, 10.0.0.1
Checks: web's QEMU boots and is on VLAN 20 whatever it asked (the switch
and QEMU's `info network` say so); web reaches peer and not other; the
same QEMU's netdev_add of a port on a VLAN clients may not choose is
refused (NETDEV_VSWITCH_DISCONNECTED) with an error naming the cause; QEMU as another user of group users
claiming "web" (before and while web's QEMU has it), or asking for VLAN 10
on a port nobody provisioned, exits at start-up with an error naming the
cause; web's QEMU may not
change the switch (vswitchctl as nobody is refused).
Exit 0 pass, 1 fail, 77 without root.
"""

import grp
import shutil
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vswvm  # noqa: E402
from vswvm import check, log  # noqa: E402

NETDEV = "vswitch,id=n0,switch=lab,sock=%s,port=%s,vlan=%d"
NOBODY = 65534
OTHER = 65532           # another member of group users, no passwd entry needed
WEB_MAC = "52:54:00:00:20:01"


def ping(g, addr, count=2):
    rc, _ = g.run("ping -c %d -W 2 %s" % (count, addr), timeout=30)
    return rc == 0


def refused_at_start(env, user, netdev, what):
    """QEMU as @user with @netdev must exit non-zero; Return: its stderr."""
    shared = env.shared_files()
    r = env.run_as(user, [os.path.join(shared, "qemu-system-x86_64"), "-M", "q35",
                          "-accel", "tcg", "-nodefaults", "-display", "none",
                          "-L", os.path.join(shared, "share"), "-S",
                          "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    check(r.returncode != 0, "%s: QEMU started (%d)" % (what, r.returncode))
    log("%s: QEMU said: %s" % (what, r.stderr.strip()))
    return r.stderr


def test(env):
    users = grp.getgrnam("users").gr_gid
    env.start_daemon(["--socket-group", "users"])
    env.ctl("switch", "add", "lab")
    env.ctl("port", "provision", "lab", "web", "--vlan", "20", "--mac", WEB_MAC,
            "--owner-user", str(NOBODY))

    # Squatting: another member of users takes the provisioned name first.
    err = refused_at_start(env, (OTHER, users), NETDEV % (env.sock, "web", 20), "squatter")
    check("provisioned for another user" in err and "uid %d" % OTHER in err,
          "squatter's error: " + err)

    peer = env.guest_start("peer", NETDEV % (env.sock, "peer", 20), "52:54:00:00:20:02",
                           "vsw.ip=10.0.0.2/24")
    other = env.guest_start("other", NETDEV % (env.sock, "other", 10), "52:54:00:00:10:03",
                            "vsw.ip=10.0.0.3/24")
    # nobody's QEMU asks for VLAN 10; the administrator said 20.
    web = env.guest_start("web", NETDEV % (env.sock, "web", 10), WEB_MAC,
                          "vsw.ip=10.0.0.1/24", user=(NOBODY, users))
    for g in (peer, other, web):
        g.wait_ready()
    status = open("/proc/%d/status" % web.proc.pid).read()
    # web.proc is `ip netns exec`, which execs setpriv, which execs QEMU.
    check("\nUid:\t%d\t%d" % (NOBODY, NOBODY) in status,
          "web's QEMU does not run as nobody:\n" + status)
    log("web's QEMU (pid %d) runs as uid %d" % (web.proc.pid, NOBODY))

    show = env.ctl("port", "show", "lab", "web")
    log("port show lab web:\n" + show)
    check(any(ln.split()[:2] == ["vlan:", "20"] for ln in show.splitlines()),
          "web is not on VLAN 20:\n" + show)
    check("uid %d" % NOBODY in show, "web's client is not nobody:\n" + show)
    info = web.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check("switch=lab,port=web,vlan=20" in info, "web's info network:\n" + info)

    check(ping(web, "10.0.0.2"), "web cannot ping peer (both VLAN 20)")
    check(ping(peer, "10.0.0.1"), "peer cannot ping web (both VLAN 20)")
    check(not ping(web, "10.0.0.3", 1), "web reached other on VLAN 10, which it asked for")
    log("web is on the administrator's VLAN 20: web <-> peer, web -/- other")

    # The same QEMU adds a NIC at run time on a port nobody provisioned,
    # with a VLAN clients of "lab" may not choose.
    # netdev_add does not wait for the daemon: its refusal comes as an event.
    web.qmp_cmd("netdev_add", type="vswitch", id="n1", switch="lab",
                sock=env.sock, port="extra", vlan=30)
    err = web.qmp_event("NETDEV_VSWITCH_DISCONNECTED", 10, **{"netdev-id": "n1"})
    err = err.get("error", "")
    log("netdev_add refused: %s" % err)
    check("does not let clients choose VLAN 30" in err, "netdev_add error: " + err)
    web.qmp_cmd("netdev_del", id="n1")
    check("extra" not in env.ctl("port", "list", "lab"), "port extra was attached")

    # The squatter again, now that the port is live: the same answer.
    err = refused_at_start(env, (OTHER, users), NETDEV % (env.sock, "web", 20),
                           "squatter on the live port")
    check("provisioned for another user" in err, "squatter's error: " + err)
    # A VLAN of its choice on a port nobody provisioned.
    err = refused_at_start(env, (NOBODY, users), NETDEV % (env.sock, "mine", 10),
                           "unprovisioned VLAN 10")
    check("does not let clients choose VLAN 10" in err, "VLAN error: " + err)
    # web is still up and on VLAN 20.
    check(ping(web, "10.0.0.2"), "web lost peer after the refused attempts")

    # nobody is a port client: no switch or port changes.
    ctl = os.path.join(vswvm.BUILD, "net-backend", "cli", "vswitchctl")
    shared = env.shared_files()
    shutil.copy(ctl, shared)
    os.chmod(os.path.join(shared, "vswitchctl"), 0o755)
    r = env.run_as((NOBODY, users), [os.path.join(shared, "vswitchctl"), "--socket", env.sock,
                                     "port", "set", "lab", "web", "--vlan", "10"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    check(r.returncode == 1, "nobody's port set: rc %d %s" % (r.returncode, r.stderr))
    log("nobody's vswitchctl port set refused: %s" % r.stderr.strip())
    show = env.ctl("port", "show", "lab", "web")
    check(any(ln.split()[:2] == ["vlan:", "20"] for ln in show.splitlines()),
          "web left VLAN 20:\n" + show)


if __name__ == "__main__":
    vswvm.main(test)
