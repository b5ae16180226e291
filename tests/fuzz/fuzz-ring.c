// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-ring.c - libFuzzer harness for the ring consumer (what a guest writes).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The input is a producer index followed by the bytes of a data area: the
 * worst a hostile client can put in shared memory.  The consumer must
 * either refuse it (-EPROTO) or hand out views that lie entirely inside
 * the data area and never exceed VSW_FRAME_MAX, and must stop in a
 * bounded number of steps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring-ops.h"

#define SIZE	VSW_DATA_SIZE_MIN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t area[SIZE];
	struct vsw_ring ring;
	struct vsw_ring_cons c;
	struct vsw_rec_view v;
	uint32_t prod, cons = 0;
	int rc, steps = 0;

	if (size < 8)
		return 0;
	memcpy(&prod, data, 4);
	memcpy(&cons, data + 4, 4);
	memset(&ring, 0, sizeof(ring));
	memset(area, 0, sizeof(area));
	memcpy(area, data + 8, size - 8 < SIZE ? size - 8 : SIZE);
	ring.prod = prod;
	ring.cons = cons & ~7u;
	vsw_ring_cons_init(&c, &ring, area, SIZE);
	while ((rc = vsw_cons_peek(&c, &v)) == 1) {
		if (v.len > VSW_FRAME_MAX || v.data < area ||
		    v.data + v.len > area + SIZE || v.size > SIZE)
			abort();
		vsw_cons_advance(&c, &v);
		if (++steps > (int)(SIZE / sizeof(struct vsw_rec)) + 1)
			abort();
	}
	if (rc != 0 && rc != -EPROTO)
		abort();
	return 0;
}
