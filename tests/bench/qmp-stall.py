#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""qmp-stall - how long QEMU's main loop stalls while vswitchd misbehaves.

Copyright (C) 2026 The vswitch authors

A QMP client sends query-status every 10 ms to a QEMU whose virtio-net
NIC is on a vswitch switch, and records every round trip, while vswitchd
  restart   is stopped (SIGTERM) and started again 1.5 s later; QEMU
            reattaches the port;
  hung      is restarted and stopped (SIGSTOP) as soon as its socket
            exists, for 3 s: QEMU's reattachment meets a daemon that
            accepts connections but does not answer;
  slow      is stopped for 2 s around a netdev_add (the attach request
            is answered 2 s late), then the netdev is removed again.
The round trips of each scenario are printed (count, median, 99th
percentile, worst).  The main loop handles QMP, so the worst round trip
is the longest stall; QEMU's own work between two of them takes a few ms.

The machine is a q35 with no boot disk (the firmware idles), so the
figures measure the backend, not a guest.  Give several QEMU binaries to
compare them in one run, e.g. the build before a change and after it:

  tests/bench/qmp-stall.py --qemu before=/path/a --qemu after=/path/b

Everything runs in a network namespace of its own (vswvm.Env); only the
processes started here are signalled, by PID.  Root only.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm"))
import vswvm  # noqa: E402
from vswvm import log  # noqa: E402

PERIOD = 0.010


class Qmp:
    """A minimal QMP client on a Unix socket (events are kept apart)."""

    def __init__(self, path, timeout=30):
        vswvm.wait_for(lambda: vswvm.connects(path), timeout, "QMP socket %s" % path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []
        self.next_id = 0
        self._line()                      # greeting
        self.cmd("qmp_capabilities")

    def _line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise vswvm.TestFailure("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, execute, **args):
        self.next_id += 1
        msg = {"execute": execute, "id": self.next_id}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._line()
            if "event" in r:
                self.events.append(r)
            elif r.get("id") == self.next_id:
                if "error" in r:
                    raise vswvm.TestFailure("%s: %s" % (execute, r["error"]))
                return r["return"]

    def close(self):
        self.sock.close()


def probe(path, out):
    """query-status every PERIOD until SIGTERM; one line "SENT RTT" each."""
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    qmp = Qmp(path)
    with open(out, "w", buffering=1) as f:
        while True:
            t0 = time.monotonic()
            qmp.cmd("query-status")
            rtt = time.monotonic() - t0
            f.write("%.6f %.6f\n" % (t0, rtt))
            time.sleep(max(0.0, PERIOD - rtt))


class Prober:
    """The probe in a process of its own, so that nothing this script does
    (its subprocesses, Python's lock) delays a query: CLOCK_MONOTONIC is
    the same in both, so each round trip falls in its scenario's window."""

    def __init__(self, env, path, out):
        self.out = out
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                                      "--probe", path, out])
        env.procs.append(self.proc)
        vswvm.wait_for(lambda: os.path.exists(out) and os.path.getsize(out) > 0, 20,
                       "the first QMP probe")

    def window(self, t0, t1):
        """Round trips of the queries sent in [t0, t1)."""
        with open(self.out) as f:
            rows = [tuple(map(float, line.split())) for line in f if line.count(" ") == 1]
        return [rtt for sent, rtt in rows if t0 <= sent < t1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def port_up(env, name):
    out = env.ctl("port", "list", "lab", check_rc=False)
    return any(line.split()[1:2] == [name] for line in out.splitlines()[1:])


def scenario_restart(env, ctl):
    env.stop_daemon()
    time.sleep(1.5)
    env.start_daemon()
    vswvm.wait_for(lambda: port_up(env, "stall.n0"), 20, "the port back after a restart",
                   interval=0.05)
    time.sleep(0.5)


def scenario_hung(env, ctl):
    env.stop_daemon()
    time.sleep(0.3)
    env.start_daemon()
    env.daemon.send_signal(signal.SIGSTOP)
    time.sleep(3)
    env.daemon.send_signal(signal.SIGCONT)
    vswvm.wait_for(lambda: port_up(env, "stall.n0"), 20, "the port back after a hang",
                   interval=0.05)
    time.sleep(0.5)


def scenario_slow(env, ctl):
    env.daemon.send_signal(signal.SIGSTOP)
    timer = threading.Timer(2.0, lambda: env.daemon.send_signal(signal.SIGCONT))
    timer.start()
    try:
        ctl.cmd("netdev_add", type="vswitch", id="n1", switch="lab", sock=env.sock,
                port="stall.n1")
    finally:
        timer.join()
    vswvm.wait_for(lambda: port_up(env, "stall.n1"), 20, "the hot-added port",
                   interval=0.05)
    ctl.cmd("netdev_del", id="n1")
    time.sleep(0.5)


SCENARIOS = [("restart", scenario_restart), ("hung", scenario_hung),
             ("slow", scenario_slow)]


def measure(env, label, qemu, rounds):
    """Run every scenario @rounds times on one QEMU; Return: {scenario: [rtt]}."""
    env.ctl("switch", "add", "lab")
    probe_path = os.path.join(env.tmp, "%s-probe.sock" % label)
    ctl_path = os.path.join(env.tmp, "%s-ctl.sock" % label)
    logf = open(os.path.join(env.tmp, "%s-qemu.log" % label), "w")
    proc = subprocess.Popen(env.netns([
        qemu, "-nodefaults", "-machine", "q35", "-accel", "tcg", "-display", "none",
        "-name", "stall", "-m", "128",
        "-qmp", "unix:%s,server=on,wait=off" % probe_path,
        "-qmp", "unix:%s,server=on,wait=off" % ctl_path,
        "-netdev", "vswitch,id=n0,switch=lab,sock=%s" % env.sock,
        "-device", "virtio-net-pci,netdev=n0,romfile="]),
        stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
    logf.close()
    env.procs.append(proc)
    results = {name: [] for name, _ in SCENARIOS}
    try:
        ctl = Qmp(ctl_path)
        prober = Prober(env, probe_path, os.path.join(env.tmp, "%s-probe.txt" % label))
        time.sleep(1)
        for r in range(rounds):
            for name, fn in SCENARIOS:
                t0 = time.monotonic()
                fn(env, ctl)
                t1 = time.monotonic()
                # A query sent just before t1 may still be out: wait for it.
                time.sleep(0.3)
                rtts = prober.window(t0, t1)
                results[name] += rtts
                log("%s round %d %s: %d queries, worst %.1f ms"
                    % (label, r + 1, name, len(rtts), max(rtts) * 1000))
        prober.stop()
        ctl.close()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        env.ctl("switch", "remove", "lab", "--force", check_rc=False)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", action="append", metavar="LABEL=PATH",
                    help="QEMU binary to measure (repeatable; default: the patched QEMU)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of every scenario")
    ap.add_argument("--probe", nargs=2, metavar=("QMP", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        probe(*args.probe)
        return 0
    qemus = []
    for q in args.qemu or []:
        label, _, path = q.partition("=")
        qemus.append((label, path) if path else (os.path.basename(q), q))
    env = vswvm.Env("qmp-stall")
    ok = False
    try:
        if not qemus:
            qemus = [("vswitch", env.qemu)]
        env.start_daemon()
        table = {}
        for label, path in qemus:
            table[label] = measure(env, label, path, args.rounds)
        print()
        print("QMP query-status round trips every %d ms (ms), %d rounds"
              % (PERIOD * 1000, args.rounds))
        print("%-10s %-8s %6s %7s %7s %8s" % ("qemu", "scenario", "n", "median", "p99", "worst"))
        for label, res in table.items():
            for name, _ in SCENARIOS:
                r = sorted(res[name])
                if not r:
                    continue
                print("%-10s %-8s %6d %7.1f %7.1f %8.1f" % (
                    label, name, len(r), statistics.median(r) * 1000,
                    r[min(len(r) - 1, int(len(r) * 0.99))] * 1000, r[-1] * 1000))
        ok = True
    finally:
        env.cleanup(keep_logs=not ok)
    return 0


if __name__ == "__main__":
    sys.exit(main())
