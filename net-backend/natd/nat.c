// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nat.c - the NAT helper's core (see nat.h for what reaches libslirp).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * libslirp's timers (router advertisements) are GLib timeouts on the
 * default main context; its sockets are polled by the embedder.
 *
 * Host sockets per guest (nat.h, NATD_SOCKETS_PER_GUEST; docs/
 * default-switch.md, "Inside"): libslirp tells us of every socket it opens
 * (register_poll_fd) and of every one it closes (unregister_poll_fd).
 * One it opens while natd_input() hands it a guest's frame is that
 * guest's; one it opens elsewhere (slirp_pollfds_poll(): a connection to
 * an administrator's port forward) is nobody's and is not counted.
 * Before a frame goes to libslirp, may_open() says whether it could make
 * libslirp open a socket, as libslirp 4.7.0 decides it: a TCP SYN without
 * ACK, a UDP datagram from an address and port that have no socket yet
 * (libslirp keys UDP sockets by the guest's side only), a ping beyond the
 * gateway and DNS addresses.  Such a frame from a guest at the cap is
 * dropped.  The pairing of libslirp's calls is not perfect (ip_icmp.c
 * closes a socket without telling when binding it fails; udp.c tells of
 * a socket it failed to open, fd -1), so: a known fd registered again
 * is released first, fd < 0 is ignored, and so is an unknown fd closed.
 */
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lograte.h"
#include "nat.h"
#include "offload.h"
#include "vswitch/vswitch.h"

#define ETH_HLEN		14
#define ETH_P_ARP		0x0806
#define ETH_P_IP		0x0800
#define ETH_P_IPV6		0x86dd
#define GUEST_ERROR_LOG_US	(10 * G_USEC_PER_SEC)
#define IPPROTO_ICMP_		1
#define IPPROTO_TCP_		6
#define IPPROTO_UDP_		17
#define IPPROTO_FRAG_		44
#define IPPROTO_ICMPV6_		58
#define IP_DF			0x4000
#define IP_MF			0x2000
#define IP_OFFMASK		0x1fff
#define TCP_SYN			0x02
#define TCP_ACK			0x10
#define TCPOPT_EOL		0
#define TCPOPT_NOP		1
#define TCPOPT_MSS		2
/* What a router quotes of a packet in an ICMP error: RFC 1812 4.3.2.3, RFC 4443 2.4(c). */
#define ICMP4_ERROR_MAX		576
#define ICMP6_ERROR_MAX		1280

/* A guest's side of a UDP flow: how libslirp finds its socket. */
struct udp_key {
	uint8_t version;	/* 4 or 6 */
	uint8_t zero;
	uint8_t port[2];
	uint8_t addr[16];	/* IPv4: the first 4 bytes */
};

/* A guest that holds sockets; dropped when it holds none. */
struct guest {
	gint64 mac;		/* the key: the MAC's 6 bytes, big-endian */
	unsigned sockets;
};

/* A socket libslirp opened for a guest. */
struct sock {
	int fd;			/* the key */
	struct guest *g;
	struct udp_flow *flow;	/* UDP: its flow, else NULL */
};

/* The sockets of one UDP key (one, unless libslirp lost track of one). */
struct udp_flow {
	struct udp_key key;	/* the key */
	unsigned sockets;
};

struct natd {
	Slirp *slirp;
	const struct natd_ops *ops;
	void *opaque;
	struct vsw_reass *reass;
	struct natd_stats st;
	struct vsw_log_rate guest_error_log;	/* one line per GUEST_ERROR_LOG_US */
	struct vsw_log_rate over_limit_log;
	/* What libslirp answers for itself (may_open()). */
	struct in_addr vhost, vnameserver;
	struct in6_addr vhost6;
	/* Sockets per guest. */
	unsigned sockets_per_guest;
	GHashTable *guests;	/* &guest->mac -> struct guest */
	GHashTable *socks;	/* &sock->fd -> struct sock */
	GHashTable *flows;	/* &udp_flow->key -> struct udp_flow */
	/* The frame slirp_input() has now, if any: who gets what it opens. */
	bool in_input;
	gint64 cur_mac;
	bool cur_udp;
	struct udp_key cur_key;
	/* Large packets (nat.h). */
	unsigned guest_mtu;
	unsigned slirp_mtu;
	uint32_t frag6_id;
	uint8_t *scratch;	/* one segment of a guest frame: VSW_GSO_SCRATCH_SIZE */
};

/* One libslirp timer (libslirp 4.7 has only the RA timer). */
struct natd_timer {
	struct natd *n;
	SlirpTimerId id;
	void *cb_opaque;
	guint src;
};

enum verdict {
	TAKE,
	IGNORE,
	MALFORMED,
};

/*
 * Does guest frame @f (@len bytes, at least an Ethernet header) go to
 * libslirp?  Checks what libslirp would otherwise take on trust: that the
 * ARP or IP header is all there and its lengths fit the frame.
 */
static enum verdict classify(const uint8_t *f, uint32_t len)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t l3_len = len - ETH_HLEN;
	unsigned ihl, tot, plen;

	/*
	 * libslirp answers for 52:55:<IPv4 address> (gateway, DNS) and
	 * 52:56:<low 4 bytes of an IPv6 address>; other unicast is traffic
	 * between VMs that the switch floods while it learns.
	 */
	if (!(f[0] & 1) && !(f[0] == 0x52 && (f[1] == 0x55 || f[1] == 0x56)))
		return IGNORE;
	switch ((unsigned)f[12] << 8 | f[13]) {
	case ETH_P_ARP:
		/* Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4. */
		if (l3_len < 28 || l3[0] != 0 || l3[1] != 1 || l3[2] != 0x08 ||
		    l3[3] != 0x00 || l3[4] != 6 || l3[5] != 4)
			return MALFORMED;
		return TAKE;
	case ETH_P_IP:
		if (l3_len < 20 || (l3[0] >> 4) != 4)
			return MALFORMED;
		ihl = (l3[0] & 0xfu) * 4;
		tot = (unsigned)l3[2] << 8 | l3[3];
		if (ihl < 20 || tot < ihl || tot > l3_len)
			return MALFORMED;
		return TAKE;
	case ETH_P_IPV6:
		if (l3_len < 40 || (l3[0] >> 4) != 6)
			return MALFORMED;
		plen = (unsigned)l3[4] << 8 | l3[5];
		if (40 + plen > l3_len)
			return MALFORMED;
		return TAKE;
	default:
		return IGNORE;
	}
}

/* ------------------------------------------------------------------ */
/* Host sockets per guest                                              */

/* Keeps a guest from choosing UDP keys that collide in the table. */
static guint32 flow_seed;

static guint flow_hash(gconstpointer p)
{
	const uint8_t *b = p;
	guint32 h = 2166136261u ^ flow_seed;	/* FNV-1a, seeded */

	for (size_t i = 0; i < sizeof(struct udp_key); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static gboolean flow_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct udp_key));
}

static gint64 mac_key(const uint8_t *mac)
{
	gint64 k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac[i];
	return k;
}

/* Forget socket @fd, if it is one of a guest's. */
static void sock_release(struct natd *n, int fd)
{
	struct sock *s = g_hash_table_lookup(n->socks, &fd);
	struct guest *g;

	if (!s)
		return;
	g = s->g;
	if (s->flow && !--s->flow->sockets)
		g_hash_table_remove(n->flows, &s->flow->key);
	g_hash_table_remove(n->socks, &fd);	/* frees @s */
	if (!--g->sockets)
		g_hash_table_remove(n->guests, &g->mac);
}

/* Socket @fd is the guest's whose frame libslirp has now. */
static void sock_add(struct natd *n, int fd)
{
	struct guest *g = g_hash_table_lookup(n->guests, &n->cur_mac);
	struct sock *s;

	if (!g) {
		/* may_open() let no frame through that gets here with the table full. */
		if (g_hash_table_size(n->guests) >= NATD_GUESTS_MAX)
			return;
		g = g_new0(struct guest, 1);
		g->mac = n->cur_mac;
		g_hash_table_insert(n->guests, &g->mac, g);
	}
	s = g_new0(struct sock, 1);
	s->fd = fd;
	s->g = g;
	g->sockets++;
	if (n->cur_udp) {
		s->flow = g_hash_table_lookup(n->flows, &n->cur_key);
		if (!s->flow) {
			s->flow = g_new0(struct udp_flow, 1);
			s->flow->key = n->cur_key;
			g_hash_table_insert(n->flows, &s->flow->key, s->flow);
		}
		s->flow->sockets++;
	}
	g_hash_table_insert(n->socks, &s->fd, s);
}

static bool tcp_opens(const uint8_t *l4, uint32_t l4_len)
{
	/* tcp_input() drops a segment shorter than a TCP header. */
	return l4_len >= 20 && (l4[13] & TCP_SYN) && !(l4[13] & TCP_ACK);
}

/*
 * Could frame @f (@len bytes, whole, headers checked by classify()) make
 * libslirp open a socket?  As libslirp 4.7.0's ip_input(), ip6_input(),
 * tcp_input(), udp_input(), udp6_input() and icmp_input() decide it; when
 * in doubt, yes.  @key and @udp: the guest's side of a UDP datagram.
 */
static bool may_open(const struct natd *n, const uint8_t *f, uint32_t len,
		     struct udp_key *key, bool *udp)
{
	const uint8_t *l3 = f + ETH_HLEN, *l4;
	uint32_t l4_len;
	unsigned proto;

	*udp = false;
	memset(key, 0, sizeof(*key));
	switch ((unsigned)f[12] << 8 | f[13]) {
	case ETH_P_IP: {
		unsigned ihl = (l3[0] & 0xfu) * 4, tot = (unsigned)l3[2] << 8 | l3[3];

		if (len - ETH_HLEN < 20 || ihl < 20 || tot < ihl || tot > len - ETH_HLEN)
			return false;	/* never the case after classify() */
		proto = l3[9];
		l4 = l3 + ihl;
		l4_len = tot - ihl;
		if (proto == IPPROTO_TCP_)
			return tcp_opens(l4, l4_len);
		if (proto == IPPROTO_ICMP_)
			/* Echo requests, except to what libslirp answers itself. */
			return l4_len >= 8 && l4[0] == 8 &&
			       memcmp(l3 + 16, &n->vhost, 4) && memcmp(l3 + 16, &n->vnameserver, 4);
		if (proto != IPPROTO_UDP_ || l4_len < 8)
			return false;
		/* DHCP to the gateway or broadcast is answered, no socket. */
		if (l4[2] == 0 && l4[3] == 67 &&
		    (!memcmp(l3 + 16, &n->vhost, 4) || !memcmp(l3 + 16, "\xff\xff\xff\xff", 4)))
			return false;
		key->version = 4;
		memcpy(key->addr, l3 + 12, 4);
		break;
	}
	case ETH_P_IPV6: {
		static const uint8_t all_dhcp[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };

		/* ip6_input() knows no extension headers: TCP, UDP, ICMPv6, or dropped. */
		proto = l3[6];
		l4 = l3 + 40;
		l4_len = (unsigned)l3[4] << 8 | l3[5];
		if (len - ETH_HLEN < 40 || 40 + l4_len > len - ETH_HLEN)
			return false;	/* never the case after classify() */
		if (proto == IPPROTO_TCP_)
			return tcp_opens(l4, l4_len);
		/* ICMPv6: libslirp 4.7 answers pings to itself, sends none beyond. */
		if (proto != IPPROTO_UDP_ || l4_len < 8)
			return false;
		/* DHCPv6 to the gateway or All_DHCP_Relay_Agents_and_Servers: answered. */
		if (l4[2] == 0x02 && l4[3] == 0x23 &&
		    (!memcmp(l3 + 24, &n->vhost6, 16) || !memcmp(l3 + 24, all_dhcp, 16)))
			return false;
		key->version = 6;
		memcpy(key->addr, l3 + 8, 16);
		break;
	}
	default:
		return false;	/* ARP */
	}
	/* UDP: a datagram of a flow that has its socket opens none. */
	memcpy(key->port, l4, 2);
	*udp = true;
	return !g_hash_table_contains(n->flows, key);
}

static void log_over_limit(struct natd *n, gint64 mac, const struct guest *g)
{
	g_autofree char *line = NULL;
	unsigned dropped;

	if (!n->ops->log || !vsw_log_rate_ok(&n->over_limit_log, 1, GUEST_ERROR_LOG_US, &dropped))
		return;
	if (g)
		line = g_strdup_printf("guest %02x:%02x:%02x:%02x:%02x:%02x holds %u host sockets, "
				       "its share: its frames that would open more are dropped "
				       "(%" G_GUINT64_FORMAT " so far, all guests)",
				       (unsigned)(mac >> 40) & 0xff, (unsigned)(mac >> 32) & 0xff,
				       (unsigned)(mac >> 24) & 0xff, (unsigned)(mac >> 16) & 0xff,
				       (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff,
				       g->sockets, n->st.to_nat_over_limit);
	else
		line = g_strdup_printf("%u guests hold host sockets, the most tracked: frames of "
				       "another that would open one are dropped (%" G_GUINT64_FORMAT
				       " so far)", (unsigned)NATD_GUESTS_MAX,
				       n->st.to_nat_over_limit);
	n->ops->log(n->opaque, line);
}

/* ------------------------------------------------------------------ */
/* Large packets (nat.h)                                               */

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The MSS of TCP segments that fill @mtu, with IP and TCP headers without options. */
static unsigned mtu_mss(unsigned mtu, bool v6)
{
	return MIN(mtu - (v6 ? 60u : 40u), 0xffffu);
}

/*
 * Where frame @f's TCP header starts, if @f (@len bytes) is a TCP segment
 * over IPv4 (not a fragment) or IPv6 (no extension header) whose headers
 * and lengths fit: Return its offset, with *@v6 and *@l4_len (TCP header
 * and payload, as the IP header says); else 0.
 */
static uint32_t tcp_at(const uint8_t *f, uint32_t len, bool *v6, uint32_t *l4_len)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t l4, ihl, tot, thl;

	if (len < ETH_HLEN + 40)
		return 0;
	if (f[12] == 0x08 && f[13] == 0x00) {
		ihl = (l3[0] & 0xfu) * 4;
		tot = get16(l3 + 2);
		if ((l3[0] >> 4) != 4 || ihl < 20 || l3[9] != IPPROTO_TCP_ ||
		    (get16(l3 + 6) & (IP_MF | IP_OFFMASK)) || tot > len - ETH_HLEN ||
		    tot < ihl + 20)
			return 0;
		*v6 = false;
		l4 = ETH_HLEN + ihl;
		*l4_len = tot - ihl;
	} else if (f[12] == 0x86 && f[13] == 0xdd) {
		tot = get16(l3 + 4);
		if (len < ETH_HLEN + 60 || (l3[0] >> 4) != 6 || l3[6] != IPPROTO_TCP_ ||
		    tot < 20 || tot > len - ETH_HLEN - 40)
			return 0;
		*v6 = true;
		l4 = ETH_HLEN + 40;
		*l4_len = tot;
	} else {
		return 0;
	}
	thl = (unsigned)(f[l4 + 12] >> 4) * 4;
	return thl >= 20 && thl <= *l4_len ? l4 : 0;
}

/* The pseudo-header sum of TCP segment @f (tcp_at() said @l4, @l4_len, @v6). */
static uint32_t tcp_pseudo(const uint8_t *f, uint32_t l4_len, bool v6)
{
	const uint8_t *l3 = f + ETH_HLEN;

	return v6 ? vsw_csum_pseudo6(l3 + 8, l3 + 24, IPPROTO_TCP_, l4_len) :
		    vsw_csum_pseudo4(l3 + 12, l3 + 16, IPPROTO_TCP_, (uint16_t)l4_len);
}

static void ip4_csum_fill(uint8_t *l3)
{
	uint16_t c;

	l3[10] = l3[11] = 0;
	c = vsw_csum(l3, (l3[0] & 0xfu) * 4);
	memcpy(l3 + 10, &c, 2);
}

/*
 * Make guest TSO frame @f (the NAT's own, *@len bytes, @vnet as the switch
 * checked it) one IP packet for libslirp, in place: trimmed to its IP
 * length, the IPv4 header checksum and the TCP checksum computed from
 * scratch (the guest left a partial sum, which need not count the length
 * as Linux's does).  Return: 0; -E2BIG when it is not TCP (USO, UFO: the
 * NAT port does not take them) or longer than libslirp's MTU: segment it
 * instead; -EINVAL when its headers are not what its GSO type says.
 */
static int coalesce(const struct natd *n, uint8_t *f, uint32_t *len,
		    const struct vsw_vnet_hdr *vnet)
{
	unsigned type = vnet->gso_type & ~VSW_VNET_GSO_ECN;
	uint32_t l4, l4_len;
	uint16_t c;
	bool v6;

	if (type != VSW_VNET_GSO_TCPV4 && type != VSW_VNET_GSO_TCPV6)
		return -E2BIG;
	l4 = tcp_at(f, *len, &v6, &l4_len);
	if (!l4 || v6 != (type == VSW_VNET_GSO_TCPV6))
		return -EINVAL;
	if (l4 - ETH_HLEN + l4_len > n->slirp_mtu)
		return -E2BIG;
	*len = l4 + l4_len;
	if (!v6)
		ip4_csum_fill(f + ETH_HLEN);
	f[l4 + 16] = f[l4 + 17] = 0;
	c = vsw_csum_fold(vsw_csum_partial(f + l4, l4_len, tcp_pseudo(f, l4_len, v6)));
	memcpy(f + l4 + 16, &c, 2);
	return 0;
}

/*
 * The MSS option of TCP SYN (or SYN-ACK) @f: Return a pointer to its value
 * (two bytes, network order), with *@csum at the TCP checksum and *@v6;
 * NULL if @f is no SYN or has no MSS option.
 */
static uint8_t *syn_mss(uint8_t *f, uint32_t len, uint8_t **csum, bool *v6)
{
	uint32_t l4, l4_len, thl, i;

	l4 = tcp_at(f, len, v6, &l4_len);
	if (!l4 || !(f[l4 + 13] & TCP_SYN))
		return NULL;
	thl = (unsigned)(f[l4 + 12] >> 4) * 4;
	for (i = 20; i < thl;) {
		const uint8_t *o = f + l4 + i;

		if (o[0] == TCPOPT_EOL)
			break;
		if (o[0] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > thl || o[1] < 2 || i + o[1] > thl)
			break;
		if (o[0] == TCPOPT_MSS && o[1] == 4) {
			*csum = f + l4 + 16;
			return f + l4 + i + 2;
		}
		i += o[1];
	}
	return NULL;
}

/* Set the 16-bit field at @p to @v, updating the checksum at @csum (RFC 1624, eqn. 3). */
static void replace16(uint8_t *p, unsigned v, uint8_t *csum)
{
	uint32_t sum = (~get16(csum) & 0xffffu) + (~get16(p) & 0xffffu) + (v & 0xffffu);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	put16(csum, ~sum & 0xffffu);
	put16(p, v);
}

/*
 * A guest's SYN announces the MSS its MTU allows: raise it to libslirp's,
 * so that libslirp sends 32 KiB segments that go back as one GSO frame
 * (nat_output()), cut to the guest MTU's MSS by the switch or the guest's
 * own virtio-net.  An MSS below the guest MTU's (a guest that knows of a
 * smaller path) is left alone: libslirp then sends what it asked for.
 */
static void mss_raise(const struct natd *n, uint8_t *f, uint32_t len)
{
	uint8_t *csum, *mss;
	bool v6;

	mss = syn_mss(f, len, &csum, &v6);
	if (mss && get16(mss) >= mtu_mss(n->guest_mtu, v6) &&
	    get16(mss) < mtu_mss(n->slirp_mtu, v6))
		replace16(mss, mtu_mss(n->slirp_mtu, v6), csum);
}

/* libslirp's SYN announces its own link's MSS: clamp it to the guest MTU's. */
static void mss_clamp(const struct natd *n, uint8_t *f, uint32_t len)
{
	uint8_t *csum, *mss;
	bool v6;

	mss = syn_mss(f, len, &csum, &v6);
	if (mss && get16(mss) > mtu_mss(n->guest_mtu, v6))
		replace16(mss, mtu_mss(n->guest_mtu, v6), csum);
}

/* One frame to the switch: @len bytes of room, or NULL (counted). */
static uint8_t *out_reserve(struct natd *n, size_t len)
{
	int err = 0;
	uint8_t *room = n->ops->reserve(n->opaque, len, &err);

	if (!room) {
		if (err == -EMSGSIZE)
			n->st.from_nat_bad_size++;
		else
			n->st.from_nat_ring_full++;
	}
	return room;
}

static void out_commit(struct natd *n, const struct vsw_vnet_hdr *vnet, size_t len)
{
	static const struct vsw_vnet_hdr none;

	n->ops->commit(n->opaque, vnet ? vnet : &none, len);
	n->st.from_nat++;
}

/*
 * TCP packet @f from libslirp, larger than the guest MTU: one GSO frame,
 * NEEDS_CSUM with the pseudo-header sum in the checksum field as Linux and
 * virtio-net leave it, gso_size the guest MTU's MSS for these headers.
 */
static void out_gso(struct natd *n, const uint8_t *f, uint32_t len, uint32_t l4,
		    uint32_t l4_len, bool v6)
{
	uint32_t thl = (unsigned)(f[l4 + 12] >> 4) * 4;
	struct vsw_vnet_hdr vnet = {
		.flags = VSW_VNET_F_NEEDS_CSUM,
		.gso_type = v6 ? VSW_VNET_GSO_TCPV6 : VSW_VNET_GSO_TCPV4,
		.hdr_len = htole16((uint16_t)(l4 + thl)),
		.gso_size = htole16((uint16_t)(n->guest_mtu - (l4 - ETH_HLEN) - thl)),
		.csum_start = htole16((uint16_t)l4),
		.csum_offset = htole16(16),
	};
	uint8_t *room = out_reserve(n, l4 + l4_len);
	uint16_t c;

	if (!room)
		return;
	memcpy(room, f, l4 + l4_len);
	c = (uint16_t)~vsw_csum_fold(tcp_pseudo(f, l4_len, v6));
	memcpy(room + l4 + 16, &c, 2);
	out_commit(n, &vnet, l4 + l4_len);
	n->st.from_nat_gso++;
}

/*
 * IPv4 datagram @f (header without options, as libslirp builds them) from
 * libslirp, larger than the guest MTU and without DF: fragments of the
 * guest MTU, as a router on the guests' link makes them (RFC 791).
 */
static void out_frag4(struct natd *n, const uint8_t *f)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t dlen = get16(l3 + 2) - 20, chunk = (n->guest_mtu - 20) & ~7u;
	unsigned off0 = get16(l3 + 6) & IP_OFFMASK, mf0 = get16(l3 + 6) & IP_MF;

	for (uint32_t off = 0; off < dlen; off += chunk) {
		uint32_t c = MIN(chunk, dlen - off);
		uint8_t *room = out_reserve(n, ETH_HLEN + 20 + c);

		if (!room)
			return;		/* the rest is of no use */
		memcpy(room, f, ETH_HLEN + 20);
		put16(room + ETH_HLEN + 2, 20 + c);
		put16(room + ETH_HLEN + 6, (off0 + off / 8) | (off + c < dlen ? IP_MF : mf0));
		ip4_csum_fill(room + ETH_HLEN);
		memcpy(room + ETH_HLEN + 20, l3 + 20 + off, c);
		out_commit(n, NULL, ETH_HLEN + 20 + c);
	}
	n->st.from_nat_fragmented++;
}

/*
 * IPv6 packet @f (no extension header, as libslirp builds them) from
 * libslirp, larger than the guest MTU: the NAT is its source, and a source
 * fragments IPv6 (RFC 8200 4.5), with a fragment header per fragment.
 */
static void out_frag6(struct natd *n, const uint8_t *f)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t dlen = get16(l3 + 4), chunk = (n->guest_mtu - 48) & ~7u;
	uint32_t id = n->frag6_id++;

	for (uint32_t off = 0; off < dlen; off += chunk) {
		uint32_t c = MIN(chunk, dlen - off);
		uint8_t *room = out_reserve(n, ETH_HLEN + 48 + c), *fh;

		if (!room)
			return;
		memcpy(room, f, ETH_HLEN + 40);
		put16(room + ETH_HLEN + 4, 8 + c);
		room[ETH_HLEN + 6] = IPPROTO_FRAG_;
		fh = room + ETH_HLEN + 40;
		fh[0] = l3[6];
		fh[1] = 0;
		put16(fh + 2, off | (off + c < dlen ? 1u : 0u));
		fh[4] = (uint8_t)(id >> 24);
		fh[5] = (uint8_t)(id >> 16);
		fh[6] = (uint8_t)(id >> 8);
		fh[7] = (uint8_t)id;
		memcpy(fh + 8, l3 + 40 + off, c);
		out_commit(n, NULL, ETH_HLEN + 48 + c);
	}
	n->st.from_nat_fragmented++;
}

/* Frame @f (@len bytes) from libslirp to the switch (nat.h, "Large packets"). */
static void nat_output(struct natd *n, const uint8_t *f, uint32_t len)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t l4, l4_len;
	uint8_t *room;
	bool v6;

	if (len <= ETH_HLEN + n->guest_mtu) {
		room = out_reserve(n, len);
		if (!room)
			return;
		memcpy(room, f, len);
		mss_clamp(n, room, len);
		out_commit(n, NULL, len);
		return;
	}
	l4 = tcp_at(f, len, &v6, &l4_len);
	if (l4) {
		out_gso(n, f, len, l4, l4_len, v6);
		return;
	}
	/* libslirp builds its IP headers whole and right; checked all the same. */
	if (f[12] == 0x08 && f[13] == 0x00 && l3[0] == 0x45 && !(get16(l3 + 6) & IP_DF) &&
	    get16(l3 + 2) > 20 && get16(l3 + 2) <= len - ETH_HLEN) {
		out_frag4(n, f);
		return;
	}
	if (f[12] == 0x86 && f[13] == 0xdd && (l3[0] >> 4) == 6 &&
	    l3[6] != IPPROTO_FRAG_ && 40 + get16(l3 + 4) <= len - ETH_HLEN) {
		out_frag6(n, f);
		return;
	}
	n->st.from_nat_too_big++;
}

/*
 * The Ethernet header of an answer to guest frame @f from libslirp: its
 * MAC for an address is 52:@kind:<the address's low 4 bytes @low4>.
 */
static void eth_answer(uint8_t *r, const uint8_t *f, uint8_t kind, const void *low4,
		       unsigned type)
{
	memcpy(r, f + 6, 6);
	r[6] = 0x52;
	r[7] = kind;
	memcpy(r + 8, low4, 4);
	put16(r + 12, type);
}

/* too_big() for IPv4: "fragmentation needed" if DF is set. */
static bool too_big4(struct natd *n, const uint8_t *f)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t ip_len = get16(l3 + 2), hl = (l3[0] & 0xfu) * 4, q;
	uint8_t *r, *ip;
	uint16_t c;

	if (ip_len <= n->guest_mtu || !(get16(l3 + 6) & IP_DF))
		return false;
	n->st.to_nat_too_big++;
	if (l3[12] == 0 || l3[12] >= 224 || (f[0] & 1) ||
	    (l3[9] == IPPROTO_ICMP_ && (l3[hl] == 3 || l3[hl] == 4 || l3[hl] == 5 ||
					l3[hl] == 11 || l3[hl] == 12)))
		return true;
	q = MIN(ip_len, ICMP4_ERROR_MAX - 28u);
	r = out_reserve(n, ETH_HLEN + 28 + q);
	if (!r)
		return true;
	eth_answer(r, f, 0x55, &n->vhost, ETH_P_IP);
	ip = r + ETH_HLEN;
	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[1] = 0xc0;
	put16(ip + 2, 28 + q);
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP_;
	memcpy(ip + 12, &n->vhost, 4);
	memcpy(ip + 16, l3 + 12, 4);
	ip4_csum_fill(ip);
	ip[20] = 3;		/* destination unreachable */
	ip[21] = 4;		/* fragmentation needed and DF set */
	put16(ip + 26, n->guest_mtu);
	memcpy(ip + 28, l3, q);
	c = vsw_csum(ip + 20, 8 + q);
	memcpy(ip + 22, &c, 2);
	out_commit(n, NULL, ETH_HLEN + 28 + q);
	return true;
}

/* too_big() for IPv6: "packet too big". */
static bool too_big6(struct natd *n, const uint8_t *f)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t ip_len = 40 + get16(l3 + 4), q;
	uint8_t *r, *ip;
	uint16_t c;

	if (ip_len <= n->guest_mtu)
		return false;
	n->st.to_nat_too_big++;
	if (l3[8] == 0xff || !memcmp(l3 + 8, &in6addr_any, 16) ||
	    (l3[6] == IPPROTO_ICMPV6_ && l3[40] < 128))
		return true;
	q = MIN(ip_len, ICMP6_ERROR_MAX - 48u);
	r = out_reserve(n, ETH_HLEN + 48 + q);
	if (!r)
		return true;
	eth_answer(r, f, 0x56, n->vhost6.s6_addr + 12, ETH_P_IPV6);
	ip = r + ETH_HLEN;
	memset(ip, 0, 48);
	ip[0] = 0x60;
	put16(ip + 4, 8 + q);
	ip[6] = IPPROTO_ICMPV6_;
	ip[7] = 255;
	memcpy(ip + 8, &n->vhost6, 16);
	memcpy(ip + 24, l3 + 8, 16);
	ip[40] = 2;			/* packet too big */
	put16(ip + 46, n->guest_mtu);	/* 32-bit MTU, under 65536 */
	memcpy(ip + 48, l3, q);
	c = vsw_csum_fold(vsw_csum_partial(ip + 40, 8 + q,
					   vsw_csum_pseudo6(ip + 8, ip + 24, IPPROTO_ICMPV6_, 8 + q)));
	memcpy(ip + 42, &c, 2);
	out_commit(n, NULL, ETH_HLEN + 48 + q);
	return true;
}

/*
 * Guest frame @f without GSO (headers checked by classify()) larger than
 * the guest MTU: the guests' link cannot carry it.  Answer as a router on
 * that link: ICMP "fragmentation needed" with the guest MTU for IPv4 with
 * DF (RFC 1191), ICMPv6 "packet too big" for IPv6 (RFC 8201); IPv4
 * without DF goes on whole (libslirp takes it).  Never an error about an
 * error, or to a multicast or unspecified source.
 * Return: true if @f was answered and goes no further.
 */
static bool too_big(struct natd *n, const uint8_t *f)
{
	if (f[12] == 0x08 && f[13] == 0x00)
		return too_big4(n, f);
	if (f[12] == 0x86 && f[13] == 0xdd)
		return too_big6(n, f);
	return false;
}

static void to_slirp(struct natd *n, const uint8_t *f, uint32_t len)
{
	gint64 mac = mac_key(f + 6);
	struct udp_key key;
	bool udp;

	if (may_open(n, f, len, &key, &udp)) {
		struct guest *g = g_hash_table_lookup(n->guests, &mac);

		if (g ? g->sockets >= n->sockets_per_guest :
			g_hash_table_size(n->guests) >= NATD_GUESTS_MAX) {
			n->st.to_nat_over_limit++;
			log_over_limit(n, mac, g);
			return;
		}
	}
	n->st.to_nat++;
	n->in_input = true;
	n->cur_mac = mac;
	n->cur_udp = udp;
	n->cur_key = key;
	slirp_input(n->slirp, f, (int)len);
	n->in_input = false;
}

/* A whole guest frame without offloads, checked by classify(), on to libslirp. */
static void input_plain(struct natd *n, const uint8_t *f, uint32_t len)
{
	const uint8_t *whole;
	uint32_t whole_len;

	if (too_big(n, f))
		return;
	if (f[12] != 0x08 || f[13] != 0x00) {
		to_slirp(n, f, len);
		return;
	}
	/* IPv4: libslirp never sees a fragment (nat.h says why). */
	switch (vsw_reass_input(n->reass, f, len, (uint64_t)(g_get_monotonic_time() / 1000),
				&whole, &whole_len)) {
	case VSW_REASS_PASS:
		to_slirp(n, f, len);
		break;
	case VSW_REASS_DONE:
		to_slirp(n, whole, whole_len);
		break;
	case VSW_REASS_HELD:
		break;
	default:
		n->st.to_nat_malformed++;
		break;
	}
}

/* One segment of a GSO frame the NAT does not take whole. */
static int input_segment(void *opaque, const uint8_t *seg, uint32_t seg_len)
{
	struct natd *n = opaque;

	if (classify(seg, seg_len) == TAKE)
		input_plain(n, seg, seg_len);
	else
		n->st.to_nat_malformed++;
	return 0;
}

void natd_input(struct natd *n, uint8_t *f, uint32_t len, const struct vsw_vnet_hdr *vnet)
{
	bool gso = vnet && vnet->gso_type != VSW_VNET_GSO_NONE;
	bool csum = vnet && (vnet->flags & VSW_VNET_F_NEEDS_CSUM);
	uint32_t l4, l4_len;
	bool v6;

	switch (len < ETH_HLEN ? MALFORMED : classify(f, len)) {
	case IGNORE:
		n->st.to_nat_ignored++;
		return;
	case MALFORMED:
		n->st.to_nat_malformed++;
		return;
	case TAKE:
		break;
	}
	l4 = tcp_at(f, len, &v6, &l4_len);
	if (!gso && !csum && !(l4 && (f[l4 + 13] & TCP_SYN))) {
		input_plain(n, f, len);
		return;
	}
	/* Changed in place: @f is the NAT's own (nat.h), no copy of 64 KiB. */
	if (gso) {
		switch (coalesce(n, f, &len, vnet)) {
		case 0:
			n->st.to_nat_coalesced++;
			to_slirp(n, f, len);
			return;
		case -E2BIG:
			if (vsw_gso_segment(f, len, vnet, n->scratch, VSW_GSO_SCRATCH_SIZE,
					    input_segment, n) < 0)
				n->st.to_nat_malformed++;
			return;
		default:
			n->st.to_nat_malformed++;
			return;
		}
	}
	if (csum) {
		struct vsw_vnet_hdr v = *vnet;

		if (vsw_csum_complete(f, len, &v) < 0) {
			n->st.to_nat_malformed++;
			return;
		}
	}
	mss_raise(n, f, len);
	input_plain(n, f, len);
}

void natd_tick(struct natd *n)
{
	vsw_reass_expire(n->reass, (uint64_t)(g_get_monotonic_time() / 1000));
}

/* ------------------------------------------------------------------ */
/* libslirp's callbacks                                                */

/* Is @f (@len bytes from libslirp) a DHCP reply, UDP port 67 to 68? */
static bool is_dhcp_reply(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN, *udp;

	if (len < ETH_HLEN + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 17)
		return false;
	udp = ip + (ip[0] & 0xfu) * 4;
	if ((size_t)(udp + 8 - f) > len)
		return false;
	return udp[0] == 0 && udp[1] == 67 && udp[2] == 0 && udp[3] == 68;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct natd *n = opaque;

	/* libslirp never sends more than its MTU plus an Ethernet header. */
	if (len < ETH_HLEN || len > VSW_FRAME_MAX)
		n->st.from_nat_bad_size++;
	else
		nat_output(n, buf, (uint32_t)len);
	if (n->ops->lease && is_dhcp_reply(buf, len))
		n->ops->lease(n->opaque);
	/* libslirp reports a short count as an error: the frame is ours now. */
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct natd *n = opaque;
	unsigned dropped;

	n->st.guest_errors++;
	if (n->ops->log && vsw_log_rate_ok(&n->guest_error_log, 1, GUEST_ERROR_LOG_US, &dropped)) {
		g_autofree char *line = g_strdup_printf("guest error: %s (%" G_GUINT64_FORMAT
							" so far)", msg, n->st.guest_errors);

		n->ops->log(n->opaque, line);
	}
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return g_get_monotonic_time() * 1000;
}

static void cb_init_completed(Slirp *slirp, void *opaque)
{
	struct natd *n = opaque;

	n->slirp = slirp;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct natd_timer *t = g_new0(struct natd_timer, 1);

	t->n = opaque;
	t->id = id;
	t->cb_opaque = cb_opaque;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct natd_timer *t = timer;

	if (t->src)
		g_source_remove(t->src);
	g_free(t);
}

static gboolean timer_fire(gpointer data)
{
	struct natd_timer *t = data;

	t->src = 0;
	slirp_handle_timer(t->n->slirp, t->id, t->cb_opaque);
	return G_SOURCE_REMOVE;
}

/* @expire_ms is on cb_clock_get_ns()'s clock, in milliseconds. */
static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct natd_timer *t = timer;
	int64_t delay = expire_ms - g_get_monotonic_time() / 1000;

	if (t->src)
		g_source_remove(t->src);
	t->src = g_timeout_add((guint)CLAMP(delay, 0, G_MAXINT), timer_fire, t);
}

/*
 * Polling needs no registration (poll(2) gets libslirp's sockets each
 * turn): these count each guest's sockets (above, "Host sockets per guest").
 */
static void cb_register_poll_fd(int fd, void *opaque)
{
	struct natd *n = opaque;

	if (fd < 0)
		return;		/* udp_attach() tells of a socket it failed to open */
	sock_release(n, fd);	/* closed without a word, its number taken again */
	if (n->in_input)
		sock_add(n, fd);
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	sock_release(opaque, fd);
}

static void cb_notify(void *opaque)
{
	g_main_context_wakeup(NULL);
}

static const SlirpCb slirp_cbs = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.init_completed = cb_init_completed,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* ------------------------------------------------------------------ */
/* Life cycle and control                                              */

struct natd *natd_new(const SlirpConfig *cfg, unsigned guest_mtu, const struct natd_ops *ops,
		      void *opaque)
{
	struct natd *n;
	SlirpConfig c = *cfg;

	if (guest_mtu < NATD_GUEST_MTU_MIN || guest_mtu > NATD_GUEST_MTU_MAX)
		return NULL;
	n = g_new0(struct natd, 1);
	n->guest_mtu = guest_mtu;
	n->slirp_mtu = MAX(NATD_SLIRP_MTU, guest_mtu);
	n->frag6_id = g_random_int();
	n->scratch = g_malloc(VSW_GSO_SCRATCH_SIZE);
	c.if_mtu = c.if_mru = n->slirp_mtu;
	n->ops = ops;
	n->opaque = opaque;
	n->reass = vsw_reass_new(NATD_REASS_DATAGRAMS, NATD_REASS_TIMEOUT_MS);
	n->vhost = c.vhost;
	n->vnameserver = c.vnameserver;
	n->vhost6 = c.vhost6;
	n->sockets_per_guest = NATD_SOCKETS_PER_GUEST;
	n->guests = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	n->socks = g_hash_table_new_full(g_int_hash, g_int_equal, NULL, g_free);
	n->flows = g_hash_table_new_full(flow_hash, flow_equal, NULL, g_free);
	while (!flow_seed)
		flow_seed = g_random_int();
	c.version = 4;
	n->slirp = slirp_new(&c, &slirp_cbs, n);
	if (!n->slirp || !n->reass) {
		natd_free(n);
		return NULL;
	}
	return n;
}

void natd_free(struct natd *n)
{
	if (!n)
		return;
	/* libslirp closes its sockets, and tells us, first. */
	if (n->slirp)
		slirp_cleanup(n->slirp);
	vsw_reass_free(n->reass);
	g_hash_table_destroy(n->socks);
	g_hash_table_destroy(n->flows);
	g_hash_table_destroy(n->guests);
	g_free(n->scratch);
	g_free(n);
}

Slirp *natd_slirp(struct natd *n)
{
	return n->slirp;
}

int natd_fwd_add(struct natd *n, bool udp, struct in_addr host, uint16_t host_port,
		 struct in_addr guest, uint16_t guest_port)
{
	errno = 0;
	if (slirp_add_hostfwd(n->slirp, udp, host, host_port, guest, guest_port) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

int natd_fwd_remove(struct natd *n, bool udp, struct in_addr host, uint16_t host_port)
{
	return slirp_remove_hostfwd(n->slirp, udp, host, host_port) < 0 ? -ENOENT : 0;
}

static ssize_t state_write(const void *buf, size_t len, void *opaque)
{
	g_byte_array_append(opaque, buf, (guint)len);
	return (ssize_t)len;
}

struct state_reader {
	const uint8_t *data;
	size_t len, pos;
};

static ssize_t state_read(void *buf, size_t len, void *opaque)
{
	struct state_reader *r = opaque;

	if (len > r->len - r->pos)
		return -1;
	memcpy(buf, r->data + r->pos, len);
	r->pos += len;
	return (ssize_t)len;
}

GBytes *natd_leases_save(struct natd *n)
{
	GByteArray *a = g_byte_array_new();

	slirp_state_save(n->slirp, state_write, a);
	return g_byte_array_free_to_bytes(a);
}

int natd_leases_load(struct natd *n, int version, GBytes *b)
{
	g_autoptr(GBytes) fresh = natd_leases_save(n);
	struct state_reader r = { .data = g_bytes_get_data(b, &r.len) };

	/*
	 * We never add guestfwd sockets, so a table we saved starts with the
	 * empty socket list (a 0 byte) and is exactly as long as the one of a
	 * fresh instance.  Anything else could make libslirp build sockets.
	 */
	if (version != slirp_state_version() || !r.len || r.data[0] != 0 ||
	    r.len != g_bytes_get_size(fresh))
		return -EINVAL;
	return slirp_state_load(n->slirp, version, state_read, &r) < 0 ? -EINVAL : 0;
}

void natd_set_sockets_per_guest(struct natd *n, unsigned max)
{
	n->sockets_per_guest = MAX(max, 1u);
}

unsigned natd_sockets_per_guest(struct natd *n)
{
	return n->sockets_per_guest;
}

unsigned natd_guest_sockets(struct natd *n, const uint8_t mac[6])
{
	gint64 k = mac_key(mac);
	struct guest *g = g_hash_table_lookup(n->guests, &k);

	return g ? g->sockets : 0;
}

void natd_get_stats(struct natd *n, struct natd_stats *st)
{
	*st = n->st;
	vsw_reass_get_stats(n->reass, &st->reass);
}

char *natd_connections(struct natd *n)
{
	return slirp_connection_info(n->slirp);
}
