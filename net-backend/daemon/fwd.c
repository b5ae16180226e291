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
	res->l2_len = ETH_HLEN;
	if (len < ETH_HLEN)
		return drop(res, VSW_DROP_RUNT);
	if ((src[0] & 1) || !memcmp(src, zero, 6))
		return drop(res, VSW_DROP_BAD_SOURCE);

	type = (uint16_t)(eth[12] << 8 | eth[13]);
	if (!is_vlan_ethertype(type)) {
		vlan = in->vlan;
	} else if (in->mode != VSW_MODE_TRUNK || type != 0x8100) {
		/* Access ports take no tags; trunks take no QinQ. */
		return drop(res, VSW_DROP_VLAN);
	} else {
		uint16_t vid;

		if (len < ETH_HLEN + VLAN_HLEN)
			return drop(res, VSW_DROP_RUNT);
		vid = (uint16_t)((eth[14] << 8 | eth[15]) & 0xfff);
		res->l2_len = ETH_HLEN + VLAN_HLEN;
		if (vid == 0)		/* priority tag: the native VLAN */
			vid = in->vlan;
		else if (vid == 4095 || !allowed(in, vid))
			return drop(res, VSW_DROP_VLAN);
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
}
