// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-fwd.c - unit tests of the forwarding decision (fwd.h's rules).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <glib.h>
#include <string.h>

#include "fwd.h"

struct sw {
	struct vsw_mac_table mt;
	struct vsw_fwd_port port[8];
	struct vsw_fwd_port *ports[8];
	struct vsw_fwd_switch view;
	struct vsw_fwd_result res;
};

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void mac(uint8_t m[6], uint8_t last)
{
	static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x00 };

	memcpy(m, base, 6);
	m[5] = last;
}

/* A switch whose ports are given as access VLANs (-1: no port in that slot). */
static struct sw *sw_new(const int *vlans, int n)
{
	struct sw *s = g_new0(struct sw, 1);

	g_assert_cmpint(vsw_mac_table_init(&s->mt, 64, 300000, 9), ==, 0);
	for (int i = 0; i < n; i++) {
		s->port[i].index = (uint16_t)i;
		s->port[i].mode = VSW_MODE_ACCESS;
		s->port[i].vlan = (uint16_t)(vlans[i] < 0 ? 0 : vlans[i]);
		s->ports[i] = vlans[i] < 0 ? NULL : &s->port[i];
	}
	s->view.ports = s->ports;
	s->view.nslots = (unsigned)n;
	s->view.mt = &s->mt;
	return s;
}

static void sw_free(struct sw *s)
{
	vsw_mac_table_destroy(&s->mt);
	g_free(s);
}

/* Frame header: dst, src, type or [0x8100 tci type]. */
static unsigned hdr(uint8_t *h, const uint8_t dst[6], const uint8_t src[6],
		    int tag, uint16_t type)
{
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	if (tag < 0) {
		h[12] = (uint8_t)(type >> 8);
		h[13] = (uint8_t)type;
		return 14;
	}
	h[12] = 0x81;
	h[13] = 0x00;
	h[14] = (uint8_t)(tag >> 8);
	h[15] = (uint8_t)tag;
	h[16] = (uint8_t)(type >> 8);
	h[17] = (uint8_t)type;
	return 18;
}

static void decide(struct sw *s, int in, const uint8_t dst[6], const uint8_t src[6],
		   int tag, uint32_t len)
{
	uint8_t h[18];

	hdr(h, dst, src, tag, 0x0800);
	vsw_fwd_decide(&s->view, &s->port[in], h, len, 1000, &s->res);
}

static void assert_out(struct sw *s, const int *want, unsigned n)
{
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_NONE);
	g_assert_cmpuint(s->res.n, ==, n);
	for (unsigned i = 0; i < n; i++)
		g_assert_cmpint(s->res.out[i], ==, want[i]);
}

static void test_flood_then_unicast(void)
{
	const int vlans[] = { 0, 0, 0, 0 };
	struct sw *s = sw_new(vlans, 4);
	uint8_t a[6], b[6];

	mac(a, 0xa);
	mac(b, 0xb);
	decide(s, 0, b, a, -1, 64);		/* b unknown: flood */
	assert_out(s, (const int[]){ 1, 2, 3 }, 3);
	g_assert_true(s->res.flood);
	decide(s, 1, a, b, -1, 64);		/* a learnt on 0 */
	assert_out(s, (const int[]){ 0 }, 1);
	g_assert_false(s->res.flood);
	decide(s, 0, b, a, -1, 64);		/* b learnt on 1 */
	assert_out(s, (const int[]){ 1 }, 1);
	decide(s, 2, BCAST, a, -1, 64);		/* a moved to port 2; broadcast floods */
	assert_out(s, (const int[]){ 0, 1, 3 }, 3);
	decide(s, 1, a, b, -1, 64);
	assert_out(s, (const int[]){ 2 }, 1);
	sw_free(s);
}

static void test_vlans(void)
{
	const int vlans[] = { 10, 10, 20, 0, -1, 10 };
	struct sw *s = sw_new(vlans, 6);
	uint8_t a[6], c[6];

	mac(a, 0xa);
	mac(c, 0xc);
	decide(s, 0, BCAST, a, -1, 64);
	assert_out(s, (const int[]){ 1, 5 }, 2);
	g_assert_cmpint(s->res.vlan, ==, 10);
	decide(s, 3, BCAST, c, -1, 64);		/* untagged domain: only port 3 */
	assert_out(s, NULL, 0);
	decide(s, 2, BCAST, c, -1, 64);		/* c learnt in VLAN 20 */
	assert_out(s, NULL, 0);
	decide(s, 0, c, a, -1, 64);		/* unknown in VLAN 10: flood VLAN 10 */
	assert_out(s, (const int[]){ 1, 5 }, 2);
	sw_free(s);
}

static void test_drops(void)
{
	const int vlans[] = { 10, 10 };
	struct sw *s = sw_new(vlans, 2);
	uint8_t a[6], b[6], zero[6] = { 0 };

	mac(a, 0xa);
	mac(b, 0xb);
	decide(s, 0, b, a, -1, 13);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_RUNT);
	decide(s, 0, b, BCAST, -1, 64);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_BAD_SOURCE);
	decide(s, 0, b, zero, -1, 64);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_BAD_SOURCE);
	decide(s, 0, b, a, 20, 64);		/* tagged from an access port */
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	decide(s, 0, b, a, 10, 64);		/* even with its own VLAN */
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	{
		uint8_t h[14];

		hdr(h, b, a, -1, 0x88a8);	/* QinQ outer tag */
		vsw_fwd_decide(&s->view, &s->port[0], h, 64, 0, &s->res);
		g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	}
	decide(s, 1, b, b, -1, 64);		/* b learnt on 1, sends to itself */
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_HAIRPIN);
	g_assert_cmpuint(s->res.n, ==, 0);
	sw_free(s);
}

static void test_trunk(void)
{
	const int vlans[] = { 10, 20, 0, 0 };
	struct sw *s = sw_new(vlans, 4);
	uint64_t allowed[64] = { 0 };
	uint8_t a[6], n[6];

	mac(a, 0xa);
	mac(n, 0xe);
	/* Port 3: trunk with VLANs 10 and 20 allowed, native VLAN 0 (untagged). */
	s->port[3].mode = VSW_MODE_TRUNK;
	allowed[0] |= 1ull << 10 | 1ull << 20;
	s->port[3].allowed = allowed;

	decide(s, 3, BCAST, n, 10, 64);		/* tagged 10 -> port 0 only */
	assert_out(s, (const int[]){ 0 }, 1);
	g_assert_cmpint(s->res.vlan, ==, 10);
	g_assert_cmpint(s->res.l2_len, ==, 18);
	decide(s, 3, BCAST, n, -1, 64);		/* untagged -> the untagged port 2 */
	assert_out(s, (const int[]){ 2 }, 1);
	g_assert_cmpint(s->res.l2_len, ==, 14);
	decide(s, 3, BCAST, n, 30, 64);		/* VLAN 30 not allowed */
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	/* VLAN 40 allowed, but no port is in it: counted. */
	allowed[0] |= 1ull << 40;
	decide(s, 3, BCAST, n, 40, 64);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_UNUSED_VLAN);
	allowed[0] &= ~(1ull << 40);
	decide(s, 3, BCAST, n, 4095, 64);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	decide(s, 3, BCAST, n, 10, 17);		/* tag cut short */
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_RUNT);

	/* Access port 0's broadcast goes to the trunk, tagged 10. */
	decide(s, 0, BCAST, a, -1, 64);
	assert_out(s, (const int[]){ 3 }, 1);
	g_assert_cmpint(vsw_fwd_egress_tag(&s->port[3], 10), ==, 10);
	g_assert_cmpint(vsw_fwd_egress_tag(&s->port[3], 0), ==, 0);
	g_assert_cmpint(vsw_fwd_egress_tag(&s->port[0], 10), ==, 0);

	/* Native VLAN 20: untagged and priority-tagged frames belong to 20. */
	s->port[3].vlan = 20;
	decide(s, 3, BCAST, n, -1, 64);
	assert_out(s, (const int[]){ 1 }, 1);
	decide(s, 3, BCAST, n, 0, 64);
	assert_out(s, (const int[]){ 1 }, 1);
	g_assert_cmpint(vsw_fwd_egress_tag(&s->port[3], 20), ==, 0);
	g_assert_false(vsw_fwd_member(&s->port[3], 0));
	sw_free(s);
}

/* 802.1Q priority tags, priority bits, and QinQ (fwd.h's rules). */
static void test_priority_and_qinq(void)
{
	const int vlans[] = { 10, 0, 0 };
	struct sw *s = sw_new(vlans, 3);
	uint8_t a[6], n[6], h[18];

	mac(a, 0xa);
	mac(n, 0xe);
	s->port[2].mode = VSW_MODE_TRUNK;	/* all VLANs, native 0 */

	/* Priority-tagged (VID 0, PCP 5) from access port 0: its own VLAN 10. */
	decide(s, 0, BCAST, a, 5 << 13, 64);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_NONE);
	g_assert_cmpint(s->res.vlan, ==, 10);
	g_assert_cmpint(s->res.pcp, ==, 5);
	g_assert_cmpint(s->res.l2_len, ==, 18);
	assert_out(s, (const int[]){ 2 }, 1);
	/* Its priority stays with a VID on the trunk. */
	decide(s, 2, BCAST, n, 3 << 13 | 10, 64);
	g_assert_cmpint(s->res.pcp, ==, 3);
	assert_out(s, (const int[]){ 0 }, 1);
	/* Untagged: priority 0. */
	decide(s, 1, BCAST, a, -1, 64);
	g_assert_cmpint(s->res.pcp, ==, 0);

	/* QinQ from the trunk: 0x8100 outside, 0x8100 or 0x88a8 inside. */
	hdr(h, BCAST, n, 10, 0x8100);
	vsw_fwd_decide(&s->view, &s->port[2], h, 64, 0, &s->res);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	hdr(h, BCAST, n, 0, 0x88a8);
	vsw_fwd_decide(&s->view, &s->port[2], h, 64, 0, &s->res);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	/* 802.1ad outside, from the trunk or an access port. */
	hdr(h, BCAST, n, -1, 0x88a8);
	vsw_fwd_decide(&s->view, &s->port[2], h, 64, 0, &s->res);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	hdr(h, BCAST, a, -1, 0x9100);
	vsw_fwd_decide(&s->view, &s->port[1], h, 64, 0, &s->res);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_VLAN);
	sw_free(s);
}

/* Moving a port to another VLAN: a stale entry never leaks a frame. */
static void test_stale_entry_after_vlan_change(void)
{
	const int vlans[] = { 10, 10, 10 };
	struct sw *s = sw_new(vlans, 3);
	uint8_t a[6], b[6];

	mac(a, 0xa);
	mac(b, 0xb);
	decide(s, 1, a, b, -1, 64);		/* b learnt on 1 in VLAN 10 */
	s->port[1].vlan = 20;			/* entry left behind on purpose */
	decide(s, 0, b, a, -1, 64);
	assert_out(s, (const int[]){ 2 }, 1);	/* flooded in VLAN 10, not to 1 */
	sw_free(s);
}

/* MAC address spoofing off: a port sends only from its MACs, and learns nothing else. */
static void test_mac_lock(void)
{
	const int vlans[] = { 0, 0, 0 };
	struct sw *s = sw_new(vlans, 3);
	uint8_t a[6], b[6], victim[6];

	mac(a, 0xa);
	mac(b, 0xb);
	mac(victim, 0xc);
	s->port[0].flags = VSW_FWD_F_MAC_LOCK;
	s->port[0].nmacs = 1;
	memcpy(s->port[0].macs[0].mac, a, 6);
	s->port[0].macs[0].len = 6;
	decide(s, 0, BCAST, a, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_NONE);
	/* The victim (port 2) is learnt; port 0 sending from its MAC steals nothing. */
	decide(s, 2, BCAST, victim, -1, 60);
	decide(s, 0, BCAST, victim, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_MAC_SPOOF);
	decide(s, 1, victim, b, -1, 60);
	g_assert_cmpint(s->res.n, ==, 1);
	g_assert_cmpint(s->res.out[0], ==, 2);
	/* A locked port without any MAC yet sends nothing. */
	s->port[0].nmacs = 0;
	decide(s, 0, BCAST, a, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_MAC_SPOOF);
	/* Spoofing allowed: any unicast source is learnt, as before. */
	s->port[0].flags = 0;
	decide(s, 0, BCAST, victim, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_NONE);
	decide(s, 1, victim, b, -1, 60);
	g_assert_cmpint(s->res.out[0], ==, 0);
	sw_free(s);
}

/* The NAT's addresses belong to its port whatever the others' guards say. */
static void test_reserved_macs(void)
{
	const int vlans[] = { 0, 0, 0 };
	struct sw *s = sw_new(vlans, 3);
	const uint8_t gateway[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	const uint8_t gateway6[6] = { 0x52, 0x56, 0x00, 0x00, 0x00, 0x02 };
	uint8_t a[6];

	mac(a, 0xa);
	s->view.nreserved = 2;
	memcpy(s->view.reserved[0].mac, gateway, 2);
	s->view.reserved[0].len = 2;
	memcpy(s->view.reserved[1].mac, gateway6, 2);
	s->view.reserved[1].len = 2;
	s->port[2].flags = VSW_FWD_F_MAC_LOCK | VSW_FWD_F_RESERVED;
	s->port[2].nmacs = 2;
	memcpy(s->port[2].macs, s->view.reserved, sizeof(s->view.reserved[0]) * 2);
	decide(s, 2, BCAST, gateway, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_NONE);
	/* Port 0 may spoof (flags 0), but not the gateway, in either family. */
	decide(s, 0, BCAST, gateway, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_MAC_SPOOF);
	decide(s, 0, BCAST, gateway6, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_MAC_SPOOF);
	decide(s, 1, gateway, a, -1, 60);
	g_assert_cmpint(s->res.n, ==, 1);
	g_assert_cmpint(s->res.out[0], ==, 2);	/* still the NAT's */
	/* And the NAT's port sends from nothing else. */
	decide(s, 2, BCAST, a, -1, 60);
	g_assert_cmpint(s->res.drop, ==, VSW_DROP_MAC_SPOOF);
	sw_free(s);
}

/* An Ethernet + IPv4/IPv6 + UDP/ICMP header, for the guards. */
static uint32_t l4_frame(uint8_t *f, bool v6, uint8_t proto, uint16_t sport, uint16_t dport,
			 uint8_t icmp_type, uint16_t frag)
{
	uint8_t a[6];
	uint32_t l4;

	mac(a, 0xa);
	memset(f, 0, 128);
	hdr(f, BCAST, a, -1, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f[14] = 0x60;
		f[20] = proto;
		l4 = 14 + 40;
	} else {
		f[14] = 0x45;
		f[20] = (uint8_t)(frag >> 8);
		f[21] = (uint8_t)frag;
		f[23] = proto;
		l4 = 14 + 20;
	}
	if (proto == 17) {
		f[l4] = (uint8_t)(sport >> 8);
		f[l4 + 1] = (uint8_t)sport;
		f[l4 + 2] = (uint8_t)(dport >> 8);
		f[l4 + 3] = (uint8_t)dport;
	} else {
		f[l4] = icmp_type;
	}
	return l4 + 8;
}

static void test_dhcp_guard(void)
{
	struct vsw_fwd_port p = { .flags = VSW_FWD_F_DHCP_GUARD };
	uint8_t f[128];
	uint32_t len;

	len = l4_frame(f, false, 17, 67, 68, 0, 0);		/* DHCPv4 offer/ack */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_DHCP_GUARD);
	len = l4_frame(f, false, 17, 1234, 68, 0, 0);		/* to a client, any port */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_DHCP_GUARD);
	len = l4_frame(f, false, 17, 68, 67, 0, 0);		/* a client's request */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_NONE);
	len = l4_frame(f, true, 17, 547, 546, 0, 0);		/* DHCPv6 advertise/reply */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_DHCP_GUARD);
	len = l4_frame(f, true, 17, 546, 547, 0, 0);		/* a solicit */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_NONE);
	len = l4_frame(f, false, 17, 67, 68, 0, 0x0010);	/* a later fragment: no UDP header */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_NONE);
	p.flags = 0;
	len = l4_frame(f, false, 17, 67, 68, 0, 0);
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_NONE);
}

static void test_router_guard(void)
{
	struct vsw_fwd_port p = { .flags = VSW_FWD_F_ROUTER_GUARD };
	uint8_t f[128];
	uint32_t len;

	len = l4_frame(f, true, 58, 0, 0, 134, 0);		/* router advertisement */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_ROUTER_GUARD);
	len = l4_frame(f, true, 58, 0, 0, 137, 0);		/* redirect */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_ROUTER_GUARD);
	len = l4_frame(f, true, 58, 0, 0, 133, 0);		/* router solicitation */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_NONE);
	len = l4_frame(f, false, 1, 0, 0, 5, 0);		/* ICMPv4 redirect */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_ROUTER_GUARD);
	len = l4_frame(f, false, 1, 0, 0, 8, 0);		/* echo request */
	g_assert_cmpint(vsw_fwd_guard(&p, f, len, len, 14), ==, VSW_DROP_NONE);
	/* An RA behind a hop-by-hop header is still an RA. */
	len = l4_frame(f, true, 0, 0, 0, 0, 0);
	f[54] = 58;		/* HBH: next header ICMPv6, length 0 (8 bytes) */
	f[55] = 0;
	f[62] = 134;
	g_assert_cmpint(vsw_fwd_guard(&p, f, 70, 70, 14), ==, VSW_DROP_ROUTER_GUARD);
	/* A chain that leaves the bytes the guard sees is dropped, not passed. */
	f[55] = 40;		/* HBH of 328 bytes */
	g_assert_cmpint(vsw_fwd_guard(&p, f, 70, 400, 14), ==, VSW_DROP_ROUTER_GUARD);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fwd/flood-then-unicast", test_flood_then_unicast);
	g_test_add_func("/fwd/vlans", test_vlans);
	g_test_add_func("/fwd/drops", test_drops);
	g_test_add_func("/fwd/trunk", test_trunk);
	g_test_add_func("/fwd/priority-qinq", test_priority_and_qinq);
	g_test_add_func("/fwd/stale-entry-after-vlan-change", test_stale_entry_after_vlan_change);
	g_test_add_func("/fwd/guard/mac-lock", test_mac_lock);
	g_test_add_func("/fwd/guard/reserved-macs", test_reserved_macs);
	g_test_add_func("/fwd/guard/dhcp", test_dhcp_guard);
	g_test_add_func("/fwd/guard/router", test_router_guard);
	return g_test_run();
}
