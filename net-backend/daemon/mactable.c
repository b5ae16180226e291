// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mactable.c - bounded, aging, fairly evicting MAC table (see mactable.h).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mactable.h"

/* Refresh an entry's timestamp (and list position) at most this often. */
#define REFRESH_MS	1000

static inline uint64_t mac_key(uint16_t vlan, const uint8_t mac[6])
{
	return (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 |
	       (uint64_t)mac[4] << 8 | mac[5] | (uint64_t)vlan << 48;
}

/* splitmix64 finaliser over the seeded key: every input bit moves the bucket. */
static inline uint32_t mac_bucket(const struct vsw_mac_table *t, uint64_t key)
{
	uint64_t z = key ^ t->seed;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint32_t)z & t->mask;
}

static inline bool entry_is(const struct vsw_mac_entry *e, uint16_t vlan,
			    const uint8_t mac[6])
{
	return e->vlan == vlan && !memcmp(e->mac, mac, 6);
}

int vsw_mac_table_init(struct vsw_mac_table *t, uint32_t capacity,
		       uint64_t aging_ms, uint64_t seed)
{
	uint32_t nb = 2;

	memset(t, 0, sizeof(*t));
	if (capacity < 1 || capacity > (1u << 20) || aging_ms == 0)
		return -EINVAL;
	while (nb < 2 * capacity)
		nb <<= 1;
	t->e = calloc(capacity, sizeof(*t->e));
	t->buckets = malloc(nb * sizeof(*t->buckets));
	if (!t->e || !t->buckets) {
		vsw_mac_table_destroy(t);
		return -ENOMEM;
	}
	memset(t->buckets, 0xff, nb * sizeof(*t->buckets));
	t->capacity = capacity;
	t->mask = nb - 1;
	t->seed = seed;
	t->aging_ms = aging_ms;
	for (uint32_t i = 0; i < capacity; i++)
		t->e[i].hnext = i + 1 < capacity ? i + 1 : VSW_MAC_NIL;
	t->free_head = 0;
	for (uint32_t p = 0; p < VSW_SWITCH_MAX_PORTS; p++)
		t->ports[p].head = t->ports[p].tail = VSW_MAC_NIL;
	return 0;
}

void vsw_mac_table_destroy(struct vsw_mac_table *t)
{
	free(t->e);
	free(t->buckets);
	t->e = NULL;
	t->buckets = NULL;
	t->capacity = 0;
}

static uint32_t find(const struct vsw_mac_table *t, uint16_t vlan,
		     const uint8_t mac[6])
{
	uint32_t i = t->buckets[mac_bucket(t, mac_key(vlan, mac))];

	while (i != VSW_MAC_NIL) {
		if (entry_is(&t->e[i], vlan, mac))
			return i;
		i = t->e[i].hnext;
	}
	return VSW_MAC_NIL;
}

static void plist_unlink(struct vsw_mac_table *t, uint32_t i)
{
	struct vsw_mac_entry *e = &t->e[i];
	struct vsw_mac_plist *l = &t->ports[e->port];

	if (e->prev != VSW_MAC_NIL)
		t->e[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != VSW_MAC_NIL)
		t->e[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	l->count--;
}

static void plist_append(struct vsw_mac_table *t, uint32_t i)
{
	struct vsw_mac_entry *e = &t->e[i];
	struct vsw_mac_plist *l = &t->ports[e->port];

	e->next = VSW_MAC_NIL;
	e->prev = l->tail;
	if (l->tail != VSW_MAC_NIL)
		t->e[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->count++;
	if (e->port >= t->max_port)
		t->max_port = e->port + 1u;
}

/* Remove entry @i from its chain and its port list; put it on the free list. */
static void remove_entry(struct vsw_mac_table *t, uint32_t i)
{
	struct vsw_mac_entry *e = &t->e[i];
	uint32_t *pp = &t->buckets[mac_bucket(t, mac_key(e->vlan, e->mac))];

	while (*pp != i)
		pp = &t->e[*pp].hnext;
	*pp = e->hnext;
	plist_unlink(t, i);
	e->used = 0;
	e->hnext = t->free_head;
	t->free_head = i;
	t->n--;
}

/* The oldest entry of the port holding the most entries. */
static uint32_t eviction_victim(const struct vsw_mac_table *t)
{
	uint32_t best = 0, count = 0;

	for (uint32_t p = 0; p < t->max_port; p++) {
		if (t->ports[p].count > count) {
			count = t->ports[p].count;
			best = p;
		}
	}
	return t->ports[best].head;
}

int vsw_mac_learn(struct vsw_mac_table *t, uint16_t vlan, const uint8_t mac[6],
		  uint16_t port, uint64_t now)
{
	uint32_t i = find(t, vlan, mac), b;
	struct vsw_mac_entry *e;

	if (port >= VSW_SWITCH_MAX_PORTS)
		return 0;
	if (i != VSW_MAC_NIL) {
		e = &t->e[i];
		if (e->port == port) {
			if (now - e->seen < REFRESH_MS)
				return 0;
			plist_unlink(t, i);
			e->seen = now;
			plist_append(t, i);
			return 0;
		}
		plist_unlink(t, i);
		e->port = port;
		e->seen = now;
		plist_append(t, i);
		t->stats.moved++;
		return 2;
	}
	if (t->free_head == VSW_MAC_NIL) {
		remove_entry(t, eviction_victim(t));
		t->stats.evicted++;
	}
	i = t->free_head;
	e = &t->e[i];
	t->free_head = e->hnext;
	memcpy(e->mac, mac, 6);
	e->vlan = vlan;
	e->port = port;
	e->used = 1;
	e->seen = now;
	b = mac_bucket(t, mac_key(vlan, mac));
	e->hnext = t->buckets[b];
	t->buckets[b] = i;
	plist_append(t, i);
	t->n++;
	t->stats.learned++;
	return 1;
}

int vsw_mac_lookup(const struct vsw_mac_table *t, uint16_t vlan,
		   const uint8_t mac[6], uint64_t now)
{
	uint32_t i = find(t, vlan, mac);

	if (i == VSW_MAC_NIL || now - t->e[i].seen >= t->aging_ms)
		return -1;
	return t->e[i].port;
}

void vsw_mac_flush_port(struct vsw_mac_table *t, uint16_t port)
{
	if (port >= VSW_SWITCH_MAX_PORTS)
		return;
	while (t->ports[port].head != VSW_MAC_NIL)
		remove_entry(t, t->ports[port].head);
}

unsigned vsw_mac_age(struct vsw_mac_table *t, uint64_t now)
{
	unsigned n = 0;

	for (uint32_t p = 0; p < t->max_port; p++) {
		uint32_t i;

		while ((i = t->ports[p].head) != VSW_MAC_NIL &&
		       now - t->e[i].seen >= t->aging_ms) {
			remove_entry(t, i);
			n++;
		}
	}
	t->stats.aged += n;
	return n;
}
