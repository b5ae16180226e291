/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mactable.h - the MAC learning table of one switch.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * What it is.  A map (VLAN, MAC) -> port index that the switch fills from
 * the source address of every frame it receives, and reads to send a
 * unicast frame to one port instead of flooding it.  VLAN here is the
 * frame's VLAN domain (0 for the untagged domain), so the same MAC may be
 * learnt on different ports in different VLANs, as on a real switch.
 *
 * Bounds.  The table holds at most @capacity entries, allocated once at
 * creation: learning never allocates and never fails.  Buckets are twice
 * the capacity (a power of two) and the hash is keyed with a random seed
 * per table, so a guest that picks its MACs cannot make long chains.
 *
 * Aging.  An entry not refreshed for @aging_ms is gone: lookups ignore it
 * and vsw_mac_age() frees it.  A refresh is cheap and happens at most once
 * a second per entry (the timestamp granularity), so the hot path almost
 * never writes to the table.
 *
 * Fair eviction.  When the table is full, a new address evicts the oldest
 * entry of the port that holds the most entries.  A guest flooding random
 * source MACs (a classic CAM-overflow attack that turns a switch into a
 * hub) therefore only ever evicts its own entries once it is the biggest
 * user; every other port keeps its addresses.  This is the policy of
 * Open vSwitch's mac-learning.
 *
 * Each port keeps its entries on a list in refresh order (oldest first),
 * which makes both eviction and aging O(1) per entry.
 *
 * Threads.  One writer: the data path thread owns the table.  The control
 * plane reads it only through the data path (a command that copies it).
 */
#ifndef VSWITCH_MACTABLE_H
#define VSWITCH_MACTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define VSW_SWITCH_MAX_PORTS	1024	/* port indices 0..VSW_SWITCH_MAX_PORTS-1 */
#define VSW_MAC_CAPACITY_DEFAULT	8192
#define VSW_MAC_AGING_MS_DEFAULT	300000

/**
 * struct vsw_mac_entry - one learnt address.
 * @mac:   the address
 * @vlan:  its VLAN domain
 * @port:  port index it was last seen on
 * @used:  true while the entry is in the table
 * @hnext: next entry in the hash chain (index, or VSW_MAC_NIL)
 * @prev:  previous entry on the port's list
 * @next:  next entry on the port's list
 * @seen:  last refresh, in ms (the caller's clock)
 */
struct vsw_mac_entry {
	uint8_t mac[6];
	uint16_t vlan;
	uint16_t port;
	uint16_t used;
	uint32_t hnext;
	uint32_t prev;
	uint32_t next;
	uint64_t seen;
};

#define VSW_MAC_NIL	UINT32_MAX

/* Per-port list of entries, oldest first. */
struct vsw_mac_plist {
	uint32_t head;
	uint32_t tail;
	uint32_t count;
};

/**
 * struct vsw_mac_stats - what the table did, for counters.
 */
struct vsw_mac_stats {
	uint64_t learned;
	uint64_t moved;
	uint64_t evicted;
	uint64_t aged;
};

struct vsw_mac_table {
	struct vsw_mac_entry *e;
	uint32_t *buckets;
	uint32_t capacity;
	uint32_t mask;			/* buckets - 1 */
	uint32_t n;			/* entries in use */
	uint32_t free_head;		/* free list through hnext */
	uint32_t max_port;		/* highest port index + 1 ever used */
	uint64_t seed;
	uint64_t aging_ms;
	struct vsw_mac_stats stats;
	struct vsw_mac_plist ports[VSW_SWITCH_MAX_PORTS];
};

/**
 * vsw_mac_table_init() - allocate a table.
 * @capacity: maximum entries (1..1M)
 * @aging_ms: idle time after which an entry expires (> 0)
 * @seed:     hash key; pass a random value
 * Return: 0 or -ENOMEM / -EINVAL.
 */
int vsw_mac_table_init(struct vsw_mac_table *t, uint32_t capacity,
		       uint64_t aging_ms, uint64_t seed);

/** vsw_mac_table_destroy() - free the table's memory. */
void vsw_mac_table_destroy(struct vsw_mac_table *t);

/**
 * vsw_mac_learn() - note that @mac in @vlan was seen on @port at @now.
 * Return: 0 refreshed (or nothing to do), 1 new entry, 2 moved from
 * another port.  Never fails: a full table evicts (see above).
 */
int vsw_mac_learn(struct vsw_mac_table *t, uint16_t vlan, const uint8_t mac[6],
		  uint16_t port, uint64_t now);

/**
 * vsw_mac_lookup() - port index of (@vlan, @mac), or -1 if unknown or expired.
 */
int vsw_mac_lookup(const struct vsw_mac_table *t, uint16_t vlan,
		   const uint8_t mac[6], uint64_t now);

/** vsw_mac_flush_port() - forget every entry of @port. */
void vsw_mac_flush_port(struct vsw_mac_table *t, uint16_t port);

/** vsw_mac_age() - free entries idle for aging_ms or more; Return: how many. */
unsigned vsw_mac_age(struct vsw_mac_table *t, uint64_t now);

/** vsw_mac_port_count() - entries learnt on @port. */
static inline uint32_t vsw_mac_port_count(const struct vsw_mac_table *t,
					  uint16_t port)
{
	return port < VSW_SWITCH_MAX_PORTS ? t->ports[port].count : 0;
}

#endif /* VSWITCH_MACTABLE_H */
