// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz-offload.c - libFuzzer harness for offload.c: checksum completion and
 * GSO segmentation of guest-supplied frames.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Input: 12 bytes of struct vsw_vnet_hdr, then the frame.  Besides memory
 * safety (run with -fsanitize=fuzzer,address), every emitted segment must be
 * a frame whose IPv4 header checksum and L4 checksum verify against the
 * naive reference below, and a completed checksum must verify too.
 *
 * vsw_vnet_check() gets the header as sent and, to reach its PASS paths
 * more often, the same header pointed at the L4 checksum a naive reference
 * parser finds.  It reads an exact-size copy of the first VSW_HDR_COPY
 * bytes, and its output must be clean (no flag but NEEDS_CSUM, no DATA_VALID,
 * no field that does not apply, offsets in the frame, gso_size at least the
 * floor), agree with the reference parser, check to itself, and be usable:
 * a GSO header segments into at most the cap of valid segments, a checksum
 * one completes, with DATA_VALID exactly for PASS.
 *
 * The same input also shapes a frame whose headers are consistent by
 * construction (see build_frame()), of any length up to 64 KiB whatever
 * the input's, so the gso_size floor, the segment cap and the IPv6
 * extension header walk are reached in seconds.
 */
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t scratch[VSW_GSO_SCRATCH_SIZE];

struct seg_check {
	uint32_t frame_len;
	int count;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static bool ref_ok(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static uint16_t le16(uint16_t v)
{
	return le16toh(v);
}

static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = ref_sum(p, len, 0);

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void check(bool cond)
{
	if (!cond)
		abort();
}

/* An emitted segment is a well-formed frame with valid checksums. */
static int check_seg(void *opaque, const uint8_t *s, uint32_t len)
{
	struct seg_check *c = opaque;
	uint32_t off = 12, l3, l4, l4_len, sum;
	uint16_t type;
	uint8_t proto, ph[40];

	c->count++;
	check(s == scratch && len <= sizeof(scratch));
	check(len >= 14 && len <= c->frame_len + 8);	/* + IPv6 frag hdr */
	type = be16(s + off);
	while (type == 0x8100 || type == 0x88a8) {
		off += 4;
		type = be16(s + off);
	}
	l3 = off + 2;
	if (type == 0x0800) {
		uint32_t ihl = (s[l3] & 0xfu) * 4;

		check(len - l3 >= 20 && ihl >= 20);
		check(be16(s + l3 + 2) == len - l3);
		check(ref_ok(ref_sum(s + l3, ihl, 0)));
		if (be16(s + l3 + 6) & 0x3fff)
			return 0;		/* UFO fragment */
		proto = s[l3 + 9];
		l4 = l3 + ihl;
		l4_len = len - l4;
		memcpy(ph, s + l3 + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(l4_len >> 8);
		ph[11] = (uint8_t)l4_len;
		sum = ref_sum(ph, 12, 0);
	} else {
		check(type == 0x86dd && len - l3 >= 40);
		check(be16(s + l3 + 4) == len - l3 - 40);
		proto = s[l3 + 6];
		if (proto == 44)
			return 0;		/* UFO fragment */
		l4 = l3 + 40;
		l4_len = len - l4;
		memcpy(ph, s + l3 + 8, 32);
		ph[32] = (uint8_t)(l4_len >> 24);
		ph[33] = (uint8_t)(l4_len >> 16);
		ph[34] = (uint8_t)(l4_len >> 8);
		ph[35] = (uint8_t)l4_len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		sum = ref_sum(ph, 40, 0);
	}
	check(proto == 6 || proto == 17);
	check(ref_ok(ref_sum(s + l4, l4_len, sum)));
	if (proto == 17)
		check(be16(s + l4 + 4) == l4_len && be16(s + l4 + 6) != 0);
	return 0;
}

/*
 * Naive reference: Ethernet, up to two 802.1Q/802.1ad tags, IPv4 or IPv6
 * (no extension headers), TCP or UDP.  Sets the L4 offset, the protocol
 * and the end of the L4 header.
 */
static bool ref_l4(const uint8_t *f, uint32_t len, uint32_t *l4,
		   uint8_t *proto, uint32_t *hdr_end)
{
	uint32_t off = 12, l3;
	uint16_t type;
	int tags = 0;

	if (len < 14)
		return false;
	type = be16(f + off);
	while ((type == 0x8100 || type == 0x88a8) && tags < 2) {
		if (len < off + 6)
			return false;
		off += 4;
		tags++;
		type = be16(f + off);
	}
	l3 = off + 2;
	if (type == 0x0800) {
		if (len < l3 + 20)
			return false;
		*l4 = l3 + (f[l3] & 0xfu) * 4;
		*proto = f[l3 + 9];
	} else if (type == 0x86dd) {
		if (len < l3 + 40)
			return false;
		*l4 = l3 + 40;
		*proto = f[l3 + 6];
	} else {
		return false;
	}
	if (*proto == 6) {
		if (len < *l4 + 20)
			return false;
		*hdr_end = *l4 + (f[*l4 + 12] >> 4) * 4u;
	} else if (*proto == 17) {
		*hdr_end = *l4 + 8;
	} else {
		return false;
	}
	return true;
}

/* The verdict on a checksum-only header with @v's offsets. */
static int csum_verdict(const uint8_t *data, uint32_t len,
			const struct vsw_vnet_hdr *v)
{
	struct vsw_vnet_hdr q = {
		.flags = VSW_VNET_F_NEEDS_CSUM,
		.csum_start = v->csum_start,
		.csum_offset = v->csum_offset,
	}, out;
	uint32_t hl = len < VSW_HDR_COPY ? len : VSW_HDR_COPY;
	uint8_t *h = malloc(hl ? hl : 1);
	int verdict;

	if (!h)
		abort();
	memcpy(h, data, hl);
	verdict = vsw_vnet_check(h, hl, len, &q, &out);
	free(h);
	return verdict;
}

/*
 * vsw_vnet_check() on @in and everything its verdict promises.
 * @seg_ret: what vsw_gso_segment() returned for @in on this frame, each
 *           segment checked by check_seg().
 */
static void check_vnet(const uint8_t *data, uint32_t len,
		       const struct vsw_vnet_hdr *in, int seg_ret)
{
	static const struct vsw_vnet_hdr zero;
	uint32_t hl = len < VSW_HDR_COPY ? len : VSW_HDR_COPY;
	struct vsw_vnet_hdr out, again;
	uint32_t start, off, l4 = 0, hdr_end = 0;
	uint8_t *h, type, proto = 0;
	int verdict;

	h = malloc(hl ? hl : 1);
	if (!h)
		return;
	memcpy(h, data, hl);
	verdict = vsw_vnet_check(h, hl, len, in, &out);
	check(verdict == VSW_VNET_PASS || verdict == VSW_VNET_SOFTWARE ||
	      verdict == VSW_VNET_BAD);
	if (verdict == VSW_VNET_BAD) {
		check(memcmp(&out, &zero, sizeof(out)) == 0);
		free(h);
		return;
	}
	/* what segmentation refuses, the check refuses */
	if (in->gso_type != VSW_VNET_GSO_NONE)
		check(seg_ret > 0);

	/* the rebuilt header checks to itself */
	check(vsw_vnet_check(h, hl, len, &out, &again) == verdict);
	check(memcmp(&out, &again, sizeof(out)) == 0);
	free(h);

	check(!(out.flags & ~VSW_VNET_F_NEEDS_CSUM));
	check(out.num_buffers == 0);
	start = le16(out.csum_start);
	off = le16(out.csum_offset);
	if (out.flags & VSW_VNET_F_NEEDS_CSUM)
		check(start >= 14 && start + off + 2 <= len);
	else
		check(start == 0 && off == 0);
	/* only NEEDS_CSUM survives: a plain header is a zero header */
	if (!(in->flags & VSW_VNET_F_NEEDS_CSUM) &&
	    in->gso_type == VSW_VNET_GSO_NONE)
		check(verdict == VSW_VNET_PASS &&
		      memcmp(&out, &zero, sizeof(out)) == 0);

	type = out.gso_type & 0x7f;
	if (out.gso_type != VSW_VNET_GSO_NONE) {
		uint32_t size = le16(out.gso_size), cap;

		check(type == VSW_VNET_GSO_TCPV4 || type == VSW_VNET_GSO_TCPV6 ||
		      type == VSW_VNET_GSO_UDP || type == VSW_VNET_GSO_UDP_L4);
		check(out.gso_type == in->gso_type && out.gso_size == in->gso_size);
		if (out.gso_type & VSW_VNET_GSO_ECN)
			check(type == VSW_VNET_GSO_TCPV4 || type == VSW_VNET_GSO_TCPV6);
		check(size >= (type == VSW_VNET_GSO_TCPV4 ||
			       type == VSW_VNET_GSO_TCPV6 ?
			       VSW_GSO_TCP_MIN : VSW_GSO_UDP_MIN));
		check(size != 0xffff);
		/* the reference parser agrees on where the headers end */
		check(ref_l4(data, len, &l4, &proto, &hdr_end));
		check(proto == (type == VSW_VNET_GSO_TCPV4 ||
				type == VSW_VNET_GSO_TCPV6 ? 6 : 17));
		check(le16(out.hdr_len) == hdr_end && hdr_end <= hl);
		if (verdict == VSW_VNET_PASS)
			check(out.flags == VSW_VNET_F_NEEDS_CSUM && start == l4 &&
			      off == (proto == 6 ? 16u : 6u));
		else
			check(out.flags == 0);

		/*
		 * SOFTWARE or not, it segments within the cap into valid
		 * segments: @seg_ret is that segmentation (checked by
		 * check_seg()), as only gso_type and gso_size matter to it
		 */
		cap = type == VSW_VNET_GSO_UDP_L4 ? VSW_USO_MAX_SEGS :
						   VSW_GSO_MAX_SEGS;
		check(seg_ret > 0 && (uint32_t)seg_ret <= cap);
		if (verdict == VSW_VNET_PASS)
			check(vsw_offload_needed(&out, VSW_OFFLOAD_ALL) == 0);
		check(vsw_offload_needed(&out, 0) == VSW_OFFLOAD_NEED_GSO);
	} else if (out.flags & VSW_VNET_F_NEEDS_CSUM) {
		struct vsw_vnet_hdr v = out;
		uint8_t *copy = malloc(len);
		uint16_t want;

		check(out.gso_size == 0 && out.hdr_len == 0);
		if (!copy)
			return;
		memcpy(copy, data, len);
		check(vsw_csum_complete(copy, len, &v) == 0);
		want = ref_csum(data + start, len - start);
		check(be16(copy + start + off) == (want ? want : 0xffff));
		/* DATA_VALID for the frame's own L4 checksum only */
		check(v.flags == (verdict == VSW_VNET_PASS ?
				  VSW_VNET_F_DATA_VALID : 0));
		if (verdict == VSW_VNET_PASS)
			check(vsw_offload_needed(&out, VSW_OFFLOAD_CSUM) == 0);
		check(vsw_offload_needed(&out, 0) == VSW_OFFLOAD_NEED_CSUM);
		free(copy);
	} else {
		check(verdict == VSW_VNET_PASS);
		check(memcmp(&out, &zero, sizeof(out)) == 0);
		check(vsw_offload_needed(&out, 0) == 0);
	}
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Structured mode: build a frame from @n >= 8 shape bytes @sh into @f.
 *   sh[0] bits 0-1: VLAN tags (0..2; 3: 2 with an 802.1ad outer one)
 *         bit 2: IPv6, bit 3: UDP, bits 4-7: IPv4 option words (0..10) or
 *         IPv6 extension headers (bits 4-5: how many, 6-7: the first kind)
 *   sh[1] low nibble: TCP data offset (5..15); high: extension lengths
 *   sh[2..3]: payload length; sh[4] bits 0-2: trailer bytes; bit 3: make
 *         the IP length lie; bit 4: IPv4 MF; bit 7: aim NEEDS_CSUM at the
 *         L4 checksum
 *   sh[5..]: filler for addresses, options and payload
 * Return: the frame length; sets *@l4 and *@field (checksum offset).
 */
static uint32_t build_frame(const uint8_t *sh, size_t n, uint8_t *f,
			    uint32_t *l4, uint32_t *field)
{
	static const uint8_t kinds[] = { 0, 60, 43, 44, 51 };
	uint32_t off = 12, l3, i, hl, ext = 0, tags = sh[0] & 3;
	bool ipv6 = sh[0] & 4, udp = sh[0] & 8;
	uint32_t doff = (sh[1] & 15) < 5 ? 5 : sh[1] & 15;
	uint32_t l4h = udp ? 8 : doff * 4, payload = sh[2] << 8 | sh[3];
	uint32_t trailer = sh[4] & 7, len, nh_off, max;
	const uint8_t *fill = sh + 5;
	size_t nfill = n - 5;

	for (i = 0; i < 256; i++)	/* headers (< 22 + 136 + 60): filler */
		f[i] = nfill ? fill[i % nfill] : (uint8_t)i;
	if (tags == 3) {
		put16(f + off, 0x88a8);
		off += 4;
		tags = 1;
	}
	for (i = 0; i < tags; i++, off += 4)
		put16(f + off, 0x8100);
	put16(f + off, ipv6 ? 0x86dd : 0x0800);
	l3 = off + 2;
	if (ipv6) {
		uint32_t k = (sh[0] >> 6) % sizeof(kinds), cnt = (sh[0] >> 4) & 3;

		f[l3] = (uint8_t)(0x60 | (f[l3] & 15));
		nh_off = l3 + 6;
		*l4 = l3 + 40;
		for (i = 0; i < cnt; i++, k = (k + 1) % sizeof(kinds)) {
			hl = kinds[k] == 44 ? 8 : 8 * (1 + ((sh[1] >> (4 + i)) & 3));
			if (kinds[k] == 51)
				hl = 16;
			f[nh_off] = kinds[k];
			f[*l4 + 1] = (uint8_t)(kinds[k] == 51 ? hl / 4 - 2 :
					       hl / 8 - 1);
			nh_off = *l4;
			*l4 += hl;
		}
		f[nh_off] = udp ? 17 : 6;
	} else {
		uint32_t ihl = 5 + ((sh[0] >> 4) > 10 ? 10 : sh[0] >> 4);

		f[l3] = (uint8_t)(0x40 | ihl);
		put16(f + l3 + 6, sh[4] & 0x10 ? 0x2000 : 0x4000);
		f[l3 + 9] = udp ? 17 : 6;
		*l4 = l3 + ihl * 4;
	}
	ext = *l4 - l3;
	if (!udp)
		f[*l4 + 12] = (uint8_t)(doff << 4 | (f[*l4 + 12] & 15));
	max = 65535 - (ipv6 ? ext - 40 : ext) - l4h;
	if (payload > max)
		payload = max;
	len = *l4 + l4h + payload;
	if (ipv6)
		put16(f + l3 + 4, len - l3 - 40 + (sh[4] & 8 ? 1 : 0));
	else
		put16(f + l3 + 2, len - l3 + (sh[4] & 8 ? 1 : 0));
	if (udp)
		put16(f + *l4 + 4, len - *l4);
	for (i = *l4 + l4h; i < len + trailer; i++)
		f[i] = nfill ? fill[i % nfill] : (uint8_t)i;
	*field = udp ? 6 : 16;
	return len + trailer;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned masks[] = {
		0, VSW_OFFLOAD_CSUM, VSW_OFFLOAD_ALL,
		VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_TSO6,
	};
	struct seg_check c = { 0 };
	struct vsw_vnet_hdr vnet, v2;
	uint8_t *copy;
	uint32_t len;
	size_t i;
	int ret;

	if (size < sizeof(vnet) || size - sizeof(vnet) > VSW_FRAME_MAX)
		return 0;
	memcpy(&vnet, data, sizeof(vnet));
	data += sizeof(vnet);
	len = (uint32_t)(size - sizeof(vnet));

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		unsigned need = vsw_offload_needed(&vnet, masks[i]);

		check(!(need & ~(VSW_OFFLOAD_NEED_CSUM | VSW_OFFLOAD_NEED_GSO)));
	}

	/* libFuzzer's buffer is exactly @len bytes: ASan sees any overrun */
	c.frame_len = len;
	ret = vsw_gso_segment(data, len, &vnet, scratch, sizeof(scratch),
			      check_seg, &c);
	check(ret < 0 ? c.count == 0 : ret == c.count && ret > 0);
	if (ret > 0) {
		uint8_t t = vnet.gso_type & 0x7f;

		check((uint32_t)ret <= (t == VSW_VNET_GSO_UDP_L4 ?
					VSW_USO_MAX_SEGS : VSW_GSO_MAX_SEGS));
		check(le16(vnet.gso_size) >= (t == VSW_VNET_GSO_TCPV4 ||
					      t == VSW_VNET_GSO_TCPV6 ?
					      VSW_GSO_TCP_MIN : VSW_GSO_UDP_MIN));
	}

	check_vnet(data, len, &vnet, ret);
	{
		uint32_t l4, hdr_end;
		uint8_t proto;

		/* the same header aimed at the frame's own L4 checksum */
		if (ref_l4(data, len, &l4, &proto, &hdr_end) && l4 < 65536) {
			v2 = vnet;
			v2.flags |= VSW_VNET_F_NEEDS_CSUM;
			v2.csum_start = htole16((uint16_t)l4);
			v2.csum_offset = htole16(proto == 6 ? 16 : 6);
			c = (struct seg_check){ .frame_len = len };
			ret = v2.gso_type == VSW_VNET_GSO_NONE ? 0 :
			      vsw_gso_segment(data, len, &v2, scratch,
					      sizeof(scratch), check_seg, &c);
			check_vnet(data, len, &v2, ret);
		}
	}

	/* structured mode: the input's header on a well-formed frame */
	if (len >= 8) {
		static uint8_t f[65535 + 22 + 60 + 8];
		uint32_t flen, l4, field;
		uint8_t *exact;

		flen = build_frame(data, len, f, &l4, &field);
		exact = malloc(flen);
		if (!exact)
			return 0;
		memcpy(exact, f, flen);
		v2 = vnet;
		if (data[4] & 0x80) {
			v2.flags |= VSW_VNET_F_NEEDS_CSUM;
			v2.csum_start = htole16((uint16_t)l4);
			v2.csum_offset = htole16((uint16_t)field);
		}
		c = (struct seg_check){ .frame_len = flen };
		ret = vsw_gso_segment(exact, flen, &v2, scratch, sizeof(scratch),
				      check_seg, &c);
		check(ret < 0 ? c.count == 0 : ret == c.count);
		check_vnet(exact, flen, &v2, ret);
		free(exact);
	}

	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, len);
	v2 = vnet;
	ret = vsw_csum_complete(copy, len, &v2);
	if (ret == 0 && (vnet.flags & VSW_VNET_F_NEEDS_CSUM)) {
		uint32_t start = le16toh(vnet.csum_start);
		uint32_t field = start + le16toh(vnet.csum_offset);
		uint16_t want = ref_csum(data + start, len - start);

		/* the complement of the sum over [start, len) as it was (the
		 * field held the pseudo-header sum) lands in the field, big
		 * endian; nothing else changes
		 */
		check(!(v2.flags & VSW_VNET_F_NEEDS_CSUM));
		check(be16(copy + field) == (want ? want : 0xffff));
		/* DATA_VALID exactly where vsw_vnet_check() would PASS */
		check(!(v2.flags & VSW_VNET_F_DATA_VALID) ==
		      (csum_verdict(data, len, &vnet) != VSW_VNET_PASS));
		check(memcmp(copy, data, field) == 0);
		check(memcmp(copy + field + 2, data + field + 2,
			     len - field - 2) == 0);
	} else if (ret < 0) {
		check(memcmp(copy, data, len) == 0);
	}
	free(copy);
	return 0;
}
