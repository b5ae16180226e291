/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ring-ops.h - producer and consumer of one vswitch byte ring (private).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Shared by libvswitch (the client side) and vswitchd (the switch side), so
 * both speak exactly the protocol documented in <vswitch/ring.h>.  Each side
 * keeps a private struct with its own index and a cached copy of the peer's,
 * touches the peer's cache line only when the cache says it must, and
 * publishes once per batch.
 *
 * Rules:
 *   - A producer reserves, fills and commits records, then publishes them
 *     all with one store (vsw_prod_publish()).
 *   - A consumer peeks, advances, and releases the space with one store
 *     (vsw_cons_release()).
 *   - Every value read from the ring (indices, lengths, flags) is read once
 *     and validated; nonsense makes the call return -EPROTO and the caller
 *     resets the port.  Nothing here trusts the peer.
 */
#ifndef VSWITCH_RING_OPS_H
#define VSWITCH_RING_OPS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "vswitch/ring.h"

#define VSW_READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define VSW_WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/**
 * struct vsw_ring_prod - private state of a ring's producer.
 * @ring:       shared indices
 * @data:       shared data area
 * @size:       data area size (power of two)
 * @prod:       next byte to write (unpublished records lie in [published, prod))
 * @published:  last value stored in ring->prod
 * @cons_cache: last value read from ring->cons
 */
struct vsw_ring_prod {
	struct vsw_ring *ring;
	uint8_t *data;
	uint32_t size;
	uint32_t prod;
	uint32_t published;
	uint32_t cons_cache;
};

/**
 * struct vsw_ring_cons - private state of a ring's consumer.
 * @ring:       shared indices
 * @data:       shared data area
 * @size:       data area size (power of two)
 * @cons:       next byte to read (bytes before it are done)
 * @released:   last value stored in ring->cons
 * @prod_cache: last validated value read from ring->prod
 */
struct vsw_ring_cons {
	struct vsw_ring *ring;
	uint8_t *data;
	uint32_t size;
	uint32_t cons;
	uint32_t released;
	uint32_t prod_cache;
};

/**
 * struct vsw_rec_view - one record as the consumer sees it.
 * @vnet:  private copy of the record's virtio-net header
 * @data:  the frame, in shared memory: the peer may still change it
 * @len:   frame length, validated against the ring bounds
 * @size:  footprint of the record in the ring
 */
struct vsw_rec_view {
	struct vsw_vnet_hdr vnet;
	const uint8_t *data;
	uint32_t len;
	uint32_t size;
};

static inline void vsw_ring_prod_init(struct vsw_ring_prod *p,
				      struct vsw_ring *ring, uint8_t *data,
				      uint32_t size)
{
	p->ring = ring;
	p->data = data;
	p->size = size;
	p->prod = p->published = VSW_READ_ONCE(ring->prod);
	p->cons_cache = VSW_READ_ONCE(ring->cons);
}

static inline void vsw_ring_cons_init(struct vsw_ring_cons *c,
				      struct vsw_ring *ring, uint8_t *data,
				      uint32_t size)
{
	c->ring = ring;
	c->data = data;
	c->size = size;
	c->cons = c->released = VSW_READ_ONCE(ring->cons);
	c->prod_cache = c->cons;
}

/* Bytes free for the producer, by its cache; -1 if the peer's cons is nonsense. */
static inline int64_t vsw_prod_free(const struct vsw_ring_prod *p)
{
	uint32_t used = p->prod - p->cons_cache;

	if (used > p->size || (p->cons_cache & (VSW_REC_ALIGN - 1)))
		return -1;
	return p->size - used;
}

/* Bytes a record of @len frame bytes takes at the current position (with padding). */
static inline uint32_t vsw_prod_need(const struct vsw_ring_prod *p, uint32_t len)
{
	uint32_t need = vsw_rec_size(len);
	uint32_t tail = p->size - (p->prod & (p->size - 1));

	return need > tail ? tail + need : need;
}

/**
 * vsw_prod_reserve() - make room for a record of @len frame bytes.
 * @p:   producer
 * @len: frame length, at most VSW_FRAME_MAX
 *
 * Return: the record header to fill (then vsw_prod_commit()), NULL if the
 * ring is full (*@err = 0) or the consumer's index is nonsense
 * (*@err = -EPROTO).
 */
static inline struct vsw_rec *vsw_prod_reserve(struct vsw_ring_prod *p,
					       uint32_t len, int *err)
{
	uint32_t need = vsw_rec_size(len);
	uint32_t off = p->prod & (p->size - 1);
	uint32_t tail = p->size - off;
	uint32_t total = vsw_prod_need(p, len);
	int64_t avail = vsw_prod_free(p);

	*err = 0;
	if (avail < (int64_t)total) {
		/* Acquire: the consumer's reads of those bytes are done. */
		p->cons_cache = __atomic_load_n(&p->ring->cons, __ATOMIC_ACQUIRE);
		avail = vsw_prod_free(p);
		if (avail < 0) {
			*err = -EPROTO;
			return NULL;
		}
		if (avail < (int64_t)total)
			return NULL;
	}
	if (need > tail) {
		struct vsw_rec *pad = (struct vsw_rec *)(p->data + off);

		pad->len = tail;
		pad->flags = VSW_REC_PAD;
		p->prod += tail;
		off = 0;
	}
	return (struct vsw_rec *)(p->data + off);
}

/* Account a filled record; it becomes visible at the next publish. */
static inline void vsw_prod_commit(struct vsw_ring_prod *p, uint32_t len)
{
	p->prod += vsw_rec_size(len);
}

/**
 * vsw_prod_publish() - make committed records visible to the consumer.
 *
 * Return: true if the consumer sleeps and must be kicked.
 */
static inline bool vsw_prod_publish(struct vsw_ring_prod *p)
{
	if (p->prod == p->published)
		return false;
	/* Release: the records' bytes are visible before the index that covers them. */
	__atomic_store_n(&p->ring->prod, p->prod, __ATOMIC_RELEASE);
	p->published = p->prod;
	/*
	 * Full barrier: order the store of prod before the load of cons_flags.
	 * Pairs with the barrier in vsw_cons_arm(): either the consumer sees
	 * our prod, or we see its NEED_KICK.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return VSW_READ_ONCE(p->ring->cons_flags) & VSW_RING_F_NEED_KICK;
}

/**
 * vsw_prod_arm() - ask for a kick once @len frame bytes fit.
 *
 * Return: true if the room is already there (do not sleep).
 */
static inline bool vsw_prod_arm(struct vsw_ring_prod *p, uint32_t len)
{
	VSW_WRITE_ONCE(p->ring->prod_flags, VSW_RING_F_NEED_SPACE);
	/* Full barrier: pairs with vsw_cons_release(); see vsw_prod_publish(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	p->cons_cache = __atomic_load_n(&p->ring->cons, __ATOMIC_ACQUIRE);
	return vsw_prod_free(p) >= (int64_t)vsw_prod_need(p, len);
}

static inline void vsw_prod_disarm(struct vsw_ring_prod *p)
{
	if (VSW_READ_ONCE(p->ring->prod_flags))
		VSW_WRITE_ONCE(p->ring->prod_flags, 0);
}

/**
 * vsw_cons_peek() - look at the next record without consuming it.
 * @c: consumer
 * @v: filled with a validated view of the record
 *
 * Return: 1 with @v filled, 0 if the ring is empty, -EPROTO if the producer
 * wrote nonsense (the caller resets the port).
 */
static inline int vsw_cons_peek(struct vsw_ring_cons *c, struct vsw_rec_view *v)
{
	for (;;) {
		uint32_t avail, off, len, flags, need;
		const struct vsw_rec *rec;

		if (c->cons == c->prod_cache) {
			/* Acquire: pairs with the release in vsw_prod_publish(). */
			uint32_t prod = __atomic_load_n(&c->ring->prod, __ATOMIC_ACQUIRE);

			if (prod - c->cons > c->size || (prod & (VSW_REC_ALIGN - 1)))
				return -EPROTO;
			if (prod == c->cons)
				return 0;
			c->prod_cache = prod;
		}
		avail = c->prod_cache - c->cons;
		off = c->cons & (c->size - 1);
		rec = (const struct vsw_rec *)(c->data + off);
		len = VSW_READ_ONCE(rec->len);
		flags = VSW_READ_ONCE(rec->flags);
		if (flags & VSW_REC_PAD) {
			need = c->size - off;
			if (need > avail)
				return -EPROTO;
			c->cons += need;
			continue;
		}
		if (len > VSW_FRAME_MAX)
			return -EPROTO;
		need = vsw_rec_size(len);
		if (need > avail || need > c->size - off)
			return -EPROTO;
		memcpy(&v->vnet, (const void *)&rec->vnet, sizeof(v->vnet));
		v->data = (const uint8_t *)(rec + 1);
		v->len = len;
		v->size = need;
		return 1;
	}
}

static inline void vsw_cons_advance(struct vsw_ring_cons *c,
				    const struct vsw_rec_view *v)
{
	c->cons += v->size;
}

/**
 * vsw_cons_release() - give consumed bytes back to the producer.
 *
 * Return: true if the producer waits for space and must be kicked.
 */
static inline bool vsw_cons_release(struct vsw_ring_cons *c)
{
	if (c->cons == c->released)
		return false;
	/* Release: our reads of the records finish before the producer reuses them. */
	__atomic_store_n(&c->ring->cons, c->cons, __ATOMIC_RELEASE);
	c->released = c->cons;
	/* Full barrier: pairs with vsw_prod_arm(); see vsw_prod_publish(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return VSW_READ_ONCE(c->ring->prod_flags) & VSW_RING_F_NEED_SPACE;
}

/**
 * vsw_cons_arm() - ask for a kick on the next publish before sleeping.
 *
 * Return: true if records are already pending (do not sleep).
 */
static inline bool vsw_cons_arm(struct vsw_ring_cons *c)
{
	VSW_WRITE_ONCE(c->ring->cons_flags, VSW_RING_F_NEED_KICK);
	/* Full barrier: pairs with the one in vsw_prod_publish(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&c->ring->prod, __ATOMIC_ACQUIRE) != c->cons;
}

static inline void vsw_cons_disarm(struct vsw_ring_cons *c)
{
	if (VSW_READ_ONCE(c->ring->cons_flags))
		VSW_WRITE_ONCE(c->ring->cons_flags, 0);
}

/**
 * vsw_shm_hdr_check() - is @hdr (a private copy of a port memory's header)
 * one this code can use for a mapping of @size bytes?  Magic, version,
 * features, sizes, and offsets that keep both rings and both data areas
 * inside the mapping and apart.  Return: 0 or -EPROTO.
 */
static inline int vsw_shm_hdr_check(const struct vsw_shm_hdr *hdr, uint64_t size)
{
	uint64_t need;

	if (hdr->magic != VSW_SHM_MAGIC || hdr->version != VSW_SHM_VERSION ||
	    hdr->hdr_size < sizeof(*hdr) || hdr->total_size != size ||
	    (hdr->features & ~VSW_SHM_FEATURES_KNOWN))
		return -EPROTO;
	if (hdr->data_size < VSW_DATA_SIZE_MIN || hdr->data_size > VSW_DATA_SIZE_MAX ||
	    (hdr->data_size & (hdr->data_size - 1)))
		return -EPROTO;
	for (int i = 0; i < 2; i++) {
		if (hdr->ring_off[i] % VSW_CACHELINE ||
		    (uint64_t)hdr->ring_off[i] + sizeof(struct vsw_ring) > size ||
		    hdr->ring_off[i] < sizeof(*hdr))
			return -EPROTO;
		need = (uint64_t)hdr->data_off[i] + hdr->data_size;
		if (hdr->data_off[i] % VSW_CACHELINE || need > size ||
		    hdr->data_off[i] < sizeof(*hdr))
			return -EPROTO;
	}
	/* The two data areas must not overlap each other or the rings. */
	if (hdr->data_off[0] < hdr->data_off[1] + (uint64_t)hdr->data_size &&
	    hdr->data_off[1] < hdr->data_off[0] + (uint64_t)hdr->data_size)
		return -EPROTO;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (hdr->ring_off[i] < hdr->data_off[j] + (uint64_t)hdr->data_size &&
			    hdr->data_off[j] < hdr->ring_off[i] + sizeof(struct vsw_ring))
				return -EPROTO;
	if (hdr->ring_off[0] < hdr->ring_off[1] + sizeof(struct vsw_ring) &&
	    hdr->ring_off[1] < hdr->ring_off[0] + sizeof(struct vsw_ring))
		return -EPROTO;
	return 0;
}

/*
 * Ring a doorbell (the write end of a pipe, or an eventfd): 8 bytes.  A
 * full pipe (EAGAIN) means a kick is pending already; a reader that went
 * away (EPIPE) has nobody to wake.  Either way there is nothing to do.
 */
static inline void vsw_doorbell_kick(int fd)
{
	uint64_t one = 1;

	(void)!write(fd, &one, sizeof(one));
}

/* True if records are published and not yet consumed (no validation). */
static inline bool vsw_cons_pending(const struct vsw_ring_cons *c)
{
	return __atomic_load_n(&c->ring->prod, __ATOMIC_ACQUIRE) != c->cons;
}

#endif /* VSWITCH_RING_OPS_H */
