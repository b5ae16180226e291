// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-reass.c - libFuzzer harness for reass.c: IPv4 reassembly of
 * guest-supplied fragments.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Input: one config byte, then up to MAX_FRAMES records, each a flags byte
 * and a frame.  Config: bits 0-2 pick max_datagrams, bits 3-4 the timeout,
 * bit 5 stamps every payload byte with a function of its position in the
 * datagram.  Flags: bit 2 calls vsw_reass_expire() first, bits 4-7 advance
 * the clock by that many 100 ms steps, bit 0 says how the frame is given:
 *   - raw (set): a big-endian 16-bit length and that many frame bytes
 *     (fewer if the input ends); the ethertype is set to 0x0800 unless
 *     flags bit 3, the IPv4 header checksum fixed if flags bit 1;
 *   - described (clear): 5 bytes from which the harness builds a fragment
 *     of one of 8 datagrams (4 IDs x 2 protocols, one address pair):
 *     d0 bits 0-1 ID, bit 2 protocol, bits 3-5 option words, bit 6 MF,
 *     bit 7 DF; d1 bits 0-4 and d2 the offset in 8-byte units; d1 bit 5
 *     spoils the checksum, bit 6 cuts the frame 1 byte short, else bit 7
 *     adds 3 bytes of padding; d3-d4 bits 0-11 the payload length.
 *   The described frames are what gets the rules exercised: same keys,
 *   offsets that touch, overlap and repeat.
 *
 * Besides memory safety (-fsanitize=fuzzer,address,undefined), every
 * verdict is checked: a PASS frame is a well-formed IPv4 non-fragment, a
 * DONE frame a well-formed whole datagram (total length, checksum, no MF or
 * offset, the stamped bytes in place), the counters move as the verdict
 * says and pending() stays <= max.  And every verdict and DONE frame must
 * equal those of a naive model below, written from reass.h's rules with a
 * list of kept fragments per datagram instead of bitmaps.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reass.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES	256
#define MODEL_FRAGS	8192		/* > 65515 / 8 + 1 */

/*
 * The harness's own byte loops and the model stay out of the coverage
 * feedback: they would only slow libFuzzer down and steer it away from
 * reass.c.
 */
#define NOCOV	__attribute__((no_sanitize("coverage"), noinline))

static const unsigned max_choices[8] = { 1, 2, 3, 4, 5, 8, 16, 64 };
static const uint64_t timeout_choices[4] = { 0, 100, 1000, 30000 };

static uint8_t frame[14 + 65535];

static void check(bool cond)
{
	if (!cond)
		abort();
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

NOCOV static bool ref_csum_ok(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

NOCOV static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint8_t stamp(uint32_t pos)
{
	return (uint8_t)(pos * 13 + (pos >> 8) * 7 + 1);
}

/* ---- the model: reass.h's rules, as plainly as possible ---- */

struct mfrag {
	uint32_t off;
	uint32_t len;
};

struct mdgram {
	bool used;
	uint64_t seq;
	uint64_t born;
	uint8_t key[11];	/* saddr, daddr, id, proto */
	bool have_first;
	bool have_last;
	uint32_t end;
	uint32_t hl;
	uint8_t head[14 + 60];	/* Ethernet + IPv4 header of offset 0 */
	unsigned nfrags;
	struct mfrag *frags;	/* MODEL_FRAGS, kept across uses */
	uint8_t *pay;		/* 65535, kept across uses */
};

struct model {
	unsigned max;
	uint64_t timeout;
	uint64_t seq;
	struct mdgram *tab;
	uint8_t out[14 + 65535];
	uint32_t out_len;
};

enum mverdict { M_PASS, M_HELD, M_DUP, M_DONE, M_MALFORMED, M_OVERLAP,
		M_INCONSISTENT };

static void model_init(struct model *m, unsigned max, uint64_t timeout)
{
	m->max = max;
	m->timeout = timeout;
	m->seq = 0;
	m->tab = calloc(max, sizeof(*m->tab));
	check(m->tab != NULL);
}

static void model_free(struct model *m)
{
	unsigned i;

	for (i = 0; i < m->max; i++) {
		free(m->tab[i].frags);
		free(m->tab[i].pay);
	}
	free(m->tab);
}

NOCOV static unsigned model_pending(const struct model *m)
{
	unsigned i, n = 0;

	for (i = 0; i < m->max; i++)
		n += m->tab[i].used;
	return n;
}

NOCOV static void model_expire(struct model *m, uint64_t now)
{
	unsigned i;

	for (i = 0; i < m->max; i++)
		if (m->tab[i].used && now > m->tab[i].born &&
		    now - m->tab[i].born > m->timeout)
			m->tab[i].used = false;
}

NOCOV static enum mverdict model_input(struct model *m, const uint8_t *f,
				 uint32_t len, uint64_t now)
{
	const uint8_t *ip = f + 14;
	uint32_t hl, tot, off, plen, end, max_end = 0, got = 0, first_hl, i;
	struct mdgram *d = NULL;
	bool mf;

	if (len < 34 || be16(f + 12) != 0x0800 || ip[0] >> 4 != 4)
		return M_MALFORMED;
	hl = (ip[0] & 15u) * 4;
	if (hl < 20 || 14 + hl > len || !ref_csum_ok(ip, hl))
		return M_MALFORMED;
	tot = be16(ip + 2);
	if (tot < hl || 14 + tot > len)
		return M_MALFORMED;
	mf = ip[6] & 0x20;
	off = (be16(ip + 6) & 0x1fff) * 8u;
	if (!mf && !off)
		return M_PASS;
	plen = tot - hl;
	end = off + plen;
	if (!plen || (mf && plen % 8) || hl + end > 65535)
		return M_MALFORMED;

	/* Time out everything (reass.c may do it later: never observable). */
	model_expire(m, now);
	for (i = 0; i < m->max; i++)
		if (m->tab[i].used && !memcmp(m->tab[i].key, ip + 12, 8) &&
		    !memcmp(m->tab[i].key + 8, ip + 4, 2) &&
		    m->tab[i].key[10] == ip[9])
			d = &m->tab[i];
	if (!d) {
		for (i = 0; i < m->max && !d; i++)
			if (!m->tab[i].used)
				d = &m->tab[i];
		if (!d) {
			d = &m->tab[0];
			for (i = 1; i < m->max; i++)
				if (m->tab[i].seq < d->seq)
					d = &m->tab[i];
		}
		if (!d->frags) {
			d->frags = malloc(MODEL_FRAGS * sizeof(*d->frags));
			d->pay = malloc(65535);
			check(d->frags && d->pay);
		}
		d->used = true;
		d->seq = m->seq++;
		d->born = now;
		memcpy(d->key, ip + 12, 8);
		memcpy(d->key + 8, ip + 4, 2);
		d->key[10] = ip[9];
		d->have_first = d->have_last = false;
		d->nfrags = 0;
	}

	for (i = 0; i < d->nfrags; i++)
		if (d->frags[i].off + d->frags[i].len > max_end)
			max_end = d->frags[i].off + d->frags[i].len;
	if (!mf && ((d->have_last && end != d->end) || end < max_end))
		goto inconsistent;
	if (mf && d->have_last && end > d->end)
		goto inconsistent;
	first_hl = d->have_first ? d->hl : off == 0 ? hl : 0;
	if (first_hl + (end > max_end ? end : max_end) > 65535)
		goto inconsistent;
	for (i = 0; i < d->nfrags; i++) {
		if (d->frags[i].off == off && d->frags[i].len == plen)
			return M_DUP;
		if (off < d->frags[i].off + d->frags[i].len &&
		    d->frags[i].off < end) {
			d->used = false;
			return M_OVERLAP;
		}
	}

	check(d->nfrags < MODEL_FRAGS);
	d->frags[d->nfrags].off = off;
	d->frags[d->nfrags].len = plen;
	d->nfrags++;
	memcpy(d->pay + off, ip + hl, plen);
	if (!mf) {
		d->have_last = true;
		d->end = end;
	}
	if (!off) {
		d->have_first = true;
		d->hl = hl;
		memcpy(d->head, f, 14 + hl);
	}
	for (i = 0; i < d->nfrags; i++)
		got += d->frags[i].len;
	if (!d->have_last || got != d->end)
		return M_HELD;

	check(d->have_first);
	memcpy(m->out, d->head, 14 + d->hl);
	memcpy(m->out + 14 + d->hl, d->pay, d->end);
	put16(m->out + 16, d->hl + d->end);
	put16(m->out + 20, be16(m->out + 20) & 0x4000);
	put16(m->out + 24, 0);
	put16(m->out + 24, ref_csum(m->out + 14, d->hl));
	m->out_len = 14 + d->hl + d->end;
	d->used = false;
	return M_DONE;

inconsistent:
	d->used = false;
	return M_INCONSISTENT;
}

/* ---- the harness ---- */

/* A raw frame: make it what the flags ask for, before anything reads it. */
NOCOV static void shape_raw(uint8_t *f, uint32_t len, uint8_t flags, bool stamped)
{
	uint8_t *ip = f + 14;
	uint32_t hl, tot, off, i;

	if (len < 14)
		return;
	if (!(flags & 8))
		put16(f + 12, 0x0800);
	if (len < 34)
		return;
	hl = (ip[0] & 15u) * 4;
	if (hl < 20 || 14 + hl > len)
		return;
	tot = be16(ip + 2);
	if (stamped && tot >= hl && 14 + tot <= len) {
		off = (be16(ip + 6) & 0x1fff) * 8u;
		for (i = 0; i < tot - hl; i++)
			ip[hl + i] = stamp(off + i);
	}
	if (flags & 2) {
		put16(ip + 10, 0);
		put16(ip + 10, ref_csum(ip, hl));
	}
}

/* A described frame (see the top of the file); returns its length. */
NOCOV static uint32_t build_described(uint8_t *f, const uint8_t *d, uint8_t mac,
				bool stamped)
{
	uint8_t *ip = f + 14;
	uint32_t hl = 20 + 4 * (d[0] >> 3 & 7u);
	uint32_t off = (uint32_t)(d[1] & 0x1f) << 8 | d[2];
	uint32_t plen = be16(d + 3) & 0xfff, len, i;

	memset(f, 0x52, 6);
	memset(f + 6, 0x54, 5);
	f[11] = mac;
	put16(f + 12, 0x0800);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0;
	put16(ip + 2, hl + plen);
	put16(ip + 4, 0x1000 + (d[0] & 3u));
	put16(ip + 6, (d[0] & 0x40 ? 0x2000 : 0) | (d[0] & 0x80 ? 0x4000 : 0) |
		      off);
	ip[8] = 64;
	ip[9] = d[0] & 4 ? 6 : 17;
	put16(ip + 10, 0);
	memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	memset(ip + 20, 1, hl - 20);		/* NOPs */
	put16(ip + 10, ref_csum(ip, hl));
	if (d[1] & 0x20)
		ip[10] ^= 0x40;
	for (i = 0; i < plen; i++)
		ip[hl + i] = stamped ? stamp(off * 8 + i) : (uint8_t)(i ^ d[4]);
	len = 14 + hl + plen;
	if (d[1] & 0x40) {
		len--;
	} else if (d[1] & 0x80) {
		memset(f + len, 0xee, 3);
		len += 3;
	}
	return len;
}

static uint64_t drops(const struct vsw_reass_stats *s)
{
	return s->malformed + s->overlaps + s->inconsistent + s->nomem;
}

NOCOV static void check_done(const uint8_t *out, uint32_t out_len, bool stamped)
{
	const uint8_t *ip;
	uint32_t hl, i;

	check(out != NULL && out_len >= 34 && out_len <= 14 + 65535);
	ip = out + 14;
	check(be16(out + 12) == 0x0800 && ip[0] >> 4 == 4);
	hl = (ip[0] & 15u) * 4;
	check(hl >= 20 && 14 + hl <= out_len);
	check(be16(ip + 2) == out_len - 14);
	check((be16(ip + 6) & ~0x4000) == 0);
	check(ref_csum_ok(ip, hl));
	if (stamped)
		for (i = 0; i < out_len - 14 - hl; i++)
			check(ip[hl + i] == stamp(i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsw_reass_stats before, after;
	struct vsw_reass *r;
	struct model m;
	uint64_t now = 1000000;
	unsigned max, n;
	bool stamped;
	size_t pos = 1;

	if (size < 1)
		return 0;
	max = max_choices[data[0] & 7];
	stamped = data[0] & 0x20;
	r = vsw_reass_new(max, timeout_choices[data[0] >> 3 & 3]);
	check(r != NULL);
	model_init(&m, max, timeout_choices[data[0] >> 3 & 3]);

	for (n = 0; n < MAX_FRAMES && size - pos >= 3; n++) {
		uint8_t flags = data[pos];
		const uint8_t *out;
		uint32_t len, out_len;
		enum vsw_reass_verdict v;
		enum mverdict mv;

		if (flags & 1) {
			len = be16(data + pos + 1);
			pos += 3;
			if (len > size - pos)
				len = (uint32_t)(size - pos);
			memcpy(frame, data + pos, len);
			pos += len;
			shape_raw(frame, len, flags, stamped);
		} else {
			if (size - pos < 6)
				break;
			len = build_described(frame, data + pos + 1,
					      (uint8_t)n, stamped);
			pos += 6;
		}

		now += (flags >> 4) * 100u;
		if (flags & 4) {
			vsw_reass_expire(r, now);
			model_expire(&m, now);
			check(vsw_reass_pending(r) == model_pending(&m));
		}

		vsw_reass_get_stats(r, &before);
		v = vsw_reass_input(r, frame, len, now, &out, &out_len);
		vsw_reass_get_stats(r, &after);
		mv = model_input(&m, frame, len, now);
		check(vsw_reass_pending(r) <= max);
		check(after.fragments - before.fragments ==
		      (v != VSW_REASS_PASS && mv != M_MALFORMED));

		switch (v) {
		case VSW_REASS_PASS:
			check(mv == M_PASS);
			check(out == NULL && out_len == 0);
			check(len >= 34 && (be16(frame + 20) & 0x3fff) == 0);
			check(ref_csum_ok(frame + 14, (frame[14] & 15u) * 4));
			check(be16(frame + 16) <= len - 14);
			check(!memcmp(&before, &after, sizeof(before)));
			break;
		case VSW_REASS_HELD:
			check(mv == M_HELD || mv == M_DUP);
			check(after.duplicates - before.duplicates ==
			      (mv == M_DUP));
			check(out == NULL && out_len == 0);
			check(drops(&after) == drops(&before));
			check(after.reassembled == before.reassembled);
			break;
		case VSW_REASS_DONE:
			check(mv == M_DONE);
			check(after.reassembled == before.reassembled + 1);
			check(drops(&after) == drops(&before));
			check(after.duplicates == before.duplicates);
			check_done(out, out_len, stamped);
			check(out_len == m.out_len && !memcmp(out, m.out, out_len));
			break;
		case VSW_REASS_DROP:
			check(out == NULL && out_len == 0);
			check(drops(&after) == drops(&before) + 1);
			check(after.reassembled == before.reassembled);
			if (after.malformed != before.malformed)
				check(mv == M_MALFORMED);
			else if (after.overlaps != before.overlaps)
				check(mv == M_OVERLAP);
			else if (after.inconsistent != before.inconsistent)
				check(mv == M_INCONSISTENT);
			else
				check(false);	/* no nomem under a fuzzer */
			break;
		default:
			check(false);
		}
	}

	vsw_reass_expire(r, now);
	model_expire(&m, now);
	check(vsw_reass_pending(r) == model_pending(&m));
	vsw_reass_free(r);
	model_free(&m);
	return 0;
}
