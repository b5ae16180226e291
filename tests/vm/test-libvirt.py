#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stock libvirt runs two domains on a Private switch; they ping each other.

Copyright (C) 2026 The vswitch authors

What net-backend/docs/libvirt.md tells an administrator to do, done for
real with Debian's libvirtd (contrib/install-deps.sh installs it):
  - the project and the patched QEMU are installed into one prefix (under
    a DESTDIR in the test's temporary directory, readable by every user):
    meson install, then contrib/build-qemu.sh --install; the installed
    QEMU must load the installed libvswitch, nothing of the build;
  - libvirt's AppArmor abstraction includes libvirt-qemu.d, and its domain
    template compiles with the installed snippet (apparmor_parser -Q);
  - virtlogd and libvirtd run inside a network namespace of the test's
    own, so the domains' QEMUs do too; libvirt's default network is not
    started (Debian's libvirt-daemon has no network driver);
  - a domain started before vswitchd runs fails, and virsh's error names
    vswitchd and its socket;
  - vswitchd then runs on the system socket /run/vswitch/vswitchd.sock
    (the test refuses to run if a daemon answers there) with
    --socket-group vswitch, libvirt-qemu in that group (added after
    libvirtd started: libvirt reads the groups at each QEMU start);
  - two domains with exactly the <qemu:commandline> block of libvirt.md
    (no sock=: QEMU, as libvirt-qemu without XDG_RUNTIME_DIR, finds the
    system socket) boot the test guest and ping each other both ways;
    their ports are DOMAIN.vsw0 with the MACs of the XML, their QEMUs run
    as libvirt-qemu with the installed libvswitch mapped.
At the end the domains are destroyed and undefined, libvirtd and virtlogd
stopped (by PID), group changes undone, the namespace removed.
Exit 0 pass, 1 fail, 77 without root.
"""

import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vswvm  # noqa: E402
from vswvm import TestFailure, check, log  # noqa: E402

DOC = os.path.join(vswvm.REPO, "net-backend", "docs", "libvirt.md")
SYSTEM_SOCK = "/run/vswitch/vswitchd.sock"
QEMU_USER = "libvirt-qemu"
GROUP = "vswitch"
URI = "qemu:///system"
DOC_MAC = "52:54:00:00:00:01"
SWITCH = "lab"          # the switch of libvirt.md's block
START_TIMEOUT = 240     # virsh start under TCG on a busy 2-core machine


def run(argv, timeout=60, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, **kw)


def must(argv, timeout=60, **kw):
    r = run(argv, timeout, **kw)
    if r.returncode != 0:
        raise TestFailure("%s: exit %d:\n%s" % (" ".join(argv), r.returncode, r.stdout))
    return r.stdout


def virsh(*args, timeout=60):
    return run(["virsh", "-c", URI] + list(args), timeout)


def doc_block():
    """The <qemu:commandline> block of libvirt.md, exactly."""
    with open(DOC) as f:
        text = f.read()
    m = re.search(r"^```xml\n(.*?)^```", text, re.S | re.M)
    check(m, "no xml block in %s" % DOC)
    xml = m.group(1)
    check("xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'" in xml,
          "libvirt.md's domain has no qemu namespace")
    m = re.search(r"^( *<qemu:commandline>.*?</qemu:commandline>\n)", xml, re.S | re.M)
    check(m, "no <qemu:commandline> in libvirt.md's block")
    block = m.group(1)
    for want in ('"bus":"pcie.0"', '"addr":', 'switch=%s' % SWITCH, DOC_MAC):
        check(want in block, "libvirt.md's block lacks %s" % want)
    check("sock=" not in block, "libvirt.md's block gives sock=")
    return block


class DomainProc:
    """poll() of a domain's QEMU, as Popen's: None while it runs."""

    def __init__(self, pid):
        self.pid = pid

    def poll(self):
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return 0
        return 0 if state in ("Z", "X") else None


class LibvirtGuest(vswvm.Guest):
    """A running domain's serial console (a Unix socket libvirt made)."""

    def __init__(self, env, name, serial, pid):
        self.env = env
        self.name = name
        self.console_path = os.path.join(env.tmp, name + ".console")
        self.buf = ""
        self.seq = 0
        self.qmp = None
        self.proc = DomainProc(pid)
        self.console = open(self.console_path, "w")
        self.logf = None
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(5)
        self.sock.connect(serial)
        self.sock.settimeout(0.2)

    def qemu_log(self):
        try:
            with open("/var/log/libvirt/qemu/%s.log" % self.name, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return "(no log)"

    def kill(self):
        self.sock.close()
        self.console.close()


class Libvirt:
    """virtlogd and libvirtd of the test's own, in its namespace."""

    def __init__(self, env):
        self.env = env
        self.daemons = []
        self.domains = []
        self.emulator = None
        self.group_created = False
        self.member_added = False
        self.run_dir_created = False

    def start(self):
        for prog in ("virtlogd", "libvirtd"):
            logf = open(os.path.join(self.env.tmp, prog + ".log"), "w")
            p = subprocess.Popen(self.env.netns([prog]), stdout=logf,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            logf.close()
            self.daemons.append(p)
            sock = "/run/libvirt/%s" % ("virtlogd-sock" if prog == "virtlogd"
                                        else "libvirt-sock")
            vswvm.wait_for(lambda: vswvm.connects(sock) or p.poll() is not None,
                           60, "%s's socket" % prog)
            check(p.poll() is None, "%s exited at start (%s.log)" % (prog, prog))
        vswvm.wait_for(lambda: virsh("version", timeout=30).returncode == 0, 60,
                       "virsh to reach libvirtd")

    def stop(self):
        for p in reversed(self.daemons):
            vswvm.terminate(p, 30)
        self.daemons = []

    def define(self, name, xml):
        path = os.path.join(self.env.tmp, name + ".xml")
        with open(path, "w") as f:
            f.write(xml)
        self.domains.append(name)
        out = virsh("define", path)
        check(out.returncode == 0, "virsh define %s:\n%s" % (name, out.stdout))

    def qemu_pid(self, name):
        with open("/run/libvirt/qemu/%s.pid" % name) as f:
            return int(f.read().strip())

    def cleanup(self):
        for name in self.domains:
            if self.daemons:
                virsh("destroy", name, timeout=60)
                virsh("undefine", name, timeout=60)
            # The domain's log, kept with the test's for dump_logs().
            log_path = "/var/log/libvirt/qemu/%s.log" % name
            if os.path.exists(log_path):
                shutil.copy(log_path, os.path.join(self.env.tmp, name + ".qemu.log"))
                os.unlink(log_path)
        self.stop()
        self.env.stop_daemon()
        # libvirt's cached capabilities of the emulator we remove.
        cache = "/var/cache/libvirt/qemu/capabilities"
        if self.emulator and os.path.isdir(cache):
            for f in os.listdir(cache):
                path = os.path.join(cache, f)
                try:
                    with open(path, errors="replace") as fh:
                        if "<emulator>%s</emulator>" % self.emulator in fh.read():
                            os.unlink(path)
                except OSError:
                    pass
        if self.member_added:
            subprocess.run(["gpasswd", "-d", QEMU_USER, GROUP], check=False,
                           stdout=subprocess.DEVNULL)
        if self.group_created:
            subprocess.run(["groupdel", GROUP], check=False)
        if self.run_dir_created:
            shutil.rmtree(os.path.dirname(SYSTEM_SOCK), ignore_errors=True)


def preflight():
    """What the test needs, and nothing of the machine's that it would take."""
    for prog in ("libvirtd", "virtlogd", "virsh", "apparmor_parser", "patchelf"):
        check(shutil.which(prog), "%s is missing (contrib/install-deps.sh)" % prog)
    try:
        pwd.getpwnam(QEMU_USER)
    except KeyError:
        raise TestFailure("no user %s (libvirt-daemon-driver-qemu creates it)" % QEMU_USER)
    check(not vswvm.connects(SYSTEM_SOCK),
          "a vswitchd answers on %s: the test runs its own there; stop it first" % SYSTEM_SOCK)
    for s in ("libvirt-sock", "virtlogd-sock"):
        check(not vswvm.connects("/run/libvirt/" + s),
              "a libvirt daemon answers on /run/libvirt/%s: the test runs its own "
              "libvirtd and virtlogd in its namespace; stop them first" % s)


def install(env):
    """meson install and build-qemu.sh --install into DESTDIR=env.tmp/root.
    Return: (installed QEMU, installed libvswitch's directory)."""
    root = os.path.join(env.tmp, "root")
    os.chmod(env.tmp, 0o755)
    must(["meson", "install", "-C", vswvm.BUILD, "--no-rebuild", "--quiet",
          "--destdir", root], timeout=300)
    penv = dict(os.environ, DESTDIR=root, VSWITCH_BUILD_DIR=vswvm.BUILD)
    opts = must(["meson", "introspect", "--buildoptions", vswvm.BUILD])
    prefix = re.search(r'"name": "prefix", "value": "([^"]+)"', opts)
    check(prefix, "no prefix in meson introspect --buildoptions")
    out = must([os.path.join(vswvm.REPO, "contrib", "build-qemu.sh"), "--install",
                prefix.group(1)], timeout=3600, env=penv)
    qemu = out.strip().splitlines()[-1]
    check(qemu == root + prefix.group(1) + "/bin/qemu-system-x86_64",
          "build-qemu.sh --install printed %s" % qemu)
    # Nothing of the build or the cache: RUNPATH relative to the binary.
    dyn = must(["readelf", "-d", qemu])
    m = re.search(r"RUNPATH.*\[(.*)\]", dyn)
    check(m and m.group(1).startswith("$ORIGIN/"), "installed QEMU's RUNPATH: %s"
          % (m.group(1) if m else "none"))
    libdir = os.path.realpath(m.group(1).replace("$ORIGIN", os.path.dirname(qemu)))
    check(os.path.exists(os.path.join(libdir, "libvswitch.so.0")),
          "no installed libvswitch in %s" % libdir)
    # It runs as libvirt-qemu, with the installed library and firmware.
    pw = pwd.getpwnam(QEMU_USER)
    uid = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups"]
    ldd = must(uid + ["ldd", qemu])
    m = re.search(r"libvswitch\.so\.0 => (\S+)", ldd)
    check(m and os.path.realpath(m.group(1)) ==
          os.path.realpath(os.path.join(libdir, "libvswitch.so.0")),
          "ldd as %s:\n%s" % (QEMU_USER, ldd))
    must(uid + [qemu, "-version"])
    for f in ("bios-256k.bin", "linuxboot_dma.bin", "kvmvapic.bin"):
        check(os.access(os.path.join(os.path.dirname(qemu), "..", "share", "qemu", f),
                        os.R_OK), "installed firmware lacks %s" % f)
    log("installed %s, libvswitch from %s" % (qemu, libdir))
    return qemu, libdir, root


def check_apparmor(env, root):
    """libvirt's domain template compiles with our snippet in place."""
    abstraction = "/etc/apparmor.d/abstractions/libvirt-qemu"
    with open(abstraction) as f:
        check("include if exists <abstractions/libvirt-qemu.d>" in f.read(),
              "%s does not include libvirt-qemu.d" % abstraction)
    snippet = os.path.join(root, "etc", "apparmor.d", "abstractions", "libvirt-qemu.d",
                           "vswitch")
    check(os.path.exists(snippet), "meson installed no %s" % snippet)
    base = os.path.join(env.tmp, "apparmor.d")
    shutil.copytree("/etc/apparmor.d", base, symlinks=True)
    os.makedirs(os.path.join(base, "abstractions", "libvirt-qemu.d"), exist_ok=True)
    shutil.copy(snippet, os.path.join(base, "abstractions", "libvirt-qemu.d"))
    argv = ["apparmor_parser", "-Q", "-K", "-b", base, "-I", base]
    must(argv + [os.path.join(base, "libvirt", "TEMPLATE.qemu")])
    out = must(["apparmor_parser", "-p", "-b", base, "-I", base,
                os.path.join(base, "libvirt", "TEMPLATE.qemu")])
    check("@{run}/vswitch/vswitchd.sock rw," in out,
          "the template's profile does not contain the snippet")
    log("AppArmor: libvirt's TEMPLATE.qemu compiles with the snippet")


def domain_xml(env, name, mac, ip, block, qemu):
    files = os.path.join(env.tmp, "files")
    return """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>%(name)s</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>%(files)s/%(kernel)s</kernel>
    <initrd>%(files)s/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 vsw.role=shell vsw.ip=%(ip)s/24</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>%(qemu)s</emulator>
    <serial type='unix'>
      <source mode='bind' path='%(run)s/%(name)s.serial'/>
    </serial>
    <memballoon model='none'/>
  </devices>
%(block)s</domain>
""" % {"name": name, "files": files, "kernel": os.path.basename(env.kernel), "ip": ip,
       "qemu": qemu, "run": os.path.join(env.tmp, "run"),
       "block": block.replace(DOC_MAC, mac)}


def start_domain(lv, env, name):
    r = virsh("start", name, "--paused", timeout=START_TIMEOUT)
    if r.returncode != 0:
        raise TestFailure("virsh start %s:\n%s" % (name, r.stdout))
    pid = lv.qemu_pid(name)
    g = LibvirtGuest(env, name, os.path.join(env.tmp, "run", name + ".serial"), pid)
    env.guests.append(g)
    must(["virsh", "-c", URI, "resume", name])
    return g


def test(env):
    # meson test points LD_LIBRARY_PATH at the build's libvswitch; what is
    # installed must work without it, as it does for libvirt.
    os.environ.pop("LD_LIBRARY_PATH", None)
    preflight()
    lv = Libvirt(env)
    try:
        run_test(env, lv)
    finally:
        lv.cleanup()


def run_test(env, lv):
    block = doc_block()
    qemu, libdir, root = install(env)
    lv.emulator = qemu
    check_apparmor(env, root)

    # What libvirt's QEMU reads: the guest, and a directory for consoles.
    files = os.path.join(env.tmp, "files")
    os.mkdir(files)
    for f in (env.kernel, os.path.join(env.guest, "initrd.img")):
        shutil.copy(f, files)
    rundir = os.path.join(env.tmp, "run")
    os.mkdir(rundir, 0o700)
    pw = pwd.getpwnam(QEMU_USER)
    os.chown(rundir, pw.pw_uid, pw.pw_gid)
    for d in (files,):
        for x in [d] + [os.path.join(d, f) for f in os.listdir(d)]:
            os.chmod(x, 0o755)

    lv.start()
    log("libvirtd and virtlogd up in namespace %s" % env.ns)
    pid = str(os.getpid())
    names = {"a": "vswtest-a-" + pid, "b": "vswtest-b-" + pid}
    macs = {"a": "52:54:00:00:11:01", "b": "52:54:00:00:11:02"}
    ips = {"a": "10.0.0.1", "b": "10.0.0.2"}
    for k in "ab":
        lv.define(names[k], domain_xml(env, names[k], macs[k], ips[k], block, qemu))

    # Before vswitchd: the domain does not start, and says why.
    check(not os.path.exists(SYSTEM_SOCK), "%s exists" % SYSTEM_SOCK)
    r = virsh("start", names["a"], timeout=START_TIMEOUT)
    log("virsh start without vswitchd: exit %d:\n%s" % (r.returncode, r.stdout.strip()))
    check(r.returncode != 0, "a domain started without vswitchd")
    check("vswitchd" in r.stdout and SYSTEM_SOCK in r.stdout,
          "virsh's error names neither vswitchd nor %s" % SYSTEM_SOCK)
    check(virsh("domstate", names["a"]).stdout.strip().startswith("shut off"),
          "domain a is not shut off after the failed start")

    # The group of --socket-group, libvirt-qemu in it (libvirtd runs already).
    try:
        group = grp.getgrnam(GROUP)
    except KeyError:
        must(["groupadd", "--system", GROUP])
        lv.group_created = True
        group = grp.getgrnam(GROUP)
    if QEMU_USER not in group.gr_mem:
        must(["gpasswd", "-a", QEMU_USER, GROUP])
        lv.member_added = True
    lv.run_dir_created = not os.path.exists(os.path.dirname(SYSTEM_SOCK))
    env.sock = SYSTEM_SOCK
    env.start_daemon(["--socket-group", GROUP])
    st = os.stat(SYSTEM_SOCK)
    check(st.st_gid == group.gr_gid and (st.st_mode & 0o777) == 0o660,
          "socket %s: gid %d mode %o" % (SYSTEM_SOCK, st.st_gid, st.st_mode & 0o777))
    env.ctl("switch", "add", SWITCH)

    start = time.monotonic()
    guests = {k: start_domain(lv, env, names[k]) for k in "ab"}
    for g in guests.values():
        g.wait_ready()
    log("2 domains up in %.1fs" % (time.monotonic() - start))

    # Their QEMUs: libvirt-qemu, no XDG_RUNTIME_DIR, no sock=, our library.
    for k, g in guests.items():
        pid = g.proc.pid
        st = os.stat("/proc/%d" % pid)
        check(st.st_uid == pw.pw_uid, "%s's QEMU runs as uid %d" % (k, st.st_uid))
        with open("/proc/%d/environ" % pid, "rb") as f:
            environ = f.read().split(b"\0")
        check(not any(e.startswith(b"XDG_RUNTIME_DIR=") for e in environ),
              "%s's QEMU has XDG_RUNTIME_DIR" % k)
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read().split(b"\0")
        check(b"vswitch,id=vsw0,switch=lab" in cmdline and
              not any(b"sock=" in a for a in cmdline), "%s's QEMU's -netdev: %s"
              % (k, [a for a in cmdline if b"vswitch" in a]))
        with open("/proc/%d/maps" % pid) as f:
            maps = f.read()
        check(os.path.realpath(os.path.join(libdir, "libvswitch.so.0")) in maps,
              "%s's QEMU did not map %s/libvswitch.so.0" % (k, libdir))

    ports = env.ctl("port", "list", SWITCH)
    log("ports:\n" + ports)
    for k in "ab":
        line = [x for x in ports.splitlines() if " %s.vsw0 " % names[k] in x]
        check(line and macs[k] in line[0], "no port %s.vsw0 with MAC %s"
              % (names[k], macs[k]))

    a, b = guests["a"], guests["b"]
    check(a.run("ping -c 2 -W 2 10.0.0.2", timeout=30)[0] == 0, "a cannot ping b")
    check(b.run("ping -c 2 -W 2 10.0.0.1", timeout=30)[0] == 0, "b cannot ping a")
    check(a.run("ping -c 1 -W 2 10.0.0.9", timeout=30)[0] != 0, "ping to nobody answered")
    log("a <-> b: ping ok through libvirt's domains")


if __name__ == "__main__":
    vswvm.main(test)
