// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-reass.c - unit tests of IPv4 reassembly in front of libslirp.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Datagrams are built whole (UDP with a correct checksum), then cut into
 * fragments by hand.  A completed datagram must equal, byte for byte, the
 * unfragmented frame built from the same fields, and its header checksum
 * must verify against a deliberately naive RFC 1071 reference.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "reass.h"

#define ETH_HLEN	14
#define TIMEOUT_MS	1000
#define DF		0x4000
#define MF		0x2000
#define FRAME_MAX	(ETH_HLEN + 65535 + 64)

/* ---- reference checksum and byte helpers ---- */

static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- building datagrams and fragments ---- */

/* What identifies a datagram, and its whole IP payload. */
struct dgram {
	uint8_t saddr[4];
	uint8_t daddr[4];
	uint16_t id;
	uint8_t proto;
	uint8_t *pay;		/* g_malloc'ed */
	uint32_t plen;
};

/*
 * A UDP datagram of @plen bytes (UDP header included) from 10.0.2.15 to
 * 10.0.2.2, payload bytes derived from @seed, with a correct UDP checksum.
 */
static void dgram_init(struct dgram *d, uint16_t id, uint32_t plen,
		       uint8_t seed)
{
	uint8_t ph[12];
	uint32_t i;

	g_assert_cmpuint(plen, >=, 8);
	*d = (struct dgram){
		.saddr = { 10, 0, 2, 15 },
		.daddr = { 10, 0, 2, 2 },
		.id = id,
		.proto = 17,
		.pay = g_malloc(plen),
		.plen = plen,
	};
	for (i = 8; i < plen; i++)
		d->pay[i] = (uint8_t)(i * 7 + seed + (i >> 8));
	put16(d->pay, 40000);
	put16(d->pay + 2, 53);
	put16(d->pay + 4, plen <= 0xffff ? plen : 0);
	put16(d->pay + 6, 0);
	memcpy(ph, d->saddr, 4);
	memcpy(ph + 4, d->daddr, 4);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, plen);
	put16(d->pay + 6, (uint16_t)~ref_fold(ref_sum(d->pay, plen,
						       ref_sum(ph, 12, 0))));
}

static void dgram_clear(struct dgram *d)
{
	g_free(d->pay);
	d->pay = NULL;
}

/*
 * Build one frame of @d into @f: Ethernet header (source MAC ending in
 * @mac), an IPv4 header of @hl bytes (options: a Router Alert, then NOPs),
 * @flags (DF/MF/reserved) and fragment offset @off in bytes, then @len
 * payload bytes from @off.  Return: the frame length.
 */
static uint32_t build(uint8_t *f, const struct dgram *d, uint32_t hl,
		      uint16_t flags, uint32_t off, uint32_t len, uint8_t mac)
{
	static const uint8_t dst[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	uint8_t *ip = f + ETH_HLEN;
	uint32_t i;

	g_assert_cmpuint(hl % 4, ==, 0);
	g_assert_cmpuint(off + len, <=, d->plen);
	memcpy(f, dst, 6);
	f[6] = 0x52;
	f[7] = 0x54;
	f[8] = 0;
	f[9] = 0x12;
	f[10] = 0x34;
	f[11] = mac;
	put16(f + 12, 0x0800);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0;
	put16(ip + 2, hl + len);
	put16(ip + 4, d->id);
	put16(ip + 6, flags | off / 8);
	ip[8] = 64;
	ip[9] = d->proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, d->saddr, 4);
	memcpy(ip + 16, d->daddr, 4);
	for (i = 20; i < hl; i++)
		ip[i] = 1;			/* NOP */
	if (hl >= 24) {
		ip[20] = 0x94;			/* Router Alert, copied */
		ip[21] = 4;
		ip[22] = 0;
		ip[23] = 0;
	}
	put16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, hl, 0)));
	memcpy(ip + hl, d->pay + off, len);
	return ETH_HLEN + hl + len;
}

/* Fix the IPv4 header checksum of @f after a test changed the header. */
static void fix_csum(uint8_t *f)
{
	uint8_t *ip = f + ETH_HLEN;
	uint32_t hl = (ip[0] & 0xfu) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ref_fold(ref_sum(ip, hl, 0)));
}

/* A table and the last result. */
struct ctx {
	struct vsw_reass *r;
	uint8_t *f;		/* frame scratch, FRAME_MAX */
	uint8_t *want;		/* expected output, FRAME_MAX */
	const uint8_t *out;
	uint32_t out_len;
	uint64_t now;
};

static void ctx_init(struct ctx *c, unsigned max)
{
	c->r = vsw_reass_new(max, TIMEOUT_MS);
	g_assert_nonnull(c->r);
	c->f = g_malloc(FRAME_MAX);
	c->want = g_malloc(FRAME_MAX);
	c->out = NULL;
	c->out_len = 0;
	c->now = 1000000;
}

static void ctx_clear(struct ctx *c)
{
	vsw_reass_free(c->r);
	g_free(c->f);
	g_free(c->want);
}

static enum vsw_reass_verdict feed_frame(struct ctx *c, uint32_t len)
{
	enum vsw_reass_verdict v;

	c->out = (const uint8_t *)c;	/* must be overwritten */
	c->out_len = 12345;
	v = vsw_reass_input(c->r, c->f, len, c->now, &c->out, &c->out_len);
	if (v != VSW_REASS_DONE) {
		g_assert_null(c->out);
		g_assert_cmpuint(c->out_len, ==, 0);
	}
	g_assert_cmpuint(vsw_reass_pending(c->r), <=, 1024);
	return v;
}

/* Feed the fragment [off, off + len) of @d (header 20 bytes, no DF). */
static enum vsw_reass_verdict feed(struct ctx *c, const struct dgram *d,
				   uint32_t off, uint32_t len, bool more)
{
	return feed_frame(c, build(c->f, d, 20, more ? MF : 0, off, len, 1));
}

static struct vsw_reass_stats stats(const struct ctx *c)
{
	struct vsw_reass_stats st;

	vsw_reass_get_stats(c->r, &st);
	return st;
}

/*
 * The last output is @d whole, as build() makes it with header length @hl,
 * flags @flags and source MAC @mac: byte for byte, with a valid header
 * checksum, the right total length and no MF or offset.
 */
static void assert_done(struct ctx *c, const struct dgram *d, uint32_t hl,
			uint16_t flags, uint8_t mac)
{
	uint32_t want_len = build(c->want, d, hl, flags, 0, d->plen, mac);
	const uint8_t *ip = c->out + ETH_HLEN;

	g_assert_nonnull(c->out);
	g_assert_cmpuint(c->out_len, ==, want_len);
	g_assert_cmpuint(be16(ip + 2), ==, c->out_len - ETH_HLEN);
	g_assert_cmpuint(be16(ip + 6) & 0x3fff, ==, 0);
	g_assert_cmpuint(ref_fold(ref_sum(ip, (ip[0] & 0xfu) * 4u, 0)), ==,
			 0xffff);
	g_assert_cmpmem(c->out, c->out_len, c->want, want_len);
}

/* ---- tests ---- */

static void test_new_args(void)
{
	struct vsw_reass *r;

	errno = 0;
	g_assert_null(vsw_reass_new(0, TIMEOUT_MS));
	g_assert_cmpint(errno, ==, EINVAL);
	errno = 0;
	g_assert_null(vsw_reass_new(VSW_REASS_MAX_DATAGRAMS + 1, TIMEOUT_MS));
	g_assert_cmpint(errno, ==, EINVAL);
	r = vsw_reass_new(VSW_REASS_MAX_DATAGRAMS, TIMEOUT_MS);
	g_assert_nonnull(r);
	g_assert_cmpuint(vsw_reass_pending(r), ==, 0);
	vsw_reass_free(r);
	vsw_reass_free(NULL);
}

static void test_pass(void)
{
	struct ctx c;
	struct dgram d;
	struct vsw_reass_stats st;
	uint32_t len;

	ctx_init(&c, 64);
	dgram_init(&d, 1, 100, 0);

	len = build(c.f, &d, 20, 0, 0, d.plen, 1);
	g_assert_cmpint(feed_frame(&c, len), ==, VSW_REASS_PASS);
	len = build(c.f, &d, 20, DF, 0, d.plen, 1);
	g_assert_cmpint(feed_frame(&c, len), ==, VSW_REASS_PASS);
	len = build(c.f, &d, 24, DF, 0, d.plen, 1);
	g_assert_cmpint(feed_frame(&c, len), ==, VSW_REASS_PASS);
	/* Ethernet padding after the datagram is fine. */
	len = build(c.f, &d, 20, 0, 0, 8, 1);
	memset(c.f + len, 0xee, 60 - len);
	g_assert_cmpint(feed_frame(&c, 60), ==, VSW_REASS_PASS);

	st = stats(&c);
	g_assert_cmpuint(st.fragments, ==, 0);
	g_assert_cmpuint(st.malformed, ==, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);

	/* A whole datagram with a pending one's key passes it by. */
	g_assert_cmpint(feed(&c, &d, 0, 56, true), ==, VSW_REASS_HELD);
	len = build(c.f, &d, 20, 0, 0, d.plen, 1);
	g_assert_cmpint(feed_frame(&c, len), ==, VSW_REASS_PASS);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	g_assert_cmpint(feed(&c, &d, 56, 44, false), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 20, 0, 1);
	dgram_clear(&d);
	ctx_clear(&c);
}

/* Fragments of 1480, 1480 and 1136 bytes: a 4 KiB UDP datagram. */
static const uint32_t frag3_off[3] = { 0, 1480, 2960 };
static const uint32_t frag3_len[3] = { 1480, 1480, 1136 };

static enum vsw_reass_verdict feed3(struct ctx *c, const struct dgram *d,
				    unsigned i)
{
	/* The non-first fragments carry another source MAC: not used. */
	return feed_frame(c, build(c->f, d, 20, i < 2 ? MF : 0, frag3_off[i],
				   frag3_len[i], i == 0 ? 1 : 9));
}

static void test_in_order(void)
{
	struct vsw_reass_stats st;
	struct dgram d;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&d, 0x1234, 4096, 1);

	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 20, 0, 1);
	g_assert_cmpuint(c.out_len, ==, ETH_HLEN + 20 + 4096);
	g_assert_cmpuint(be16(c.out + ETH_HLEN + 2), ==, 20 + 4096);
	g_assert_cmpuint(be16(c.out + ETH_HLEN + 6), ==, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);

	st = stats(&c);
	g_assert_cmpuint(st.fragments, ==, 3);
	g_assert_cmpuint(st.reassembled, ==, 1);
	g_assert_cmpuint(st.malformed + st.overlaps + st.duplicates +
			 st.inconsistent + st.evicted + st.timed_out +
			 st.nomem, ==, 0);
	dgram_clear(&d);
	ctx_clear(&c);
}

static void test_permutations(void)
{
	static const unsigned perm[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	struct dgram d;
	struct ctx c;
	unsigned p;

	ctx_init(&c, 64);
	for (p = 0; p < 6; p++) {
		dgram_init(&d, (uint16_t)(0x100 + p), 4096, (uint8_t)p);
		g_assert_cmpint(feed3(&c, &d, perm[p][0]), ==, VSW_REASS_HELD);
		g_assert_cmpint(feed3(&c, &d, perm[p][1]), ==, VSW_REASS_HELD);
		g_assert_cmpint(feed3(&c, &d, perm[p][2]), ==, VSW_REASS_DONE);
		assert_done(&c, &d, 20, 0, 1);
		g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);
		dgram_clear(&d);
	}
	g_assert_cmpuint(stats(&c).reassembled, ==, 6);
	ctx_clear(&c);
}

static void test_lone_last(void)
{
	struct dgram d;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&d, 7, 4096, 2);

	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_HELD);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	vsw_reass_expire(c.r, c.now + TIMEOUT_MS);	/* not older yet */
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	g_assert_cmpuint(stats(&c).timed_out, ==, 0);
	vsw_reass_expire(c.r, c.now + TIMEOUT_MS + 1);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);
	g_assert_cmpuint(stats(&c).timed_out, ==, 1);

	/* The same key later starts afresh and completes. */
	c.now += 5000;
	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 20, 0, 1);
	g_assert_cmpuint(stats(&c).timed_out, ==, 1);
	dgram_clear(&d);
	ctx_clear(&c);
}

static void test_lone_first(void)
{
	struct dgram a, b;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&a, 8, 4096, 3);
	dgram_init(&b, 9, 4096, 4);

	g_assert_cmpint(feed3(&c, &a, 0), ==, VSW_REASS_HELD);
	vsw_reass_expire(c.r, c.now + TIMEOUT_MS + 1);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);
	g_assert_cmpuint(stats(&c).timed_out, ==, 1);

	/* Lazily: the old first fragment is not used for the new datagram. */
	g_assert_cmpint(feed3(&c, &a, 0), ==, VSW_REASS_HELD);
	c.now += TIMEOUT_MS + 1;
	g_assert_cmpint(feed3(&c, &a, 1), ==, VSW_REASS_HELD);
	g_assert_cmpuint(stats(&c).timed_out, ==, 2);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	g_assert_cmpint(feed3(&c, &a, 2), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &a, 0), ==, VSW_REASS_DONE);
	assert_done(&c, &a, 20, 0, 1);

	/* Lazily too: another datagram's fragment drops a timed-out one. */
	g_assert_cmpint(feed3(&c, &a, 0), ==, VSW_REASS_HELD);
	c.now += TIMEOUT_MS + 1;
	g_assert_cmpint(feed3(&c, &b, 0), ==, VSW_REASS_HELD);
	g_assert_cmpuint(stats(&c).timed_out, ==, 3);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);

	/* A clock going backwards ages nothing. */
	vsw_reass_expire(c.r, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	dgram_clear(&a);
	dgram_clear(&b);
	ctx_clear(&c);
}

static void test_duplicate(void)
{
	struct vsw_reass_stats st;
	struct dgram d;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&d, 10, 4096, 5);

	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_HELD);
	/* A duplicate with other bytes changes nothing either. */
	build(c.f, &d, 20, 0, 2960, 1136, 1);
	memset(c.f + ETH_HLEN + 20, 0xaa, 1136);
	g_assert_cmpint(feed_frame(&c, ETH_HLEN + 20 + 1136), ==,
			VSW_REASS_HELD);
	st = stats(&c);
	g_assert_cmpuint(st.duplicates, ==, 3);
	g_assert_cmpuint(st.overlaps, ==, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);

	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 20, 0, 1);
	st = stats(&c);
	g_assert_cmpuint(st.fragments, ==, 6);
	g_assert_cmpuint(st.reassembled, ==, 1);

	/* The middle one spans bitmap words 2 to 5. */
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 20, 0, 1);
	g_assert_cmpuint(stats(&c).duplicates, ==, 5);
	dgram_clear(&d);
	ctx_clear(&c);
}

/* Keep [0, 1480) and [2960, 4096), then feed [off, off + len) with @more. */
static void overlap_case(uint32_t off, uint32_t len, bool more)
{
	struct vsw_reass_stats st;
	struct dgram d;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&d, 11, 4096, 6);

	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &d, off, len, more), ==, VSW_REASS_DROP);
	st = stats(&c);
	g_assert_cmpuint(st.overlaps, ==, 1);
	g_assert_cmpuint(st.duplicates, ==, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);

	/* The whole datagram is gone: the missing middle completes nothing. */
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	dgram_clear(&d);
	ctx_clear(&c);
}

static void test_overlap(void)
{
	overlap_case(1472, 1480, true);	/* into the first's tail */
	overlap_case(8, 8, true);		/* inside the first */
	overlap_case(0, 1472, true);		/* same start, shorter */
	overlap_case(0, 2960, true);		/* same start, longer */
	overlap_case(1480, 1488, true);	/* into the last's head */
	overlap_case(2952, 1144, false);	/* a last starting earlier */
	overlap_case(8, 4088, false);		/* all but the first block */
}

/* Two adjacent kept fragments and one covering both: not a duplicate. */
static void test_overlap_span(void)
{
	struct dgram d;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&d, 12, 4096, 7);
	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &d, 0, 2960, true), ==, VSW_REASS_DROP);
	g_assert_cmpuint(stats(&c).overlaps, ==, 1);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);
	dgram_clear(&d);
	ctx_clear(&c);
}

static void test_end_conflict(void)
{
	struct vsw_reass_stats st;
	struct dgram d, big;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&d, 13, 4096, 8);
	dgram_init(&big, 14, 65535 - 20, 9);

	/* A second last fragment with another end. */
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &d, 2960, 1000, false), ==, VSW_REASS_DROP);
	g_assert_cmpuint(stats(&c).inconsistent, ==, 1);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);
	/* ... or a further end, right after the first last fragment. */
	g_assert_cmpint(feed(&c, &d, 2960, 1000, false), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &d, 3960, 136, false), ==, VSW_REASS_DROP);
	g_assert_cmpuint(stats(&c).inconsistent, ==, 2);
	g_assert_cmpuint(stats(&c).overlaps, ==, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);

	/* A fragment beyond the known end. */
	g_assert_cmpint(feed(&c, &d, 0, 1480, true), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &d, 2960, 1000, false), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &d, 3960, 8, true), ==, VSW_REASS_DROP);
	g_assert_cmpuint(stats(&c).inconsistent, ==, 3);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);

	/* A last fragment ending before bytes already kept. */
	g_assert_cmpint(feed(&c, &d, 2960, 1000, true), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &d, 8, 2952, false), ==, VSW_REASS_DROP);
	g_assert_cmpuint(stats(&c).inconsistent, ==, 4);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);

	/* Each fragment fits on its own, the offset-0 header makes it big. */
	g_assert_cmpint(feed(&c, &big, 65472, 8, false), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed_frame(&c, build(c.f, &big, 60, MF, 0, 8, 1)), ==,
			VSW_REASS_DROP);
	st = stats(&c);
	g_assert_cmpuint(st.inconsistent, ==, 5);
	/* The same the other way round: the long header first. */
	g_assert_cmpint(feed_frame(&c, build(c.f, &big, 60, MF, 0, 8, 1)), ==,
			VSW_REASS_HELD);
	g_assert_cmpint(feed(&c, &big, 65472, 8, false), ==, VSW_REASS_DROP);
	st = stats(&c);
	g_assert_cmpuint(st.inconsistent, ==, 6);
	g_assert_cmpuint(st.malformed, ==, 0);
	g_assert_cmpuint(st.overlaps, ==, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);
	dgram_clear(&d);
	dgram_clear(&big);
	ctx_clear(&c);
}

/* Feed the frame in c->f of @len: it must be malformed and change nothing. */
static void assert_malformed(struct ctx *c, uint32_t len, const char *what)
{
	struct vsw_reass_stats before = stats(c), after;
	unsigned pending = vsw_reass_pending(c->r);

	g_test_message("malformed: %s", what);
	g_assert_cmpint(feed_frame(c, len), ==, VSW_REASS_DROP);
	after = stats(c);
	g_assert_cmpuint(after.malformed, ==, before.malformed + 1);
	g_assert_cmpuint(after.fragments, ==, before.fragments);
	g_assert_cmpuint(vsw_reass_pending(c->r), ==, pending);
}

static void test_malformed(void)
{
	uint8_t *ip;
	struct dgram d, big;
	struct ctx c;
	uint32_t len;

	ctx_init(&c, 64);
	ip = c.f + ETH_HLEN;
	dgram_init(&d, 15, 4096, 10);
	dgram_init(&big, 16, 65536, 11);

	/* A kept first fragment that none of the bad ones may disturb. */
	g_assert_cmpint(feed3(&c, &d, 0), ==, VSW_REASS_HELD);

	len = build(c.f, &d, 20, MF, 1480, 1480, 1);
	ip[10] ^= 1;
	assert_malformed(&c, len, "bad checksum");
	len = build(c.f, &d, 20, 0, 0, 100, 1);
	ip[11] ^= 0x80;
	assert_malformed(&c, len, "bad checksum, not a fragment");
	len = build(c.f, &d, 20, MF, 1480, 1479, 1);
	assert_malformed(&c, len, "middle fragment not a multiple of 8");
	len = build(c.f, &big, 20, 0, 65512, 4, 1);
	assert_malformed(&c, len, "ends 1 byte beyond 65535");
	len = build(c.f, &big, 24, 0, 65504, 8, 1);
	assert_malformed(&c, len, "beyond 65535 with its own options");
	len = build(c.f, &d, 20, MF, 1480, 0, 1);
	assert_malformed(&c, len, "empty fragment");
	len = build(c.f, &d, 20, 0, 2960, 0, 1);
	assert_malformed(&c, len, "empty last fragment");

	build(c.f, &d, 20, MF, 1480, 1480, 1);
	assert_malformed(&c, ETH_HLEN + 19, "truncated header");
	assert_malformed(&c, ETH_HLEN, "no header");
	assert_malformed(&c, 3, "shorter than Ethernet");
	build(c.f, &d, 24, MF, 1480, 0, 1);
	assert_malformed(&c, ETH_HLEN + 22, "options cut off");
	len = build(c.f, &d, 20, MF, 1480, 1480, 1);
	ip[0] = 0x65;
	fix_csum(c.f);
	assert_malformed(&c, len, "version 6");
	len = build(c.f, &d, 20, MF, 1480, 1480, 1);
	ip[0] = 0x44;
	fix_csum(c.f);
	assert_malformed(&c, len, "IHL 4");
	len = build(c.f, &d, 20, MF, 1480, 1480, 1);
	assert_malformed(&c, len - 1, "total length beyond the frame");
	len = build(c.f, &d, 20, MF, 1480, 1480, 1);
	put16(ip + 2, 19);
	fix_csum(c.f);
	assert_malformed(&c, len, "total length below the header");
	len = build(c.f, &d, 20, MF, 1480, 1480, 1);
	put16(c.f + 12, 0x86dd);
	assert_malformed(&c, len, "not ethertype 0x0800");

	/* The kept fragment is intact: the rest completes the datagram. */
	g_assert_cmpint(feed3(&c, &d, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d, 2), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 20, 0, 1);
	g_assert_cmpuint(stats(&c).malformed, ==, 16);
	dgram_clear(&d);
	dgram_clear(&big);
	ctx_clear(&c);
}

/* Ethernet padding after a short last fragment is not payload. */
static void test_padding(void)
{
	struct dgram d;
	struct ctx c;
	uint32_t len;

	ctx_init(&c, 64);
	dgram_init(&d, 17, 1488, 12);
	g_assert_cmpint(feed(&c, &d, 0, 1480, true), ==, VSW_REASS_HELD);
	len = build(c.f, &d, 20, 0, 1480, 8, 1);
	g_assert_cmpuint(len, ==, 42);
	memset(c.f + len, 0xee, 60 - len);
	g_assert_cmpint(feed_frame(&c, 60), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 20, 0, 1);
	dgram_clear(&d);
	ctx_clear(&c);
}

/* The offset-0 fragment's header and options and DF make the output's. */
static void test_header(void)
{
	struct dgram d;
	struct ctx c;
	uint32_t len;

	ctx_init(&c, 64);
	dgram_init(&d, 18, 4096, 13);

	/* Non-first fragments without options, with DF and reserved bit. */
	g_assert_cmpint(feed_frame(&c, build(c.f, &d, 20, 0x8000 | MF, 1480,
					     1480, 9)), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed_frame(&c, build(c.f, &d, 20, DF, 2960, 1136, 9)),
			==, VSW_REASS_HELD);
	len = build(c.f, &d, 24, DF | 0x8000 | MF, 0, 1480, 1);
	g_assert_cmpint(feed_frame(&c, len), ==, VSW_REASS_DONE);
	assert_done(&c, &d, 24, DF, 1);
	g_assert_cmpuint(be16(c.out + ETH_HLEN + 6), ==, DF);
	g_assert_cmpuint(c.out[ETH_HLEN + 20], ==, 0x94);

	/* No DF on the offset-0 fragment: none on the output. */
	g_assert_cmpint(feed_frame(&c, build(c.f, &d, 60, MF, 0, 1480, 1)), ==,
			VSW_REASS_HELD);
	g_assert_cmpint(feed_frame(&c, build(c.f, &d, 20, DF | MF, 1480, 1480,
					     9)), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed_frame(&c, build(c.f, &d, 20, DF, 2960, 1136, 9)),
			==, VSW_REASS_DONE);
	assert_done(&c, &d, 60, 0, 1);
	g_assert_cmpuint(be16(c.out + ETH_HLEN + 6), ==, 0);
	dgram_clear(&d);
	ctx_clear(&c);
}

static void test_table_bound(void)
{
	struct vsw_reass_stats st;
	struct dgram d[7];
	struct ctx c;
	unsigned i;

	ctx_init(&c, 4);
	for (i = 1; i <= 6; i++)
		dgram_init(&d[i], (uint16_t)(0x500 + i), 4096, (uint8_t)i);

	for (i = 1; i <= 4; i++) {
		g_assert_cmpint(feed3(&c, &d[i], 0), ==, VSW_REASS_HELD);
		c.now++;
	}
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 4);
	g_assert_cmpuint(stats(&c).evicted, ==, 0);

	/* A fifth datagram evicts the oldest, 1. */
	g_assert_cmpint(feed3(&c, &d[5], 0), ==, VSW_REASS_HELD);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 4);
	g_assert_cmpuint(stats(&c).evicted, ==, 1);

	/* 2 is still there. */
	g_assert_cmpint(feed3(&c, &d[2], 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d[2], 2), ==, VSW_REASS_DONE);
	assert_done(&c, &d[2], 20, 0, 1);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 3);

	/* 1 is not: its other fragments start a new datagram (free entry). */
	g_assert_cmpint(feed3(&c, &d[1], 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d[1], 2), ==, VSW_REASS_HELD);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 4);
	g_assert_cmpuint(stats(&c).evicted, ==, 1);

	/* Table {3, 4, 5, 1}: 6 evicts 3, the oldest, not 1 (newer). */
	g_assert_cmpint(feed3(&c, &d[6], 0), ==, VSW_REASS_HELD);
	g_assert_cmpuint(stats(&c).evicted, ==, 2);
	g_assert_cmpint(feed3(&c, &d[1], 0), ==, VSW_REASS_DONE);
	assert_done(&c, &d[1], 20, 0, 1);
	g_assert_cmpint(feed3(&c, &d[4], 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d[4], 2), ==, VSW_REASS_DONE);
	g_assert_cmpint(feed3(&c, &d[3], 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &d[3], 2), ==, VSW_REASS_HELD);

	st = stats(&c);
	g_assert_cmpuint(st.evicted, ==, 2);
	g_assert_cmpuint(st.reassembled, ==, 3);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 3);	/* 5, 6, 3 */
	for (i = 1; i <= 6; i++)
		dgram_clear(&d[i]);
	ctx_clear(&c);
}

static void test_interleaved(void)
{
	struct dgram a, b;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&a, 0x100, 4096, 14);
	dgram_init(&b, 0x200, 4096, 15);

	g_assert_cmpint(feed3(&c, &a, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &b, 0), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &a, 1), ==, VSW_REASS_HELD);
	g_assert_cmpint(feed3(&c, &b, 2), ==, VSW_REASS_HELD);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 2);
	g_assert_cmpint(feed3(&c, &b, 1), ==, VSW_REASS_DONE);
	assert_done(&c, &b, 20, 0, 1);
	g_assert_cmpint(feed3(&c, &a, 2), ==, VSW_REASS_DONE);
	assert_done(&c, &a, 20, 0, 1);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 0);
	g_assert_cmpuint(stats(&c).overlaps, ==, 0);
	dgram_clear(&a);
	dgram_clear(&b);
	ctx_clear(&c);
}

/* Same ID, other source, destination or protocol: separate datagrams. */
static void test_key(void)
{
	struct dgram d[4];
	struct ctx c;
	unsigned i;

	ctx_init(&c, 64);
	for (i = 0; i < 4; i++)
		dgram_init(&d[i], 0x300, 4096, (uint8_t)(20 + i));
	d[1].saddr[3] = 16;
	d[2].daddr[3] = 3;
	d[3].proto = 6;

	for (i = 0; i < 4; i++)
		g_assert_cmpint(feed3(&c, &d[i], 0), ==, VSW_REASS_HELD);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 4);
	for (i = 0; i < 4; i++)
		g_assert_cmpint(feed3(&c, &d[i], 2), ==, VSW_REASS_HELD);
	for (i = 0; i < 4; i++) {
		g_assert_cmpint(feed3(&c, &d[i], 1), ==, VSW_REASS_DONE);
		assert_done(&c, &d[i], 20, 0, 1);
	}
	g_assert_cmpuint(stats(&c).overlaps + stats(&c).duplicates, ==, 0);
	for (i = 0; i < 4; i++)
		dgram_clear(&d[i]);
	ctx_clear(&c);
}

/* 65535 bytes in 45 fragments: 44 of 1456 payload bytes and 1 of 1451. */
static void max_size_case(bool reverse)
{
	struct dgram d;
	struct ctx c;
	unsigned i, n = 45;

	ctx_init(&c, 64);
	dgram_init(&d, 0xffff, 65535 - 20, 16);
	for (i = 0; i < n; i++) {
		unsigned k = reverse ? n - 1 - i : i;
		uint32_t off = k * 1456;
		uint32_t len = k == n - 1 ? d.plen - off : 1456;

		g_assert_cmpuint(len, >, 0);
		g_assert_cmpint(feed(&c, &d, off, len, k != n - 1), ==,
				i == n - 1 ? VSW_REASS_DONE : VSW_REASS_HELD);
	}
	assert_done(&c, &d, 20, 0, 1);
	g_assert_cmpuint(c.out_len, ==, ETH_HLEN + 65535);
	g_assert_cmpuint(be16(c.out + ETH_HLEN + 2), ==, 65535);
	g_assert_cmpuint(stats(&c).fragments, ==, 45);
	dgram_clear(&d);
	ctx_clear(&c);
}

static void test_max_size(void)
{
	struct dgram d;
	struct ctx c;

	max_size_case(false);
	max_size_case(true);

	/* A last fragment ending exactly at 65535 is fine on its own. */
	ctx_init(&c, 64);
	dgram_init(&d, 0xfffe, 65535 - 20, 18);
	g_assert_cmpint(feed(&c, &d, 65512, 3, false), ==, VSW_REASS_HELD);
	g_assert_cmpuint(stats(&c).malformed, ==, 0);
	g_assert_cmpuint(vsw_reass_pending(c.r), ==, 1);
	dgram_clear(&d);
	ctx_clear(&c);
}

/* 8-byte fragments in a scrambled order, with duplicates on the way. */
static void test_small_fragments(void)
{
	const unsigned n = 250;		/* blocks: four bitmap words */
	struct vsw_reass_stats st;
	unsigned i, k, prev = 0;
	struct dgram d;
	struct ctx c;

	ctx_init(&c, 64);
	dgram_init(&d, 0x600, n * 8 - 3, 17);	/* a 5-byte last fragment */
	for (i = 0; i < n; i++) {
		k = i * 37 % n;			/* 37 and 250 are coprime */
		g_assert_cmpint(feed(&c, &d, k * 8, k == n - 1 ? 5 : 8,
				     k != n - 1), ==,
				i == n - 1 ? VSW_REASS_DONE : VSW_REASS_HELD);
		if (i % 10 == 9 && i != n - 1)
			g_assert_cmpint(feed(&c, &d, prev * 8,
					     prev == n - 1 ? 5 : 8,
					     prev != n - 1), ==,
					VSW_REASS_HELD);
		prev = k;
	}
	assert_done(&c, &d, 20, 0, 1);
	st = stats(&c);
	g_assert_cmpuint(st.duplicates, ==, 24);
	g_assert_cmpuint(st.fragments, ==, n + 24);
	g_assert_cmpuint(st.overlaps, ==, 0);
	dgram_clear(&d);
	ctx_clear(&c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/reass/new-args", test_new_args);
	g_test_add_func("/reass/pass", test_pass);
	g_test_add_func("/reass/in-order", test_in_order);
	g_test_add_func("/reass/permutations", test_permutations);
	g_test_add_func("/reass/lone-last-times-out", test_lone_last);
	g_test_add_func("/reass/lone-first-times-out", test_lone_first);
	g_test_add_func("/reass/duplicate", test_duplicate);
	g_test_add_func("/reass/overlap", test_overlap);
	g_test_add_func("/reass/overlap-span", test_overlap_span);
	g_test_add_func("/reass/end-conflict", test_end_conflict);
	g_test_add_func("/reass/malformed", test_malformed);
	g_test_add_func("/reass/padding", test_padding);
	g_test_add_func("/reass/header", test_header);
	g_test_add_func("/reass/table-bound", test_table_bound);
	g_test_add_func("/reass/interleaved", test_interleaved);
	g_test_add_func("/reass/key", test_key);
	g_test_add_func("/reass/max-size", test_max_size);
	g_test_add_func("/reass/small-fragments", test_small_fragments);
	return g_test_run();
}
