// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-offload.c - unit tests of checksum completion and GSO segmentation.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Frames are built by hand; every emitted segment is checked on its own
 * against a deliberately naive RFC 1071 reference (byte pairs, big endian),
 * then the segments together against the original: payload, sequence
 * numbers, IDs, flags, fragment offsets.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "offload.h"

/* ---- reference checksum: as simple as possible, nothing shared ---- */

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

/* The checksum field value (big endian) for @p with its field zeroed. */
static uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	return (uint16_t)~ref_fold(ref_sum(p, len, sum));
}

static uint32_t ref_pseudo(bool ipv6, const uint8_t *ip, uint8_t proto,
			   uint32_t l4_len)
{
	uint8_t ph[40];

	if (ipv6) {
		memcpy(ph, ip + 8, 32);
		ph[32] = (uint8_t)(l4_len >> 24);
		ph[33] = (uint8_t)(l4_len >> 16);
		ph[34] = (uint8_t)(l4_len >> 8);
		ph[35] = (uint8_t)l4_len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		return ref_sum(ph, 40, 0);
	}
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(l4_len >> 8);
	ph[11] = (uint8_t)l4_len;
	return ref_sum(ph, 12, 0);
}

/* True if the L4 bytes (checksum field included) verify. */
static bool ref_l4_valid(bool ipv6, const uint8_t *ip, uint8_t proto,
			 const uint8_t *l4, uint32_t l4_len)
{
	return ref_fold(ref_sum(l4, l4_len, ref_pseudo(ipv6, ip, proto,
							 l4_len))) == 0xffff;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* ---- frame builder ---- */

struct spec {
	bool ipv6;
	int vlans;		/* 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) */
	int ip_opts;		/* IPv4 option bytes: 0, 4, 8, 12 or 40 */
	uint8_t proto;		/* 6 or 17 */
	int tcp_opts;		/* 0 or 12 (NOP NOP timestamps) */
	uint8_t tcp_flags;
	uint32_t seq;
	uint16_t ip_id;
	uint32_t payload;
	uint32_t trailer;	/* junk bytes after the IP datagram */
};

struct frame {
	uint8_t *buf;
	uint32_t len;
	uint32_t l3, l4, pay, end;
	bool ipv6;
	uint8_t proto;
};

static const uint8_t ip4_src[4] = { 10, 0, 0, 1 };
static const uint8_t ip4_dst[4] = { 192, 168, 200, 254 };
static const uint8_t ip6_src[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0,
				     0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xee, 0, 0,
				     0x12, 0x34, 0, 0, 0, 0, 0xab, 0xcd };

static void put_ip_opts(uint8_t *o, int n)
{
	if (n == 0)
		return;
	/* Router Alert: copied to every fragment */
	o[0] = 0x94;
	o[1] = 4;
	o[2] = o[3] = 0;
	if (n == 4)
		return;
	if (n == 8) {
		/* End of Option List, then padding that is not parsed */
		o[4] = 0;
		o[5] = 0x07;
		o[6] = 0xff;
		o[7] = 0x83;
		return;
	}
	/* Record Route (not copied) with room for 1 or 8 addresses, NOP */
	o[4] = 0x07;
	o[5] = (uint8_t)(n - 5);
	o[6] = 4;
	memset(o + 7, 0, (size_t)n - 8);
	o[n - 1] = 0x01;
}

static struct frame build(const struct spec *sp)
{
	uint32_t ihl = sp->ipv6 ? 40 : 20 + (uint32_t)sp->ip_opts;
	uint32_t l4h = sp->proto == 6 ? 20 + (uint32_t)sp->tcp_opts : 8;
	struct frame fr = { .ipv6 = sp->ipv6, .proto = sp->proto };
	uint8_t *p, *ip, *l4;
	uint32_t i, off = 12, l4_len;

	fr.l3 = 14 + 4 * (uint32_t)sp->vlans;
	fr.l4 = fr.l3 + ihl;
	fr.pay = fr.l4 + l4h;
	fr.end = fr.pay + sp->payload;
	fr.len = fr.end + sp->trailer;
	/* exact size, so ASan catches any read past the end */
	fr.buf = p = g_malloc(fr.len);

	for (i = 0; i < 6; i++) {
		p[i] = (uint8_t)(0x52 + i);
		p[6 + i] = (uint8_t)(0x02 + i);
	}
	if (sp->vlans == 2) {
		put16(p + off, 0x88a8);
		put16(p + off + 2, 100);
		off += 4;
	}
	if (sp->vlans >= 1) {
		put16(p + off, 0x8100);
		put16(p + off + 2, 0x2000 | 42);
		off += 4;
	}
	put16(p + off, sp->ipv6 ? 0x86dd : 0x0800);

	ip = p + fr.l3;
	if (sp->ipv6) {
		put32(ip, 0x6a012345);
		put16(ip + 4, (uint16_t)(fr.end - fr.l4));
		ip[6] = sp->proto;
		ip[7] = 64;
		memcpy(ip + 8, ip6_src, 16);
		memcpy(ip + 24, ip6_dst, 16);
	} else {
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		ip[1] = 0x02;		/* ECT(0) */
		put16(ip + 2, (uint16_t)(fr.end - fr.l3));
		put16(ip + 4, sp->ip_id);
		put16(ip + 6, sp->proto == 6 ? 0x4000 : 0);
		ip[8] = 64;
		ip[9] = sp->proto;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, ip4_src, 4);
		memcpy(ip + 16, ip4_dst, 4);
		put_ip_opts(ip + 20, sp->ip_opts);
		put16(ip + 10, ref_csum(ip, ihl, 0));
	}

	l4 = p + fr.l4;
	l4_len = fr.end - fr.l4;
	put16(l4, 40000);
	put16(l4 + 2, sp->proto == 6 ? 80 : 4789);
	if (sp->proto == 6) {
		put32(l4 + 4, sp->seq);
		put32(l4 + 8, 0xa5a5a5a5);
		l4[12] = (uint8_t)(l4h / 4 << 4);
		l4[13] = sp->tcp_flags;
		put16(l4 + 14, 502);
		put16(l4 + 18, 0);
		if (sp->tcp_opts) {
			l4[20] = l4[21] = 1;
			l4[22] = 8;
			l4[23] = 10;
			put32(l4 + 24, 0x01020304);
			put32(l4 + 28, 0x0a0b0c0d);
		}
	} else {
		put16(l4 + 4, (uint16_t)l4_len);
	}
	for (i = 0; i < sp->payload; i++)
		p[fr.pay + i] = (uint8_t)(g_test_rand_int() >> 7);
	for (i = 0; i < sp->trailer; i++)
		p[fr.end + i] = 0xee;

	/* What Linux leaves in a CHECKSUM_PARTIAL field: the folded
	 * pseudo-header sum, not complemented.
	 */
	put16(l4 + (sp->proto == 6 ? 16 : 6),
	      ref_fold(ref_pseudo(sp->ipv6, ip, sp->proto, l4_len)));
	return fr;
}

static struct vsw_vnet_hdr vnet_for(const struct frame *fr, uint8_t gso_type,
				    uint16_t gso_size)
{
	struct vsw_vnet_hdr v = {
		.flags = VSW_VNET_F_NEEDS_CSUM,
		.gso_type = gso_type,
		.hdr_len = (uint16_t)fr->pay,
		.gso_size = gso_size,
		.csum_start = (uint16_t)fr->l4,
		.csum_offset = fr->proto == 6 ? 16 : 6,
	};

	return v;
}

/* ---- segment collection ---- */

struct sink {
	GPtrArray *segs;	/* GByteArray */
	int calls;
	int fail_at;		/* emit returns -EAGAIN on this call (1-based) */
};

static int sink_emit(void *opaque, const uint8_t *seg, uint32_t seg_len)
{
	struct sink *k = opaque;
	GByteArray *b;

	k->calls++;
	if (k->fail_at && k->calls == k->fail_at)
		return -EAGAIN;
	b = g_byte_array_sized_new(seg_len);
	g_byte_array_append(b, seg, seg_len);
	g_ptr_array_add(k->segs, b);
	return 0;
}

static void sink_init(struct sink *k)
{
	memset(k, 0, sizeof(*k));
	k->segs = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
}

static void sink_clear(struct sink *k)
{
	g_ptr_array_unref(k->segs);
}

static uint8_t *copy_of(const uint8_t *p, uint32_t len)
{
	uint8_t *d = g_malloc(len);

	if (len)
		memcpy(d, p, len);
	return d;
}

static uint8_t *scratch(void)
{
	static uint8_t buf[VSW_GSO_SCRATCH_SIZE];

	return buf;
}

static int segment(const struct frame *fr, const struct vsw_vnet_hdr *v,
		   struct sink *k)
{
	return vsw_gso_segment(fr->buf, fr->len, v, scratch(),
			       VSW_GSO_SCRATCH_SIZE, sink_emit, k);
}

/* ---- independent checks of a segmentation result ---- */

/* Bytes [from, to) of @a and @b are equal except the listed offsets. */
static void assert_same_except(const uint8_t *a, const uint8_t *b,
			       uint32_t from, uint32_t to,
			       const uint32_t *skip, size_t nskip)
{
	uint32_t i;
	size_t j;

	for (i = from; i < to; i++) {
		bool skipped = false;

		for (j = 0; j < nskip; j++)
			if (i == from + skip[j])
				skipped = true;
		if (!skipped && a[i] != b[i])
			g_error("byte %u differs: %02x != %02x", i, a[i], b[i]);
	}
}

/* TSO and USO segments: each a complete packet of the same flow. */
static void check_l4_split(const struct frame *fr, const struct vsw_vnet_hdr *v,
			   const struct sink *k, int ret)
{
	const uint8_t *o = fr->buf;
	uint32_t mss = v->gso_size, payload = fr->end - fr->pay;
	uint32_t n = payload <= mss ? 1 : (payload + mss - 1) / mss;
	uint32_t off = 0, i;
	uint8_t oflags = fr->proto == 6 ? o[fr->l4 + 13] : 0;

	g_assert_cmpint(ret, ==, (int)n);
	g_assert_cmpuint(k->segs->len, ==, n);
	for (i = 0; i < n; i++) {
		GByteArray *b = g_ptr_array_index(k->segs, i);
		const uint8_t *s = b->data, *ip = s + fr->l3, *l4 = s + fr->l4;
		uint32_t chunk = b->len - fr->pay;

		g_assert_cmpuint(b->len, >=, fr->pay + (payload ? 1 : 0));
		g_assert_cmpuint(b->len, <=, fr->pay + mss);
		if (i + 1 < n)
			g_assert_cmpuint(chunk, ==, mss);
		else
			g_assert_cmpuint(chunk, ==, payload - off);
		/* L2 header including VLAN tags untouched */
		g_assert_cmpmem(s, fr->l3, o, fr->l3);

		if (fr->ipv6) {
			static const uint32_t skip[] = { 4, 5 };

			assert_same_except(s, o, fr->l3, fr->l4, skip, 2);
			g_assert_cmpuint(be16(ip + 4), ==, b->len - fr->l4);
		} else {
			static const uint32_t skip[] = { 2, 3, 4, 5, 10, 11 };

			assert_same_except(s, o, fr->l3, fr->l4, skip, 6);
			g_assert_cmpuint(be16(ip + 2), ==, b->len - fr->l3);
			g_assert_cmpuint(be16(ip + 4), ==,
					 (uint16_t)(be16(o + fr->l3 + 4) + i));
			g_assert_cmpuint(ref_fold(ref_sum(ip, fr->l4 - fr->l3, 0)),
					 ==, 0xffff);
		}

		if (fr->proto == 6) {
			static const uint32_t skip[] = { 4, 5, 6, 7, 13, 16, 17 };
			uint8_t want = oflags;

			assert_same_except(s, o, fr->l4, fr->pay, skip, 7);
			g_assert_cmpuint(be32(l4 + 4), ==,
					 (uint32_t)(be32(o + fr->l4 + 4) + off));
			if (i > 0)
				want &= (uint8_t)~0x80;		/* CWR */
			if (i + 1 < n)
				want &= (uint8_t)~0x09;		/* FIN PSH */
			g_assert_cmphex(l4[13], ==, want);
		} else {
			g_assert_cmpmem(l4, 4, o + fr->l4, 4);
			g_assert_cmpuint(be16(l4 + 4), ==, b->len - fr->l4);
			g_assert_cmpuint(be16(l4 + 6), !=, 0);
		}
		g_assert_true(ref_l4_valid(fr->ipv6, ip, fr->proto, l4,
					   b->len - fr->l4));
		/* this segment's payload is the next piece of the original */
		g_assert_cmpmem(s + fr->pay, chunk, o + fr->pay + off, chunk);
		off += chunk;
	}
	g_assert_cmpuint(off, ==, payload);
}

/* UFO: IP fragments that reassemble into the original datagram. */
static void check_ufo(const struct frame *fr, const struct vsw_vnet_hdr *v,
		      const struct sink *k, int ret)
{
	const uint8_t *o = fr->buf;
	uint32_t mss = v->gso_size & ~7u, ulen = fr->end - fr->l4;
	uint32_t n = ulen <= mss ? 1 : (ulen + mss - 1) / mss;
	uint32_t fh = fr->ipv6 && n > 1 ? 8 : 0, off = 0, i, id6 = 0;
	uint8_t *dgram = g_malloc(ulen);

	g_assert_cmpint(ret, ==, (int)n);
	g_assert_cmpuint(k->segs->len, ==, n);
	for (i = 0; i < n; i++) {
		GByteArray *b = g_ptr_array_index(k->segs, i);
		const uint8_t *s = b->data, *ip = s + fr->l3;
		uint32_t data = fr->l4 + fh, chunk = b->len - data;
		bool more = i + 1 < n;

		g_assert_cmpuint(b->len, >, data);
		g_assert_cmpuint(chunk, <=, mss);
		if (more)
			g_assert_cmpuint(chunk, ==, mss);
		g_assert_cmpuint(off % 8, ==, 0);
		g_assert_cmpmem(s, fr->l3, o, fr->l3);
		if (fr->ipv6) {
			static const uint32_t skip[] = { 4, 5, 6 };

			assert_same_except(s, o, fr->l3, fr->l4, skip, 3);
			g_assert_cmpuint(be16(ip + 4), ==, b->len - fr->l4);
			if (n > 1) {
				const uint8_t *f6 = s + fr->l4;

				g_assert_cmpuint(ip[6], ==, 44);
				g_assert_cmpuint(f6[0], ==, 17);
				g_assert_cmpuint(f6[1], ==, 0);
				g_assert_cmpuint(be16(f6 + 2), ==,
						 off | (more ? 1 : 0));
				if (i == 0)
					id6 = be32(f6 + 4);
				g_assert_cmpuint(be32(f6 + 4), ==, id6);
			} else {
				g_assert_cmpuint(ip[6], ==, 17);
			}
		} else {
			static const uint32_t skip[] = { 2, 3, 6, 7, 10, 11 };
			uint32_t ihl = fr->l4 - fr->l3, j;

			if (i == 0) {
				assert_same_except(s, o, fr->l3, fr->l4, skip, 6);
			} else {
				/* fixed header the same; options: copied ones
				 * (RA) kept, others (RR + NOP) all NOPs, after
				 * End of Option List nothing changed
				 */
				assert_same_except(s, o, fr->l3, fr->l3 + 20,
						   skip, 6);
				for (j = 20; j < ihl; j++) {
					if (j < 24 || o[fr->l3 + 24] != 0x07)
						g_assert_cmphex(ip[j], ==,
								o[fr->l3 + j]);
					else
						g_assert_cmphex(ip[j], ==, 1);
				}
			}
			g_assert_cmpuint(be16(ip + 2), ==, b->len - fr->l3);
			g_assert_cmphex(be16(ip + 6), ==,
					(be16(o + fr->l3 + 6) & 0x4000) |
					(n > 1 ? off / 8 : 0) |
					(more ? 0x2000 : 0));
			g_assert_cmpuint(ref_fold(ref_sum(ip, ihl, 0)), ==, 0xffff);
		}
		memcpy(dgram + off, s + data, chunk);
		off += chunk;
	}
	g_assert_cmpuint(off, ==, ulen);
	/* reassembled: the original datagram with length and checksum set */
	g_assert_cmpmem(dgram, 4, o + fr->l4, 4);
	g_assert_cmpuint(be16(dgram + 4), ==, ulen);
	g_assert_cmpuint(be16(dgram + 6), !=, 0);
	g_assert_cmpmem(dgram + 8, ulen - 8, o + fr->l4 + 8, ulen - 8);
	g_assert_true(ref_l4_valid(fr->ipv6, o + fr->l3, 17, dgram, ulen));
	g_free(dgram);
}

/* Build, segment, check; returns the segment count. */
static int run_gso(const struct spec *sp, uint8_t gso_type, uint16_t mss)
{
	struct frame fr = build(sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, gso_type, mss);
	struct sink k;
	int ret;

	sink_init(&k);
	ret = segment(&fr, &v, &k);
	if ((gso_type & 0x7f) == VSW_VNET_GSO_UDP)
		check_ufo(&fr, &v, &k, ret);
	else
		check_l4_split(&fr, &v, &k, ret);
	sink_clear(&k);
	g_free(fr.buf);
	return ret;
}

/*
 * The limits, computed independently: gso_size floor per protocol, segment
 * count (for UFO: IP payload in multiples of 8) against the cap.
 */
static bool gso_within_limits(const struct spec *sp, uint8_t gso_type,
			      uint32_t mss)
{
	uint32_t least = sp->proto == 6 ? 88 : 8, payload, cap, n;

	gso_type &= 0x7f;
	if (mss < least)
		return false;
	if (gso_type == VSW_VNET_GSO_UDP) {
		mss &= ~7u;
		payload = 8 + sp->payload;
	} else {
		payload = sp->payload;
	}
	n = payload <= mss ? 1 : (payload + mss - 1) / mss;
	cap = gso_type == VSW_VNET_GSO_UDP_L4 ? 128 : 1024;
	/* an IPv6 fragment's payload length counts its 8-byte header */
	if (gso_type == VSW_VNET_GSO_UDP && sp->ipv6 && n > 1 && 8 + mss > 65535)
		return false;
	return n <= cap;
}

/* Build, segment: must be refused with nothing emitted; returns the error. */
static int run_gso_refused(const struct spec *sp, uint8_t gso_type, uint16_t mss)
{
	struct frame fr = build(sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, gso_type, mss);
	struct sink k;
	int ret;

	sink_init(&k);
	ret = segment(&fr, &v, &k);
	g_assert_cmpint(ret, <, 0);
	g_assert_cmpint(k.calls, ==, 0);
	sink_clear(&k);
	g_free(fr.buf);
	return ret;
}

/* ---- checksum primitives ---- */

static void test_csum_known_answer(void)
{
	/* the IPv4 header of the Wikipedia example: checksum 0xb861 */
	static const uint8_t h[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	uint8_t c[2], odd[3] = { 0x12, 0x34, 0x56 };
	uint16_t v = vsw_csum(h, sizeof(h));

	memcpy(c, &v, 2);
	g_assert_cmphex(be16(c), ==, 0xb861);
	g_assert_cmphex(ref_csum(h, sizeof(h), 0), ==, 0xb861);
	/* odd length: 0x1234 + 0x5600 = 0x6834 -> ~ = 0x97cb */
	v = vsw_csum(odd, sizeof(odd));
	memcpy(c, &v, 2);
	g_assert_cmphex(be16(c), ==, 0x97cb);
	v = vsw_csum(odd, 0);
	g_assert_cmphex(v, ==, 0xffff);
}

static void test_csum_vs_reference(void)
{
	uint8_t *buf = g_malloc(70000 + 8);
	size_t len, al;
	uint32_t i;

	for (i = 0; i < 70000 + 8; i++)
		buf[i] = (uint8_t)g_test_rand_int();
	/* every length up to 300 at every alignment, then large ones */
	for (al = 0; al < 8; al++) {
		for (len = 0; len <= 300; len++) {
			uint16_t a = vsw_csum(buf + al, len);
			uint8_t c[2];

			memcpy(c, &a, 2);
			g_assert_cmphex(be16(c), ==, ref_csum(buf + al, len, 0));
		}
	}
	for (i = 0; i < 200; i++) {
		uint16_t a;
		uint8_t c[2];

		len = (size_t)g_test_rand_int_range(0, 70000);
		al = (size_t)g_test_rand_int_range(0, 8);
		a = vsw_csum(buf + al, len);
		memcpy(c, &a, 2);
		g_assert_cmphex(be16(c), ==, ref_csum(buf + al, len, 0));
	}
	/* all 0xff: the sum that most stresses carries */
	memset(buf, 0xff, 70000);
	{
		uint16_t a = vsw_csum(buf, 70000);
		uint8_t c[2];

		memcpy(c, &a, 2);
		g_assert_cmphex(be16(c), ==, ref_csum(buf, 70000, 0));
	}
	/* chaining even-length pieces equals one pass */
	for (i = 0; i < 100; i++) {
		size_t a = 2 * (size_t)g_test_rand_int_range(0, 1000);

		len = a + (size_t)g_test_rand_int_range(0, 1000);
		g_assert_cmphex(vsw_csum_fold(vsw_csum_partial(buf + a, len - a,
				vsw_csum_partial(buf, a, 0))), ==,
				vsw_csum_fold(vsw_csum_partial(buf, len, 0)));
	}
	g_free(buf);
}

/* Sums past the 1 GiB inner block: mostly zero pages, a few known bytes. */
static void test_csum_huge(void)
{
	size_t len = ((size_t)1 << 30) + 4096 + 3, i;
	static const size_t at[] = { 0, 1, ((size_t)1 << 30) - 1,
				     (size_t)1 << 30, ((size_t)1 << 30) + 1 };
	uint32_t sum = 0;
	uint8_t *buf, c[2];
	uint16_t v;

	if (!g_test_thorough() && !g_test_slow()) {
		g_test_skip("1 GiB buffer: run with -m slow");
		return;
	}
	buf = g_try_malloc0(len);
	if (!buf) {
		g_test_skip("no 1 GiB to spare");
		return;
	}
	for (i = 0; i < G_N_ELEMENTS(at); i++)
		buf[at[i]] = (uint8_t)(0xf1 + i);
	buf[len - 1] = 0x77;
	for (i = 0; i < G_N_ELEMENTS(at); i++)
		sum += at[i] % 2 ? buf[at[i]] : (uint32_t)buf[at[i]] << 8;
	sum += (uint32_t)0x77 << 8;	/* len - 1 is even */
	v = vsw_csum(buf, len);
	memcpy(c, &v, 2);
	g_assert_cmphex(be16(c), ==, (uint16_t)~ref_fold(sum));
	g_free(buf);
}

static void test_csum_pseudo(void)
{
	uint8_t ip4[20] = { 0 }, ip6[40] = { 0 }, c[2];
	uint16_t v;

	memcpy(ip4 + 12, ip4_src, 4);
	memcpy(ip4 + 16, ip4_dst, 4);
	memcpy(ip6 + 8, ip6_src, 16);
	memcpy(ip6 + 24, ip6_dst, 16);

	v = vsw_csum_fold(vsw_csum_pseudo4(ip4_src, ip4_dst, 6, 1480));
	memcpy(c, &v, 2);
	g_assert_cmphex(be16(c), ==, ref_csum(NULL, 0,
					      ref_pseudo(false, ip4, 6, 1480)));
	v = vsw_csum_fold(vsw_csum_pseudo6(ip6_src, ip6_dst, 17, 65535));
	memcpy(c, &v, 2);
	g_assert_cmphex(be16(c), ==, ref_csum(NULL, 0,
					      ref_pseudo(true, ip6, 17, 65535)));
}

/* ---- vsw_csum_complete() ---- */

static void check_csum_complete(const struct spec *sp)
{
	struct frame fr = build(sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);

	g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==, 0);
	g_assert_cmpuint(v.flags, ==, VSW_VNET_F_DATA_VALID);
	g_assert_true(ref_l4_valid(fr.ipv6, fr.buf + fr.l3, fr.proto,
				   fr.buf + fr.l4, fr.end - fr.l4));
	g_free(fr.buf);
}

static void test_csum_tcp4(void)
{
	struct spec sp = { .proto = 6, .payload = 1000, .tcp_opts = 12 };

	check_csum_complete(&sp);
	sp.payload = 999;
	sp.ip_opts = 12;
	check_csum_complete(&sp);
	sp.payload = 0;
	check_csum_complete(&sp);
}

static void test_csum_udp6_vlan(void)
{
	struct spec sp = { .ipv6 = true, .proto = 17, .payload = 1231, .vlans = 1 };

	check_csum_complete(&sp);
	sp.vlans = 2;
	sp.payload = 65000;
	check_csum_complete(&sp);
}

/* A UDP checksum that computes to 0 is sent as 0xffff. */
static void test_csum_udp_zero(void)
{
	struct spec sp = { .proto = 17, .payload = 64 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);
	uint8_t *w = fr.buf + fr.pay;

	/* make the complete sum 0xffff: put the would-be checksum in a
	 * payload word that was 0
	 */
	w[0] = w[1] = 0;
	put16(w, ref_csum(fr.buf + fr.l4, fr.end - fr.l4, 0));
	g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==, 0);
	g_assert_cmphex(be16(fr.buf + fr.l4 + 6), ==, 0xffff);
	g_assert_true(ref_l4_valid(false, fr.buf + fr.l3, 17, fr.buf + fr.l4,
				   fr.end - fr.l4));
	g_free(fr.buf);
}

static void test_csum_no_flag(void)
{
	struct spec sp = { .proto = 6, .payload = 100 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr v = { .flags = VSW_VNET_F_DATA_VALID,
				  .csum_start = 60000 };
	uint8_t *copy = copy_of(fr.buf, fr.len);

	g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==, 0);
	g_assert_cmpmem(fr.buf, fr.len, copy, fr.len);
	g_assert_cmpuint(v.flags, ==, VSW_VNET_F_DATA_VALID);
	g_free(copy);
	g_free(fr.buf);
}

static void test_csum_bounds(void)
{
	struct spec sp = { .proto = 6, .payload = 10 };
	struct frame fr = build(&sp);
	uint8_t *copy = copy_of(fr.buf, fr.len);
	static const struct { uint32_t start, off; int ret; } cases[] = {
		{ 0xffff, 0, -EINVAL },		/* csum_start beyond len */
		{ 0, 0xffff, -EINVAL },		/* csum_offset beyond len */
		{ 0xffff, 0xffff, -EINVAL },
		{ 100, 0, -EINVAL },		/* start == len + 36 */
		{ 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct vsw_vnet_hdr v = {
			.flags = VSW_VNET_F_NEEDS_CSUM,
			.csum_start = (uint16_t)cases[i].start,
			.csum_offset = (uint16_t)cases[i].off,
		};

		memcpy(fr.buf, copy, fr.len);
		g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==,
				cases[i].ret);
		if (cases[i].ret) {
			g_assert_cmpmem(fr.buf, fr.len, copy, fr.len);
			g_assert_cmpuint(v.flags, ==, VSW_VNET_F_NEEDS_CSUM);
		}
	}
	/* the field must fit whole: start + offset + 2 == len is the limit */
	for (i = 0; i < 4; i++) {
		struct vsw_vnet_hdr v = {
			.flags = VSW_VNET_F_NEEDS_CSUM,
			.csum_start = (uint16_t)(fr.len - 6),
			.csum_offset = (uint16_t)(2 + i),
		};

		g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==,
				i <= 2 ? 0 : -EINVAL);
	}
	{
		struct vsw_vnet_hdr v = { .flags = VSW_VNET_F_NEEDS_CSUM };

		g_assert_cmpint(vsw_csum_complete(fr.buf, 1, &v), ==, -EINVAL);
		g_assert_cmpint(vsw_csum_complete(fr.buf, 0, &v), ==, -EINVAL);
	}
	g_free(copy);
	g_free(fr.buf);
}

/* ---- vsw_offload_needed() ---- */

static void test_needed(void)
{
	static const struct {
		uint8_t flags, gso_type;
		uint16_t gso_size;
		unsigned port, want;
	} cases[] = {
		{ 0, 0, 0, 0, 0 },
		{ VSW_VNET_F_DATA_VALID, 0, 0, 0, 0 },
		{ VSW_VNET_F_NEEDS_CSUM, 0, 0, 0, VSW_OFFLOAD_NEED_CSUM },
		{ VSW_VNET_F_NEEDS_CSUM, 0, 0, VSW_OFFLOAD_CSUM, 0 },
		{ VSW_VNET_F_NEEDS_CSUM, 0, 0, VSW_OFFLOAD_ALL & ~VSW_OFFLOAD_CSUM,
		  VSW_OFFLOAD_NEED_CSUM },
		{ 1, VSW_VNET_GSO_TCPV4, 1448, 0, VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_TCPV4, 1448, VSW_OFFLOAD_CSUM, VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_TCPV4, 1448, VSW_OFFLOAD_TSO4, VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_TCPV4, 1448, VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4, 0 },
		{ 1, VSW_VNET_GSO_TCPV4, 1448, VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO6,
		  VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_TCPV4, 0, VSW_OFFLOAD_ALL, VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_TCPV6, 1428, VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO6, 0 },
		{ 1, VSW_VNET_GSO_TCPV4 | VSW_VNET_GSO_ECN, 1448,
		  VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4, VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_TCPV4 | VSW_VNET_GSO_ECN, 1448,
		  VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_ECN, 0 },
		{ 1, VSW_VNET_GSO_UDP, 1480, VSW_OFFLOAD_CSUM | VSW_OFFLOAD_UFO, 0 },
		{ 1, VSW_VNET_GSO_UDP, 1480, VSW_OFFLOAD_ALL & ~VSW_OFFLOAD_UFO,
		  VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_UDP_L4, 1472, VSW_OFFLOAD_CSUM | VSW_OFFLOAD_USO4,
		  VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_UDP_L4, 1472,
		  VSW_OFFLOAD_CSUM | VSW_OFFLOAD_USO4 | VSW_OFFLOAD_USO6, 0 },
		{ 0, VSW_VNET_GSO_TCPV4, 1448, VSW_OFFLOAD_TSO4, 0 },
		{ 1, 2, 1448, VSW_OFFLOAD_ALL, VSW_OFFLOAD_NEED_GSO },
		{ 1, 0x7f, 1448, VSW_OFFLOAD_ALL, VSW_OFFLOAD_NEED_GSO },
		{ 1, VSW_VNET_GSO_ECN, 0, VSW_OFFLOAD_ALL, 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct vsw_vnet_hdr v = {
			.flags = cases[i].flags,
			.gso_type = cases[i].gso_type,
			.gso_size = cases[i].gso_size,
		};

		unsigned got = vsw_offload_needed(&v, cases[i].port);

		if (got != cases[i].want)
			g_error("case %zu: got %#x, want %#x", i, got,
				cases[i].want);
	}
}

/* ---- segmentation ---- */

static void test_gso_tcp4(void)
{
	struct spec sp = { .proto = 6, .payload = 10000, .seq = 1000,
			   .tcp_opts = 12, .tcp_flags = 0x18 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 7);
}

static void test_gso_tcp4_vlan(void)
{
	struct spec sp = { .proto = 6, .payload = 5000, .vlans = 1,
			   .tcp_flags = 0x10 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1460), ==, 4);
	sp.vlans = 2;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1460), ==, 4);
}

static void test_gso_tcp4_options(void)
{
	struct spec sp = { .proto = 6, .payload = 20000, .ip_opts = 40,
			   .tcp_opts = 12, .tcp_flags = 0x18 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1388), ==, 15);
	sp.ip_opts = 4;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1000), ==, 20);
}

/* FIN and PSH only on the last segment, CWR only on the first; the
 * sequence number wraps; the IPv4 ID wraps.
 */
static void test_gso_tcp4_flags(void)
{
	struct spec sp = { .proto = 6, .payload = 4000, .seq = 0xfffffc00,
			   .ip_id = 0xfffe, .tcp_flags = 0x80 | 0x40 | 0x10 |
			   0x08 | 0x01 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4 | VSW_VNET_GSO_ECN,
				1000), ==, 4);
}

static void test_gso_tcp4_sizes(void)
{
	struct spec sp = { .proto = 6, .tcp_flags = 0x19 };

	sp.payload = 0;		/* headers only: one segment */
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 1);
	sp.payload = 1;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 1);
	sp.payload = 1448;	/* fits exactly */
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 1);
	sp.payload = 1449;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 2);
	sp.payload = 1448 * 5;	/* exact multiple */
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 5);
	sp.payload = 1000;	/* the smallest gso_size allowed */
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, VSW_GSO_TCP_MIN), ==, 12);
	/* the largest IPv4 datagram */
	sp.payload = 65535 - 40;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 46);
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 65535), ==, 1);
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 9000), ==, 8);
}

/* Bytes after the IPv4 total length are not part of any segment. */
static void test_gso_tcp4_trailer(void)
{
	struct spec sp = { .proto = 6, .payload = 3000, .trailer = 7 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 1448), ==, 3);
	sp.ipv6 = true;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV6, 1448), ==, 3);
}

static void test_gso_tcp6(void)
{
	struct spec sp = { .ipv6 = true, .proto = 6, .payload = 60000,
			   .tcp_opts = 12, .seq = 7, .tcp_flags = 0x18 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV6, 1428), ==, 43);
	sp.vlans = 2;
	sp.payload = 65535 - 32;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV6, 8948), ==, 8);
}

static void test_gso_uso(void)
{
	struct spec sp = { .proto = 17, .payload = 14720 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP_L4, 1472), ==, 10);
	sp.ip_opts = 12;
	sp.vlans = 1;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP_L4, 1000), ==, 15);
	sp.ipv6 = true;
	sp.payload = 14721;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP_L4, 1452), ==, 11);
	sp.payload = 0;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP_L4, 1452), ==, 1);
}

static void test_gso_ufo4(void)
{
	struct spec sp = { .proto = 17, .payload = 8000 };

	/* 8008 bytes of IP payload in 1480-byte fragments */
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1480), ==, 6);
	/* gso_size rounded down to 1000 */
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1007), ==, 9);
	/* copied and non-copied options */
	sp.ip_opts = 12;
	sp.vlans = 1;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1480), ==, 6);
	sp.ip_opts = 8;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1480), ==, 6);
	sp.ip_opts = 40;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 8), ==, 1001);
	/* fits: sent whole, unfragmented */
	sp.payload = 1000;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1480), ==, 1);
	sp.payload = 65535 - 60 - 8;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1440), ==, 46);
}

static void test_gso_ufo6(void)
{
	struct spec sp = { .ipv6 = true, .proto = 17, .payload = 9000,
			   .vlans = 2 };

	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1448), ==, 7);
	sp.payload = 100;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1448), ==, 1);
	sp.payload = 65535 - 8;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 1232), ==, 54);
	/* the largest fragments whose payload length (+ 8) fits 16 bits */
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 65527), ==, 2);
	/* 65528 + 8 would wrap to 0: refused (found by fuzz-offload) */
	g_assert_cmpint(run_gso_refused(&sp, VSW_VNET_GSO_UDP, 65528), ==,
			-EINVAL);
	g_assert_cmpint(run_gso_refused(&sp, VSW_VNET_GSO_UDP, 65534), ==,
			-EINVAL);
	/* unless the datagram fits one fragment: sent whole */
	sp.payload = 65528 - 8;
	g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 65528), ==, 1);
}

/*
 * Make the UDP checksum over @ulen bytes come out as 0 (sum 0xffff) by
 * choosing the first two payload bytes; the UDP header is taken with its
 * length set to @ulen and its checksum zeroed.
 */
static void force_zero_udp_csum(const struct frame *fr, uint32_t ulen)
{
	uint8_t *u = fr->buf + fr->l4, hdr[8];
	uint32_t sum;

	memcpy(hdr, u, 8);
	put16(hdr + 4, (uint16_t)ulen);
	hdr[6] = hdr[7] = 0;
	u[8] = u[9] = 0;
	sum = ref_sum(hdr, 8, ref_pseudo(fr->ipv6, fr->buf + fr->l3, 17, ulen));
	sum = ref_sum(u + 8, ulen - 8, sum);
	put16(u + 8, (uint16_t)~ref_fold(sum));
}

/* A UDP checksum that computes to 0 goes out as 0xffff; UFO ignores the
 * UDP length and checksum the guest wrote; IPv6 fragment IDs are fresh.
 */
static void test_gso_udp_fixups(void)
{
	struct spec sp = { .proto = 17, .payload = 3000 };
	struct frame fr;
	struct vsw_vnet_hdr v;
	struct sink k;
	uint32_t id[2];
	int i;

	fr = build(&sp);		/* USO: first segment sums to zero */
	v = vnet_for(&fr, VSW_VNET_GSO_UDP_L4, 1000);
	force_zero_udp_csum(&fr, 8 + 1000);
	sink_init(&k);
	check_l4_split(&fr, &v, &k, segment(&fr, &v, &k));
	g_assert_cmphex(be16(((GByteArray *)g_ptr_array_index(k.segs, 0))->data +
			     fr.l4 + 6), ==, 0xffff);
	sink_clear(&k);
	g_free(fr.buf);

	sp.ipv6 = true;			/* UFO: the datagram sums to zero */
	fr = build(&sp);
	v = vnet_for(&fr, VSW_VNET_GSO_UDP, 1000);
	force_zero_udp_csum(&fr, fr.end - fr.l4);
	put16(fr.buf + fr.l4 + 4, 0);	/* the guest's length: ignored */
	sink_init(&k);
	check_ufo(&fr, &v, &k, segment(&fr, &v, &k));
	g_assert_cmphex(be16(((GByteArray *)g_ptr_array_index(k.segs, 0))->data +
			     fr.l4 + 8 + 6), ==, 0xffff);
	sink_clear(&k);

	for (i = 0; i < 2; i++) {
		sink_init(&k);
		g_assert_cmpint(segment(&fr, &v, &k), ==, 4);
		id[i] = be32(((GByteArray *)g_ptr_array_index(k.segs, 0))->data +
			     fr.l4 + 4);
		g_assert_cmpuint(id[i], !=, 0);
		sink_clear(&k);
	}
	g_assert_cmpuint(id[0], !=, id[1]);
	g_free(fr.buf);
}

/* hdr_len, csum_start, csum_offset and the flags do not matter. */
static void test_gso_ignores_hints(void)
{
	struct spec sp = { .proto = 6, .payload = 5000, .ip_opts = 4 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, VSW_VNET_GSO_TCPV4, 1448);
	struct sink k;

	v.hdr_len = 3;
	v.csum_start = 65535;
	v.csum_offset = 65535;
	v.flags = 0;
	memset(fr.buf + fr.l4 + 16, 0x5a, 2);	/* garbage partial sum */
	sink_init(&k);
	check_l4_split(&fr, &v, &k, segment(&fr, &v, &k));
	sink_clear(&k);
	g_free(fr.buf);
}

/* Random shapes: every combination the parser accepts. */
static void test_gso_random(void)
{
	int iter, iters = g_test_slow() ? 5000 : 500;

	for (iter = 0; iter < iters; iter++) {
		static const int opts[] = { 0, 4, 8, 12, 40 };
		struct spec sp = {
			.ipv6 = g_test_rand_bit(),
			.vlans = g_test_rand_int_range(0, 3),
			.ip_opts = opts[g_test_rand_int_range(0, 5)],
			.proto = g_test_rand_bit() ? 6 : 17,
			.tcp_opts = g_test_rand_bit() ? 12 : 0,
			.tcp_flags = (uint8_t)g_test_rand_int(),
			.seq = g_test_rand_int(),
			.ip_id = (uint16_t)g_test_rand_int(),
			.trailer = (uint32_t)g_test_rand_int_range(0, 3) == 0 ?
				   (uint32_t)g_test_rand_int_range(1, 20) : 0,
		};
		uint32_t max = 65535 - 120;
		uint16_t mss;
		uint8_t type;

		if (sp.ipv6)
			sp.ip_opts = 0;
		sp.payload = (uint32_t)g_test_rand_int_range(0, g_test_rand_bit() ?
							     4000 : (int)max);
		mss = (uint16_t)g_test_rand_int_range(g_test_rand_bit() ? 8 : 500,
						      g_test_rand_bit() ? 2000 : 65536);
		if (sp.proto == 6)
			type = sp.ipv6 ? VSW_VNET_GSO_TCPV6 : VSW_VNET_GSO_TCPV4;
		else
			type = g_test_rand_bit() ? VSW_VNET_GSO_UDP :
						   VSW_VNET_GSO_UDP_L4;
		if (g_test_rand_bit())
			type |= VSW_VNET_GSO_ECN;
		if (gso_within_limits(&sp, type, mss))
			g_assert_cmpint(run_gso(&sp, type, mss), >, 0);
		else
			g_assert_cmpint(run_gso_refused(&sp, type, mss), ==, -EINVAL);
	}
}

static void test_gso_emit_error(void)
{
	struct spec sp = { .proto = 6, .payload = 10000 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, VSW_VNET_GSO_TCPV4, 1000);
	struct sink k;

	sink_init(&k);
	k.fail_at = 3;
	g_assert_cmpint(segment(&fr, &v, &k), ==, -EAGAIN);
	g_assert_cmpint(k.calls, ==, 3);
	g_assert_cmpuint(k.segs->len, ==, 2);
	sink_clear(&k);
	g_free(fr.buf);

	sp.proto = 17;			/* UFO fragments and a single datagram */
	fr = build(&sp);
	v = vnet_for(&fr, VSW_VNET_GSO_UDP, 1000);
	sink_init(&k);
	k.fail_at = 2;
	g_assert_cmpint(segment(&fr, &v, &k), ==, -EAGAIN);
	g_assert_cmpint(k.calls, ==, 2);
	v.gso_size = 20000;
	k.fail_at = 3;
	g_assert_cmpint(segment(&fr, &v, &k), ==, -EAGAIN);
	g_assert_cmpint(k.calls, ==, 3);
	sink_clear(&k);
	g_free(fr.buf);
}

static void test_gso_scratch_small(void)
{
	struct spec sp = { .proto = 6, .payload = 10000 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, VSW_VNET_GSO_TCPV4, 1000);
	struct sink k;

	sink_init(&k);
	g_assert_cmpint(vsw_gso_segment(fr.buf, fr.len, &v, scratch(),
					fr.pay + 999, sink_emit, &k), ==,
			-ENOBUFS);
	g_assert_cmpint(k.calls, ==, 0);
	g_assert_cmpint(vsw_gso_segment(fr.buf, fr.len, &v, scratch(),
					fr.pay + 1000, sink_emit, &k), ==, 10);
	sink_clear(&k);
	g_free(fr.buf);
}

/* ---- malformed frames: -EINVAL, nothing emitted ---- */

enum mutation {
	M_GSO_SIZE_0,
	M_GSO_TYPE_UNKNOWN,
	M_GSO_TYPE_2,
	M_TYPE_V6_ON_V4,
	M_TYPE_V4_ON_V6,
	M_TYPE_TCP_ON_UDP,
	M_TYPE_UDP_ON_TCP,
	M_RUNT,
	M_NOT_IP,
	M_VLAN_TRUNC,
	M_VLAN_3DEEP,
	M_IP_TRUNC,
	M_IP_VERSION,
	M_IHL_LT_5,
	M_IHL_BEYOND,
	M_TOTLEN_LIES,
	M_TOTLEN_LT_IHL,
	M_FRAGMENT_MF,
	M_FRAGMENT_OFF,
	M_IP6_TRUNC,
	M_IP6_PLEN_LIES,
	M_IP6_EXTHDR,
	M_L4_TRUNC,
	M_TCP_DOFF_LT_5,
	M_TCP_DOFF_BEYOND,
	M_UFO_MSS_LT_8,
	M_UFO_BAD_OPTION,
	M_COUNT,
};

static void mutate(enum mutation m, struct frame *fr, struct vsw_vnet_hdr *v,
		   uint32_t *len)
{
	uint8_t *ip = fr->buf + fr->l3;

	switch (m) {
	case M_GSO_SIZE_0:
		v->gso_size = 0;
		break;
	case M_GSO_TYPE_UNKNOWN:
		v->gso_type = 0x42;
		break;
	case M_GSO_TYPE_2:
		v->gso_type = 2;
		break;
	case M_TYPE_V6_ON_V4:
		v->gso_type = VSW_VNET_GSO_TCPV6;
		break;
	case M_TYPE_V4_ON_V6:
		v->gso_type = VSW_VNET_GSO_TCPV4;
		break;
	case M_TYPE_TCP_ON_UDP:
		v->gso_type = VSW_VNET_GSO_TCPV4;
		break;
	case M_TYPE_UDP_ON_TCP:
		v->gso_type = VSW_VNET_GSO_UDP_L4;
		break;
	case M_RUNT:
		*len = 13;
		break;
	case M_NOT_IP:
		put16(fr->buf + fr->l3 - 2, 0x0806);
		break;
	case M_VLAN_TRUNC:
		*len = 16;	/* a TPID, no room for the inner ethertype */
		break;
	case M_VLAN_3DEEP:
		put16(fr->buf + 16, 0x8100);
		put16(fr->buf + 20, 0x8100);
		break;
	case M_IP_TRUNC:
		*len = fr->l3 + 19;
		break;
	case M_IP_VERSION:
		ip[0] = (uint8_t)((ip[0] >> 4 == 4 ? 0x60 : 0x40) | (ip[0] & 0xf));
		break;
	case M_IHL_LT_5:
		ip[0] = 0x44;
		break;
	case M_IHL_BEYOND:
		ip[0] = 0x4f;
		put16(ip + 2, 40);
		break;
	case M_TOTLEN_LIES:
		put16(ip + 2, (uint16_t)(fr->end - fr->l3 + 1));
		break;
	case M_TOTLEN_LT_IHL:
		put16(ip + 2, 19);
		break;
	case M_FRAGMENT_MF:
		put16(ip + 6, 0x2000);
		break;
	case M_FRAGMENT_OFF:
		put16(ip + 6, 0x0001);
		break;
	case M_IP6_TRUNC:
		*len = fr->l3 + 39;
		break;
	case M_IP6_PLEN_LIES:
		put16(ip + 4, (uint16_t)(fr->end - fr->l4 + 1));
		break;
	case M_IP6_EXTHDR:
		ip[6] = 0;	/* hop-by-hop */
		break;
	case M_L4_TRUNC:
		if (ip[0] >> 4 == 4)
			put16(ip + 2, (uint16_t)(fr->l4 - fr->l3 + 7));
		else
			put16(ip + 4, 7);
		break;
	case M_TCP_DOFF_LT_5:
		fr->buf[fr->l4 + 12] = 0x40;
		break;
	case M_TCP_DOFF_BEYOND:
		fr->buf[fr->l4 + 12] = 0xf0;
		if (ip[0] >> 4 == 4)
			put16(ip + 2, (uint16_t)(fr->l4 - fr->l3 + 59));
		else
			put16(ip + 4, 59);
		break;
	case M_UFO_MSS_LT_8:
		v->gso_size = 7;
		break;
	case M_UFO_BAD_OPTION:
		ip[24 + 1] = 40;	/* Record Route longer than the header */
		break;
	case M_COUNT:
		break;
	}
}

static void test_gso_malformed(void)
{
	static const struct {
		enum mutation m;
		struct spec sp;
		uint8_t type;
	} cases[] = {
#define T4 { .proto = 6, .payload = 3000 }
#define T6 { .ipv6 = true, .proto = 6, .payload = 3000 }
#define U4 { .proto = 17, .payload = 3000, .ip_opts = 12 }
		{ M_GSO_SIZE_0, T4, VSW_VNET_GSO_TCPV4 },
		{ M_GSO_SIZE_0, U4, VSW_VNET_GSO_UDP },
		{ M_GSO_TYPE_UNKNOWN, T4, VSW_VNET_GSO_TCPV4 },
		{ M_GSO_TYPE_2, T4, VSW_VNET_GSO_TCPV4 },
		{ M_TYPE_V6_ON_V4, T4, VSW_VNET_GSO_TCPV4 },
		{ M_TYPE_V4_ON_V6, T6, VSW_VNET_GSO_TCPV6 },
		{ M_TYPE_TCP_ON_UDP, U4, VSW_VNET_GSO_UDP },
		{ M_TYPE_UDP_ON_TCP, T4, VSW_VNET_GSO_TCPV4 },
		{ M_RUNT, T4, VSW_VNET_GSO_TCPV4 },
		{ M_NOT_IP, T4, VSW_VNET_GSO_TCPV4 },
		{ M_VLAN_TRUNC, { .proto = 6, .vlans = 1 }, VSW_VNET_GSO_TCPV4 },
		{ M_VLAN_3DEEP, { .proto = 6, .vlans = 2, .payload = 3000 },
		  VSW_VNET_GSO_TCPV4 },
		{ M_IP_TRUNC, T4, VSW_VNET_GSO_TCPV4 },
		{ M_IP_VERSION, T4, VSW_VNET_GSO_TCPV4 },
		{ M_IP_VERSION, T6, VSW_VNET_GSO_TCPV6 },
		{ M_IHL_LT_5, T4, VSW_VNET_GSO_TCPV4 },
		{ M_IHL_BEYOND, T4, VSW_VNET_GSO_TCPV4 },
		{ M_TOTLEN_LIES, T4, VSW_VNET_GSO_TCPV4 },
		{ M_TOTLEN_LIES, U4, VSW_VNET_GSO_UDP_L4 },
		{ M_TOTLEN_LT_IHL, T4, VSW_VNET_GSO_TCPV4 },
		{ M_FRAGMENT_MF, T4, VSW_VNET_GSO_TCPV4 },
		{ M_FRAGMENT_OFF, U4, VSW_VNET_GSO_UDP },
		{ M_IP6_TRUNC, T6, VSW_VNET_GSO_TCPV6 },
		{ M_IP6_PLEN_LIES, T6, VSW_VNET_GSO_TCPV6 },
		{ M_IP6_EXTHDR, T6, VSW_VNET_GSO_TCPV6 },
		{ M_L4_TRUNC, T4, VSW_VNET_GSO_TCPV4 },
		{ M_L4_TRUNC, T6, VSW_VNET_GSO_TCPV6 },
		{ M_L4_TRUNC, U4, VSW_VNET_GSO_UDP_L4 },
		{ M_TCP_DOFF_LT_5, T4, VSW_VNET_GSO_TCPV4 },
		{ M_TCP_DOFF_BEYOND, T4, VSW_VNET_GSO_TCPV4 },
		{ M_TCP_DOFF_BEYOND, T6, VSW_VNET_GSO_TCPV6 },
		{ M_UFO_MSS_LT_8, U4, VSW_VNET_GSO_UDP },
		{ M_UFO_BAD_OPTION, U4, VSW_VNET_GSO_UDP },
#undef T4
#undef T6
#undef U4
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr v = vnet_for(&fr, cases[i].type, 1000);
		uint32_t len = fr.len;
		struct sink k;

		int ret;

		mutate(cases[i].m, &fr, &v, &len);
		sink_init(&k);
		ret = vsw_gso_segment(fr.buf, len, &v, scratch(),
				      VSW_GSO_SCRATCH_SIZE, sink_emit, &k);
		if (ret != -EINVAL || k.calls)
			g_error("case %zu (mutation %d): returned %d, %d emitted",
				i, cases[i].m, ret, k.calls);
		sink_clear(&k);
		g_free(fr.buf);
	}
}

/* Every truncation of a valid frame is refused or segmented in bounds. */
static void test_gso_truncations(void)
{
	struct spec sp = { .proto = 6, .payload = 300, .ip_opts = 12,
			   .tcp_opts = 12, .vlans = 1 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr v = vnet_for(&fr, VSW_VNET_GSO_TCPV4, 100);
	uint32_t len;

	for (len = 0; len < fr.len; len++) {
		uint8_t *copy = copy_of(fr.buf, len);
		struct sink k;

		sink_init(&k);
		/* shorter than the IPv4 total length: always a lie */
		g_assert_cmpint(vsw_gso_segment(copy, len, &v, scratch(),
						VSW_GSO_SCRATCH_SIZE,
						sink_emit, &k), ==, -EINVAL);
		g_assert_cmpint(k.calls, ==, 0);
		sink_clear(&k);
		g_free(copy);
	}
	g_free(fr.buf);
}

/* ---- vsw_vnet_check() ---- */

/*
 * What every verdict must leave in @out: no flag but NEEDS_CSUM, no
 * num_buffers, no GSO fields without a GSO type, no checksum fields without
 * NEEDS_CSUM, all zero for BAD.
 */
static void assert_out_clean(int verdict, const struct vsw_vnet_hdr *o,
			     uint32_t len)
{
	static const struct vsw_vnet_hdr zero;

	g_assert_cmpuint(o->flags & ~VSW_VNET_F_NEEDS_CSUM, ==, 0);
	g_assert_cmpuint(o->num_buffers, ==, 0);
	if (verdict == VSW_VNET_BAD)
		g_assert_cmpmem(o, sizeof(*o), &zero, sizeof(zero));
	if (o->gso_type == VSW_VNET_GSO_NONE) {
		g_assert_cmpuint(o->gso_size, ==, 0);
		g_assert_cmpuint(o->hdr_len, ==, 0);
	}
	if (!(o->flags & VSW_VNET_F_NEEDS_CSUM)) {
		g_assert_cmpuint(o->csum_start, ==, 0);
		g_assert_cmpuint(o->csum_offset, ==, 0);
	} else {
		g_assert_cmpuint(o->csum_start, >=, 14);
		g_assert_cmpuint((uint32_t)o->csum_start + o->csum_offset + 2,
				 <=, len);
	}
}

/*
 * vsw_vnet_check() as the data path calls it: on an exact-size private copy
 * of the first min(len, VSW_HDR_COPY) bytes (ASan sees any read beyond),
 * or of the first @hdr_len bytes if that is smaller.
 */
static int check_hdr(const uint8_t *f, uint32_t len, uint32_t hdr_len,
		     const struct vsw_vnet_hdr *in, struct vsw_vnet_hdr *out)
{
	uint32_t hl = len < VSW_HDR_COPY ? len : VSW_HDR_COPY;
	uint8_t *h;
	int ret;

	if (hdr_len < hl)
		hl = hdr_len;
	h = copy_of(f, hl);
	if (out != in)
		memset(out, 0xa5, sizeof(*out));	/* written in full */
	ret = vsw_vnet_check(h, hl, len, in, out);
	g_free(h);
	g_assert_true(ret == VSW_VNET_PASS || ret == VSW_VNET_SOFTWARE ||
		      ret == VSW_VNET_BAD);
	assert_out_clean(ret, out, len);
	return ret;
}

static int check_frame(const struct frame *fr, const struct vsw_vnet_hdr *in,
		       struct vsw_vnet_hdr *out)
{
	return check_hdr(fr->buf, fr->len, UINT32_MAX, in, out);
}

/* Verdict only. */
static int verdict_of(const struct frame *fr, const struct vsw_vnet_hdr *in)
{
	struct vsw_vnet_hdr out;

	return check_frame(fr, in, &out);
}

static uint16_t csum_field_off(const struct frame *fr)
{
	return fr->proto == 6 ? 16 : 6;
}

/* The header a PASS of @fr must produce: the frame's own offsets. */
static void assert_canonical(const struct frame *fr, const struct vsw_vnet_hdr *o,
			     uint8_t gso_type, uint16_t gso_size)
{
	g_assert_cmpuint(o->flags, ==, VSW_VNET_F_NEEDS_CSUM);
	g_assert_cmphex(o->gso_type, ==, gso_type);
	g_assert_cmpuint(o->gso_size, ==, gso_size);
	g_assert_cmpuint(o->csum_start, ==, fr->l4);
	g_assert_cmpuint(o->csum_offset, ==, csum_field_off(fr));
	if (gso_type == VSW_VNET_GSO_NONE)
		g_assert_cmpuint(o->hdr_len, ==, 0);
	else if ((gso_type & 0x7f) == VSW_VNET_GSO_UDP)
		g_assert_cmpuint(o->hdr_len, ==, fr->l4 + 8);
	else
		g_assert_cmpuint(o->hdr_len, ==, fr->pay);
}

/* No offload asked for: PASS with an all-zero header, whatever the frame. */
static void test_check_plain(void)
{
	static const struct vsw_vnet_hdr zero;
	struct vsw_vnet_hdr in = {
		.flags = VSW_VNET_F_DATA_VALID | 0xfc,
		.hdr_len = 99, .gso_size = 1448, .csum_start = 7,
		.csum_offset = 3, .num_buffers = 5,
	}, out;
	uint8_t junk[64];
	uint32_t len;

	memset(junk, 0xee, sizeof(junk));
	for (len = 0; len <= sizeof(junk); len += 5) {
		g_assert_cmpint(check_hdr(junk, len, UINT32_MAX, &in, &out), ==,
				VSW_VNET_PASS);
		g_assert_cmpmem(&out, sizeof(out), &zero, sizeof(zero));
	}
}

/* NEEDS_CSUM at the frame's own TCP/UDP checksum: PASS, then a completed
 * checksum that verifies, with DATA_VALID.
 */
static void test_check_csum_canonical(void)
{
	static const struct spec specs[] = {
		{ .proto = 6, .payload = 1000 },
		{ .proto = 6, .payload = 1000, .ip_opts = 40, .tcp_opts = 12,
		  .vlans = 2 },
		{ .ipv6 = true, .proto = 6, .payload = 999, .vlans = 1 },
		{ .proto = 17, .payload = 512, .ip_opts = 12 },
		{ .ipv6 = true, .proto = 17, .payload = 0 },
		{ .proto = 6, .payload = 10, .trailer = 6 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(specs); i++) {
		struct frame fr = build(&specs[i]);
		struct vsw_vnet_hdr in = vnet_for(&fr, VSW_VNET_GSO_NONE, 0), out;

		in.hdr_len = 1234;		/* not GSO: dropped */
		g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_PASS);
		assert_canonical(&fr, &out, VSW_VNET_GSO_NONE, 0);
		if (!specs[i].trailer) {
			g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &out),
					==, 0);
			g_assert_cmpuint(out.flags, ==, VSW_VNET_F_DATA_VALID);
			g_assert_true(ref_l4_valid(fr.ipv6, fr.buf + fr.l3,
						   fr.proto, fr.buf + fr.l4,
						   fr.end - fr.l4));
		}
		g_free(fr.buf);
	}
}

/*
 * Insert IPv6 extension headers of the given types and lengths (multiples
 * of 8) between the IPv6 header and the L4 header of @fr.
 */
static void insert_ext6(struct frame *fr, const uint8_t *types,
			const uint32_t *lens, int n)
{
	uint32_t total = 0, off;
	uint8_t *b;
	int i;

	for (i = 0; i < n; i++)
		total += lens[i];
	b = g_malloc(fr->len + total);
	memcpy(b, fr->buf, fr->l4);
	memcpy(b + fr->l4 + total, fr->buf + fr->l4, fr->len - fr->l4);
	off = fr->l4;
	for (i = 0; i < n; i++) {
		memset(b + off, 0, lens[i]);
		b[off] = i + 1 < n ? types[i + 1] : fr->proto;
		b[off + 1] = (uint8_t)(lens[i] / 8 - 1);
		b[off + 2] = 1;			/* PadN over the rest */
		b[off + 3] = (uint8_t)(lens[i] - 4);
		off += lens[i];
	}
	b[fr->l3 + 6] = types[0];
	put16(b + fr->l3 + 4, (uint16_t)(be16(b + fr->l3 + 4) + total));
	g_free(fr->buf);
	fr->buf = b;
	fr->l4 += total;
	fr->pay += total;
	fr->end += total;
	fr->len += total;
}

/* IPv6 extension headers before the L4 header, for a checksum only. */
static void test_check_csum_ipv6_ext(void)
{
	static const struct {
		uint8_t types[3];
		uint32_t lens[3];
		int n;
		int verdict;
	} cases[] = {
		{ { 0, 60 }, { 8, 16 }, 2, VSW_VNET_PASS },
		{ { 0, 43, 60 }, { 8, 24, 8 }, 3, VSW_VNET_PASS },
		{ { 60 }, { 120 }, 1, VSW_VNET_PASS },	/* ends at 174 */
		{ { 60 }, { 144 }, 1, VSW_VNET_SOFTWARE },	/* beyond the copy */
		{ { 60, 0 }, { 8, 8 }, 2, VSW_VNET_SOFTWARE },	/* HBH not first */
		{ { 44 }, { 8 }, 1, VSW_VNET_SOFTWARE },	/* fragment */
		{ { 51 }, { 16 }, 1, VSW_VNET_SOFTWARE },	/* AH */
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct spec sp = { .ipv6 = true, .proto = (uint8_t)(i % 2 ? 17 : 6),
				   .payload = 300, .vlans = 1 };
		struct frame fr = build(&sp);
		struct vsw_vnet_hdr in, out;

		insert_ext6(&fr, cases[i].types, cases[i].lens, cases[i].n);
		in = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);
		if (check_frame(&fr, &in, &out) != cases[i].verdict)
			g_error("case %zu: verdict %d", i, check_frame(&fr, &in, &out));
		g_assert_cmpuint(out.csum_start, ==, fr.l4);
		g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &out), ==, 0);
		g_assert_cmpuint(out.flags, ==, cases[i].verdict == VSW_VNET_PASS ?
				 VSW_VNET_F_DATA_VALID : 0);
		g_assert_true(ref_l4_valid(true, fr.buf + fr.l3, fr.proto,
					   fr.buf + fr.l4, fr.end - fr.l4));
		/* GSO over extension headers: segmentation cannot, so BAD */
		in = vnet_for(&fr, fr.proto == 6 ? VSW_VNET_GSO_TCPV6 :
			      VSW_VNET_GSO_UDP_L4, 100);
		g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_BAD);
		g_free(fr.buf);
	}
}

/* Only NEEDS_CSUM survives; DATA_VALID and unknown bits never do. */
static void test_check_flags(void)
{
	struct spec sp = { .proto = 6, .payload = 3000 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr in = vnet_for(&fr, VSW_VNET_GSO_NONE, 0), out;
	unsigned f;

	for (f = 0; f < 256; f++) {
		in.flags = (uint8_t)f;
		in.num_buffers = (uint16_t)(f * 257);
		in.gso_type = VSW_VNET_GSO_NONE;
		g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_PASS);
		g_assert_cmpuint(out.flags, ==, f & VSW_VNET_F_NEEDS_CSUM);
		g_assert_cmpuint(out.num_buffers, ==, 0);

		in.gso_type = VSW_VNET_GSO_TCPV4;
		in.gso_size = 1448;
		g_assert_cmpint(check_frame(&fr, &in, &out), ==,
				f & VSW_VNET_F_NEEDS_CSUM ? VSW_VNET_PASS :
				VSW_VNET_SOFTWARE);
		g_assert_cmpuint(out.flags, ==, f & VSW_VNET_F_NEEDS_CSUM);
	}
	/* DATA_VALID alone is a plain frame: the receiver verifies */
	in = (struct vsw_vnet_hdr){ .flags = VSW_VNET_F_DATA_VALID };
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_PASS);
	g_assert_cmpuint(out.flags, ==, 0);
	g_free(fr.buf);
}

/*
 * NEEDS_CSUM at an offset that is not the frame's L4 checksum, in bounds:
 * SOFTWARE; vsw_csum_complete() fills that field so that the sum from
 * csum_start verifies, changes nothing else, and claims no DATA_VALID.
 */
static void test_check_csum_software(void)
{
	static const struct {
		struct spec sp;
		int start;		/* relative to l4; -100: l3 */
		uint16_t off;
	} cases[] = {
		/* a tunnel: the inner checksum, 20 bytes into the payload */
		{ { .proto = 17, .payload = 200 }, 8 + 20, 16 },
		{ { .proto = 6, .payload = 200 }, 0, 6 },	/* UDP's on TCP */
		{ { .proto = 17, .payload = 200 }, 0, 16 },	/* TCP's on UDP */
		{ { .proto = 6, .payload = 200, .vlans = 1 }, 2, 16 },
		{ { .ipv6 = true, .proto = 6, .payload = 200 }, 20, 0 },
		{ { .proto = 6, .payload = 200 }, -100, 10 },	/* IPv4 hdr */
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, VSW_VNET_GSO_NONE, 0), out;
		uint32_t start = cases[i].start == -100 ? fr.l3 :
				 fr.l4 + (uint32_t)cases[i].start;
		uint32_t field = start + cases[i].off;
		uint8_t *orig;

		in.flags |= VSW_VNET_F_DATA_VALID;
		in.csum_start = (uint16_t)start;
		in.csum_offset = cases[i].off;
		g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_SOFTWARE);
		g_assert_cmpuint(out.flags, ==, VSW_VNET_F_NEEDS_CSUM);
		g_assert_cmpuint(out.csum_start, ==, start);
		g_assert_cmpuint(out.csum_offset, ==, cases[i].off);

		fr.buf[field] = fr.buf[field + 1] = 0;	/* a zero seed */
		orig = copy_of(fr.buf, fr.len);
		g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &out), ==, 0);
		g_assert_cmpuint(out.flags, ==, 0);
		g_assert_cmphex(ref_fold(ref_sum(fr.buf + start, fr.len - start, 0)),
				==, 0xffff);
		g_assert_cmpmem(fr.buf, field, orig, field);
		g_assert_cmpmem(fr.buf + field + 2, fr.len - field - 2,
				orig + field + 2, fr.len - field - 2);
		g_free(orig);
		g_free(fr.buf);
	}
}

/* Frames whose own headers do not give an L4 checksum: SOFTWARE if the
 * offsets are in bounds, never PASS.
 */
static void test_check_csum_not_l4(void)
{
	struct spec sp = { .proto = 6, .payload = 500 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr in = vnet_for(&fr, VSW_VNET_GSO_NONE, 0), out;
	uint8_t *ip = fr.buf + fr.l3;

	put16(ip + 6, 0x2000);			/* a first fragment */
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_SOFTWARE);
	put16(ip + 6, 0x4000);
	put16(ip + 2, (uint16_t)(fr.end - fr.l3 + 1));	/* longer than the frame */
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_SOFTWARE);
	put16(ip + 2, (uint16_t)(fr.l4 - fr.l3 + 19));	/* no room for TCP */
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_SOFTWARE);
	put16(ip + 2, (uint16_t)(fr.end - fr.l3));
	ip[9] = 132;					/* SCTP */
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_SOFTWARE);
	ip[9] = 6;
	put16(fr.buf + 12, 0x88b5);			/* not IP */
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_SOFTWARE);
	put16(fr.buf + 12, 0x0800);
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_PASS);
	/* the IP header outside the private copy */
	g_assert_cmpint(check_hdr(fr.buf, fr.len, fr.l4 - 1, &in, &out), ==,
			VSW_VNET_SOFTWARE);
	g_assert_cmpint(check_hdr(fr.buf, fr.len, fr.l4, &in, &out), ==,
			VSW_VNET_PASS);
	g_free(fr.buf);
	/* ... its options too */
	sp.ip_opts = 40;
	fr = build(&sp);
	in = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);
	g_assert_cmpint(check_hdr(fr.buf, fr.len, fr.l3 + 21, &in, &out), ==,
			VSW_VNET_SOFTWARE);
	g_assert_cmpint(check_hdr(fr.buf, fr.len, fr.l4 - 1, &in, &out), ==,
			VSW_VNET_SOFTWARE);
	g_assert_cmpint(check_hdr(fr.buf, fr.len, fr.l4, &in, &out), ==,
			VSW_VNET_PASS);
	g_free(fr.buf);
}

/* NEEDS_CSUM out of bounds: BAD. */
static void test_check_csum_bounds(void)
{
	struct spec sp = { .proto = 6, .payload = 100, .vlans = 1 };
	struct frame fr = build(&sp);
	static const struct { uint32_t start, off; int verdict; } cases[] = {
		{ 0, 40, VSW_VNET_BAD },		/* in the addresses */
		{ 12, 40, VSW_VNET_BAD },
		{ 14, 40, VSW_VNET_BAD },		/* in the VLAN tag */
		{ 17, 40, VSW_VNET_BAD },
		{ 18, 40, VSW_VNET_SOFTWARE },		/* the IP header */
		{ 0xffff, 0, VSW_VNET_BAD },
		{ 18, 0xffff, VSW_VNET_BAD },
		{ 0xffff, 0xffff, VSW_VNET_BAD },
	};
	struct vsw_vnet_hdr in = { .flags = VSW_VNET_F_NEEDS_CSUM }, out;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		in.csum_start = (uint16_t)cases[i].start;
		in.csum_offset = (uint16_t)cases[i].off;
		g_assert_cmpint(verdict_of(&fr, &in), ==, cases[i].verdict);
	}
	/* the field must fit whole: start + offset + 2 == len is the limit */
	in.csum_start = (uint16_t)fr.l4;
	in.csum_offset = (uint16_t)(fr.len - fr.l4 - 2);
	g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_SOFTWARE);
	in.csum_offset++;
	g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_BAD);
	/* runts and a cut tag: no Ethernet header to start after */
	in.csum_start = 14;
	in.csum_offset = 0;
	g_assert_cmpint(check_hdr(fr.buf, 13, UINT32_MAX, &in, &out), ==,
			VSW_VNET_BAD);
	g_assert_cmpint(check_hdr(fr.buf, 17, UINT32_MAX, &in, &out), ==,
			VSW_VNET_BAD);
	in.csum_start = 18;
	g_assert_cmpint(check_hdr(fr.buf, 20, UINT32_MAX, &in, &out), ==,
			VSW_VNET_SOFTWARE);
	g_free(fr.buf);
}

/* Well-formed GSO frames: PASS with the frame's own offsets, then
 * segmentation of the rebuilt header gives correct segments.
 */
static void test_check_gso_canonical(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
		uint16_t mss;
	} cases[] = {
		{ { .proto = 6, .payload = 10000, .tcp_opts = 12 },
		  VSW_VNET_GSO_TCPV4, 1448 },
		{ { .proto = 6, .payload = 10000, .ip_opts = 40, .tcp_opts = 12,
		    .vlans = 2 }, VSW_VNET_GSO_TCPV4 | VSW_VNET_GSO_ECN, 1388 },
		{ { .ipv6 = true, .proto = 6, .payload = 60000 },
		  VSW_VNET_GSO_TCPV6, 1440 },
		{ { .ipv6 = true, .proto = 6, .payload = 100 },
		  VSW_VNET_GSO_TCPV6 | VSW_VNET_GSO_ECN, 1440 },	/* fits */
		{ { .proto = 17, .payload = 14720 }, VSW_VNET_GSO_UDP_L4, 1472 },
		{ { .ipv6 = true, .proto = 17, .payload = 14720, .vlans = 1 },
		  VSW_VNET_GSO_UDP_L4, 1200 },
		{ { .proto = 17, .payload = 8000, .ip_opts = 12 },
		  VSW_VNET_GSO_UDP, 1480 },
		{ { .ipv6 = true, .proto = 17, .payload = 9000 },
		  VSW_VNET_GSO_UDP, 1448 },
		{ { .proto = 6, .payload = 3000, .trailer = 9 },
		  VSW_VNET_GSO_TCPV4, 1000 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, cases[i].mss);
		struct vsw_vnet_hdr out;
		struct sink k;

		g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_PASS);
		assert_canonical(&fr, &out, cases[i].type, cases[i].mss);
		sink_init(&k);
		if ((cases[i].type & 0x7f) == VSW_VNET_GSO_UDP)
			check_ufo(&fr, &out, &k, segment(&fr, &out, &k));
		else
			check_l4_split(&fr, &out, &k, segment(&fr, &out, &k));
		sink_clear(&k);
		g_free(fr.buf);
	}
}

/* gso_type must agree with the frame; ECN only on TCP; unknown types. */
static void test_check_gso_mismatch(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
	} cases[] = {
		{ { .ipv6 = true, .proto = 6, .payload = 3000 }, VSW_VNET_GSO_TCPV4 },
		{ { .proto = 6, .payload = 3000 }, VSW_VNET_GSO_TCPV6 },
		{ { .proto = 17, .payload = 3000 }, VSW_VNET_GSO_TCPV4 },
		{ { .ipv6 = true, .proto = 17, .payload = 3000 }, VSW_VNET_GSO_TCPV6 },
		{ { .proto = 6, .payload = 3000 }, VSW_VNET_GSO_UDP_L4 },
		{ { .ipv6 = true, .proto = 6, .payload = 3000 }, VSW_VNET_GSO_UDP },
		{ { .proto = 17, .payload = 3000 },
		  VSW_VNET_GSO_UDP_L4 | VSW_VNET_GSO_ECN },
		{ { .ipv6 = true, .proto = 17, .payload = 3000 },
		  VSW_VNET_GSO_UDP | VSW_VNET_GSO_ECN },
		{ { .proto = 6, .payload = 3000 }, VSW_VNET_GSO_ECN },
		{ { .proto = 6, .payload = 3000 }, 2 },
		{ { .proto = 6, .payload = 3000 }, 6 },
		{ { .proto = 6, .payload = 3000 }, 0x7f },
		{ { .proto = 6, .payload = 3000 }, 0x81 | 0x02 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, 1000);

		if (verdict_of(&fr, &in) != VSW_VNET_BAD)
			g_error("case %zu: not BAD", i);
		in.flags = 0;		/* not SOFTWARE either */
		if (verdict_of(&fr, &in) != VSW_VNET_BAD)
			g_error("case %zu: not BAD without NEEDS_CSUM", i);
		g_free(fr.buf);
	}
}

/* GSO with NEEDS_CSUM anywhere but the L4 checksum: BAD. */
static void test_check_gso_csum_offsets(void)
{
	struct spec sp = { .proto = 6, .payload = 3000, .vlans = 1 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr in = vnet_for(&fr, VSW_VNET_GSO_TCPV4, 1448);

	g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_PASS);
	in.csum_offset = 6;
	g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_BAD);
	in.csum_offset = 16;
	in.csum_start = (uint16_t)(fr.l4 + 4);
	g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_BAD);
	in.csum_start = (uint16_t)fr.l3;
	in.csum_offset = (uint16_t)(fr.l4 - fr.l3 + 16);
	g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_BAD);
	g_free(fr.buf);
}

/* The gso_size floor: TCP_MIN_MSS for TCP, 8 for UDP; GSO_BY_FRAGS. */
static void test_check_gso_size(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
		uint16_t mss;
		int verdict;
	} cases[] = {
#define T4 { .proto = 6, .payload = 5000 }
#define T6 { .ipv6 = true, .proto = 6, .payload = 5000 }
#define U4 { .proto = 17, .payload = 500 }
#define U6 { .ipv6 = true, .proto = 17, .payload = 500 }
		{ T4, VSW_VNET_GSO_TCPV4, 0, VSW_VNET_BAD },
		{ T4, VSW_VNET_GSO_TCPV4, 1, VSW_VNET_BAD },
		{ T4, VSW_VNET_GSO_TCPV4, 87, VSW_VNET_BAD },
		{ T4, VSW_VNET_GSO_TCPV4, 88, VSW_VNET_PASS },
		{ T4, VSW_VNET_GSO_TCPV4, 89, VSW_VNET_PASS },
		{ T6, VSW_VNET_GSO_TCPV6, 87, VSW_VNET_BAD },
		{ T6, VSW_VNET_GSO_TCPV6, 88, VSW_VNET_PASS },
		{ U4, VSW_VNET_GSO_UDP_L4, 1, VSW_VNET_BAD },
		{ U4, VSW_VNET_GSO_UDP_L4, 7, VSW_VNET_BAD },
		{ U4, VSW_VNET_GSO_UDP_L4, 8, VSW_VNET_PASS },
		{ U6, VSW_VNET_GSO_UDP, 7, VSW_VNET_BAD },
		{ U6, VSW_VNET_GSO_UDP, 8, VSW_VNET_PASS },
		{ U4, VSW_VNET_GSO_UDP, 15, VSW_VNET_PASS },	/* rounds to 8 */
		/* small payloads too: the floor is about the header */
		{ { .proto = 6, .payload = 1 }, VSW_VNET_GSO_TCPV4, 1, VSW_VNET_BAD },
		{ { .proto = 6 }, VSW_VNET_GSO_TCPV4, 87, VSW_VNET_BAD },
		{ { .proto = 6 }, VSW_VNET_GSO_TCPV4, 88, VSW_VNET_PASS },
		/* Linux's GSO_BY_FRAGS, refused by virtio_net_hdr_to_skb() */
		{ T4, VSW_VNET_GSO_TCPV4, 0xffff, VSW_VNET_BAD },
		{ T4, VSW_VNET_GSO_TCPV4, 0xfffe, VSW_VNET_PASS },
		{ U4, VSW_VNET_GSO_UDP, 0xffff, VSW_VNET_BAD },
		/* IPv6 fragments of 65528 bytes + 8 overflow payload_len */
		{ { .ipv6 = true, .proto = 17, .payload = 65527 },
		  VSW_VNET_GSO_UDP, 65528, VSW_VNET_BAD },
		{ { .ipv6 = true, .proto = 17, .payload = 65527 },
		  VSW_VNET_GSO_UDP, 65527, VSW_VNET_PASS },
#undef T4
#undef T6
#undef U4
#undef U6
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, cases[i].mss);
		int v = verdict_of(&fr, &in);

		if (v != cases[i].verdict)
			g_error("case %zu: verdict %d, want %d", i, v,
				cases[i].verdict);
		g_free(fr.buf);
	}
}

/*
 * The segment cap.  TSO cannot reach it above the floor: the largest frames
 * at gso_size 88 pass and make 745 segments.  USO: 128 datagrams; UFO: 1024
 * fragments.
 */
static void test_check_gso_cap(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
		uint16_t mss;
		int verdict;
		int segs;
	} cases[] = {
		{ { .proto = 6, .payload = 65535 - 40 }, VSW_VNET_GSO_TCPV4, 88,
		  VSW_VNET_PASS, 745 },
		{ { .ipv6 = true, .proto = 6, .payload = 65535 - 20 },
		  VSW_VNET_GSO_TCPV6, 88, VSW_VNET_PASS, 745 },
		{ { .proto = 17, .payload = 128 * 100 }, VSW_VNET_GSO_UDP_L4, 100,
		  VSW_VNET_PASS, 128 },
		{ { .proto = 17, .payload = 128 * 100 + 1 }, VSW_VNET_GSO_UDP_L4,
		  100, VSW_VNET_BAD, 0 },
		{ { .ipv6 = true, .proto = 17, .payload = 128 * 8 + 1 },
		  VSW_VNET_GSO_UDP_L4, 8, VSW_VNET_BAD, 0 },
		{ { .proto = 17, .payload = 1024 * 8 - 8 }, VSW_VNET_GSO_UDP, 8,
		  VSW_VNET_PASS, 1024 },
		{ { .proto = 17, .payload = 1024 * 8 - 7 }, VSW_VNET_GSO_UDP, 8,
		  VSW_VNET_BAD, 0 },
		{ { .ipv6 = true, .proto = 17, .payload = 65535 - 8 },
		  VSW_VNET_GSO_UDP, 64, VSW_VNET_PASS, 1024 },
		{ { .ipv6 = true, .proto = 17, .payload = 65535 - 8 },
		  VSW_VNET_GSO_UDP, 63, VSW_VNET_BAD, 0 },	/* 56: 1171 */
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, cases[i].mss);
		struct vsw_vnet_hdr out;
		struct sink k;
		int ret;

		g_assert_cmpint(check_frame(&fr, &in, &out), ==, cases[i].verdict);
		sink_init(&k);
		/* segmentation enforces the same cap on the guest's header */
		ret = segment(&fr, &in, &k);
		if (cases[i].verdict == VSW_VNET_BAD) {
			g_assert_cmpint(ret, ==, -EINVAL);
			g_assert_cmpint(k.calls, ==, 0);
		} else if ((cases[i].type & 0x7f) == VSW_VNET_GSO_UDP) {
			check_ufo(&fr, &out, &k, ret);
		} else {
			check_l4_split(&fr, &out, &k, ret);
		}
		if (cases[i].segs)
			g_assert_cmpint(ret, ==, cases[i].segs);
		sink_clear(&k);
		g_free(fr.buf);
	}
}

/* GSO without NEEDS_CSUM: SOFTWARE; segmenting the rebuilt header works
 * and computes every checksum, whatever the field held.
 */
static void test_check_gso_software(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
	} cases[] = {
		{ { .proto = 6, .payload = 5000 }, VSW_VNET_GSO_TCPV4 },
		{ { .ipv6 = true, .proto = 6, .payload = 5000, .vlans = 1 },
		  VSW_VNET_GSO_TCPV6 | VSW_VNET_GSO_ECN },
		{ { .proto = 17, .payload = 5000 }, VSW_VNET_GSO_UDP_L4 },
		{ { .ipv6 = true, .proto = 17, .payload = 5000 }, VSW_VNET_GSO_UDP },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, 1000), out;
		struct sink k;

		in.flags = VSW_VNET_F_DATA_VALID;
		in.csum_start = 3;
		in.csum_offset = 60000;
		memset(fr.buf + fr.l4 + csum_field_off(&fr), 0x5a, 2);
		g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_SOFTWARE);
		g_assert_cmpuint(out.flags, ==, 0);
		g_assert_cmphex(out.gso_type, ==, cases[i].type);
		g_assert_cmpuint(out.gso_size, ==, 1000);
		g_assert_cmpuint(out.hdr_len, ==, (cases[i].type & 0x7f) ==
				 VSW_VNET_GSO_UDP ? fr.l4 + 8 : fr.pay);
		sink_init(&k);
		if ((cases[i].type & 0x7f) == VSW_VNET_GSO_UDP)
			check_ufo(&fr, &out, &k, segment(&fr, &out, &k));
		else
			check_l4_split(&fr, &out, &k, segment(&fr, &out, &k));
		sink_clear(&k);
		g_free(fr.buf);
	}
}

/* hdr_len is the frame's, whatever the guest said. */
static void test_check_hdr_len(void)
{
	static const uint16_t lies[] = { 0, 1, 14, 54, 66, 65535 };
	static const struct {
		struct spec sp;
		uint8_t type;
		uint32_t want;
	} cases[] = {
		{ { .proto = 6, .payload = 3000 }, VSW_VNET_GSO_TCPV4, 54 },
		{ { .proto = 6, .payload = 3000, .tcp_opts = 12 },
		  VSW_VNET_GSO_TCPV4, 66 },
		{ { .proto = 6, .payload = 3000, .tcp_opts = 12, .ip_opts = 40,
		    .vlans = 2 }, VSW_VNET_GSO_TCPV4, 22 + 60 + 32 },
		{ { .ipv6 = true, .proto = 6, .payload = 3000, .vlans = 1 },
		  VSW_VNET_GSO_TCPV6, 18 + 40 + 20 },
		{ { .proto = 17, .payload = 3000, .ip_opts = 4 },
		  VSW_VNET_GSO_UDP_L4, 14 + 24 + 8 },
		{ { .proto = 17, .payload = 3000 }, VSW_VNET_GSO_UDP, 14 + 20 + 8 },
	};
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);

		for (j = 0; j < G_N_ELEMENTS(lies); j++) {
			struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, 1000);
			struct vsw_vnet_hdr out;

			in.hdr_len = lies[j];
			g_assert_cmpint(check_frame(&fr, &in, &out), ==,
					VSW_VNET_PASS);
			g_assert_cmpuint(out.hdr_len, ==, cases[i].want);
		}
		g_free(fr.buf);
	}
}

/* A GSO frame must not be an IPv4 fragment. */
static void test_check_gso_fragment(void)
{
	static const uint16_t frag[] = { 0x2000, 0x0001, 0x3fff, 0x6000 };
	static const uint8_t types[] = {
		VSW_VNET_GSO_TCPV4, VSW_VNET_GSO_UDP_L4, VSW_VNET_GSO_UDP,
	};
	size_t i, j;

	for (i = 0; i < G_N_ELEMENTS(types); i++) {
		struct spec sp = { .proto = i ? 17 : 6, .payload = 3000 };
		struct frame fr = build(&sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, types[i], 1000);

		g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_PASS);
		for (j = 0; j < G_N_ELEMENTS(frag); j++) {
			put16(fr.buf + fr.l3 + 6, frag[j]);
			g_assert_cmpint(verdict_of(&fr, &in), ==, VSW_VNET_BAD);
		}
		g_free(fr.buf);
	}
}

/*
 * Every header byte a GSO verdict reads must be in the private copy: with
 * less than the headers, BAD; the longest headers fit VSW_HDR_COPY.
 */
static void test_check_hdr_copy(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
	} cases[] = {
		{ { .proto = 6, .payload = 3000, .tcp_opts = 12, .ip_opts = 40,
		    .vlans = 2 }, VSW_VNET_GSO_TCPV4 },
		{ { .ipv6 = true, .proto = 6, .payload = 3000 }, VSW_VNET_GSO_TCPV6 },
		{ { .proto = 17, .payload = 3000, .ip_opts = 12 }, VSW_VNET_GSO_UDP },
		{ { .ipv6 = true, .proto = 17, .payload = 3000, .vlans = 1 },
		  VSW_VNET_GSO_UDP_L4 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, 1000), out;
		uint32_t need = (cases[i].type & 0x7f) == VSW_VNET_GSO_UDP ?
				fr.l4 + 8 : fr.pay, hl;

		g_assert_cmpuint(need, <=, VSW_HDR_COPY);
		for (hl = 0; hl <= need; hl++) {
			g_assert_cmpint(check_hdr(fr.buf, fr.len, hl, &in, &out),
					==, hl < need ? VSW_VNET_BAD : VSW_VNET_PASS);
			in.flags = 0;
			g_assert_cmpint(check_hdr(fr.buf, fr.len, hl, &in, &out),
					==, hl < need ? VSW_VNET_BAD :
					VSW_VNET_SOFTWARE);
			in.flags = VSW_VNET_F_NEEDS_CSUM;
		}
		g_free(fr.buf);
	}
}

/* Every truncation of a valid GSO frame lies about its IP length: BAD. */
static void test_check_truncations(void)
{
	struct spec sp = { .proto = 6, .payload = 300, .ip_opts = 12,
			   .tcp_opts = 12, .vlans = 1 };
	struct frame fr = build(&sp);
	struct vsw_vnet_hdr in = vnet_for(&fr, VSW_VNET_GSO_TCPV4, 100), out;
	uint32_t len;

	for (len = 0; len < fr.len; len++) {
		uint8_t *copy = copy_of(fr.buf, len);

		g_assert_cmpint(check_hdr(copy, len, UINT32_MAX, &in, &out), ==,
				VSW_VNET_BAD);
		g_free(copy);
	}
	g_assert_cmpint(check_frame(&fr, &in, &out), ==, VSW_VNET_PASS);
	g_free(fr.buf);
}

/* A rebuilt header checks to itself; @out may be @in. */
static void test_check_idempotent(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
		uint8_t flags;
		int off;	/* added to csum_start */
	} cases[] = {
		{ { .proto = 6, .payload = 3000 }, VSW_VNET_GSO_TCPV4, 1, 0 },
		{ { .proto = 6, .payload = 3000 }, VSW_VNET_GSO_TCPV4, 0, 0 },
		{ { .ipv6 = true, .proto = 17, .payload = 3000 },
		  VSW_VNET_GSO_UDP, 0, 0 },
		{ { .proto = 17, .payload = 3000 }, VSW_VNET_GSO_NONE, 1, 0 },
		{ { .proto = 17, .payload = 3000 }, VSW_VNET_GSO_NONE, 1, 20 },
		{ { .proto = 17, .payload = 3000 }, VSW_VNET_GSO_NONE, 0, 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct frame fr = build(&cases[i].sp);
		struct vsw_vnet_hdr in = vnet_for(&fr, cases[i].type, 1000);
		struct vsw_vnet_hdr a, b;
		int v1, v2;

		in.flags = cases[i].flags | VSW_VNET_F_DATA_VALID | 0x40;
		in.csum_start = (uint16_t)(in.csum_start + cases[i].off);
		v1 = check_frame(&fr, &in, &a);
		g_assert_cmpint(v1, !=, VSW_VNET_BAD);
		v2 = check_frame(&fr, &a, &b);
		g_assert_cmpint(v2, ==, v1);
		g_assert_cmpmem(&a, sizeof(a), &b, sizeof(b));
		b = in;
		g_assert_cmpint(check_hdr(fr.buf, fr.len, UINT32_MAX, &b, &b), ==,
				v1);
		g_assert_cmpmem(&a, sizeof(a), &b, sizeof(b));
		g_free(fr.buf);
	}
}

/* Random valid shapes and random gso_size, ECN and NEEDS_CSUM: the verdict
 * follows the limits, and what passes segments within the cap.
 */
static void test_check_random(void)
{
	int iter, iters = g_test_slow() ? 3000 : 300;

	for (iter = 0; iter < iters; iter++) {
		static const int opts[] = { 0, 4, 8, 12, 40 };
		struct spec sp = {
			.ipv6 = g_test_rand_bit(),
			.vlans = g_test_rand_int_range(0, 3),
			.ip_opts = opts[g_test_rand_int_range(0, 5)],
			.proto = g_test_rand_bit() ? 6 : 17,
			.tcp_opts = g_test_rand_bit() ? 12 : 0,
			.tcp_flags = (uint8_t)g_test_rand_int(),
			.seq = g_test_rand_int(),
			.trailer = g_test_rand_int_range(0, 4) == 0 ? 5 : 0,
		};
		struct frame fr;
		struct vsw_vnet_hdr in, out;
		uint16_t mss;
		uint8_t type;
		bool ecn = g_test_rand_bit(), csum = g_test_rand_bit();
		int want, got;

		if (sp.ipv6)
			sp.ip_opts = 0;
		sp.payload = (uint32_t)g_test_rand_int_range(0, g_test_rand_bit() ?
							     3000 : 65535 - 120);
		mss = (uint16_t)g_test_rand_int_range(0, g_test_rand_bit() ?
						      200 : 65536);
		if (sp.proto == 6)
			type = sp.ipv6 ? VSW_VNET_GSO_TCPV6 : VSW_VNET_GSO_TCPV4;
		else
			type = g_test_rand_bit() ? VSW_VNET_GSO_UDP :
						   VSW_VNET_GSO_UDP_L4;
		if (ecn)
			type |= VSW_VNET_GSO_ECN;
		if ((ecn && sp.proto == 17) || mss == 0xffff ||
		    !gso_within_limits(&sp, type, mss))
			want = VSW_VNET_BAD;
		else
			want = csum ? VSW_VNET_PASS : VSW_VNET_SOFTWARE;

		fr = build(&sp);
		in = vnet_for(&fr, type, mss);
		if (!csum)
			in.flags = 0;
		got = check_frame(&fr, &in, &out);
		if (got != want)
			g_error("iteration %d: type %#x mss %u payload %u: %d != %d",
				iter, type, mss, sp.payload, got, want);
		if (got != VSW_VNET_BAD) {
			struct sink k;

			sink_init(&k);
			if ((type & 0x7f) == VSW_VNET_GSO_UDP)
				check_ufo(&fr, &out, &k, segment(&fr, &out, &k));
			else
				check_l4_split(&fr, &out, &k,
					       segment(&fr, &out, &k));
			g_assert_cmpuint(k.segs->len, <=, (type & 0x7f) ==
					 VSW_VNET_GSO_UDP_L4 ? VSW_USO_MAX_SEGS :
					 VSW_GSO_MAX_SEGS);
			sink_clear(&k);
		}
		g_free(fr.buf);
	}
}

/* vsw_gso_segment() on its own refuses what vsw_vnet_check() would. */
static void test_gso_limits(void)
{
	static const struct {
		struct spec sp;
		uint8_t type;
		uint16_t mss;
	} cases[] = {
		{ { .proto = 6, .payload = 1000 }, VSW_VNET_GSO_TCPV4, 87 },
		{ { .proto = 6, .payload = 1000 }, VSW_VNET_GSO_TCPV4, 1 },
		{ { .proto = 6 }, VSW_VNET_GSO_TCPV4, 1 },	/* fits, still */
		{ { .ipv6 = true, .proto = 6, .payload = 1000 },
		  VSW_VNET_GSO_TCPV6, 87 },
		{ { .proto = 17, .payload = 100 }, VSW_VNET_GSO_UDP_L4, 7 },
		{ { .proto = 17, .payload = 100 }, VSW_VNET_GSO_UDP, 7 },
		{ { .proto = 17, .payload = 129 * 8 }, VSW_VNET_GSO_UDP_L4, 8 },
		{ { .proto = 17, .payload = 1025 * 8 - 8 }, VSW_VNET_GSO_UDP, 8 },
		{ { .proto = 17, .payload = 65535 - 28 }, VSW_VNET_GSO_UDP, 63 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpint(run_gso_refused(&cases[i].sp, cases[i].type,
						cases[i].mss), ==, -EINVAL);
	/* and the limits themselves are allowed */
	{
		struct spec sp = { .proto = 17, .payload = 128 * 8 };

		g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP_L4, 8), ==, 128);
		sp.payload = 1024 * 8 - 8;
		g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_UDP, 8), ==, 1024);
		sp.proto = 6;
		sp.payload = 1000;
		g_assert_cmpint(run_gso(&sp, VSW_VNET_GSO_TCPV4, 88), ==, 12);
	}
}

/* vsw_csum_complete(): DATA_VALID only for the frame's own L4 checksum. */
static void test_csum_data_valid(void)
{
	struct spec sp = { .proto = 6, .payload = 100, .vlans = 1 };
	struct frame fr = build(&sp);
	uint8_t *orig = copy_of(fr.buf, fr.len);
	struct vsw_vnet_hdr v = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);

	g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==, 0);
	g_assert_cmpuint(v.flags, ==, VSW_VNET_F_DATA_VALID);

	memcpy(fr.buf, orig, fr.len);
	v = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);
	v.flags |= VSW_VNET_F_DATA_VALID;
	v.csum_offset = 4;			/* not the TCP checksum */
	g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==, 0);
	g_assert_cmpuint(v.flags, ==, 0);

	memcpy(fr.buf, orig, fr.len);
	v = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);
	v.csum_start = (uint16_t)fr.l3;		/* a field in the IP header */
	v.csum_offset = 10;
	g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==, 0);
	g_assert_cmpuint(v.flags, ==, 0);

	memcpy(fr.buf, orig, fr.len);		/* a fragment is not canonical */
	put16(fr.buf + fr.l3 + 6, 0x2000);
	v = vnet_for(&fr, VSW_VNET_GSO_NONE, 0);
	g_assert_cmpint(vsw_csum_complete(fr.buf, fr.len, &v), ==, 0);
	g_assert_cmpuint(v.flags, ==, 0);
	g_free(orig);
	g_free(fr.buf);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/offload/csum/known-answer", test_csum_known_answer);
	g_test_add_func("/offload/csum/reference", test_csum_vs_reference);
	g_test_add_func("/offload/csum/huge", test_csum_huge);
	g_test_add_func("/offload/csum/pseudo", test_csum_pseudo);
	g_test_add_func("/offload/csum/tcp4", test_csum_tcp4);
	g_test_add_func("/offload/csum/udp6-vlan", test_csum_udp6_vlan);
	g_test_add_func("/offload/csum/udp-zero", test_csum_udp_zero);
	g_test_add_func("/offload/csum/no-flag", test_csum_no_flag);
	g_test_add_func("/offload/csum/bounds", test_csum_bounds);
	g_test_add_func("/offload/needed", test_needed);
	g_test_add_func("/offload/gso/tcp4", test_gso_tcp4);
	g_test_add_func("/offload/gso/tcp4-vlan", test_gso_tcp4_vlan);
	g_test_add_func("/offload/gso/tcp4-options", test_gso_tcp4_options);
	g_test_add_func("/offload/gso/tcp4-flags", test_gso_tcp4_flags);
	g_test_add_func("/offload/gso/tcp4-sizes", test_gso_tcp4_sizes);
	g_test_add_func("/offload/gso/trailer", test_gso_tcp4_trailer);
	g_test_add_func("/offload/gso/tcp6", test_gso_tcp6);
	g_test_add_func("/offload/gso/uso", test_gso_uso);
	g_test_add_func("/offload/gso/ufo4", test_gso_ufo4);
	g_test_add_func("/offload/gso/ufo6", test_gso_ufo6);
	g_test_add_func("/offload/gso/udp-fixups", test_gso_udp_fixups);
	g_test_add_func("/offload/gso/ignores-hints", test_gso_ignores_hints);
	g_test_add_func("/offload/gso/random", test_gso_random);
	g_test_add_func("/offload/gso/emit-error", test_gso_emit_error);
	g_test_add_func("/offload/gso/scratch-small", test_gso_scratch_small);
	g_test_add_func("/offload/gso/malformed", test_gso_malformed);
	g_test_add_func("/offload/gso/truncations", test_gso_truncations);
	g_test_add_func("/offload/gso/limits", test_gso_limits);
	g_test_add_func("/offload/csum/data-valid", test_csum_data_valid);
	g_test_add_func("/offload/check/plain", test_check_plain);
	g_test_add_func("/offload/check/csum-canonical", test_check_csum_canonical);
	g_test_add_func("/offload/check/csum-ipv6-ext", test_check_csum_ipv6_ext);
	g_test_add_func("/offload/check/flags", test_check_flags);
	g_test_add_func("/offload/check/csum-software", test_check_csum_software);
	g_test_add_func("/offload/check/csum-not-l4", test_check_csum_not_l4);
	g_test_add_func("/offload/check/csum-bounds", test_check_csum_bounds);
	g_test_add_func("/offload/check/gso-canonical", test_check_gso_canonical);
	g_test_add_func("/offload/check/gso-mismatch", test_check_gso_mismatch);
	g_test_add_func("/offload/check/gso-csum-offsets",
			test_check_gso_csum_offsets);
	g_test_add_func("/offload/check/gso-size", test_check_gso_size);
	g_test_add_func("/offload/check/gso-cap", test_check_gso_cap);
	g_test_add_func("/offload/check/gso-software", test_check_gso_software);
	g_test_add_func("/offload/check/hdr-len", test_check_hdr_len);
	g_test_add_func("/offload/check/gso-fragment", test_check_gso_fragment);
	g_test_add_func("/offload/check/hdr-copy", test_check_hdr_copy);
	g_test_add_func("/offload/check/truncations", test_check_truncations);
	g_test_add_func("/offload/check/idempotent", test_check_idempotent);
	g_test_add_func("/offload/check/random", test_check_random);

	return g_test_run();
}
