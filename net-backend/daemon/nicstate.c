// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nicstate.c - what a physical NIC had before an External switch bound it,
 * and giving it back exactly (nicstate.h says what and when).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Netlink goes through libnl-route-3 (its dump requests and message
 * parsers to read, its objects to add and delete); the one setting
 * netlink cannot change, disable_ipv6, is written in
 * /proc/sys/net/ipv6/conf/IF/ of the caller's network namespace.
 *
 * The state file (JSON, version VSWD_NIC_STATE_VERSION):
 *   { "version": 1, "ifname": "eth0", "mac": "52:54:00:12:34:56",
 *     "mtu": 1500, "up": true, "ipv6-disabled": false | true | null,
 *     "captured": { "boot-id": "...", "boottime": s, "realtime": s },
 *     "addresses": [ { "family": "inet", "address": "10.0.0.2/24",
 *         "peer": "...", "broadcast": "...", "label": "eth0:1",
 *         "scope": 0, "flags": 128, "valid-lft": s, "preferred-lft": s } ],
 *     "routes": [ { "family": "inet", "dst": "0.0.0.0/0", "src": "a/len",
 *         "table": 254, "metric": 0, "protocol": 4, "scope": 0, "type": 1,
 *         "tos": 0, "prefsrc": "...", "metrics": { "mtu": 1400 },
 *         "nexthops": [ { "dev": "eth1", "gateway": "...", "hops": 0,
 *                         "flags": 4, "realms": 0 } ] } ] }
 * Numbers are the kernel's (rtnetlink.h, if_addr.h); "flags" of an
 * address are as the kernel reported them (only the ones a user may set
 * are given back); a next hop without "dev" is the NIC itself; lifetimes
 * are absent when forever and are the seconds left at the capture, which
 * "captured" dates (boot time when the boot id is the same, else wall
 * clock).  With a "peer", the prefix length of "address" is the peer's.
 *
 * Not given back exactly (libnl-route 3.7 neither reads nor writes these):
 *   - an address's prefix route metric (IFA_RT_PRIORITY, `ip addr ...
 *     metric N`): the prefix route comes back with metric 0 (IPv4) or 256;
 *   - an address's protocol (IFA_PROTO): a re-added address has none; the
 *     kernel's own link-local address is made again by the kernel, with it;
 *   - an IPv6 route's preference (RTA_PREF: pref high/low comes back
 *     medium) and expiry (RTA_EXPIRES: comes back without one);
 *   - a route's congestion control metric (congctl);
 *   - routes through nexthop objects (`ip nexthop`, nhid): libnl sees them
 *     as plain routes and cannot remove them; vswd_nic_dedicate() and
 *     vswd_nic_share() report them as still going through the NIC;
 *   - lightweight tunnel encapsulations other than MPLS are not seen
 *     (MPLS is refused at capture: it cannot be written back).
 * A route with a gateway of another family (RTA_VIA) is refused at capture.
 * IPv6 multipath routes that vswd_nic_dedicate() left with their other
 * next hops get ours back one by one: weight 1, and the siblings' order
 * may change.  Routes learnt from router advertisements and temporary
 * addresses are not recorded (the kernel makes them again).
 */
#include <net/if.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>

#include "json-member.h"
#include "model.h"
#include "nicstate.h"
#include "store.h"

#define NIC_FOREVER		0xffffffffu
#define NIC_ADDRS_MAX		4096
#define NIC_ROUTES_MAX		65536
#define NIC_NEXTHOPS_MAX	256
#define NIC_FILE_MAX		(64u << 20)
#define NIC_DEPTH_MAX		8
#define NIC_MTU_MIN		68
#define NIC_MTU_MAX		65536
#define NIC_DUMP_TRIES		5
#define NIC_DAD_WAIT_MS		4000
/* Route metrics (RTAX_*) recorded: 1..17 but congctl, a string. */
#define NIC_RTAX_MAX		17
#define NIC_RTAX_CC_ALGO	16
/* Address flags a user may set (what the kernel takes in RTM_NEWADDR). */
#define NIC_ADDR_SETTABLE	(IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | \
				 IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN | IFA_F_OPTIMISTIC)
/* Next hop flags a user may set; the rest (dead, linkdown, offload) are state. */
#define NIC_NH_SETTABLE		(RTNH_F_ONLINK | RTNH_F_PERVASIVE)

typedef struct nl_sock NicSock;
typedef struct nl_addr NicAddr;
typedef struct rtnl_link NicLink;
typedef struct rtnl_addr NicRtAddr;
typedef struct rtnl_route NicRtRoute;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NicSock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NicAddr, nl_addr_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NicLink, rtnl_link_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NicRtAddr, rtnl_addr_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NicRtRoute, rtnl_route_put)

struct nic_addr {
	int family;			/* AF_INET, AF_INET6 */
	uint8_t local[16];
	uint8_t plen;			/* the peer's when has_peer */
	bool has_peer;
	bool has_bcast;
	uint8_t peer[16];
	uint8_t bcast[16];
	char label[IFNAMSIZ];		/* IPv4; "" none */
	uint8_t scope;
	uint32_t flags;			/* IFA_F_*, as reported */
	uint32_t valid;			/* seconds left at capture, or NIC_FOREVER */
	uint32_t preferred;
};

struct nic_nh {
	char dev[IFNAMSIZ];		/* "": the NIC (or the host adapter) */
	bool has_gw;
	uint8_t gw[16];
	uint8_t hops;			/* rtnh_hops: weight - 1 */
	uint8_t flags;			/* NIC_NH_SETTABLE bits */
	uint32_t realms;
};

struct nic_route {
	int family;
	uint8_t dst[16];
	uint8_t dst_len;
	bool has_src;
	uint8_t src[16];
	uint8_t src_len;
	uint32_t table;
	uint32_t priority;
	uint8_t protocol;
	uint8_t scope;
	uint8_t type;
	uint8_t tos;
	bool has_prefsrc;
	uint8_t prefsrc[16];
	uint32_t metrics_mask;		/* bit i: metrics[i] set */
	uint32_t metrics[NIC_RTAX_MAX + 1];
	GArray *nhs;			/* struct nic_nh */
};

struct vswd_nic_state {
	char ifname[IFNAMSIZ];
	uint8_t mac[6];
	unsigned mtu;
	bool up;
	bool noarp;			/* IFF_NOARP was set */
	int ipv6_disabled;		/* 0, 1, or -1: the NIC had no IPv6 */
	char boot_id[40];		/* "" unknown */
	gint64 boottime;		/* seconds, CLOCK_BOOTTIME, at capture */
	gint64 realtime;		/* seconds since the epoch, at capture */
	GArray *addrs;			/* struct nic_addr */
	GArray *routes;			/* struct nic_route */
};

static const char *const rtax_names[NIC_RTAX_MAX + 1] = {
	[RTAX_LOCK] = "lock", [RTAX_MTU] = "mtu", [RTAX_WINDOW] = "window",
	[RTAX_RTT] = "rtt", [RTAX_RTTVAR] = "rttvar", [RTAX_SSTHRESH] = "ssthresh",
	[RTAX_CWND] = "cwnd", [RTAX_ADVMSS] = "advmss", [RTAX_REORDERING] = "reordering",
	[RTAX_HOPLIMIT] = "hoplimit", [RTAX_INITCWND] = "initcwnd",
	[RTAX_FEATURES] = "features", [RTAX_RTO_MIN] = "rto_min",
	[RTAX_INITRWND] = "initrwnd", [RTAX_QUICKACK] = "quickack",
	[NIC_RTAX_CC_ALGO] = NULL, [17] = "fastopen_no_cookie",
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static void route_clear(void *p)
{
	struct nic_route *r = p;

	if (r->nhs)
		g_array_unref(r->nhs);
}

static struct vswd_nic_state *state_new(void)
{
	struct vswd_nic_state *s = g_new0(struct vswd_nic_state, 1);

	s->ipv6_disabled = -1;
	s->addrs = g_array_new(FALSE, TRUE, sizeof(struct nic_addr));
	s->routes = g_array_new(FALSE, TRUE, sizeof(struct nic_route));
	g_array_set_clear_func(s->routes, route_clear);
	return s;
}

void vswd_nic_state_free(struct vswd_nic_state *s)
{
	if (!s)
		return;
	g_array_unref(s->addrs);
	g_array_unref(s->routes);
	g_free(s);
}

const char *vswd_nic_state_ifname(const struct vswd_nic_state *s)
{
	return s->ifname;
}

const uint8_t *vswd_nic_state_mac(const struct vswd_nic_state *s)
{
	return s->mac;
}

unsigned vswd_nic_state_mtu(const struct vswd_nic_state *s)
{
	return s->mtu;
}

/* What the kernel takes as a name (dev_valid_name()), printable ASCII only. */
static bool ifname_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= IFNAMSIZ || !strcmp(n, ".") || !strcmp(n, ".."))
		return false;
	for (const char *c = n; *c; c++)
		if (*c <= ' ' || *c > '~' || *c == '/' || *c == ':')
			return false;
	return true;
}

/* An IPv4 label: printable ASCII, shorter than IFNAMSIZ. */
static bool label_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= IFNAMSIZ)
		return false;
	for (const char *c = n; *c; c++)
		if (*c < ' ' || *c > '~')
			return false;
	return true;
}

int vswd_nic_ifindex(const char *ifname)
{
	if (!ifname || !ifname_ok(ifname))
		return 0;
	return (int)if_nametoindex(ifname);
}

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "inet" : "inet6";
}

/* @b as text, into @buf (INET6_ADDRSTRLEN). */
static const char *ip_str(int family, const uint8_t *b, char *buf)
{
	if (!inet_ntop(family, b, buf, INET6_ADDRSTRLEN))
		strcpy(buf, "?");
	return buf;
}

static char *ip_plen_str(int family, const uint8_t *b, unsigned plen)
{
	char buf[INET6_ADDRSTRLEN];

	return g_strdup_printf("%s/%u", ip_str(family, b, buf), plen);
}

static bool ip_parse(int family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	return inet_pton(family, s, out) == 1;
}

static bool ip_plen_parse(int family, const char *s, uint8_t out[16], uint8_t *plen)
{
	const char *slash = strrchr(s, '/');
	g_autofree char *a = NULL;
	guint64 n;

	if (!slash || !g_ascii_isdigit(slash[1]) ||
	    !g_ascii_string_to_unsigned(slash + 1, 10, 0, family == AF_INET ? 32 : 128, &n, NULL))
		return false;
	a = g_strndup(s, (gsize)(slash - s));
	*plen = (uint8_t)n;
	return ip_parse(family, a, out);
}

/* @a's bytes into @out (zero when @a has none, as a default route's dst). */
static bool nl_bin(struct nl_addr *a, int family, uint8_t out[16])
{
	unsigned len;

	memset(out, 0, 16);
	if (!a)
		return false;
	len = nl_addr_get_len(a);
	if (!len)
		return true;
	if (nl_addr_get_family(a) != family || len != alen(family))
		return false;
	memcpy(out, nl_addr_get_binary_addr(a), len);
	return true;
}

static struct nl_addr *nl_mk(int family, const uint8_t *b, unsigned plen)
{
	struct nl_addr *a = nl_addr_build(family, b, alen(family));

	if (a)
		nl_addr_set_prefixlen(a, plen);
	return a;
}

static bool mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi = g_ascii_xdigit_value(p[0]), lo = g_ascii_xdigit_value(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static char *mac_str(const uint8_t m[6])
{
	return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static gint64 boottime_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return ts.tv_sec;
}

static void boot_id(char out[40])
{
	g_autofree char *t = NULL;

	out[0] = '\0';
	if (g_file_get_contents("/proc/sys/kernel/random/boot_id", &t, NULL, NULL)) {
		g_strstrip(t);
		if (strlen(t) == 36)
			memcpy(out, t, 37);
	}
}

/* Seconds since @s was captured (0 if the clocks say otherwise). */
static gint64 elapsed(const struct vswd_nic_state *s)
{
	char id[40];
	gint64 d;

	boot_id(id);
	if (id[0] && !strcmp(id, s->boot_id))
		d = boottime_now() - s->boottime;
	else
		d = g_get_real_time() / G_USEC_PER_SEC - s->realtime;
	return d > 0 ? d : 0;
}

/* Failures of a best-effort sequence, reported together. */
struct fails {
	GPtrArray *msgs;
};

static void fail_add(struct fails *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void fail_add(struct fails *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(f->msgs, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static bool fails_end(struct fails *f, GError **err, const char *what)
{
	bool ok = f->msgs->len == 0;

	if (!ok) {
		g_ptr_array_add(f->msgs, NULL);
		g_autofree char *all = g_strjoinv("; ", (char **)f->msgs->pdata);

		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "%s: %s", what, all);
	}
	g_ptr_array_unref(f->msgs);
	f->msgs = NULL;
	return ok;
}

/* ------------------------------------------------------------------ */
/* Netlink and sysctl access                                           */

static struct nl_sock *rt_open(GError **err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk) {
		g_set_error_literal(err, VSWD_ERROR, VSWD_ERR_GENERIC,
				    "cannot open a netlink socket: out of memory");
		return NULL;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot open a netlink socket: %s",
			    nl_geterror(r));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* @name's link, or NULL: @err says it does not exist or why it cannot be read. */
static struct rtnl_link *link_get(struct nl_sock *sk, const char *name, const char *what,
				  GError **err)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &l);

	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND, "%s '%s' does not exist", what, name);
		return NULL;
	}
	if (r < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot read %s '%s': %s", what, name,
			    nl_geterror(r));
		return NULL;
	}
	return l;
}

/* Change @cur's MTU (0: leave it) and IFF_UP (-1: leave it). */
static int link_set(struct nl_sock *sk, struct rtnl_link *cur, unsigned mtu, int up)
{
	g_autoptr(NicLink) ch = rtnl_link_alloc();

	if (!ch)
		return -NLE_NOMEM;
	if (mtu)
		rtnl_link_set_mtu(ch, mtu);
	if (up > 0)
		rtnl_link_set_flags(ch, IFF_UP);
	else if (up == 0)
		rtnl_link_unset_flags(ch, IFF_UP);
	return rtnl_link_change(sk, cur, ch, 0);
}

/* Set (@on) or clear IFF_NOARP on @cur, and its MAC to @mac (NULL: leave it). */
static int link_set_l2(struct nl_sock *sk, struct rtnl_link *cur, int noarp, const uint8_t *mac)
{
	g_autoptr(NicLink) ch = rtnl_link_alloc();
	struct nl_addr *a = NULL;
	int e;

	if (!ch)
		return -NLE_NOMEM;
	if (noarp > 0)
		rtnl_link_set_flags(ch, IFF_NOARP);
	else if (noarp == 0)
		rtnl_link_unset_flags(ch, IFF_NOARP);
	if (mac) {
		a = nl_addr_build(AF_LLC, mac, 6);
		if (!a)
			return -NLE_NOMEM;
		rtnl_link_set_addr(ch, a);
	}
	e = rtnl_link_change(sk, cur, ch, 0);
	if (a)
		nl_addr_put(a);
	return e;
}

/*
 * A fresh dump of all addresses (RTM_GETADDR) or routes (RTM_GETROUTE) as
 * libnl objects, retried when a change interrupts it.  Not a libnl cache:
 * a cache keeps one of the objects it deems the same (two IPv4 addresses
 * of one subnet, two IPv6 routes to one prefix through two interfaces).
 */
static void dump_obj(struct nl_object *o, void *arg)
{
	nl_object_get(o);
	g_ptr_array_add(arg, o);
}

static int dump_msg(struct nl_msg *msg, void *arg)
{
	nl_msg_parse(msg, dump_obj, arg);
	return NL_OK;
}

static int dump(struct nl_sock *sk, int type, GPtrArray **out)
{
	int r = -NLE_DUMP_INTR;

	*out = NULL;
	for (int i = 0; i < NIC_DUMP_TRIES && r == -NLE_DUMP_INTR; i++) {
		g_autoptr(GPtrArray) objs = g_ptr_array_new_with_free_func((GDestroyNotify)nl_object_put);
		struct nl_cb *scb, *cb;

		r = nl_rtgen_request(sk, type, AF_UNSPEC, NLM_F_DUMP);
		if (r < 0)
			return r;
		scb = nl_socket_get_cb(sk);	/* a reference of its own */
		cb = nl_cb_clone(scb);
		nl_cb_put(scb);
		if (!cb)
			return -NLE_NOMEM;
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, dump_msg, objs);
		r = nl_recvmsgs(sk, cb);
		nl_cb_put(cb);
		if (r >= 0) {
			*out = g_steal_pointer(&objs);
			return 0;
		}
	}
	return r;
}

static char *v6_path(const char *ifname)
{
	return g_strdup_printf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
}

/* disable_ipv6 of @ifname: 0, 1, or -1 when the interface has no IPv6. */
static int v6_read(const char *ifname)
{
	g_autofree char *path = v6_path(ifname);
	g_autofree char *t = NULL;
	gint64 v;

	if (!g_file_get_contents(path, &t, NULL, NULL))
		return -1;
	g_strstrip(t);
	v = g_ascii_strtoll(t, NULL, 10);
	return v != 0;
}

static bool v6_write(const char *ifname, int v, char **why)
{
	g_autofree char *path = v6_path(ifname);
	const char *val = v ? "1\n" : "0\n";
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0) {
		*why = g_strdup_printf("cannot set %s: %s", path, g_strerror(errno));
		return false;
	}
	n = write(fd, val, 2);
	if (n != 2) {
		*why = g_strdup_printf("cannot set %s: %s", path,
				       n < 0 ? g_strerror(errno) : "short write");
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* ------------------------------------------------------------------ */
/* Capture                                                             */

static bool check_bindable(struct nl_sock *sk, struct rtnl_link *l, const char *ifname,
			   GError **err)
{
	unsigned flags = rtnl_link_get_flags(l);
	unsigned type = rtnl_link_get_arptype(l);
	const char *kind = rtnl_link_get_type(l);
	struct nl_addr *mac = rtnl_link_get_addr(l);
	int master = rtnl_link_get_master(l);

	if (flags & IFF_LOOPBACK) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "cannot bind '%s': it is the loopback interface", ifname);
		return false;
	}
	if (type != ARPHRD_ETHER) {
		char buf[32];

		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "cannot bind '%s': it is not an Ethernet interface (link type %s)",
			    ifname, nl_llproto2str((int)type, buf, sizeof(buf)));
		return false;
	}
	if (kind && !strcmp(kind, "bridge")) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "cannot bind '%s': it is a bridge (bind a NIC, not a bridge)", ifname);
		return false;
	}
	if (kind && !strcmp(kind, "vrf")) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "cannot bind '%s': it is a VRF device", ifname);
		return false;
	}
	if (master > 0) {
		g_autoptr(NicLink) m = NULL;
		const char *mname = "?", *mkind = NULL;
		char ibuf[IFNAMSIZ];

		if (rtnl_link_get_kernel(sk, master, NULL, &m) == 0) {
			mname = rtnl_link_get_name(m) ? rtnl_link_get_name(m) : "?";
			mkind = rtnl_link_get_type(m);
		} else if (if_indextoname((unsigned)master, ibuf)) {
			mname = ibuf;
		}
		if (!mkind)
			mkind = rtnl_link_get_slave_type(l);
		if (mkind && !strcmp(mkind, "bridge"))
			g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
				    "cannot bind '%s': it is a port of bridge '%s'", ifname, mname);
		else if (mkind && !strcmp(mkind, "bond"))
			g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
				    "cannot bind '%s': it is a slave of bond '%s' (bind the bond)",
				    ifname, mname);
		else if (mkind && !strcmp(mkind, "team"))
			g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
				    "cannot bind '%s': it is a port of team '%s' (bind the team)",
				    ifname, mname);
		else
			g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
				    "cannot bind '%s': it has a master, '%s' (%s)", ifname, mname,
				    mkind ? mkind : "unknown kind");
		return false;
	}
	if (!mac || nl_addr_get_len(mac) != 6) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "cannot bind '%s': it has no Ethernet address", ifname);
		return false;
	}
	return true;
}

static void capture_addr(struct rtnl_addr *a, GArray *out)
{
	struct nic_addr na = { 0 };
	const char *label;

	na.family = rtnl_addr_get_family(a);
	na.flags = rtnl_addr_get_flags(a);
	/*
	 * IPv6 temporary (privacy) addresses are the kernel's to make again.
	 * (IFA_F_TEMPORARY is IFA_F_SECONDARY's bit: IPv6 only.)
	 */
	if ((na.family != AF_INET && na.family != AF_INET6) ||
	    (na.family == AF_INET6 && (na.flags & IFA_F_TEMPORARY)))
		return;
	if (!nl_bin(rtnl_addr_get_local(a), na.family, na.local) ||
	    !nl_addr_get_len(rtnl_addr_get_local(a)))
		return;
	na.plen = (uint8_t)rtnl_addr_get_prefixlen(a);
	if (rtnl_addr_get_peer(a) && nl_addr_get_len(rtnl_addr_get_peer(a)))
		na.has_peer = nl_bin(rtnl_addr_get_peer(a), na.family, na.peer);
	if (na.family == AF_INET && rtnl_addr_get_broadcast(a) &&
	    nl_addr_get_len(rtnl_addr_get_broadcast(a)))
		na.has_bcast = nl_bin(rtnl_addr_get_broadcast(a), na.family, na.bcast);
	label = rtnl_addr_get_label(a);
	if (na.family == AF_INET && label && label_ok(label))
		g_strlcpy(na.label, label, sizeof(na.label));
	na.scope = (uint8_t)rtnl_addr_get_scope(a);
	na.valid = rtnl_addr_get_valid_lifetime(a);
	na.preferred = rtnl_addr_get_preferred_lifetime(a);
	if (na.preferred > na.valid)
		na.preferred = na.valid;
	g_array_append_val(out, na);
}

static bool route_uses(struct rtnl_route *r, int ifindex)
{
	int n = rtnl_route_get_nnexthops(r);

	for (int i = 0; i < n; i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, i);

		if (nh && rtnl_route_nh_get_ifindex(nh) == ifindex)
			return true;
	}
	return false;
}

/* A route the kernel makes (and takes away) by itself. */
static bool route_kernel_made(struct rtnl_route *r)
{
	uint8_t proto = rtnl_route_get_protocol(r);
	uint8_t type = rtnl_route_get_type(r);
	struct nl_addr *dst = rtnl_route_get_dst(r);

	if (rtnl_route_get_table(r) == RT_TABLE_LOCAL || (rtnl_route_get_flags(r) & RTM_F_CLONED))
		return true;
	if (proto == RTPROT_KERNEL || proto == RTPROT_REDIRECT || proto == RTPROT_RA)
		return true;
	if (type == RTN_MULTICAST || type == RTN_LOCAL || type == RTN_BROADCAST ||
	    type == RTN_ANYCAST)
		return true;
	if (rtnl_route_get_family(r) == AF_INET6 && dst && nl_addr_get_prefixlen(dst) == 64 &&
	    nl_addr_get_len(dst) == 16) {
		const uint8_t *b = nl_addr_get_binary_addr(dst);

		if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
			return true;
	}
	return false;
}

/*
 * @r as a struct nic_route; next hops through @nic_ifindex get no "dev".
 * Return: false with @why when it cannot be recorded faithfully.
 */
static bool route_from_rtnl(struct rtnl_route *r, int nic_ifindex, struct nic_route *out,
			    char **why)
{
	int n = rtnl_route_get_nnexthops(r);

	memset(out, 0, sizeof(*out));
	out->family = rtnl_route_get_family(r);
	if (out->family != AF_INET && out->family != AF_INET6) {
		*why = g_strdup("not IPv4 or IPv6");
		return false;
	}
	if (!nl_bin(rtnl_route_get_dst(r), out->family, out->dst)) {
		*why = g_strdup("unreadable destination");
		return false;
	}
	out->dst_len = (uint8_t)nl_addr_get_prefixlen(rtnl_route_get_dst(r));
	if (rtnl_route_get_src(r) && nl_addr_get_prefixlen(rtnl_route_get_src(r))) {
		out->has_src = nl_bin(rtnl_route_get_src(r), out->family, out->src);
		out->src_len = (uint8_t)nl_addr_get_prefixlen(rtnl_route_get_src(r));
	}
	out->table = rtnl_route_get_table(r);
	out->priority = rtnl_route_get_priority(r);
	out->protocol = rtnl_route_get_protocol(r);
	out->scope = rtnl_route_get_scope(r);
	out->type = rtnl_route_get_type(r);
	out->tos = rtnl_route_get_tos(r);
	if (rtnl_route_get_pref_src(r) && nl_addr_get_len(rtnl_route_get_pref_src(r)))
		out->has_prefsrc = nl_bin(rtnl_route_get_pref_src(r), out->family, out->prefsrc);
	for (int i = 1; i <= NIC_RTAX_MAX; i++) {
		uint32_t v;

		if (i != NIC_RTAX_CC_ALGO && rtnl_route_get_metric(r, i, &v) == 0) {
			out->metrics_mask |= 1u << i;
			out->metrics[i] = v;
		}
	}
	if (n < 1 || n > NIC_NEXTHOPS_MAX) {
		*why = g_strdup_printf("%d next hops", n);
		return false;
	}
	out->nhs = g_array_sized_new(FALSE, TRUE, sizeof(struct nic_nh), (guint)n);
	for (int i = 0; i < n; i++) {
		struct rtnl_nexthop *h = rtnl_route_nexthop_n(r, i);
		struct nic_nh nh = { 0 };
		int ifindex = rtnl_route_nh_get_ifindex(h);
		struct nl_addr *gw = rtnl_route_nh_get_gateway(h);

		if (rtnl_route_nh_get_via(h) && nl_addr_get_len(rtnl_route_nh_get_via(h))) {
			*why = g_strdup("a gateway of another family (via)");
			return false;
		}
		if (rtnl_route_nh_get_encap_mpls_dst(h)) {
			*why = g_strdup("an MPLS encapsulation");
			return false;
		}
		if (ifindex != nic_ifindex && (ifindex <= 0 || !if_indextoname((unsigned)ifindex, nh.dev))) {
			*why = g_strdup_printf("next hop interface %d is gone", ifindex);
			return false;
		}
		if (gw && nl_addr_get_len(gw)) {
			if (!nl_bin(gw, out->family, nh.gw)) {
				*why = g_strdup("unreadable gateway");
				return false;
			}
			nh.has_gw = true;
		}
		nh.hops = rtnl_route_nh_get_weight(h);
		nh.flags = (uint8_t)(rtnl_route_nh_get_flags(h) & NIC_NH_SETTABLE);
		nh.realms = rtnl_route_nh_get_realms(h);
		g_array_append_val(out->nhs, nh);
	}
	return true;
}

static char *route_desc(const struct nic_route *r)
{
	char buf[INET6_ADDRSTRLEN];
	GString *s = g_string_new(NULL);

	if (r->dst_len == 0)
		g_string_append(s, r->family == AF_INET ? "default" : "default (IPv6)");
	else
		g_string_append_printf(s, "%s/%u", ip_str(r->family, r->dst, buf), r->dst_len);
	if (r->has_src)
		g_string_append_printf(s, " from %s/%u", ip_str(r->family, r->src, buf), r->src_len);
	for (guint i = 0; r->nhs && i < r->nhs->len; i++) {
		const struct nic_nh *nh = &g_array_index(r->nhs, struct nic_nh, i);

		if (nh->has_gw)
			g_string_append_printf(s, " via %s", ip_str(r->family, nh->gw, buf));
		if (nh->dev[0])
			g_string_append_printf(s, " dev %s", nh->dev);
	}
	if (r->table != RT_TABLE_MAIN)
		g_string_append_printf(s, " table %u", r->table);
	if (r->priority)
		g_string_append_printf(s, " metric %u", r->priority);
	return g_string_free(s, FALSE);
}

static bool capture_addrs(struct nl_sock *sk, int ifindex, const char *ifname, GArray *out,
			  GError **err)
{
	g_autoptr(GPtrArray) c = NULL;
	int r = dump(sk, RTM_GETADDR, &c);

	if (r < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot read the addresses of '%s': %s",
			    ifname, nl_geterror(r));
		return false;
	}
	for (guint i = 0; i < c->len; i++) {
		struct rtnl_addr *a = c->pdata[i];

		if (rtnl_addr_get_ifindex(a) != ifindex)
			continue;
		if (out->len >= NIC_ADDRS_MAX) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "cannot bind '%s': it has more than %d addresses", ifname,
				    NIC_ADDRS_MAX);
			return false;
		}
		capture_addr(a, out);
	}
	return true;
}

static bool capture_routes(struct nl_sock *sk, int ifindex, const char *ifname, GArray *out,
			   GError **err)
{
	g_autoptr(GPtrArray) c = NULL;
	int r = dump(sk, RTM_GETROUTE, &c);

	if (r < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot read the routes of '%s': %s",
			    ifname, nl_geterror(r));
		return false;
	}
	for (guint i = 0; i < c->len; i++) {
		struct rtnl_route *rt = c->pdata[i];
		struct nic_route nr;
		g_autofree char *why = NULL;

		if (!route_uses(rt, ifindex) || route_kernel_made(rt))
			continue;
		if (!route_from_rtnl(rt, ifindex, &nr, &why)) {
			route_clear(&nr);
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "cannot bind '%s': cannot record one of its routes (%s)", ifname,
				    why);
			return false;
		}
		if (out->len >= NIC_ROUTES_MAX) {
			route_clear(&nr);
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "cannot bind '%s': it has more than %d routes", ifname,
				    NIC_ROUTES_MAX);
			return false;
		}
		g_array_append_val(out, nr);
	}
	return true;
}

struct vswd_nic_state *vswd_nic_capture(const char *ifname, GError **err)
{
	g_autoptr(NicSock) sk = NULL;
	g_autoptr(NicLink) l = NULL;
	g_autoptr(vswd_nic_state) s = NULL;
	int ifindex;

	if (!ifname || !ifname_ok(ifname)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "'%s' is not an interface name",
			    ifname ? ifname : "");
		return NULL;
	}
	sk = rt_open(err);
	if (!sk)
		return NULL;
	l = link_get(sk, ifname, "interface", err);
	if (!l)
		return NULL;
	if (!check_bindable(sk, l, ifname, err))
		return NULL;
	s = state_new();
	g_strlcpy(s->ifname, ifname, sizeof(s->ifname));
	memcpy(s->mac, nl_addr_get_binary_addr(rtnl_link_get_addr(l)), 6);
	s->mtu = rtnl_link_get_mtu(l);
	s->up = rtnl_link_get_flags(l) & IFF_UP;
	s->noarp = rtnl_link_get_flags(l) & IFF_NOARP;
	s->ipv6_disabled = v6_read(ifname);
	boot_id(s->boot_id);
	s->boottime = boottime_now();
	s->realtime = g_get_real_time() / G_USEC_PER_SEC;
	ifindex = rtnl_link_get_ifindex(l);
	if (!capture_addrs(sk, ifindex, ifname, s->addrs, err) ||
	    !capture_routes(sk, ifindex, ifname, s->routes, err))
		return NULL;
	return g_steal_pointer(&s);
}

/* ------------------------------------------------------------------ */
/* Changes                                                             */

/*
 * @na as an address of @ifindex with @label (NULL: none) and @flags, its
 * lifetimes counted down by @el seconds.  Return: 0, 1 when it has
 * expired meanwhile (nothing to add), or a negative libnl error.
 */
static int addr_build(const struct nic_addr *na, int ifindex, const char *label, uint32_t flags,
		      gint64 el, struct rtnl_addr **out)
{
	g_autoptr(NicRtAddr) a = rtnl_addr_alloc();
	g_autoptr(NicAddr) local = NULL;
	int r;

	if (!a)
		return -NLE_NOMEM;
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, na->family);
	local = nl_mk(na->family, na->local, na->has_peer ? 0 : na->plen);
	if (!local)
		return -NLE_NOMEM;
	r = rtnl_addr_set_local(a, local);
	if (r < 0)
		return r;
	if (na->has_peer) {
		g_autoptr(NicAddr) peer = nl_mk(na->family, na->peer, na->plen);

		if (!peer)
			return -NLE_NOMEM;
		r = rtnl_addr_set_peer(a, peer);
		if (r < 0)
			return r;
	}
	if (na->has_bcast) {
		g_autoptr(NicAddr) b = nl_mk(na->family, na->bcast, 32);

		if (!b)
			return -NLE_NOMEM;
		r = rtnl_addr_set_broadcast(a, b);
		if (r < 0)
			return r;
	}
	if (label && *label) {
		r = rtnl_addr_set_label(a, label);
		if (r < 0)
			return r;
	}
	rtnl_addr_set_scope(a, na->scope);
	rtnl_addr_set_flags(a, flags);
	if (na->valid != NIC_FOREVER || na->preferred != NIC_FOREVER) {
		gint64 v = na->valid, p = na->preferred;

		if (na->valid != NIC_FOREVER) {
			v -= el;
			if (v <= 0)
				return 1;
		}
		if (na->preferred != NIC_FOREVER)
			p = MAX(p - el, 0);
		if (p > v)
			p = v;
		rtnl_addr_set_valid_lifetime(a, (uint32_t)v);
		rtnl_addr_set_preferred_lifetime(a, (uint32_t)p);
	}
	*out = g_steal_pointer(&a);
	return 0;
}

/* @nr through @oif (next hops without "dev") and the named interfaces. */
static int route_build(const struct nic_route *nr, int oif, struct rtnl_route **out, char **why)
{
	g_autoptr(NicRtRoute) r = rtnl_route_alloc();
	g_autoptr(NicAddr) dst = NULL;
	int e;

	if (!r)
		return -NLE_NOMEM;
	rtnl_route_set_family(r, (uint8_t)nr->family);
	dst = nl_mk(nr->family, nr->dst, nr->dst_len);
	if (!dst || (e = rtnl_route_set_dst(r, dst)) < 0)
		return dst ? e : -NLE_NOMEM;
	if (nr->has_src) {
		g_autoptr(NicAddr) src = nl_mk(nr->family, nr->src, nr->src_len);

		if (!src || (e = rtnl_route_set_src(r, src)) < 0)
			return src ? e : -NLE_NOMEM;
	}
	rtnl_route_set_table(r, nr->table);
	rtnl_route_set_priority(r, nr->priority);
	rtnl_route_set_protocol(r, nr->protocol);
	rtnl_route_set_scope(r, nr->scope);
	rtnl_route_set_type(r, nr->type);
	rtnl_route_set_tos(r, nr->tos);
	if (nr->has_prefsrc) {
		g_autoptr(NicAddr) ps = nl_mk(nr->family, nr->prefsrc, alen(nr->family) * 8);

		if (!ps || (e = rtnl_route_set_pref_src(r, ps)) < 0)
			return ps ? e : -NLE_NOMEM;
	}
	for (int i = 1; i <= NIC_RTAX_MAX; i++)
		if (nr->metrics_mask & (1u << i))
			rtnl_route_set_metric(r, i, nr->metrics[i]);
	for (guint i = 0; i < nr->nhs->len; i++) {
		const struct nic_nh *h = &g_array_index(nr->nhs, struct nic_nh, i);
		struct rtnl_nexthop *nh;
		int ifindex = h->dev[0] ? vswd_nic_ifindex(h->dev) : oif;

		if (ifindex <= 0) {
			*why = g_strdup_printf("interface '%s' does not exist", h->dev);
			return -NLE_NODEV;
		}
		nh = rtnl_route_nh_alloc();
		if (!nh)
			return -NLE_NOMEM;
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (h->has_gw) {
			g_autoptr(NicAddr) gw = nl_mk(nr->family, h->gw, alen(nr->family) * 8);

			if (!gw) {
				rtnl_route_nh_free(nh);
				return -NLE_NOMEM;
			}
			rtnl_route_nh_set_gateway(nh, gw);
		}
		rtnl_route_nh_set_weight(nh, h->hops);
		if (h->flags)
			rtnl_route_nh_set_flags(nh, h->flags);
		if (h->realms)
			rtnl_route_nh_set_realms(nh, h->realms);
		rtnl_route_add_nexthop(r, nh);
	}
	*out = g_steal_pointer(&r);
	return 0;
}

/*
 * @r with only some of its next hops: @ours (no "dev": the NIC) or the
 * others, or with @only (an index) alone.  Shares nothing with @r but
 * the fixed fields; route_clear() it.
 */
static struct nic_route route_part(const struct nic_route *r, bool ours, int only)
{
	struct nic_route p = *r;

	p.nhs = g_array_new(FALSE, TRUE, sizeof(struct nic_nh));
	for (guint i = 0; i < r->nhs->len; i++) {
		const struct nic_nh *h = &g_array_index(r->nhs, struct nic_nh, i);

		if (only >= 0 ? (int)i == only : (h->dev[0] == '\0') == ours)
			g_array_append_vals(p.nhs, h, 1);
	}
	return p;
}

static bool route_is_mixed(const struct nic_route *r)
{
	bool ours = false, others = false;

	for (guint i = 0; i < r->nhs->len; i++) {
		if (g_array_index(r->nhs, struct nic_nh, i).dev[0])
			others = true;
		else
			ours = true;
	}
	return ours && others;
}

/*
 * Add @nr through @oif.  A multipath route whose other next hops are
 * there already (vswd_nic_dedicate() kept them): IPv4 replaces it whole,
 * IPv6 appends our next hops one by one (each with weight 1).
 */
static int route_add(struct nl_sock *sk, const struct nic_route *nr, int oif, char **why)
{
	g_autoptr(NicRtRoute) r = NULL;
	int e = route_build(nr, oif, &r, why);

	if (e == 0)
		e = rtnl_route_add(sk, r, NLM_F_EXCL);
	if (e != -NLE_EXIST || !route_is_mixed(nr))
		return e;
	if (nr->family == AF_INET)
		return rtnl_route_add(sk, r, NLM_F_REPLACE);
	for (guint i = 0; i < nr->nhs->len; i++) {
		struct nic_route one;
		g_autoptr(NicRtRoute) r1 = NULL;

		if (g_array_index(nr->nhs, struct nic_nh, i).dev[0])
			continue;
		one = route_part(nr, true, (int)i);
		e = route_build(&one, oif, &r1, why);
		route_clear(&one);
		if (e == 0)
			e = rtnl_route_add(sk, r1, NLM_F_APPEND);
		if (e < 0 && e != -NLE_EXIST)
			return e;
	}
	return 0;
}

/*
 * Remove @nr (as dumped now) from @ifindex: the whole route, or when it
 * has next hops through other interfaces too, only those through
 * @ifindex (IPv4: replaced by the others; IPv6: each deleted).
 */
static int route_remove(struct nl_sock *sk, const struct nic_route *nr, int ifindex, char **why)
{
	g_autoptr(NicRtRoute) r = NULL;
	struct nic_route part;
	int e = 0;

	if (!route_is_mixed(nr)) {
		e = route_build(nr, ifindex, &r, why);
		return e ? e : rtnl_route_delete(sk, r, 0);
	}
	if (nr->family == AF_INET) {
		part = route_part(nr, false, -1);
		e = route_build(&part, ifindex, &r, why);
		route_clear(&part);
		return e ? e : rtnl_route_add(sk, r, NLM_F_REPLACE);
	}
	for (guint i = 0; i < nr->nhs->len; i++) {
		g_autoptr(NicRtRoute) r1 = NULL;

		if (g_array_index(nr->nhs, struct nic_nh, i).dev[0])
			continue;
		part = route_part(nr, true, (int)i);
		e = route_build(&part, ifindex, &r1, why);
		route_clear(&part);
		if (e == 0)
			e = rtnl_route_delete(sk, r1, 0);
		if (e < 0 && e != -NLE_OBJ_NOTFOUND)
			return e;
	}
	return 0;
}

static char *addr_desc(const struct nic_addr *na)
{
	return ip_plen_str(na->family, na->local, na->plen);
}

/* IPv6 addresses of @ifindex still doing duplicate address detection. */
static bool any_tentative(struct nl_sock *sk, int ifindex)
{
	g_autoptr(GPtrArray) c = NULL;

	if (dump(sk, RTM_GETADDR, &c) < 0)
		return false;
	for (guint i = 0; i < c->len; i++) {
		struct rtnl_addr *a = c->pdata[i];

		if (rtnl_addr_get_ifindex(a) == ifindex && rtnl_addr_get_family(a) == AF_INET6 &&
		    (rtnl_addr_get_flags(a) & IFA_F_TENTATIVE) &&
		    !(rtnl_addr_get_flags(a) & IFA_F_DADFAILED))
			return true;
	}
	return false;
}

/* The route @nr is in @c with a next hop through @oif. */
static bool route_present(GPtrArray *c, const struct nic_route *nr, int oif)
{
	for (guint i = 0; i < c->len; i++) {
		struct rtnl_route *rt = c->pdata[i];
		uint8_t dst[16], src[16] = { 0 };
		struct nl_addr *rs = rtnl_route_get_src(rt);
		unsigned src_len = rs ? nl_addr_get_prefixlen(rs) : 0;

		if (rtnl_route_get_family(rt) != nr->family || rtnl_route_get_table(rt) != nr->table ||
		    rtnl_route_get_priority(rt) != nr->priority || rtnl_route_get_tos(rt) != nr->tos ||
		    nl_addr_get_prefixlen(rtnl_route_get_dst(rt)) != nr->dst_len ||
		    !nl_bin(rtnl_route_get_dst(rt), nr->family, dst) || memcmp(dst, nr->dst, 16) ||
		    src_len != (nr->has_src ? nr->src_len : 0u))
			continue;
		if (src_len && (!nl_bin(rs, nr->family, src) || memcmp(src, nr->src, 16)))
			continue;
		if (route_uses(rt, oif))
			return true;
	}
	return false;
}

static int route_order(gconstpointer a, gconstpointer b, gpointer data)
{
	const struct nic_route *ra = &g_array_index((GArray *)data, struct nic_route, *(const guint *)a);
	const struct nic_route *rb = &g_array_index((GArray *)data, struct nic_route, *(const guint *)b);
	bool gwa = ra->nhs->len && g_array_index(ra->nhs, struct nic_nh, 0).has_gw;
	bool gwb = rb->nhs->len && g_array_index(rb->nhs, struct nic_nh, 0).has_gw;

	/* Narrow scopes first (host, link: what gateways are reached through). */
	if (ra->scope != rb->scope)
		return ra->scope > rb->scope ? -1 : 1;
	return (int)gwa - (int)gwb;
}

/*
 * Add @s's routes through @oif (@oifname in messages).  An IPv6 route
 * with a preferred source is refused while that address is tentative:
 * such routes are tried again once duplicate address detection is over
 * (at most NIC_DAD_WAIT_MS).  Then every route is checked to be there
 * through @oif: an EEXIST from a route another interface holds is a failure.
 */
static void routes_add(struct nl_sock *sk, const struct vswd_nic_state *s, int oif,
		       const char *oifname, struct fails *f)
{
	g_autoptr(GArray) order = g_array_sized_new(FALSE, FALSE, sizeof(guint), s->routes->len);
	g_autoptr(GArray) later = g_array_new(FALSE, FALSE, sizeof(guint));
	g_autofree bool *failed = g_new0(bool, s->routes->len + 1);
	g_autoptr(GPtrArray) c = NULL;
	int e;

	for (guint i = 0; i < s->routes->len; i++)
		g_array_append_val(order, i);
	g_array_sort_with_data(order, route_order, s->routes);
	for (int pass = 0; pass < 2; pass++) {
		GArray *todo = pass ? later : order;

		if (pass && later->len) {
			gint64 end = g_get_monotonic_time() + NIC_DAD_WAIT_MS * 1000;

			while (any_tentative(sk, oif) && g_get_monotonic_time() < end)
				g_usleep(100 * 1000);
		}
		for (guint k = 0; k < todo->len; k++) {
			guint i = g_array_index(todo, guint, k);
			const struct nic_route *nr = &g_array_index(s->routes, struct nic_route, i);
			g_autofree char *why = NULL;
			g_autofree char *d = route_desc(nr);

			e = route_add(sk, nr, oif, &why);
			if (e == 0 || e == -NLE_EXIST)
				continue;
			if (!pass && e == -NLE_INVAL && nr->family == AF_INET6 && nr->has_prefsrc) {
				g_array_append_val(later, i);
				continue;
			}
			failed[i] = true;
			fail_add(f, "route %s on %s: %s", d, oifname, why ? why : nl_geterror(e));
		}
	}
	e = dump(sk, RTM_GETROUTE, &c);
	if (e < 0) {
		fail_add(f, "cannot read the routes back: %s", nl_geterror(e));
		return;
	}
	for (guint i = 0; i < s->routes->len; i++) {
		const struct nic_route *nr = &g_array_index(s->routes, struct nic_route, i);

		if (!failed[i] && !route_present(c, nr, oif)) {
			g_autofree char *d = route_desc(nr);

			fail_add(f, "route %s is not on %s (does another interface hold it?)", d,
				 oifname);
		}
	}
}

/* Add @s's addresses to @ifindex; @host: share mode (labels renamed, NODAD). */
static void addrs_add(struct nl_sock *sk, const struct vswd_nic_state *s, int ifindex,
		      const char *ifname, const char *host, struct fails *f)
{
	gint64 el = elapsed(s);

	for (guint i = 0; i < s->addrs->len; i++) {
		const struct nic_addr *na = &g_array_index(s->addrs, struct nic_addr, i);
		g_autoptr(NicRtAddr) a = NULL;
		g_autofree char *d = addr_desc(na);
		g_autofree char *label = NULL;
		uint32_t flags = na->flags & NIC_ADDR_SETTABLE;
		size_t n = strlen(s->ifname);
		int e;

		if (host && na->label[0]) {
			/* "eth0" -> "vswh0", "eth0:1" -> "vswh0:1" when it fits. */
			if (!strncmp(na->label, s->ifname, n) && (!na->label[n] || na->label[n] == ':')) {
				label = g_strconcat(host, na->label + n, NULL);
				if (strlen(label) >= IFNAMSIZ) {
					g_free(label);
					label = g_strdup(host);
				}
			} else {
				label = g_strdup(na->label);
			}
		} else if (na->label[0]) {
			label = g_strdup(na->label);
		}
		if (host && na->family == AF_INET6 &&
		    !(na->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
			flags |= IFA_F_NODAD;
		e = addr_build(na, ifindex, label, flags, el, &a);
		if (e == 1) {
			g_message("%s: address %s expired since it was recorded: not added", ifname, d);
			continue;
		}
		if (e == 0)
			e = rtnl_addr_add(sk, a, NLM_F_EXCL);
		if (e < 0 && e != -NLE_EXIST)
			fail_add(f, "address %s on %s: %s", d, ifname, nl_geterror(e));
	}
}

/*
 * Strip @ifname (@ifindex) for the switch: IPv6 off (the kernel removes
 * its IPv6 addresses and routes), every address removed (IPv4 routes go
 * with the last one), what routes remain removed, link up.
 */
static void strip(struct nl_sock *sk, struct rtnl_link *l, const char *ifname, struct fails *f)
{
	int ifindex = rtnl_link_get_ifindex(l);
	g_autoptr(GPtrArray) ac = NULL;
	g_autoptr(GPtrArray) rc = NULL;
	g_autoptr(GPtrArray) mine = g_ptr_array_new();
	int e;

	if (v6_read(ifname) == 0) {
		g_autofree char *why = NULL;

		if (!v6_write(ifname, 1, &why))
			fail_add(f, "%s", why);
	}
	e = dump(sk, RTM_GETADDR, &ac);
	if (e < 0) {
		fail_add(f, "cannot read the addresses of %s: %s", ifname, nl_geterror(e));
	} else {
		for (guint i = 0; i < ac->len; i++)
			if (rtnl_addr_get_ifindex(ac->pdata[i]) == ifindex)
				g_ptr_array_add(mine, ac->pdata[i]);
		/* Last first: secondaries before their primary. */
		for (guint i = mine->len; i-- > 0;) {
			struct rtnl_addr *a = mine->pdata[i];
			char buf[INET6_ADDRSTRLEN + 8];

			e = rtnl_addr_delete(sk, a, 0);
			if (e < 0 && e != -NLE_NOADDR && e != -NLE_OBJ_NOTFOUND)
				fail_add(f, "cannot remove address %s from %s: %s",
					 nl_addr2str(rtnl_addr_get_local(a), buf, sizeof(buf)), ifname,
					 nl_geterror(e));
		}
	}
	e = dump(sk, RTM_GETROUTE, &rc);
	if (e < 0) {
		fail_add(f, "cannot read the routes of %s: %s", ifname, nl_geterror(e));
	} else {
		for (guint k = 0; k < rc->len; k++) {
			struct rtnl_route *rt = rc->pdata[k];
			struct nic_route nr;
			g_autofree char *why = NULL;
			g_autofree char *d = NULL;

			if (rtnl_route_get_table(rt) == RT_TABLE_LOCAL || !route_uses(rt, ifindex) ||
			    (rtnl_route_get_family(rt) != AF_INET && rtnl_route_get_family(rt) != AF_INET6))
				continue;
			/* Rebuilt without its state flags (dead, linkdown). */
			if (route_from_rtnl(rt, ifindex, &nr, &why)) {
				d = route_desc(&nr);
				e = route_remove(sk, &nr, ifindex, &why);
			} else {
				g_clear_pointer(&why, g_free);
				d = g_strdup("(unrecorded)");
				e = rtnl_route_delete(sk, rt, 0);
			}
			route_clear(&nr);
			if (e < 0 && e != -NLE_OBJ_NOTFOUND)
				fail_add(f, "cannot remove route %s from %s: %s", d, ifname,
					 why ? why : nl_geterror(e));
		}
	}
	/* What libnl could not name (a route through a nexthop object: nhid). */
	g_clear_pointer(&rc, g_ptr_array_unref);
	if (dump(sk, RTM_GETROUTE, &rc) == 0) {
		for (guint k = 0; k < rc->len; k++) {
			struct rtnl_route *rt = rc->pdata[k];
			struct nic_route nr;
			g_autofree char *why = NULL;
			g_autofree char *d = NULL;

			if (rtnl_route_get_table(rt) == RT_TABLE_LOCAL || !route_uses(rt, ifindex) ||
			    (rtnl_route_get_family(rt) != AF_INET && rtnl_route_get_family(rt) != AF_INET6))
				continue;
			d = route_from_rtnl(rt, ifindex, &nr, &why) ? route_desc(&nr) : g_strdup("?");
			route_clear(&nr);
			fail_add(f, "route %s still goes through %s (through a nexthop object? "
				 "remove it by hand)", d, ifname);
		}
	}
	if (!(rtnl_link_get_flags(l) & IFF_UP)) {
		e = link_set(sk, l, 0, 1);
		if (e < 0)
			fail_add(f, "cannot bring %s up: %s", ifname, nl_geterror(e));
	}
	/*
	 * No ARP through it: Linux answers ARP for any of the host's addresses
	 * on any interface, so a NIC without addresses would still speak for
	 * the host on the LAN.
	 */
	if (!(rtnl_link_get_flags(l) & IFF_NOARP)) {
		e = link_set_l2(sk, l, 1, NULL);
		if (e < 0)
			fail_add(f, "cannot turn ARP off on %s: %s", ifname, nl_geterror(e));
	}
}

/*
 * The MAC a shared NIC has while its host adapter has the NIC's own: the
 * same with the locally administered bit set and "VSW" in its last three
 * bytes, so frames for the host adapter reach the NIC's own stack only as
 * another host's (which IPv4 ignores) instead of twice.
 */
static void shared_nic_mac(const uint8_t orig[6], uint8_t out[6])
{
	memcpy(out, orig, 6);
	out[0] = (uint8_t)((out[0] | 0x02) & ~0x01);
	out[3] ^= 'V';
	out[4] ^= 'S';
	out[5] ^= 'W';
}

bool vswd_nic_dedicate(const struct vswd_nic_state *s, GError **err)
{
	g_autoptr(NicSock) sk = rt_open(err);
	g_autoptr(NicLink) l = NULL;
	g_autofree char *what = NULL;
	struct fails f = { g_ptr_array_new_with_free_func(g_free) };

	if (!sk || !(l = link_get(sk, s->ifname, "interface", err))) {
		g_ptr_array_unref(f.msgs);
		return false;
	}
	strip(sk, l, s->ifname, &f);
	/* Its own MAC again, if it was shared before. */
	{
		struct nl_addr *cur = rtnl_link_get_addr(l);

		if (cur && nl_addr_get_len(cur) == 6 &&
		    memcmp(nl_addr_get_binary_addr(cur), s->mac, 6) &&
		    link_set_l2(sk, l, -1, s->mac) < 0)
			g_warning("cannot give %s back its MAC address", s->ifname);
	}
	what = g_strdup_printf("cannot dedicate '%s' to the switch", s->ifname);
	return fails_end(&f, err, what);
}

bool vswd_nic_share(const struct vswd_nic_state *s, const char *host, GError **err)
{
	g_autoptr(NicSock) sk = NULL;
	g_autoptr(NicLink) nic = NULL;
	g_autoptr(NicLink) hl = NULL;
	g_autofree char *what = NULL;
	struct nl_addr *hmac;
	struct fails f;
	int hidx, e;

	if (!host || !ifname_ok(host) || !strcmp(host, s->ifname)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "'%s' cannot be the host adapter of '%s'",
			    host ? host : "", s->ifname);
		return false;
	}
	sk = rt_open(err);
	if (!sk || !(nic = link_get(sk, s->ifname, "interface", err)) ||
	    !(hl = link_get(sk, host, "host adapter", err)))
		return false;
	hmac = rtnl_link_get_addr(hl);
	if (!hmac || nl_addr_get_len(hmac) != 6 || memcmp(nl_addr_get_binary_addr(hmac), s->mac, 6)) {
		g_autofree char *want = mac_str(s->mac);

		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "host adapter '%s' does not have the MAC address of '%s' (%s)", host,
			    s->ifname, want);
		return false;
	}
	f.msgs = g_ptr_array_new_with_free_func(g_free);
	hidx = rtnl_link_get_ifindex(hl);
	/* Its IPv6 setting before it comes up: no link-local address if off. */
	if (s->ipv6_disabled >= 0) {
		int cur = v6_read(host);
		g_autofree char *why = NULL;

		if (cur < 0 && !s->ipv6_disabled)
			fail_add(&f, "IPv6 is not available on %s", host);
		else if (cur >= 0 && cur != s->ipv6_disabled && !v6_write(host, s->ipv6_disabled, &why))
			fail_add(&f, "%s", why);
	}
	e = link_set(sk, hl, s->mtu != rtnl_link_get_mtu(hl) ? s->mtu : 0, 1);
	if (e < 0)
		fail_add(&f, "cannot set MTU %u and bring %s up: %s", s->mtu, host, nl_geterror(e));
	addrs_add(sk, s, hidx, host, host, &f);
	strip(sk, nic, s->ifname, &f);
	{
		uint8_t other[6];
		struct nl_addr *cur = rtnl_link_get_addr(nic);

		shared_nic_mac(s->mac, other);
		if (!cur || nl_addr_get_len(cur) != 6 ||
		    memcmp(nl_addr_get_binary_addr(cur), other, 6)) {
			e = link_set_l2(sk, nic, -1, other);
			/* Not fatal: some NICs keep their MAC while up. */
			if (e < 0)
				g_warning("cannot change the MAC address of %s (%s): the host may "
					  "see frames for its host adapter twice", s->ifname,
					  nl_geterror(e));
		}
	}
	routes_add(sk, s, hidx, host, &f);
	what = g_strdup_printf("cannot share '%s' with host adapter '%s'", s->ifname, host);
	return fails_end(&f, err, what);
}

bool vswd_nic_restore(const struct vswd_nic_state *s, GError **err)
{
	g_autoptr(NicSock) sk = rt_open(err);
	g_autoptr(NicLink) l = NULL;
	g_autofree char *what = NULL;
	struct fails f;
	int ifindex, e;
	bool up;

	if (!sk || !(l = link_get(sk, s->ifname, "interface", err)))
		return false;
	f.msgs = g_ptr_array_new_with_free_func(g_free);
	ifindex = rtnl_link_get_ifindex(l);
	/* MTU first: below 1280 it takes IPv6 away, above it gives it back. */
	if (rtnl_link_get_mtu(l) != s->mtu) {
		e = link_set(sk, l, s->mtu, -1);
		if (e < 0)
			fail_add(&f, "cannot set the MTU of %s to %u: %s", s->ifname, s->mtu,
				 nl_geterror(e));
	}
	/* Its own MAC and ARP setting (shared and dedicated changed them). */
	{
		struct nl_addr *cur = rtnl_link_get_addr(l);
		bool mac_ok = cur && nl_addr_get_len(cur) == 6 &&
			      !memcmp(nl_addr_get_binary_addr(cur), s->mac, 6);
		bool noarp = rtnl_link_get_flags(l) & IFF_NOARP;

		if (!mac_ok || noarp != s->noarp) {
			e = link_set_l2(sk, l, noarp != s->noarp ? s->noarp : -1,
					mac_ok ? NULL : s->mac);
			if (e < 0)
				fail_add(&f, "cannot give %s back its MAC address and ARP setting: %s",
					 s->ifname, nl_geterror(e));
		}
	}
	/* Up or down before addresses: going down flushes IPv6 addresses. */
	up = rtnl_link_get_flags(l) & IFF_UP;
	if (up != s->up) {
		e = link_set(sk, l, 0, s->up);
		if (e < 0)
			fail_add(&f, "cannot bring %s %s: %s", s->ifname, s->up ? "up" : "down",
				 nl_geterror(e));
	}
	if (s->ipv6_disabled >= 0) {
		int cur = v6_read(s->ifname);
		g_autofree char *why = NULL;

		if (cur < 0 && !s->ipv6_disabled)
			fail_add(&f, "IPv6 is not available on %s", s->ifname);
		else if (cur >= 0 && cur != s->ipv6_disabled &&
			 !v6_write(s->ifname, s->ipv6_disabled, &why))
			fail_add(&f, "%s", why);
	}
	addrs_add(sk, s, ifindex, s->ifname, NULL, &f);
	routes_add(sk, s, ifindex, s->ifname, &f);
	what = g_strdup_printf("cannot restore '%s'", s->ifname);
	return fails_end(&f, err, what);
}

/* ------------------------------------------------------------------ */
/* JSON: the state file and `switch show`                              */

static const char *scope_name(unsigned v, char *buf)
{
	switch (v) {
	case RT_SCOPE_UNIVERSE: return "global";
	case RT_SCOPE_SITE: return "site";
	case RT_SCOPE_LINK: return "link";
	case RT_SCOPE_HOST: return "host";
	case RT_SCOPE_NOWHERE: return "nowhere";
	}
	sprintf(buf, "%u", v);
	return buf;
}

static const char *proto_name(unsigned v, char *buf)
{
	static const struct { unsigned v; const char *n; } t[] = {
		{ RTPROT_UNSPEC, "unspec" }, { RTPROT_REDIRECT, "redirect" },
		{ RTPROT_KERNEL, "kernel" }, { RTPROT_BOOT, "boot" }, { RTPROT_STATIC, "static" },
		{ 8, "gated" }, { RTPROT_RA, "ra" }, { 10, "mrt" }, { 11, "zebra" }, { 12, "bird" },
		{ 13, "dnrouted" }, { 14, "xorp" }, { 15, "ntk" }, { RTPROT_DHCP, "dhcp" },
		{ 17, "mrouted" }, { 18, "keepalived" }, { 42, "babel" }, { 99, "openr" },
		{ 186, "bgp" }, { 187, "isis" }, { 188, "ospf" }, { 189, "rip" }, { 192, "eigrp" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		if (t[i].v == v)
			return t[i].n;
	sprintf(buf, "%u", v);
	return buf;
}

static const char *type_name(unsigned v, char *buf)
{
	static const char *const t[] = { "unspec", "unicast", "local", "broadcast", "anycast",
					 "multicast", "blackhole", "unreachable", "prohibit",
					 "throw", "nat", "xresolve" };

	if (v < G_N_ELEMENTS(t))
		return t[v];
	sprintf(buf, "%u", v);
	return buf;
}

static const char *table_name(unsigned v, char *buf)
{
	switch (v) {
	case RT_TABLE_DEFAULT: return "default";
	case RT_TABLE_MAIN: return "main";
	case RT_TABLE_LOCAL: return "local";
	}
	sprintf(buf, "%u", v);
	return buf;
}

static void json_ip(JsonBuilder *b, const char *name, int family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	vsw_json_str(b, name, ip_str(family, a, buf));
}

static void json_ip_plen(JsonBuilder *b, const char *name, int family, const uint8_t *a,
			 unsigned plen)
{
	g_autofree char *t = ip_plen_str(family, a, plen);

	vsw_json_str(b, name, t);
}

static void addr_json(JsonBuilder *b, const struct nic_addr *a, bool file)
{
	static const struct { uint32_t f; const char *n; } fl[] = {
		{ IFA_F_SECONDARY, "secondary" }, { IFA_F_NODAD, "nodad" },
		{ IFA_F_OPTIMISTIC, "optimistic" }, { IFA_F_DADFAILED, "dadfailed" },
		{ IFA_F_HOMEADDRESS, "home" }, { IFA_F_DEPRECATED, "deprecated" },
		{ IFA_F_TENTATIVE, "tentative" }, { IFA_F_PERMANENT, "permanent" },
		{ IFA_F_MANAGETEMPADDR, "mngtmpaddr" }, { IFA_F_NOPREFIXROUTE, "noprefixroute" },
		{ IFA_F_MCAUTOJOIN, "autojoin" }, { IFA_F_STABLE_PRIVACY, "stable-privacy" },
	};
	char buf[16];

	json_builder_begin_object(b);
	vsw_json_str(b, "family", family_name(a->family));
	json_ip_plen(b, "address", a->family, a->local, a->plen);
	if (a->has_peer)
		json_ip(b, "peer", a->family, a->peer);
	if (a->has_bcast)
		json_ip(b, "broadcast", a->family, a->bcast);
	if (a->label[0])
		vsw_json_str(b, "label", a->label);
	if (file) {
		vsw_json_int(b, "scope", a->scope);
		vsw_json_int(b, "flags", a->flags);
	} else {
		vsw_json_str(b, "scope", scope_name(a->scope, buf));
		json_builder_set_member_name(b, "flags");
		json_builder_begin_array(b);
		for (size_t i = 0; i < G_N_ELEMENTS(fl); i++)
			if (a->flags & fl[i].f)
				json_builder_add_string_value(b, fl[i].f == IFA_F_SECONDARY &&
							      a->family == AF_INET6 ?
							      "temporary" : fl[i].n);
		json_builder_end_array(b);
	}
	if (a->valid != NIC_FOREVER)
		vsw_json_int(b, "valid-lft", a->valid);
	if (a->preferred != NIC_FOREVER)
		vsw_json_int(b, "preferred-lft", a->preferred);
	json_builder_end_object(b);
}

static void nh_json(JsonBuilder *b, const struct nic_nh *h, int family, const char *nic,
		    bool file)
{
	json_builder_begin_object(b);
	if (h->dev[0] || !file)
		vsw_json_str(b, "dev", h->dev[0] ? h->dev : nic);
	if (h->has_gw)
		json_ip(b, "gateway", family, h->gw);
	if (file) {
		vsw_json_int(b, "hops", h->hops);
		if (h->flags)
			vsw_json_int(b, "flags", h->flags);
		if (h->realms)
			vsw_json_int(b, "realms", h->realms);
	} else {
		vsw_json_int(b, "weight", h->hops + 1);
		if (h->flags & RTNH_F_ONLINK)
			vsw_json_bool(b, "onlink", true);
	}
	json_builder_end_object(b);
}

static void route_json(JsonBuilder *b, const struct nic_route *r, const char *nic, bool file)
{
	char buf[16];

	json_builder_begin_object(b);
	vsw_json_str(b, "family", family_name(r->family));
	if (!file && r->dst_len == 0)
		vsw_json_str(b, "dst", "default");
	else
		json_ip_plen(b, "dst", r->family, r->dst, r->dst_len);
	if (r->has_src)
		json_ip_plen(b, "src", r->family, r->src, r->src_len);
	if (file) {
		vsw_json_int(b, "table", r->table);
		vsw_json_int(b, "metric", r->priority);
		vsw_json_int(b, "protocol", r->protocol);
		vsw_json_int(b, "scope", r->scope);
		vsw_json_int(b, "type", r->type);
		if (r->tos)
			vsw_json_int(b, "tos", r->tos);
	} else {
		if (r->nhs->len == 1) {
			const struct nic_nh *h = &g_array_index(r->nhs, struct nic_nh, 0);

			if (h->has_gw)
				json_ip(b, "gateway", r->family, h->gw);
			if (h->flags & RTNH_F_ONLINK)
				vsw_json_bool(b, "onlink", true);
		}
		vsw_json_str(b, "table", table_name(r->table, buf));
		vsw_json_int(b, "metric", r->priority);
		vsw_json_str(b, "protocol", proto_name(r->protocol, buf));
		vsw_json_str(b, "scope", scope_name(r->scope, buf));
		vsw_json_str(b, "type", type_name(r->type, buf));
		if (r->tos)
			vsw_json_int(b, "tos", r->tos);
	}
	if (r->has_prefsrc)
		json_ip(b, "prefsrc", r->family, r->prefsrc);
	if (r->metrics_mask) {
		json_builder_set_member_name(b, "metrics");
		json_builder_begin_object(b);
		for (int i = 1; i <= NIC_RTAX_MAX; i++)
			if ((r->metrics_mask & (1u << i)) && rtax_names[i])
				vsw_json_int(b, rtax_names[i], r->metrics[i]);
		json_builder_end_object(b);
	}
	if (file || r->nhs->len > 1) {
		json_builder_set_member_name(b, "nexthops");
		json_builder_begin_array(b);
		for (guint i = 0; i < r->nhs->len; i++)
			nh_json(b, &g_array_index(r->nhs, struct nic_nh, i), r->family, nic, file);
		json_builder_end_array(b);
	}
	json_builder_end_object(b);
}

static void state_json(const struct vswd_nic_state *s, JsonBuilder *b, bool file)
{
	g_autofree char *mac = mac_str(s->mac);

	json_builder_begin_object(b);
	if (file)
		vsw_json_int(b, "version", VSWD_NIC_STATE_VERSION);
	vsw_json_str(b, "ifname", s->ifname);
	vsw_json_str(b, "mac", mac);
	vsw_json_int(b, "mtu", s->mtu);
	vsw_json_bool(b, "up", s->up);
	if (s->noarp)
		vsw_json_bool(b, "noarp", true);
	json_builder_set_member_name(b, "ipv6-disabled");
	if (s->ipv6_disabled < 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_boolean_value(b, s->ipv6_disabled);
	if (file) {
		json_builder_set_member_name(b, "captured");
		json_builder_begin_object(b);
		if (s->boot_id[0])
			vsw_json_str(b, "boot-id", s->boot_id);
		vsw_json_int(b, "boottime", s->boottime);
		vsw_json_int(b, "realtime", s->realtime);
		json_builder_end_object(b);
	} else {
		g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s->realtime);
		g_autofree char *iso = t ? g_date_time_format_iso8601(t) : NULL;

		if (iso)
			vsw_json_str(b, "captured", iso);
	}
	json_builder_set_member_name(b, "addresses");
	json_builder_begin_array(b);
	for (guint i = 0; i < s->addrs->len; i++)
		addr_json(b, &g_array_index(s->addrs, struct nic_addr, i), file);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "routes");
	json_builder_begin_array(b);
	for (guint i = 0; i < s->routes->len; i++)
		route_json(b, &g_array_index(s->routes, struct nic_route, i), s->ifname, file);
	json_builder_end_array(b);
	json_builder_end_object(b);
}

void vswd_nic_state_to_json(const struct vswd_nic_state *s, JsonBuilder *b)
{
	state_json(s, b, false);
}

bool vswd_nic_state_save(const struct vswd_nic_state *s, const char *path, GError **err)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	gsize len;

	state_json(s, b, true);
	root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	json_generator_set_pretty(g, TRUE);
	text = json_generator_to_data(g, &len);
	if (!vswd_store_write(path, text, len, err)) {
		g_prefix_error(err, "cannot save what '%s' has: ", s->ifname);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Loading: every field checked                                        */

struct rd {
	const char *path;
	GError **err;
};

static bool rd_bad(struct rd *rd, const char *where, const char *name, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static bool rd_bad(struct rd *rd, const char *where, const char *name, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!*where && !name)
		g_set_error(rd->err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: %s", rd->path, what);
	else
		g_set_error(rd->err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: %s%s%s: %s", rd->path,
			    where, *where && name ? "." : "", name ? name : "", what);
	return false;
}

static bool rd_keys(struct rd *rd, JsonObject *o, const char *where, const char *const *allowed)
{
	g_autoptr(GList) members = json_object_get_members(o);

	for (GList *m = members; m; m = m->next)
		if (!g_strv_contains(allowed, m->data))
			return rd_bad(rd, where, m->data, "unknown field");
	return true;
}

/* Member @name of @o: NULL and *ok true when absent and optional. */
static JsonNode *rd_member(struct rd *rd, JsonObject *o, const char *where, const char *name,
			   bool required, GType type, bool *ok)
{
	JsonNode *n = json_object_get_member(o, name);

	*ok = true;
	if (!n) {
		if (required)
			*ok = rd_bad(rd, where, name, "missing");
		return NULL;
	}
	if (type == JSON_TYPE_OBJECT || type == JSON_TYPE_ARRAY) {
		if ((type == JSON_TYPE_OBJECT && !JSON_NODE_HOLDS_OBJECT(n)) ||
		    (type == JSON_TYPE_ARRAY && !JSON_NODE_HOLDS_ARRAY(n))) {
			*ok = rd_bad(rd, where, name, "not an %s",
				     type == JSON_TYPE_OBJECT ? "object" : "array");
			return NULL;
		}
		return n;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != type) {
		*ok = rd_bad(rd, where, name, "not a %s",
			     type == G_TYPE_STRING ? "string" :
			     type == G_TYPE_BOOLEAN ? "boolean" : "whole number");
		return NULL;
	}
	return n;
}

static bool rd_uint(struct rd *rd, JsonObject *o, const char *where, const char *name,
		    bool required, guint64 min, guint64 max, guint64 *out, bool *present)
{
	bool ok;
	JsonNode *n = rd_member(rd, o, where, name, required, G_TYPE_INT64, &ok);
	gint64 v;

	if (present)
		*present = n != NULL;
	if (!n)
		return ok;
	v = json_node_get_int(n);
	if (v < 0 || (guint64)v < min || (guint64)v > max)
		return rd_bad(rd, where, name, "%" G_GINT64_FORMAT " is out of range [%" G_GUINT64_FORMAT
			      ", %" G_GUINT64_FORMAT "]", v, min, max);
	*out = (guint64)v;
	return true;
}

static bool rd_str(struct rd *rd, JsonObject *o, const char *where, const char *name,
		   bool required, const char **out)
{
	bool ok;
	JsonNode *n = rd_member(rd, o, where, name, required, G_TYPE_STRING, &ok);

	*out = n ? json_node_get_string(n) : NULL;
	return ok;
}

static bool rd_family(struct rd *rd, JsonObject *o, const char *where, int *family)
{
	const char *v;

	if (!rd_str(rd, o, where, "family", true, &v))
		return false;
	if (!strcmp(v, "inet"))
		*family = AF_INET;
	else if (!strcmp(v, "inet6"))
		*family = AF_INET6;
	else
		return rd_bad(rd, where, "family", "'%.40s' is not \"inet\" or \"inet6\"", v);
	return true;
}

static bool rd_ip(struct rd *rd, JsonObject *o, const char *where, const char *name, int family,
		  uint8_t out[16], bool *present)
{
	const char *v;

	if (!rd_str(rd, o, where, name, false, &v))
		return false;
	*present = v != NULL;
	if (v && !ip_parse(family, v, out))
		return rd_bad(rd, where, name, "'%.60s' is not an %s address", v,
			      family == AF_INET ? "IPv4" : "IPv6");
	return true;
}

static bool rd_ip_plen(struct rd *rd, JsonObject *o, const char *where, const char *name,
		       bool required, int family, uint8_t out[16], uint8_t *plen, bool *present)
{
	const char *v;

	if (!rd_str(rd, o, where, name, required, &v))
		return false;
	if (present)
		*present = v != NULL;
	if (v && !ip_plen_parse(family, v, out, plen))
		return rd_bad(rd, where, name, "'%.60s' is not an %s address/prefix length", v,
			      family == AF_INET ? "IPv4" : "IPv6");
	return true;
}

static bool rd_addr(struct rd *rd, JsonNode *n, const char *where, struct nic_addr *a)
{
	static const char *const keys[] = { "family", "address", "peer", "broadcast", "label",
					     "scope", "flags", "valid-lft", "preferred-lft", NULL };
	JsonObject *o;
	const char *label;
	guint64 v;
	bool present;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return rd_bad(rd, where, NULL, "not an object");
	o = json_node_get_object(n);
	memset(a, 0, sizeof(*a));
	if (!rd_keys(rd, o, where, keys) || !rd_family(rd, o, where, &a->family) ||
	    !rd_ip_plen(rd, o, where, "address", true, a->family, a->local, &a->plen, NULL) ||
	    !rd_ip(rd, o, where, "peer", a->family, a->peer, &a->has_peer) ||
	    !rd_ip(rd, o, where, "broadcast", a->family, a->bcast, &a->has_bcast))
		return false;
	if (a->has_bcast && a->family != AF_INET)
		return rd_bad(rd, where, "broadcast", "only IPv4 addresses have one");
	if (!rd_str(rd, o, where, "label", false, &label))
		return false;
	if (label) {
		if (a->family != AF_INET || !label_ok(label))
			return rd_bad(rd, where, "label", "not a valid IPv4 address label");
		g_strlcpy(a->label, label, sizeof(a->label));
	}
	if (!rd_uint(rd, o, where, "scope", true, 0, 255, &v, NULL))
		return false;
	a->scope = (uint8_t)v;
	if (!rd_uint(rd, o, where, "flags", true, 0, G_MAXUINT32, &v, NULL))
		return false;
	a->flags = (uint32_t)v;
	a->valid = a->preferred = NIC_FOREVER;
	if (!rd_uint(rd, o, where, "valid-lft", false, 1, NIC_FOREVER - 1, &v, &present))
		return false;
	if (present)
		a->valid = (uint32_t)v;
	if (!rd_uint(rd, o, where, "preferred-lft", false, 0, NIC_FOREVER - 1, &v, &present))
		return false;
	if (present)
		a->preferred = (uint32_t)v;
	if (a->preferred != NIC_FOREVER && a->valid != NIC_FOREVER && a->preferred > a->valid)
		return rd_bad(rd, where, "preferred-lft", "longer than valid-lft");
	return true;
}

static bool rd_nh(struct rd *rd, JsonNode *n, const char *where, int family, struct nic_nh *h)
{
	static const char *const keys[] = { "dev", "gateway", "hops", "flags", "realms", NULL };
	JsonObject *o;
	const char *dev;
	guint64 v;
	bool present;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return rd_bad(rd, where, NULL, "not an object");
	o = json_node_get_object(n);
	memset(h, 0, sizeof(*h));
	if (!rd_keys(rd, o, where, keys) || !rd_str(rd, o, where, "dev", false, &dev))
		return false;
	if (dev) {
		if (!ifname_ok(dev))
			return rd_bad(rd, where, "dev", "not an interface name");
		g_strlcpy(h->dev, dev, sizeof(h->dev));
	}
	if (!rd_ip(rd, o, where, "gateway", family, h->gw, &h->has_gw) ||
	    !rd_uint(rd, o, where, "hops", false, 0, 255, &v, &present))
		return false;
	h->hops = present ? (uint8_t)v : 0;
	if (!rd_uint(rd, o, where, "flags", false, 0, NIC_NH_SETTABLE, &v, &present))
		return false;
	if (present && (v & ~(guint64)NIC_NH_SETTABLE))
		return rd_bad(rd, where, "flags", "only onlink (4) and pervasive (2) may be set");
	h->flags = present ? (uint8_t)v : 0;
	if (!rd_uint(rd, o, where, "realms", false, 0, G_MAXUINT32, &v, &present))
		return false;
	h->realms = present ? (uint32_t)v : 0;
	return true;
}

static bool rd_route(struct rd *rd, JsonNode *n, const char *where, struct nic_route *r)
{
	static const char *const keys[] = { "family", "dst", "src", "table", "metric", "protocol",
					     "scope", "type", "tos", "prefsrc", "metrics",
					     "nexthops", NULL };
	JsonObject *o;
	JsonNode *m;
	JsonArray *a;
	guint64 v;
	bool present, ok;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return rd_bad(rd, where, NULL, "not an object");
	o = json_node_get_object(n);
	if (!rd_keys(rd, o, where, keys) || !rd_family(rd, o, where, &r->family) ||
	    !rd_ip_plen(rd, o, where, "dst", true, r->family, r->dst, &r->dst_len, NULL) ||
	    !rd_ip_plen(rd, o, where, "src", false, r->family, r->src, &r->src_len, &r->has_src) ||
	    !rd_ip(rd, o, where, "prefsrc", r->family, r->prefsrc, &r->has_prefsrc))
		return false;
	if (!rd_uint(rd, o, where, "table", true, 1, G_MAXUINT32, &v, NULL))
		return false;
	if (v == RT_TABLE_LOCAL)
		return rd_bad(rd, where, "table", "routes of the local table are not recorded");
	r->table = (uint32_t)v;
	if (!rd_uint(rd, o, where, "metric", true, 0, G_MAXUINT32, &v, NULL))
		return false;
	r->priority = (uint32_t)v;
	if (!rd_uint(rd, o, where, "protocol", true, 0, 255, &v, NULL))
		return false;
	r->protocol = (uint8_t)v;
	if (!rd_uint(rd, o, where, "scope", true, 0, 255, &v, NULL))
		return false;
	r->scope = (uint8_t)v;
	if (!rd_uint(rd, o, where, "type", true, RTN_UNICAST, RTN_MAX, &v, NULL))
		return false;
	r->type = (uint8_t)v;
	if (!rd_uint(rd, o, where, "tos", false, 0, 255, &v, &present))
		return false;
	r->tos = present ? (uint8_t)v : 0;
	m = rd_member(rd, o, where, "metrics", false, JSON_TYPE_OBJECT, &ok);
	if (!ok)
		return false;
	if (m) {
		g_autofree char *w = g_strdup_printf("%s.metrics", where);
		JsonObject *mo = json_node_get_object(m);
		g_autoptr(GList) names = json_object_get_members(mo);

		for (GList *k = names; k; k = k->next) {
			int i;

			for (i = 1; i <= NIC_RTAX_MAX; i++)
				if (rtax_names[i] && !strcmp(rtax_names[i], k->data))
					break;
			if (i > NIC_RTAX_MAX)
				return rd_bad(rd, w, k->data, "unknown route metric");
			if (!rd_uint(rd, mo, w, k->data, true, 0, G_MAXUINT32, &v, NULL))
				return false;
			r->metrics_mask |= 1u << i;
			r->metrics[i] = (uint32_t)v;
		}
	}
	m = rd_member(rd, o, where, "nexthops", true, JSON_TYPE_ARRAY, &ok);
	if (!m)
		return false;
	a = json_node_get_array(m);
	if (json_array_get_length(a) < 1 || json_array_get_length(a) > NIC_NEXTHOPS_MAX)
		return rd_bad(rd, where, "nexthops", "1 to %d next hops", NIC_NEXTHOPS_MAX);
	r->nhs = g_array_new(FALSE, TRUE, sizeof(struct nic_nh));
	for (guint i = 0; i < json_array_get_length(a); i++) {
		g_autofree char *w = g_strdup_printf("%s.nexthops[%u]", where, i);
		struct nic_nh h;

		if (!rd_nh(rd, json_array_get_element(a, i), w, r->family, &h))
			return false;
		g_array_append_val(r->nhs, h);
	}
	return true;
}

static bool rd_state(struct rd *rd, JsonObject *o, struct vswd_nic_state *s)
{
	static const char *const keys[] = { "version", "ifname", "mac", "mtu", "up", "noarp",
					     "ipv6-disabled", "captured", "addresses", "routes",
					     NULL };
	static const char *const ckeys[] = { "boot-id", "boottime", "realtime", NULL };
	const char *v;
	JsonNode *n;
	JsonArray *a;
	guint64 u;
	bool ok;

	if (!rd_uint(rd, o, "", "version", true, 0, G_MAXINT32, &u, NULL))
		return false;
	if (u != VSWD_NIC_STATE_VERSION)
		return rd_bad(rd, "", "version", "version %" G_GUINT64_FORMAT " is not %d%s", u,
			      VSWD_NIC_STATE_VERSION,
			      u > VSWD_NIC_STATE_VERSION ? " (written by a newer vswitchd)" : "");
	if (!rd_keys(rd, o, "", keys) || !rd_str(rd, o, "", "ifname", true, &v))
		return false;
	if (!ifname_ok(v))
		return rd_bad(rd, "", "ifname", "'%.40s' is not an interface name", v);
	g_strlcpy(s->ifname, v, sizeof(s->ifname));
	if (!rd_str(rd, o, "", "mac", true, &v))
		return false;
	if (!mac_parse(v, s->mac))
		return rd_bad(rd, "", "mac", "'%.40s' is not a MAC address", v);
	if (!rd_uint(rd, o, "", "mtu", true, NIC_MTU_MIN, NIC_MTU_MAX, &u, NULL))
		return false;
	s->mtu = (unsigned)u;
	n = rd_member(rd, o, "", "up", true, G_TYPE_BOOLEAN, &ok);
	if (!n)
		return false;
	s->up = json_node_get_boolean(n);
	n = rd_member(rd, o, "", "noarp", false, G_TYPE_BOOLEAN, &ok);
	if (!ok)
		return false;
	s->noarp = n && json_node_get_boolean(n);
	n = json_object_get_member(o, "ipv6-disabled");
	if (!n)
		return rd_bad(rd, "", "ipv6-disabled", "missing");
	if (JSON_NODE_HOLDS_NULL(n))
		s->ipv6_disabled = -1;
	else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
		s->ipv6_disabled = json_node_get_boolean(n);
	else
		return rd_bad(rd, "", "ipv6-disabled", "not true, false or null");

	n = rd_member(rd, o, "", "captured", true, JSON_TYPE_OBJECT, &ok);
	if (!n)
		return false;
	{
		JsonObject *c = json_node_get_object(n);

		if (!rd_keys(rd, c, "captured", ckeys) ||
		    !rd_str(rd, c, "captured", "boot-id", false, &v))
			return false;
		if (v) {
			if (strlen(v) != 36 || strspn(v, "0123456789abcdef-") != 36)
				return rd_bad(rd, "captured", "boot-id", "not a boot id");
			memcpy(s->boot_id, v, 37);
		}
		if (!rd_uint(rd, c, "captured", "boottime", true, 0, G_MAXINT64, &u, NULL))
			return false;
		s->boottime = (gint64)u;
		if (!rd_uint(rd, c, "captured", "realtime", true, 0, G_MAXINT64, &u, NULL))
			return false;
		s->realtime = (gint64)u;
	}

	n = rd_member(rd, o, "", "addresses", true, JSON_TYPE_ARRAY, &ok);
	if (!n)
		return false;
	a = json_node_get_array(n);
	if (json_array_get_length(a) > NIC_ADDRS_MAX)
		return rd_bad(rd, "", "addresses", "more than %d", NIC_ADDRS_MAX);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		g_autofree char *w = g_strdup_printf("addresses[%u]", i);
		struct nic_addr na;

		if (!rd_addr(rd, json_array_get_element(a, i), w, &na))
			return false;
		g_array_append_val(s->addrs, na);
	}

	n = rd_member(rd, o, "", "routes", true, JSON_TYPE_ARRAY, &ok);
	if (!n)
		return false;
	a = json_node_get_array(n);
	if (json_array_get_length(a) > NIC_ROUTES_MAX)
		return rd_bad(rd, "", "routes", "more than %d", NIC_ROUTES_MAX);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		g_autofree char *w = g_strdup_printf("routes[%u]", i);
		struct nic_route r = { 0 };

		if (!rd_route(rd, json_array_get_element(a, i), w, &r)) {
			route_clear(&r);
			return false;
		}
		g_array_append_val(s->routes, r);
	}
	return true;
}

struct vswd_nic_state *vswd_nic_state_load(const char *path, GError **err)
{
	g_autoptr(vswd_nic_state) s = NULL;
	g_autoptr(JsonParser) p = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *text = NULL;
	struct rd rd = { path, err };
	JsonNode *root;
	struct stat st;
	gsize len;

	if (stat(path, &st) < 0) {
		int code = errno == ENOENT ? VSWD_ERR_NOT_FOUND : VSWD_ERR_GENERIC;

		g_set_error(err, VSWD_ERROR, code, "cannot read %s: %s", path, g_strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > NIC_FILE_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: not a regular file of at most %u bytes",
			    path, NIC_FILE_MAX);
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot read %s: %s", path, e->message);
		return NULL;
	}
	if (len > NIC_FILE_MAX || memchr(text, '\0', len) || !g_utf8_validate(text, (gssize)len, NULL)) {
		rd_bad(&rd, "", NULL, "not UTF-8 text of at most %u bytes", NIC_FILE_MAX);
		return NULL;
	}
	if (vsw_json_depth(text, len) > NIC_DEPTH_MAX) {
		rd_bad(&rd, "", NULL, "nests deeper than %d levels", NIC_DEPTH_MAX);
		return NULL;
	}
	p = json_parser_new_immutable();
	if (!json_parser_load_from_data(p, text, (gssize)len, &e)) {
		rd_bad(&rd, "", NULL, "not valid JSON: %s", e->message);
		return NULL;
	}
	root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		rd_bad(&rd, "", NULL, "not a JSON object");
		return NULL;
	}
	s = state_new();
	if (!rd_state(&rd, json_node_get_object(root), s))
		return NULL;
	return g_steal_pointer(&s);
}
