#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's demo: a VM on the Default switch gets an address by DHCP and reaches the host.
#
# Usage: contrib/demo.sh [--shell]
#   --shell   give the guest's console to the terminal instead of running
#             the scripted demo (quit with Ctrl-A X)
#
# As root it installs the Debian packages it needs first; as another user
# they must be there already (the Default switch itself needs no root).
# It builds vswitch and the patched QEMU (cached), starts a vswitchd of
# its own on a private socket, a small web server on 127.0.0.1 (port 8080,
# or another free one), and
# boots the test guest with -netdev vswitch,switch=Default.  The guest
# takes a DHCP lease, pings the gateway and fetches the page from the
# host through the NAT.  Traffic stays on this machine (the NAT maps the
# gateway 10.0.2.2 to the host's 127.0.0.1).  Everything it started is
# stopped at the end.
set -eu
set -o pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$REPO"
SHELL_MODE=
[ "${1:-}" = --shell ] && SHELL_MODE=1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" = 0 ]; then
	say "Installing Debian packages (contrib/install-deps.sh)"
	contrib/install-deps.sh >/dev/null
fi

say "Building vswitch (meson, build/)"
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
say "Building the patched QEMU and the test guest (cached after the first run)"
QEMU=$(contrib/build-qemu.sh | tail -n1)
GUEST=$(contrib/build-guest.sh | tail -n1)
KERNEL=$GUEST/vmlinux
[ -f "$KERNEL" ] || KERNEL=$GUEST/vmlinuz

TMP=$(mktemp -d /tmp/vswitch-demo.XXXXXX)
SOCK=$TMP/vswitchd.sock
CTL=(build/net-backend/cli/vswitchctl --socket "$SOCK")
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

say "Starting vswitchd"
echo "\$ vswitchd --socket $SOCK --state-dir $TMP/state &"
build/net-backend/daemon/vswitchd --socket "$SOCK" --state-dir "$TMP/state" \
	2>"$TMP/vswitchd.log" &
PIDS+=($!)
for _ in $(seq 100); do
	"${CTL[@]}" version >/dev/null 2>&1 && break
	sleep 0.1
done
echo "\$ vswitchctl switch list"
"${CTL[@]}" switch list
# As root, guests reach the host's own 127.0.0.1 through the gateway only
# where an administrator allows it; the demo's page is served there.
echo "\$ vswitchctl nat set host-loopback on"
"${CTL[@]}" nat set host-loopback on

# A page for the guest to fetch, served on the host's loopback only.
mkdir -p "$TMP/www"
echo "Hello from the host, through the vswitch Default switch." >"$TMP/www/hello.txt"
PORT=8080
if ! python3 -c 'import socket,sys; socket.create_server(("127.0.0.1", int(sys.argv[1])))' \
	"$PORT" 2>/dev/null; then
	PORT=$(python3 -c 'import socket; print(socket.create_server(("127.0.0.1", 0)).getsockname()[1])')
fi
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$TMP/www" \
	>"$TMP/http.log" 2>&1 &
PIDS+=($!)

NETDEV="vswitch,id=net0,switch=Default,sock=$SOCK"
QEMU_ARGS=(-M q35 -accel tcg -m 256 -nodefaults -display none -no-reboot
	-kernel "$KERNEL" -initrd "$GUEST/initrd.img"
	-netdev "$NETDEV" -device virtio-net-pci,netdev=net0,romfile=)
say "Booting the guest on the Default switch"
echo "\$ qemu-system-x86_64 ... -netdev $NETDEV -device virtio-net-pci,netdev=net0"

if [ -n "$SHELL_MODE" ]; then
	echo "(the guest's shell; try: ip addr; ping 10.0.2.2; wget -O - http://10.0.2.2:$PORT/hello.txt)"
	"$QEMU" "${QEMU_ARGS[@]}" -serial mon:stdio \
		-append "console=ttyS0 quiet panic=-1 vsw.ip=dhcp vsw.role=shell"
	exit 0
fi

SCRIPT="echo 'guest\$ ip -4 addr show eth0'; ip -4 addr show eth0 | grep inet
echo 'guest\$ ip route'; ip route
echo 'guest\$ ping -c 3 10.0.2.2'; ping -c 3 -W 2 10.0.2.2 | tail -n 2
echo 'guest\$ wget -O - http://10.0.2.2:$PORT/hello.txt'
wget -q -O - http://10.0.2.2:$PORT/hello.txt
sleep 2"
"$QEMU" "${QEMU_ARGS[@]}" -serial "file:$TMP/console" -name demo \
	-append "console=ttyS0 quiet panic=-1 vsw.ip=dhcp vsw.role=run vsw.cmd=$(printf '%s\n' "$SCRIPT" | base64 -w0)" \
	</dev/null >"$TMP/qemu.log" 2>&1 &
QEMU_PID=$!
PIDS+=("$QEMU_PID")

# Show the console as it comes, and the switch's view once the guest is up.
shown=0 ports_shown= ready=0
for _ in $(seq 1200); do		# at most 120 s
	if [ -f "$TMP/console" ]; then
		n=$(wc -l <"$TMP/console")
		if [ "$n" -gt "$shown" ]; then
			# From the READY marker on: the guest's boot chatter stays out.
			sed -n "$((shown + 1)),${n}p" "$TMP/console" |
				awk -v on="$ready" '/^VSW-GUEST-READY/ {on = 1} on' |
				grep -E '^(guest\$|VSW-GUEST|    inet|default|10\.|[0-9]+ packets|round-trip|Hello)' |
				sed 's/^/  | /' || true
			grep -q '^VSW-GUEST-READY' "$TMP/console" && ready=1
			shown=$n
		fi
		if [ -z "$ports_shown" ] && grep -q '^Hello' "$TMP/console"; then
			ports_shown=1
			say "What the switch sees meanwhile"
			echo "\$ vswitchctl port list Default"
			"${CTL[@]}" port list Default
			echo "\$ vswitchctl mac list Default"
			"${CTL[@]}" mac list Default
		fi
		grep -q '^VSW-GUEST-EXIT' "$TMP/console" && break
	fi
	kill -0 "$QEMU_PID" 2>/dev/null || break
	sleep 0.1
done
if grep -q '^Hello from the host' "$TMP/console" &&
   grep -q '^VSW-GUEST-READY ip=10\.0\.2\.' "$TMP/console"; then
	say "Demo done: the guest got a lease and reached the host."
	exit 0
fi
say "Demo failed; the guest's console:"
cat "$TMP/console" 2>/dev/null || true
cat "$TMP/qemu.log" "$TMP/vswitchd.log"
exit 1
