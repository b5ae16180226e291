#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vm-bench - guest-to-guest and guest-to-host throughput, vswitch vs QEMU's own backends.

Copyright (C) 2026 The vswitch authors

Boots pairs of test guests (patched QEMU, virtio-net, TCG unless
VSWITCH_ACCEL says otherwise) inside a network namespace of its own and
measures, for each backend in the same run:
  - TCP throughput guest A -> guest B (iperf3, 1 stream)
  - small-packet UDP rate A -> B (iperf3 -u, 64-byte payloads, unlimited)
Backends: -netdev vswitch (a Private switch), -netdev stream and dgram
(QEMU's socket pairs), two TAPs on a Linux bridge with vhost=off, and
with vhost=on where the kernel has vhost_net.
Then TCP through the Default switch's NAT, guest -> host and host ->
guest (iperf3 -R), against QEMU's own -netdev user, to an iperf3 server
the benchmark starts in its namespace.

Under TCG the figures measure the emulator as much as the network: read
them as ratios within one run.  Prints a table; exit 0 unless a run broke.

Usage: tests/bench/vm-bench.py [--seconds N] [--only NAME,...]   (as root)
"""

import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm"))
import vswvm  # noqa: E402
from vswvm import log  # noqa: E402

MAC_A = "52:54:00:00:be:01"
MAC_B = "52:54:00:00:be:02"


def iperf_tcp(a, addr, seconds, reverse=False):
    out = a.must("iperf3 -c %s -t %d -f m %s2>&1 | grep -E 'sender|receiver'"
                 % (addr, seconds, "-R " if reverse else ""), timeout=seconds + 60)
    m = re.search(r"([\d.]+) Mbits/sec.*receiver", out)
    return float(m.group(1)) / 1000 if m else None


def iperf_udp(a, addr, seconds):
    out = a.must("iperf3 -c %s -u -b 0 -l 64 -t %d -f m 2>&1 | grep -E 'receiver'"
                 % (addr, seconds), timeout=seconds + 60)
    # [  5]   0.00-3.00  sec  ... MBytes  ... Mbits/sec  0.010 ms  lost/total (x%)  receiver
    m = re.search(r"(\d+)/(\d+) \(([\d.e+-]+)%\)\s+receiver", out)
    if not m:
        return None, None
    lost, total = int(m.group(1)), int(m.group(2))
    return (total - lost) / seconds, float(m.group(3))


class Pair:
    """How to join two guests with one backend."""

    def __init__(self, name, netdevs, setup=None, available=None):
        self.name = name
        self.netdevs = netdevs          # fn(env) -> (netdev_a, netdev_b)
        self.setup = setup              # fn(env) before boot
        self.available = available      # fn() -> None or reason


def vswitch_pair(env):
    env.ctl("switch", "add", "bench")
    nd = "vswitch,id=n0,switch=bench,sock=%s,port=%s"
    return nd % (env.sock, "a"), nd % (env.sock, "b")


def stream_pair(env):
    path = os.path.join(env.tmp, "stream.sock")
    return ("stream,id=n0,server=on,addr.type=unix,addr.path=%s" % path,
            "stream,id=n0,server=off,reconnect-ms=200,addr.type=unix,addr.path=%s" % path)


def dgram_pair(env):
    pa, pb = os.path.join(env.tmp, "dg-a.sock"), os.path.join(env.tmp, "dg-b.sock")
    nd = "dgram,id=n0,local.type=unix,local.path=%s,remote.type=unix,remote.path=%s"
    return nd % (pa, pb), nd % (pb, pa)


def bridge_setup(env):
    for cmd in (["ip", "link", "add", "br0", "type", "bridge"],
                ["ip", "link", "set", "br0", "up"],
                ["ip", "tuntap", "add", "tap-a", "mode", "tap", "vnet_hdr"],
                ["ip", "tuntap", "add", "tap-b", "mode", "tap", "vnet_hdr"],
                ["ip", "link", "set", "tap-a", "master", "br0", "up"],
                ["ip", "link", "set", "tap-b", "master", "br0", "up"]):
        subprocess.run(env.netns(cmd), check=True)


def tap_pair(vhost):
    def netdevs(env):
        nd = "tap,id=n0,ifname=%s,script=no,downscript=no,vhost=" + ("on" if vhost else "off")
        return nd % "tap-a", nd % "tap-b"
    return netdevs


def vhost_available():
    if not os.path.exists("/dev/vhost-net"):
        return "n/a: this kernel has no vhost_net (/dev/vhost-net)"
    return None


PAIRS = [
    Pair("vswitch", vswitch_pair),
    Pair("stream", stream_pair),
    Pair("dgram", dgram_pair),
    Pair("tap+bridge vhost=off", tap_pair(False), bridge_setup),
    Pair("tap+bridge vhost=on", tap_pair(True), bridge_setup, vhost_available),
]


DAEMON_ARGS = []
REPEAT = [1]


def median(values):
    """Median of the figures that were measured (None: not measured)."""
    v = sorted(x for x in values if x is not None)
    return v[len(v) // 2] if v else None


def run_pair(p, seconds):
    if p.available and p.available():
        return {"note": p.available()}
    env = vswvm.Env("vswbench")
    try:
        env.start_daemon(DAEMON_ARGS)
        if p.setup:
            p.setup(env)
        nd_a, nd_b = p.netdevs(env)
        b = env.guest_start("b", nd_b, MAC_B, "vsw.ip=10.0.0.2/24 vsw.role=iperf-server")
        a = env.guest_start("a", nd_a, MAC_A, "vsw.ip=10.0.0.1/24")
        a.wait_ready()
        b.expect(r"^VSW-GUEST-SERVING", vswvm.BOOT_TIMEOUT)
        vswvm.wait_for(lambda: a.run("ping -c 1 -W 1 10.0.0.2")[0] == 0, 60, "ping a->b")
        tcps, udps = [], []
        for _ in range(REPEAT[0]):
            tcps.append(iperf_tcp(a, "10.0.0.2", seconds))
            udps.append(iperf_udp(a, "10.0.0.2", seconds))
        res = {"tcp": median(tcps), "pps": median([u[0] for u in udps]),
               "loss": median([u[1] for u in udps]), "tcp-runs": tcps}
        if p.name == "vswitch":
            res["ports"] = env.ctl("port", "list", "bench")
        return res
    except vswvm.TestFailure as e:
        env.dump_logs()
        return {"note": "failed: %s" % e}
    finally:
        env.cleanup()


def run_nat(kind, seconds):
    """Guest -> host and host -> guest TCP through the Default switch (vswitch)
    or -netdev user."""
    env = vswvm.Env("vswbench")
    try:
        env.start_daemon(DAEMON_ARGS)
        if kind == "vswitch":
            # As root the gateway reaches the host's loopback only when told to.
            env.ctl("nat", "set", "host-loopback", "on")
        env.spawn(["iperf3", "-s", "-B", "127.0.0.1"], stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL)
        nd = ("vswitch,id=n0,switch=Default,sock=%s" % env.sock if kind == "vswitch"
              else "user,id=n0")
        a = env.guest_start("a", nd, MAC_A, "vsw.ip=dhcp")
        ip = a.wait_ready()
        time.sleep(0.5)
        tcps = [iperf_tcp(a, "10.0.2.2", seconds) for _ in range(REPEAT[0])]
        downs = [iperf_tcp(a, "10.0.2.2", seconds, reverse=True) for _ in range(REPEAT[0])]
        return {"tcp": median(tcps), "down": median(downs), "ip": ip, "tcp-runs": tcps,
                "down-runs": downs}
    except vswvm.TestFailure as e:
        env.dump_logs()
        return {"note": "failed: %s" % e}
    finally:
        env.cleanup()


def fmt(v, spec):
    return "-" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure each backend this many times, report the median")
    ap.add_argument("--vswitchd-arg", action="append", default=[],
                    help="extra vswitchd option, e.g. --vswitchd-arg=--poll-us=10")
    args = ap.parse_args()
    DAEMON_ARGS.extend(args.vswitchd_arg)
    REPEAT[0] = max(1, args.repeat)
    only = set(filter(None, args.only.split(",")))
    if os.geteuid() != 0:
        print("vm-bench needs root (network namespaces, TAP devices)")
        return 77
    results = {}
    broken = False
    for p in PAIRS:
        if only and p.name.split()[0] not in only:
            continue
        log("guest-to-guest over %s" % p.name)
        results[p.name] = run_pair(p, args.seconds)
        broken |= results[p.name].get("note", "").startswith("failed")
        log("%s: %s" % (p.name, {k: v for k, v in results[p.name].items() if k != "ports"}))
    nat = {}
    if not only or "nat" in only:
        for kind in ("vswitch", "user"):
            log("guest-to-host through %s" % kind)
            nat[kind] = run_nat(kind, args.seconds)
            broken |= nat[kind].get("note", "").startswith("failed")

    accel = os.environ.get("VSWITCH_ACCEL", "tcg")
    print("\n%s, virtio-net, 1 vCPU per guest, median of %d x %d s"
          % (accel, REPEAT[0], args.seconds))
    base = results.get("vswitch", {})
    if results:
        print("\nGuest to guest")
        print("%-22s %10s %8s %12s %8s %8s" % ("backend", "TCP Gb/s", "vs/this", "UDP64 pps",
                                              "loss %", "vs/this"))
    for name, r in results.items():
        if "note" in r:
            print("%-22s %s" % (name, r["note"]))
            continue
        rt = base.get("tcp") / r["tcp"] if base.get("tcp") and r.get("tcp") else None
        rp = base.get("pps") / r["pps"] if base.get("pps") and r.get("pps") else None
        print("%-22s %10s %8s %12s %8s %8s" % (
            name, fmt(r.get("tcp"), "%.2f"), fmt(rt, "%.2fx"), fmt(r.get("pps"), "%.0f"),
            fmt(r.get("loss"), "%.1f"), fmt(rp, "%.2fx")))
    if nat:
        print("\nThrough the NAT (iperf3 to 10.0.2.2, the NAT's host address; -R: host to guest)")
        print("%-22s %14s %14s" % ("backend", "guest->host", "host->guest"))
        v, u = nat.get("vswitch", {}), nat.get("user", {})
        for name, r in (("vswitch Default NAT", v), ("-netdev user", u)):
            print("%-22s %s" % (name, r.get("note") or "%9.2f Gb/s %9s Gb/s"
                                % (r["tcp"], fmt(r.get("down"), "%.2f"))))
        if v.get("tcp") and u.get("tcp"):
            print("%-22s %13.2fx %13s" % ("ratio vswitch/user", v["tcp"] / u["tcp"],
                  fmt(v["down"] / u["down"] if v.get("down") and u.get("down") else None,
                      "%.2fx")))
    if base.get("ports"):
        print("\nvswitch port counters after the guest-to-guest run:\n" + base["ports"])
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
