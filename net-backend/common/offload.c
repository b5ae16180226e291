// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * offload.c - software checksum completion and GSO segmentation.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * See offload.h for the contract.  Layout of the work: gso_parse() checks
 * the whole frame and records where each header starts; the segmenters then
 * copy headers + one chunk of payload into the scratch buffer, patch
 * lengths, IDs, sequence numbers, flags and checksums, and emit.  After
 * gso_parse() succeeds no offset can leave [0, end), end <= len.
 *
 * vsw_vnet_check() runs the same gso_parse() on the caller's private copy
 * of the first bytes of the frame: gso_parse() reads only [0, avail) and
 * judges lengths against the whole frame, so the verdict on the copy is the
 * verdict vsw_gso_segment() reaches on the frame.  csum_l4() finds the L4
 * checksum of a frame without GSO, for vsw_vnet_check() and, with the same
 * window, for vsw_csum_complete()'s DATA_VALID.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "offload.h"

#define ETH_HLEN		14
#define ETH_TYPE_OFF		12
#define ETH_P_IPV4		0x0800
#define ETH_P_IPV6		0x86dd
#define ETH_P_8021Q		0x8100
#define ETH_P_8021AD		0x88a8
#define VLAN_HLEN		4
#define VLAN_DEPTH_MAX		2

#define IP_PROTO_HOPOPTS	0	/* IPv6 hop-by-hop options header */
#define IP_PROTO_TCP		6
#define IP_PROTO_UDP		17
#define IP_PROTO_ROUTING	43	/* IPv6 routing header */
#define IP_PROTO_FRAGMENT	44	/* IPv6 fragment header */
#define IP_PROTO_DSTOPTS	60	/* IPv6 destination options header */

#define IPV4_HLEN_MIN		20
#define IPV4_DF			0x4000
#define IPV4_MF			0x2000
#define IPV4_FRAG_MASK		0x3fff	/* MF + fragment offset */
#define IPV4_OPT_EOL		0
#define IPV4_OPT_NOP		1
#define IPV4_OPT_COPIED		0x80
#define IPV6_HLEN		40
#define IPV6_FRAG_HLEN		8
#define IPV6_FRAG_MF		1

#define TCP_HLEN_MIN		20
#define TCP_CSUM_OFF		16
#define TCP_FIN			0x01
#define TCP_PSH			0x08
#define TCP_CWR			0x80
#define UDP_HLEN		8
#define UDP_CSUM_OFF		6

#define GSO_BY_FRAGS		0xffff	/* Linux's gso_size "as the frags" */

_Static_assert(VSW_HDR_COPY >= ETH_HLEN + VLAN_DEPTH_MAX * VLAN_HLEN + 60 + 60,
	       "VSW_HDR_COPY holds the longest GSO headers");
_Static_assert((uint64_t)VSW_GSO_MAX_SEGS * VSW_GSO_TCP_MIN >=
	       65535 - TCP_HLEN_MIN,
	       "the largest TSO frame at the TCP floor is within the cap");
_Static_assert(VSW_GSO_UDP_MIN >= UDP_HLEN && VSW_GSO_UDP_MIN % 8 == 0,
	       "a UFO fragment holds the UDP header, in 8-byte units");

/* Bytes per inner checksum block: even, small enough that 64-bit
 * accumulators cannot overflow (see csum_block()).
 */
#define CSUM_BLOCK		(1u << 30)

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/*
 * csum_block() - one's complement sum of at most CSUM_BLOCK bytes, unfolded.
 *
 * Each 8-byte load adds its two 32-bit halves (< 2^33) to one of four
 * independent accumulators; CSUM_BLOCK / 32 iterations of that stay far
 * below 2^64.  Summing 32-bit words in native order and folding later gives
 * the same result as summing 16-bit words (2^16 == 1 mod 0xffff), on either
 * byte order.
 */
static uint64_t csum_block(const uint8_t *p, size_t len)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	uint64_t a, b, c, d;

	for (; len >= 32; p += 32, len -= 32) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		s0 += (a & 0xffffffffu) + (a >> 32);
		s1 += (b & 0xffffffffu) + (b >> 32);
		s2 += (c & 0xffffffffu) + (c >> 32);
		s3 += (d & 0xffffffffu) + (d >> 32);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&a, p, 8);
		s0 += (a & 0xffffffffu) + (a >> 32);
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		s1 += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		s2 += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the first of a zero-padded 16-bit word. */
		uint8_t pad[2] = { *p, 0 };
		uint16_t h;

		memcpy(&h, pad, 2);
		s3 += h;
	}
	return s0 + s1 + s2 + s3;
}

uint32_t vsw_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	while (len > CSUM_BLOCK) {
		s = fold64(s) + fold64(csum_block(p, CSUM_BLOCK));
		p += CSUM_BLOCK;
		len -= CSUM_BLOCK;
	}
	return fold64(s + fold64(csum_block(p, len)));
}

uint32_t vsw_csum_pseudo4(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint16_t len)
{
	/* zero, protocol, length: two 16-bit words in network order */
	const uint8_t tail[4] = { 0, proto, (uint8_t)(len >> 8), (uint8_t)len };
	uint32_t s, d, t;

	memcpy(&s, saddr, 4);
	memcpy(&d, daddr, 4);
	memcpy(&t, tail, 4);
	return fold64((uint64_t)s + d + t);
}

uint32_t vsw_csum_pseudo6(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint32_t len)
{
	const uint8_t tail[8] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16),
		(uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0, proto,
	};
	uint32_t sum;

	sum = vsw_csum_partial(saddr, 16, 0);
	sum = vsw_csum_partial(daddr, 16, sum);
	return vsw_csum_partial(tail, sizeof(tail), sum);
}

/*
 * l2_parse() - skip the Ethernet header and up to VLAN_DEPTH_MAX tags.
 * @f:     the frame's first @avail bytes
 * @avail: bytes readable at @f
 * @l3:    set to the offset after the tags skipped
 * @type:  set to the ethertype there (a third tag's TPID stays a TPID)
 *
 * Return: 0, or -EINVAL if a header does not fit in @avail.
 */
static int l2_parse(const uint8_t *f, uint32_t avail, uint32_t *l3,
		    uint16_t *type)
{
	uint32_t off = ETH_TYPE_OFF;
	uint16_t t;
	int depth;

	if (avail < ETH_HLEN)
		return -EINVAL;
	t = rd16(f + off);
	for (depth = 0; depth < VLAN_DEPTH_MAX &&
	     (t == ETH_P_8021Q || t == ETH_P_8021AD); depth++) {
		if (avail - off < VLAN_HLEN + 2)
			return -EINVAL;
		off += VLAN_HLEN;
		t = rd16(f + off);
	}
	*l3 = off + 2;
	*type = t;
	return 0;
}

/*
 * csum_l4() - find the TCP/UDP checksum of a frame without GSO.
 * @f:     the frame's first @avail bytes
 * @avail: bytes readable at @f, at least @l3
 * @len:   length of the whole frame
 * @l3:    offset of the IP header (from l2_parse())
 * @type:  its ethertype
 * @l4:    set to the offset of the TCP/UDP header
 * @field: set to the offset of its checksum field from @l4
 *
 * IPv4 with or without options, not a fragment; IPv6 after any hop-by-hop
 * (first only), routing and destination options headers.  The IP header
 * and extension headers lie in @avail, the datagram in the frame, a
 * minimal TCP or UDP header in the datagram.
 *
 * Return: true if found.
 */
static bool csum_l4(const uint8_t *f, uint32_t avail, uint32_t len,
		    uint32_t l3, uint16_t type, uint32_t *l4, uint32_t *field)
{
	const uint8_t *ip = f + l3;
	uint32_t off, end, min;
	uint8_t proto;

	if (type == ETH_P_IPV4) {
		uint32_t ihl, tot;

		if (avail - l3 < IPV4_HLEN_MIN || ip[0] >> 4 != 4)
			return false;
		ihl = (ip[0] & 0xfu) * 4;
		tot = rd16(ip + 2);
		if (ihl < IPV4_HLEN_MIN || ihl > avail - l3 || tot < ihl ||
		    tot > len - l3 || (rd16(ip + 6) & IPV4_FRAG_MASK))
			return false;
		proto = ip[9];
		off = l3 + ihl;
		end = l3 + tot;
	} else if (type == ETH_P_IPV6) {
		bool first = true;

		if (avail - l3 < IPV6_HLEN || ip[0] >> 4 != 6 ||
		    rd16(ip + 4) > len - l3 - IPV6_HLEN)
			return false;
		proto = ip[6];
		off = l3 + IPV6_HLEN;
		end = off + rd16(ip + 4);
		while (proto == IP_PROTO_ROUTING || proto == IP_PROTO_DSTOPTS ||
		       (proto == IP_PROTO_HOPOPTS && first)) {
			uint32_t hl;

			if (avail - off < 2)
				return false;
			hl = (f[off + 1] + 1u) * 8;
			if (hl > avail - off || hl > end - off)
				return false;
			proto = f[off];
			off += hl;
			first = false;
		}
	} else {
		return false;
	}

	if (proto == IP_PROTO_TCP) {
		min = TCP_HLEN_MIN;
		*field = TCP_CSUM_OFF;
	} else if (proto == IP_PROTO_UDP) {
		min = UDP_HLEN;
		*field = UDP_CSUM_OFF;
	} else {
		return false;
	}
	if (end - off < min)
		return false;
	*l4 = off;
	return true;
}

/* @start/@off are the TCP/UDP checksum of the frame at @f (@len bytes). */
static bool csum_is_l4(const uint8_t *f, uint32_t avail, uint32_t len,
		       uint32_t start, uint32_t off)
{
	uint32_t l3, l4, field;
	uint16_t type;

	if (avail > len)
		avail = len;
	return l2_parse(f, avail, &l3, &type) == 0 &&
	       csum_l4(f, avail, len, l3, type, &l4, &field) &&
	       start == l4 && off == field;
}

unsigned vsw_offload_needed(const struct vsw_vnet_hdr *vnet,
			    unsigned port_offloads)
{
	unsigned want;

	switch (vnet->gso_type & ~VSW_VNET_GSO_ECN) {
	case VSW_VNET_GSO_NONE:
		if ((vnet->flags & VSW_VNET_F_NEEDS_CSUM) &&
		    !(port_offloads & VSW_OFFLOAD_CSUM))
			return VSW_OFFLOAD_NEED_CSUM;
		return 0;
	case VSW_VNET_GSO_TCPV4:
		want = VSW_OFFLOAD_TSO4;
		break;
	case VSW_VNET_GSO_TCPV6:
		want = VSW_OFFLOAD_TSO6;
		break;
	case VSW_VNET_GSO_UDP:
		want = VSW_OFFLOAD_UFO;
		break;
	case VSW_VNET_GSO_UDP_L4:
		want = VSW_OFFLOAD_USO4 | VSW_OFFLOAD_USO6;
		break;
	default:
		return VSW_OFFLOAD_NEED_GSO;	/* refused by vsw_gso_segment() */
	}
	if (!vnet->gso_size)
		return VSW_OFFLOAD_NEED_GSO;
	if (vnet->gso_type & VSW_VNET_GSO_ECN)
		want |= VSW_OFFLOAD_ECN;
	if (vnet->flags & VSW_VNET_F_NEEDS_CSUM)
		want |= VSW_OFFLOAD_CSUM;
	return (port_offloads & want) == want ? 0 : VSW_OFFLOAD_NEED_GSO;
}

int vsw_csum_complete(uint8_t *frame, uint32_t len, struct vsw_vnet_hdr *vnet)
{
	uint32_t start, off;
	uint16_t c;
	bool own;

	if (!(vnet->flags & VSW_VNET_F_NEEDS_CSUM))
		return 0;
	start = le16toh(vnet->csum_start);
	off = le16toh(vnet->csum_offset);
	if (start > len || off > len - start || len - start - off < 2)
		return -EINVAL;
	/* before the store: a field inside the IP header would change it */
	own = csum_is_l4(frame, VSW_HDR_COPY, len, start, off);

	c = vsw_csum_fold(vsw_csum_partial(frame + start, len - start, 0));
	if (!c)
		c = 0xffff;
	memcpy(frame + start + off, &c, sizeof(c));
	vnet->flags = (uint8_t)((vnet->flags & ~(VSW_VNET_F_NEEDS_CSUM |
						 VSW_VNET_F_DATA_VALID)) |
				(own ? VSW_VNET_F_DATA_VALID : 0));
	/* Nothing is left to checksum: the offsets mean nothing any more. */
	vnet->csum_start = 0;
	vnet->csum_offset = 0;
	return 0;
}

/**
 * struct gso_frame - a GSO frame as gso_parse() found it.
 * @f:     the frame
 * @l3:    offset of the IP header
 * @l4:    offset of the TCP/UDP header
 * @pay:   offset of the bytes to split: end of the headers every segment
 *         repeats (after the L4 header; for UFO, after the IP header = @l4)
 * @hdr_end: end of the L4 header (@pay, or @l4 + 8 for UFO)
 * @end:   end of the IP datagram, <= frame length
 * @mss:   bytes of @pay..@end per segment (a multiple of 8 for UFO)
 * @type:  VSW_VNET_GSO_* without the ECN bit
 * @proto: IP_PROTO_TCP or IP_PROTO_UDP
 * @ipv6:  IPv6 rather than IPv4
 */
struct gso_frame {
	const uint8_t *f;
	uint32_t l3;
	uint32_t l4;
	uint32_t pay;
	uint32_t hdr_end;
	uint32_t end;
	uint32_t mss;
	uint8_t type;
	uint8_t proto;
	bool ipv6;
};

/* Options of an IPv4 header are well formed (needed before fragmenting). */
static bool ipv4_opts_valid(const uint8_t *ip, uint32_t ihl)
{
	uint32_t p = IPV4_HLEN_MIN;

	while (p < ihl) {
		uint8_t t = ip[p];

		if (t == IPV4_OPT_EOL)
			return true;
		if (t == IPV4_OPT_NOP) {
			p++;
			continue;
		}
		if (ihl - p < 2 || ip[p + 1] < 2 || ip[p + 1] > ihl - p)
			return false;
		p += ip[p + 1];
	}
	return true;
}

/* Overwrite options without the copy bit with NOPs (ip_options_fragment()). */
static void ipv4_opts_fragment(uint8_t *ip, uint32_t ihl)
{
	uint32_t p = IPV4_HLEN_MIN;

	while (p < ihl) {
		uint8_t t = ip[p], olen;

		if (t == IPV4_OPT_EOL)
			return;
		if (t == IPV4_OPT_NOP) {
			p++;
			continue;
		}
		olen = ip[p + 1];	/* validated by ipv4_opts_valid() */
		if (!(t & IPV4_OPT_COPIED))
			memset(ip + p, IPV4_OPT_NOP, olen);
		p += olen;
	}
}

/* Number of segments: the payload in mss pieces, at least one. */
static uint32_t gso_count(const struct gso_frame *g)
{
	uint32_t payload = g->end - g->pay;

	return payload <= g->mss ? 1 : (payload + g->mss - 1) / g->mss;
}

/*
 * gso_parse() - validate a GSO frame completely and locate its headers.
 * @f:     the frame's first @avail bytes, all that is read
 * @avail: bytes readable at @f, <= @len; every header must lie in them
 * @len:   length of the whole frame, for the IP lengths
 * @vnet:  gso_type and gso_size
 * @g:     the result
 *
 * Also enforces the gso_size floor and the segment cap.
 * Return: 0 or -EINVAL.
 */
static int gso_parse(const uint8_t *f, uint32_t avail, uint32_t len,
		     const struct vsw_vnet_hdr *vnet, struct gso_frame *g)
{
	uint32_t ihl, doff, size, least, cap;
	uint16_t ethertype;
	uint8_t proto;

	g->f = f;
	g->type = (uint8_t)(vnet->gso_type & ~VSW_VNET_GSO_ECN);
	size = le16toh(vnet->gso_size);
	switch (g->type) {
	case VSW_VNET_GSO_TCPV4:
	case VSW_VNET_GSO_TCPV6:
		least = VSW_GSO_TCP_MIN;
		cap = VSW_GSO_MAX_SEGS;
		break;
	case VSW_VNET_GSO_UDP:
		least = VSW_GSO_UDP_MIN;
		cap = VSW_GSO_MAX_SEGS;
		break;
	case VSW_VNET_GSO_UDP_L4:
		least = VSW_GSO_UDP_MIN;
		cap = VSW_USO_MAX_SEGS;
		break;
	default:
		return -EINVAL;
	}
	if (size < least)
		return -EINVAL;
	g->mss = size;
	if (g->type == VSW_VNET_GSO_UDP)
		g->mss &= ~7u;		/* fragment offsets count 8 bytes */

	if (l2_parse(f, avail, &g->l3, &ethertype) < 0)
		return -EINVAL;

	if (ethertype == ETH_P_IPV4) {
		const uint8_t *ip = f + g->l3;
		uint32_t tot;

		if (avail - g->l3 < IPV4_HLEN_MIN || ip[0] >> 4 != 4)
			return -EINVAL;
		ihl = (ip[0] & 0xfu) * 4;
		tot = rd16(ip + 2);
		if (ihl < IPV4_HLEN_MIN || tot < ihl || tot > len - g->l3)
			return -EINVAL;
		if (rd16(ip + 6) & IPV4_FRAG_MASK)
			return -EINVAL;
		g->ipv6 = false;
		proto = ip[9];
		g->l4 = g->l3 + ihl;
		g->end = g->l3 + tot;
	} else if (ethertype == ETH_P_IPV6) {
		const uint8_t *ip = f + g->l3;
		uint32_t plen;

		if (avail - g->l3 < IPV6_HLEN || ip[0] >> 4 != 6)
			return -EINVAL;
		plen = rd16(ip + 4);
		if (plen > len - g->l3 - IPV6_HLEN)
			return -EINVAL;
		g->ipv6 = true;
		proto = ip[6];
		g->l4 = g->l3 + IPV6_HLEN;
		g->end = g->l4 + plen;
	} else {
		return -EINVAL;
	}

	switch (g->type) {
	case VSW_VNET_GSO_TCPV4:
		if (g->ipv6 || proto != IP_PROTO_TCP)
			return -EINVAL;
		break;
	case VSW_VNET_GSO_TCPV6:
		if (!g->ipv6 || proto != IP_PROTO_TCP)
			return -EINVAL;
		break;
	default:
		if (proto != IP_PROTO_UDP)
			return -EINVAL;
		break;
	}
	g->proto = proto;

	/* l4 <= end <= len; l4 may still lie beyond avail */
	if (proto == IP_PROTO_TCP) {
		if (g->end - g->l4 < TCP_HLEN_MIN ||
		    g->l4 + TCP_HLEN_MIN > avail)
			return -EINVAL;
		doff = (f[g->l4 + 12] >> 4) * 4u;
		if (doff < TCP_HLEN_MIN || doff > g->end - g->l4 ||
		    doff > avail - g->l4)
			return -EINVAL;
		g->pay = g->hdr_end = g->l4 + doff;
	} else {
		if (g->end - g->l4 < UDP_HLEN || g->l4 + UDP_HLEN > avail)
			return -EINVAL;
		g->hdr_end = g->l4 + UDP_HLEN;
		if (g->type == VSW_VNET_GSO_UDP) {
			g->pay = g->l4;
			if (!g->ipv6 && !ipv4_opts_valid(f + g->l3, g->l4 - g->l3))
				return -EINVAL;
		} else {
			g->pay = g->l4 + UDP_HLEN;
		}
	}
	if (gso_count(g) > cap)
		return -EINVAL;
	/* IPv6 fragments add a header: each must fit the 16-bit length */
	if (g->type == VSW_VNET_GSO_UDP && g->ipv6 && gso_count(g) > 1 &&
	    IPV6_FRAG_HLEN + g->mss > 0xffff)
		return -EINVAL;
	return 0;
}

/* Fix the IP header of a segment of @seg_len bytes; IPv4: ID += @id_inc. */
static void seg_fix_ip(uint8_t *s, const struct gso_frame *g,
		       uint32_t seg_len, uint16_t id_inc)
{
	uint8_t *ip = s + g->l3;
	uint16_t c;

	if (g->ipv6) {
		wr16(ip + 4, (uint16_t)(seg_len - g->l3 - IPV6_HLEN));
		return;
	}
	wr16(ip + 2, (uint16_t)(seg_len - g->l3));
	wr16(ip + 4, (uint16_t)(rd16(ip + 4) + id_inc));
	ip[10] = ip[11] = 0;
	c = vsw_csum(ip, g->l4 - g->l3);
	memcpy(ip + 10, &c, sizeof(c));
}

/* Pseudo-header sum for the L4 bytes [l4, l4 + l4_len) of segment @s. */
static uint32_t seg_pseudo(const uint8_t *s, const struct gso_frame *g,
			   uint32_t l4_len)
{
	const uint8_t *ip = s + g->l3;

	if (g->ipv6)
		return vsw_csum_pseudo6(ip + 8, ip + 24, g->proto, l4_len);
	return vsw_csum_pseudo4(ip + 12, ip + 16, g->proto, (uint16_t)l4_len);
}

/* Complete the L4 checksum of a segment whose L4 header ends the headers. */
static void seg_fix_l4_csum(uint8_t *s, const struct gso_frame *g,
			    uint32_t seg_len)
{
	uint32_t l4_len = seg_len - g->l4;
	uint8_t *field = s + g->l4 + (g->proto == IP_PROTO_TCP ? 16 : 6);
	uint16_t c;

	field[0] = field[1] = 0;
	c = vsw_csum_fold(vsw_csum_partial(s + g->l4, l4_len,
					   seg_pseudo(s, g, l4_len)));
	if (!c && g->proto == IP_PROTO_UDP)
		c = 0xffff;		/* 0 means "no checksum" in UDP */
	memcpy(field, &c, sizeof(c));
}

/* TSO and USO: headers repeated, payload split, every segment complete. */
static int gso_split_l4(const struct gso_frame *g, uint8_t *s, uint32_t n,
			vsw_seg_emit_fn emit, void *opaque)
{
	const uint8_t *f = g->f;
	uint32_t seq = 0, i, off = g->pay;
	uint8_t tcp_flags = 0;
	int ret;

	if (g->proto == IP_PROTO_TCP) {
		seq = rd32(f + g->l4 + 4);
		tcp_flags = f[g->l4 + 13];
	}
	for (i = 0; i < n; i++) {
		uint32_t chunk = g->end - off < g->mss ? g->end - off : g->mss;
		uint32_t seg_len = g->pay + chunk;

		memcpy(s, f, g->pay);
		memcpy(s + g->pay, f + off, chunk);
		seg_fix_ip(s, g, seg_len, (uint16_t)i);
		if (g->proto == IP_PROTO_TCP) {
			uint8_t fl = tcp_flags;

			if (i)
				fl &= (uint8_t)~TCP_CWR;
			if (i + 1 < n)
				fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
			wr32(s + g->l4 + 4, seq + (off - g->pay));
			s[g->l4 + 13] = fl;
		} else {
			wr16(s + g->l4 + 4, (uint16_t)(seg_len - g->l4));
		}
		seg_fix_l4_csum(s, g, seg_len);
		ret = emit(opaque, s, seg_len);
		if (ret < 0)
			return ret;
		off += chunk;
	}
	return (int)n;
}

/*
 * A fresh IPv6 fragment identification: a hash of the addresses plus a
 * global counter, so IDs to one destination do not repeat for 2^32
 * datagrams.  Never 0.
 */
static uint32_t ipv6_frag_id(const uint8_t *ip6)
{
	static uint32_t counter;
	uint32_t h = 0x811c9dc5u;	/* FNV-1a over both addresses */
	int i;

	for (i = 8; i < 40; i++)
		h = (h ^ ip6[i]) * 0x01000193u;
	h += __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	return h ? h : 1;
}

/*
 * UFO: complete the checksum of the whole UDP datagram, then send it as IP
 * fragments of g->mss bytes of IP payload (the UDP header rides in the
 * first).  A datagram that fits one fragment is sent unfragmented.
 */
static int gso_split_ufo(const struct gso_frame *g, uint8_t *s, uint32_t n,
			 vsw_seg_emit_fn emit, void *opaque)
{
	const uint8_t *f = g->f;
	uint32_t ulen = g->end - g->l4, ihl = g->l4 - g->l3;
	uint32_t frag_hlen = g->ipv6 ? IPV6_FRAG_HLEN : 0;
	uint32_t i, off, frag_id = 0;
	uint8_t uh[UDP_HLEN];
	uint16_t c, frag0 = 0;
	int ret;

	memcpy(uh, f + g->l4, UDP_HLEN);
	wr16(uh + 4, (uint16_t)ulen);
	uh[6] = uh[7] = 0;
	c = vsw_csum_fold(vsw_csum_partial(f + g->l4 + UDP_HLEN,
					   ulen - UDP_HLEN,
					   vsw_csum_partial(uh, UDP_HLEN,
							    seg_pseudo(f, g, ulen))));
	if (!c)
		c = 0xffff;
	memcpy(uh + 6, &c, sizeof(c));

	if (n == 1) {
		memcpy(s, f, g->l4);
		memcpy(s + g->l4, uh, UDP_HLEN);
		memcpy(s + g->l4 + UDP_HLEN, f + g->l4 + UDP_HLEN,
		       ulen - UDP_HLEN);
		seg_fix_ip(s, g, g->end, 0);
		ret = emit(opaque, s, g->end);
		return ret < 0 ? ret : 1;
	}

	if (g->ipv6)
		frag_id = ipv6_frag_id(f + g->l3);
	else
		frag0 = rd16(f + g->l3 + 6) & IPV4_DF;
	for (i = 0, off = 0; i < n; i++, off += g->mss) {
		uint32_t chunk = ulen - off < g->mss ? ulen - off : g->mss;
		uint32_t data = g->l4 + frag_hlen;	/* fragment data in s */
		uint32_t seg_len = data + chunk;
		bool more = i + 1 < n;

		memcpy(s, f, g->l4);
		if (off == 0) {		/* mss >= 8: the UDP header fits */
			memcpy(s + data, uh, UDP_HLEN);
			memcpy(s + data + UDP_HLEN, f + g->l4 + UDP_HLEN,
			       chunk - UDP_HLEN);
		} else {
			memcpy(s + data, f + g->l4 + off, chunk);
		}
		if (g->ipv6) {
			uint8_t *fh = s + g->l4;

			s[g->l3 + 6] = IP_PROTO_FRAGMENT;
			fh[0] = IP_PROTO_UDP;
			fh[1] = 0;
			wr16(fh + 2, (uint16_t)(off | (more ? IPV6_FRAG_MF : 0)));
			wr32(fh + 4, frag_id);
		} else {
			if (off)
				ipv4_opts_fragment(s + g->l3, ihl);
			wr16(s + g->l3 + 6, (uint16_t)(frag0 | (off >> 3) |
						       (more ? IPV4_MF : 0)));
		}
		seg_fix_ip(s, g, seg_len, 0);
		ret = emit(opaque, s, seg_len);
		if (ret < 0)
			return ret;
	}
	return (int)n;
}

int vsw_gso_segment(const uint8_t *frame, uint32_t len,
		    const struct vsw_vnet_hdr *vnet,
		    uint8_t *scratch, size_t scratch_size,
		    vsw_seg_emit_fn emit, void *opaque)
{
	struct gso_frame g;
	uint32_t n, seg_max;
	int ret;

	ret = gso_parse(frame, len, len, vnet, &g);
	if (ret < 0)
		return ret;

	n = gso_count(&g);
	if (n == 1)
		seg_max = g.end;
	else if (g.type == VSW_VNET_GSO_UDP)
		seg_max = g.l4 + (g.ipv6 ? IPV6_FRAG_HLEN : 0) + g.mss;
	else
		seg_max = g.pay + g.mss;
	if (scratch_size < seg_max)
		return -ENOBUFS;

	if (g.type == VSW_VNET_GSO_UDP)
		return gso_split_ufo(&g, scratch, n, emit, opaque);
	return gso_split_l4(&g, scratch, n, emit, opaque);
}

int vsw_vnet_check(const uint8_t *hdr, uint32_t hdr_len, uint32_t frame_len,
		   const struct vsw_vnet_hdr *in, struct vsw_vnet_hdr *out)
{
	const struct vsw_vnet_hdr v = *in;	/* @out may be @in */
	uint32_t start = le16toh(v.csum_start), off = le16toh(v.csum_offset);
	bool csum = v.flags & VSW_VNET_F_NEEDS_CSUM;
	uint8_t type = v.gso_type & (uint8_t)~VSW_VNET_GSO_ECN;
	uint32_t l3, l4, field;
	struct gso_frame g;
	uint16_t ethertype;

	memset(out, 0, sizeof(*out));
	if (hdr_len > frame_len)
		hdr_len = frame_len;

	if (v.gso_type == VSW_VNET_GSO_NONE) {
		int verdict;

		if (!csum)
			return VSW_VNET_PASS;
		if (l2_parse(hdr, hdr_len, &l3, &ethertype) < 0)
			return VSW_VNET_BAD;
		if (csum_l4(hdr, hdr_len, frame_len, l3, ethertype, &l4,
			    &field) && start == l4 && off == field)
			verdict = VSW_VNET_PASS;
		else if (start >= l3 && start <= frame_len &&
			 off <= frame_len - start &&
			 frame_len - start - off >= 2)
			verdict = VSW_VNET_SOFTWARE;
		else
			return VSW_VNET_BAD;
		out->flags = VSW_VNET_F_NEEDS_CSUM;
		out->csum_start = v.csum_start;
		out->csum_offset = v.csum_offset;
		return verdict;
	}

	if ((v.gso_type & VSW_VNET_GSO_ECN) && type != VSW_VNET_GSO_TCPV4 &&
	    type != VSW_VNET_GSO_TCPV6)
		return VSW_VNET_BAD;
	if (le16toh(v.gso_size) == GSO_BY_FRAGS)
		return VSW_VNET_BAD;
	if (gso_parse(hdr, hdr_len, frame_len, &v, &g) < 0)
		return VSW_VNET_BAD;
	field = g.proto == IP_PROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	if (csum && (start != g.l4 || off != field))
		return VSW_VNET_BAD;

	out->gso_type = v.gso_type;
	out->gso_size = v.gso_size;
	out->hdr_len = htole16((uint16_t)g.hdr_end);
	if (!csum)
		return VSW_VNET_SOFTWARE;
	out->flags = VSW_VNET_F_NEEDS_CSUM;
	out->csum_start = htole16((uint16_t)g.l4);
	out->csum_offset = htole16((uint16_t)field);
	return VSW_VNET_PASS;
}
