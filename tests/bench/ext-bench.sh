#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ext-bench.sh - External and Internal switches against a Linux bridge:
# TCP throughput and the 64-byte frame rate, side by side, in one run.
#
# A benchmark, not a test: it prints figures and fails only when it cannot
# measure.  See tests/bench/README.md, "ext-bench.sh".
#
# Three network namespaces it creates (and removes, EXIT trap):
#   H  "the host": vswitchd runs here (its own socket and state directory
#      under a fresh temporary directory); the bridges of the baselines.
#   L  "the LAN": one end of a veth whose other end, lan0 in H, is the
#      External switch's NIC (or a port of the bridge).
#   V  "the VM": a kernel stack behind a TAP device tapvm, attached to the
#      switch by vsw-tap with offloads, as a virtio-net guest with TSO
#      (or: a libvswitch port of vsw-blast, no kernel stack).
#
# Every path is measured the same way, in these set-ups ("variants"):
#   ext-vsw       L -- veth -- lan0 =NIC= vswitchd -- vsw-tap -- tapvm (V)
#   ext-br-veth   L -- veth -- lan0 =br0= veth -- vmif (V)               (all kernel)
#   ext-br-tap    L -- veth -- lan0 =br0= tapbr -- relay -- tapvm (V)    (QEMU's TAP, no vhost)
#   int-vsw       H: vsw-int (host adapter) =vswitchd= vsw-tap -- tapvm (V)
#   int-br-veth   H: br0 (the host's address) = veth -- vmif (V)
#   int-br-tap    H: br0 (the host's address) = tapbr -- relay -- tapvm (V)
# "relay" is vsw-blast relay: a TAP on the bridge whose userspace end
# moves frames to and from the VM's TAP, one read() and one write() per
# frame, as vsw-tap does on the vswitch side.
#
# Each of --runs rounds sets every variant up in turn, measures each figure
# once and takes it down; the report gives medians over the rounds.
# Figures per variant: ping RTT (median of 30); iperf3 TCP, one stream,
# each direction, --tcp-seconds; 64-byte UDP/IPv4 frames sent by
# vsw-blast tx (AF_PACKET, sendmmsg, PACKET_QDISC_BYPASS) at full speed,
# each direction, counted at the far end's interface (rx_packets): the
# rate the far end's NIC took them in.  The far end's stack drops them at
# a UDP socket that never reads (vsw-blast sink).  For vswitch also the
# same with a libvswitch port (vsw-blast vsw-rx / vsw-tx) as the VM, which
# has no TAP and no kernel stack behind it.  CPU: the CPU seconds per
# second of the machine (/proc/stat) and of vswitchd, its data path
# thread, vsw-tap and the relay (/proc/PID/stat), averaged over the runs.
# For vswitch, the drops of the switch's ports during each run, by reason.
# With perf, after the last round, a system-wide profile of each 64-byte
# run through vswitch (the data path thread by TID, the others by PID).
#
# Only processes started here are stopped, by PID; every wait is bounded.
# Usage: ext-bench.sh [--runs N] [--tcp-seconds S] [--frame-seconds S]
#                     [--variants LIST] [--pin-vswitchd CPUS] [--pin-clients CPUS]
#                     [--vswitchd-arg ARG]... [--no-perf] [--keep]
# Environment: VSWITCH_BUILD_DIR (default <repo>/build).

set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
vswitchd=$build/net-backend/daemon/vswitchd
vswitchctl=$build/net-backend/cli/vswitchctl
vswtap=$build/tests/vsw-tap
blast=$build/tests/vsw-blast

runs=3
tcp_s=5
fr_s=3
variants="ext-vsw ext-br-veth ext-br-tap int-vsw int-br-veth int-br-tap"
pin_vswd=
pin_cli=
do_perf=1
keep=
vswd_args=()

usage() {
	sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--tcp-seconds) tcp_s=$2; shift ;;
	--frame-seconds) fr_s=$2; shift ;;
	--variants) variants=${2//,/ }; shift ;;
	--pin-vswitchd) pin_vswd=$2; shift ;;
	--pin-clients) pin_cli=$2; shift ;;
	--vswitchd-arg) vswd_args+=("$2"); shift ;;
	--no-perf) do_perf= ;;
	--keep) keep=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

if [ "$(id -u)" != 0 ]; then
	echo "ext-bench: needs root (network namespaces, TAP, AF_PACKET)" >&2
	exit 77
fi
need_vswd=
for v in $variants; do
	case $v in *-vsw) need_vswd=1 ;; esac
done
for f in ${need_vswd:+"$vswitchd" "$vswitchctl" "$vswtap"} "$blast"; do
	if [ ! -x "$f" ]; then
		echo "ext-bench: $f is missing: build first (ninja -C $build)" >&2
		exit 1
	fi
done
for t in ip iperf3 jq ping timeout taskset awk; do
	if ! command -v "$t" >/dev/null; then
		echo "ext-bench: $t is missing (packages: iproute2 iperf3 jq iputils-ping coreutils util-linux gawk)" >&2
		exit 1
	fi
done
if [ -n "$do_perf" ] && ! command -v perf >/dev/null; then
	echo "ext-bench: no perf: no profiles"
	do_perf=
fi

H=vxb-h-$$
L=vxb-l-$$
V=vxb-v-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ext-bench.XXXXXX") || exit 1
sock=$tmp/vswitchd.sock
vswd_pid=
dp_tid=
pids=()			# long-lived helpers (sinks)
vpids=()		# the current variant's processes
tck=$(getconf CLK_TCK)

# Addresses: the LAN (or, on Internal, the host) 10.77.0.1 / .3, the VM .2,
# the libvswitch VM .12.
MAC_LAN=02:00:5e:77:00:01
MAC_VM=02:00:5e:77:00:02
MAC_HOST=02:00:5e:77:00:03
MAC_VMP=02:00:5e:77:00:12
IP_LAN=10.77.0.1
IP_VM=10.77.0.2
IP_HOST=10.77.0.3
IP_VMP=10.77.0.12

log() { echo "ext-bench: $*" >&2; }

stop_pid() {
	local pid=$1 i=0

	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pid ns

	for pid in "${vpids[@]}" "${pids[@]}" $vswd_pid; do
		stop_pid "$pid"
	done
	for ns in "$H" "$L" "$V"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$keep" ]; then
		log "logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Wait up to $1 tenths of a second for "$2..." to succeed.
wait_for() {
	local tenths=$1 i

	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# What the clients and vswitchd run under: taskset, or nothing.
cli_pre=()
vswd_pre=()
[ -n "$pin_cli" ] && cli_pre=(taskset -c "$pin_cli")
[ -n "$pin_vswd" ] && vswd_pre=(taskset -c "$pin_vswd")

# vbg NS OUT CMD...: start CMD in NS in the background (ip netns exec
# execs it: $! is its PID), output to OUT, a process of this variant.
vbg() {
	local ns=$1 out=$2

	shift 2
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	vpids+=("$!")
	last_pid=$!
}

ctl() { timeout 20 "$vswitchctl" -s "$sock" "$@"; }

rx_packets() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

# CPU ticks (user + system) of PID, or of thread TID of PID.
ticks() {
	local f=/proc/$1/stat

	[ -n "${2:-}" ] && f=/proc/$1/task/$2/stat
	[ -r "$f" ] || { echo 0; return; }
	sed 's/.*) //' "$f" | awk '{ print $12 + $13 }'
}

# "busy total" jiffies of the whole machine (steal and idle are not busy).
sys_ticks() {
	awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6 + $9; print b, t; exit }' /proc/stat
}

# The processes whose CPU each run reports: "label pid [tid]" lines.
cpu_procs=()

# cpu_snap: one line of tick counts, in cpu_procs' order, then the
# machine's busy ticks and the clock in ns.
cpu_snap() {
	local e out=""

	for e in "${cpu_procs[@]}"; do
		# shellcheck disable=SC2086 # "label pid [tid]"
		set -- $e
		out="$out $(ticks "$2" "${3:-}")"
	done
	echo "$out $(sys_ticks | cut -d' ' -f1) $(date +%s%N)"
}

# cpu_diff BEFORE AFTER: "label=cores ..." for the run in between.
cpu_diff() {
	local b=$1 a=$2 labels="" e

	for e in "${cpu_procs[@]}"; do
		# shellcheck disable=SC2086
		set -- $e
		labels="$labels $1"
	done
	awk -v b="$b" -v a="$a" -v l="$labels machine" -v tck="$tck" -v ncpu="$(nproc)" 'BEGIN {
		nb = split(b, B); split(a, A); split(l, N)
		s = (A[nb] - B[nb]) / 1e9
		for (i = 1; i < nb; i++)
			printf "%s%s=%.2f", (i > 1 ? " " : ""), N[i], (A[i] - B[i]) / tck / s
		printf "\n"
	}'
}

# ---------------------------------------------------------------------
# Results: res[VARIANT,KEY] = "value value ..." (one per run)

declare -A res
declare -A cpu

add() { res[$1,$2]="${res[$1,$2]:-} $3"; }
addcpu() { cpu[$1,$2]="${cpu[$1,$2]:-}|$3"; }

median() {
	# shellcheck disable=SC2086
	printf '%s\n' $1 | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "n/a"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Mean of each label over the runs: "a=0.50 b=1.00|a=0.70 b=0.90" -> "a=0.60 b=0.95".
cpu_mean() {
	echo "$1" | tr '|' '\n' | grep -v '^$' | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2]; if (!(kv[1] in o)) { o[kv[1]] = ++n; k[n] = kv[1] } }
		runs++
	} END { for (i = 1; i <= n; i++) printf "%s%s=%.2f", (i > 1 ? " " : ""), k[i], s[k[i]] / runs; printf "\n" }'
}

# ---------------------------------------------------------------------
# Namespaces, vswitchd

setup_namespaces() {
	local ns

	for ns in "$H" "$L" "$V"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		# The blasted frames end at a socket that never reads.
		ip netns exec "$ns" "$blast" sink --seconds 3600 --ready-file "$tmp/sink-$ns" \
			>"$tmp/sink-$ns.log" 2>&1 &
		pids+=("$!")
	done
	for ns in "$H" "$L" "$V"; do
		wait_for 50 test -e "$tmp/sink-$ns" || return 1
	done
}

start_vswitchd() {
	local t

	mkdir -p "$tmp/state"
	ip netns exec "$H" "${vswd_pre[@]}" "$vswitchd" --socket "$sock" \
		--state-dir "$tmp/state" "${vswd_args[@]}" >"$tmp/vswitchd.log" 2>&1 &
	vswd_pid=$!
	if ! wait_for 100 ctl switch list; then
		log "vswitchd did not start:"
		tail -20 "$tmp/vswitchd.log" >&2
		return 1
	fi
	for t in /proc/"$vswd_pid"/task/*; do
		if [ "$(cat "$t/comm")" = vswitch-dp ]; then
			dp_tid=${t##*/}
		fi
	done
}

# ---------------------------------------------------------------------
# Variants.  A set-up defines: PEER_NS, PEER_IF, PEER_MAC, PEER_IP (the LAN
# or the host), VM_IF, SW (vswitch only) and cpu_procs.

vm_addr() { # IF: the VM's MAC and address on IF in V
	ip -n "$V" link set "$1" address "$MAC_VM" up &&
		ip -n "$V" addr add "$IP_VM/24" dev "$1"
}

lan_veth() { # lan1 (L, the LAN's address) -- lan0 (H, up, no address)
	ip -n "$H" link add lan0 type veth peer name lan1 netns "$L" &&
		ip -n "$L" link set lan1 address "$MAC_LAN" up &&
		ip -n "$L" addr add "$IP_LAN/24" dev lan1 &&
		ip -n "$H" link set lan0 up
}

vm_tap() { # vsw-tap on switch $SW, tapvm in V
	vbg "$V" "$tmp/vsw-tap.log" "${cli_pre[@]}" "$vswtap" --socket "$sock" \
		--switch "$SW" --port vm --tap tapvm --mac "$MAC_VM" --offload \
		--ready-file "$tmp/vsw-tap.ready"
	tap_pid=$last_pid
	wait_for 50 test -e "$tmp/vsw-tap.ready" || return 1
	vm_addr tapvm
}

vm_relay() { # tapbr (H, on br0) -- relay -- tapvm (V)
	vbg "$H" "$tmp/relay.log" "${cli_pre[@]}" "$blast" relay --tap tapbr --tap-b tapvm \
		--netns-b "/run/netns/$V" --offload --seconds 3600 --ready-file "$tmp/relay.ready"
	relay_pid=$last_pid
	wait_for 50 test -e "$tmp/relay.ready" || return 1
	ip -n "$H" link set tapbr master br0 up && vm_addr tapvm
}

vm_veth() { # vm0 (H, on br0) -- vmif (V)
	ip -n "$H" link add vm0 type veth peer name vmif netns "$V" &&
		ip -n "$H" link set vm0 master br0 up && vm_addr vmif
}

bridge() { # br0 in H, up; $1: the host's address on it, if any
	ip -n "$H" link add br0 type bridge &&
		ip -n "$H" link set br0 address "$MAC_HOST" up || return 1
	if [ -n "${1:-}" ]; then
		ip -n "$H" addr add "$1/24" dev br0
	fi
}

setup_ext-vsw() {
	SW=ext
	lan_veth || return 1
	ctl switch add ext --nic lan0 --dedicated >"$tmp/ctl.log" 2>&1 || {
		cat "$tmp/ctl.log" >&2
		return 1
	}
	vm_tap || return 1
	PEER_NS=$L PEER_IF=lan1 PEER_MAC=$MAC_LAN PEER_IP=$IP_LAN VM_IF=tapvm
	cpu_procs=("vswitchd $vswd_pid" "dp $vswd_pid $dp_tid" "vsw-tap $tap_pid")
}

setup_ext-br-veth() {
	lan_veth && bridge && ip -n "$H" link set lan0 master br0 && vm_veth || return 1
	PEER_NS=$L PEER_IF=lan1 PEER_MAC=$MAC_LAN PEER_IP=$IP_LAN VM_IF=vmif
	cpu_procs=()
}

setup_ext-br-tap() {
	lan_veth && bridge && ip -n "$H" link set lan0 master br0 && vm_relay || return 1
	PEER_NS=$L PEER_IF=lan1 PEER_MAC=$MAC_LAN PEER_IP=$IP_LAN VM_IF=tapvm
	cpu_procs=("relay $relay_pid")
}

setup_int-vsw() {
	SW=int
	ctl switch add int --type internal >"$tmp/ctl.log" 2>&1 || {
		cat "$tmp/ctl.log" >&2
		return 1
	}
	wait_for 50 ip -n "$H" link show vsw-int || return 1
	ip -n "$H" link set vsw-int up && ip -n "$H" addr add "$IP_HOST/24" dev vsw-int || return 1
	vm_tap || return 1
	PEER_NS=$H PEER_IF=vsw-int PEER_IP=$IP_HOST VM_IF=tapvm
	PEER_MAC=$(ip netns exec "$H" cat /sys/class/net/vsw-int/address)
	cpu_procs=("vswitchd $vswd_pid" "dp $vswd_pid $dp_tid" "vsw-tap $tap_pid")
}

setup_int-br-veth() {
	bridge "$IP_HOST" && vm_veth || return 1
	PEER_NS=$H PEER_IF=br0 PEER_MAC=$MAC_HOST PEER_IP=$IP_HOST VM_IF=vmif
	cpu_procs=()
}

setup_int-br-tap() {
	bridge "$IP_HOST" && vm_relay || return 1
	PEER_NS=$H PEER_IF=br0 PEER_MAC=$MAC_HOST PEER_IP=$IP_HOST VM_IF=tapvm
	cpu_procs=("relay $relay_pid")
}

teardown() {
	local pid

	for pid in "${vpids[@]}"; do
		stop_pid "$pid"
	done
	vpids=()
	if [ -n "${SW:-}" ]; then
		ctl switch remove "$SW" --force >/dev/null 2>&1
	fi
	SW=
	ip -n "$H" link del lan0 2>/dev/null
	ip -n "$H" link del vm0 2>/dev/null
	ip -n "$H" link del br0 2>/dev/null
	rm -f "$tmp"/*.ready
}

# The peer and the VM know each other (ARP) and every switch has learnt
# both MACs.  Return: false if the VM cannot be reached.
refresh() {
	wait_for 100 ip netns exec "$PEER_NS" ping -c1 -W1 "$IP_VM" &&
		ip netns exec "$V" ping -c1 -W1 "$PEER_IP" >/dev/null 2>&1
}

# ---------------------------------------------------------------------
# Measurements

# port_ctr: "PORT:REASON COUNT" lines, the drops of every port of $SW.
port_ctr() {
	[ -n "${SW:-}" ] || return 0
	ctl --json port list "$SW" 2>/dev/null |
		jq -r '(.ports // .return.ports // [])[] | .name as $n |
		       (.drops // {} | to_entries[] | "\($n):\(.key) \(.value)")' 2>/dev/null
}

# port_drops BEFORE AFTER: "PORT:REASON=N ..." for the drops of the run, or "none".
port_drops() {
	[ -n "${SW:-}" ] || return 0
	awk 'NR == FNR { b[$1] = $2; next }
	     { d = $2 - b[$1]; if (d > 0) { printf "%s%s=%d", (n++ ? " " : ""), $1, d } }
	     END { if (!n) printf "none"; printf "\n" }' <(echo "$1") <(echo "$2")
}

# tcp_run VARIANT DIR(fwd: peer -> VM, rev: VM -> peer) RUN
tcp_run() {
	local v=$1 dir=$2 r=$3 b a pb drops gbps rtx c flag=

	[ "$dir" = rev ] && flag=-R
	refresh || { log "$v: the VM does not answer"; return 1; }
	pb=$(port_ctr)
	b=$(cpu_snap)
	ip netns exec "$PEER_NS" timeout $((tcp_s + 20)) "${cli_pre[@]}" iperf3 -c "$IP_VM" \
		-t "$tcp_s" -O 1 -J $flag >"$tmp/iperf.json" 2>&1
	a=$(cpu_snap)
	drops=$(port_drops "$pb" "$(port_ctr)")
	gbps=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9' "$tmp/iperf.json" 2>/dev/null)
	rtx=$(jq -r '.end.sum_sent.retransmits // "?"' "$tmp/iperf.json" 2>/dev/null)
	if [ -z "$gbps" ] || [ "$gbps" = 0 ]; then
		log "$v tcp $dir: iperf3 failed: $(jq -r '.error // empty' "$tmp/iperf.json" 2>/dev/null || head -3 "$tmp/iperf.json")"
		gbps=0
	fi
	c=$(cpu_diff "$b" "$a")
	add "$v" "tcp-$dir" "$gbps"
	addcpu "$v" "tcp-$dir" "$c"
	printf '  %-12s tcp %-3s     %6.2f Gbit/s, %s retransmits; CPU s/s: %s%s\n' \
		"$v" "$dir" "$gbps" "$rtx" "$c" "${drops:+; switch drops: $drops}"
}

# rtt_run VARIANT: ping from the peer to the VM, 30 x 20 ms apart; the
# median round trip in microseconds.
rtt_run() {
	local v=$1 us

	refresh || return 1
	us=$(ip netns exec "$PEER_NS" timeout 20 ping -n -c 30 -i 0.02 "$IP_VM" 2>/dev/null |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", v[int((NR + 1) / 2)] * 1000 }')
	[ -n "$us" ] || return 1
	add "$v" rtt "$us"
	printf '  %-12s ping         %s us (median of 30)\n' "$v" "$us"
}

# frames_run VARIANT DIR RUN [vsw]: 64-byte frames; with "vsw" the VM is a
# libvswitch port (vsw-blast vsw-rx / vsw-tx) instead of vsw-tap + tapvm.
frames_run() {
	local v=$1 dir=$2 r=$3 port=${4:-} key b a pb drops r0 r1 out sent secs rx c rxpid=

	key=fr-$dir${port:+-$port}
	refresh || { log "$v: the VM does not answer"; return 1; }
	if [ "$dir" = fwd ] && [ -n "$port" ]; then
		rm -f "$tmp/vsw-rx.ready"
		vbg "$V" "$tmp/vsw-rx.out" "${cli_pre[@]}" "$blast" vsw-rx --socket "$sock" \
			--switch "$SW" --mac "$MAC_VMP" --seconds $((fr_s + 15)) --idle-ms 500 \
			--ready-file "$tmp/vsw-rx.ready"
		rxpid=$last_pid
		cpu_procs+=("vsw-rx $rxpid")
		wait_for 50 test -e "$tmp/vsw-rx.ready" || { log "vsw-rx did not attach"; return 1; }
		sleep 0.2
	fi
	pb=$(port_ctr)
	if [ "$dir" = fwd ]; then
		r0=$(rx_packets "$V" "$VM_IF")
		b=$(cpu_snap)
		out=$(ip netns exec "$PEER_NS" timeout $((fr_s + 10)) "${cli_pre[@]}" "$blast" tx \
			--if "$PEER_IF" --dst "$([ -n "$port" ] && echo "$MAC_VMP" || echo "$MAC_VM")" \
			--src-ip "$PEER_IP" --dst-ip "$([ -n "$port" ] && echo "$IP_VMP" || echo "$IP_VM")" \
			--seconds "$fr_s")
		a=$(cpu_snap)
		sleep 0.3
		if [ -n "$port" ]; then
			wait_for 100 sh -c "! kill -0 $rxpid"
			rx=$(sed -n 's/.*mode=vsw-rx frames=\([0-9]*\).*/\1/p' "$tmp/vsw-rx.out")
		else
			r1=$(rx_packets "$V" "$VM_IF")
			rx=$((r1 - r0))
		fi
	elif [ -n "$port" ]; then
		r0=$(rx_packets "$PEER_NS" "$PEER_IF")
		b=$(cpu_snap)
		out=$(ip netns exec "$V" timeout $((fr_s + 10)) "${cli_pre[@]}" "$blast" vsw-tx \
			--socket "$sock" --switch "$SW" --mac "$MAC_VMP" --dst "$PEER_MAC" \
			--src-ip "$IP_VMP" --dst-ip "$PEER_IP" --seconds "$fr_s")
		a=$(cpu_snap)
		sleep 0.3
		r1=$(rx_packets "$PEER_NS" "$PEER_IF")
		rx=$((r1 - r0))
	else
		r0=$(rx_packets "$PEER_NS" "$PEER_IF")
		b=$(cpu_snap)
		out=$(ip netns exec "$V" timeout $((fr_s + 10)) "${cli_pre[@]}" "$blast" tx \
			--if "$VM_IF" --dst "$PEER_MAC" --src-ip "$IP_VM" --dst-ip "$PEER_IP" \
			--seconds "$fr_s")
		a=$(cpu_snap)
		sleep 0.3
		r1=$(rx_packets "$PEER_NS" "$PEER_IF")
		rx=$((r1 - r0))
	fi
	drops=$(port_drops "$pb" "$(port_ctr)")
	sent=$(echo "$out" | sed -n 's/.* frames=\([0-9]*\).*/\1/p')
	secs=$(echo "$out" | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p')
	if [ -z "$sent" ] || [ -z "$secs" ] || [ -z "$rx" ]; then
		log "$v $key: no figures: $out"
		return 1
	fi
	c=$(cpu_diff "$b" "$a")
	[ -n "$rxpid" ] && unset 'cpu_procs[-1]'
	add "$v" "$key" "$(awk -v n="$rx" -v s="$secs" 'BEGIN { printf "%.4f", n / s / 1e6 }')"
	add "$v" "$key-offered" "$(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.4f", n / s / 1e6 }')"
	add "$v" "$key-loss" "$(awk -v n="$rx" -v t="$sent" 'BEGIN { printf "%.2f", t ? 100 * (1 - n / t) : 0 }')"
	addcpu "$v" "$key" "$c"
	printf '  %-12s 64 B %-7s sent %.3f Mpps, received %.3f Mpps (%s of %s); CPU s/s: %s%s\n' \
		"$v" "$dir${port:+ $port}" "$(awk -v n="$sent" -v s="$secs" 'BEGIN { print n / s / 1e6 }')" \
		"$(awk -v n="$rx" -v s="$secs" 'BEGIN { print n / s / 1e6 }')" "$rx" "$sent" "$c" \
		"${drops:+; switch drops: $drops}"
}

# perf_run VARIANT DIR LABEL [vsw]: a system-wide profile of a 64-byte run
# (with "vsw": the VM is a libvswitch port).  The sender and vsw-rx bound
# themselves (--seconds): no timeout, so $! is their PID.
perf_run() {
	local v=$1 dir=$2 label=$3 port=${4:-} f=$tmp/perf-$1-$2${4:+-$4}.data txpid rxpid="" ours

	refresh || return 1
	if [ "$dir" = fwd ] && [ -n "$port" ]; then
		rm -f "$tmp/vsw-rx.ready"
		ip netns exec "$V" "${cli_pre[@]}" "$blast" vsw-rx --socket "$sock" --switch "$SW" \
			--mac "$MAC_VMP" --seconds 20 --idle-ms 500 --ready-file "$tmp/vsw-rx.ready" \
			>/dev/null 2>&1 &
		rxpid=$!
		wait_for 50 test -e "$tmp/vsw-rx.ready" || return 1
		ip netns exec "$PEER_NS" "${cli_pre[@]}" "$blast" tx --if "$PEER_IF" \
			--dst "$MAC_VMP" --src-ip "$PEER_IP" --dst-ip "$IP_VMP" --seconds 5 \
			>/dev/null 2>&1 &
	elif [ "$dir" = fwd ]; then
		ip netns exec "$PEER_NS" "${cli_pre[@]}" "$blast" tx --if "$PEER_IF" \
			--dst "$MAC_VM" --src-ip "$PEER_IP" --dst-ip "$IP_VM" --seconds 5 \
			>/dev/null 2>&1 &
	elif [ -n "$port" ]; then
		ip netns exec "$V" "${cli_pre[@]}" "$blast" vsw-tx --socket "$sock" \
			--switch "$SW" --mac "$MAC_VMP" --dst "$PEER_MAC" --src-ip "$IP_VMP" \
			--dst-ip "$PEER_IP" --seconds 5 >/dev/null 2>&1 &
	else
		ip netns exec "$V" "${cli_pre[@]}" "$blast" tx --if "$VM_IF" \
			--dst "$PEER_MAC" --src-ip "$IP_VM" --dst-ip "$PEER_IP" --seconds 5 \
			>/dev/null 2>&1 &
	fi
	txpid=$!
	ours=$txpid${rxpid:+,$rxpid}
	[ -n "${tap_pid:-}" ] && [ -z "$port" ] && ours=$ours,$tap_pid
	sleep 1
	timeout 30 perf record -q -e cpu-clock -a -g -o "$f" -- sleep 3 >/dev/null 2>&1
	wait "$txpid" 2>/dev/null
	[ -n "$rxpid" ] && wait "$rxpid" 2>/dev/null
	echo
	echo "perf, $label: 64-byte frames, 3 s, both CPUs (cpu-clock)."
	echo "  samples by command (other jobs on the machine included):"
	perf report -i "$f" --stdio --no-children --sort comm --percent-limit 2 -g none 2>/dev/null |
		grep -E '^ +[0-9]' | head -8
	echo "  vswitchd's data path thread (TID $dp_tid): $(perf report -i "$f" --stdio --no-children \
		--tid "$dp_tid" --percentage relative --sort sym --percent-limit 0 -g none 2>/dev/null |
		grep -E '^ +[0-9]' | awk '{ if ($2 == "[k]") k += $1; else u += $1 }
			END { printf "%.0f%% of its samples in the kernel, %.0f%% in user space", k, u }')."
	echo "  Where its time went, inclusive (system calls, and what runs under them):"
	perf report -i "$f" --stdio --children --tid "$dp_tid" --percentage relative --sort sym \
		--percent-limit 3 -g none 2>/dev/null | grep -E '^ +[0-9]' |
		grep -E ' (__sys_sendto|__sys_sendmsg|ksys_write|ksys_read|do_epoll_wait|__x64_sys_sched_yield|net_rx_action|__netif_receive_skb_one_core|ip_rcv|tun_get_user|tun_do_read|tpacket_snd|__dev_queue_xmit|veth_xmit)$' |
		head -12
	echo "  vswitchd's data path thread, % of its own samples, by function:"
	perf report -i "$f" --stdio --no-children --tid "$dp_tid" --percentage relative \
		--sort dso,sym --percent-limit 2 -g none 2>/dev/null | grep -E '^ +[0-9]' | head -16
	echo "  the sender, vsw-tap or vsw-rx (PIDs $ours), % of their samples:"
	perf report -i "$f" --stdio --no-children --pid "$ours" --percentage relative \
		--sort comm,sym --percent-limit 2 -g none 2>/dev/null | grep -E '^ +[0-9]' | head -14
}

# measure_variant VARIANT ROUND: set it up, one run of every figure, take it down.
measure_variant() {
	local v=$1 r=$2 dir peer

	if ! "setup_$v"; then
		log "variant $v: set-up failed; skipped"
		teardown
		return
	fi
	if ! refresh; then
		log "variant $v: the VM cannot be reached; skipped"
		teardown
		return
	fi
	echo "$v, round $r (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
	ip netns exec "$V" iperf3 -s >"$tmp/iperf-server.log" 2>&1 &
	vpids+=("$!")
	sleep 0.3
	rtt_run "$v"
	for dir in fwd rev; do
		tcp_run "$v" "$dir" "$r"
	done
	for dir in fwd rev; do
		frames_run "$v" "$dir" "$r"
	done
	if [ -n "${SW:-}" ]; then
		for dir in fwd rev; do
			frames_run "$v" "$dir" "$r" vsw
		done
		if [ -n "$do_perf" ] && [ "$r" = "$runs" ]; then
			peer=LAN
			[ "$PEER_NS" = "$H" ] && peer=host
			{
				perf_run "$v" fwd "$v, $peer -> VM (vsw-tap)"
				perf_run "$v" rev "$v, VM (vsw-tap) -> $peer"
				perf_run "$v" fwd "$v, $peer -> VM (libvswitch port)" vsw
				perf_run "$v" rev "$v, VM (libvswitch port) -> $peer" vsw
			} >>"$tmp/perf.txt"
		fi
	fi
	teardown
}

# ---------------------------------------------------------------------
# Report

fmt() { # WIDTH VALUES: their median, or n/a
	local m

	m=$(median "$2")
	if [ "$m" = n/a ]; then printf "%${1}s" n/a; else printf "%${1}.3f" "$m"; fi
}

# frame_cell VARIANT KEY: "Mpps (offered, loss%)"
frame_cell() {
	local m o l

	m=$(median "${res[$1,$2]:-}")
	o=$(median "${res[$1,$2-offered]:-}")
	l=$(median "${res[$1,$2-loss]:-}")
	if [ "$m" = n/a ]; then
		printf '%-23s' "   n/a"
	else
		printf '%6.3f (%6.3f, %4.1f%%)' "$m" "$o" "$l"
	fi
}

ratio() { # VARIANT-A VARIANT-B KEY: median(A) / median(B)
	local a b

	a=$(median "${res[$1,$3]:-}")
	b=$(median "${res[$2,$3]:-}")
	awk -v a="$a" -v b="$b" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b == 0) printf "%6s ", "-"; else printf "%6.2fx", a / b }'
}

report() {
	local path v k sfx base label fwd rev key

	echo
	echo "Medians of $runs runs. TCP: iperf3, one stream, ${tcp_s} s (first second omitted)."
	echo "64 B: frames the far end's interface received per second (the libvswitch"
	echo "port: frames it received), in Mpps; in brackets what the sender sent and the loss."
	for path in ext int; do
		if [ $path = ext ]; then
			label="External: VM port <-> LAN namespace"
			fwd="LAN>VM" rev="VM>LAN"
		else
			label="Internal: host <-> VM port"
			fwd="host>VM" rev="VM>host"
		fi
		echo
		printf '%-36s | %-15s | %-47s | %s\n' "$label" "TCP Gbit/s" "64 B Mpps received (sent, loss)" "ping"
		printf '%-36s | %7s %7s | %-23s | %-23s | %6s\n' "" "$fwd" "$rev" "$fwd" "$rev" "RTT us"
		for v in "$path-vsw" "$path-br-veth" "$path-br-tap" "$path-vsw/port"; do
			k=${v%/port} sfx=
			case $v in
			*-vsw) label="vswitch, VM: vsw-tap + TAP" ;;
			*-br-veth) label="bridge + veth" ;;
			*-br-tap) label="bridge + TAP + relay" ;;
			*/port) label="vswitch, VM: libvswitch port"; sfx=-vsw ;;
			esac
			if [ -n "$sfx" ]; then
				printf '%-36s | %7s %7s |' "$label" - -
			else
				printf '%-36s | %s %s |' "$label" "$(fmt 7 "${res[$k,tcp-fwd]:-}")" \
					"$(fmt 7 "${res[$k,tcp-rev]:-}")"
			fi
			printf ' %s | %s |' "$(frame_cell "$k" "fr-fwd$sfx")" "$(frame_cell "$k" "fr-rev$sfx")"
			if [ -n "$sfx" ]; then printf ' %6s\n' -; else printf ' %6s\n' "$(median "${res[$k,rtt]:-}")"; fi
		done
		for base in br-veth br-tap; do
			label="bridge+veth"
			[ $base = br-tap ] && label="bridge+TAP"
			printf '%-36s | %s %s | %s %15s | %s %15s |\n' "ratio vsw-tap / $label" \
				"$(ratio "$path-vsw" "$path-$base" tcp-fwd)" \
				"$(ratio "$path-vsw" "$path-$base" tcp-rev)" \
				"$(ratio "$path-vsw" "$path-$base" fr-fwd)" "" \
				"$(ratio "$path-vsw" "$path-$base" fr-rev)" ""
		done
		for base in br-veth br-tap; do
			label="bridge+veth"
			[ $base = br-tap ] && label="bridge+TAP"
			res[$path-port,fr-fwd]=${res[$path-vsw,fr-fwd-vsw]:-}
			res[$path-port,fr-rev]=${res[$path-vsw,fr-rev-vsw]:-}
			printf '%-36s | %7s %7s | %s %15s | %s %15s |\n' "ratio libvswitch port / $label" - - \
				"$(ratio "$path-port" "$path-$base" fr-fwd)" "" \
				"$(ratio "$path-port" "$path-$base" fr-rev)" ""
		done
	done
	echo
	echo "CPU seconds per second, mean of the runs; machine: both CPUs busy, other jobs' included (at most $(nproc).00):"
	for v in $variants; do
		for key in tcp-fwd tcp-rev fr-fwd fr-rev fr-fwd-vsw fr-rev-vsw; do
			[ -n "${cpu[$v,$key]:-}" ] || continue
			printf '  %-12s %-10s %s\n' "$v" "$key" "$(cpu_mean "${cpu[$v,$key]}")"
		done
	done
}

# ---------------------------------------------------------------------

setup_namespaces || { log "cannot create the namespaces"; exit 1; }
if [ -n "$need_vswd" ]; then
	start_vswitchd || exit 1
fi
echo "ext-bench: $(nproc) CPUs, $(uname -r); vswitchd $( [ -n "$pin_vswd" ] && echo "on CPUs $pin_vswd" || echo "not pinned"), clients (senders, vsw-tap, relay, iperf3) $( [ -n "$pin_cli" ] && echo "on CPUs $pin_cli" || echo "not pinned")${dp_tid:+; data path thread $dp_tid at nice $(awk '{ print $19 }' "/proc/$vswd_pid/task/$dp_tid/stat" 2>/dev/null)}"
[ ${#vswd_args[@]} -gt 0 ] && echo "vswitchd options: ${vswd_args[*]}"
echo "$runs rounds; each sets up every variant in turn and runs ${tcp_s} s TCP and ${fr_s} s of 64-byte frames each way"
for v in $variants; do
	if ! declare -F "setup_$v" >/dev/null; then
		log "unknown variant $v"
		exit 2
	fi
done
for ((round = 1; round <= runs; round++)); do
	for v in $variants; do
		measure_variant "$v" "$round"
	done
done
report
[ -s "$tmp/perf.txt" ] && cat "$tmp/perf.txt"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
