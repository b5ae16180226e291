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
		check(memcmp(copy, data, field) == 0);
		check(memcmp(copy + field + 2, data + field + 2,
			     len - field - 2) == 0);
	} else if (ret < 0) {
		check(memcmp(copy, data, len) == 0);
	}
	free(copy);
	return 0;
}
