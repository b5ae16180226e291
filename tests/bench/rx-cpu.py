#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""rx-cpu - what a received frame costs the receiving QEMU's main thread, for several QEMUs.

Copyright (C) 2026 The vswitch authors

Guest A sends to guest B over a Private switch (TCP, then UDP with 64-byte
payloads); the figure is the CPU time of B's QEMU main thread, the one
that runs -netdev vswitch's RX handler and the NIC's receive function
(read from /proc/PID/task/PID/stat, so TCG's vCPU threads, which dominate
the process's total, stay out of it): per GiB of TCP payload and per UDP
frame.  With --perf, perf samples that thread during the TCP transfer
(cpu-clock, call graphs) and the time in the RX path (vswitch_rx(), from
the ring to and through the NIC's receive function) is printed per GiB
too, and the part of it in a copy vswitch_rx() makes itself:
the main thread does much else (timers, the monitor, TCG's I/O), and
the RX path alone is what a copy more or less shows in.  Every QEMU given runs once per round, rounds interleave, and the
median over the rounds is printed with the ratio to the first QEMU.  It
was written to show what handing RX ring memory to the NIC without a
bounce copy saves (qemu-patches, "RX straight from the ring").

Under TCG the guests' speed varies from run to run: compare within one
run, as ratios.  Everything runs in a network namespace of its own.

Usage: tests/bench/rx-cpu.py [--device virtio-net-pci] [--rounds 3]
           [--bytes 512M] [--udp-seconds 5] LABEL=QEMU [LABEL=QEMU ...]
(as root; VSWITCH_BUILD_DIR as for the VM tests)
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm"))
import vswvm  # noqa: E402
from vswvm import log  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def main_thread_cpu(pid):
    """CPU seconds (user + system) of the process's main thread."""
    with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After "pid (comm)": state is field 3; utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / TICK


def port_counter(env, port, column):
    """A counter of the port (TX: what the switch sent to it)."""
    row = env.port_row("bench", port)
    if row is None:
        raise vswvm.TestFailure("port %s not in the list:\n%s"
                                % (port, env.ctl("port", "list", "bench")))
    return int(row[column])


PERF_HZ = 4000
# The RX path: the netdev's handler, and the NIC's receive function for
# the samples whose stack perf cannot unwind up to the handler (its 8 KiB
# copy of the stack does not reach past virtio-net's receive function,
# whose frame is over 32 KiB).  In the main thread the NIC's receive
# function runs only from the handler: TCG delivers the guest's kicks,
# which flush what QEMU queued for the NIC, in the vCPU thread.
RX_PATH = {"vswitch_rx", "virtio_net_receive", "virtio_net_receive_rcu",
           "virtio_net_do_receive", "e1000_receive_iov", "e1000e_receive_iov"}


def perf_start(pid, path):
    """Sample thread @pid: cpu-clock (works where hardware counters do
    not), DWARF call graphs (QEMU keeps no frame pointers)."""
    return subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(PERF_HZ),
                             "--call-graph", "dwarf,8192", "-t", str(pid), "-o", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def perf_rx_ms(perf, path):
    """Stop @perf; Return: (ms of samples in the RX path, ms of those in a
    memcpy/memmove that vswitch_rx() calls itself)."""
    perf.send_signal(2)
    perf.wait(60)
    out = subprocess.run(["perf", "script", "-i", path, "-F", "ip,sym"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    rx = bounce = 0
    for sample in out.split("\n\n"):
        # "ADDR SYMBOL" or "ADDR SYMBOL (inlined)", innermost first
        syms = [line.split(None, 1)[1].replace(" (inlined)", "")
                for line in sample.strip().splitlines() if len(line.split(None, 1)) > 1]
        if not RX_PATH.intersection(syms):
            continue
        rx += 1
        # The caller of the innermost memcpy (libc's, and its inlined wrapper).
        copy = [re.match(r"_*mem(cpy|move)", x) is not None for x in syms]
        if True in copy:
            i = copy.index(True)
            while i < len(syms) and copy[i]:
                i += 1
            bounce += i < len(syms) and syms[i] in ("vswitch_rx_frame", "vswitch_rx")
    return rx * 1000 / PERF_HZ, bounce * 1000 / PERF_HZ


def one(qemu, device, nbytes, udp_seconds, perf_dir=None, tag=""):
    """Both measurements with one QEMU binary; a dict of figures or a failure."""
    os.environ["VSWITCH_QEMU"] = qemu
    env = vswvm.Env("rxcpu")
    r = {}
    try:
        env.start_daemon()
        env.ctl("switch", "add", "bench")
        nd = "vswitch,id=n0,switch=bench,sock=%s,port=%s"
        b = env.guest_start("b", nd % (env.sock, "b"), "52:54:00:00:be:02",
                            "vsw.ip=10.0.0.2/24 vsw.role=iperf-server", device=device)
        a = env.guest_start("a", nd % (env.sock, "a"), "52:54:00:00:be:01",
                            "vsw.ip=10.0.0.1/24", device=device)
        a.wait_ready()
        b.expect(r"^VSW-GUEST-SERVING", vswvm.BOOT_TIMEOUT)
        vswvm.wait_for(lambda: a.run("ping -c 1 -W 1 10.0.0.2")[0] == 0, 60, "a ping of b")
        pid = b.proc.pid

        perf = perf_path = None
        if perf_dir:
            perf_path = os.path.join(perf_dir, "%s.data" % tag)
            perf = perf_start(pid, perf_path)
        bytes0, cpu0 = port_counter(env, "b", "TX-BYTES"), main_thread_cpu(pid)
        out = a.must("iperf3 -c 10.0.0.2 -n %s -f m 2>&1 | grep receiver" % nbytes, timeout=600)
        cpu1, bytes1 = main_thread_cpu(pid), port_counter(env, "b", "TX-BYTES")
        gib = (bytes1 - bytes0) / 2**30
        m = re.search(r"([\d.]+) Mbits/sec", out)
        r["tcp_mbps"] = float(m.group(1)) if m else None
        r["ms_per_gib"] = 1000 * (cpu1 - cpu0) / gib
        if perf:
            rx, bounce = perf_rx_ms(perf, perf_path)
            r["rx_ms_per_gib"] = rx / gib
            r["bounce_ms_per_gib"] = bounce / gib

        frames0, cpu0 = port_counter(env, "b", "TX-PKTS"), main_thread_cpu(pid)
        out = a.must("iperf3 -c 10.0.0.2 -u -b 0 -l 64 -t %d -f m 2>&1 | grep receiver"
                     % udp_seconds, timeout=udp_seconds + 60)
        cpu1, frames1 = main_thread_cpu(pid), port_counter(env, "b", "TX-PKTS")
        r["us_per_frame"] = 1e6 * (cpu1 - cpu0) / max(1, frames1 - frames0)
        r["frames"] = frames1 - frames0
    except vswvm.TestFailure as e:
        env.dump_logs()
        r = {"fail": str(e)}
    finally:
        env.cleanup()
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="virtio-net-pci")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bytes", default="512M", help="TCP payload per run (iperf3 -n)")
    ap.add_argument("--udp-seconds", type=int, default=5)
    ap.add_argument("--perf", metavar="DIR",
                    help="also sample the main thread with perf, files in DIR")
    ap.add_argument("qemu", nargs="+", help="LABEL=PATH of a QEMU with -netdev vswitch")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("rx-cpu needs root (network namespaces)")
        return 77
    qemus = [q.split("=", 1) for q in args.qemu]
    res = {label: [] for label, _ in qemus}
    broken = False
    for i in range(max(1, args.rounds)):
        for label, path in qemus:
            r = one(path, args.device, args.bytes, args.udp_seconds, args.perf,
                    "%s-%d" % (label, i + 1))
            log("round %d %s: %s" % (i + 1, label, r))
            broken |= "fail" in r
            res[label].append(r)

    def med(label, key):
        vals = [r[key] for r in res[label] if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    print("\n%s, %s, receiving QEMU's main thread, median of %d rounds"
          % (os.environ.get("VSWITCH_ACCEL", "tcg"), args.device, args.rounds))
    print("(ms/GiB: the thread per GiB of TCP; rx: perf's share of it in the RX path"
          " (vswitch_rx() and the NIC's receive);\n copy: in a memcpy vswitch_rx() calls"
          " itself; us/frame: the thread per 64-byte UDP frame)")
    print("%-10s %8s %9s %6s %8s %6s %8s %9s %6s" % ("qemu", "TCP Mb/s", "ms/GiB", "ratio",
                                                   "rx", "ratio", "copy", "us/frame", "ratio"))
    base = qemus[0][0]

    def col(label, key, fmt):
        v, b = med(label, key), med(base, key)
        return (fmt % v if v is not None else "-",
                "%.2fx" % (v / b) if v is not None and b else "-")

    for label, _ in qemus:
        print("%-10s %8s %9s %6s %8s %6s %8s %9s %6s" % (
            (label, col(label, "tcp_mbps", "%.0f")[0]) + col(label, "ms_per_gib", "%.0f")
            + col(label, "rx_ms_per_gib", "%.0f") + col(label, "bounce_ms_per_gib", "%.0f")[:1]
            + col(label, "us_per_frame", "%.2f")))
        print("%-10s runs: %s" % ("", "  ".join(
            "%.0f/%s/%.2f" % (r["ms_per_gib"], "%.0f" % r["rx_ms_per_gib"]
                              if r.get("rx_ms_per_gib") is not None else "-", r["us_per_frame"])
            for r in res[label] if "fail" not in r)))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
