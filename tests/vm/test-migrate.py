#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Live migration on one host: the port follows the guest, with its VLAN and counters.

Copyright (C) 2026 The vswitch authors

Two guests on switch "lab" (started on VLAN 10, moved by an
administrator to VLAN 30 at run time): a 10.0.0.1, b 10.0.0.2.  While a
pings b every 10 ms, b is migrated to a second QEMU on the same host
(-incoming, the same command line, VLAN 10 on it).  Checks: the
destination attaches as the incoming instance of port b (no "name
taken"); after the switchover it has the port, on VLAN 30, with b's
counters going on from where they were; a lost at most a handful of
pings; the source QEMU shows the port moved and never reattaches; b
(now on the destination) reaches a.  a is saved to a file and resumed:
a QEMU loading that file later does not get a's port (the token was
withdrawn when a ran again).  Then b migrates to a QEMU on
another vswitchd, in another namespace ("another host"), whose switch
has c on VLAN 30: with a command line that says VLAN 10, b keeps VLAN
30, which came in the migration stream, and reaches c.  design.md "Live
migration".
Exit 0 pass, 1 fail, 77 without root.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vswvm  # noqa: E402
from vswvm import check, log  # noqa: E402

NETDEV = "vswitch,id=n0,switch=lab,sock=%s,port=%s,vlan=10"
PINGS = 1000            # 10 s at 10 ms
MAX_LOST = 50           # 0.5 s of pings: switchover and announcements


def port_row(env, name):
    """The port's row of switch lab, or None."""
    return env.port_row("lab", name)


def migration_status(g):
    return g.qmp_cmd("query-migrate").get("status")


def test(env):
    env.start_daemon()
    env.ctl("switch", "add", "lab")
    a = env.guest_start("a", NETDEV % (env.sock, "a"), "52:54:00:00:30:01",
                        "vsw.ip=10.0.0.1/24")
    b = env.guest_start("b", NETDEV % (env.sock, "b"), "52:54:00:00:30:02",
                        "vsw.ip=10.0.0.2/24")
    a.wait_ready()
    b.wait_ready()
    # An administrator's change at run time, which the command lines do not know.
    env.ctl("port", "set", "lab", "a", "--vlan", "30")
    env.ctl("port", "set", "lab", "b", "--vlan", "30")
    a.must("ping -c 3 -W 2 10.0.0.2")
    before = port_row(env, "b")
    log("port b before: %s" % before)

    # The destination: the same guest, the same port, VLAN 10 as the
    # command line says; it waits for the stream.
    mig = os.path.join(env.tmp, "mig.sock")
    b2 = env.guest_start("b2", NETDEV % (env.sock, "b"), "52:54:00:00:30:02",
                         "vsw.ip=10.0.0.2/24", extra=["-incoming", "unix:" + mig])
    vswvm.wait_for(lambda: os.path.exists(mig), 30, "the destination's migration socket")
    info = b2.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check("port=b," in info and ",incoming" in info,
          "destination's port is not incoming:\n" + info)
    log("destination attached as the incoming instance: %s"
        % info.strip().splitlines()[-1].strip())
    check(port_row(env, "b")["MAC"] == "52:54:00:00:30:02", "port b changed before the switchover")

    # a pings b every 10 ms while b moves.
    a.must("ping -c %d -i 0.01 -W 1 10.0.0.2 > /tmp/ping.log 2>&1 & true" % PINGS)
    time.sleep(2)
    b.qmp_cmd("migrate", uri="unix:" + mig)
    vswvm.wait_for(lambda: migration_status(b) in ("completed", "failed", "cancelled"),
                   120, "the migration to end")
    check(migration_status(b) == "completed", "migration %s" % migration_status(b))
    vswvm.wait_for(lambda: b2.qmp_cmd("query-status")["status"] == "running", 30,
                   "the destination to run")
    vswvm.wait_for(lambda: ",incoming" not in b2.qmp_cmd(
        "human-monitor-command", **{"command-line": "info network"}), 10,
        "the destination to take the port over")
    log("migrated; the destination has the port")

    # The ping ends by itself; count what came back.
    vswvm.wait_for(lambda: "packet loss" in a.run("tail -n 2 /tmp/ping.log")[1], 60,
                   "a's ping to finish", interval=1)
    out = a.must("tail -n 3 /tmp/ping.log")
    m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", out)
    check(m is not None, "no ping summary:\n" + out)
    sent, got = int(m.group(1)), int(m.group(2))
    log("a -> b during the migration: %d sent, %d received, %d lost" % (sent, got, sent - got))
    check(sent - got <= MAX_LOST, "%d pings lost (at most %d)" % (sent - got, MAX_LOST))

    after = port_row(env, "b")
    log("port b after: %s" % after)
    check(after is not None and after["VLAN"] == "30", "port b not on VLAN 30: %s" % after)
    check(int(after["RX-PKTS"]) > int(before["RX-PKTS"]) and
          int(after["TX-PKTS"]) > int(before["TX-PKTS"]),
          "counters did not go on: %s -> %s" % (before, after))
    info = b2.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check("port=b,vlan=30\r" in info or "port=b,vlan=30\n" in info,
          "destination's info network:\n" + info)
    src = b.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check(",moved" in src, "source's info network:\n" + src)
    ev = b.qmp_event("NETDEV_VSWITCH_DISCONNECTED", 10, **{"netdev-id": "n0"})
    check("migration destination" in ev.get("error", ""), "source's event: %s" % ev)

    # The guest, on the destination, reaches a; the source stays away.
    b2.must("ping -c 3 -W 2 10.0.0.1")
    time.sleep(2.5)
    check(port_row(env, "b")["PORT"] == "b", "port b gone")
    for g in (b, b2):
        log_text = g.qemu_log()
        check("name taken" not in log_text and "already has a port" not in log_text,
              "%s's log: %s" % (g.name, log_text))
    log("b on the destination reaches a; the source did not reattach")

    # A migration that completes but is not followed by the destination:
    # a is saved to a file and resumed.  The file carries a's token; a
    # QEMU that loads it later attaches as the incoming instance of port
    # a, but the token was withdrawn when a ran again: a keeps its port.
    saved = os.path.join(env.tmp, "a.state")
    a.qmp_cmd("migrate", uri="file:" + saved)
    vswvm.wait_for(lambda: migration_status(a) in ("completed", "failed", "cancelled"),
                   120, "the migration to a file to end")
    check(migration_status(a) == "completed", "migration to a file %s" % migration_status(a))
    a.qmp_cmd("cont")
    a.must("ping -c 2 -W 2 10.0.0.2")
    a2 = env.guest_start("a2", NETDEV % (env.sock, "a"), "52:54:00:00:30:01",
                         "vsw.ip=10.0.0.1/24", extra=["-incoming", "file:" + saved])
    vswvm.wait_for(lambda: a2.qmp_cmd("query-status")["status"] == "running", 60,
                   "the QEMU that loaded the file to run")
    vswvm.wait_for(lambda: "refuses to move port" in a2.qemu_log(), 10,
                   "the switch to refuse the spent token")
    info = a2.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check(",incoming" in info, "the QEMU that loaded the file took port a:\n" + info)
    src = a.qmp_cmd("human-monitor-command", **{"command-line": "info network"})
    check(",moved" not in src, "a lost its port:\n" + src)
    a.must("ping -c 2 -W 2 10.0.0.2")
    a2.kill()
    log("a saved to a file and resumed keeps its port; loading the file later takes nothing")

    # Across hosts: another vswitchd in another namespace, switch "lab"
    # with c on VLAN 30 (set at run time).  b moves there with a command
    # line that says VLAN 10; it keeps the VLAN it had, 30, and reaches c.
    env2 = vswvm.Env("vswvm-x")
    try:
        env2.start_daemon()
        env2.ctl("switch", "add", "lab")
        c = env2.guest_start("c", NETDEV % (env2.sock, "c"), "52:54:00:00:30:03",
                             "vsw.ip=10.0.0.3/24")
        c.wait_ready()
        env2.ctl("port", "set", "lab", "c", "--vlan", "30")
        mig2 = os.path.join(env.tmp, "mig2.sock")
        b3 = env2.guest_start("b3", NETDEV % (env2.sock, "b"), "52:54:00:00:30:02",
                              "vsw.ip=10.0.0.2/24", extra=["-incoming", "unix:" + mig2])
        vswvm.wait_for(lambda: os.path.exists(mig2), 30, "the second destination's socket")
        check(port_row(env2, "b")["VLAN"] == "10",
              "b's port on the other host before the migration: %s" % port_row(env2, "b"))
        b2.qmp_cmd("migrate", uri="unix:" + mig2)
        vswvm.wait_for(lambda: migration_status(b2) in ("completed", "failed", "cancelled"),
                       120, "the migration across hosts to end")
        check(migration_status(b2) == "completed", "migration %s" % migration_status(b2))
        vswvm.wait_for(lambda: port_row(env2, "b") and port_row(env2, "b")["VLAN"] == "30",
                       20, "b's port on the other host to be on VLAN 30")
        log("across hosts: b's port on the other vswitchd is on VLAN 30, as on the source")
        rc, out = b3.run("ping -c 3 -W 2 10.0.0.3", 30)
        check(rc == 0, "b cannot reach c on the other host:\n%s\n%s\n%s" % (
            out, env2.ctl("port", "list", "lab"),
            b3.qmp_cmd("human-monitor-command", **{"command-line": "info network"})))
        check(not b3.run("ping -c 1 -W 1 10.0.0.1", 30)[0] == 0,
              "b reached a, on the other host's switch")
        log("b on the other host reaches c (VLAN 30)")
    finally:
        env2.cleanup()


if __name__ == "__main__":
    vswvm.main(test)
