#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test-nicstate.sh - binding a NIC to an External switch gives it back
# exactly what it had (net-backend/daemon/nicstate.c, through vsw-nicstate).
#
# Everything happens in two network namespaces the test creates (unique
# names, deleted at exit): "$ns" holds the NIC (a veth end, nic0) and a
# stand-in for vswitchd's host adapter (a TAP with the NIC's MAC); "$lan"
# holds the veth's other end with the LAN's addresses, so nic0 has a
# carrier and IPv6 duplicate address detection runs for real.  Every
# vsw-nicstate step is a separate process working from the state file, as
# vswitchd after a crash (kill -9) and a restart would.
#
# What is compared before and after: `ip -d -j addr show dev nic0` (every
# address, with flags, label, broadcast; finite lifetimes within 10 s),
# `ip -j route show table all dev nic0` for IPv4 and IPv6 (kernel routes
# included: they must come back too) and `ip -d -j link show nic0` (flags,
# MTU, promiscuity, MAC, operstate).
#
# Cases: capture + dedicate (no address, disable_ipv6=1, up) + restore
# (equal; a second restore is a no-op); capture + share onto the TAP
# (addresses, routes, MTU moved; nic0 stripped) + restore (equal); a NIC
# that was down with IPv6 disabled; refusals (no such interface, lo, a
# bridge port, a bond slave when the kernel has bonding, a bridge, a TUN);
# allowed VXLAN; a state file of mode 0600; corrupted state files refused
# with the file and field named.
#
# Bounded waits only; nothing outside the two namespaces; kills nothing.
# Exit: 0 pass, 1 fail, 77 skip (not root, no python3, no netns support).
# Environment: VSWITCH_BUILD_DIR (default <repo>/build).

set -u

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: test-nicstate.sh needs root"
	exit 77
fi
python=$(command -v /usr/bin/python3 || command -v python3)
if [ -z "$python" ]; then
	echo "SKIP: python3 is needed to compare ip -j output"
	exit 77
fi

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${VSWITCH_BUILD_DIR:-$repo/build}
# shellcheck source=tests/integration/lib.sh
. "$repo/tests/integration/lib.sh"
tool=$build/tests/vsw-nicstate
if [ ! -x "$tool" ]; then
	echo "FAIL: $tool is missing: build first (meson compile -C $build)"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-nicstate.XXXXXX") || exit 1
ns=vswnic-$$-$RANDOM
lan=$ns-lan

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	ip netns del "$ns" 2>/dev/null
	ip netns del "$lan" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! ip netns add "$ns" 2>/dev/null; then
	echo "SKIP: cannot create a network namespace"
	exit 77
fi
ip netns add "$lan" || exit 1

nsx() { ip netns exec "$ns" "$@"; }
nic() { ip netns exec "$ns" "$tool" "$@"; }

# refused WHAT REGEX CMD...: CMD fails, saying REGEX on stderr.
refused() {
	local what=$1 re=$2

	shift 2
	checks=$((checks + 1))
	if "$@" >"$tmp/out" 2>&1; then
		failures=$((failures + 1))
		echo "FAIL: $what: accepted"
	elif grep -Eq -- "$re" "$tmp/out"; then
		echo "ok - $what: $(tail -1 "$tmp/out")"
	else
		failures=$((failures + 1))
		echo "FAIL: $what: no /$re/ in:"
		sed 's/^/  out: /' "$tmp/out" | tail -5
	fi
}

# wait_dad DEV: until no IPv6 address of DEV is tentative (at most 10 s).
wait_dad() {
	local i=0

	while [ -n "$(ip -n "$ns" -6 addr show dev "$1" tentative 2>/dev/null)" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# snap NAME DEV: DEV's addresses, routes and link as ip reports them.
snap() {
	ip -n "$ns" -d -j addr show dev "$2" >"$tmp/$1.addr" &&
	ip -n "$ns" -4 -j route show table all dev "$2" >"$tmp/$1.r4" &&
	ip -n "$ns" -6 -j route show table all dev "$2" >"$tmp/$1.r6" &&
	ip -n "$ns" -d -j link show "$2" >"$tmp/$1.link" &&
	ip -n "$ns" -4 -j route show table all >"$tmp/$1.all4" &&
	ip -n "$ns" -6 -j route show table all >"$tmp/$1.all6"
}

v6off() { nsx cat "/proc/sys/net/ipv6/conf/$1/disable_ipv6"; }

cat >"$tmp/nic.py" <<'EOF'
import json, sys

FOREVER = 4294967295
TOLERANCE = 10  # seconds: lifetimes count down between captures

def load(prefix):
    def rd(ext):
        with open(prefix + '.' + ext) as f:
            return json.load(f)
    link = rd('link')[0]
    addrs = rd('addr')[0].get('addr_info', [])
    routes = [dict(r, family='inet') for r in rd('r4')]
    routes += [dict(r, family='inet6') for r in rd('r6')]
    for r in routes:
        r.pop('dev', None)
        r.pop('expires', None)
    # The whole namespace's tables: `ip route show dev X` leaves out
    # multipath routes.  Next hops sorted: IPv6 siblings re-added in
    # another order are the same route.
    every = [dict(r, family='inet') for r in rd('all4')]
    every += [dict(r, family='inet6') for r in rd('all6')]
    for r in every:
        r.pop('expires', None)
        if 'nexthops' in r:
            r['nexthops'] = sorted(r['nexthops'], key=lambda h: json.dumps(h, sort_keys=True))
    return {
        'all': sorted(every, key=lambda r: json.dumps(r, sort_keys=True)),
        'link': {k: link.get(k) for k in ('ifname', 'mtu', 'promiscuity', 'address', 'operstate')}
                | {'flags': sorted(link.get('flags', []))},
        'addrs': sorted(addrs, key=lambda a: (a['family'], a['local'], a['prefixlen'])),
        'routes': sorted(routes, key=lambda r: json.dumps(r, sort_keys=True)),
    }

def lifetimes_close(a, b):
    for k in ('valid_life_time', 'preferred_life_time'):
        x, y = a.get(k, FOREVER), b.get(k, FOREVER)
        if (x == FOREVER) != (y == FOREVER) or abs(x - y) > TOLERANCE:
            return False
    return True

def strip_lft(a):
    return {k: v for k, v in a.items() if k not in ('valid_life_time', 'preferred_life_time')}

def same_addrs(x, y):
    if len(x) != len(y):
        return False
    return all(strip_lft(a) == strip_lft(b) and lifetimes_close(a, b) for a, b in zip(x, y))

def diff(name, x, y):
    print('%s differ:\n  before: %s\n  after:  %s' % (name, json.dumps(x), json.dumps(y)))

def same(a, b):
    ok = True
    if a['link'] != b['link']:
        diff('link', a['link'], b['link']); ok = False
    if not same_addrs(a['addrs'], b['addrs']):
        diff('addresses', a['addrs'], b['addrs']); ok = False
    for key in ('routes', 'all'):
        if a[key] != b[key]:
            for r in a[key]:
                if r not in b[key]:
                    print('route lost:', json.dumps(r))
            for r in b[key]:
                if r not in a[key]:
                    print('route new:', json.dumps(r))
            ok = False
    return ok

def uses(r, dev):
    return r.get('dev') == dev or any(h.get('dev') == dev for h in r.get('nexthops', []))

def devs(s, dst, family):
    """The interfaces of the route to dst in the namespace's main table."""
    out = set()
    for r in s['all']:
        if r['dst'] == dst and r['family'] == family and r.get('table', 'main') == 'main':
            out |= {r['dev']} if 'dev' in r else {h['dev'] for h in r['nexthops']}
    return sorted(out)

def user_routes(routes):
    out = []
    for r in routes:
        if r.get('table') == 'local' or r.get('protocol') == 'kernel' or r.get('type') == 'multicast':
            continue
        r = dict(r)
        r['flags'] = [f for f in r.get('flags', []) if f != 'linkdown']
        out.append(r)
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True))

def moved(orig, host, nicname, hostname):
    ok = True
    want = []
    for a in orig['addrs']:
        a = {k: v for k, v in a.items() if k not in ('nodad', 'tentative')}
        if a.get('label', '').startswith(nicname):
            a['label'] = hostname + a['label'][len(nicname):]
        want.append(a)
    got = [{k: v for k, v in a.items() if k not in ('nodad', 'tentative')} for a in host['addrs']]
    want.sort(key=lambda a: (a['family'], a['local'], a['prefixlen']))
    if not same_addrs(want, got):
        diff('addresses (NIC before, host adapter now)', want, got); ok = False
    for a in host['addrs']:
        if a['family'] == 'inet6' and a.get('tentative'):
            print('IPv6 address still tentative on the host adapter:', a['local']); ok = False
    if user_routes(orig['routes']) != user_routes(host['routes']):
        diff('routes (NIC before, host adapter now)', user_routes(orig['routes']),
             user_routes(host['routes'])); ok = False
    if host['link']['mtu'] != orig['link']['mtu'] or 'UP' not in host['link']['flags']:
        diff('host adapter MTU/UP', orig['link'], host['link']); ok = False
    return ok

def empty(s):
    ok = True
    if s['addrs']:
        print('addresses left:', json.dumps(s['addrs'])); ok = False
    if s['routes']:
        print('routes left:', json.dumps(s['routes'])); ok = False
    if 'UP' not in s['link']['flags']:
        print('link not up:', s['link']['flags']); ok = False
    return ok

def corrupt(src, dst_dir):
    """Write damaged copies of a valid state file; print NAME FIELD-REGEX."""
    with open(src) as f:
        text = f.read()
    good = json.loads(text)
    def put(name, obj=None, raw=None):
        with open('%s/%s.json' % (dst_dir, name), 'w') as f:
            f.write(raw if raw is not None else json.dumps(obj))
    import copy
    def mod(fn):
        d = copy.deepcopy(good); fn(d); return d
    put('truncated', raw=text[:len(text) // 2])
    put('not-object', raw='[1, 2, 3]')
    put('deep', raw='[' * 5000 + ']' * 5000)
    put('newer', mod(lambda d: d.update(version=99)))
    put('ifname', mod(lambda d: d.update(ifname='../../etc')))
    put('mac', mod(lambda d: d.update(mac='zz:00:00:00:00:00')))
    put('mtu', mod(lambda d: d.update(mtu=10)))
    put('unknown', mod(lambda d: d.update(extra=1)))
    put('no-routes', mod(lambda d: d.pop('routes')))
    put('up-type', mod(lambda d: d.update(up='yes')))
    put('address', mod(lambda d: d['addresses'][0].update(address='10.0.0.999/24')))
    put('prefix', mod(lambda d: d['addresses'][0].update(address='10.0.0.1/33')))
    put('family', mod(lambda d: d['addresses'][0].update(family='ipx')))
    put('label', mod(lambda d: d['addresses'][0].update(label='x' * 40)))
    put('lifetime', mod(lambda d: d['addresses'][0].update({'valid-lft': -5})))
    put('route-dst', mod(lambda d: d['routes'][0].update(dst='default')))
    put('route-table', mod(lambda d: d['routes'][0].update(table=255)))
    put('route-type', mod(lambda d: d['routes'][0].update(type=99)))
    put('route-metric', mod(lambda d: d['routes'][0].update(metrics={'bogus': 1})))
    put('nh-dev', mod(lambda d: d['routes'][0]['nexthops'][0].update(dev='a/b')))
    put('nh-none', mod(lambda d: d['routes'][0].update(nexthops=[])))
    put('nh-gateway', mod(lambda d: d['routes'][0]['nexthops'][0].update(gateway='::1')))
    put('float', mod(lambda d: d.update(mtu=1500.5)))
    cases = {
        'truncated': 'not valid JSON', 'not-object': 'not a JSON object',
        'deep': 'nests deeper', 'newer': 'version: .*newer',
        'ifname': 'ifname: ', 'mac': 'mac: ', 'mtu': 'mtu: .*out of range',
        'unknown': 'extra: unknown field', 'no-routes': 'routes: missing',
        'up-type': 'up: not a boolean', 'address': r'addresses\[0\]\.address: ',
        'prefix': r'addresses\[0\]\.address: ', 'family': r'addresses\[0\]\.family: ',
        'label': r'addresses\[0\]\.label: ', 'lifetime': r'addresses\[0\]\.valid-lft: ',
        'route-dst': r'routes\[0\]\.dst: ', 'route-table': r'routes\[0\]\.table: ',
        'route-type': r'routes\[0\]\.type: ', 'route-metric': r'routes\[0\]\.metrics\.bogus: ',
        'nh-dev': r'routes\[0\]\.nexthops\[0\]\.dev: ', 'nh-none': r'routes\[0\]\.nexthops: ',
        'nh-gateway': r'routes\[0\]\.nexthops\[0\]\.gateway: ', 'float': 'mtu: not a whole number',
    }
    for name, rx in cases.items():
        print(name, rx)

cmd = sys.argv[1]
if cmd == 'same':
    sys.exit(0 if same(load(sys.argv[2]), load(sys.argv[3])) else 1)
if cmd == 'moved':
    sys.exit(0 if moved(load(sys.argv[2]), load(sys.argv[3]), sys.argv[4], sys.argv[5]) else 1)
if cmd == 'empty':
    sys.exit(0 if empty(load(sys.argv[2])) else 1)
if cmd == 'count':  # count PREFIX DEV: addresses, and routes through DEV not the kernel's
    s = load(sys.argv[2])
    print(len(s['addrs']), len([r for r in user_routes(s['all']) if uses(r, sys.argv[3])]))
    sys.exit(0)
if cmd == 'devs':  # devs PREFIX DST FAMILY EXPECTED...
    got = devs(load(sys.argv[2]), sys.argv[3], sys.argv[4])
    if got != sorted(sys.argv[5:]):
        print('route to %s goes through %s, not %s' % (sys.argv[3], got, sorted(sys.argv[5:])))
        sys.exit(1)
    sys.exit(0)
if cmd == 'corrupt':
    corrupt(sys.argv[2], sys.argv[3])
    sys.exit(0)
sys.exit(2)
EOF
pyc() { "$python" "$tmp/nic.py" "$@"; }

# ------------------------------------------------------------------
# The NIC and the LAN

set -e
ip -n "$ns" link set lo up
ip -n "$ns" link add nic0 type veth peer name lan0 netns "$lan"
ip -n "$lan" link set lan0 up
ip -n "$lan" addr add 10.77.0.1/24 dev lan0
ip -n "$lan" -6 addr add 2001:db8:77::1/64 dev lan0 nodad
# Another NIC the host keeps using, sharing multipath routes with nic0.
ip -n "$ns" link add oth0 type veth peer name lan9 netns "$lan"
ip -n "$lan" link set lan9 up
ip -n "$ns" link set oth0 up
ip -n "$ns" addr add 10.88.0.2/24 dev oth0
ip -n "$ns" -6 addr add 2001:db8:88::2/64 dev oth0 nodad
ip -n "$ns" link set nic0 mtu 1400 up
# IPv4: a primary with a broadcast, a secondary with a label, finite lifetimes.
ip -n "$ns" addr add 10.77.0.2/24 brd + dev nic0
ip -n "$ns" addr add 10.77.0.3/24 dev nic0 label nic0:sec
ip -n "$ns" addr add 10.78.0.2/24 dev nic0 valid_lft 3600 preferred_lft 1800
# A point-to-point peer, and an address without its prefix route.
ip -n "$ns" addr add 10.90.0.1 peer 10.90.0.2/32 dev nic0
ip -n "$ns" addr add 10.91.0.1/24 dev nic0 noprefixroute
# IPv6: one through duplicate address detection, one nodad.
ip -n "$ns" -6 addr add 2001:db8:77::2/64 dev nic0
ip -n "$ns" -6 addr add 2001:db8:77::3/64 dev nic0 nodad
set +e
wait_dad nic0
set -e
ip -n "$ns" route add default via 10.77.0.1 dev nic0
ip -n "$ns" route add 192.0.2.0/24 via 10.77.0.1 dev nic0 table 100 metric 50
ip -n "$ns" route add 198.51.100.0/24 dev nic0 src 10.77.0.3
ip -n "$ns" route add 203.0.113.0/24 via 10.77.0.254 dev nic0 onlink proto static mtu lock 1300
ip -n "$ns" -6 route add 2001:db8:99::/48 via 2001:db8:77::1 dev nic0 metric 300
ip -n "$ns" -6 route add 2001:db8:aa::/64 dev nic0 src 2001:db8:77::2
ip -n "$ns" -6 route add default via fe80::1 dev nic0 metric 100
ip -n "$ns" -6 route add 2001:db8:bb::/64 via 2001:db8:77::1 dev nic0 table 100 proto static
ip -n "$ns" route add 10.91.0.0/24 dev nic0 metric 7 proto dhcp
# Multipath, one next hop through nic0 and one through oth0.
ip -n "$ns" route add 172.16.0.0/16 nexthop via 10.77.0.1 dev nic0 weight 2 \
	nexthop via 10.88.0.1 dev oth0
ip -n "$ns" -6 route add 2001:db8:cc::/64 nexthop via 2001:db8:77::1 dev nic0 \
	nexthop via 2001:db8:88::1 dev oth0
set +e
wait_dad nic0
wait_dad oth0

snap before nic0 || exit 1
read -r naddrs nroutes < <(pyc count "$tmp/before" nic0)
echo "# nic0 has $naddrs addresses and $nroutes routes of its own"

# ------------------------------------------------------------------
# Dedicated

check "capture nic0" nic capture nic0 "$tmp/st1.json"
check "the state file is mode 0600" test "$(stat -c %a "$tmp/st1.json")" = 600
check "show lists what nic0 had" sh -c \
	"ip netns exec $ns $tool show $tmp/st1.json > $tmp/show.json &&
	 $python -c 'import json, sys; d = json.load(open(sys.argv[1]));
assert d[\"ifname\"] == \"nic0\" and d[\"mtu\"] == 1400 and d[\"up\"] is True
assert d[\"ipv6-disabled\"] is False and len(d[\"addresses\"]) == $naddrs
assert len(d[\"routes\"]) == $nroutes, len(d[\"routes\"])
assert any(r[\"dst\"] == \"default\" and r[\"gateway\"] == \"10.77.0.1\" for r in d[\"routes\"])
assert any(r[\"table\"] == \"100\" and r[\"metric\"] == 50 for r in d[\"routes\"])' $tmp/show.json"
check "dedicate nic0" nic dedicate "$tmp/st1.json"
snap ded nic0
check "... no address or route is left on nic0, and it is up" pyc empty "$tmp/ded"
check "... IPv6 is disabled on nic0" test "$(v6off nic0)" = 1
check "... multipath routes keep their next hop through oth0 (IPv4)" \
	pyc devs "$tmp/ded" 172.16.0.0/16 inet oth0
check "... multipath routes keep their next hop through oth0 (IPv6)" \
	pyc devs "$tmp/ded" 2001:db8:cc::/64 inet6 oth0
check "restore nic0 (a new process: as after a crash)" nic restore "$tmp/st1.json"
wait_dad nic0
snap after1 nic0
check "... nic0 has what it had: addresses, routes, link" pyc same "$tmp/before" "$tmp/after1"
check "... IPv6 is enabled again" test "$(v6off nic0)" = 0
check "restore again: nothing to do, no error" nic restore "$tmp/st1.json"
snap after1b nic0
check "... nic0 still has what it had" pyc same "$tmp/before" "$tmp/after1b"

# ------------------------------------------------------------------
# Shared: a TAP with the NIC's MAC stands in for vswitchd's host adapter.

mac=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["address"])' \
	"$tmp/before.link")
ip -n "$ns" tuntap add dev vswh0 mode tap
ip -n "$ns" link set vswh0 address "$mac"
ip -n "$ns" tuntap add dev vswh1 mode tap
refused "share onto a host adapter without the NIC's MAC" "does not have the MAC address" \
	nic share "$tmp/st1.json" vswh1
refused "share onto a host adapter that does not exist" "host adapter 'nope9' does not exist" \
	nic share "$tmp/st1.json" nope9
check "capture nic0 again" nic capture nic0 "$tmp/st2.json"
check "share nic0 with vswh0" nic share "$tmp/st2.json" vswh0
snap host vswh0
snap shared nic0
check "... vswh0 has nic0's addresses, routes and MTU, and is up" \
	pyc moved "$tmp/before" "$tmp/host" nic0 vswh0
check "... nic0 has no address or route left, and is up" pyc empty "$tmp/shared"
check "... IPv6 is disabled on nic0" test "$(v6off nic0)" = 1
check "... multipath routes go through vswh0 and oth0 (IPv4)" \
	pyc devs "$tmp/host" 172.16.0.0/16 inet oth0 vswh0
check "... multipath routes go through vswh0 and oth0 (IPv6)" \
	pyc devs "$tmp/host" 2001:db8:cc::/64 inet6 oth0 vswh0
refused "restore while vswh0 still holds the routes says so" "is not on nic0" \
	nic restore "$tmp/st2.json"
ip -n "$ns" link del vswh0
check "restore nic0 once the host adapter is gone" nic restore "$tmp/st2.json"
wait_dad nic0
snap after2 nic0
check "... nic0 has what it had: addresses, routes, link" pyc same "$tmp/before" "$tmp/after2"

# ------------------------------------------------------------------
# A NIC that was down, with IPv6 disabled

ip -n "$ns" link add nic1 type veth peer name lan1 netns "$lan"
ip -n "$lan" link set lan1 up
nsx sh -c 'echo 1 > /proc/sys/net/ipv6/conf/nic1/disable_ipv6'
ip -n "$ns" addr add 10.79.0.2/24 dev nic1
snap before3 nic1
check "capture nic1 (down, IPv6 disabled)" nic capture nic1 "$tmp/st3.json"
check "dedicate nic1" nic dedicate "$tmp/st3.json"
snap ded3 nic1
check "... nic1 is up with no address" pyc empty "$tmp/ded3"
check "restore nic1" nic restore "$tmp/st3.json"
snap after3 nic1
check "... nic1 is down again with its address" pyc same "$tmp/before3" "$tmp/after3"
check "... IPv6 is still disabled on nic1" test "$(v6off nic1)" = 1

# ------------------------------------------------------------------
# What may not be bound

refused "capture of an interface that does not exist" "interface 'nope0' does not exist" \
	nic capture nope0 "$tmp/x.json"
refused "capture of lo" "'lo': it is the loopback interface" nic capture lo "$tmp/x.json"
ip -n "$ns" link add br-t type bridge
ip -n "$ns" link add bp0 type veth peer name bp1
ip -n "$ns" link set bp0 master br-t
refused "capture of a bridge port" "'bp0': it is a port of bridge 'br-t'" \
	nic capture bp0 "$tmp/x.json"
refused "capture of a bridge" "'br-t': it is a bridge" nic capture br-t "$tmp/x.json"
if ip -n "$ns" link add bond-t type bond 2>/dev/null; then
	ip -n "$ns" link add bs0 type veth peer name bs1
	ip -n "$ns" link set bs0 master bond-t
	refused "capture of a bond slave" "'bs0': it is a slave of bond 'bond-t'" \
		nic capture bs0 "$tmp/x.json"
else
	echo "ok - capture of a bond slave # SKIP no bonding in this kernel"
fi
ip -n "$ns" tuntap add dev tun-t mode tun
refused "capture of a TUN (not Ethernet)" "'tun-t': it is not an Ethernet interface" \
	nic capture tun-t "$tmp/x.json"
if ip -n "$ns" link add vx-t type vxlan id 42 dstport 4789 dev nic0 2>/dev/null; then
	check "capture of a VXLAN device is allowed" nic capture vx-t "$tmp/x.json"
else
	echo "ok - capture of a VXLAN device # SKIP no vxlan in this kernel"
fi
check "capture of a veth bridge-less end is allowed" nic capture bp1 "$tmp/x.json"

# ------------------------------------------------------------------
# Corrupted state files

mkdir -p "$tmp/bad"
while read -r name re; do
	refused "state file '$name' refused" "$tmp/bad/$name.json: $re" \
		"$tool" show "$tmp/bad/$name.json"
done < <(pyc corrupt "$tmp/st1.json" "$tmp/bad")
refused "a missing state file" "cannot read $tmp/none.json" "$tool" show "$tmp/none.json"

echo "$((checks - failures)) passed, $failures failed"
report test-nicstate
