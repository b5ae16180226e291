#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""libvirt with libvirt-patches/ runs domains with <interface type='vswitch'>.

Copyright (C) 2026 The vswitch authors

What net-backend/docs/libvirt.md section 6 promises, done with a real
libvirtd: the one contrib/build-libvirt.sh builds (with the series), run
from its build directory in a mount namespace of its own, where its
state (/var/local, /usr/local/etc) is a tmpfs, inside the test's network
namespace. Its QEMU is the installed patched QEMU, run as libvirt-qemu;
vswitchctl (installed next to it) is in its PATH, and vswitchd runs on
the system socket with --socket-group vswitch, as in test-libvirt.py.
  - a domain on a switch that does not exist does not start; virsh's
    error is vswitchd's, and nothing stays provisioned;
  - two domains with <interface type='vswitch'> on VLAN 10 boot and ping
    each other; libvirt provisioned their ports DOMAIN.hostnet0 with the
    XML's MAC and VLAN and owner libvirt-qemu; QEMU's -netdev asks for
    no VLAN;
  - update-device moves b to VLAN 20: vswitchd shows it at once, the live
    XML has it, a and b no longer reach each other; back to 10, they do;
  - domifstat (by MAC) matches `vswitchctl --json port show`, turned to
    the guest's side, and domstats names the port;
  - attach-device plugs a second vswitch NIC into a (VLAN 30): its port
    is provisioned and attached, the guest sees the NIC; detach-device
    removes port and provisioning;
  - vswitchd is restarted: the QEMUs attach their ports again, with the
    provisioned VLANs, and a and b ping each other;
  - libvirtd restarts: the domains run on; domifstat and update-device
    work on them;
  - virsh migrate --live moves b to a second host: a second libvirtd
    (its own host UUID and mount namespace, whose /run/vswitch holds a
    second vswitchd's socket) runs c on its switch lab; b's port is
    provisioned there before the migration, unprovisioned on the source
    after it, and b reaches c, not a;
  - destroyed domains leave nothing provisioned.
VSWITCH_LIBVIRT_BUILD names another libvirt build directory (a --dev
tree's). Exit 0 pass, 1 fail, 77 without root.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vswvm  # noqa: E402
from vswvm import TestFailure, check, log  # noqa: E402

# test-libvirt.py: the installation, the stock-libvirt guest and helpers
_spec = importlib.util.spec_from_file_location(
    "test_libvirt", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "test-libvirt.py"))
tl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tl)

SWITCH = "lab"
# The build's prefix is /usr/local: its libvirtd keeps its state under
# /var/local and reads /usr/local/etc/libvirt; both are tmpfs in its
# mount namespace.
STATE_MOUNTS = ("/var/local", "/usr/local/etc")
RUN_DIR = "/var/local/run/libvirt"
LOG_DIR = "/var/local/log/libvirt/qemu"
QEMU_CONF = """user = "libvirt-qemu"
group = "libvirt-qemu"
stdio_handler = "file"
"""


class PatchedLibvirt:
    """libvirtd of contrib/build-libvirt.sh's build, in its own mount
    namespace inside the test's network namespace.  @host names a host:
    its own host UUID (libvirt refuses to migrate to the same host), log
    and console directory; @vswitch_dir, if given, is its /run/vswitch
    (another vswitchd: another host)."""

    def __init__(self, env, build, bindir, libdir, host=1, vswitch_dir=None):
        self.env = env
        self.build = build
        self.bindir = bindir
        self.libdir = libdir
        self.host = host
        self.vswitch_dir = vswitch_dir
        self.name = "libvirtd" if host == 1 else "libvirtd-%d" % host
        self.rundir = os.path.join(env.tmp, "run" if host == 1 else "run-%d" % host)
        self.daemon = None
        self.nsfile = None
        self.mounts = []
        self.domains = []

    def make_ns(self):
        """The mount namespace libvirtd runs in, kept by a bind mount of
        its nsfs file, so that libvirtd can stop and start again in it:
        its state (/var/local, /usr/local/etc) is a tmpfs there; with
        @vswitch_dir, so is /run/vswitch that directory."""
        conf = os.path.join(self.env.tmp, "%s.conf" % self.name)
        with open(conf, "w") as f:
            f.write('host_uuid = "8a2c1c3e-5b4d-4f6a-9e7b-%012d"\n' % self.host)
        qconf = os.path.join(self.env.tmp, "qemu.conf")
        with open(qconf, "w") as f:
            f.write(QEMU_CONF)
        if not os.path.isdir(self.rundir):
            os.mkdir(self.rundir, 0o700)
            pw = tl.pwd.getpwnam(tl.QEMU_USER)
            os.chown(self.rundir, pw.pw_uid, pw.pw_gid)
        # The nsfs bind mount must sit on a mount that does not propagate.
        nsdir = os.path.join(self.env.tmp, "mntns-%d" % self.host)
        os.mkdir(nsdir)
        tl.must(["mount", "--bind", nsdir, nsdir])
        self.mounts.append(nsdir)
        tl.must(["mount", "--make-private", nsdir])
        nsfile = os.path.join(nsdir, "mnt")
        open(nsfile, "w").close()
        script = ["mount -t tmpfs -o mode=0755 vsw-test %s" % d for d in STATE_MOUNTS]
        if self.vswitch_dir:
            script.append("mount --bind %s /run/vswitch" % self.vswitch_dir)
        script += ["mkdir -p /usr/local/etc/libvirt /var/local/run",
                   "cp %s /usr/local/etc/libvirt/qemu.conf" % qconf,
                   "cp %s /usr/local/etc/libvirt/libvirtd.conf" % conf]
        self.mounts.append(nsfile)
        tl.must(["unshare", "--mount=" + nsfile, "--propagation", "private",
                 "sh", "-c", " && ".join(script)])
        self.nsfile = nsfile

    def start(self):
        if not self.nsfile:
            self.make_ns()
        # vswitchctl installed in a DESTDIR finds libvswitch through
        # LD_LIBRARY_PATH, which libvirtd's children inherit.
        denv = dict(os.environ, PATH=self.bindir + ":" + os.environ["PATH"],
                    LD_LIBRARY_PATH=self.libdir,
                    LIBVIRT_LOG_FILTERS="1:qemu 1:util.command 1:security 3:*",
                    LIBVIRT_LOG_OUTPUTS="1:file:%s/%s-debug.txt" % (self.env.tmp,
                                                                  self.name))
        logf = open(os.path.join(self.env.tmp, self.name + ".log"), "a")
        self.daemon = subprocess.Popen(
            ["nsenter", "--mount=" + self.nsfile, "--"] +
            self.env.netns([os.path.join(self.build, "run"),
                            os.path.join(self.build, "src", "libvirtd")]),
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=denv)
        logf.close()
        vswvm.wait_for(lambda: os.path.exists(self.path(RUN_DIR + "/libvirt-sock"))
                       or self.daemon.poll() is not None, 60, "%s's socket" % self.name)
        check(self.daemon.poll() is None, "%s exited at start (%s.log)"
              % (self.name, self.name))
        vswvm.wait_for(lambda: self.virsh("version", timeout=30).returncode == 0, 60,
                       "virsh to reach %s" % self.name)

    def stop(self):
        if self.daemon:
            vswvm.terminate(self.daemon, 30)
        self.daemon = None

    def uri(self):
        """A URI of this libvirtd that works from any mount namespace."""
        return "qemu+unix:///system?socket=" + self.path(RUN_DIR + "/libvirt-sock")

    def path(self, p):
        """@p as libvirtd sees it (its mount namespace)."""
        return "/proc/%d/root%s" % (self.daemon.pid, p)

    def virsh(self, *args, timeout=60):
        return tl.run(["nsenter", "--mount=" + self.nsfile, "--",
                       os.path.join(self.build, "run"),
                       os.path.join(self.build, "tools", "virsh"),
                       "-c", "qemu:///system"] + list(args), timeout)

    def must(self, *args, timeout=60):
        r = self.virsh(*args, timeout=timeout)
        if r.returncode != 0:
            raise TestFailure("virsh %s: exit %d:\n%s" % (" ".join(args), r.returncode,
                                                          r.stdout))
        return r.stdout

    def define(self, name, xml):
        path = os.path.join(self.env.tmp, name + ".xml")
        with open(path, "w") as f:
            f.write(xml)
        self.domains.append(name)
        self.must("define", path, timeout=tl.START_TIMEOUT)

    def start_domain(self, name):
        r = self.virsh("start", name, "--paused", timeout=tl.START_TIMEOUT)
        if r.returncode != 0:
            raise TestFailure("virsh start %s:\n%s" % (name, r.stdout))
        g = self.guest(name)
        self.must("resume", name)
        return g

    def guest(self, name):
        """The console of running domain @name."""
        with open(self.path("%s/qemu/%s.pid" % (RUN_DIR, name))) as f:
            pid = int(f.read().strip())
        g = tl.LibvirtGuest(self.env, name, os.path.join(self.rundir, name + ".serial"),
                            pid)
        self.env.guests.append(g)
        return g

    def save_logs(self):
        for name in self.domains:
            src = self.path("%s/%s.log" % (LOG_DIR, name))
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.env.tmp, "%s.%d.qemu.log"
                                              % (name, self.host)))

    def cleanup(self):
        if self.daemon and self.daemon.poll() is None:
            for name in self.domains:
                self.virsh("destroy", name, timeout=60)
            self.save_logs()
        self.stop()
        # Its state was a tmpfs in its mount namespace: gone with it.
        for m in reversed(self.mounts):
            subprocess.run(["umount", m], check=False)
        self.mounts = []


def iface_xml(mac, vlan, switch=SWITCH):
    return """    <interface type='vswitch'>
      <mac address='%s'/>
      <source switch='%s'/>
      <vlan>
        <tag id='%d'/>
      </vlan>
      <model type='virtio'/>
    </interface>
""" % (mac, switch, vlan)


def domain_xml(env, qemu, name, ip, ifaces, rundir=None):
    xml = tl.domain_xml(env, name, "", ip, "", qemu)
    if rundir:
        xml = xml.replace(os.path.join(env.tmp, "run") + "/", rundir + "/")
    # ACPI: a q35 guest sees a NIC hot-plugged into a root port through it.
    xml = xml.replace("  <devices>", "  <features>\n    <acpi/>\n  </features>\n  <devices>")
    return xml.replace("  </devices>", ifaces + "  </devices>")


def has_mac(g, mac):
    return g.run("grep -qx %s /sys/class/net/*/address" % mac)[0] == 0


def provisioned(env):
    """Provisioned ports of the switch: name -> entry."""
    out = json.loads(env.ctl("--json", "port", "provisioned", SWITCH))
    return {p["name"]: p for p in out["ports"]}


def port_json(env, name):
    return json.loads(env.ctl("--json", "port", "show", SWITCH, name))


def reaches(g, ip):
    return g.run("ping -c 1 -W 1 %s" % ip, timeout=30)[0] == 0


def wait_reach(g, ip, want, what, timeout=30):
    vswvm.wait_for(lambda: reaches(g, ip) == want, timeout, what, interval=0.5)


def set_vlan(env, lv, name, mac, vlan):
    """virsh update-device --live: domain @name's NIC @mac to @vlan; vswitchd
    and the live XML have it at once."""
    dev = os.path.join(env.tmp, "%s-vlan%d.xml" % (name, vlan))
    with open(dev, "w") as f:
        f.write(iface_xml(mac, vlan))
    lv.must("update-device", name, dev, "--live")
    check(port_json(env, "%s.hostnet0" % name)["vlan"] == vlan,
          "vswitchd has not moved %s's port to VLAN %d" % (name, vlan))
    check("<tag id='%d'/>" % vlan in lv.must("dumpxml", name),
          "%s's live XML does not show VLAN %d" % (name, vlan))


def check_stats(env, lv, name, mac):
    """domifstat by MAC against vswitchctl before and after it; Return:
    the domifstat figures."""
    before = port_json(env, "%s.hostnet0" % name)
    out = lv.must("domifstat", name, mac)
    after = port_json(env, "%s.hostnet0" % name)
    stats = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3:
            stats[f[1]] = int(f[2])
    log("domifstat %s %s: %s" % (name, mac, stats))
    # The guest's side: what the switch delivered the guest received.
    pairs = {"rx_bytes": "tx-bytes", "rx_packets": "tx-packets",
             "tx_bytes": "rx-bytes", "tx_packets": "rx-packets"}
    for mine, theirs in pairs.items():
        check(mine in stats, "domifstat has no %s:\n%s" % (mine, out))
        check(before[theirs] <= stats[mine] <= after[theirs],
              "domifstat %s %d, vswitchd's %s %d..%d" % (mine, stats[mine], theirs,
                                                         before[theirs], after[theirs]))
    check(stats["rx_packets"] > 0 and stats["tx_packets"] > 0, "no traffic counted")
    ring_full = [before["drops"]["ring-full"], after["drops"]["ring-full"]]
    others = [sum(v for k, v in p["drops"].items() if k != "ring-full")
              for p in (before, after)]
    check(ring_full[0] <= stats.get("rx_drop", -1) <= ring_full[1],
          "rx_drop %s, ring-full %s" % (stats.get("rx_drop"), ring_full))
    check(others[0] <= stats.get("tx_drop", -1) <= others[1],
          "tx_drop %s, other drops %s" % (stats.get("tx_drop"), others))
    check("rx_errs" not in stats and "tx_errs" not in stats,
          "domifstat shows error counters vswitchd does not have")
    return stats


def test(env):
    os.environ.pop("LD_LIBRARY_PATH", None)
    for prog in ("nsenter", "unshare", "patchelf"):
        check(shutil.which(prog), "%s is missing (contrib/install-deps.sh)" % prog)
    check(not vswvm.connects(tl.SYSTEM_SOCK),
          "a vswitchd answers on %s: the test runs its own there; stop it first"
          % tl.SYSTEM_SOCK)
    build = os.environ.get("VSWITCH_LIBVIRT_BUILD") or \
        vswvm._last_line([os.path.join(vswvm.REPO, "contrib", "build-libvirt.sh")])
    check(os.path.exists(os.path.join(build, "src", "libvirtd")),
          "build-libvirt.sh printed %s, which has no src/libvirtd" % build)
    qemu, libdir, root = tl.install(env)
    bindir = os.path.dirname(qemu)
    check(os.access(os.path.join(bindir, "vswitchctl"), os.X_OK),
          "no installed vswitchctl next to %s" % qemu)
    lv = PatchedLibvirt(env, build, bindir, libdir)
    groups = tl.Libvirt(env)     # the socket's group, undone at the end
    try:
        run_test(env, lv, groups, qemu)
    finally:
        lv.cleanup()
        groups.cleanup()


def run_test(env, lv, groups, qemu):
    files = os.path.join(env.tmp, "files")
    os.mkdir(files)
    for f in (env.kernel, os.path.join(env.guest, "initrd.img")):
        shutil.copy(f, files)
        os.chmod(os.path.join(files, os.path.basename(f)), 0o644)
    os.chmod(files, 0o755)
    pw = tl.pwd.getpwnam(tl.QEMU_USER)

    # vswitchd on the system socket, libvirt-qemu in its socket's group.
    try:
        group = tl.grp.getgrnam(tl.GROUP)
    except KeyError:
        tl.must(["groupadd", "--system", tl.GROUP])
        groups.group_created = True
        group = tl.grp.getgrnam(tl.GROUP)
    if tl.QEMU_USER not in group.gr_mem:
        tl.must(["gpasswd", "-a", tl.QEMU_USER, tl.GROUP])
        groups.member_added = True
    groups.run_dir_created = not os.path.exists(os.path.dirname(tl.SYSTEM_SOCK))
    env.sock = tl.SYSTEM_SOCK
    env.start_daemon(["--socket-group", tl.GROUP])
    env.ctl("switch", "add", SWITCH)

    lv.start()
    log("patched libvirtd up (%s) in namespace %s" % (lv.build, env.ns))

    pid = str(os.getpid())
    names = {k: "vswnat-%s-%s" % (k, pid) for k in "abx"}
    macs = {"a": "52:54:00:00:12:01", "b": "52:54:00:00:12:02",
            "x": "52:54:00:00:12:09", "a2": "52:54:00:00:12:11"}
    ips = {"a": "10.0.0.1", "b": "10.0.0.2", "x": "10.0.0.9"}
    for k in "ab":
        lv.define(names[k], domain_xml(env, qemu, names[k], ips[k],
                                       iface_xml(macs[k], 10)))
    lv.define(names["x"], domain_xml(env, qemu, names["x"], ips["x"],
                                     iface_xml(macs["x"], 10, switch="nosuch")))

    # A switch that does not exist: vswitchd's refusal, nothing left.
    r = lv.virsh("start", names["x"], timeout=tl.START_TIMEOUT)
    log("virsh start on switch nosuch: exit %d:\n%s" % (r.returncode, r.stdout.strip()))
    check(r.returncode != 0, "a domain started on a switch that does not exist")
    check("nosuch" in r.stdout and "vswitch" in r.stdout,
          "virsh's error does not name the switch")
    check(lv.virsh("domstate", names["x"]).stdout.strip().startswith("shut off"),
          "domain x is not shut off")
    check(provisioned(env) == {}, "provisioned after a failed start: %s" % provisioned(env))

    start = time.monotonic()
    guests = {k: lv.start_domain(names[k]) for k in "ab"}
    for g in guests.values():
        g.wait_ready()
    log("2 domains up in %.1fs" % (time.monotonic() - start))
    a, b = guests["a"], guests["b"]

    prov = provisioned(env)
    for k in "ab":
        port = "%s.hostnet0" % names[k]
        p = prov.get(port)
        check(p and p["vlan"] == 10 and p["macs"] == [macs[k]] and
              p.get("owner-user") == pw.pw_uid,
              "port %s is not provisioned as the XML says: %s" % (port, p))
        live = port_json(env, port)
        check(live["vlan"] == 10 and live["provisioned"] and
              live["client-uid"] == pw.pw_uid,
              "port %s: %s" % (port, live))
        with open("/proc/%d/cmdline" % guests[k].proc.pid, "rb") as f:
            netdev = [x for x in f.read().split(b"\0") if b'"vswitch"' in x]
        check(len(netdev) == 1 and b'"port":"%s"' % port.encode() in netdev[0] and
              b'"vlan"' not in netdev[0], "%s's -netdev: %s" % (k, netdev))
    log("ports provisioned by libvirt: " + ", ".join(sorted(prov)))

    check(reaches(a, ips["b"]) and reaches(b, ips["a"]), "a and b do not ping each other")
    log("a <-> b: ping ok with <interface type='vswitch'>")

    # A live VLAN change.
    set_vlan(env, lv, names["b"], macs["b"], 20)
    wait_reach(a, ips["b"], False, "a to lose b on another VLAN")
    set_vlan(env, lv, names["b"], macs["b"], 10)
    wait_reach(a, ips["b"], True, "a to reach b on VLAN 10 again")
    log("update-device: b to VLAN 20 (unreachable) and back to 10 (reachable)")

    stats = check_stats(env, lv, names["a"], macs["a"])
    out = lv.must("domstats", names["a"], "--interface")
    check("net.0.name=%s.hostnet0" % names["a"] in out and
          "net.0.rx.pkts=" in out, "domstats of a:\n%s" % out)

    # Hot-plug and unplug.
    dev = os.path.join(env.tmp, "a2.xml")
    with open(dev, "w") as f:
        f.write(iface_xml(macs["a2"], 30))
    check(not has_mac(a, macs["a2"]), "a has the NIC before it is plugged")
    lv.must("attach-device", names["a"], dev, "--live")
    port2 = "%s.hostnet1" % names["a"]
    vswvm.wait_for(lambda: env.port_row(SWITCH, port2), 30, "the hot-plugged port to attach")
    check(port_json(env, port2)["vlan"] == 30 and provisioned(env)[port2]["vlan"] == 30,
          "the hot-plugged port is not on VLAN 30")
    vswvm.wait_for(lambda: has_mac(a, macs["a2"]), 30, "the guest to see the new NIC",
                   interval=0.5)
    lv.must("detach-device", names["a"], dev, "--live")
    vswvm.wait_for(lambda: not env.port_row(SWITCH, port2), 60, "the unplugged port to go")
    check(not has_mac(a, macs["a2"]), "a still has the unplugged NIC")
    check(port2 not in provisioned(env), "the unplugged port stays provisioned")
    log("attach-device/detach-device: port %s provisioned, attached, then gone" % port2)

    # vswitchd restarts: the provisioned ports come back with their VLANs.
    env.stop_daemon()
    env.start_daemon(["--socket-group", tl.GROUP])
    for k in "ab":
        port = "%s.hostnet0" % names[k]
        vswvm.wait_for(lambda: env.port_row(SWITCH, port), 60,
                       "QEMU %s to attach its port again" % k, interval=0.5)
        check(port_json(env, port)["vlan"] == 10, "%s's port lost its VLAN" % k)
    wait_reach(a, ips["b"], True, "a to reach b after vswitchd restarted")
    check(reaches(b, ips["a"]), "b cannot reach a after vswitchd restarted")
    log("vswitchd restarted: ports back on VLAN 10, a <-> b ping ok")

    # libvirtd restarts: the domains run on, and libvirt still owns their
    # ports (counters, VLAN, and the unprovisioning at the end).
    lv.stop()
    check(a.proc.poll() is None and b.proc.poll() is None, "a QEMU died with libvirtd")
    lv.start()
    for k in "ab":
        check(lv.must("domstate", names[k]).strip() == "running",
              "%s is not running after libvirtd restarted" % k)
    check_stats(env, lv, names["a"], macs["a"])
    set_vlan(env, lv, names["a"], macs["a"], 20)
    log("libvirtd restarted: domains running, domifstat and update-device work")

    migrate(env, lv, qemu, names, macs, ips, b)

    lv.must("destroy", names["a"])
    check(provisioned(env) == {}, "destroyed domains left %s" % provisioned(env))
    log("destroyed: nothing provisioned (domifstat of a had rx %d tx %d packets)"
        % (stats["rx_packets"], stats["tx_packets"]))


def migrate(env, lv, qemu, names, macs, ips, b):
    """virsh migrate b to another host: a second vswitchd (its socket is
    /run/vswitch/vswitchd.sock in the second libvirtd's mount namespace)
    with switch lab and domain c on VLAN 10; no link between the hosts."""
    h2dir = os.path.join(env.tmp, "host2")
    os.mkdir(h2dir, 0o755)
    sock2 = os.path.join(h2dir, "vswitchd.sock")
    logf = open(os.path.join(env.tmp, "vswitchd-2.log"), "w")
    vsw2 = subprocess.Popen(env.netns([vswvm.VSWITCHD, "--socket", sock2, "--state-dir",
                                       os.path.join(env.tmp, "state-2"),
                                       "--socket-group", tl.GROUP]),
                            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
    logf.close()
    lv2 = PatchedLibvirt(env, lv.build, lv.bindir, lv.libdir, host=2, vswitch_dir=h2dir)
    try:
        vswvm.wait_for(lambda: vswvm.connects(sock2), 10, "the second vswitchd's socket")

        def ctl2(*args):
            return vswvm.ctl(sock2, *args)
        ctl2("switch", "add", SWITCH)
        lv2.start()
        c_name = names["b"].replace("-b-", "-c-")
        lv2.define(c_name, domain_xml(env, qemu, c_name, "10.0.0.3",
                                      iface_xml("52:54:00:00:12:03", 10), lv2.rundir))
        c = lv2.start_domain(c_name)
        c.wait_ready()

        # The destination's console is another path on the same machine.
        xml = lv.must("dumpxml", "--migratable", names["b"])
        xml = xml.replace(os.path.join(lv.rundir, names["b"] + ".serial"),
                          os.path.join(lv2.rundir, names["b"] + ".serial"))
        dest = os.path.join(env.tmp, "b-dest.xml")
        with open(dest, "w") as f:
            f.write(xml)
        b.kill()
        start = time.monotonic()
        lv.must("migrate", "--live", "--xml", dest, names["b"], lv2.uri(),
                "tcp://127.0.0.1", timeout=300)
        log("virsh migrate --live b to the second host: %.1fs" % (time.monotonic() - start))
        lv2.domains.append(names["b"])
        check(lv.virsh("domstate", names["b"]).stdout.strip().startswith("shut off"),
              "b still runs on the source")
        port = "%s.hostnet0" % names["b"]
        check(port not in provisioned(env),
              "the source's vswitchd keeps b's provisioning")
        prov2 = json.loads(ctl2("--json", "port", "provisioned", SWITCH))["ports"]
        check([(p["name"], p["vlan"], p["macs"]) for p in prov2 if p["name"] == port] ==
              [(port, 10, [macs["b"]])], "b is not provisioned on the destination: %s"
              % prov2)
        b2 = lv2.guest(names["b"])
        vswvm.wait_for(lambda: reaches(b2, "10.0.0.3"), 30,
                       "b to reach c on the destination", interval=0.5)
        check(not reaches(b2, ips["a"]), "b reached a, on the source's switch")
        live = json.loads(ctl2("--json", "port", "show", SWITCH, port))
        check(live["vlan"] == 10 and live["provisioned"], "b's port there: %s" % live)
        log("b on the second host: provisioned there, gone from the source, reaches c")
    finally:
        lv2.cleanup()
        vswvm.terminate(vsw2)


if __name__ == "__main__":
    vswvm.main(test)
