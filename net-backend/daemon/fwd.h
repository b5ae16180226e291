/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fwd.h - the forwarding decision: frame + ingress port in, egress set out.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Rules (DESIGN.md, "the rules a switch enforces"):
 *   - Every frame belongs to one VLAN domain: 0 (untagged) or 1..4094.
 *     An access port puts its frames in its VLAN; a trunk port reads the
 *     802.1Q tag (untagged and priority-tagged frames go to its native
 *     VLAN, which may be 0).
 *   - A tagged frame from an access port is dropped: no VLAN hopping.
 *   - Frames never leave their domain: unicast goes to the learnt port if
 *     it is still a member, everything else floods to the members.
 *   - The ingress port never gets its own frame back.
 *   - The source address is learnt as (domain, MAC) -> ingress port;
 *     multicast and all-zero sources are dropped.
 *
 * vsw_fwd_decide() reads only its arguments and the MAC table it is given
 * (which it also updates), so unit tests call it directly.
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
	VSW_DROP_MAX
};

extern const char *const vsw_drop_names[VSW_DROP_MAX];

/**
 * struct vsw_fwd_port - what forwarding needs to know of a port.
 * @index:   slot in the switch, < VSW_SWITCH_MAX_PORTS
 * @mode:    enum vsw_port_mode
 * @vlan:    access: its VLAN (0 untagged); trunk: native VLAN (0 none)
 * @allowed: trunk: bitmap of allowed VLANs (bit v), NULL for all
 */
struct vsw_fwd_port {
	uint16_t index;
	uint8_t mode;
	uint16_t vlan;
	const uint64_t *allowed;
};

/**
 * struct vsw_fwd_switch - the ports of one switch and its MAC table.
 * @ports:  indexed by port index; NULL for a free slot
 * @nslots: entries of @ports to look at
 * @mt:     the switch's MAC table
 */
struct vsw_fwd_switch {
	struct vsw_fwd_port *const *ports;
	unsigned nslots;
	struct vsw_mac_table *mt;
};

/**
 * struct vsw_fwd_result - the decision.
 * @drop:      VSW_DROP_NONE, or why the frame goes nowhere
 * @vlan:      the frame's VLAN domain
 * @l2_len:    bytes of Ethernet header on ingress (14, or 18 if tagged)
 * @flood:     true if the frame went to every member (unknown/multicast)
 * @n:         number of egress ports in @out
 * @out:       egress port indices
 */
struct vsw_fwd_result {
	enum vsw_drop drop;
	uint16_t vlan;
	uint8_t l2_len;
	bool flood;
	unsigned n;
	uint16_t out[VSW_SWITCH_MAX_PORTS];
};

/**
 * vsw_fwd_decide() - decide where a frame goes, learning its source.
 * @sw:   the switch
 * @in:   ingress port (a member of @sw)
 * @eth:  private copy of the frame's first min(@len, 18) bytes
 * @len:  frame length
 * @now:  clock for the MAC table, in ms
 * @res:  the decision
 */
void vsw_fwd_decide(const struct vsw_fwd_switch *sw, const struct vsw_fwd_port *in,
		    const uint8_t *eth, uint32_t len, uint64_t now,
		    struct vsw_fwd_result *res);

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
