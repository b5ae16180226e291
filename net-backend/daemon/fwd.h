/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fwd.h - the forwarding decision: frame + ingress port in, egress set out.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Rules (docs/design.md, "The model users see"):
 *   - Every frame belongs to one VLAN domain: 0 (untagged) or 1..4094.
 *     An access port puts its frames in its VLAN; a trunk port reads the
 *     802.1Q tag (untagged frames go to its native VLAN, which may be 0).
 *     Priority-tagged frames (VID 0) belong to the port's own VLAN (its
 *     access VLAN, or a trunk's native one), as 802.1Q says.
 *   - A frame tagged with a VID from an access port is dropped: no VLAN
 *     hopping.  802.1ad frames (0x88a8, 0x9100) and frames with a second
 *     tag inside the first (QinQ) are dropped from every port.
 *   - The priority bits (PCP) of an ingress tag are kept on an egress tag.
 *   - Frames never leave their domain: unicast goes to the learnt port if
 *     it is still a member, everything else floods to the members.
 *   - The ingress port never gets its own frame back.
 *   - A tagged frame from a trunk (the NIC) for a VLAN no other port is
 *     in goes nowhere and is counted ("unused-vlan").
 *   - The source address is learnt as (domain, MAC) -> ingress port;
 *     multicast and all-zero sources are dropped.
 *
 * Port guards (Hyper-V's, docs/design.md "Port guards"), each a drop
 * counted on the ingress port:
 *   - MAC lock (MAC address spoofing off, the default for VM ports): the
 *     port may send only from the addresses in its @macs (its provisioned
 *     or declared MAC); a port with none yet sends nothing.  Nothing else
 *     is learnt from it, so it cannot take another port's traffic.
 *   - Reserved MACs: a switch may reserve address prefixes for one of its
 *     own ports (the NAT's 52:55 and 52:56); no other port may send from
 *     them, whatever its guards, so the gateway is never learnt elsewhere.
 *   - DHCP guard: DHCPv4 (UDP from port 67 or to port 68) and DHCPv6
 *     server messages (UDP from port 547 or to port 546) are dropped.
 *   - Router guard: ICMPv6 router advertisements (134) and redirects (137),
 *     and ICMPv4 redirects (5), are dropped.
 *   The MAC checks are part of vsw_fwd_decide() (they depend on the
 *   source address and the port, like the decision the data path caches);
 *   the DHCP and router guards look deeper into the frame and are a
 *   function of their own, vsw_fwd_guard(), that the data path calls for
 *   ports with those guards on.  Headers the guards cannot see whole in the
 *   bytes they are given (an IPv6 extension chain too long) are dropped by
 *   a port with a guard on: a guard that can be walked around is none.
 *
 * vsw_fwd_decide() and vsw_fwd_guard() read only their arguments and the
 * MAC table they are given (which vsw_fwd_decide() also updates), so unit
 * tests call them directly.
 */
#ifndef VSWITCH_FWD_H
#define VSWITCH_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "mactable.h"

enum vsw_port_mode {
	VSW_MODE_ACCESS = 0,	/* one VLAN (or untagged), frames untagged */
	VSW_MODE_TRUNK = 1,	/* tagged frames of the allowed VLANs + native */
};

/* Drop reasons; the names in vsw_drop_names[] are part of the protocol. */
enum vsw_drop {
	VSW_DROP_NONE = 0,
	VSW_DROP_RING_FULL,	/* egress ring full */
	VSW_DROP_RUNT,		/* shorter than an Ethernet header */
	VSW_DROP_VLAN,		/* tagged frame on an access port, VLAN not allowed */
	VSW_DROP_BAD_SOURCE,	/* multicast or zero source MAC */
	VSW_DROP_HAIRPIN,	/* destination is the ingress port itself */
	VSW_DROP_BAD_OFFLOAD,	/* GSO/checksum request that cannot be honoured */
	VSW_DROP_MAC_SPOOF,	/* source MAC the port may not send from */
	VSW_DROP_DHCP_GUARD,	/* DHCP server message from a port with the DHCP guard */
	VSW_DROP_ROUTER_GUARD,	/* RA or redirect from a port with the router guard */
	VSW_DROP_OVER_BUDGET,	/* copies and segments beyond what one frame may cost */
	VSW_DROP_UNUSED_VLAN,	/* tagged, from a trunk, for a VLAN no other port is in */
	VSW_DROP_MAX
};

extern const char *const vsw_drop_names[VSW_DROP_MAX];

#define VSW_FWD_MACS_MAX	8
#define VSW_FWD_RESERVED_MAX	4

/* struct vsw_fwd_port.flags */
#define VSW_FWD_F_MAC_LOCK	1u	/* may send only from @macs */
#define VSW_FWD_F_DHCP_GUARD	2u
#define VSW_FWD_F_ROUTER_GUARD	4u
#define VSW_FWD_F_RESERVED	8u	/* owns the switch's reserved MACs */
#define VSW_FWD_F_GUARDS	(VSW_FWD_F_DHCP_GUARD | VSW_FWD_F_ROUTER_GUARD)

/**
 * struct vsw_mac_prefix - a MAC address, or the first @len bytes of one.
 * @mac: the address
 * @len: bytes that must match, 1..6 (6: one address)
 */
struct vsw_mac_prefix {
	uint8_t mac[6];
	uint8_t len;
};

/**
 * struct vsw_fwd_port - what forwarding needs to know of a port.
 * @index:   slot in the switch, < VSW_SWITCH_MAX_PORTS
 * @mode:    enum vsw_port_mode
 * @flags:   VSW_FWD_F_*: its guards
 * @nmacs:   entries of @macs
 * @vlan:    access: its VLAN (0 untagged); trunk: native VLAN (0 none)
 * @macs:    VSW_FWD_F_MAC_LOCK: the addresses it may send from
 * @allowed: trunk: bitmap of allowed VLANs (bit v), NULL for all
 */
struct vsw_fwd_port {
	uint16_t index;
	uint8_t mode;
	uint8_t flags;
	uint8_t nmacs;
	uint16_t vlan;
	struct vsw_mac_prefix macs[VSW_FWD_MACS_MAX];
	const uint64_t *allowed;
};

/**
 * struct vsw_fwd_switch - the ports of one switch and its MAC table.
 * @ports:     indexed by port index; NULL for a free slot
 * @nslots:    entries of @ports to look at
 * @mt:        the switch's MAC table
 * @nreserved: entries of @reserved
 * @reserved:  prefixes only a port with VSW_FWD_F_RESERVED may send from
 */
struct vsw_fwd_switch {
	struct vsw_fwd_port *const *ports;
	unsigned nslots;
	struct vsw_mac_table *mt;
	unsigned nreserved;
	struct vsw_mac_prefix reserved[VSW_FWD_RESERVED_MAX];
};

/**
 * struct vsw_fwd_result - the decision.
 * @drop:      VSW_DROP_NONE, or why the frame goes nowhere
 * @vlan:      the frame's VLAN domain
 * @pcp:       802.1p priority of its ingress tag (0 if untagged)
 * @l2_len:    bytes of Ethernet header on ingress (14, or 18 if tagged)
 * @flood:     true if the frame went to every member (unknown/multicast)
 * @n:         number of egress ports in @out
 * @out:       egress port indices
 */
struct vsw_fwd_result {
	enum vsw_drop drop;
	uint16_t vlan;
	uint8_t pcp;
	uint8_t l2_len;
	bool flood;
	unsigned n;
	uint16_t out[VSW_SWITCH_MAX_PORTS];
};

/**
 * vsw_fwd_decide() - decide where a frame goes, learning its source.
 * @sw:   the switch
 * @in:   ingress port (a member of @sw)
 * @eth:  private copy of the frame's first min(@len, 18) bytes (tagged
 *        frames shorter than 20 bytes are runts)
 * @len:  frame length
 * @now:  clock for the MAC table, in ms
 * @res:  the decision
 */
void vsw_fwd_decide(const struct vsw_fwd_switch *sw, const struct vsw_fwd_port *in,
		    const uint8_t *eth, uint32_t len, uint64_t now,
		    struct vsw_fwd_result *res);

/**
 * vsw_fwd_guard() - the DHCP and router guards of @in (see the rules above).
 * @in:        ingress port, with VSW_FWD_F_DHCP_GUARD and/or _ROUTER_GUARD
 * @hdr:       private copy of the frame's first @hdr_len bytes
 * @hdr_len:   bytes in @hdr
 * @frame_len: length of the whole frame
 * @l2_len:    Ethernet header length the decision found (14, or 18 tagged)
 *
 * Return: VSW_DROP_NONE, VSW_DROP_DHCP_GUARD or VSW_DROP_ROUTER_GUARD.
 */
enum vsw_drop vsw_fwd_guard(const struct vsw_fwd_port *in, const uint8_t *hdr,
			    uint32_t hdr_len, uint32_t frame_len, unsigned l2_len);

/** vsw_mac_prefix_match() - @mac begins with @p. */
static inline bool vsw_mac_prefix_match(const struct vsw_mac_prefix *p, const uint8_t *mac)
{
	for (unsigned i = 0; i < p->len; i++)
		if (p->mac[i] != mac[i])
			return false;
	return true;
}

/** vsw_fwd_member() - true if @p carries VLAN domain @vlan. */
bool vsw_fwd_member(const struct vsw_fwd_port *p, uint16_t vlan);

/**
 * vsw_fwd_egress_tag() - the 802.1Q VLAN ID to put on a frame of domain
 * @vlan leaving through @p, or 0 to send it untagged.
 */
static inline uint16_t vsw_fwd_egress_tag(const struct vsw_fwd_port *p, uint16_t vlan)
{
	return p->mode == VSW_MODE_TRUNK && vlan != 0 && vlan != p->vlan ? vlan : 0;
}

#endif /* VSWITCH_FWD_H */
