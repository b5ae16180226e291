#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Print "kvm" if the test guest boots with -accel kvm on this host, else "tcg".
#
# Usage: contrib/kvm-probe.sh QEMU GUEST_DIR
#   QEMU       qemu-system-x86_64 (contrib/build-qemu.sh prints it)
#   GUEST_DIR  holds vmlinuz and initrd.img (contrib/build-guest.sh prints it)
# Environment:
#   VSWITCH_KVM_PROBE_TIMEOUT  seconds to wait for the guest (default 20)
#   VSWITCH_KVM_PROBE_CPU      -cpu model to probe (default: QEMU's default;
#                              -cpu host aborts at once on kvm_pvm hosts)
#   VSWITCH_CACHE_DIR          the answer is cached there until the host
#                              reboots (or QEMU, guest or CPU change);
#                              VSWITCH_KVM_PROBE_NOCACHE=1 ignores it
#
# /dev/kvm may exist yet hang every guest (a nested software hypervisor
# such as kvm_pvm): the only reliable test is to boot the real guest. The
# probe kills the QEMU it started, by PID, after the timeout.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 QEMU GUEST_DIR" >&2; exit 2; }
QEMU=$1
GUEST=$2
TIMEOUT=${VSWITCH_KVM_PROBE_TIMEOUT:-20}
CPU=${VSWITCH_KVM_PROBE_CPU:-}
CACHE=${VSWITCH_CACHE_DIR:-$HOME/.cache/vswitch}

# No usable /dev/kvm: no need to try.
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo tcg
	exit 0
fi

# A cached answer for this boot of the host, this QEMU, guest and CPU.
key=$({ cat /proc/sys/kernel/random/boot_id; echo "$QEMU $GUEST $CPU"; } |
	sha256sum | cut -c1-16)
memo=$CACHE/.kvm-probe-$key
if [ -z "${VSWITCH_KVM_PROBE_NOCACHE:-}" ] && [ -s "$memo" ]; then
	cat "$memo"
	exit 0
fi

tmp=$(mktemp -d)
pid=
cleanup() {
	# Stop our QEMU (TERM, then KILL) and reap it.
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 20 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The guest runs an empty script and powers off once its network is up.
# Its NIC's user-mode backend is restricted: nothing leaves QEMU.
"$QEMU" -M q35 -accel kvm ${CPU:+-cpu "$CPU"} -m 256 -smp 1 -nodefaults \
	-display none -monitor none -L /usr/share/seabios \
	-serial "file:$tmp/console" \
	-kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.img" \
	-append "console=ttyS0 quiet panic=-1 vsw.role=run vsw.cmd=$(echo true | base64)" \
	-netdev user,id=n0,restrict=on \
	-device virtio-net-pci,netdev=n0,romfile= \
	-no-reboot </dev/null >"$tmp/qemu.log" 2>&1 &
pid=$!

# Poll for the marker; stop early if QEMU exits (no KVM support, error).
result=tcg
i=0
while [ $i -lt $((TIMEOUT * 5)) ]; do
	if grep -q '^VSW-GUEST-READY' "$tmp/console" 2>/dev/null; then
		result=kvm
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
	i=$((i + 1))
done
if [ "$result" = tcg ] && [ -n "${VSWITCH_DEBUG:-}" ]; then
	echo "kvm-probe: no READY marker within ${TIMEOUT}s" >&2
	cat "$tmp/qemu.log" >&2
fi
mkdir -p "$CACHE"
rm -f "$CACHE"/.kvm-probe-*
echo "$result" >"$memo"
echo "$result"
