#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-cli.sh - vswitchctl against a private vswitchd: every command, errors, persistence.
#
# Needs no root and no network namespace: the daemon gets a temporary socket
# and state directory, and the test creates no interface and sends no frame.
# Ports are attached by a small Python client that holds the connection
# open and prints what the daemon sends it (replies, events).  Every wait is
# bounded.  Exit: 0 pass, 1 fail, 77 skip (no python3).
#
# As root it also checks roles: a second vswitchd, started with
# --socket-group of a group the test creates (and deletes at exit), is used
# by the user nobody through setpriv, who must be a port client there.
#
# Environment: VSWITCH_BUILD_DIR (default: <repo>/build).

set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
vswitchd=$build/net-backend/daemon/vswitchd
vswitchctl=$build/net-backend/cli/vswitchctl
completion=$repo/contrib/bash-completion/vswitchctl

# The system's python3 first: version-manager shims take ~0.2 s to start.
python=$(command -v /usr/bin/python3 || command -v python3)
if [ -z "$python" ]; then
	echo "SKIP: python3 is needed to parse --json output"
	exit 77
fi
for f in "$vswitchd" "$vswitchctl"; do
	if [ ! -x "$f" ]; then
		echo "FAIL: $f is missing: build first (meson compile -C $build)"
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-cli.XXXXXX") || exit 1
sock=$tmp/vswitchd.sock
state=$tmp/state
daemon_pid=
helper_pids=()
failures=0
checks=0
# The role check's own daemon, directory and group (as root only).
role_pid=
role_dir=
role_group=

cleanup() {
	local pid

	for pid in "${helper_pids[@]}" $daemon_pid $role_pid; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	done
	rm -rf "$tmp"
	[ -z "$role_dir" ] || rm -rf "$role_dir"
	[ -z "$role_group" ] || groupdel "$role_group" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	failures=$((failures + 1))
	echo "FAIL: $*"
	if [ -s "$tmp/out" ]; then sed 's/^/  stdout: /' "$tmp/out" | head -20; fi
	if [ -s "$tmp/err" ]; then sed 's/^/  stderr: /' "$tmp/err" | head -20; fi
}

# Wait up to $1 tenths of a second for the command "$2..." to succeed.
wait_for() {
	local tenths=$1 i

	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ctl ARGS...: run vswitchctl on the private socket; sets $rc, $tmp/out, $tmp/err.
# It runs through ctl_as (setpriv ...) when that is set.
ctl_as=()
ctl() {
	${ctl_as[@]+"${ctl_as[@]}"} "$vswitchctl" --socket "$sock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	last="${ctl_as[*]+${ctl_as[*]} }vswitchctl $*"
}

# expect RC ARGS...: run vswitchctl and check its exit status.
expect() {
	local want=$1

	shift
	checks=$((checks + 1))
	ctl "$@"
	[ "$rc" = "$want" ] || fail "$last: exit $rc, expected $want"
}

# out_has / err_has TEXT: the last command's stdout / stderr contains TEXT.
out_has() { grep -qF -- "$1" "$tmp/out" || fail "$last: stdout lacks '$1'"; }
err_has() { grep -qF -- "$1" "$tmp/err" || fail "$last: stderr lacks '$1'"; }
# out_re REGEX: some stdout line matches the extended REGEX.
out_re() { grep -qE -- "$1" "$tmp/out" || fail "$last: no stdout line matches /$1/"; }
out_lacks() { ! grep -qF -- "$1" "$tmp/out" || fail "$last: stdout has '$1'"; }
out_empty() { [ ! -s "$tmp/out" ] || fail "$last: stdout not empty"; }
err_empty() { [ ! -s "$tmp/err" ] || fail "$last: stderr not empty"; }

# json_ok EXPR: stdout is JSON, and the Python expression EXPR holds for it (d).
json_ok() {
	"$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$tmp/out" "$1" 2>>"$tmp/err" ||
		fail "$last: JSON check failed: $1"
}

# event_seen FILE EXPR: a line of FILE (a port client's output) is an event
# for which the Python expression EXPR holds (e).
event_seen() {
	"$python" -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if isinstance(e, dict) and "event" in e and eval(sys.argv[2]):
        sys.exit(0)
sys.exit(1)' "$1" "$2" 2>/dev/null
}

# expect_event NAME EXPR: port client NAME hears such an event within 10 s.
expect_event() {
	checks=$((checks + 1))
	wait_for 100 event_seen "$tmp/$1" "$2" ||
		fail "port client $1 heard no event with $2: $(cat "$tmp/$1")"
}

# nat_running: the NAT helper is up (after a start or a restart).
nat_running() {
	"$vswitchctl" --socket "$sock" --json nat show 2>/dev/null |
		"$python" -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["running"] else 1)' \
		2>/dev/null
}

# port_gone SWITCH PORT: no such port is attached.
port_gone() {
	! "$vswitchctl" --socket "$sock" port list "$1" | awk 'NR > 1 { print $2 }' | grep -qx "$2"
}

wait_nat() {
	checks=$((checks + 1))
	wait_for 100 nat_running || fail "the NAT is not running 10 s after: $last"
}

uid=$(id -u)
if [ "$uid" = 0 ]; then root=True; else root=False; fi
# Name resolution: nobody (65534 on every common distribution) and group 0.
nobody_uid=$(getent passwd nobody | cut -d: -f3)
nobody_uid=${nobody_uid:-65534}
group0=$(getent group 0 | cut -d: -f1)
group0=${group0:-root}

start_daemon() {
	"$vswitchd" --socket "$sock" --state-dir "$state" >>"$tmp/vswitchd.log" 2>&1 &
	daemon_pid=$!
	if ! wait_for 100 test -S "$sock" || ! kill -0 "$daemon_pid" 2>/dev/null; then
		echo "FAIL: vswitchd did not start; its log:"
		cat "$tmp/vswitchd.log"
		exit 1
	fi
}

stop_daemon() {
	local status

	kill -TERM "$daemon_pid"
	if ! wait_for 100 eval '! kill -0 "$daemon_pid" 2>/dev/null'; then
		fail "vswitchd (pid $daemon_pid) ignored SIGTERM for 10 s"
		kill -KILL "$daemon_pid"
	fi
	wait "$daemon_pid"
	status=$?
	[ "$status" = 0 ] || fail "vswitchd exited with status $status on SIGTERM"
	daemon_pid=
}

# role_check: nobody is a port client of a vswitchd (run by root) whose
# --socket-group it is in.  Uses a group, a daemon and a directory of its
# own, all gone when it returns (or in the EXIT trap).
role_check() {
	local name=vswcli$$ gid main_sock=$sock

	if ! groupadd --system "$name" 2>"$tmp/err"; then
		fail "groupadd --system $name failed"
		return
	fi
	role_group=$name
	gid=$(getent group "$name" | cut -d: -f3)
	role_dir=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-role.XXXXXX") || { fail "mktemp"; return; }
	chmod 0711 "$role_dir"	# nobody may reach the socket, not list the directory
	sock=$role_dir/vswitchd.sock
	"$vswitchd" --socket "$sock" --state-dir "$role_dir/state" --socket-group "$name" \
		>>"$tmp/vswitchd.log" 2>&1 &
	role_pid=$!
	checks=$((checks + 1))
	if ! wait_for 100 test -S "$sock"; then
		fail "vswitchd --socket-group $name did not start"
	elif [ "$(stat -c %a:%G "$sock")" != "660:$name" ]; then
		fail "socket of vswitchd --socket-group $name: $(stat -c %a:%G "$sock"), expected 660:$name"
	elif ! setpriv --reuid=65534 --regid=65534 --clear-groups "$vswitchctl" --version \
		>/dev/null 2>&1; then
		echo "SKIP: nobody cannot run $vswitchctl (build directory not readable): role checks"
	else
		# Without the group, nobody cannot even connect.
		ctl_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		expect 1 whoami
		err_has "cannot connect to $sock: Permission denied"
		# In it (as with --socket-group libvirt-qemu), nobody is a port client.
		ctl_as=(setpriv --reuid=65534 --regid=65534 --groups="$gid")
		expect 0 whoami
		out_re '^uid: +65534 '
		out_re '^role: +port-client$'
		expect 0 whoami --json
		json_ok 'd["uid"] == 65534 and d["gid"] == 65534 and d["pid"] > 0 and d["role"] == "port-client"'
		expect 1 switch add x
		err_has "vswitchctl: 'switch-add' is for administrators: uid 65534 is a port client"
		out_empty
		expect 1 switch list
		err_has "'switch-list' is for administrators: uid 65534 is a port client"
		expect 1 switch set Default --client-vlans any
		err_has "'switch-set' is for administrators"
		expect 1 port provision Default p1
		err_has "'port-provision' is for administrators"
		expect 1 port set Default nat --vlan 5
		err_has "'port-set' is for administrators"
		expect 1 nat set mtu 1400
		err_has "'nat-set' is for administrators"
		expect 1 mac list Default
		err_has "'mac-table' is for administrators"
		expect 1 raw switch-add '{"name": "x"}'
		json_ok 'd["error"]["class"] == "PermissionDenied"'
		# A port client sees only its own process's ports: none.
		expect 0 port list --json
		json_ok 'd["ports"] == []'
		ctl_as=()
		expect 0 switch list --json
		json_ok '[s["name"] for s in d["switches"]] == ["Default"]'
	fi
	sock=$main_sock
	kill -TERM "$role_pid"
	wait_for 100 eval '! kill -0 "$role_pid" 2>/dev/null' || kill -KILL "$role_pid"
	wait "$role_pid" 2>/dev/null
	role_pid=
	rm -rf "$role_dir"
	role_dir=
	groupdel "$role_group" || fail "groupdel $role_group failed"
	role_group=
}

# A client that attaches a port and holds it, printing the reply and every
# event: attach.py PATH SWITCH PORT [MAC].
cat >"$tmp/attach.py" <<'EOF'
import array, json, os, socket, sys

path, switch, port = sys.argv[1:4]
mac = sys.argv[4] if len(sys.argv) > 4 else "52:54:00:12:34:56"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(path)
buf = b""

def read_line():
    global buf
    while b"\n" not in buf:
        data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(3 * 4))
        for level, kind, fds in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(fds[: len(fds) - len(fds) % a.itemsize])
                for fd in a:
                    os.close(fd)
        if not data:
            return None
        buf += data
    line, buf = buf.split(b"\n", 1)
    return json.loads(line)

read_line()
args = {"switch": switch, "port": port, "mac": mac}
s.sendall((json.dumps({"execute": "port-attach", "arguments": args}) + "\n").encode())
print(json.dumps(read_line()), flush=True)
s.settimeout(None)
while True:
    line = read_line()
    if line is None:
        break
    print(json.dumps(line), flush=True)
print("closed", flush=True)
EOF

# attach NAME SWITCH PORT [MAC]: start the client; its output goes to $tmp/NAME.
attach() {
	"$python" "$tmp/attach.py" "$sock" "$2" "$3" ${4:+"$4"} >"$tmp/$1" 2>&1 &
	attached_pid=$!
	helper_pids+=($!)
	wait_for 100 test -s "$tmp/$1" || fail "port client $1 printed nothing"
	grep -q '"return"' "$tmp/$1" || fail "port-attach $2/$3 failed: $(cat "$tmp/$1")"
}

# A fake daemon: fake.py PATH MODE, MODE "mute" (never greets) or "proto2".
cat >"$tmp/fake.py" <<'EOF'
import socket, sys

path, mode = sys.argv[1:3]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
held = []
while True:
    c, _ = srv.accept()
    if mode == "proto2":
        c.sendall(b'{"vswitch": {"version": "9.0", "protocol": 2}}\n')
    held.append(c)
EOF

fake() {
	"$python" "$tmp/fake.py" "$tmp/$1.sock" "$1" >/dev/null 2>&1 &
	helper_pids+=($!)
	wait_for 100 test -S "$tmp/$1.sock" || fail "fake daemon $1 did not start"
}

# ------------------------------------------------------------------
# Usage and help, no daemon needed

expect 2
err_has "vswitchctl: no command given"
expect 0 help
for s in "switch list" "switch add NAME" "switch remove NAME [--force]" \
	 "switch rename NAME NEW-NAME" "switch show NAME" "switch set NAME [OPTIONS]" \
	 "port list [SWITCH]" "port show SWITCH PORT" "port set SWITCH PORT [OPTIONS]" \
	 "port provision SWITCH PORT [OPTIONS]" "port unprovision SWITCH PORT" \
	 "port provisioned [SWITCH]" "mac list SWITCH" "nat show" \
	 "nat set KEY VALUE|--default" "nat reset KEY" "nat forward add|remove|list ..." \
	 "whoami" "version" "raw COMMAND [ARGS-JSON]"; do
	out_has "  $s "
done
# No line of the table of commands is wider than 80 columns.
checks=$((checks + 1))
awk '/^Commands:/ { t = 1; next } /^$/ { t = 0 } t && length > 80 { exit 1 }' "$tmp/out" ||
	fail "vswitchctl help: a command line is wider than 80 columns"
expect 0 --help
out_has "--timeout MS"
expect 0 switch add --help
out_has "Usage: vswitchctl [OPTIONS] switch add NAME"
expect 0 help port set
out_has "untagged"
out_has "[--dhcp-guard on|off]"
out_has "--router-guard on|off"
expect 0 port --help
out_has "port show SWITCH PORT"
out_has "port provisioned [SWITCH]"
expect 0 port provision --help
out_has "[--owner-user USER]"
out_has "[--mac MAC]..."
expect 0 help switch set
out_has "[--client-vlans none|any|LIST]"
out_has "--access-default"
expect 0 help nat set
out_has "host-loopback on|off"
expect 0 whoami --help
out_has "Usage: vswitchctl [OPTIONS] whoami"
out_has "port client"
expect 0 --version
out_re '^vswitchctl [0-9]+\.[0-9]+\.[0-9]+ \(protocol 1\)$'
expect 2 frobnicate
err_has "vswitchctl: no command 'frobnicate'"
expect 2 switch frobnicate
err_has "no command 'switch frobnicate'"
expect 2 switch add
err_has "vswitchctl: missing NAME"
err_has "Usage: vswitchctl [OPTIONS] switch add NAME"
expect 2 switch rename a
err_has "missing NEW-NAME"
expect 2 switch add a b
err_has "unexpected argument 'b'"
expect 2 switch remove a --bogus
err_has "unknown option '--bogus'"
expect 2 --bogus switch list
err_has "unknown option '--bogus'"
expect 2 --timeout 0 switch list
err_has "invalid timeout '0'"
expect 2 switch list --timeout
err_has "needs a value"
expect 2 mac list
err_has "missing SWITCH"
expect 2 raw
expect 2 raw switch-add '{"name":'
err_has "invalid ARGS-JSON"

# Usage errors of the new commands: found before vswitchd is asked.
expect 2 whoami extra
err_has "unexpected argument 'extra'"
expect 2 switch set
err_has "missing NAME"
expect 2 switch set lab
err_has "nothing to set"
expect 2 switch set lab --access-default --allow-users root
err_has "--access-default and --allow-users/--allow-groups exclude each other"
expect 2 switch set lab --allow-users no-such-user-x9
err_has "--allow-users: no user 'no-such-user-x9'"
expect 2 switch set lab --allow-groups root,no-such-group-x9
err_has "--allow-groups: no group 'no-such-group-x9'"
expect 2 switch set lab --allow-users 4294967295
err_has "no user '4294967295'"
for bad in 5-3 0 4095 abc 10,,20 "" any,10; do
	expect 2 switch set lab --client-vlans "$bad"
	err_has "invalid --client-vlans '$bad'"
done
expect 2 switch set lab --client-vlans
err_has "needs a value"
# Host adapter and NIC options (the daemon's refusals: test-external.sh).
expect 2 switch add x --type bridge
err_has "invalid --type 'bridge': private, internal or external"
expect 2 switch add x --nic eth0 --shared --dedicated
err_has "--shared and --dedicated exclude each other"
expect 2 switch set lab --nic eth0 --no-nic
err_has "--nic and --no-nic exclude each other"
expect 2 switch set lab --host-adapter --no-host-adapter
err_has "--host-adapter and --no-host-adapter exclude each other"
expect 2 switch set lab --move
err_has "--move goes with --nic"
for bad in 4095 -1 x; do
	expect 2 switch set lab --host-adapter-vlan "$bad"
	err_has "invalid --host-adapter-vlan '$bad'"
done
expect 2 port set lab vm1 --dhcp-guard maybe
err_has "invalid value 'maybe' for --dhcp-guard: on or off"
expect 2 port set lab vm1 --mac-spoofing
err_has "needs a value"
expect 2 port set lab vm1 --router-guard=
err_has "invalid value '' for --router-guard"
expect 2 port provision lab
err_has "missing PORT"
expect 2 port provision lab p1 --mac 52:54:00:12:34
err_has "invalid MAC address '52:54:00:12:34'"
expect 2 port provision lab p1 --mac 52:54:00:12:34:56,zz
err_has "invalid MAC address 'zz'"
expect 2 port provision lab p1 --owner-user no-such-user-x9
err_has "--owner-user: no user 'no-such-user-x9'"
expect 2 port provision lab p1 --owner-group no-such-group-x9
err_has "--owner-group: no group 'no-such-group-x9'"
expect 2 port provision lab p1 --vlan 4095
err_has "invalid VLAN '4095'"
expect 2 port provision lab p1 --bogus
err_has "unknown option '--bogus'"
expect 2 port unprovision lab
err_has "missing PORT"
expect 2 port provisioned a b
err_has "unexpected argument 'b'"
expect 2 nat set
err_has "missing KEY"
expect 2 nat set mtu
err_has "missing VALUE (or --default)"
expect 2 nat set mtu 1400 --default
err_has "give a VALUE or --default, not both"
expect 2 nat set bogus 1
err_has "unknown NAT setting 'bogus'"
expect 2 nat set ipv6 maybe
err_has "invalid value 'maybe' for ipv6: on or off"
expect 2 nat reset
err_has "missing KEY"
expect 2 nat reset bogus
err_has "unknown NAT setting 'bogus'"

# ------------------------------------------------------------------
# Connection failures

expect 1 switch list
err_has "vswitchctl: cannot connect to $sock: No such file or directory (is vswitchd running?)"
fake mute
start=$(date +%s%N)
checks=$((checks + 1))
"$vswitchctl" --socket "$tmp/mute.sock" --timeout 300 switch list >"$tmp/out" 2>"$tmp/err"
rc=$?
last="vswitchctl --timeout 300 switch list (mute daemon)"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" = 1 ] || fail "$last: exit $rc, expected 1"
err_has "did not answer within 300 ms"
[ "$elapsed_ms" -lt 3000 ] || fail "$last: took $elapsed_ms ms"
fake proto2
checks=$((checks + 1))
"$vswitchctl" --socket "$tmp/proto2.sock" version >"$tmp/out" 2>"$tmp/err"
rc=$?
last="vswitchctl version (protocol 2 daemon)"
[ "$rc" = 1 ] || fail "$last: exit $rc, expected 1"
err_has "speaks protocol 2, this vswitchctl speaks protocol 1"

# ------------------------------------------------------------------
# Switches

start_daemon

expect 0 version
out_re '^vswitchctl [0-9.]+ \(protocol 1\)$'
out_re '^vswitchd [0-9.]+ \(protocol 1\)$'
expect 0 version --json
json_ok 'd["client"]["protocol"] == 1 and d["daemon"]["protocol"] == 1 and d["daemon"]["version"]'

# Whoever runs the daemon's own user (or root) is its administrator.
expect 0 whoami
out_re "^uid: +$uid \\($(id -un)\\)$"
out_re "^gid: +$(id -g) \\("
out_re '^pid: +[1-9][0-9]*$'
out_re '^role: +administrator$'
expect 0 whoami --json
json_ok "d['uid'] == $uid and d['gid'] == $(id -g) and d['pid'] > 0 and d['role'] == 'administrator'"

# The Default switch always has one port: its NAT.
expect 0 switch list
out_re '^NAME +TYPE +PORTS$'
out_re '^Default +default +1$'
expect 0 switch
out_re '^Default +default +1$'

expect 0 switch add lab
out_empty
err_empty
expect 1 switch add lab
err_has "vswitchctl: switch 'lab' already exists"
expect 1 switch add default
err_has "already exists"
expect 1 switch add 'bad name'
err_has "invalid switch name 'bad name'"
expect 2 switch add -x
expect 1 switch add -- -x
err_has "invalid switch name '-x'"
expect 0 switch add lab2
expect 0 switch add tmp1

expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab", "lab2", "tmp1"]'
json_ok '[s["type"] for s in d["switches"]] == ["default", "private", "private", "private"]'
json_ok '[s["ports"] for s in d["switches"]] == [1, 0, 0, 0]'
expect 0 --json switch list
json_ok 'len(d["switches"]) == 4'

expect 0 switch show lab
out_re '^switch: +lab$'
out_re '^type: +private$'
out_re '^ports: +0$'
out_re '^mac table: +0 of [0-9]+ entries$'
out_re "^access: +default \\(members of vswitchd's --socket-group\\)$"
if [ "$root" = True ]; then out_re '^client-vlans: +none \(untagged only\)$'; else out_re '^client-vlans: +any$'; fi
expect 0 switch show lab --json
json_ok 'd["name"] == "lab" and d["type"] == "private" and d["ports"] == [] and d["mac-capacity"] > 0 and d["mac-entries"] == 0'
json_ok "d['access-default'] is True and d['allow-users'] == [] and d['allow-groups'] == [] and d['client-vlans'] == ('none' if $root else 'any')"
expect 1 switch show nope
err_has "vswitchctl: switch 'nope' does not exist"

expect 1 switch rename lab2 lab
err_has "vswitchctl: cannot rename switch 'lab2' to 'lab': 'lab' already exists"
expect 0 switch rename lab2 lab3
expect 0 switch list
out_re '^lab3 +private +0$'
out_lacks "lab2"
expect 1 switch rename nope x
err_has "switch 'nope' does not exist"
expect 1 switch rename Default x
err_has "cannot be renamed"

expect 1 switch remove Default
err_has "vswitchctl: switch 'Default' is the Default switch: it cannot be removed"
expect 1 switch remove nope
err_has "switch 'nope' does not exist"
expect 0 switch remove tmp1
out_empty
expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab", "lab3"]'
json_ok 'all(s["access-default"] is True and s["allow-users"] == [] for s in d["switches"])'

# ------------------------------------------------------------------
# Who may attach ports: switch set

expect 0 switch set lab --allow-users nobody,0,"$nobody_uid" --allow-groups "$group0"
out_empty
err_empty
expect 0 switch show lab --json
json_ok "d['access-default'] is False and d['allow-users'] == [$nobody_uid, 0] and d['allow-groups'] == [0]"
expect 0 switch show lab
out_re "^access: +users nobody, $(id -un 0); groups $group0$"
# One list replaces its own and keeps the other.
expect 0 switch set lab --allow-groups none
expect 0 switch show lab --json
json_ok "d['allow-users'] == [$nobody_uid, 0] and d['allow-groups'] == []"
expect 0 switch show lab
out_re '^access: +users nobody, '
expect 0 switch set lab --allow-users none
expect 0 switch show lab --json
json_ok 'd["access-default"] is False and d["allow-users"] == [] and d["allow-groups"] == []'
expect 0 switch show lab
out_re '^access: +administrators only$'
expect 0 switch set lab --allow-groups 0,4242
expect 0 switch show lab
out_re "^access: +groups $group0, (4242|[a-z_][^ ]*)$"
expect 0 switch set lab --access-default
expect 0 switch show lab --json
json_ok 'd["access-default"] is True and d["allow-users"] == [] and d["allow-groups"] == []'
# The daemon's checks of host adapter and NIC arguments (nothing changes).
expect 1 switch add x --type external
err_has "an external switch needs a NIC"
expect 1 switch add x --type private --host-adapter-name vx
err_has "a private switch has no host adapter"
expect 1 switch set lab --dedicated
err_has "switch 'lab' has no NIC"
expect 1 switch set lab --nic-vlan 10
err_has "switch 'lab' has no NIC"
expect 1 switch set Default --nic eth0
err_has "Default switch: it takes no NIC"
expect 1 switch set lab --host-adapter-name "bad/name"
err_has "invalid host adapter name 'bad/name'"
expect 0 switch show lab --json
json_ok 'd["type"] == "private" and d["host-adapter"] is None and d["nic"] is None'
expect 0 switch set lab --client-vlans 10,20-29
expect 0 switch show lab --json
json_ok 'd["client-vlans"] == "10;20-29" and d["access-default"] is True'
expect 0 switch show lab
out_re '^client-vlans: +10;20-29$'
expect 0 switch set lab --client-vlans ANY
expect 0 switch show lab --json
json_ok 'd["client-vlans"] == "any"'
expect 0 switch set lab --client-vlans none --json
json_ok 'd == {}'
expect 0 switch show lab --json
json_ok 'd["client-vlans"] == "none"'
expect 0 switch list --json
json_ok '[s["client-vlans"] for s in d["switches"] if s["name"] == "lab"] == ["none"]'
expect 1 switch set nope --client-vlans any
err_has "vswitchctl: switch 'nope' does not exist"
expect 1 switch set nope --allow-users root
err_has "switch 'nope' does not exist"
# What the daemon checks itself.
expect 1 raw switch-set '{"name": "lab", "access-default": true, "allow-users": [1]}'
json_ok 'd["error"]["class"] == "InvalidArgument" and "exclude each other" in d["error"]["desc"]'
expect 1 raw switch-set '{"name": "lab", "client-vlans": "4095"}'
json_ok 'd["error"]["class"] == "InvalidArgument" and "client-vlans" in d["error"]["desc"]'
expect 1 raw switch-set '{"name": "lab", "allow-users": ["root"]}'
json_ok 'd["error"]["class"] == "InvalidArgument"'
expect 1 raw switch-set '{"name": "lab", "allow-users": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65]}'
json_ok 'd["error"]["class"] == "InvalidArgument"'
# For the restart below: lab lets nobody attach, with VLANs 10 and 20-29.
expect 0 switch set lab --allow-users nobody --client-vlans 10,20-29

# ------------------------------------------------------------------
# raw

expect 0 raw version
json_ok 'd["return"]["protocol"] == 1'
expect 0 raw switch-show '{"name": "lab"}'
json_ok 'd["return"]["name"] == "lab"'
expect 0 raw '{"execute": "version", "id": "x"}'
json_ok 'd["id"] == "x" and "return" in d'
expect 1 raw no-such-command
json_ok 'd["error"]["class"] == "CommandNotFound"'
expect 1 raw switch-add '{"name": "z", "typo": 1}'
json_ok 'd["error"]["class"] == "InvalidArgument"'

# ------------------------------------------------------------------
# Ports, VLANs, MAC table

expect 0 port list
out_re '^SWITCH +PORT +KIND +VLAN +MAC +RX-PKTS +RX-BYTES +TX-PKTS +TX-BYTES +DROPS$'
expect 0 port list --json
json_ok '[(p["switch"], p["kind"]) for p in d["ports"]] == [("Default", "nat")]'
expect 1 port list nope
err_has "switch 'nope' does not exist"

attach vm1 lab vm1
expect 0 port list
out_re '^lab +vm1 +vm +none +52:54:00:12:34:56 +0 +0 +0 +0 +0$'
expect 0 port list lab --json
json_ok 'len(d["ports"]) == 1 and d["ports"][0]["name"] == "vm1" and d["ports"][0]["switch"] == "lab"'
json_ok 'isinstance(d["ports"][0]["drops"], dict) and "ring-full" in d["ports"][0]["drops"]'
expect 0 port list lab3
out_lacks "vm1"

expect 0 port show lab vm1
out_re '^port: +vm1$'
out_re '^vlan: +none$'
out_re '^rx: +0 packets, 0 bytes$'
out_re '^drops: +0$'
out_re '^  ring-full +0$'
out_re '^  vlan-violation +0$'
out_re '^macs: +52:54:00:12:34:56$'
out_re '^provisioned: +no$'
out_re '^mac-spoofing: +off$'
out_re '^dhcp-guard: +off$'
out_re '^router-guard: +off$'
out_re "^client: +uid $uid \\($(id -un)\\), pid [1-9][0-9]*$"
out_re '^wakeups: +[0-9]+$'
out_re '^muted: +0$'
for r in runt bad-source hairpin bad-offload mac-spoofing dhcp-guard router-guard over-budget; do
	out_re "^  $r +0$"
done
expect 0 port show lab vm1 --json
json_ok 'd["name"] == "vm1" and d["kind"] == "vm" and d["vlan"] == 0 and d["tx-packets"] == 0 and sum(d["drops"].values()) == 0'
json_ok 'd["macs"] == ["52:54:00:12:34:56"] and d["provisioned"] is False and d["mac-spoofing"] is False and d["dhcp-guard"] is False and d["router-guard"] is False'
json_ok "d['client-uid'] == $uid and d['client-pid'] > 0 and d['wakeups'] >= 0 and d['muted'] == 0"
json_ok 'sorted(d["drops"]) == sorted(["ring-full", "runt", "vlan-violation", "bad-source", "hairpin", "bad-offload", "mac-spoofing", "dhcp-guard", "router-guard", "over-budget", "unused-vlan"])'
# The NAT's port has no client process.
expect 0 port show Default nat --json
json_ok 'd["kind"] == "nat" and "client-uid" not in d and "client-pid" not in d and d["mac-spoofing"] is False'
expect 0 port show Default nat
out_lacks "client:"
expect 1 port show lab nope
err_has "vswitchctl: switch 'lab' has no port 'nope'"
expect 1 port show nope vm1
err_has "switch 'nope' does not exist"

expect 0 port set lab vm1 --vlan 20
out_empty
expect_event vm1 'e["event"] == "PORT_VLAN" and e["data"] == {"switch": "lab", "port": "vm1", "vlan": 20}'
expect 0 port list
out_re '^lab +vm1 +vm +20 '
expect 0 port show lab vm1
out_re '^provisioned: +yes$'
expect 0 port set lab vm1 --vlan=untagged
expect 0 port show lab vm1 --json
json_ok 'd["vlan"] == 0'
expect 0 port set lab vm1 --vlan 4094
expect 0 port show lab vm1 --json
json_ok 'd["vlan"] == 4094'
expect 0 port set lab vm1 --vlan none
expect 0 port set lab vm1 --vlan 20
for bad in 4095 -1 abc 99999 1e3 ""; do
	expect 2 port set lab vm1 --vlan "$bad"
	err_has "invalid VLAN '$bad'"
done
expect 2 port set lab vm1
err_has "nothing to set"
expect 2 port set lab vm1 --vlan
err_has "needs a value"
expect 1 port set lab nope --vlan 5
err_has "switch 'lab' has no port 'nope'"
expect 1 port set nope vm1 --vlan 5
err_has "switch 'nope' does not exist"
expect 0 port show lab vm1 --json
json_ok 'd["vlan"] == 20'

# Guards: what is not given stays as it is.
expect 0 port set lab vm1 --dhcp-guard on --router-guard yes
out_empty
expect 0 port show lab vm1 --json
json_ok 'd["dhcp-guard"] is True and d["router-guard"] is True and d["mac-spoofing"] is False and d["vlan"] == 20 and d["provisioned"] is True'
expect 0 port show lab vm1
out_re '^dhcp-guard: +on$'
out_re '^router-guard: +on$'
expect 0 port set lab vm1 --mac-spoofing ON --json
json_ok 'd == {}'
expect 0 port show lab vm1 --json
json_ok 'd["mac-spoofing"] is True and d["dhcp-guard"] is True'
expect 0 port set lab vm1 --mac-spoofing=off --router-guard false
expect 0 port show lab vm1 --json
json_ok 'd["mac-spoofing"] is False and d["dhcp-guard"] is True and d["router-guard"] is False and d["vlan"] == 20'
expect 1 port set Default nat --dhcp-guard on
err_has "vswitchctl: port 'nat' of switch 'Default' belongs to the switch itself: it cannot be changed"
expect 1 raw port-set '{"switch": "lab", "port": "vm1", "dhcp-guard": "on"}'
json_ok 'd["error"]["class"] == "InvalidArgument"'
# What port set sets persists as the port's provisioned entry.
expect 0 port provisioned --json
json_ok '[(p["switch"], p["name"], p["vlan"], p["dhcp-guard"], p["router-guard"], p["attached"]) for p in d["ports"]] == [("lab", "vm1", 20, True, False, True)]'
json_ok '"owner-user" not in d["ports"][0] and "owner-group" not in d["ports"][0] and d["ports"][0]["macs"] == []'

# ------------------------------------------------------------------
# Provisioned ports

expect 0 port provision lab web --vlan 30 --mac 52:54:00:00:00:0A --mac 52-54-00-00-00-0b \
	--dhcp-guard on --owner-user nobody --owner-group "$group0"
out_empty
err_empty
expect 0 port provisioned lab --json
json_ok '[p["name"] for p in d["ports"]] == ["vm1", "web"]'
json_ok "[(p['vlan'], p['macs'], p['mac-spoofing'], p['dhcp-guard'], p['router-guard'], p['owner-user'], p['owner-group'], p['attached']) for p in d['ports'] if p['name'] == 'web'] == [(30, ['52:54:00:00:00:0a', '52:54:00:00:00:0b'], False, True, False, $nobody_uid, 0, False)]"
expect 0 port provisioned
out_re '^SWITCH +PORT +VLAN +MACS +FLAGS +OWNER +ATTACHED$'
out_re '^lab +vm1 +20 +- +dhcp-guard +- +yes$'
out_re "^lab +web +30 +52:54:00:00:00:0a,52:54:00:00:00:0b +dhcp-guard +user:nobody,group:$group0 +no$"
# Numbers as they are; several MACs in one --mac; Hyper-V's form.
expect 0 port provision lab db --owner-user 4242 --mac 525400000042,52:54:00:00:00:43 \
	--mac-spoofing on --router-guard on --vlan none
expect 0 port provisioned lab --json
json_ok "[(p['vlan'], p['macs'], p['mac-spoofing'], p['router-guard'], p['owner-user'], 'owner-group' in p) for p in d['ports'] if p['name'] == 'db'] == [(0, ['52:54:00:00:00:42', '52:54:00:00:00:43'], True, True, 4242, False)]"
expect 0 port provisioned
out_re '^lab +db +none +52:54:00:00:00:42,52:54:00:00:00:43 +mac-spoofing,router-guard +user:[^ ]+ +no$'
# Provisioning again replaces the whole entry.
expect 0 port provision lab db --vlan 5
expect 0 port provisioned lab --json
json_ok "[(p['vlan'], p['macs'], p['mac-spoofing'], p['router-guard'], 'owner-user' in p) for p in d['ports'] if p['name'] == 'db'] == [(5, [], False, False, False)]"
expect 0 port provisioned lab3
out_re '^SWITCH +PORT +VLAN +MACS +FLAGS +OWNER +ATTACHED$'
out_lacks "web"
expect 0 port provisioned lab3 --json
json_ok 'd == {"ports": []}'
expect 1 port provisioned nope
err_has "vswitchctl: switch 'nope' does not exist"
# What vswitchd refuses.
expect 1 port provision lab dup --mac 52:54:00:00:00:0a
err_has "vswitchctl: port 'dup' of switch 'lab': MAC 52:54:00:00:00:0a is provisioned on port 'web' already"
expect 1 port provision lab mc --mac 01:00:5e:00:00:01
err_has "port 'mc' of switch 'lab': 01:00:5e:00:00:01 is not a MAC a VM port may use"
expect 1 port provision lab natmac --mac 52:55:0a:00:02:02
err_has "is not a MAC a VM port may use"
expect 1 port provision lab 'bad name'
err_has "invalid port name 'bad name'"
expect 1 port provision nope p1
err_has "switch 'nope' does not exist"
expect 1 port provision lab many --mac 52:54:00:00:01:01,52:54:00:00:01:02,52:54:00:00:01:03,52:54:00:00:01:04,52:54:00:00:01:05,52:54:00:00:01:06,52:54:00:00:01:07,52:54:00:00:01:08,52:54:00:00:01:09
err_has "at most 8 MAC addresses"
expect 1 raw port-provision '{"switch": "lab", "port": "x", "owner-user": "nobody"}'
json_ok 'd["error"]["class"] == "InvalidArgument"'
# port set on a port that is only provisioned changes what is given.
expect 0 port set lab web --router-guard on
expect 0 port provisioned lab --json
json_ok "[(p['vlan'], p['dhcp-guard'], p['router-guard'], p['owner-user'], len(p['macs'])) for p in d['ports'] if p['name'] == 'web'] == [(30, True, True, $nobody_uid, 2)]"
# An administrator's client attaches it and gets exactly its settings.
attach web lab web 52:54:00:77:77:77
web_pid=$attached_pid
grep -q '"vlan": 30, "shm-size": [0-9]*, "provisioned": true' "$tmp/web" ||
	fail "lab/web attached without its provisioned settings: $(cat "$tmp/web")"
expect 0 port show lab web --json
json_ok 'd["vlan"] == 30 and d["provisioned"] is True and d["macs"] == ["52:54:00:00:00:0a", "52:54:00:00:00:0b"] and d["mac"] == "52:54:00:00:00:0a" and d["dhcp-guard"] is True and d["router-guard"] is True'
expect 0 port provisioned lab --json
json_ok '[p["attached"] for p in d["ports"] if p["name"] == "web"] == [True]'
expect 0 port list lab
out_re '^lab +web +vm +30 +52:54:00:00:00:0a '
# Provisioning a live port applies at once; its client hears of a new VLAN.
expect 0 port provision lab web --vlan 31 --mac 52:54:00:00:00:0a --owner-user nobody
expect_event web 'e["event"] == "PORT_VLAN" and e["data"]["port"] == "web" and e["data"]["vlan"] == 31'
expect 0 port show lab web --json
json_ok 'd["vlan"] == 31 and d["macs"] == ["52:54:00:00:00:0a"] and d["dhcp-guard"] is False'
expect 0 port unprovision lab db
out_empty
expect 0 port provisioned lab --json
json_ok '[p["name"] for p in d["ports"]] == ["vm1", "web"]'
expect 1 port unprovision lab db
err_has "vswitchctl: switch 'lab' has no provisioned port 'db'"
expect 1 port unprovision nope db
err_has "switch 'nope' does not exist"
expect 0 port unprovision lab web --json
json_ok 'd == {}'
# A MAC a live port of another name uses cannot be provisioned: detach it first.
attach x1 lab3 x1 52:54:00:00:00:99
expect 1 port provision lab3 thief --mac 52:54:00:00:00:99
err_has "MAC 52:54:00:00:00:99 is in use by port 'x1' of switch 'lab3': detach it first"
expect 0 port provisioned lab3 --json
json_ok 'd["ports"] == []'
expect 0 port list lab3 --json
json_ok '[p["name"] for p in d["ports"]] == ["x1"]'
# lab/web's client leaves; web is provisioned again for the restart below.
expect 0 switch show lab
out_re '^ports: +2$'
kill -TERM "$web_pid"
wait "$web_pid" 2>/dev/null
checks=$((checks + 1))
wait_for 100 port_gone lab web || fail "port lab/web still attached after its client ended"
expect 0 port provision lab web --vlan 31 --mac 52:54:00:00:00:0a --owner-user nobody

expect 0 switch show lab
out_re '^ports: +1$'
out_re '^PORT +KIND +VLAN +MAC +RX-PKTS'
out_re '^vm1 +vm +20 +52:54:00:12:34:56 '
expect 0 switch show lab --json
json_ok 'len(d["ports"]) == 1 and d["ports"][0]["vlan"] == 20'
expect 0 switch list
out_re '^lab +private +1$'

expect 0 mac list lab
out_re '^VLAN +MAC +PORT +AGE\(s\)$'
out_re '^0 of [0-9]+ entries in use; learned 0, moved 0, evicted 0, aged out 0$'
expect 0 mac list lab --json
json_ok 'd["entries"] == [] and d["capacity"] > 0 and d["learned"] == 0 and d["evicted"] == 0'
expect 0 mac show lab
out_has "entries in use"
expect 0 fdb show lab
out_has "entries in use"
expect 1 mac list nope
err_has "switch 'nope' does not exist"

expect 1 switch remove lab
err_has "vswitchctl: switch 'lab' has 1 port(s) attached"
expect 0 switch list --json
json_ok '"lab" in [s["name"] for s in d["switches"]]'

# ------------------------------------------------------------------
# The NAT: its helper process, its settings

wait_nat
expect 0 nat show
out_re '^switch: +Default \(port nat\)$'
out_re '^state: +running, pid [1-9][0-9]*$'
out_re '^restarts: +0 \(crashes 0\)$'
if [ "$root" = True ]; then
	out_re '^host-loopback: +off$'
else
	out_re '^host-loopback: +on \(10\.0\.2\.2 reaches the host.s 127\.0\.0\.1\)$'
fi
out_re '^  fragments +0$'
out_re '^  reassembled +0$'
out_re '^  fragments-dropped +0$'
out_re '^  to-nat-over-limit +0$'
expect 0 nat show --json
json_ok "d['running'] is True and d['pid'] > 0 and d['restarts'] == 0 and d['crashes'] == 0 and d['host-loopback'] is (not $root)"
json_ok 'd["mtu"] == 1500 and d["ipv6"] is True and d["dns-search"] == [] and d["subnet"] == "10.0.2.0/24"'
json_ok 'all(k in d["counters"] for k in ("to-nat", "from-nat", "fragments", "reassembled", "fragments-dropped", "to-nat-ring-full", "to-nat-over-limit"))'
nat_pid=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/out")

# A setting is saved and the NAT restarts with it.
expect 0 nat set mtu 1400
out_empty
err_empty
wait_nat
expect 0 nat show --json
json_ok "d['mtu'] == 1400 and d['running'] is True and d['pid'] != $nat_pid and d['crashes'] == 0"
expect 0 nat set host-loopback on
wait_nat
expect 0 nat show
out_re '^host-loopback: +on \(10\.0\.2\.2 reaches the host.s 127\.0\.0\.1\)$'
out_re '^mtu: +1400$'
expect 0 nat set dns-search 'a.example, b.example'
wait_nat
expect 0 nat show --json
json_ok 'd["dns-search"] == ["a.example", "b.example"] and d["host-loopback"] is True'
expect 0 nat show
out_re '^dns-search: +a\.example b\.example$'
expect 0 nat set ipv6 off --json
json_ok 'd == {}'
wait_nat
expect 0 nat show --json
json_ok 'd["ipv6"] is False and "ipv6-prefix" not in d and "gateway6" not in d'
expect 0 nat show
out_re '^ipv6: +off$'
expect 0 nat set ipv6 --default
wait_nat
expect 0 nat show --json
json_ok 'd["ipv6"] is True and d["ipv6-prefix"] == "fec0::/64"'
expect 0 nat reset dns-search
wait_nat
expect 0 nat show --json
json_ok 'd["dns-search"] == [] and d["mtu"] == 1400'
expect 0 nat set domain lab.example
wait_nat
expect 0 nat show
out_re '^domain: +lab\.example$'
expect 0 nat reset domain
wait_nat
# What vswitchd refuses: the value, a subnet a forward would fall outside of.
expect 1 nat set mtu 9
err_has "vswitchctl: mtu must be 1280-65521, not '9'"
expect 1 nat set subnet 10.0.2.1/24
err_has "subnet '10.0.2.1/24': host bits are set (did you mean 10.0.2.0/24?)"
expect 1 nat set gateway 192.0.2.1
err_has "gateway 192.0.2.1 is not a host address of subnet 10.0.2.0/24"
expect 1 nat set domain -- -bad-
err_has "domain '-bad-' is not a domain name"
expect 1 raw nat-set '{"key": "mtu", "value": 1400}'
json_ok 'd["error"]["class"] == "InvalidArgument"'
wait_nat
fwd_port=$((20000 + RANDOM % 20000))
expect 0 nat forward add tcp "$fwd_port" 10.0.2.15:22
expect 1 nat set subnet 10.0.3.0/24
err_has "NAT forward tcp 127.0.0.1:$fwd_port goes to 10.0.2.15, outside the new subnet: remove it first"
expect 0 nat forward remove tcp "$fwd_port"
expect 0 nat set subnet 10.0.3.0/24
wait_nat
expect 0 nat show --json
json_ok 'd["subnet"] == "10.0.3.0/24" and d["gateway"] == "10.0.3.2" and d["dns"] == "10.0.3.3" and d["dhcp-start"] == "10.0.3.15"'
expect 0 nat reset subnet
wait_nat
expect 0 nat show --json
json_ok 'd["subnet"] == "10.0.2.0/24" and d["gateway"] == "10.0.2.2"'
# mtu 1400 and host-loopback on stay for the restart below.

# ------------------------------------------------------------------
# Bash completion (plain bash, without the bash-completion package)

if [ -r "$completion" ]; then
	complete_words() {
		bash -c '
			source "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			_vswitchctl
			printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@" >"$tmp/out" 2>"$tmp/err"
		last="completion of: $*"
		checks=$((checks + 1))
	}
	PATH=$(dirname "$vswitchctl"):$PATH
	export PATH
	complete_words vswitchctl sw
	out_has "switch"
	complete_words vswitchctl switch re
	out_has "remove"
	out_has "rename"
	complete_words vswitchctl --socket "$sock" switch show ""
	out_has "lab3"
	out_has "Default"
	complete_words vswitchctl --socket "$sock" port set lab ""
	out_has "vm1"
	out_has "web"
	complete_words vswitchctl wh
	out_has "whoami"
	complete_words vswitchctl port pro
	out_has "provision"
	out_has "provisioned"
	complete_words vswitchctl switch s
	out_has "set"
	out_has "show"
	complete_words vswitchctl port set lab vm1 --
	out_has "--vlan"
	out_has "--dhcp-guard"
	out_has "--router-guard"
	out_has "--mac-spoofing"
	complete_words vswitchctl port provision lab p1 --o
	out_has "--owner-user"
	out_has "--owner-group"
	complete_words vswitchctl port set lab vm1 --dhcp-guard ""
	out_has "on"
	out_has "off"
	complete_words vswitchctl switch set lab --client-vlans ""
	out_has "none"
	out_has "any"
	complete_words vswitchctl switch set lab --allow-users nob
	out_has "nobody"
	complete_words vswitchctl switch set lab --allow-users root,nob
	out_has "root,nobody"
	complete_words vswitchctl port provision lab p1 --owner-group "$group0"
	out_has "$group0"
	complete_words vswitchctl --socket "$sock" port unprovision lab ""
	out_has "web"
	out_lacks "Default"
	complete_words vswitchctl nat ""
	out_has "set"
	out_has "reset"
	complete_words vswitchctl nat set ""
	out_has "host-loopback"
	out_has "dns-search"
	complete_words vswitchctl nat set ipv6 ""
	out_has "on"
	complete_words vswitchctl nat set mtu 1400 --d
	out_has "--default"
else
	fail "$completion is missing"
fi

# ------------------------------------------------------------------
# Persistence: switches, their access, provisioned ports (and what port
# set set on a live one), the NAT's settings survive a restart

stop_daemon
wait_for 100 grep -q '^closed$' "$tmp/vm1" || fail "port client vm1 did not see vswitchd stop"
expect 1 switch list
err_has "(is vswitchd running?)"
start_daemon
expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab", "lab3"]'
expect 0 switch show lab --json
json_ok "d['access-default'] is False and d['allow-users'] == [$nobody_uid] and d['allow-groups'] == [] and d['client-vlans'] == '10;20-29'"
expect 0 switch show lab
out_re '^access: +users nobody$'
expect 0 port provisioned --json
json_ok '[(p["switch"], p["name"], p["vlan"], p["dhcp-guard"], p["router-guard"], p["attached"]) for p in d["ports"]] == [("lab", "vm1", 20, True, False, False), ("lab", "web", 31, False, False, False)]'
json_ok "[(p['macs'], p['owner-user']) for p in d['ports'] if p['name'] == 'web'] == [(['52:54:00:00:00:0a'], $nobody_uid)]"
expect 0 port provisioned
out_re '^lab +web +31 +52:54:00:00:00:0a +- +user:nobody +no$'
attach vm1b lab vm1
grep -q '"vlan": 20' "$tmp/vm1b" || fail "re-attached port lab/vm1 lost VLAN 20: $(cat "$tmp/vm1b")"
grep -q '"provisioned": true' "$tmp/vm1b" || fail "re-attached port lab/vm1 is not provisioned: $(cat "$tmp/vm1b")"
expect 0 port list lab
out_re '^lab +vm1 +vm +20 '
expect 0 port show lab vm1 --json
json_ok 'd["provisioned"] is True and d["dhcp-guard"] is True and d["router-guard"] is False and d["macs"] == ["52:54:00:12:34:56"]'
wait_nat
expect 0 nat show --json
json_ok 'd["mtu"] == 1400 and d["host-loopback"] is True and d["ipv6"] is True and d["subnet"] == "10.0.2.0/24"'
expect 0 nat reset mtu
expect 0 nat set host-loopback --default
wait_nat
expect 0 nat show --json
json_ok "d['mtu'] == 1500 and d['host-loopback'] is (not $root)"

# Removing a switch removes its provisioned ports.
expect 0 switch remove lab --force
wait_for 100 grep -q '^closed$' "$tmp/vm1b" || fail "port client of lab/vm1 not disconnected by remove --force"
expect_event vm1b 'e["event"] == "PORT_RESET" and e["data"] == {"switch": "lab", "port": "vm1", "reason": "switch removed"}'
expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab3"]'
expect 0 port list --json
json_ok '[p["switch"] for p in d["ports"]] == ["Default"]'
expect 0 port provisioned --json
json_ok 'd["ports"] == []'

stop_daemon
start_daemon
expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab3"]'
expect 0 port provisioned --json
json_ok 'd["ports"] == []'
expect 0 nat show --json
json_ok "d['mtu'] == 1500 and d['host-loopback'] is (not $root)"
stop_daemon

# ------------------------------------------------------------------
# Roles (root only): nobody, on a vswitchd whose --socket-group it is in,
# is a port client there; administrators' commands are refused.

if [ "$uid" != 0 ]; then
	echo "SKIP: role checks need root (a group, another user)"
elif ! command -v setpriv >/dev/null || ! command -v groupadd >/dev/null; then
	echo "SKIP: role checks need setpriv and groupadd"
else
	role_check
fi

if [ "$failures" -gt 0 ]; then
	echo "test-cli: $failures of $checks checks failed; vswitchd log:"
	sed 's/^/  /' "$tmp/vswitchd.log"
	exit 1
fi
echo "test-cli: all $checks commands passed"
exit 0
