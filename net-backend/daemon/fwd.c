// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwd.c - the forwarding decision (see fwd.h for the rules).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <string.h>

#include "fwd.h"

const char *const vsw_drop_names[VSW_DROP_MAX] = {
	[VSW_DROP_NONE] = "none",
	[VSW_DROP_RING_FULL] = "ring-full",
	[VSW_DROP_RUNT] = "runt",
	[VSW_DROP_VLAN] = "vlan-violation",
	[VSW_DROP_BAD_SOURCE] = "bad-source",
	[VSW_DROP_HAIRPIN] = "hairpin",
	[VSW_DROP_BAD_OFFLOAD] = "bad-offload",
	[VSW_DROP_MAC_SPOOF] = "mac-spoofing",
	[VSW_DROP_DHCP_GUARD] = "dhcp-guard",
	[VSW_DROP_ROUTER_GUARD] = "router-guard",
	[VSW_DROP_OVER_BUDGET] = "over-budget",
	[VSW_DROP_UNUSED_VLAN] = "unused-vlan",
};

#define ETH_HLEN	14
#define VLAN_HLEN	4

static inline bool is_vlan_ethertype(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

static inline bool allowed(const struct vsw_fwd_port *p, uint16_t vlan)
{
	return !p->allowed || (p->allowed[vlan / 64] >> (vlan % 64) & 1);
}

bool vsw_fwd_member(const struct vsw_fwd_port *p, uint16_t vlan)
{
	if (p->mode == VSW_MODE_ACCESS)
		return p->vlan == vlan;
	if (vlan == p->vlan)
		return true;
	return vlan != 0 && allowed(p, vlan);
}

static void drop(struct vsw_fwd_result *res, enum vsw_drop why)
{
	res->drop = why;
	res->n = 0;
}

/* May @in send from @src?  Reserved prefixes first: they bind every port. */
static bool source_allowed(const struct vsw_fwd_switch *sw, const struct vsw_fwd_port *in,
			   const uint8_t *src)
{
	if (!(in->flags & VSW_FWD_F_RESERVED))
		for (unsigned i = 0; i < sw->nreserved; i++)
			if (vsw_mac_prefix_match(&sw->reserved[i], src))
				return false;
	if (!(in->flags & VSW_FWD_F_MAC_LOCK))
		return true;
	for (unsigned i = 0; i < in->nmacs; i++)
		if (vsw_mac_prefix_match(&in->macs[i], src))
			return true;
	return false;
}

void vsw_fwd_decide(const struct vsw_fwd_switch *sw, const struct vsw_fwd_port *in,
		    const uint8_t *eth, uint32_t len, uint64_t now,
		    struct vsw_fwd_result *res)
{
	static const uint8_t zero[6];
	const uint8_t *dst = eth, *src = eth + 6;
	uint16_t type, vlan;
	int port;

	res->drop = VSW_DROP_NONE;
	res->flood = false;
	res->n = 0;
	res->vlan = 0;
	res->pcp = 0;
	res->l2_len = ETH_HLEN;
	if (len < ETH_HLEN)
		return drop(res, VSW_DROP_RUNT);
	if ((src[0] & 1) || !memcmp(src, zero, 6))
		return drop(res, VSW_DROP_BAD_SOURCE);
	if (!source_allowed(sw, in, src))
		return drop(res, VSW_DROP_MAC_SPOOF);

	type = (uint16_t)(eth[12] << 8 | eth[13]);
	if (!is_vlan_ethertype(type)) {
		vlan = in->vlan;
	} else if (type != 0x8100) {
		/* 802.1ad S-tags (QinQ) cross no VLAN, from any port. */
		return drop(res, VSW_DROP_VLAN);
	} else {
		uint16_t tci, vid;

		/* Cut short: a runt for a trunk, a tag it may not send for an access port. */
		if (len < ETH_HLEN + VLAN_HLEN + 2)
			return drop(res, in->mode == VSW_MODE_TRUNK ? VSW_DROP_RUNT : VSW_DROP_VLAN);
		tci = (uint16_t)(eth[14] << 8 | eth[15]);
		vid = tci & 0xfff;
		/* A second tag inside (QinQ with 0x8100 outside) crosses no VLAN either. */
		if (is_vlan_ethertype((uint16_t)(eth[16] << 8 | eth[17])))
			return drop(res, VSW_DROP_VLAN);
		res->l2_len = ETH_HLEN + VLAN_HLEN;
		res->pcp = (uint8_t)(tci >> 13);
		if (vid == 0)		/* priority tag (802.1Q): the port's own VLAN */
			vid = in->vlan;
		else if (in->mode != VSW_MODE_TRUNK || vid == 4095 || !allowed(in, vid))
			return drop(res, VSW_DROP_VLAN);	/* no VLAN hopping */
		vlan = vid;
	}
	res->vlan = vlan;

	vsw_mac_learn(sw->mt, vlan, src, in->index, now);

	if (!(dst[0] & 1)) {
		port = vsw_mac_lookup(sw->mt, vlan, dst, now);
		if (port == in->index)
			return drop(res, VSW_DROP_HAIRPIN);
		if (port >= 0 && (unsigned)port < sw->nslots && sw->ports[port] &&
		    vsw_fwd_member(sw->ports[port], vlan)) {
			res->out[0] = (uint16_t)port;
			res->n = 1;
			return;
		}
	}
	res->flood = true;
	for (unsigned i = 0; i < sw->nslots; i++) {
		const struct vsw_fwd_port *p = sw->ports[i];

		if (p && p != in && vsw_fwd_member(p, vlan))
			res->out[res->n++] = (uint16_t)i;
	}
	if (!res->n && in->mode == VSW_MODE_TRUNK && vlan != in->vlan)
		drop(res, VSW_DROP_UNUSED_VLAN);
}

/* ------------------------------------------------------------------ */
/* DHCP and router guards                                              */

#define ETH_P_IPV4		0x0800
#define ETH_P_IPV6		0x86dd
#define IPPROTO_HOPOPTS_	0
#define IPPROTO_ICMP_		1
#define IPPROTO_UDP_		17
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_ESP_		50
#define IPPROTO_AH_		51
#define IPPROTO_ICMPV6_		58
#define IPPROTO_NONE_		59
#define IPPROTO_DSTOPTS_	60
#define IPPROTO_MH_		135
#define EXT_CHAIN_MAX		8	/* extension headers walked at most */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* What the guards of @in say of an upper-layer header at @l4 (bounds checked). */
static enum vsw_drop guard_l4(const struct vsw_fwd_port *in, bool v6, uint8_t proto,
			      const uint8_t *hdr, uint32_t hdr_len, uint32_t l4)
{
	if (proto == IPPROTO_UDP_ && (in->flags & VSW_FWD_F_DHCP_GUARD)) {
		uint16_t sport, dport;

		if (hdr_len < l4 + 4)
			return VSW_DROP_DHCP_GUARD;	/* cannot tell: guard holds */
		sport = rd16(hdr + l4);
		dport = rd16(hdr + l4 + 2);
		if (v6 ? (sport == 547 || dport == 546) : (sport == 67 || dport == 68))
			return VSW_DROP_DHCP_GUARD;
	}
	if ((proto == (v6 ? IPPROTO_ICMPV6_ : IPPROTO_ICMP_)) &&
	    (in->flags & VSW_FWD_F_ROUTER_GUARD)) {
		uint8_t type;

		if (hdr_len < l4 + 1)
			return VSW_DROP_ROUTER_GUARD;
		type = hdr[l4];
		if (v6 ? (type == 134 || type == 137) : type == 5)
			return VSW_DROP_ROUTER_GUARD;
	}
	return VSW_DROP_NONE;
}

/* The guard of @in that a frame it cannot see into falls under. */
static enum vsw_drop unseen(const struct vsw_fwd_port *in)
{
	return in->flags & VSW_FWD_F_DHCP_GUARD ? VSW_DROP_DHCP_GUARD : VSW_DROP_ROUTER_GUARD;
}

enum vsw_drop vsw_fwd_guard(const struct vsw_fwd_port *in, const uint8_t *hdr,
			    uint32_t hdr_len, uint32_t frame_len, unsigned l2_len)
{
	uint32_t l3 = l2_len, off;
	uint8_t nh;

	if (!(in->flags & VSW_FWD_F_GUARDS) || hdr_len < l3)
		return VSW_DROP_NONE;
	switch (rd16(hdr + l3 - 2)) {
	case ETH_P_IPV4: {
		unsigned ihl;

		if (hdr_len < l3 + 20 || frame_len < l3 + 20)
			return VSW_DROP_NONE;	/* no IPv4 header: nobody parses it */
		ihl = (hdr[l3] & 0xfu) * 4;
		/* A later fragment carries no UDP/ICMP header. */
		if (rd16(hdr + l3 + 6) & 0x1fff)
			return VSW_DROP_NONE;
		if (ihl < 20)
			return VSW_DROP_NONE;
		return guard_l4(in, false, hdr[l3 + 9], hdr, hdr_len, l3 + ihl);
	}
	case ETH_P_IPV6:
		if (hdr_len < l3 + 40 || frame_len < l3 + 40)
			return VSW_DROP_NONE;
		nh = hdr[l3 + 6];
		off = l3 + 40;
		for (unsigned i = 0; i <= EXT_CHAIN_MAX; i++) {
			switch (nh) {
			case IPPROTO_HOPOPTS_:
			case IPPROTO_ROUTING_:
			case IPPROTO_DSTOPTS_:
			case IPPROTO_MH_:
				if (hdr_len < off + 2)
					return unseen(in);
				nh = hdr[off];
				off += (hdr[off + 1] + 1u) * 8;
				break;
			case IPPROTO_AH_:
				if (hdr_len < off + 2)
					return unseen(in);
				nh = hdr[off];
				off += (hdr[off + 1] + 2u) * 4;
				break;
			case IPPROTO_FRAGMENT_:
				if (hdr_len < off + 8)
					return unseen(in);
				/* Not the first fragment: no upper-layer header here. */
				if (rd16(hdr + off + 2) & 0xfff8)
					return VSW_DROP_NONE;
				nh = hdr[off];
				off += 8;
				break;
			case IPPROTO_ESP_:
			case IPPROTO_NONE_:
				return VSW_DROP_NONE;	/* nothing a guard looks for */
			default:
				return guard_l4(in, true, nh, hdr, hdr_len, off);
			}
		}
		return unseen(in);		/* a chain longer than any real one */
	default:
		return VSW_DROP_NONE;
	}
}
