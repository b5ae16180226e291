#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nat-bench.sh - the Default switch's NAT against slirp4netns and pasta:
# TCP throughput guest -> host and host -> guest, same machine, same run.
#
# A kernel stack in a network namespace is the guest; iperf3's server runs
# on "the host's" loopback (127.0.0.1 of a second namespace), and the guest
# reaches it through each engine's address for the host:
#
#   vswitch-1500    vswitchd's Default switch (host-loopback on), the guest's
#                   tap0 bridged to a port by vsw-tap --offload (TSO and
#                   checksum offload, as a virtio-net guest); guest MTU 1500,
#                   iperf3 to 10.0.2.2
#   slirp-1500      slirp4netns --mtu 1500 (the same libslirp), to 10.0.2.2
#   slirp-65520     slirp4netns --mtu 65520 (its recommended setting): the
#                   guest's MTU is 65520 too
#   pasta           pasta (passt) --config-net: the guest gets a copy of the
#                   host namespace's address (192.0.2.1/24 on a veth) and reaches the host's loopback at the
#                   gateway, 192.0.2.254
#
# Each figure is the median of --runs iperf3 runs of --seconds (default
# 3 x 5 s), receiver side.  "host -> guest" is iperf3 -R: the server sends.
# Ratios are vswitch-1500 / the others.  "ping" is the average round trip
# of 200 pings to the engine's host address (libslirp answers them itself).  It is a benchmark, not a test:
# it prints figures and fails only when a run cannot be made.
#
# Everything happens in namespaces it creates (ip netns add) and removes;
# nothing leaves them.  Processes it started are stopped by PID.  Needs
# root; engines whose program is missing are reported as such.
#
# Usage: tests/bench/nat-bench.sh [--runs N] [--seconds S]
#                                 [--engines LIST] [--perf] [--keep]
#                                 [--vswitchd-arg ARG]... [--baseline DIR]
#                                 [--parallel N]
#   --engines  a comma list of the names above (default: all)
#   --perf     also record where the machine's CPUs go during one more
#              vswitch run each way (perf record -a)
#   --parallel N  N TCP streams at once (iperf3 -P; default 1): with one,
#              the 64 KiB window of libslirp's TCP bounds each engine by
#              its round trip; with more, by what it can carry
#   --baseline DIR  also measure the Default switch of another build
#              directory (engine "before-1500"), e.g. of the commit before
#              a change, in the same run
# Environment: VSWITCH_BUILD_DIR (default <repo>/build).
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
vswitchd=$build/net-backend/daemon/vswitchd
vswitchctl=$build/net-backend/cli/vswitchctl
vswtap=$build/tests/vsw-tap

RUNS=3
SECONDS_=5
ENGINES=vswitch-1500,slirp-1500,slirp-65520,pasta
PERF=
KEEP=
VSWITCHD_ARGS=()
BASELINE=
PARALLEL=1
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--seconds) SECONDS_=$2; shift ;;
	--engines) ENGINES=$2; shift ;;
	--perf) PERF=1 ;;
	--vswitchd-arg) VSWITCHD_ARGS+=("$2"); shift ;;
	--vswitchd-arg=*) VSWITCHD_ARGS+=("${1#*=}") ;;
	--baseline) BASELINE=$2; shift ;;
	--parallel) PARALLEL=$2; shift ;;
	--keep) KEEP=1 ;;
	*) echo "usage: $0 [--runs N] [--seconds S] [--engines LIST] [--perf] [--keep]" \
		"[--vswitchd-arg ARG]... [--baseline DIR] [--parallel N]" >&2
	   exit 2 ;;
	esac
	shift
done
case $RUNS$SECONDS_$PARALLEL in
*[!0-9]*) echo "--runs, --seconds and --parallel take numbers" >&2; exit 2 ;;
esac
if [ -n "$BASELINE" ]; then
	for f in net-backend/daemon/vswitchd net-backend/cli/vswitchctl tests/vsw-tap; do
		[ -x "$BASELINE/$f" ] || { echo "--baseline: $BASELINE/$f is missing" >&2; exit 2; }
	done
	ENGINES=before-1500,$ENGINES
fi

if [ "$(id -u)" != 0 ]; then
	echo "nat-bench needs root (network namespaces, TAP devices)"
	exit 77
fi
for f in "$vswitchd" "$vswitchctl" "$vswtap"; do
	[ -x "$f" ] || { echo "$f is missing: build first (ninja -C $build)"; exit 1; }
done
for t in ip iperf3 jq timeout; do
	command -v $t >/dev/null || { echo "$t is missing (iproute2 iperf3 jq coreutils)"; exit 1; }
done

H=nb-h-$$
G=nb-g-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nat-bench.XXXXXX") || exit 1
pids=()

log() { echo "nat-bench: $*" >&2; }

stop_pid() {
	local pid=$1 i=0
	kill "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# shellcheck disable=SC2317 # called by cleanup()
stop_all() {
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		stop_pid "${pids[$i]}"
	done
	pids=()
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop_all
	ip netns del "$G" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	if [ -n "$KEEP" ]; then
		log "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for TENTHS COMMAND...: bounded.
wait_for() {
	local n=$1 i=0
	shift
	while [ $i -lt "$n" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# The host: loopback with iperf3's server; a veth pair (both ends in the
# namespace) and a default route only so that pasta finds an "uplink" to
# copy (nothing answers behind it).
ip netns add "$H" || exit 1
ip -n "$H" link set lo up
ip -n "$H" link add up0 type veth peer name up1
ip -n "$H" addr add 192.0.2.1/24 dev up0
ip -n "$H" link set up0 up
ip -n "$H" link set up1 up
ip -n "$H" route add default via 192.0.2.254 dev up0

# new_guest: a fresh guest namespace (each engine gets its own).
new_guest() {
	ip netns del "$G" 2>/dev/null
	ip netns add "$G" && ip -n "$G" link set lo up
}

# iperf GUEST_ADDR [-R]: one run; prints receiver Gbit/s, or nothing.
iperf() {
	local addr=$1
	shift
	timeout $((SECONDS_ + 30)) ip netns exec "$G" iperf3 -c "$addr" -t "$SECONDS_" \
		-P "$PARALLEL" -J "$@" \
		>"$tmp/iperf.json" 2>/dev/null || return 1
	jq -r '.end.sum_received.bits_per_second / 1e9 | . * 1000 | round / 1000' \
		"$tmp/iperf.json" 2>/dev/null
}

median() {
	tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

declare -A up down note rtt

# measure ENGINE ADDR: RUNS runs each way into up[]/down[].
measure() {
	local e=$1 addr=$2 i r u="" d=""
	if ! wait_for 100 ip netns exec "$G" iperf3 -c "$addr" -t 1 -J; then
		note[$e]="no iperf3 connection to $addr"
		return 1
	fi
	for ((i = 0; i < RUNS; i++)); do
		r=$(iperf "$addr") && u="$u $r"
		r=$(iperf "$addr" -R) && d="$d $r"
	done
	up[$e]=$(echo "$u" | median)
	down[$e]=$(echo "$d" | median)
	# Round trip through the engine: 200 pings to its host address, 5 ms apart.
	rtt[$e]=$(timeout 20 ip netns exec "$G" ping -q -c 200 -i 0.005 -W 1 "$addr" 2>/dev/null |
		sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p' | awk '{ printf "%.0f", $1 * 1000 }')
	log "$e: guest -> host [$u ] host -> guest [$d ] Gbit/s, ping ${rtt[$e]} us"
}

ip netns exec "$H" iperf3 -s -B 127.0.0.1 >/dev/null 2>&1 &
pids+=($!)
iperf_pid=$!
wait_for 50 ip netns exec "$H" sh -c 'ss -ltn | grep -q 127.0.0.1:5201' ||
	{ echo "iperf3's server did not start"; exit 1; }

perf_record() { # NAME: where the machine's CPUs go during one run each way
	local name=$1 dir
	command -v perf >/dev/null || { log "perf is missing (linux-perf)"; return; }
	for dir in up down; do
		perf record -q -a -o "$tmp/perf-$name-$dir.data" -- sleep "$SECONDS_" \
			>/dev/null 2>&1 &
		local rec=$!
		if [ $dir = up ]; then iperf 10.0.2.2 >/dev/null; else iperf 10.0.2.2 -R >/dev/null; fi
		wait $rec
		echo
		echo "== perf ($name, $( [ $dir = up ] && echo guest to host || echo host to guest )):" \
			"CPU time by process, then the busiest functions"
		perf report -i "$tmp/perf-$name-$dir.data" --sort comm --stdio 2>/dev/null |
			grep -E '^ +[0-9]' | head -8
		perf report -i "$tmp/perf-$name-$dir.data" --sort comm,symbol --stdio 2>/dev/null |
			grep -E '^ +[0-9]' | head -20
	done
}

engine_vswitch() { # MTU [NAME BUILD-DIR]
	local mtu=$1 e=${2:-vswitch-$1} b=${3:-$build} st=$tmp/vsw-${2:-vswitch-$1}
	local vswitchd=$b/net-backend/daemon/vswitchd vswitchctl=$b/net-backend/cli/vswitchctl
	local vswtap=$b/tests/vsw-tap
	mkdir -p "$st/run" "$st/state"
	printf '[nat]\nhost-loopback=true\nmtu=%s\n' "$mtu" >"$st/state/vswitchd.conf"
	ip netns exec "$H" "$vswitchd" --user root --socket "$st/run/vswitchd.sock" \
		--state-dir "$st/state" "${VSWITCHD_ARGS[@]}" >"$tmp/vswitchd.log" 2>&1 &
	pids+=($!)
	if ! wait_for 50 "$vswitchctl" --socket "$st/run/vswitchd.sock" nat show; then
		note[$e]="vswitchd did not start"
		return 1
	fi
	wait_for 50 sh -c "'$vswitchctl' --socket '$st/run/vswitchd.sock' nat show --json |
		jq -e '.running' >/dev/null"
	ip netns exec "$G" "$vswtap" --socket "$st/run/vswitchd.sock" --switch Default \
		--port guest --tap tap0 --mac 52:54:00:12:34:56 --offload \
		--ready-file "$tmp/tap.ready" >"$tmp/vsw-tap.log" 2>&1 &
	pids+=($!)
	wait_for 50 test -e "$tmp/tap.ready" || { note[$e]="vsw-tap did not attach"; return 1; }
	ip -n "$G" link set tap0 address 52:54:00:12:34:56 mtu "$mtu" up
	ip -n "$G" addr add 10.0.2.15/24 dev tap0
	ip -n "$G" route add default via 10.0.2.2
	measure "$e" 10.0.2.2 || return 1
	[ "$b" = "$build" ] && "$vswitchctl" --socket "$st/run/vswitchd.sock" nat show >"$tmp/nat-show.txt"
	if [ -n "$PERF" ] && [ "$b" = "$build" ]; then
		perf_record "$e"
	fi
	rm -f "$tmp/tap.ready"
}

engine_slirp() {
	local mtu=$1 e=slirp-$1
	command -v slirp4netns >/dev/null || { note[$e]="slirp4netns is missing"; return 1; }
	ip netns exec "$H" slirp4netns --configure --mtu="$mtu" --netns-type=path \
		"/run/netns/$G" tap0 >"$tmp/slirp4netns.log" 2>&1 &
	pids+=($!)
	wait_for 50 sh -c "ip -n '$G' addr show tap0 | grep -q 10.0.2.100" ||
		{ note[$e]="slirp4netns did not configure tap0"; return 1; }
	measure "$e" 10.0.2.2
}

engine_pasta() {
	local e=pasta
	command -v pasta >/dev/null || { note[$e]="pasta is missing (passt)"; return 1; }
	# As root pasta drops to nobody, who cannot enter our namespace: --runas 0.
	ip netns exec "$H" pasta -f -q -4 --runas 0 --config-net -t none -u none -T none -U none \
		--netns "/run/netns/$G" >"$tmp/pasta.log" 2>&1 &
	pids+=($!)
	wait_for 50 sh -c "ip -n '$G' -4 addr | grep -q 192.0.2.1/" ||
		{ note[$e]="pasta did not configure the namespace"; return 1; }
	measure "$e" 192.0.2.254
}

for e in ${ENGINES//,/ }; do
	log "engine $e"
	new_guest || exit 1
	case $e in
	vswitch-*) engine_vswitch "${e#vswitch-}" ;;
	before-*) engine_vswitch "${e#before-}" "$e" "$BASELINE" ;;
	slirp-*) engine_slirp "${e#slirp-}" ;;
	pasta) engine_pasta ;;
	*) note[$e]="unknown engine" ;;
	esac
	# Everything but iperf3's server stops between engines.
	keep=()
	for p in "${pids[@]}"; do
		if [ "$p" = "$iperf_pid" ]; then keep+=("$p"); else stop_pid "$p"; fi
	done
	pids=("${keep[@]}")
done

ratio() { # A B
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b }'
}

echo
echo "NAT TCP throughput, Gbit/s, median of $RUNS x ${SECONDS_} s (iperf3, $PARALLEL stream(s))," \
	"$(nproc) CPUs, $(uname -r)"
printf '%-14s %14s %14s %12s %12s %9s\n' engine "guest->host" "host->guest" "vsw/this up" \
	"vsw/this dn" "ping us"
base=vswitch-1500
for e in ${ENGINES//,/ }; do
	if [ -n "${note[$e]:-}" ] && [ -z "${up[$e]:-}" ]; then
		printf '%-14s %s\n' "$e" "${note[$e]}"
		continue
	fi
	printf '%-14s %14s %14s %12s %12s %9s\n' "$e" "${up[$e]:--}" "${down[$e]:--}" \
		"$(ratio "${up[$base]:-}" "${up[$e]:-}")" "$(ratio "${down[$base]:-}" "${down[$e]:-}")" \
		"${rtt[$e]:--}"
done
if [ -f "$tmp/nat-show.txt" ]; then
	echo
	echo "vswitch's NAT counters after its runs:"
	grep -E 'to-nat|from-nat' "$tmp/nat-show.txt"
fi
exit 0
