#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke test of the test guest and the built QEMU: two guests linked by -netdev dgram; A pings, fetches from and iperfs B.
#
# Usage: tests/vm/boot-smoke.sh   (as root; exit 0 pass, 1 fail, 77 skip)
# Environment:
#   VSWITCH_ACCEL     tcg (default), kvm, or auto (ask contrib/kvm-probe.sh)
#   VSWITCH_KEEP_LOGS keep the temporary directory with the consoles
#
# The guests run in a network namespace created for the test, and their
# NICs are joined by QEMU's own -netdev dgram over unix sockets: no host
# networking is involved. Every wait is bounded; only the QEMUs started
# here are killed, by PID.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: boot-smoke.sh needs root (ip netns)"
	exit 77
fi

REPO=$(cd "$(dirname "$0")/../.." && pwd -P)
NS=vswtest-$$
TMP=$(mktemp -d /tmp/vsw-boot-smoke.XXXXXX)
BOOT_TIMEOUT=120   # seconds for guest A to finish its script
PIDS=()

log() { echo "boot-smoke: $*"; }

# Kill our QEMUs (TERM, then KILL), delete the namespace and the temp dir.
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pid i
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
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
	for f in "$TMP"/*.console "$TMP"/*.qemu.log; do
		[ -s "$f" ] || continue
		echo "----- $(basename "$f") (last 30 lines)"
		tail -n 30 "$f"
	done
	exit 1
}

# Build (or reuse) QEMU and the guest; the last stdout line is the result.
QEMU=$("$REPO/contrib/build-qemu.sh" | tail -n1) || fail "contrib/build-qemu.sh failed"
GUEST=$("$REPO/contrib/build-guest.sh" | tail -n1) || fail "contrib/build-guest.sh failed"
[ -x "$QEMU" ] || fail "no QEMU at '$QEMU'"
KERNEL=$GUEST/vmlinux   # uncompressed: boots faster under TCG
[ -f "$KERNEL" ] || KERNEL=$GUEST/vmlinuz

ACCEL=${VSWITCH_ACCEL:-tcg}
if [ "$ACCEL" = auto ]; then
	ACCEL=$("$REPO/contrib/kvm-probe.sh" "$QEMU" "$GUEST")
fi
log "qemu $QEMU, guest $GUEST, accel $ACCEL"

ip netns add "$NS"
ip -n "$NS" link set lo up

# Guest B serves iperf3, http and echo on 10.0.0.2.
# Guest A waits for B to answer pings, then checks ping, http and iperf3.
SCRIPT_A=$(cat <<'EOF'
n=0
until ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 60 ] || { echo "SMOKE no answer from 10.0.0.2"; exit 1; }
done
ping -c 3 -i 0.2 10.0.0.2 || exit 2
echo "SMOKE-PING-OK"
n=0
until wget -q -O - http://10.0.0.2/ | grep -q 'vswitch test guest'; do
	n=$((n + 1))
	[ $n -lt 10 ] || { echo "SMOKE http failed"; exit 3; }
	sleep 1
done
echo "SMOKE-HTTP-OK"
echo vsw-echo | timeout 5 nc 10.0.0.2 7 | grep -q vsw-echo || exit 5
echo "SMOKE-ECHO-OK"
iperf3 -c 10.0.0.2 -t 2 -f m | grep -E 'sender|receiver' || exit 4
echo "SMOKE-IPERF-OK"
EOF
)

# start_guest NAME PEER MAC APPEND: one QEMU in the namespace, console and
# QEMU messages to files, its NIC a dgram socket sending to PEER's.
start_guest() {
	local name=$1 peer=$2 mac=$3 append=$4
	ip netns exec "$NS" "$QEMU" -M q35 -accel "$ACCEL" -m 256 -smp 1 \
		-nodefaults -display none -monitor none -no-reboot \
		-serial "file:$TMP/$name.console" -pidfile "$TMP/$name.pid" \
		-kernel "$KERNEL" -initrd "$GUEST/initrd.img" \
		-append "console=ttyS0 quiet panic=-1 $append" \
		-netdev "dgram,id=n0,local.type=unix,local.path=$TMP/$name.sock,remote.type=unix,remote.path=$TMP/$peer.sock" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=" \
		</dev/null >"$TMP/$name.qemu.log" 2>&1 &
	# ip netns exec execs QEMU: $! is QEMU's PID.
	PIDS+=($!)
}

start=$SECONDS
start_guest b a 52:54:00:00:5e:02 "vsw.ip=10.0.0.2/24 vsw.role=iperf-server"
start_guest a b 52:54:00:00:5e:01 \
	"vsw.ip=10.0.0.1/24 vsw.role=run vsw.cmd=$(printf '%s\n' "$SCRIPT_A" | base64 -w0)"
PID_A=${PIDS[1]}

# Wait for A's script to end (it powers A off), bounded.
while ! grep -q '^VSW-GUEST-EXIT' "$TMP/a.console" 2>/dev/null; do
	kill -0 "$PID_A" 2>/dev/null || break
	[ $((SECONDS - start)) -lt $BOOT_TIMEOUT ] ||
		fail "guest A did not finish within ${BOOT_TIMEOUT}s"
	sleep 0.5
done
elapsed=$((SECONDS - start))

grep -q '^VSW-GUEST-READY ip=10.0.0.2/24' "$TMP/b.console" || fail "guest B not ready"
grep -q '^VSW-GUEST-SERVING' "$TMP/b.console" || fail "guest B servers not started"
grep -q '^VSW-GUEST-READY ip=10.0.0.1/24' "$TMP/a.console" || fail "guest A not ready"
grep -q '^SMOKE-PING-OK' "$TMP/a.console" || fail "guest A could not ping guest B"
grep -q '^SMOKE-HTTP-OK' "$TMP/a.console" || fail "guest A could not fetch http from B"
grep -q '^SMOKE-ECHO-OK' "$TMP/a.console" || fail "guest A got no TCP echo from B"
grep -q '^SMOKE-IPERF-OK' "$TMP/a.console" || fail "iperf3 from A to B failed"
grep -q '^VSW-GUEST-EXIT rc=0' "$TMP/a.console" || fail "guest A script failed"
log "$(grep receiver "$TMP/a.console" | tr -s ' ' | head -n1)"
log "PASS in ${elapsed}s"
exit 0
