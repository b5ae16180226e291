#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real guests on an External and an Internal switch.

Copyright (C) 2026 The vswitch authors

The test's namespace is the host.  A veth pair stands in for the NIC:
nic0 in the host namespace, lan0 in a LAN namespace of its own.  The LAN
has stations untagged (192.168.77.1/24) and on VLAN 10 (192.168.10.1/24),
with a web server.  (This kernel has no 802.1Q devices, so the LAN's
trunk is another vswitchd: a dedicated External switch on lan0 with two
vsw-tap ports, untagged and VLAN 10.)  Switches of the host:
  ext  External, dedicated, bound to nic0
  int  Internal: host adapter vsw-int, 10.9.0.1/24 on the host
Guests:
  g1   on ext, untagged, 192.168.77.10: pings the LAN and fetches a file
       from it (content checked), and does not reach VLAN 10
  g2   on ext, VLAN 10, 192.168.10.10: reaches the LAN's VLAN 10 only
       (the NIC is a trunk: its frames leave tagged 10)
  g3   on int, 10.9.0.2, its NIC given with -nic (port g3.nic0): pings
       the host through the host adapter and fetches a file from the host
       (content checked)
Then the NIC is unbound: it gets its address back and the host reaches the
LAN through it again.
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
ND = "vswitch,id=n0,switch=%s,sock=%s,port=%s,vlan=%d"


def sh(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def ping(g, addr, count=2):
    return g.run("ping -c %d -W 2 %s" % (count, addr), timeout=30)[0] == 0


def fetch(g, url, want):
    out = g.must("wget -q -O - %s | sha256sum" % url, timeout=120)
    check(want in out, "%s arrived damaged or not at all: %s" % (url, out.strip()))


def test(env):
    lan = "vswlan-%d" % os.getpid()
    www = os.path.join(env.tmp, "www")
    os.mkdir(www)
    blob = os.urandom(512 * 1024)
    with open(os.path.join(www, "blob.bin"), "wb") as f:
        f.write(blob)
    want = hashlib.sha256(blob).hexdigest()

    sh(["ip", "netns", "add", lan])
    try:
        sh(["ip", "-n", env.ns, "link", "add", "nic0", "type", "veth", "peer", "name", "lan0",
            "netns", lan])
        sh(["ip", "-n", env.ns, "addr", "add", "192.168.77.2/24", "dev", "nic0"])
        sh(["ip", "-n", env.ns, "link", "set", "nic0", "up"])
        sh(["ip", "-n", lan, "link", "set", "lo", "up"])
        sh(["ip", "-n", lan, "link", "set", "lan0", "up"])
        lan_sock = os.path.join(env.tmp, "lan.sock")
        lan_log = open(os.path.join(env.tmp, "lan-vswitchd.log"), "w")
        env.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", lan, vswvm.VSWITCHD, "--socket", lan_sock,
             "--state-dir", os.path.join(env.tmp, "lan-state")],
            stdout=lan_log, stderr=lan_log, stdin=subprocess.DEVNULL))
        vswvm.wait_for(lambda: vswvm.connects(lan_sock), 10, "the LAN's vswitchd")
        lanctl = [vswvm.VSWITCHCTL, "--socket", lan_sock]
        sh(lanctl + ["switch", "add", "wire", "--nic", "lan0", "--dedicated"])
        tap = os.path.join(vswvm.BUILD, "tests", "vsw-tap")
        for name, vlan, addr in (("lanu", 0, "192.168.77.1/24"),
                                 ("lan10", 10, "192.168.10.1/24")):
            ready = os.path.join(env.tmp, name + ".ready")
            env.procs.append(subprocess.Popen(
                ["ip", "netns", "exec", lan, tap, "--socket", lan_sock, "--switch", "wire",
                 "--tap", name, "--port", name, "--vlan", str(vlan), "--offload",
                 "--ready-file", ready], stdout=lan_log, stderr=lan_log))
            vswvm.wait_for(lambda: os.path.exists(ready), 10, "vsw-tap " + name)
            sh(["ip", "-n", lan, "addr", "add", addr, "dev", name])
            sh(["ip", "-n", lan, "link", "set", name, "up"])
        lan_log.close()
        env.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", lan, "python3", "-m", "http.server", str(HTTP_PORT),
             "--directory", www], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        env.start_daemon()
        before = json.loads(subprocess.run(
            env.netns(["ip", "-j", "addr", "show", "dev", "nic0"]),
            stdout=subprocess.PIPE, check=True).stdout)
        env.ctl("switch", "add", "ext", "--nic", "nic0", "--dedicated")
        env.ctl("switch", "add", "int", "--type", "internal")
        sh(env.netns(["ip", "addr", "add", "10.9.0.1/24", "dev", "vsw-int"]))
        env.spawn(["python3", "-m", "http.server", str(HTTP_PORT), "--bind", "10.9.0.1",
                   "--directory", www], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log(env.ctl("switch", "list"))

        g1 = env.guest_start("g1", ND % ("ext", env.sock, "g1", 0), "52:54:00:00:e0:01",
                             "vsw.ip=192.168.77.10/24")
        g2 = env.guest_start("g2", ND % ("ext", env.sock, "g2", 10), "52:54:00:00:e0:02",
                             "vsw.ip=192.168.10.10/24")
        # g3's NIC as QEMU's documentation recommends: -nic (its netdev id
        # was made up by QEMU, its port is g3.nic0).
        g3 = env.guest_start("g3", "vswitch,switch=int,sock=%s" % env.sock,
                             "52:54:00:00:e0:03", "vsw.ip=10.9.0.2/24", nic=True)
        for g in (g1, g2, g3):
            g.wait_ready()

        check(ping(g1, "192.168.77.1"), "g1 (External) cannot ping the LAN")
        fetch(g1, "http://192.168.77.1:%d/blob.bin" % HTTP_PORT, want)
        log("g1 on the External switch fetched 512 KiB from the LAN, sha256 ok")
        check(not ping(g1, "192.168.10.1", 1), "g1 (untagged) reached the LAN's VLAN 10")
        check(ping(g2, "192.168.10.1"), "g2 (VLAN 10) cannot ping the LAN's VLAN 10")
        fetch(g2, "http://192.168.10.1:%d/blob.bin" % HTTP_PORT, want)
        log("g2 on VLAN 10 reached the LAN's VLAN 10 through the trunk, sha256 ok")
        check(ping(g3, "10.9.0.1"), "g3 (Internal) cannot ping the host adapter")
        fetch(g3, "http://10.9.0.1:%d/blob.bin" % HTTP_PORT, want)
        log("g3 on the Internal switch fetched 512 KiB from the host, sha256 ok")
        ports = env.ctl("port", "list", "int")
        check(" g3.nic0 " in ports, "g3's -nic port is not g3.nic0:\n" + ports)
        log("g3's NIC, given with -nic, is port g3.nic0")
        log(env.ctl("port", "list", "ext"))
        log(subprocess.run(lanctl + ["port", "list", "wire"], stdout=subprocess.PIPE,
                           text=True).stdout)

        # The host lost nic0's address while it was dedicated; unbound, it is back.
        env.ctl("switch", "set", "ext", "--no-nic")
        after = json.loads(subprocess.run(
            env.netns(["ip", "-j", "addr", "show", "dev", "nic0"]),
            stdout=subprocess.PIPE, check=True).stdout)
        addrs = [a["local"] for a in after[0]["addr_info"] if a["family"] == "inet"]
        check(addrs == [a["local"] for a in before[0]["addr_info"] if a["family"] == "inet"],
              "nic0 did not get its addresses back: %s" % addrs)
        r = subprocess.run(env.netns(["ping", "-c", "1", "-W", "2", "192.168.77.1"]),
                           stdout=subprocess.DEVNULL)
        check(r.returncode == 0, "the host cannot reach the LAN after unbinding")
        log("nic0 unbound: its address is back and the host reaches the LAN")
    finally:
        subprocess.run(["ip", "netns", "del", lan], check=False)


if __name__ == "__main__":
    vswvm.main(test)
