#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-cli.sh - vswitchctl against a private vswitchd: every command, errors, persistence.
#
# Needs no root and no network namespace: the daemon gets a temporary socket
# and state directory, and the test creates no interface and sends no frame.
# Ports are attached by a small Python client that holds the connection
# open.  Every wait is bounded.  Exit: 0 pass, 1 fail, 77 skip (no python3).
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

cleanup() {
	local pid

	for pid in "${helper_pids[@]}" $daemon_pid; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		fi
	done
	rm -rf "$tmp"
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
ctl() {
	"$vswitchctl" --socket "$sock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	last="vswitchctl $*"
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

# A client that attaches a port and holds it: attach.py PATH SWITCH PORT.
cat >"$tmp/attach.py" <<'EOF'
import array, json, os, socket, sys

path, switch, port = sys.argv[1:4]
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
args = {"switch": switch, "port": port, "mac": "52:54:00:12:34:56"}
s.sendall((json.dumps({"execute": "port-attach", "arguments": args}) + "\n").encode())
print(json.dumps(read_line()), flush=True)
s.settimeout(None)
while read_line() is not None:
    pass
print("closed", flush=True)
EOF

# attach NAME SWITCH PORT: start the client; its output goes to $tmp/NAME.
attach() {
	"$python" "$tmp/attach.py" "$sock" "$2" "$3" >"$tmp/$1" 2>&1 &
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
	 "switch rename NAME NEW-NAME" "switch show NAME" "port list [SWITCH]" \
	 "port show SWITCH PORT" "port set SWITCH PORT --vlan N" "mac list SWITCH" \
	 "version" "raw COMMAND [ARGS-JSON]"; do
	out_has "  $s "
done
expect 0 --help
out_has "--timeout MS"
expect 0 switch add --help
out_has "Usage: vswitchctl [OPTIONS] switch add NAME"
expect 0 help port set
out_has "untagged"
expect 0 port --help
out_has "port show SWITCH PORT"
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
expect 0 switch show lab --json
json_ok 'd["name"] == "lab" and d["type"] == "private" and d["ports"] == [] and d["mac-capacity"] > 0 and d["mac-entries"] == 0'
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
expect 0 port show lab vm1 --json
json_ok 'd["name"] == "vm1" and d["kind"] == "vm" and d["vlan"] == 0 and d["tx-packets"] == 0 and sum(d["drops"].values()) == 0'
expect 1 port show lab nope
err_has "vswitchctl: switch 'lab' has no port 'nope'"
expect 1 port show nope vm1
err_has "switch 'nope' does not exist"

expect 0 port set lab vm1 --vlan 20
out_empty
expect 0 port list
out_re '^lab +vm1 +vm +20 '
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
else
	fail "$completion is missing"
fi

# ------------------------------------------------------------------
# Persistence: switches and the VLAN set on a port survive a restart

stop_daemon
wait_for 100 grep -q '^closed$' "$tmp/vm1" || fail "port client vm1 did not see vswitchd stop"
expect 1 switch list
err_has "(is vswitchd running?)"
start_daemon
expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab", "lab3"]'
attach vm1b lab vm1
grep -q '"vlan": 20' "$tmp/vm1b" || fail "re-attached port lab/vm1 lost VLAN 20: $(cat "$tmp/vm1b")"
expect 0 port list lab
out_re '^lab +vm1 +vm +20 '

expect 0 switch remove lab --force
wait_for 100 grep -q '^closed$' "$tmp/vm1b" || fail "port client of lab/vm1 not disconnected by remove --force"
expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab3"]'
expect 0 port list --json
json_ok '[p["switch"] for p in d["ports"]] == ["Default"]'

stop_daemon
start_daemon
expect 0 switch list --json
json_ok '[s["name"] for s in d["switches"]] == ["Default", "lab3"]'
stop_daemon

if [ "$failures" -gt 0 ]; then
	echo "test-cli: $failures of $checks checks failed; vswitchd log:"
	sed 's/^/  /' "$tmp/vswitchd.log"
	exit 1
fi
echo "test-cli: all $checks commands passed"
exit 0
