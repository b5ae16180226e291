#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-external.sh - Internal and External switches: host adapters (TAP
# devices vswitchd makes) and NICs (bound through AF_PACKET), with kernel
# stacks on every side.
#
# Everything happens in network namespaces the test creates (vswxPID-*):
#   host    vswitchd runs here (ip netns exec); its host adapters appear
#           here; veth ends here stand in for physical NICs
#   lan2,3,5  the other ends of those veths, with addresses: "the LAN"
#   VM      one per VM, named after its port: vsw-tap attaches the port
#           and bridges it to tap0, so the namespace's kernel stack is the
#           guest
#   x1, x2  two more "hosts", each with its own vswitchd, joined by a veth
#           underlay and a VXLAN device each, bound as their NICs
# This kernel may have no 802.1Q module: the LAN's VLAN interfaces are TAP
# devices a small Python shim bridges to the veth, adding and removing the
# tag (802.1Q or 802.1ad) itself.
#
# Covers (in this order: 5 stops and restarts vswitchd):
#  1. Internal: the host adapter, ping and TCP (content) both ways, its
#     VLAN, removing it, names in use, the Default switch refusing adapters.
#  2. External, dedicated: the NIC stripped (no addresses, IPv6 off), VMs
#     reach the LAN (ping, TCP both ways).
#  3. External, shared: the host adapter takes the NIC's MAC, addresses,
#     routes and MTU; the host and VMs reach the LAN, no duplicate replies.
#  4. VLAN trunking on the NIC: tagged VLAN 10 to VLAN 10 ports only, the
#     untagged LAN to untagged ports only, 802.1ad frames to no VM (counted
#     as vlan-violation on @nic), the NIC's native VLAN.
#  6. Refusals: no such NIC, lo, a bridge and its port, a NIC bound
#     elsewhere, host adapter names taken.
#  7. A NIC unplugged (veth deleted) and plugged back, dedicated and
#     shared; a shared NIC missing when vswitchd starts.
#  5. Exact restoration (addresses, flags, labels, lifetimes, routes of
#     every table, multipath, MTU, promiscuity, sysctls) after unbinding,
#     after a move to another switch, on SIGTERM, after kill -9 + restart,
#     on switch removal; the state file while bound.
#  8. Two hosts over VXLAN: untagged and VLAN 10 ports on both sides.
#
# Every wait is bounded; only PIDs started here are killed; the namespaces
# and the temporary directory go in the EXIT trap.
# Exit: 0 pass, 1 fail, 77 skip (not root).
# Environment: VSWITCH_BUILD_DIR (default <repo>/build), VSWITCH_KEEP_LOGS.

set -u

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: test-external.sh needs root (network namespaces, veth, TAP)"
	exit 77
fi

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
# shellcheck source=tests/integration/lib.sh
. "$repo/tests/integration/lib.sh"
vswitchd=$build/net-backend/daemon/vswitchd
vswitchctl=$build/net-backend/cli/vswitchctl
vswtap=$build/tests/vsw-tap
# The system's python3 first: version-manager shims take ~0.2 s to start.
python=$(command -v /usr/bin/python3 || command -v python3)

for f in "$vswitchd" "$vswitchctl" "$vswtap"; do
	if [ ! -x "$f" ]; then
		echo "FAIL: $f is missing: build first (meson compile -C $build)"
		exit 1
	fi
done
for t in ip ss ping socat timeout cmp "$python"; do
	if ! command -v "$t" >/dev/null; then
		echo "FAIL: $t is missing (packages: iproute2 iputils-ping socat diffutils python3)"
		exit 1
	fi
done

P=vswx$$			# prefix of every namespace made here
H=$P-host
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-external.XXXXXX") || exit 1
blob=$tmp/blob			# what TCP transfers carry
namespaces=()			# created here, deleted at exit
pids=()				# everything started here but daemons, killed by PID
extra_pids=()			# a NAT helper a kill -9 left behind
declare -A d_ns d_sock d_state d_pid d_log
declare -A vm_ns
D=h				# the daemon ctl, vm and js talk to
nvm=0
tport=7100
out_lines=25
t_start=$(date +%s)

log() { echo "test-external: $*"; }

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pid n

	for pid in "${pids[@]}"; do
		stop_pid "$pid" 100
	done
	for n in "${!d_pid[@]}"; do
		[ -z "${d_pid[$n]}" ] || stop_pid "${d_pid[$n]}" 100
	done
	for pid in "${extra_pids[@]}"; do
		stop_pid "$pid" 100
	done
	for n in "${namespaces[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ -n "${VSWITCH_KEEP_LOGS:-}" ]; then
		log "logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
}

on_exit() {
	local n

	if [ "$failures" -gt 0 ]; then
		for n in "${!d_log[@]}"; do
			echo "----- vswitchd $n log (last 40 lines)"
			tail -40 "${d_log[$n]}"
		done
	fi
	cleanup
}
trap on_exit EXIT
trap 'exit 1' INT TERM HUP

# Wait up to $1 tenths of a second (by the clock) for "$2..." to succeed,
# trying every 0.1 s; then once more, loudly.
wait_for() {
	local end=$(($(date +%s%N) + $1 * 100000000))

	shift
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}

# expect WANT COMMAND...: COMMAND prints exactly WANT.
expect() {
	local want=$1 got

	shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] && return 0
	echo "got '$got', want '$want'"
	return 1
}

# refused PATTERN... -- COMMAND...: COMMAND fails, its message matches every
# PATTERN (extended regular expressions, any case).
refused() {
	local pats=() out p

	while [ "$1" != -- ]; do
		pats+=("$1")
		shift
	done
	shift
	if out=$("$@" 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	echo "$out"
	for p in "${pats[@]}"; do
		grep -Eqi -- "$p" <<<"$out" || { echo "the message lacks /$p/"; return 1; }
	done
}

new_ns() {
	ip netns add "$1" || return 1
	namespaces+=("$1")
	ip -n "$1" link set lo up
}

# ---------------------------------------------------------------------
# Daemons, vswitchctl
# ---------------------------------------------------------------------

# daemon_def NAME NS: a vswitchd of its own (socket, state directory, log) in NS.
daemon_def() {
	mkdir -p "$tmp/d-$1"
	d_ns[$1]=$2
	d_sock[$1]=$tmp/d-$1/vswitchd.sock
	d_state[$1]=$tmp/d-$1/state
	d_log[$1]=$tmp/d-$1/vswitchd.log
	d_pid[$1]=
}

daemon_start() {
	local n=$1

	echo "----- start" >>"${d_log[$n]}"
	ip netns exec "${d_ns[$n]}" "$vswitchd" --socket "${d_sock[$n]}" \
		--state-dir "${d_state[$n]}" >>"${d_log[$n]}" 2>&1 &
	d_pid[$n]=$!
	wait_for 100 "$vswitchctl" -s "${d_sock[$n]}" switch list >/dev/null
}

# daemon_stop NAME: SIGTERM, then wait (bounded, 10 s): true if it exited by itself with 0.
daemon_stop() {
	local n=$1 pid=${d_pid[$1]} i=0 rc

	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null && echo "vswitchd did not stop within 10 s"
	wait "$pid"
	rc=$?
	d_pid[$n]=
	[ "$rc" = 0 ] || echo "vswitchd exited with $rc"
	[ "$rc" = 0 ]
}

ctl() { "$vswitchctl" -s "${d_sock[$D]}" "$@"; }

# js EXPR VSWITCHCTL-ARGS...: Python EXPR on the --json reply as r.
js() {
	local e=$1

	shift
	ctl --json "$@" | "$python" -c 'import json,sys
r = json.load(sys.stdin)
v = eval(sys.argv[1])
print(" ".join(map(str, v)) if isinstance(v, tuple) else v)' "$e"
}

# port_drop SWITCH PORT REASON: a port's drop counter.
port_drop() {
	js "next(p for p in r['ports'] if p['name'] == '$2')['drops']['$3']" port list "$1"
}

nic_state() { js "r['nic']['state']" switch show "$1"; }
# port_names SWITCH: its ports' names, sorted.
port_names() { js "' '.join(sorted(p['name'] for p in r['ports']))" port list "$1"; }
# port_ctr SWITCH PORT KEY: a counter of a port.
port_ctr() { js "next(p for p in r['ports'] if p['name'] == '$2')['$3']" port list "$1"; }
switch_names() { js "' '.join(sorted(s['name'] for s in r['switches']))" switch list; }
# before_has SWITCH TEXT: what the switch's NIC had before binding mentions TEXT.
before_has() { js "r['nic']['before']" switch show "$1" | grep -qF -- "$2"; }
ge() { [ "$1" -ge "$2" ] || { echo "$1 < $2"; return 1; }; }
is_up() { ip -n "$1" link show dev "$2" | grep -q '<.*[,<]UP[,>].*>'; }
# count_addr NS ADDR: how many interfaces of NS have IPv4 address ADDR.
count_addr() { ip -n "$1" -4 -o addr show | grep -c " $2/"; }
no_state_files() { ! ls "${d_state[$D]}"/nic-*.state 2>/dev/null; }

# ---------------------------------------------------------------------
# VMs, traffic
# ---------------------------------------------------------------------

# vm NAME SWITCH VLAN ADDR...: a VM in namespace $P-NAME: port NAME on
# SWITCH of daemon $D (VLAN 0: untagged), tap0 with ADDR... (CIDR; IPv6
# without DAD), with checksum and TSO offloads like a virtio-net guest.
# $VM_MTU sets tap0's MTU.
vm() {
	local name=$1 sw=$2 vlan=$3 ns=$P-$1 mac a

	shift 3
	nvm=$((nvm + 1))
	mac=$(printf '52:54:00:aa:00:%02x' "$nvm")
	vm_ns[$name]=$ns
	new_ns "$ns" || return 1
	ip netns exec "$ns" "$vswtap" --socket "${d_sock[$D]}" --switch "$sw" --port "$name" \
		--tap tap0 --vlan "$vlan" --mac "$mac" --offload --reconnect \
		--ready-file "$tmp/$name.ready" >>"$tmp/vm-$name.log" 2>&1 &
	pids+=("$!")
	wait_for 50 test -e "$tmp/$name.ready" || return 1
	ip -n "$ns" link set tap0 address "$mac" mtu "${VM_MTU:-1500}" up || return 1
	for a; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev tap0 nodad ;;
		*) ip -n "$ns" addr add "$a" dev tap0 ;;
		esac || return 1
	done
}

# reach NS ADDR: ping from NS gets an answer (5 tries of 1 s).
reach() {
	local i out

	for i in 1 2 3 4 5; do
		out=$(ip netns exec "$1" ping -c 1 -W 1 "$2" 2>&1) && return 0
	done
	echo "$out"
	return 1
}

# unreach NS ADDR: two pings from NS get no answer.
unreach() {
	if ip netns exec "$1" ping -c 2 -i 0.3 -W 1 "$2"; then
		echo "answered"
		return 1
	fi
	return 0
}

# nodup NS ADDR: three pings, three answers, not one duplicate.
nodup() {
	local out

	reach "$1" "$2" || return 1
	out=$(ip netns exec "$1" ping -c 3 -i 0.2 -W 1 "$2" 2>&1)
	echo "$out"
	grep -q ' 3 received' <<<"$out" && ! grep -q 'DUP!' <<<"$out"
}

# tcp FROM-NS TO-NS ADDR: 1 MiB of random bytes from FROM-NS to a server
# on ADDR (IPv4) in TO-NS, compared.
tcp() {
	local from=$1 to=$2 addr=$3 out spid rc

	tport=$((tport + 1))
	out=$tmp/tcp.$tport
	ip netns exec "$to" timeout 30 socat -u "TCP4-LISTEN:$tport,bind=$addr,reuseaddr" \
		"CREATE:$out" &
	spid=$!
	if ! wait_for 30 ip netns exec "$to" sh -c "ss -Hltn 'sport = :$tport' | grep -q ."; then
		stop_pid "$spid" 100
		return 1
	fi
	ip netns exec "$from" timeout 20 socat -u "OPEN:$blob" \
		"TCP4:$addr:$tport,connect-timeout=5"
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "client: exit $rc"
		stop_pid "$spid" 100
		return 1
	fi
	wait "$spid" || { echo "server: exit $?"; return 1; }
	cmp "$blob" "$out"
}

# udp_once FROM-NS TO-NS ADDR: one UDP datagram to ADDR in TO-NS arrives once.
udp_once() {
	local out spid n

	tport=$((tport + 1))
	out=$tmp/udp.$tport
	ip netns exec "$2" timeout 2 socat -u "UDP4-RECV:$tport,bind=$3" "CREATE:$out" &
	spid=$!
	wait_for 30 ip netns exec "$2" sh -c "ss -Hlun 'sport = :$tport' | grep -q ."
	echo "datagram $tport" | ip netns exec "$1" socat -u - "UDP4-SENDTO:$3:$tport"
	wait "$spid"
	n=$(grep -c "^datagram $tport\$" "$out")
	[ "$n" = 1 ] || { echo "it arrived $n times"; return 1; }
}

# addrs NS DEV: DEV's addresses, "a/len" sorted, one line (link-local left out).
addrs() {
	ip -n "$1" -j addr show dev "$2" | "$python" -c 'import json,sys
r = json.load(sys.stdin)
print(" ".join(sorted("%s/%s" % (a["local"], a["prefixlen"]) for l in r
	for a in l.get("addr_info", []) if a.get("scope") != "link")))'
}

# link_get NS DEV KEY[.KEY...]: a member of ip -d -j link show DEV.
link_get() {
	ip -n "$1" -d -j link show dev "$2" | "$python" -c 'import json,sys
v = json.load(sys.stdin)[0]
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(" ".join(v) if isinstance(v, list) else v)' "$3"
}

sysctl_in() { ip netns exec "$1" cat "/proc/sys/net/$2"; }

# dedicated NS NIC: NIC has no address, IPv6 off.
dedicated() {
	! ip -n "$1" addr show dev "$2" | grep inet && expect 1 sysctl_in "$1" "ipv6/conf/$2/disable_ipv6"
}

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, IF2 up.
veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
		ip -n "$3" link set "$4" up
}

head -c $((1024 * 1024)) /dev/urandom >"$blob"

# A VLAN interface in user space: TAP device TAPNAME carries VLAN VID of
# DEV, tag protocol TPID, adding and removing the tag itself (the kernel
# strips received tags into metadata: PACKET_AUXDATA gives them back).
# Virtio-net headers on both sides keep what a veth passes on: a frame
# whose checksum is left to the hardware (a VM's, with offloads) must not
# reach the TAP as one with a bad checksum.
cat >"$tmp/vlan-shim.py" <<'EOF'
import fcntl, os, select, socket, struct, sys

dev, tapname, ready = sys.argv[1], sys.argv[2], sys.argv[5]
vid, tpid = int(sys.argv[3]), int(sys.argv[4], 0)
TUNSETIFF, IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x400454CA, 0x0002, 0x1000, 0x4000
SOL_PACKET, PACKET_AUXDATA, PACKET_VNET_HDR = 263, 8, 15
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
VNET = "=BBHHHH"	# flags, gso_type, hdr_len, gso_size, csum_start, csum_offset

def shift(vnet, d):
    """The virtio-net header of the frame with a tag added (d=4) or removed (d=-4)."""
    fl, gt, hl, gs, cs, co = struct.unpack(VNET, vnet)
    if fl & 1:
        cs += d
    if gt and hl:
        hl += d
    return struct.pack(VNET, fl, gt, hl, gs, cs, co)

tap = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", tapname.encode(),
                                        IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
s.bind((dev, 0))
open(ready, "w").close()
while True:
    r, _, _ = select.select([tap, s], [], [])
    if tap in r:
        d = os.read(tap, 70000)
        vnet, f = d[:10], d[10:]
        s.send(shift(vnet, 4) + f[:12] + struct.pack("!HH", tpid, vid) + f[12:])
    if s in r:
        d, anc, _, addr = s.recvmsg(70000, socket.CMSG_SPACE(20))
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        vnet, f = d[:10], d[10:]
        tag = None
        for lvl, typ, data in anc:
            if lvl == SOL_PACKET and typ == PACKET_AUXDATA:
                st, _, _, _, _, tci, tp = struct.unpack("IIIHHHH", data[:20])
                if st & TP_STATUS_VLAN_VALID:
                    tag = (tp if st & TP_STATUS_VLAN_TPID_VALID else 0x8100, tci)
        if tag is None and len(f) >= 18 and f[12:14] in (b"\x81\x00", b"\x88\xa8"):
            tag = struct.unpack("!HH", f[12:16])
            f = f[:12] + f[16:]
            vnet = shift(vnet, -4)
        if tag and tag[0] == tpid and tag[1] & 0xFFF == vid:
            os.write(tap, vnet + f)
EOF

# shim NS DEV TAPNAME VID TPID ADDR: a VLAN interface (above) with ADDR, up.
shim() {
	rm -f "$tmp/shim-$3.ready"
	ip netns exec "$1" "$python" "$tmp/vlan-shim.py" "$2" "$3" "$4" "$5" \
		"$tmp/shim-$3.ready" >>"$tmp/shim-$3.log" 2>&1 &
	pids+=("$!")
	wait_for 50 test -e "$tmp/shim-$3.ready" &&
		ip -n "$1" addr add "$6" dev "$3" && ip -n "$1" link set "$3" up
}

# What interface IF has, normalised for comparison: ip -d -j addr and link
# show (lifetimes reduced to forever/finite), its routes of every table
# (IPv4 and IPv6, multipath ones whose next hops use it; expiry reduced
# likewise), its sysctls.  Run in the namespace: snap.py IF [AS].  With AS
# (IF a host adapter, compared with the NIC AS it shares): addresses and
# routes only, IF's name (and labels) made AS's, IFA_F_NODAD and the
# link-local address left out.
cat >"$tmp/snap.py" <<'EOF'
import glob, json, subprocess, sys

nic = sys.argv[1]
as_nic = sys.argv[2] if len(sys.argv) > 2 else None

def ipj(*args):
    out = subprocess.run(["ip", "-j"] + list(args), check=True, capture_output=True, text=True).stdout
    return json.loads(out or "[]")

def rename(v):
    if as_nic and isinstance(v, str) and (v == nic or v.startswith(nic + ":")):
        return as_nic + v[len(nic):]
    return v

def lft(v):
    return "forever" if v == 4294967295 else "finite"

addrs, order4 = [], []
for link in ipj("-d", "addr", "show", "dev", nic):
    for a in link.pop("addr_info", []):
        if as_nic and a.get("scope") == "link":
            continue
        for k in ("valid_life_time", "preferred_life_time"):
            if k in a:
                a[k] = lft(a[k])
        if as_nic:
            a.pop("nodad", None)
        a = {k: rename(v) for k, v in a.items()}
        addrs.append(a)
        if a.get("family") == "inet":
            order4.append(a["local"])
links = ipj("-d", "link", "show", "dev", nic)

def uses(r):
    return r.get("dev") == nic or any(h.get("dev") == nic for h in r.get("nexthops", []))

routes = []
for fam in ("-4", "-6"):
    for r in ipj(fam, "route", "show", "table", "all"):
        if not uses(r):
            continue
        if as_nic and r.get("dst", "").startswith("fe80::") and r.get("type") == "local":
            continue
        r = {k: rename(v) for k, v in r.items()}
        if "expires" in r:
            r["expires"] = "finite"
        for h in r.get("nexthops", []):
            h["dev"] = rename(h.get("dev"))
        routes.append(r)

def key(x):
    return json.dumps(x, sort_keys=True)

state = {"addresses": sorted(addrs, key=key), "ipv4-order": order4,
         "routes": sorted(routes, key=key)}
if not as_nic:
    state["link"] = links
    sysctls = {}
    for f in sorted(glob.glob("/proc/sys/net/ipv4/conf/%s/*" % nic) +
                    glob.glob("/proc/sys/net/ipv6/conf/%s/*" % nic)):
        try:
            sysctls[f[len("/proc/sys/net/"):]] = open(f).read().strip()
        except OSError:
            pass
    state["sysctls"] = sysctls
print(json.dumps(state, indent=1, sort_keys=True))
EOF

# snap NS IF [AS] > FILE
snap() {
	local ns=$1

	shift
	ip netns exec "$ns" "$python" "$tmp/snap.py" "$@"
}

# same_as FILE NS IF [AS]: IF has what FILE recorded (a diff if not).
same_as() {
	local want=$1

	shift
	snap "$@" >"$tmp/now.json" || return 1
	diff -u "$want" "$tmp/now.json"
}

# restored FILE NS NIC: same_as within 5 s (DAD, link state settle).
restored() {
	wait_for 50 same_as "$@"
}

section() { echo "# $*"; }

# ---------------------------------------------------------------------
# The host namespace and its vswitchd
# ---------------------------------------------------------------------

new_ns "$H" || exit 1
daemon_def h "$H"
if ! daemon_start h; then
	echo "FAIL: vswitchd did not start"
	cat "${d_log[h]}"
	exit 1
fi
D=h

# =====================================================================
section "1. Internal switch: a host adapter"
# =====================================================================

check "switch add int --type internal" ctl switch add int --type internal
check "its host adapter vsw-int is a TAP device in the host namespace" \
	expect tun link_get "$H" vsw-int linkinfo.info_kind
check "... and not in the test's own namespace" sh -c "! ip link show vsw-int"
check "the switch is internal, its host adapter vsw-int up, untagged" \
	expect "internal vsw-int up 0 False" \
	js "r['type'], r['host-adapter']['name'], r['host-adapter']['state'], r['host-adapter']['vlan'], r['host-adapter']['shares-nic']" \
	switch show int
check "the host adapter is port @host" expect "@host" port_names int
check "vsw-int is up (vswitchd brought it up)" is_up "$H" vsw-int
ip -n "$H" addr add 10.1.0.1/24 dev vsw-int
ip -n "$H" addr add fd00:1::1/64 dev vsw-int nodad
ip -n "$H" link set vsw-int up
check "a VM on int (10.1.0.2)" vm vi1 int 0 10.1.0.2/24 fd00:1::2/64
check "ping host -> VM" reach "$H" 10.1.0.2
check "ping VM -> host" reach "${vm_ns[vi1]}" 10.1.0.1
check "ping IPv6 VM -> host" reach "${vm_ns[vi1]}" fd00:1::1
check "no duplicate replies" nodup "${vm_ns[vi1]}" 10.1.0.1
check "TCP host -> VM, 1 MiB, content" tcp "$H" "${vm_ns[vi1]}" 10.1.0.2
check "TCP VM -> host, 1 MiB, content" tcp "${vm_ns[vi1]}" "$H" 10.1.0.1
check "VM -> host: a UDP datagram arrives once" udp_once "${vm_ns[vi1]}" "$H" 10.1.0.1

check "switch set int --host-adapter-vlan 10" ctl switch set int --host-adapter-vlan 10
check "switch show: the host adapter is on VLAN 10" \
	expect 10 js "r['host-adapter']['vlan']" switch show int
check "the untagged VM no longer reaches the host" unreach "${vm_ns[vi1]}" 10.1.0.1
check "port set int vi1 --vlan 10" ctl port set int vi1 --vlan 10
check "VLAN 10: the VM reaches the host adapter" reach "${vm_ns[vi1]}" 10.1.0.1
check "VLAN 10: and the host the VM" reach "$H" 10.1.0.2
check "port set int vi1 --vlan 20" ctl port set int vi1 --vlan 20
check "VLAN 20: the VM does not reach the host adapter (VLAN 10)" unreach "${vm_ns[vi1]}" 10.1.0.1
check "VLAN 20: nor the host the VM" unreach "$H" 10.1.0.2
check "back to untagged: switch set int --host-adapter-vlan none" \
	ctl switch set int --host-adapter-vlan none
check "back to untagged: port set int vi1 --vlan none" ctl port set int vi1 --vlan none
check "untagged again: reachable" reach "${vm_ns[vi1]}" 10.1.0.1
# Somebody deletes the host adapter: vswitchd makes it again (without the
# addresses an administrator gave it, which went with it).
check "ip link del vsw-int" ip -n "$H" link del vsw-int
check "vsw-int is back within 5 s" wait_for 50 ip -n "$H" link show vsw-int
check "... up on the switch" wait_for 30 expect up js "r['host-adapter']['state']" switch show int
ip -n "$H" addr add 10.1.0.1/24 dev vsw-int
check "... and carries traffic again" reach "${vm_ns[vi1]}" 10.1.0.1

check "a second host adapter on int is refused" \
	refused "int" "already has host adapter 'vsw-int'" -- \
	ctl switch set int --host-adapter-name vsw-int2
check "a second switch cannot take vsw-int as its host adapter" \
	refused "vsw-int" "host adapter of switch 'int'" -- \
	ctl switch add x --type internal --host-adapter-name vsw-int
check "the Default switch takes no host adapter" \
	refused "Default" "host adapter" -- ctl switch set Default --host-adapter
check "the Default switch takes no NIC" \
	refused "Default" "NIC" -- ctl switch set Default --nic vsw-int
check "nothing was added" expect "Default int" switch_names

check "switch set int --no-host-adapter" ctl switch set int --no-host-adapter
check "int is private now, with no host adapter" \
	expect "private None" js "r['type'], r['host-adapter']" switch show int
check "vsw-int is gone" wait_for 30 sh -c "! ip -n $H link show vsw-int 2>/dev/null"
check "no port @host; the VM's port stays" expect "vi1" port_names int

# =====================================================================
section "2. External switch, dedicated NIC"
# =====================================================================

L2=$P-lan2
new_ns "$L2"
# One host with several VLAN interfaces: each answers ARP for its own addresses only.
ip netns exec "$L2" sysctl -qw net.ipv4.conf.all.arp_ignore=1
veth "$H" nicd "$L2" lan0
ip -n "$H" addr add 192.168.50.1/24 dev nicd
ip -n "$H" addr add fd00:50::1/64 dev nicd nodad
ip -n "$H" link set nicd up
ip -n "$H" route add 10.50.0.0/24 via 192.168.50.2 dev nicd
ip -n "$L2" addr add 192.168.50.2/24 dev lan0
ip -n "$L2" addr add fd00:50::2/64 dev lan0 nodad
check "before: the host reaches the LAN over nicd" reach "$H" 192.168.50.2
nicd_mac=$(link_get "$H" nicd address)

check "switch add ext --nic nicd --dedicated" ctl switch add ext --nic nicd --dedicated
check "ext is external, NIC nicd dedicated, up, no host adapter" \
	wait_for 30 expect "external nicd dedicated up None" \
	js "r['type'], r['nic']['name'], r['nic']['mode'], r['nic']['state'], r['host-adapter']" \
	switch show ext
check "the NIC is port @nic" expect "@nic" port_names ext
check "the state file nic-nicd.state exists" test -s "${d_state[h]}/nic-nicd.state"
check "switch show: what nicd had before (192.168.50.1/24)" before_has ext 192.168.50.1/24
check "nicd has no address left" expect "" addrs "$H" nicd
check "nicd has no IPv6 link-local address either" \
	sh -c "! ip -n $H -6 addr show dev nicd | grep -q inet6"
check "IPv6 is disabled on nicd" expect 1 sysctl_in "$H" ipv6/conf/nicd/disable_ipv6
check "no route through nicd is left" \
	expect "" sh -c "ip -n $H route show table all dev nicd; ip -n $H -6 route show table all dev nicd"
check "nicd is still up" is_up "$H" nicd
check "nicd is promiscuous (a real NIC would drop frames for the VMs' MACs)" \
	ge "$(link_get "$H" nicd promiscuity)" 1
check "nicd kept its MAC" expect "$nicd_mac" link_get "$H" nicd address
check "the host itself no longer reaches the LAN over nicd" unreach "$H" 192.168.50.2

check "a VM on ext (192.168.50.10)" vm vd1 ext 0 192.168.50.10/24 fd00:50::10/64
check "ping VM -> LAN" reach "${vm_ns[vd1]}" 192.168.50.2
check "ping LAN -> VM" reach "$L2" 192.168.50.10
check "ping IPv6 VM -> LAN" reach "${vm_ns[vd1]}" fd00:50::2
check "no duplicate replies" nodup "${vm_ns[vd1]}" 192.168.50.2
check "TCP VM -> LAN, 1 MiB, content" tcp "${vm_ns[vd1]}" "$L2" 192.168.50.2
check "TCP LAN -> VM, 1 MiB, content" tcp "$L2" "${vm_ns[vd1]}" 192.168.50.10

# =====================================================================
section "3. External switch, shared NIC"
# =====================================================================

L3=$P-lan3
new_ns "$L3"
veth "$H" nics "$L3" lan0
ip -n "$H" link set nics mtu 1400
ip -n "$H" addr add 192.168.60.1/24 dev nics
ip -n "$H" addr add fd00:60::1/64 dev nics nodad
ip -n "$H" link set nics up
ip -n "$H" route add 10.60.0.0/24 via 192.168.60.2 dev nics
ip -n "$H" -6 route add fd00:6000::/48 via fd00:60::2 dev nics
ip -n "$L3" link set lan0 mtu 1400
ip -n "$L3" addr add 192.168.60.2/24 dev lan0
ip -n "$L3" addr add fd00:60::2/64 dev lan0 nodad
ip -n "$L3" addr add 10.60.0.1/32 dev lo
ip -n "$L3" addr add fd00:6000::1/128 dev lo
check "before: the host reaches the LAN over nics" reach "$H" 192.168.60.2
nics_mac=$(link_get "$H" nics address)

check "switch add ext2 --nic nics (shared by default)" ctl switch add ext2 --nic nics
check "ext2 is external, NIC nics shared, up; host adapter vsw-ext2 up, shares the NIC" \
	wait_for 30 expect "external nics shared up vsw-ext2 up True" \
	js "r['type'], r['nic']['name'], r['nic']['mode'], r['nic']['state'], r['host-adapter']['name'], r['host-adapter']['state'], r['host-adapter']['shares-nic']" \
	switch show ext2
check "ports @host and @nic" expect "@host @nic" port_names ext2
check "vsw-ext2 has the NIC's MAC" expect "$nics_mac" link_get "$H" vsw-ext2 address
check "vsw-ext2 has the NIC's MTU (1400)" expect 1400 link_get "$H" vsw-ext2 mtu
check "vsw-ext2 has the NIC's addresses" \
	expect "192.168.60.1/24 fd00:60::1/64" addrs "$H" vsw-ext2
check "vsw-ext2 is up" is_up "$H" vsw-ext2
check "the NIC's IPv4 route goes through vsw-ext2" \
	sh -c "ip -n $H route show 10.60.0.0/24 | grep -q 'via 192.168.60.2 dev vsw-ext2'"
check "the NIC's IPv6 route goes through vsw-ext2" \
	sh -c "ip -n $H -6 route show fd00:6000::/48 | grep -q 'via fd00:60::2 dev vsw-ext2'"
check "nics has no address left" expect "" addrs "$H" nics
check "nics is still up" is_up "$H" nics
host_rx0=$(port_ctr ext2 @host rx-packets)
check "the host pings the LAN (through the switch)" reach "$H" 192.168.60.2
check "the host pings beyond, by its route (10.60.0.1)" reach "$H" 10.60.0.1
check "the host pings the LAN over IPv6" reach "$H" fd00:60::2
check "the host pings beyond over IPv6, by its route" reach "$H" fd00:6000::1
check "... through the switch (@host counted the frames)" \
	ge "$(port_ctr ext2 @host rx-packets)" $((host_rx0 + 4))
check "host -> LAN: no duplicate replies" nodup "$H" 192.168.60.2
check "LAN -> host: no duplicate replies" nodup "$L3" 192.168.60.1
check "LAN -> host: a UDP datagram arrives once" udp_once "$L3" "$H" 192.168.60.1
check "TCP host -> LAN, 1 MiB, content" tcp "$H" "$L3" 192.168.60.2
check "TCP LAN -> host, 1 MiB, content" tcp "$L3" "$H" 192.168.60.1
check "a VM on ext2 (192.168.60.10)" vm vs1 ext2 0 192.168.60.10/24
check "ping VM -> LAN" reach "${vm_ns[vs1]}" 192.168.60.2
check "ping VM -> host" reach "${vm_ns[vs1]}" 192.168.60.1
check "ping LAN -> VM" reach "$L3" 192.168.60.10
check "TCP VM -> LAN, 1 MiB, content" tcp "${vm_ns[vs1]}" "$L3" 192.168.60.2
check "TCP LAN -> VM, 1 MiB, content" tcp "$L3" "${vm_ns[vs1]}" 192.168.60.10

# =====================================================================
section "4. VLAN trunking on the NIC (ext, nicd)"
# =====================================================================

check "LAN: VLAN 10 interface lan10 (802.1Q), 192.168.51.2/24" \
	shim "$L2" lan0 lan10 10 0x8100 192.168.51.2/24
shim_pids=("${pids[-1]}")
check "LAN: 802.1ad VLAN 10 interface lanad, 192.168.52.2/24" \
	shim "$L2" lan0 lanad 10 0x88a8 192.168.52.2/24
shim_pids+=("${pids[-1]}")
check "a VM on ext, VLAN 10 (192.168.51.10, 192.168.50.11, 192.168.52.10)" \
	vm vd10 ext 10 192.168.51.10/24 192.168.50.11/24 192.168.52.10/24
ip -n "${vm_ns[vd1]}" addr add 192.168.51.11/24 dev tap0
ip -n "${vm_ns[vd1]}" addr add 192.168.52.11/24 dev tap0
check "VLAN 10 VM -> LAN VLAN 10" reach "${vm_ns[vd10]}" 192.168.51.2
check "LAN VLAN 10 -> VLAN 10 VM" reach "$L2" 192.168.51.10
check "TCP VLAN 10 VM -> LAN VLAN 10, content" tcp "${vm_ns[vd10]}" "$L2" 192.168.51.2
check "TCP LAN VLAN 10 -> VLAN 10 VM, content" tcp "$L2" "${vm_ns[vd10]}" 192.168.51.10
check "VLAN 10 VM does not reach the untagged LAN" unreach "${vm_ns[vd10]}" 192.168.50.2
check "the untagged VM does not reach LAN VLAN 10" unreach "${vm_ns[vd1]}" 192.168.51.2
check "the untagged VM still reaches the untagged LAN" reach "${vm_ns[vd1]}" 192.168.50.2
viol0=$(port_drop ext @nic vlan-violation)
ip netns exec "$L2" ping -c 3 -i 0.3 -W 1 -I lanad 192.168.52.11 >/dev/null 2>&1
check "802.1ad VLAN 10 frames from the LAN: no VM answers" \
	unreach "$L2" 192.168.52.10
check "... no VM even saw them (no neighbour entry for the sender)" \
	expect "" sh -c "ip -n ${vm_ns[vd10]} neigh show 192.168.52.2; ip -n ${vm_ns[vd1]} neigh show 192.168.52.2"
check "... @nic counted them as vlan-violation ($viol0 before)" \
	ge "$(port_drop ext @nic vlan-violation)" $((viol0 + 2))
check "LAN: VLAN 30 interface lan30 (no port is in VLAN 30), 192.168.53.2/24" \
	shim "$L2" lan0 lan30 30 0x8100 192.168.53.2/24
shim_pids+=("${pids[-1]}")
unused0=$(port_drop ext @nic unused-vlan)
ip netns exec "$L2" ping -c 3 -i 0.3 -W 1 -I lan30 192.168.53.10 >/dev/null 2>&1
check "VLAN 30 frames from the LAN: @nic counted them as unused-vlan ($unused0 before)" \
	ge "$(port_drop ext @nic unused-vlan)" $((unused0 + 2))
check "tagged 1500-byte payloads cross a NIC of MTU 1500 (VLAN 10 VM -> LAN, DF)" \
	sh -c "[ \"\$(ip -n $H -j link show nicd | $python -c 'import json,sys; print(json.load(sys.stdin)[0][\"mtu\"])')\" = 1500 ] &&
	       ip netns exec ${vm_ns[vd10]} ping -c 2 -W 2 -M do -s 1472 192.168.51.2 >/dev/null"
check "and back (LAN VLAN 10 -> VM, DF)" \
	ip netns exec "$L2" ping -c 2 -W 2 -M do -s 1472 192.168.51.10
check "switch set ext --nic-vlan 10 (untagged on the wire = VLAN 10)" ctl switch set ext --nic-vlan 10
check "native VLAN 10: the VLAN 10 VM reaches the untagged LAN" reach "${vm_ns[vd10]}" 192.168.50.2
check "native VLAN 10: the untagged VM does not" unreach "${vm_ns[vd1]}" 192.168.50.2
check "switch set ext --nic-vlan none" ctl switch set ext --nic-vlan none
check "the untagged VM reaches the untagged LAN again" reach "${vm_ns[vd1]}" 192.168.50.2
for pid in "${shim_pids[@]}"; do	# before lan0 goes, in 7
	stop_pid "$pid" 100
done

# =====================================================================
section "6. Refusals"
# =====================================================================

ip -n "$H" link add br0 type bridge
veth "$H" bp0 "$H" bp1
ip -n "$H" link set bp0 master br0
ip -n "$H" link set br0 up
check "no such NIC" refused "nosuch0" "no such|not exist|not found" -- \
	ctl switch add bad1 --nic nosuch0
check "the loopback interface" refused "'?lo'?" "loopback" -- ctl switch add bad2 --nic lo
check "a bridge port" refused "bp0" "br0|bridge" -- ctl switch add bad3 --nic bp0
check "a bridge" refused "br0" "bridge" -- ctl switch add bad4 --nic br0
check "a NIC bound to another switch, without --move" \
	refused "nicd" "'ext'" "move" -- ctl switch add bad5 --nic nicd
check "... nor by switch set" refused "nicd" "'ext'" "move" -- ctl switch set int --nic nicd
check "a host adapter named like an existing interface" \
	refused "bp1" "interface|exists" -- ctl switch add bad6 --type internal --host-adapter-name bp1
check "a NIC named like a switch's host adapter" \
	refused "vsw-ext2" "host adapter" "ext2" -- ctl switch add bad7 --nic vsw-ext2
check "a host adapter named like another switch's NIC" \
	refused "nics" "NIC" "ext2" -- ctl switch set int --host-adapter-name nics
check "an external switch without a NIC" refused "NIC" -- ctl switch add bad8 --type external
check "none of them was added" expect "Default ext ext2 int" switch_names
summary() { echo "$(nic_state ext) $(nic_state ext2) $(js "r['type']" switch show int)"; }
check "ext and ext2 are still up, int private" expect "up up private" summary
check "bp0 is untouched (still a port of br0)" \
	sh -c "ip -n $H link show bp0 | grep -q 'master br0'"
ip -n "$H" link del bp0
ip -n "$H" link del br0

# =====================================================================
section "7. A NIC unplugged and plugged back"
# =====================================================================

# Plugged back: the same NIC (MAC) on the same LAN (the other end's MAC too).
lan2_mac=$(link_get "$L2" lan0 address)
lan3_mac=$(link_get "$L3" lan0 address)
ip -n "$H" link del nicd
check "dedicated: switch show reports nicd down, with a reason" \
	wait_for 30 expect "down True" \
	js "r['nic']['state'], bool(r['nic'].get('error'))" switch show ext
log "ext's NIC: $(js "r['nic'].get('error')" switch show ext)"
check "vswitchd is still running" kill -0 "${d_pid[h]}"
check "... and answers" ctl switch show ext
ip -n "$H" link add nicd address "$nicd_mac" type veth peer name lan0 address "$lan2_mac" netns "$L2"
ip -n "$L2" addr add 192.168.50.2/24 dev lan0
ip -n "$L2" link set lan0 up
check "nicd re-created: back in service within 3 s" \
	wait_for 30 expect "up False" js "r['nic']['state'], 'error' in r['nic']" switch show ext
check "vswitchd brought the new nicd up" is_up "$H" nicd
ip -n "$H" link set nicd up
check "the new nicd is dedicated too: IPv6 off, no address" dedicated "$H" nicd
check "the VM reaches the LAN again" reach "${vm_ns[vd1]}" 192.168.50.2
check "switch show still has what nicd had first (192.168.50.1/24)" before_has ext 192.168.50.1/24

ip -n "$H" link del nics
check "shared: switch show reports nics down, with a reason" \
	wait_for 30 expect "down True" \
	js "r['nic']['state'], bool(r['nic'].get('error'))" switch show ext2
check "the host adapter stays meanwhile, with its addresses" \
	expect "192.168.60.1/24 fd00:60::1/64" addrs "$H" vsw-ext2
ip -n "$H" link add nics address "$nics_mac" mtu 1400 type veth \
	peer name lan0 address "$lan3_mac" netns "$L3" mtu 1400
ip -n "$L3" addr add 192.168.60.2/24 dev lan0
ip -n "$L3" addr add fd00:60::2/64 dev lan0 nodad
ip -n "$L3" link set lan0 up
check "nics re-created: back in service within 3 s" \
	wait_for 30 expect "up False" js "r['nic']['state'], 'error' in r['nic']" switch show ext2
ip -n "$H" link set nics up
check "the host reaches the LAN again" reach "$H" 192.168.60.2
check "the VM reaches the LAN again" reach "${vm_ns[vs1]}" 192.168.60.2

check "vswitchd stops (SIGTERM)" daemon_stop h
ip -n "$H" link del nics
check "vswitchd starts with ext2's NIC missing" daemon_start h
check "ext2: NIC down, waiting for it" wait_for 30 expect "down True" \
	js "r['nic']['state'], bool(r['nic'].get('error'))" switch show ext2
# Made under another name, addressed, then renamed: vswitchd finds it whole.
ip -n "$H" link add nics-new address "$nics_mac" mtu 1400 type veth \
	peer name lan0 address "$lan3_mac" netns "$L3" mtu 1400
ip -n "$H" addr add 192.168.60.1/24 dev nics-new
ip -n "$H" link set nics-new name nics
ip -n "$L3" addr add 192.168.60.2/24 dev lan0
ip -n "$L3" link set lan0 up
check "nics appears: in service within 3 s" \
	wait_for 30 expect "up False" js "r['nic']['state'], 'error' in r['nic']" switch show ext2
log "ext2's NIC: $(js "r['nic'].get('error')" switch show ext2)"
check "vsw-ext2 has nics's MAC" expect "$nics_mac" link_get "$H" vsw-ext2 address
check "vsw-ext2 has its address" expect "192.168.60.1/24" addrs "$H" vsw-ext2
ip -n "$H" link set nics up
check "the host reaches the LAN" reach "$H" 192.168.60.2
check "the VM reaches the LAN" reach "${vm_ns[vs1]}" 192.168.60.2

# =====================================================================
section "5. Exact restoration"
# =====================================================================

L5=$P-lan5
new_ns "$L5"
veth "$H" nicr "$L5" lanr
veth "$H" nicq "$L5" lanq
# nicr, shared below: much to give back.  (Addresses go on once the link
# is up, as a network configuration does: the kernel makes the prefix route
# of one with a finite lifetime only then.)
ip -n "$H" link set nicr mtu 1450 up
ip -n "$H" addr add 192.168.70.1/24 dev nicr
ip -n "$H" addr add 192.168.70.5/24 dev nicr			# secondary
ip -n "$H" addr add 10.70.0.1/16 brd + dev nicr label nicr:1
ip -n "$H" addr add 10.74.0.1 peer 10.74.0.2/32 dev nicr
ip -n "$H" addr add fd00:70::1/64 dev nicr nodad
ip -n "$H" addr add fd00:71::1/64 dev nicr nodad noprefixroute
ip -n "$H" addr add fd00:72::1/64 dev nicr nodad valid_lft 3000 preferred_lft 2000
ip -n "$H" addr add fd00:73::1/64 dev nicr			# with DAD
ip -n "$H" route add 10.71.0.0/24 via 192.168.70.2 dev nicr metric 50 mtu 1400 proto static
ip -n "$H" route add 10.72.0.0/24 dev nicr scope link src 192.168.70.5
ip -n "$H" route add 10.73.0.0/24 via 192.168.70.2 dev nicr table 100
ip -n "$H" route add 10.76.0.0/24 nexthop via 192.168.70.2 dev nicr weight 1 \
	nexthop via 192.168.70.3 dev nicr weight 2
ip -n "$H" route add default via 192.168.70.2 dev nicr metric 900
ip -n "$H" -6 route add fd00:7100::/48 via fd00:70::2 dev nicr metric 300
ip -n "$H" -6 route add fd00:7200::/48 dev nicr table 100
ip -n "$H" -6 route add default via fd00:70::2 dev nicr metric 900
# nicq, dedicated below: promiscuous already, MTU 9000, accept_ra off.
ip -n "$H" link set nicq mtu 9000 promisc on up
ip netns exec "$H" sysctl -qw net.ipv6.conf.nicq.accept_ra=0
ip -n "$H" addr add 192.168.71.1/24 dev nicq
ip -n "$H" addr add fd00:75::1/64 dev nicq nodad
ip -n "$H" route add 10.75.0.0/24 via 192.168.71.2 dev nicq table 200
ip -n "$L5" link set lanr mtu 1450
ip -n "$L5" addr add 192.168.70.2/24 dev lanr
ip -n "$L5" addr add fd00:70::2/64 dev lanr nodad
ip -n "$L5" link set lanq mtu 9000
ip -n "$L5" addr add 192.168.71.2/24 dev lanq
check "nicr's and nicq's IPv6 addresses settled (DAD)" \
	wait_for 50 sh -c "! ip -n $H addr show dev nicr | grep -q tentative &&
			   ! ip -n $H addr show dev nicq | grep -q tentative"
check "before: the host reaches the LAN over nicr" reach "$H" 192.168.70.2
snap "$H" nicr >"$tmp/nicr.0"
snap "$H" nicq >"$tmp/nicq.0"
snap "$H" nicr nicr >"$tmp/nicr.as"
st=${d_state[h]}
both_up() { echo "$(nic_state r1) $(nic_state q1)"; }
# A NIC's MAC, MTU and addresses but link-local.
mac_mtu_addrs() { echo "$(link_get "$1" "$2" address) $(link_get "$1" "$2" mtu) $(addrs "$1" "$2")"; }
# r2's record is nicr's first one.
r2_record() {
	ctl --json switch show r2 >"$tmp/r2.json" &&
		grep -qF '192.168.70.5/24' "$tmp/r2.json" && grep -qF 'nicr:1' "$tmp/r2.json" &&
		"$python" -c 'import json,sys; assert json.load(open(sys.argv[1]))["nic"]["before"]["mtu"] == 1450' \
			"$tmp/r2.json"
}

check "switch add r1 --nic nicr (shared)" ctl switch add r1 --nic nicr
check "r1: NIC up" wait_for 30 expect up nic_state r1
check "the state file nic-nicr.state exists, mode 0600" expect 600 stat -c %a "$st/nic-nicr.state"
check "vsw-r1 has exactly nicr's addresses and routes" \
	wait_for 30 same_as "$tmp/nicr.as" "$H" vsw-r1 nicr
check "vsw-r1 has nicr's MTU (1450)" expect 1450 link_get "$H" vsw-r1 mtu
check "the host reaches the LAN through vsw-r1" reach "$H" 192.168.70.2
check "switch set r1 --no-nic" ctl switch set r1 --no-nic
check "unbound: nicr has exactly what it had" restored "$tmp/nicr.0" "$H" nicr
check "... the state file is gone" test ! -e "$st/nic-nicr.state"
check "... 192.168.70.1 is on nicr only" expect 1 count_addr "$H" 192.168.70.1
check "r1 kept its host adapter: internal" expect internal js "r['type']" switch show r1

check "switch set r1 --nic nicr (r1 has a host adapter: shared)" ctl switch set r1 --nic nicr
check "r1: shared, NIC up" wait_for 30 expect "shared up" js "r['nic']['mode'], r['nic']['state']" switch show r1
check "switch set r1 --dedicated" ctl switch set r1 --dedicated
check "r1: dedicated, NIC up, no host adapter" wait_for 30 expect "dedicated up None" \
	js "r['nic']['mode'], r['nic']['state'], r['host-adapter']" switch show r1
check "vsw-r1 is gone; nicr stays stripped" \
	sh -c "! ip -n $H link show vsw-r1 && [ -z \"\$(ip -n $H addr show dev nicr | grep inet)\" ]"
check "r1 kept nicr's first record" before_has r1 192.168.70.5/24
check "switch set r1 --shared" ctl switch set r1 --shared
check "r1: shared, NIC up" wait_for 30 expect "shared up" js "r['nic']['mode'], r['nic']['state']" switch show r1
check "vsw-r1 has exactly nicr's addresses and routes (the first record's)" \
	wait_for 30 same_as "$tmp/nicr.as" "$H" vsw-r1 nicr
check "switch set r1 --no-nic" ctl switch set r1 --no-nic
check "unbound: nicr has exactly what it had" restored "$tmp/nicr.0" "$H" nicr

check "switch set r1 --nic nicr (r1 has a host adapter: shared)" ctl switch set r1 --nic nicr
check "r1: shared, NIC up" wait_for 30 expect "shared up" js "r['nic']['mode'], r['nic']['state']" switch show r1
check "switch add r2 (private)" ctl switch add r2
check "switch set r2 --nic nicr without --move is refused" \
	refused "nicr" "'r1'" "move" -- ctl switch set r2 --nic nicr
check "switch set r2 --nic nicr --move" ctl switch set r2 --nic nicr --move
check "r2: dedicated, NIC up" wait_for 30 expect "dedicated up" \
	js "r['nic']['mode'], r['nic']['state']" switch show r2
check "r1: internal" expect internal js "r['type']" switch show r1
check "r2 has nicr's first record (its secondary address, label, MTU)" r2_record
check "nicr is dedicated: no address, IPv6 off" dedicated "$H" nicr
check "192.168.70.1 is nowhere now" expect 0 count_addr "$H" 192.168.70.1
check "the state file stays" test -e "$st/nic-nicr.state"
check "switch set r2 --no-nic" ctl switch set r2 --no-nic
check "after the move and unbinding: nicr has exactly what it had" restored "$tmp/nicr.0" "$H" nicr
check "... the state file is gone" test ! -e "$st/nic-nicr.state"

nicq_mac=$(link_get "$H" nicq address)
check "switch add q1 --nic nicq --dedicated" ctl switch add q1 --nic nicq --dedicated
check "q1: NIC up" wait_for 30 expect up nic_state q1
check "switch add q2 --type internal" ctl switch add q2 --type internal
check "switch set q2 --nic nicq --move (q2 has a host adapter: shared)" ctl switch set q2 --nic nicq --move
check "q2: shared, NIC up" wait_for 30 expect "shared up" js "r['nic']['mode'], r['nic']['state']" switch show q2
check "vsw-q2 has nicq's MAC, MTU and addresses (from the record moved)" \
	expect "$nicq_mac 9000 192.168.71.1/24 fd00:75::1/64" \
	mac_mtu_addrs "$H" vsw-q2
check "nicq itself has another MAC meanwhile (its stack ignores the host adapter's frames)" \
	test "$(link_get "$H" nicq address)" != "$nicq_mac"
check "switch set q2 --no-nic" ctl switch set q2 --no-nic
check "after the move and unbinding: nicq has exactly what it had" restored "$tmp/nicq.0" "$H" nicq

check "switch set r1 --nic nicr (shared)" ctl switch set r1 --nic nicr
check "switch set q1 --nic nicq (dedicated)" ctl switch set q1 --nic nicq
check "r1 and q1: NICs up" wait_for 30 expect "up up" both_up
check "state files for nicr and nicq" test -e "$st/nic-nicr.state" -a -e "$st/nic-nicq.state"
check "SIGTERM: vswitchd stops" daemon_stop h
check "SIGTERM: nicr has exactly what it had" restored "$tmp/nicr.0" "$H" nicr
check "SIGTERM: nicq has exactly what it had" restored "$tmp/nicq.0" "$H" nicq
check "SIGTERM: no state file left" no_state_files
check "SIGTERM: the host adapters are gone" \
	sh -c "! ip -n $H link show vsw-r1 && ! ip -n $H link show vsw-ext2 && ! ip -n $H link show vsw-q2"
check "SIGTERM: nicd has its addresses back" expect "192.168.50.1/24 fd00:50::1/64" addrs "$H" nicd
check "SIGTERM: nics has its address back" expect "192.168.60.1/24" addrs "$H" nics

check "vswitchd starts again" daemon_start h
check "r1 and q1: NICs up again" wait_for 30 expect "up up" both_up
nat_pid=$(js "r['pid']" nat show)
kill -KILL "${d_pid[h]}"
wait "${d_pid[h]}" 2>/dev/null
d_pid[h]=
check "kill -9: the state files stay" test -e "$st/nic-nicr.state" -a -e "$st/nic-nicq.state"
check "kill -9: the NAT helper goes too" wait_for 30 sh -c "! kill -0 $nat_pid"
if kill -0 "$nat_pid" 2>/dev/null; then
	extra_pids+=("$nat_pid")
fi
check "vswitchd starts after kill -9" daemon_start h
check "it found the records" grep -q "nic-nicr.state: NIC nicr was bound" "${d_log[h]}"
check "r1 and q1: NICs up again" wait_for 30 expect "up up" both_up
check "r1's record is the first one (not the stripped NIC)" before_has r1 192.168.70.5/24
check "vsw-r1 has exactly nicr's addresses and routes again" \
	wait_for 30 same_as "$tmp/nicr.as" "$H" vsw-r1 nicr
check "the host reaches the LAN through vsw-r1" reach "$H" 192.168.70.2
check "SIGTERM: vswitchd stops" daemon_stop h
check "kill -9, restart, SIGTERM: nicr has exactly what it had" restored "$tmp/nicr.0" "$H" nicr
check "kill -9, restart, SIGTERM: nicq has exactly what it had" restored "$tmp/nicq.0" "$H" nicq
check "no state file left" no_state_files

check "vswitchd starts again" daemon_start h
check "r1 and q1: NICs up again" wait_for 30 expect "up up" both_up
check "switch remove q1 (no VM: @nic is the switch's own port)" ctl switch remove q1
ctl switch show q1 >/dev/null 2>&1 && ctl switch remove q1 --force >/dev/null
check "removed: nicq has exactly what it had" restored "$tmp/nicq.0" "$H" nicq
check "switch remove r1 --force" ctl switch remove r1 --force
check "removed: nicr has exactly what it had" restored "$tmp/nicr.0" "$H" nicr
check "switch remove ext --force (a VM attached)" ctl switch remove ext --force
check "removed: nicd has its addresses back" expect "192.168.50.1/24 fd00:50::1/64" addrs "$H" nicd
check "SIGTERM: vswitchd stops" daemon_stop h

# =====================================================================
section "8. Two hosts over VXLAN"
# =====================================================================

X1=$P-x1
X2=$P-x2
new_ns "$X1"
new_ns "$X2"
veth "$X1" u1 "$X2" u2
ip -n "$X1" addr add 10.99.0.1/24 dev u1
ip -n "$X1" link set u1 up
ip -n "$X2" addr add 10.99.0.2/24 dev u2
ip -n "$X1" link add vx0 type vxlan id 42 remote 10.99.0.2 dstport 4789 dev u1
ip -n "$X2" link add vx0 type vxlan id 42 remote 10.99.0.1 dstport 4789 dev u2
ip -n "$X1" link set vx0 up
ip -n "$X2" link set vx0 up
daemon_def x1 "$X1"
daemon_def x2 "$X2"
check "x1: vswitchd starts" daemon_start x1
check "x2: vswitchd starts" daemon_start x2
VM_MTU=1450			# what fits in the VXLAN
for D in x1 x2; do
	check "$D: switch add ext --nic vx0 --dedicated" ctl switch add ext --nic vx0 --dedicated
	check "$D: NIC up" wait_for 30 expect up nic_state ext
done
D=x1
check "x1: an untagged VM (172.30.0.1)" vm xa1 ext 0 172.30.0.1/24
check "x1: a VLAN 10 VM (172.30.0.11)" vm xb1 ext 10 172.30.0.11/24
D=x2
check "x2: an untagged VM (172.30.0.2)" vm xa2 ext 0 172.30.0.2/24
check "x2: a VLAN 10 VM (172.30.0.12)" vm xb2 ext 10 172.30.0.12/24
check "untagged: x1 -> x2" reach "${vm_ns[xa1]}" 172.30.0.2
check "untagged: x2 -> x1" reach "${vm_ns[xa2]}" 172.30.0.1
check "untagged: TCP x1 -> x2, content" tcp "${vm_ns[xa1]}" "${vm_ns[xa2]}" 172.30.0.2
check "VLAN 10: x1 -> x2" reach "${vm_ns[xb1]}" 172.30.0.12
check "VLAN 10: x2 -> x1" reach "${vm_ns[xb2]}" 172.30.0.11
check "VLAN 10: TCP x2 -> x1, content" tcp "${vm_ns[xb2]}" "${vm_ns[xb1]}" 172.30.0.11
check "VLAN 10 x1 does not reach untagged x2" unreach "${vm_ns[xb1]}" 172.30.0.2
check "untagged x1 does not reach VLAN 10 x2" unreach "${vm_ns[xa1]}" 172.30.0.12
check "untagged x2 does not reach VLAN 10 x1" unreach "${vm_ns[xa2]}" 172.30.0.11
check "x1: vswitchd stops" daemon_stop x1
check "x2: vswitchd stops" daemon_stop x2
unset VM_MTU

log "$((checks - failures))/$checks checks passed in $(($(date +%s) - t_start)) s"
[ "$failures" -eq 0 ]
