#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-privs.sh - vswitchd as root keeps only what it uses; its NAT helper
# less still.
#
# Starts vswitchd as root (staying root, then with --user nobody) and
# reads what the kernel says of it and of its NAT helper in /proc: uid,
# capabilities of every thread, seccomp, no-new-privileges.  Creates no
# network interface and sends nothing; only PIDs started here are killed,
# the temporary directory goes in the EXIT trap.
# Exit: 0 pass, 1 fail, 77 skip (not root).
# Environment: VSWITCH_BUILD_DIR (default <repo>/build), VSWITCH_KEEP_LOGS.

set -u

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: test-privs.sh needs root"
	exit 77
fi

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
# shellcheck source=tests/integration/lib.sh
. "$repo/tests/integration/lib.sh"
vswitchd=$build/net-backend/daemon/vswitchd
vswitchctl=$build/net-backend/cli/vswitchctl
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-privs.XXXXXX") || exit 1
chmod 0755 "$tmp"
pid=
out_lines=10

# Capability bits (linux/capability.h).
CAP_KILL=$((1 << 5))
CAP_SETGID=$((1 << 6))
CAP_SETUID=$((1 << 7))
CAP_NET_BIND_SERVICE=$((1 << 10))
CAP_NET_ADMIN=$((1 << 12))
CAP_NET_RAW=$((1 << 13))
NET=$((CAP_NET_ADMIN | CAP_NET_RAW))	# host adapters and NICs

stop() {
	[ -z "$pid" ] || stop_pid "$pid"
	pid=
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop
	if [ -n "${VSWITCH_KEEP_LOGS:-}" ]; then
		echo "test-privs: logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# field FILE NAME: a /proc status field's value.
field() { awk -v k="$2:" '$1 == k { print $2; exit }' "$1"; }

# caps_are FILE SET WANT: capability set SET (CapEff, ...) of FILE is exactly WANT.
caps_are() {
	local got

	got=$(field "$1" "$2")
	[ "$((16#$got))" -eq "$3" ] || { echo "$2 of $1: 0x$got, want $(printf 0x%x "$3")"; return 1; }
}

# every_thread PID SET WANT: caps_are for every thread of PID.
every_thread() {
	local t

	for t in /proc/"$1"/task/*; do
		caps_are "$t/status" "$2" "$3" || return 1
	done
}

start() { # NAME ARGS...: start vswitchd on a socket and state dir of NAME
	local name=$1 i

	shift
	mkdir -p "$tmp/$name"
	"$vswitchd" --socket "$tmp/$name/s" --state-dir "$tmp/$name/state" "$@" \
		>"$tmp/$name.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		"$vswitchctl" -s "$tmp/$name/s" nat show 2>/dev/null | grep -q 'running' && return 0
		sleep 0.1
	done
	cat "$tmp/$name.log"
	return 1
}

nat_pid() {
	"$vswitchctl" -s "$1" --json nat show | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'
}

# --- Staying root (no user "vswitch" here, or --user root) -----------------

check "vswitchd as root starts" start root --user root
kept=$((CAP_NET_BIND_SERVICE | CAP_SETUID | CAP_SETGID | CAP_KILL | NET))
check "it stays uid 0 (asked to)" \
	sh -c "[ \"\$(awk '/^Uid:/ { print \$2 \$3 \$4 \$5 }' /proc/$pid/status)\" = 0000 ]"
check "every thread keeps only CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_SETGID, CAP_KILL, CAP_NET_ADMIN, CAP_NET_RAW" \
	every_thread "$pid" CapEff "$kept"
check "permitted likewise (CAP_SYS_NICE gone once the data path set its priority)" \
	every_thread "$pid" CapPrm "$kept"
check "the bounding set holds nothing else (CAP_KILL is not even in it)" \
	caps_are "/proc/$pid/status" CapBnd $((CAP_NET_BIND_SERVICE | CAP_SETUID | CAP_SETGID))
check "the log says what it kept" grep -q 'keeping only CAP_NET_BIND_SERVICE' "$tmp/root.log"
npid=$(nat_pid "$tmp/root/s")
check "the NAT helper runs as nobody" \
	sh -c "[ \"\$(awk '/^Uid:/ { print \$2 \$3 \$4 \$5 }' /proc/$npid/status)\" = 65534655346553465534 ]"
check "the NAT helper keeps only CAP_NET_BIND_SERVICE" \
	caps_are "/proc/$npid/status" CapEff $CAP_NET_BIND_SERVICE
check "the NAT helper is under seccomp, no new privileges" \
	sh -c "[ \"\$(awk '/^Seccomp:/ { print \$2 }' /proc/$npid/status)\" = 2 ] &&
	       [ \"\$(awk '/^NoNewPrivs:/ { print \$2 }' /proc/$npid/status)\" = 1 ]"
check "the NAT helper has only its fds (0-2, rpc, port memory, doorbells)" \
	sh -c "[ \"\$(ls /proc/$npid/fd | wc -l)\" -le 12 ]"
stop

# --- --user nobody -----------------------------------------------------------

check "vswitchd as root with --user nobody starts" start user --user nobody
check "every thread runs as nobody" \
	sh -c "for t in /proc/$pid/task/*; do
		[ \"\$(awk '/^Uid:/ { print \$2 \$3 \$4 \$5 }' \$t/status)\" = 65534655346553465534 ] || exit 1
	       done"
check "every thread keeps only CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW" \
	every_thread "$pid" CapEff $((CAP_NET_BIND_SERVICE | NET))
check "... which it passes on to the NAT helper (ambient)" \
	caps_are "/proc/$pid/status" CapAmb $CAP_NET_BIND_SERVICE
check "the bounding set is empty (the ambient set carries it to the helper)" \
	caps_are "/proc/$pid/status" CapBnd 0
check "no supplementary groups" \
	sh -c "[ -z \"\$(awk '/^Groups:/ { print \$2 }' /proc/$pid/status)\" ]"
check "not dumpable: the NAT helper (same user) cannot read its memory" \
	sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/$pid/environ >/dev/null"
check "its state directory was handed to it" \
	sh -c "[ \"\$(stat -c %u $tmp/user/state)\" = 65534 ]"
check "it still saves its configuration" "$vswitchctl" -s "$tmp/user/s" switch add lab
check "... to a file it owns" sh -c "[ \"\$(stat -c %u $tmp/user/state/vswitchd.conf)\" = 65534 ]"
npid=$(nat_pid "$tmp/user/s")
check "the NAT helper runs as nobody with only CAP_NET_BIND_SERVICE" \
	caps_are "/proc/$npid/status" CapEff $CAP_NET_BIND_SERVICE
check "a forward below 1024 works (the NAT kept CAP_NET_BIND_SERVICE)" \
	"$vswitchctl" -s "$tmp/user/s" nat forward add tcp 127.0.0.1:81 10.0.2.15:80
stop

check "--user with no such user is an error" \
	sh -c "! $vswitchd --socket $tmp/x/s --state-dir $tmp/x/state --user no-such-user-here 2>$tmp/x.err &&
	       grep -q 'no-such-user-here: no such user' $tmp/x.err"

report test-privs
