#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-systemd.sh - the systemd units, the sysusers.d file, and vswitchd's
# readiness notification, without systemd running.
#
#   - systemd-analyze verify, offline, on the units meson configured (with
#     ExecStart pointed at the build tree's vswitchd in a copy: verify
#     wants the program to exist) and MANPATH at our man pages (it looks
#     up Documentation=); it must have nothing to say.
#   - systemd-sysusers --root on a temporary root: user and group vswitch.
#   - vswitchd with NOTIFY_SOCKET (a path, then an abstract name) sends
#     READY=1 only once its control socket answers, STOPPING=1 on SIGTERM,
#     and does not pass NOTIFY_SOCKET on to its NAT helper.
#   - As root: vswitchd under the unit's CapabilityBoundingSet= and
#     NoNewPrivileges= (setpriv) starts, becomes its user, and starts again
#     on the state it left (nobody and nogroup stand in for vswitch, which
#     the test does not create); staying root, its NAT helper starts.
#     Without CAP_DAC_OVERRIDE the second start fails: the set is not
#     padded.  Not root: these checks are skipped, the rest still run.
#
# Only PIDs started here are killed; every wait is bounded; the temporary
# directory goes in the EXIT trap.  Exit: 0 pass, 1 fail (also without
# python3, systemd-analyze or systemd-sysusers: install-deps.sh has them).
# Environment: VSWITCH_BUILD_DIR (default <repo>/build), VSWITCH_SBINDIR
# (where the units' ExecStart must point: meson passes prefix/sbindir).

set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
# shellcheck source=tests/integration/lib.sh
. "$repo/tests/integration/lib.sh"
vswitchd=$build/net-backend/daemon/vswitchd
vswitchctl=$build/net-backend/cli/vswitchctl
sys_unit=$build/contrib/systemd/vswitchd.service
user_unit=$build/contrib/systemd/vswitchd-user.service
sbindir=${VSWITCH_SBINDIR:-/usr/local/sbin}
python=$(command -v /usr/bin/python3 || command -v python3)

for p in "$python" "$(command -v systemd-analyze)" "$(command -v systemd-sysusers)"; do
	if [ -z "$p" ]; then
		echo "FAIL: needs python3, systemd-analyze and systemd-sysusers" \
			"(contrib/install-deps.sh)"
		exit 1
	fi
done
for f in "$vswitchd" "$vswitchctl" "$sys_unit" "$user_unit"; do
	if [ ! -e "$f" ]; then
		echo "FAIL: $f is missing: build first (meson compile -C $build)"
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-systemd.XXXXXX") || exit 1
chmod 0755 "$tmp"
pid=

stop() {
	[ -z "$pid" ] || stop_pid "$pid"
	pid=
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP


# --- The units -----------------------------------------------------------

check "the system unit runs $sbindir/vswitchd with --socket-group vswitch" \
	grep -qx "ExecStart=$sbindir/vswitchd --socket-group vswitch" "$sys_unit"
check "the user unit runs $sbindir/vswitchd" \
	grep -qx "ExecStart=$sbindir/vswitchd" "$user_unit"
check "both are Type=notify" grep -qx "Type=notify" "$sys_unit" "$user_unit"

mkdir -p "$tmp/units/system" "$tmp/units/user" "$tmp/xdg" "$tmp/man/man8"
chmod 0700 "$tmp/xdg"
# verify checks Documentation=man:...: our pages, through MANPATH.
ln -s "$repo/net-backend/docs/man/vswitchd.8" "$repo/net-backend/docs/man/vswitchctl.8" \
	"$tmp/man/man8/"
sed "s|^ExecStart=$sbindir/vswitchd|ExecStart=$vswitchd|" "$sys_unit" \
	>"$tmp/units/system/vswitchd.service"
sed "s|^ExecStart=$sbindir/vswitchd|ExecStart=$vswitchd|" "$user_unit" \
	>"$tmp/units/user/vswitchd.service"

# verify FLAGS... UNIT: systemd-analyze verify succeeds and says nothing
# (unknown keys and bad values are only warnings to it) about our unit.
# It also loads the units ours is ordered against: what it says of the
# host's own (libvirtd.service of bookworm-backports has Type=notify-reload,
# which systemd 252 does not know) is not ours to fail on.
verify() {
	local out

	out=$(XDG_RUNTIME_DIR=$tmp/xdg MANPATH=$tmp/man systemd-analyze "$@" 2>&1) ||
		{ echo "$out"; return 1; }
	out=$(printf '%s\n' "$out" | grep -Ev '^/(usr/)?lib/systemd/|^/etc/systemd/')
	[ -z "$out" ] || { echo "$out"; return 1; }
}
check "systemd-analyze verify: the system unit, its man pages too" \
	verify verify "$tmp/units/system/vswitchd.service"
check "systemd-analyze verify: the user unit" \
	verify --user verify "$tmp/units/user/vswitchd.service"
# The check can fail: a misspelt key is reported.
sed 's/^Type=notify/Typ=notify/' "$tmp/units/system/vswitchd.service" \
	>"$tmp/units/system/bad.service"
misspelt() { ! verify verify "$tmp/units/system/bad.service"; }
check "... and would report a misspelt key" misspelt

# --- sysusers.d ----------------------------------------------------------

mkdir -p "$tmp/root/etc"
check "systemd-sysusers takes vswitch.sysusers" \
	systemd-sysusers --root="$tmp/root" "$repo/contrib/systemd/vswitch.sysusers"
# shellcheck disable=SC2016 # awk's $1, not the shell's
check "... and creates the system user vswitch, without a login shell" \
	awk -F: '$1 == "vswitch" && $3 < 1000 && $7 ~ /nologin$/ { ok = 1 } END { exit !ok }' \
	"$tmp/root/etc/passwd"
check "... in its group vswitch (the system daemon's --socket-group)" \
	sh -c "gid=\$(awk -F: '\$1 == \"vswitch\" { print \$4 }' $tmp/root/etc/passwd) &&
	       awk -F: -v g=\"\$gid\" '\$1 == \"vswitch\" && \$3 == g { ok = 1 } END { exit !ok }' \
		$tmp/root/etc/group"

# --- Readiness -----------------------------------------------------------

# notify.py ADDR DIR: listen on ADDR (a path or @abstract), start vswitchd
# on DIR with NOTIFY_SOCKET=ADDR, and check what it says, and when.
cat >"$tmp/notify.py" <<'EOF'
import json, os, signal, socket, subprocess, sys, time

addr, d, vswitchd, vswitchctl = sys.argv[1:5]
sock_path = os.path.join(d, "s")
lis = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
lis.bind("\0" + addr[1:] if addr.startswith("@") else addr)
lis.settimeout(15)
env = dict(os.environ, NOTIFY_SOCKET=addr)
log = open(os.path.join(d, "log"), "w")
p = subprocess.Popen([vswitchd, "--socket", sock_path, "--state-dir",
                      os.path.join(d, "state"), "--user", "root"],
                     env=env, stdout=log, stderr=log)
fail = []
try:
    msg = lis.recv(4096).decode()
    # The socket must answer as soon as READY=1 has arrived.
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(5)
    try:
        c.connect(sock_path)
        greeting = c.makefile().readline()
        if '"vswitch"' not in greeting:
            fail.append("no greeting after READY=1: %r" % greeting)
    except OSError as e:
        fail.append("control socket not there after READY=1: %s" % e)
    c.close()
    if msg != "READY=1":
        fail.append("got %r, want READY=1" % msg)
    # The NAT helper does not inherit NOTIFY_SOCKET.
    nat = None
    for _ in range(100):
        r = subprocess.run([vswitchctl, "-s", sock_path, "--json", "nat", "show"],
                           capture_output=True, text=True)
        if r.returncode == 0 and json.loads(r.stdout).get("pid"):
            nat = json.loads(r.stdout)["pid"]
            break
        time.sleep(0.1)
    if not nat:
        fail.append("the NAT helper did not start")
    else:
        try:
            with open("/proc/%d/environ" % nat, "rb") as f:
                if b"NOTIFY_SOCKET=" in f.read():
                    fail.append("the NAT helper inherited NOTIFY_SOCKET")
        except PermissionError:
            print("(not root: cannot read the NAT helper's environment)")
    p.send_signal(signal.SIGTERM)
    msg = lis.recv(4096).decode()
    if msg != "STOPPING=1":
        fail.append("on SIGTERM: got %r, want STOPPING=1" % msg)
    p.wait(timeout=10)
except socket.timeout:
    fail.append("no notification within 15 s")
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
for f in fail:
    print(f)
sys.exit(1 if fail else 0)
EOF

ready() { # NAME ADDR
	mkdir -p "$tmp/$1"
	"$python" "$tmp/notify.py" "$2" "$tmp/$1" "$vswitchd" "$vswitchctl" ||
		{ cat "$tmp/$1/log"; return 1; }
}
check "READY=1 on NOTIFY_SOCKET (a path) once the socket answers, then STOPPING=1" \
	ready n-path "$tmp/notify.sock"
check "... on an abstract NOTIFY_SOCKET (@name) too" \
	ready n-abstract "@vswitch-test-notify-$$"

# A NOTIFY_SOCKET that names nothing usable: vswitchd says so and runs.
bogus() {
	local i

	mkdir -p "$tmp/n-bogus"
	NOTIFY_SOCKET=relative/path "$vswitchd" --socket "$tmp/n-bogus/s" \
		--state-dir "$tmp/n-bogus/state" --user root >"$tmp/n-bogus/log" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		"$vswitchctl" -s "$tmp/n-bogus/s" switch list >/dev/null 2>&1 && break
		sleep 0.1
	done
	stop
	if ! grep -q 'NOTIFY_SOCKET=relative/path: not a socket path' "$tmp/n-bogus/log" ||
	   [ "$i" -ge 100 ]; then
		cat "$tmp/n-bogus/log"
		return 1
	fi
}
check "a NOTIFY_SOCKET that is no socket: a warning, and vswitchd runs" bogus

# --- The bounding set, as root -------------------------------------------

if [ "$(id -u)" != 0 ]; then
	echo "skip - CapabilityBoundingSet= checks need root"
else
	# CAP_A CAP_B -> -all,+a,+b: setpriv's form of the unit's set.
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$sys_unit")
	bset=-all
	for c in $caps; do
		c=${c#CAP_}
		bset=$bset,+${c,,}
	done
	args=$(sed -n "s|^ExecStart=$sbindir/vswitchd||p" "$sys_unit")
	CAP_NET_BIND_SERVICE=$((1 << 10))

	start() { # NAME BSET ARGS...: vswitchd as the unit would start it
		local name=$1 b=$2 i

		shift 2
		mkdir -p "$tmp/$name"
		# shellcheck disable=SC2086 # $args: the unit's options, words
		setpriv --bounding-set "$b" --no-new-privs "$vswitchd" $args "$@" \
			--socket "$tmp/$name/s" --state-dir "$tmp/$name/state" \
			>>"$tmp/$name.log" 2>&1 &
		pid=$!
		for ((i = 0; i < 100; i++)); do
			"$vswitchctl" -s "$tmp/$name/s" nat show 2>/dev/null | grep -q running &&
				return 0
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		cat "$tmp/$name.log"
		return 1
	}
	# --socket-group vswitch from the unit, then nogroup: the last one counts.
	check "under the unit's bounding set ($caps), vswitchd starts as --user nobody" \
		start u "$bset" --user nobody --socket-group nogroup
	check "... gives its socket to the group (CAP_CHOWN)" \
		sh -c "[ \"\$(stat -c %G:%a $tmp/u/s)\" = nogroup:660 ]"
	check "... becomes nobody with an empty bounding set" \
		sh -c "awk '/^Uid:/ { print \$2 }' /proc/$pid/status | grep -qx 65534 &&
		       grep -q '^CapBnd:.0000000000000000' /proc/$pid/status"
	check "... and keeps CAP_NET_BIND_SERVICE for its NAT helper (ambient)" \
		grep -q "^CapAmb:.$(printf %016x $CAP_NET_BIND_SERVICE)\$" "/proc/$pid/status"
	check "... saves a switch" "$vswitchctl" -s "$tmp/u/s" switch add lab --type private
	stop
	check "... starts again on the state directory nobody owns now" \
		start u "$bset" --user nobody --socket-group nogroup
	check "... and has the switch back" \
		sh -c "$vswitchctl -s $tmp/u/s switch list | grep -q '^lab '"
	stop
	check "staying root under that set, its NAT helper starts (CAP_SETUID, _SETGID)" \
		start r "$bset" --user root --socket-group nogroup
	stop
	# The state directory of the first start, again, without CAP_DAC_OVERRIDE.
	no_dac() {
		local r=0

		cp -a "$tmp/u" "$tmp/v"
		[ "$bset" != "${bset/,+dac_override/}" ] || return 1
		start v "${bset/,+dac_override/}" --user nobody --socket-group nogroup && r=1
		stop
		return "$r"
	}
	check "without CAP_DAC_OVERRIDE, the second start fails (the set is not padded)" \
		no_dac
fi

report test-systemd
