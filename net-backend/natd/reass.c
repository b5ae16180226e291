// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reass.c - IPv4 reassembly so that libslirp only ever sees whole datagrams.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * See reass.h for the contract.  Layout of the work: check_frame() checks
 * a frame's headers and says whether it is a fragment; frag_find() scans
 * the table once, dropping timed-out datagrams and finding the fragment's
 * own (or a free entry, or the oldest to evict); frag_add() applies the end,
 * overlap and duplicate rules, then copies the payload into the datagram's
 * buffer at DATA_OFF + offset.  The offset-0 fragment's Ethernet and IP
 * headers go right before DATA_OFF, so the complete frame is built in place.
 *
 * Holes are tracked per 8-byte block of payload: @rcvd has a bit for every
 * block some kept fragment covers, @start one for every block a kept
 * fragment starts at.  Kept fragments never overlap, so a kept block that is
 * not a start belongs to the same fragment as the block before it; that is
 * what lets the two bitmaps recognise an exact duplicate.  Only a last
 * fragment can end inside a block, and nothing is kept past the end once it
 * is known, so @got (bytes kept) == end means complete.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reass.h"

#define ETH_HLEN		14
#define ETH_TYPE_OFF		12
#define ETH_P_IPV4		0x0800

#define IPV4_HLEN_MIN		20
#define IPV4_HLEN_MAX		60
#define IPV4_DF			0x4000
#define IPV4_MF			0x2000
#define IPV4_OFFSET		0x1fff
#define IPV4_TOT_MAX		65535u

/* Payload of the largest datagram: 65535 minus the smallest header. */
#define PAYLOAD_MAX		(IPV4_TOT_MAX - IPV4_HLEN_MIN)
/* Where the payload starts in a buffer: room for both headers before it. */
#define DATA_OFF		(ETH_HLEN + IPV4_HLEN_MAX)
#define BLOCK			8u
/* Blocks of PAYLOAD_MAX, plus the one after the last (see is_duplicate()). */
#define BLOCKS			((PAYLOAD_MAX + BLOCK - 1) / BLOCK + 1)
#define MAP_WORDS		((BLOCKS + 63) / 64)

/* The buffer of one datagram in progress (or of the last DONE output). */
struct dgram_buf {
	uint64_t rcvd[MAP_WORDS];	/* blocks a kept fragment covers */
	uint64_t start[MAP_WORDS];	/* blocks a kept fragment starts at */
	uint8_t data[DATA_OFF + PAYLOAD_MAX];
};

/*
 * struct dgram - one table entry, free when @buf is NULL.
 * @seq:       creation order; the smallest is the oldest
 * @born_ms:   when the first fragment arrived
 * @saddr, @daddr, @id, @proto: the key, byte for byte from the header
 * @have_first: the offset-0 fragment is kept; @hl is its header length
 * @have_last: the last fragment is kept; @end is its end = payload length
 * @max_end:   highest end of any kept fragment
 * @got:       payload bytes kept
 * @df:        the offset-0 fragment's DF bit
 */
struct dgram {
	struct dgram_buf *buf;
	uint64_t seq;
	uint64_t born_ms;
	uint8_t saddr[4];
	uint8_t daddr[4];
	uint8_t id[2];
	uint8_t proto;
	bool have_first;
	bool have_last;
	uint8_t hl;
	uint16_t df;
	uint32_t end;
	uint32_t max_end;
	uint32_t got;
};

struct vsw_reass {
	struct dgram *tab;
	unsigned max;
	unsigned pending;
	uint64_t timeout_ms;
	uint64_t next_seq;
	struct dgram_buf *spare;	/* a free buffer for the next datagram */
	struct dgram_buf *out_buf;	/* holds the last DONE output */
	struct vsw_reass_stats st;
};

/* A fragment as check_frame() found it. */
struct frag {
	const uint8_t *eth;
	const uint8_t *ip;
	uint32_t hl;		/* its own header length */
	uint32_t off;		/* payload offset in bytes */
	uint32_t plen;		/* payload length */
	bool mf;
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Internet checksum of an IPv4 header (@len even, <= 60): 0 if it verifies. */
static uint16_t hdr_csum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- bitmaps of 8-byte blocks; every range is [b0, b1), b1 <= BLOCKS ---- */

/*
 * The bits of [*b0, b1) that lie in word *b0 / 64: returns that word's
 * index and its mask, and moves *b0 to the next word.  *b0 < b1.
 */
static unsigned map_span(unsigned *b0, unsigned b1, uint64_t *mask)
{
	unsigned w = *b0 / 64, lo = *b0 % 64;
	unsigned n = b1 - *b0 < 64 - lo ? b1 - *b0 : 64 - lo;	/* 1..64 */

	*mask = ~(uint64_t)0 >> (64 - n) << lo;
	*b0 += n;
	return w;
}

static bool map_any(const uint64_t *map, unsigned b0, unsigned b1)
{
	while (b0 < b1) {
		uint64_t m;
		unsigned w = map_span(&b0, b1, &m);

		if (map[w] & m)
			return true;
	}
	return false;
}

static bool map_all(const uint64_t *map, unsigned b0, unsigned b1)
{
	while (b0 < b1) {
		uint64_t m;
		unsigned w = map_span(&b0, b1, &m);

		if ((map[w] & m) != m)
			return false;
	}
	return true;
}

static void map_set(uint64_t *map, unsigned b0, unsigned b1)
{
	while (b0 < b1) {
		uint64_t m;
		unsigned w = map_span(&b0, b1, &m);

		map[w] |= m;
	}
}

static bool map_test(const uint64_t *map, unsigned b)
{
	return map[b / 64] >> (b % 64) & 1;
}

/* ---- buffers ---- */

static struct dgram_buf *buf_get(struct vsw_reass *r)
{
	struct dgram_buf *b = r->spare;

	if (b)
		r->spare = NULL;
	else
		b = malloc(sizeof(*b));
	if (b) {
		memset(b->rcvd, 0, sizeof(b->rcvd));
		memset(b->start, 0, sizeof(b->start));
	}
	return b;
}

static void buf_put(struct vsw_reass *r, struct dgram_buf *b)
{
	if (!r->spare)
		r->spare = b;
	else
		free(b);
}

/* The last DONE output is no longer needed. */
static void out_release(struct vsw_reass *r)
{
	if (r->out_buf) {
		buf_put(r, r->out_buf);
		r->out_buf = NULL;
	}
}

static void dgram_drop(struct vsw_reass *r, struct dgram *d)
{
	buf_put(r, d->buf);
	d->buf = NULL;
	r->pending--;
}

static bool expired(const struct vsw_reass *r, const struct dgram *d,
		    uint64_t now_ms)
{
	return now_ms > d->born_ms && now_ms - d->born_ms > r->timeout_ms;
}

/* ---- the public API ---- */

struct vsw_reass *vsw_reass_new(unsigned max_datagrams, uint64_t timeout_ms)
{
	struct vsw_reass *r;

	if (!max_datagrams || max_datagrams > VSW_REASS_MAX_DATAGRAMS) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->tab = calloc(max_datagrams, sizeof(*r->tab));
	if (!r->tab) {
		free(r);
		return NULL;
	}
	r->max = max_datagrams;
	r->timeout_ms = timeout_ms;
	return r;
}

void vsw_reass_free(struct vsw_reass *r)
{
	unsigned i;

	if (!r)
		return;
	for (i = 0; i < r->max; i++)
		free(r->tab[i].buf);
	free(r->spare);
	free(r->out_buf);
	free(r->tab);
	free(r);
}

void vsw_reass_expire(struct vsw_reass *r, uint64_t now_ms)
{
	unsigned i;

	out_release(r);
	for (i = 0; i < r->max; i++) {
		struct dgram *d = &r->tab[i];

		if (d->buf && expired(r, d, now_ms)) {
			dgram_drop(r, d);
			r->st.timed_out++;
		}
	}
}

void vsw_reass_get_stats(const struct vsw_reass *r, struct vsw_reass_stats *st)
{
	*st = r->st;
}

unsigned vsw_reass_pending(const struct vsw_reass *r)
{
	return r->pending;
}

/*
 * check_frame() - the checks of reass.h on one frame.
 * Return: VSW_REASS_PASS, VSW_REASS_DROP (malformed, not counted here), or
 * VSW_REASS_HELD for a well-formed fragment, described in @fr.
 */
static enum vsw_reass_verdict check_frame(const uint8_t *f, uint32_t len,
					  struct frag *fr)
{
	const uint8_t *ip;
	uint32_t hl, tot, frag;

	if (len < ETH_HLEN + IPV4_HLEN_MIN ||
	    rd16(f + ETH_TYPE_OFF) != ETH_P_IPV4)
		return VSW_REASS_DROP;
	ip = f + ETH_HLEN;
	if (ip[0] >> 4 != 4)
		return VSW_REASS_DROP;
	hl = (ip[0] & 0xfu) * 4;
	if (hl < IPV4_HLEN_MIN || hl > len - ETH_HLEN || hdr_csum(ip, hl))
		return VSW_REASS_DROP;
	tot = rd16(ip + 2);
	if (tot < hl || tot > len - ETH_HLEN)
		return VSW_REASS_DROP;
	frag = rd16(ip + 6);
	if (!(frag & (IPV4_MF | IPV4_OFFSET)))
		return VSW_REASS_PASS;

	fr->eth = f;
	fr->ip = ip;
	fr->hl = hl;
	fr->off = (frag & IPV4_OFFSET) * BLOCK;
	fr->plen = tot - hl;
	fr->mf = frag & IPV4_MF;
	if (!fr->plen || (fr->mf && fr->plen % BLOCK) ||
	    fr->off + fr->plen > IPV4_TOT_MAX - hl)
		return VSW_REASS_DROP;
	return VSW_REASS_HELD;
}

static bool key_match(const struct dgram *d, const uint8_t *ip)
{
	return d->proto == ip[9] && !memcmp(d->id, ip + 4, 2) &&
	       !memcmp(d->saddr, ip + 12, 4) && !memcmp(d->daddr, ip + 16, 4);
}

/*
 * frag_find() - the entry for @ip's datagram, after dropping every
 * timed-out datagram met.  A new datagram gets a free entry, or the oldest
 * one's (evicted), and a buffer.
 * Return: the entry, or NULL if no buffer could be had (counted).
 */
static struct dgram *frag_find(struct vsw_reass *r, const uint8_t *ip,
			       uint64_t now_ms)
{
	/* The oldest matters only when every entry is in use, tab[0] too. */
	struct dgram *d, *free_d = NULL, *oldest = &r->tab[0];
	unsigned i;

	for (i = 0; i < r->max; i++) {
		d = &r->tab[i];
		if (d->buf && expired(r, d, now_ms)) {
			dgram_drop(r, d);
			r->st.timed_out++;
		}
		if (!d->buf) {
			if (!free_d)
				free_d = d;
			continue;
		}
		if (key_match(d, ip))
			return d;
		if (d->seq < oldest->seq)
			oldest = d;
	}

	d = free_d;
	if (!d) {
		d = oldest;		/* the table is full */
		dgram_drop(r, d);
		r->st.evicted++;
	}
	d->buf = buf_get(r);
	if (!d->buf) {
		r->st.nomem++;
		return NULL;
	}
	r->pending++;
	d->seq = r->next_seq++;
	d->born_ms = now_ms;
	memcpy(d->saddr, ip + 12, 4);
	memcpy(d->daddr, ip + 16, 4);
	memcpy(d->id, ip + 4, 2);
	d->proto = ip[9];
	d->have_first = false;
	d->have_last = false;
	d->hl = 0;
	d->df = 0;
	d->end = 0;
	d->max_end = 0;
	d->got = 0;
	return d;
}

/*
 * [b0, b1) is exactly one kept fragment: kept throughout, a fragment starts
 * at b0 and none inside, and the next block is a start or not kept.  Only
 * the last fragment ends inside a block, and the caller has checked that
 * its end is the datagram's.  b1 <= BLOCKS - 1, so b1 can be tested.
 */
static bool is_duplicate(const struct dgram_buf *b, unsigned b0, unsigned b1)
{
	return map_test(b->start, b0) && map_all(b->rcvd, b0, b1) &&
	       !map_any(b->start, b0 + 1, b1) &&
	       (!map_test(b->rcvd, b1) || map_test(b->start, b1));
}

/* Build the complete frame in place; the datagram's buffer becomes out_buf. */
static void dgram_finish(struct vsw_reass *r, struct dgram *d,
			 const uint8_t **out, uint32_t *out_len)
{
	uint8_t *ip = d->buf->data + DATA_OFF - d->hl;

	wr16(ip + 2, (uint16_t)(d->hl + d->end));
	wr16(ip + 6, d->df);
	wr16(ip + 10, 0);
	wr16(ip + 10, hdr_csum(ip, d->hl));
	*out = ip - ETH_HLEN;
	*out_len = ETH_HLEN + d->hl + d->end;

	r->out_buf = d->buf;
	d->buf = NULL;
	r->pending--;
	r->st.reassembled++;
}

/*
 * frag_add() - apply the rules of reass.h to a well-formed fragment of @d.
 * Return: VSW_REASS_HELD, VSW_REASS_DONE or VSW_REASS_DROP (counted; @d is
 * dropped then).
 */
static enum vsw_reass_verdict frag_add(struct vsw_reass *r, struct dgram *d,
				       const struct frag *fr,
				       const uint8_t **out, uint32_t *out_len)
{
	uint32_t end = fr->off + fr->plen, max_end, first_hl;
	unsigned b0 = fr->off / BLOCK, b1 = (end + BLOCK - 1) / BLOCK;
	struct dgram_buf *b = d->buf;

	/* The end rules, then the size with the offset-0 header. */
	if (!fr->mf) {
		if ((d->have_last && end != d->end) || end < d->max_end)
			goto inconsistent;
	} else if (d->have_last && end > d->end) {
		goto inconsistent;
	}
	max_end = end > d->max_end ? end : d->max_end;
	first_hl = d->have_first ? d->hl : fr->off ? 0 : fr->hl;
	if (first_hl + max_end > IPV4_TOT_MAX)
		goto inconsistent;

	if (map_any(b->rcvd, b0, b1)) {
		if (is_duplicate(b, b0, b1)) {
			r->st.duplicates++;
			return VSW_REASS_HELD;
		}
		dgram_drop(r, d);
		r->st.overlaps++;
		return VSW_REASS_DROP;
	}

	memcpy(b->data + DATA_OFF + fr->off, fr->ip + fr->hl, fr->plen);
	map_set(b->rcvd, b0, b1);
	map_set(b->start, b0, b0 + 1);
	d->got += fr->plen;
	d->max_end = max_end;
	if (!fr->mf) {
		d->have_last = true;
		d->end = end;
	}
	if (!fr->off) {
		d->have_first = true;
		d->hl = (uint8_t)fr->hl;
		d->df = rd16(fr->ip + 6) & IPV4_DF;
		memcpy(b->data + DATA_OFF - fr->hl, fr->ip, fr->hl);
		memcpy(b->data + DATA_OFF - fr->hl - ETH_HLEN, fr->eth,
		       ETH_HLEN);
	}

	if (d->have_last && d->have_first && d->got == d->end) {
		dgram_finish(r, d, out, out_len);
		return VSW_REASS_DONE;
	}
	return VSW_REASS_HELD;

inconsistent:
	dgram_drop(r, d);
	r->st.inconsistent++;
	return VSW_REASS_DROP;
}

enum vsw_reass_verdict vsw_reass_input(struct vsw_reass *r,
				       const uint8_t *frame, uint32_t len,
				       uint64_t now_ms, const uint8_t **out,
				       uint32_t *out_len)
{
	enum vsw_reass_verdict v;
	struct frag fr;
	struct dgram *d;

	*out = NULL;
	*out_len = 0;
	out_release(r);

	v = check_frame(frame, len, &fr);
	if (v == VSW_REASS_DROP)
		r->st.malformed++;
	if (v != VSW_REASS_HELD)
		return v;

	r->st.fragments++;
	d = frag_find(r, fr.ip, now_ms);
	if (!d)
		return VSW_REASS_DROP;
	return frag_add(r, d, &fr, out, out_len);
}
