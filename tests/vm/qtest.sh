#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run QEMU's netdev-vswitch qtest (from qemu-patches/) against this project's vswitchd.
#
# Usage: tests/vm/qtest.sh [-- QTEST-ARGS...]   (exit 0 pass, 1 fail)
#   e.g. tests/vm/qtest.sh -- -p /x86_64/netdev/vswitch/reconnect
# Environment:
#   VSWITCH_BUILD_DIR    the project's meson build dir (default <repo>/build):
#                        vswitchd and vswitchctl come from there, and
#                        contrib/build-qemu.sh links QEMU with its libvswitch
#   VSWITCH_QTEST_TIMEOUT  seconds for the qtest itself (default 300)
#
# contrib/build-qemu.sh builds (or reuses) the patched QEMU; the qtest
# binary is built on demand in that cached build dir. The qtest runs its
# own vswitchd on a private socket and state dir in a temporary directory:
# no root, no host networking. Every step is bounded by timeout(1).
set -eu
set -o pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd -P)
export VSWITCH_BUILD_DIR=${VSWITCH_BUILD_DIR:-$REPO/build}
BUILD=$(cd "$VSWITCH_BUILD_DIR" 2>/dev/null && pwd -P) || BUILD=$VSWITCH_BUILD_DIR
DAEMON=$BUILD/net-backend/daemon/vswitchd
CTL=$BUILD/net-backend/cli/vswitchctl
QTEST_TIMEOUT=${VSWITCH_QTEST_TIMEOUT:-300}
QEMU_BUILD_TIMEOUT=3600  # a cold build is ~5 min alone on 2 cores; allow for load
NINJA_TIMEOUT=1200

log() { echo "qtest: $*"; }
fail() { log "FAIL: $*"; exit 1; }

[ "${1:-}" = "--" ] && shift

[ -x "$DAEMON" ] || fail "no $DAEMON: build the project first (meson setup build && meson compile -C build)"

QEMU=$(timeout "$QEMU_BUILD_TIMEOUT" "$REPO/contrib/build-qemu.sh" | tail -n1) ||
	fail "contrib/build-qemu.sh failed"
[ -x "$QEMU" ] || fail "no QEMU at '$QEMU'"
QEMU_BUILD=$(dirname "$QEMU")

log "building tests/qtest/netdev-vswitch in $QEMU_BUILD"
timeout "$NINJA_TIMEOUT" nice -n 10 ninja -C "$QEMU_BUILD" tests/qtest/netdev-vswitch \
	>"$QEMU_BUILD/netdev-vswitch-build.log" 2>&1 || {
	tail -n 30 "$QEMU_BUILD/netdev-vswitch-build.log"
	fail "cannot build the qtest (log: $QEMU_BUILD/netdev-vswitch-build.log)"
}

log "running with VSWITCH_DAEMON=$DAEMON"
rc=0
(
	cd "$QEMU_BUILD"
	export QTEST_QEMU_BINARY=$QEMU
	export VSWITCH_DAEMON=$DAEMON
	[ -x "$CTL" ] && export VSWITCH_CTL=$CTL
	exec timeout -k 10 "$QTEST_TIMEOUT" tests/qtest/netdev-vswitch --tap "$@"
) || rc=$?

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	fail "the qtest did not finish within ${QTEST_TIMEOUT}s"
fi
[ "$rc" = 0 ] || fail "netdev-vswitch exited with status $rc"
log "PASS"
exit 0
