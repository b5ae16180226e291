# SPDX-License-Identifier: GPL-2.0-or-later
"""vswvm - real guests on real vswitch switches, for the VM tests.

Copyright (C) 2026 The vswitch authors

A test makes an Env (a network namespace of its own, a vswitchd inside it
on a private socket and state directory), starts Guests in it (the
patched QEMU booting the project's test guest under TCG, its serial
console on a Unix socket), and runs shell commands in the guests.
Everything is bounded in time; only processes started here are killed,
by PID; the namespace and the temporary directory go away at the end.
Standard library only.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("VSWITCH_BUILD_DIR", os.path.join(REPO, "build"))
VSWITCHD = os.path.join(BUILD, "net-backend", "daemon", "vswitchd")
VSWITCHCTL = os.path.join(BUILD, "net-backend", "cli", "vswitchctl")
BOOT_TIMEOUT = 120      # seconds: a guest under TCG on a busy 2-core machine


class TestFailure(Exception):
    """A check of a VM test failed."""


def log(msg):
    print("vm-test: %s" % msg, flush=True)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def _last_line(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         text=True).stdout.strip().splitlines()
    if not out:
        raise TestFailure("%s printed nothing" % cmd[0])
    return out[-1]


def qemu_binary():
    """Path of the patched QEMU (built and cached by contrib/build-qemu.sh)."""
    path = os.environ.get("VSWITCH_QEMU")
    if path:
        return path
    env = dict(os.environ, VSWITCH_BUILD_DIR=BUILD)
    out = subprocess.run([os.path.join(REPO, "contrib", "build-qemu.sh")],
                         check=True, stdout=subprocess.PIPE, text=True,
                         env=env).stdout.strip().splitlines()
    return out[-1]


def guest_dir():
    """Directory of the test guest's kernel and initrd (contrib/build-guest.sh)."""
    return os.environ.get("VSWITCH_GUEST") or _last_line(
        [os.path.join(REPO, "contrib", "build-guest.sh")])


def connects(path):
    """Does a Unix socket at @path accept a connection (a daemon behind it)?"""
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_for(pred, timeout, what, interval=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(interval)
    raise TestFailure("timed out after %ss waiting for %s" % (timeout, what))


def ctl(sock, *args, check_rc=True):
    """Run vswitchctl against the daemon at @sock; Return: stdout."""
    r = subprocess.run([VSWITCHCTL, "--socket", sock] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    if check_rc and r.returncode != 0:
        raise TestFailure("vswitchctl %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def terminate(proc, timeout=10):
    """SIGTERM @proc (a Popen of ours) if it runs; SIGKILL it after
    @timeout seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def as_user(env, user):
    """argv prefix running a program as @user = (uid, gid): no other groups,
    libvswitch from env.shared_files()."""
    uid, gid = user
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups",
            "env", "LD_LIBRARY_PATH=" + env.shared_files()]


class Env:
    """A network namespace with a vswitchd of its own."""

    def __init__(self, name="vswvm"):
        if os.geteuid() != 0:
            print("SKIP: VM tests need root (ip netns)")
            raise SystemExit(77)
        self.tmp = tempfile.mkdtemp(prefix="vsw-vm-")
        self.ns = "%s-%d" % (name, os.getpid())
        self.sock = os.path.join(self.tmp, "vswitchd.sock")
        self.state = os.path.join(self.tmp, "state")
        self.daemon = None
        self.guests = []
        self.procs = []
        self.qemu = qemu_binary()
        self.guest = guest_dir()
        kernel = os.path.join(self.guest, "vmlinux")
        self.kernel = kernel if os.path.exists(kernel) else \
            os.path.join(self.guest, "vmlinuz")
        self.accel = os.environ.get("VSWITCH_ACCEL", "tcg")
        if self.accel == "auto":
            self.accel = _last_line([os.path.join(REPO, "contrib", "kvm-probe.sh"),
                                     self.qemu, self.guest])
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
        log("namespace %s, qemu %s, accel %s" % (self.ns, self.qemu, self.accel))

    def netns(self, argv):
        return ["ip", "netns", "exec", self.ns] + list(argv)

    def start_daemon(self, extra=()):
        logf = open(os.path.join(self.tmp, "vswitchd.log"), "a")
        self.daemon = subprocess.Popen(
            self.netns([VSWITCHD, "--socket", self.sock, "--state-dir", self.state]
                       + list(extra)),
            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        wait_for(lambda: connects(self.sock), 10, "vswitchd's socket")

    def stop_daemon(self):
        if self.daemon:
            terminate(self.daemon)
        self.daemon = None

    def ctl(self, *args, check_rc=True):
        """Run vswitchctl against this env's daemon; Return: stdout."""
        return ctl(self.sock, *args, check_rc=check_rc)

    def port_row(self, switch, name):
        """Port @name's row of `vswitchctl port list @switch` as a dict
        (column title -> text; RX/TX from the switch's side), or None."""
        lines = self.ctl("port", "list", switch).splitlines()
        head = lines[0].split()
        for line in lines[1:]:
            cols = line.split()
            if len(cols) == len(head) and cols[1] == name:
                return dict(zip(head, cols))
        return None

    def spawn(self, argv, **kw):
        """Start a helper process inside the namespace; killed at cleanup."""
        p = subprocess.Popen(self.netns(argv), **kw)
        self.procs.append(p)
        return p

    def guest_start(self, name, netdev, mac, append="", device="virtio-net-pci",
                    mem=256, machine="q35", user=None, nic=False, anonymous=False,
                    extra=()):
        """Boot a guest; @user (uid, gid) runs its QEMU as that user instead of root;
        @nic: give the NIC as -nic NETDEV,model=DEVICE (no id) instead of
        -netdev NETDEV -device DEVICE; @anonymous: no -name (@name names
        only the test's files); @extra: more QEMU arguments (-incoming ...)."""
        g = Guest(self, name, netdev, mac, append, device, mem, machine, user, nic,
                  anonymous, extra)
        self.guests.append(g)
        return g

    def shared_files(self):
        """A directory every user can read holding QEMU, libvswitch, QEMU's
        firmware and the guest: the build's own live under root's home.
        Return: the directory (made once)."""
        shared = os.path.join(self.tmp, "shared")
        if os.path.isdir(shared):
            return shared
        os.makedirs(os.path.join(shared, "share"))
        qemu = os.path.join(shared, "qemu-system-x86_64")
        try:
            os.link(self.qemu, qemu)
        except OSError:
            shutil.copy2(self.qemu, qemu)
        shutil.copy2(os.path.join(BUILD, "net-backend", "lib", "libvswitch.so.0"), shared)
        # The firmware the build would find next to itself (-L instead).
        data = os.path.join(os.path.dirname(self.qemu), "qemu-bundle", "usr", "local",
                            "share", "qemu")
        for f in os.listdir(data):
            src = os.path.join(data, f)
            if os.path.isfile(src):
                shutil.copy(src, os.path.join(shared, "share", f))
        for f in (self.kernel, os.path.join(self.guest, "initrd.img")):
            shutil.copy(f, shared)
        for root, dirs, files in os.walk(shared):
            for x in dirs + files:
                os.chmod(os.path.join(root, x), 0o755)
        os.chmod(shared, 0o755)
        os.chmod(self.tmp, 0o755)
        return shared

    def run_as(self, user, argv, **kw):
        """Run @argv (a program of shared_files()) as @user (uid, gid) in
        the namespace; Return: the CompletedProcess."""
        return subprocess.run(self.netns(as_user(self, user) + list(argv)), **kw)


    def cleanup(self, keep_logs=False):
        for g in self.guests:
            g.kill()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        self.stop_daemon()
        subprocess.run(["ip", "netns", "del", self.ns], check=False)
        if keep_logs or os.environ.get("VSWITCH_KEEP_LOGS"):
            log("logs kept in %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_logs(self):
        for f in sorted(os.listdir(self.tmp)):
            if f.endswith((".log", ".console")):
                path = os.path.join(self.tmp, f)
                with open(path, errors="replace") as fh:
                    lines = fh.read().splitlines()[-40:]
                print("----- %s (last %d lines)" % (f, len(lines)))
                print("\n".join(lines))


class Guest:
    """One QEMU with the test guest; its console is a shell we type into."""

    def __init__(self, env, name, netdev, mac, append, device, mem, machine, user, nic=False,
                 anonymous=False, extra=()):
        self.env = env
        self.name = name
        self.console_path = os.path.join(env.tmp, name + ".console")
        # Its sockets: where its QEMU may create them.
        run = env.tmp
        prefix = []
        qemu, kernel, initrd = env.qemu, env.kernel, os.path.join(env.guest, "initrd.img")
        if user:
            shared = env.shared_files()
            run = os.path.join(env.tmp, name + ".run")
            os.mkdir(run, 0o700)
            os.chown(run, user[0], user[1])
            prefix = as_user(env, user)
            qemu = os.path.join(shared, "qemu-system-x86_64")
            kernel = os.path.join(shared, os.path.basename(kernel))
            initrd = os.path.join(shared, "initrd.img")
        self.serial = os.path.join(run, name + ".serial")
        self.qmp_path = os.path.join(run, name + ".qmp")
        self.buf = ""
        self.seq = 0
        self.qmp = None
        self.events = []
        argv = prefix + [qemu, "-M", machine, "-accel", env.accel, "-m", str(mem),
                "-smp", "1", "-nodefaults", "-display", "none", "-no-reboot"]
        if not anonymous:
            argv += ["-name", name]
        argv += [
                "-chardev", "socket,id=s0,path=%s,server=on,wait=off" % self.serial,
                "-serial", "chardev:s0",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
                "-kernel", kernel, "-initrd", initrd,
                "-append", "console=ttyS0 quiet panic=-1 vsw.role=shell " + append]
        if nic:
            argv += ["-nic", "%s,model=%s,mac=%s" % (netdev, device, mac)]
        else:
            argv += ["-netdev", netdev,
                     "-device", "%s,netdev=n0,mac=%s,romfile=" % (device, mac)]
        if user:
            argv += ["-L", os.path.join(env.shared_files(), "share")]
        argv += list(extra)
        self.logf = open(os.path.join(env.tmp, name + ".log"), "w")
        self.proc = subprocess.Popen(env.netns(argv), stdout=self.logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.console = open(self.console_path, "w")
        wait_for(lambda: os.path.exists(self.serial) or self.proc.poll() is not None,
                 20, "%s's serial socket" % name)
        if self.proc.poll() is not None:
            raise TestFailure("%s: QEMU exited: %s" % (name, self.qemu_log()))
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.serial)
        self.sock.settimeout(0.2)

    def qemu_log(self):
        self.logf.flush()
        with open(os.path.join(self.env.tmp, self.name + ".log"), errors="replace") as f:
            return f.read().strip()

    def _read(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        if not data:
            raise TestFailure("%s: console closed (QEMU: %s)" % (self.name, self.qemu_log()))
        text = data.decode(errors="replace").replace("\r", "")
        self.console.write(text)
        self.console.flush()
        self.buf += text
        return True

    def expect(self, regex, timeout):
        """Wait until the console shows @regex; Return: the match."""
        end = time.monotonic() + timeout
        pat = re.compile(regex, re.M)
        while True:
            m = pat.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if time.monotonic() > end:
                raise TestFailure("%s: no /%s/ within %ss; console tail:\n%s"
                                  % (self.name, regex, timeout, self.buf[-1500:]))
            if self.proc.poll() is not None:
                raise TestFailure("%s: QEMU exited: %s" % (self.name, self.qemu_log()))
            self._read()

    def wait_ready(self, timeout=BOOT_TIMEOUT):
        # Whole lines only: the console arrives in pieces.
        m = self.expect(r"^VSW-GUEST-READY ip=(\S+)\n", timeout)
        # The shell prompt follows the marker; give it a moment.
        self.expect(r"# ", 30)
        return m.group(1)

    def run(self, cmd, timeout=30):
        """Run @cmd in the guest's shell; Return: (exit status, output)."""
        self.seq += 1
        tag = "VSWT%d" % self.seq
        # The markers are split so the echoed command line never matches.
        line = "echo %s''B; %s; echo %s''E $?\n" % (tag, cmd, tag)
        self.sock.sendall(line.encode())
        self.expect(r"^%sB\n" % tag, timeout)
        m = self.expect(r"^([\s\S]*?)%sE (\d+)\n" % tag, timeout)
        return int(m.group(2)), m.group(1)

    def must(self, cmd, timeout=30):
        rc, out = self.run(cmd, timeout)
        check(rc == 0, "%s: '%s' failed (%d):\n%s" % (self.name, cmd, rc, out))
        return out

    def _qmp_msg(self, timeout):
        """Next QMP message within @timeout seconds, or None."""
        import json
        end = time.monotonic() + timeout
        while "\n" not in self.qmp_buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.qmp.settimeout(left)
            try:
                data = self.qmp.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise TestFailure("%s: QMP connection closed" % self.name)
            self.qmp_buf += data.decode()
        line, self.qmp_buf = self.qmp_buf.split("\n", 1)
        return json.loads(line)

    def qmp_cmd(self, execute, **args):
        """One QMP command; Return: its 'return' value (events are kept)."""
        import json
        if self.qmp is None:
            self.qmp = socket.socket(socket.AF_UNIX)
            self.qmp.settimeout(10)
            self.qmp.connect(self.qmp_path)
            self.qmp_buf = ""
            self._qmp_msg(10)           # greeting
            self.qmp_cmd("qmp_capabilities")
        req = {"execute": execute}
        if args:
            req["arguments"] = args
        self.qmp.sendall((json.dumps(req) + "\n").encode())
        end = time.monotonic() + 30
        while True:
            msg = self._qmp_msg(max(0.1, end - time.monotonic()))
            if msg is None:
                raise TestFailure("%s: no QMP reply to %s" % (self.name, execute))
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise TestFailure("%s: QMP %s: %s" % (self.name, execute, msg["error"]))
            if "event" in msg:
                self.events.append(msg)

    def qmp_error(self, execute, **args):
        """A QMP command that must fail; Return: its error description."""
        try:
            self.qmp_cmd(execute, **args)
        except TestFailure as e:
            return str(e)
        raise TestFailure("%s: QMP %s succeeded, should have failed" % (self.name, execute))

    def qmp_event(self, name, timeout, **match):
        """Wait for QMP event @name whose data has @match; Return: its data."""
        if self.qmp is None:
            self.qmp_cmd("query-status")
        end = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                data = ev.get("data", {})
                if ev["event"] == name and all(data.get(k) == v for k, v in match.items()):
                    del self.events[i]
                    return data
            left = end - time.monotonic()
            if left <= 0:
                raise TestFailure("%s: no QMP event %s %s within %ss"
                                  % (self.name, name, match, timeout))
            msg = self._qmp_msg(left)
            if msg and "event" in msg:
                self.events.append(msg)

    def fd_count(self):
        """Open file descriptors of this QEMU."""
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.sock.close()
        if self.qmp:
            self.qmp.close()
        self.console.close()
        self.logf.close()


def main(test):
    """Run @test(env) with clean-up and logs on failure; exit 0/1/77."""
    env = Env()
    ok = False
    try:
        test(env)
        ok = True
    except TestFailure as e:
        log("FAIL: %s" % e)
        env.dump_logs()
    finally:
        env.cleanup(keep_logs=not ok)
    log("PASS" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)
