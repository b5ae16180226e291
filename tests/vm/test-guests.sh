#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two guests on one vswitchd switch via -netdev vswitch: ping, http, iperf3, then carrier loss and recovery across a daemon crash.
#
# Usage: tests/vm/test-guests.sh   (as root; exit 0 pass, 1 fail, 77 skip)
# Environment:
#   VSWITCH_BUILD_DIR  the project's meson build dir (default <repo>/build)
#   VSWITCH_QEMU       a qemu-system-x86_64 with the vswitch netdev to use
#                      instead of contrib/build-qemu.sh's
#   VSWITCH_NIC        guest NIC model (default virtio-net-pci; e1000 tests
#                      the header-less path)
#   VSWITCH_ACCEL      tcg (default), kvm, or auto (contrib/kvm-probe.sh)
#   VSWITCH_KEEP_LOGS  keep the temporary directory with consoles and logs
#
# Everything runs in a network namespace created for the test: vswitchd
# (private socket and state dir, switch "lab"), and two QEMUs attached to
# it. Guest A pings B, fetches a page, runs iperf3 against it, then tells
# the host to kill vswitchd (SIGKILL); A must see its carrier drop, the host
# restarts vswitchd, A must see the carrier come back and reach B again.
# Every wait is bounded; only processes started here are killed, by PID.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: test-guests.sh needs root (ip netns)"
	exit 77
fi

REPO=$(cd "$(dirname "$0")/../.." && pwd -P)
export VSWITCH_BUILD_DIR=${VSWITCH_BUILD_DIR:-$REPO/build}
DAEMON=$VSWITCH_BUILD_DIR/net-backend/daemon/vswitchd
NIC=${VSWITCH_NIC:-virtio-net-pci}
NS=vswguests-$$
TMP=$(mktemp -d /tmp/vsw-guests.XXXXXX)
SOCK=$TMP/vswitchd.sock
TIMEOUT=240        # seconds for guest A's whole script
QEMU_PIDS=()
DAEMON_PID=

log() { echo "vswitch-guests: $*"; }

# Stop a process of ours: TERM, up to 3 s, then KILL.
# shellcheck disable=SC2317 # called from cleanup, run by the trap
stop_pid() {
	local pid=$1 i=0
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pid
	for pid in "${QEMU_PIDS[@]}"; do stop_pid "$pid"; done
	[ -n "$DAEMON_PID" ] && stop_pid "$DAEMON_PID"
	ip netns del "$NS" 2>/dev/null || true
	if [ -n "${VSWITCH_KEEP_LOGS:-}" ]; then
		log "logs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	local f
	log "FAIL: $*"
	for f in "$TMP"/*.console "$TMP"/*.log; do
		[ -s "$f" ] || continue
		echo "----- $(basename "$f") (last 30 lines)"
		tail -n 30 "$f"
	done
	exit 1
}

# wait_for FILE REGEX SECONDS WHAT: bounded wait for a console line.
wait_for() {
	local file=$1 re=$2 secs=$3 what=$4 start=$SECONDS
	until grep -q "$re" "$file" 2>/dev/null; do
		[ $((SECONDS - start)) -lt "$secs" ] || fail "timeout: $what"
		sleep 0.2
	done
}

start_daemon() {
	ip netns exec "$NS" "$DAEMON" --socket "$SOCK" --state-dir "$TMP/state" \
		>>"$TMP/vswitchd.log" 2>&1 &
	DAEMON_PID=$!
	local i=0
	until [ -S "$SOCK" ] && ip netns exec "$NS" socat -u OPEN:/dev/null \
	    "UNIX-CONNECT:$SOCK" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "vswitchd did not start"
		kill -0 "$DAEMON_PID" 2>/dev/null || fail "vswitchd exited"
		sleep 0.1
	done
}

# ctl JSON: one request on the control socket; prints the reply line.
ctl() {
	printf '%s\n' "$1" | ip netns exec "$NS" timeout 5 socat - "UNIX-CONNECT:$SOCK" | sed -n 2p
}

[ -x "$DAEMON" ] || fail "no $DAEMON: build the project first"
command -v socat >/dev/null || fail "socat is needed"
if [ -n "${VSWITCH_QEMU:-}" ]; then
	QEMU=$VSWITCH_QEMU
else
	QEMU=$(timeout 3600 "$REPO/contrib/build-qemu.sh" | tail -n1) ||
		fail "contrib/build-qemu.sh failed"
fi
GUEST=$("$REPO/contrib/build-guest.sh" | tail -n1) || fail "contrib/build-guest.sh failed"
[ -x "$QEMU" ] || fail "no QEMU at '$QEMU'"
"$QEMU" -netdev help | grep -qx vswitch || fail "$QEMU has no vswitch netdev"
KERNEL=$GUEST/vmlinux
[ -f "$KERNEL" ] || KERNEL=$GUEST/vmlinuz
ACCEL=${VSWITCH_ACCEL:-tcg}
if [ "$ACCEL" = auto ]; then
	ACCEL=$("$REPO/contrib/kvm-probe.sh" "$QEMU" "$GUEST")
fi
log "qemu $QEMU, guest $GUEST, nic $NIC, accel $ACCEL"

ip netns add "$NS"
ip -n "$NS" link set lo up
mkdir -p "$TMP/state"
start_daemon
ctl '{"execute": "switch-add", "arguments": {"name": "lab"}}' | grep -q '"return"' ||
	fail "cannot create switch lab"

SCRIPT_A=$(cat <<'EOF'
n=0
until ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; do
	n=$((n + 1)); [ $n -lt 60 ] || { echo "T no answer from 10.0.0.2"; exit 1; }
done
ping -c 3 -i 0.2 10.0.0.2 || exit 2
echo "T-PING-OK"
wget -q -O - http://10.0.0.2/ | grep -q 'vswitch test guest' || exit 3
echo "T-HTTP-OK"
iperf3 -c 10.0.0.2 -t 3 -f m | grep -E 'sender|receiver' || exit 4
iperf3 -c 10.0.0.2 -t 3 -f m -R | grep -E 'sender|receiver' || exit 4
echo "T-IPERF-OK"
[ "$(cat /sys/class/net/eth0/carrier)" = 1 ] || exit 5
echo "T-KILL-DAEMON-NOW"
n=0
while [ "$(cat /sys/class/net/eth0/carrier)" = 1 ]; do
	n=$((n + 1)); [ $n -lt 300 ] || { echo "T carrier stayed up"; exit 6; }
	sleep 0.1
done
echo "T-CARRIER-DOWN"
n=0
until [ "$(cat /sys/class/net/eth0/carrier)" = 1 ]; do
	n=$((n + 1)); [ $n -lt 600 ] || { echo "T carrier stayed down"; exit 7; }
	sleep 0.1
done
echo "T-CARRIER-UP"
n=0
until ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; do
	n=$((n + 1)); [ $n -lt 30 ] || { echo "T no answer after reconnect"; exit 8; }
done
echo "T-PING-AGAIN-OK"
EOF
)

# start_guest NAME MAC APPEND
start_guest() {
	local name=$1 mac=$2 append=$3
	ip netns exec "$NS" "$QEMU" -name "$name" -M q35 -accel "$ACCEL" -m 256 -smp 1 \
		-nodefaults -display none -monitor none -no-reboot \
		-serial "file:$TMP/$name.console" \
		-kernel "$KERNEL" -initrd "$GUEST/initrd.img" \
		-append "console=ttyS0 quiet panic=-1 $append" \
		-netdev "vswitch,id=n0,switch=lab,sock=$SOCK,reconnect-ms=200" \
		-device "$NIC,netdev=n0,mac=$mac,romfile=" \
		</dev/null >"$TMP/$name.log" 2>&1 &
	QEMU_PIDS+=($!)
}

start=$SECONDS
start_guest b 52:54:00:00:5e:02 "vsw.ip=10.0.0.2/24 vsw.role=iperf-server"
start_guest a 52:54:00:00:5e:01 \
	"vsw.ip=10.0.0.1/24 vsw.role=run vsw.cmd=$(printf '%s\n' "$SCRIPT_A" | base64 -w0)"

wait_for "$TMP/a.console" '^T-KILL-DAEMON-NOW' "$TIMEOUT" "guest A traffic checks"
ctl '{"execute": "port-list", "arguments": {"switch": "lab"}}' >"$TMP/ports.json"
log "ports: $(cat "$TMP/ports.json")"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
wait_for "$TMP/a.console" '^T-CARRIER-DOWN' 30 "guest A carrier down"
grep -q "lost switch 'lab'" "$TMP/a.log" || fail "QEMU A did not report the lost switch"
start_daemon
wait_for "$TMP/a.console" '^VSW-GUEST-EXIT' 90 "guest A end"
elapsed=$((SECONDS - start))

grep -q '^T-PING-OK' "$TMP/a.console" || fail "A could not ping B"
grep -q '^T-HTTP-OK' "$TMP/a.console" || fail "A could not fetch from B"
grep -q '^T-IPERF-OK' "$TMP/a.console" || fail "iperf3 A<->B failed"
grep -q '^T-CARRIER-UP' "$TMP/a.console" || fail "A's carrier did not come back"
grep -q '^T-PING-AGAIN-OK' "$TMP/a.console" || fail "A could not reach B after reconnect"
grep -q '^VSW-GUEST-EXIT rc=0' "$TMP/a.console" || fail "guest A script failed"
log "A->B $(grep receiver "$TMP/a.console" | sed -n 1p | tr -s ' ')"
log "B->A $(grep receiver "$TMP/a.console" | sed -n 2p | tr -s ' ')"
log "PASS in ${elapsed}s"
exit 0
