// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench-offload.c - throughput of the software checksum and GSO paths.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Prints GB/s for vsw_csum_partial() on cache-hot buffers, the rate at
 * which vsw_gso_segment() turns 64 KiB TSO frames into 1448-byte segments
 * (the work the switch thread does for every frame bound for slirp or a
 * guest without TSO), and the cost of vsw_vnet_check() per frame (the work
 * it does for every frame with offloads).
 * Usage: bench-offload [seconds per figure, default 1]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "offload.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_csum(size_t len, size_t align, double secs)
{
	static uint8_t buf[65536 + 64];
	volatile uint32_t sink = 0;
	double t0 = now(), t;
	uint64_t iters = 0, i;
	size_t k;

	for (k = 0; k < sizeof(buf); k++)
		buf[k] = (uint8_t)(k * 131 + 7);
	do {
		for (i = 0; i < 1000; i++)
			sink += vsw_csum_partial(buf + align, len, (uint32_t)i);
		iters += 1000;
		t = now() - t0;
	} while (t < secs);
	(void)sink;
	printf("csum %6zu bytes (align %zu): %6.2f GB/s\n", len, align,
	       (double)iters * (double)len / t / 1e9);
}

static uint64_t emitted_bytes;

static int emit_count(void *opaque, const uint8_t *seg, uint32_t seg_len)
{
	emitted_bytes += seg_len;
	return 0;
}

/* A 64 KiB IPv4 TSO frame as a Linux guest sends it. */
static uint32_t make_tso4(uint8_t *f, uint32_t payload, struct vsw_vnet_hdr *v)
{
	uint32_t len = 14 + 20 + 32 + payload, i;
	uint8_t *ip = f + 14, *tcp = f + 34;

	memset(f, 0, 66);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10, ip[15] = 1;
	ip[16] = 10, ip[19] = 2;
	tcp[12] = 8 << 4;
	tcp[13] = 0x18;
	for (i = 66; i < len; i++)
		f[i] = (uint8_t)(i * 7);
	*v = (struct vsw_vnet_hdr){
		.flags = VSW_VNET_F_NEEDS_CSUM,
		.gso_type = VSW_VNET_GSO_TCPV4,
		.hdr_len = 66,
		.gso_size = 1448,
		.csum_start = 34,
		.csum_offset = 16,
	};
	return len;
}

static void bench_gso(double secs)
{
	static uint8_t frame[VSW_FRAME_MAX], scratch[VSW_GSO_SCRATCH_SIZE];
	struct vsw_vnet_hdr v;
	uint32_t len = make_tso4(frame, 65535 - 52, &v);
	uint64_t frames = 0, segs = 0;
	double t0 = now(), t;
	int ret;

	emitted_bytes = 0;
	do {
		ret = vsw_gso_segment(frame, len, &v, scratch, sizeof(scratch),
				      emit_count, NULL);
		if (ret < 0) {
			fprintf(stderr, "vsw_gso_segment: %s\n", strerror(-ret));
			exit(1);
		}
		segs += (uint64_t)ret;
		frames++;
		t = now() - t0;
	} while (t < secs);
	printf("gso  64 KiB TCPv4 -> %d x 1448: %.0f frames/s, %.2f Mpps out, "
	       "%.2f Gbit/s out\n", ret, (double)frames / t,
	       (double)segs / t / 1e6, (double)emitted_bytes * 8 / t / 1e9);
}

/* ns per vsw_vnet_check() of @v on @len bytes at @f, from a private copy. */
static void bench_check_one(const char *what, const uint8_t *f, uint32_t len,
			    const struct vsw_vnet_hdr *v, double secs)
{
	uint8_t hdr[VSW_HDR_COPY];
	uint32_t hl = len < VSW_HDR_COPY ? len : VSW_HDR_COPY;
	struct vsw_vnet_hdr out;
	volatile int sink = 0;
	double t0 = now(), t;
	uint64_t iters = 0, i;

	memcpy(hdr, f, hl);
	if (vsw_vnet_check(hdr, hl, len, v, &out) != VSW_VNET_PASS) {
		fprintf(stderr, "vsw_vnet_check: %s not PASS\n", what);
		exit(1);
	}
	do {
		for (i = 0; i < 10000; i++) {
			/* the data path copies the header for every frame */
			memcpy(hdr, f, hl);
			sink += vsw_vnet_check(hdr, hl, len, v, &out);
		}
		iters += 10000;
		t = now() - t0;
	} while (t < secs);
	(void)sink;
	printf("check %-28s %6.1f ns/frame (with the %u-byte copy)\n", what,
	       t / (double)iters * 1e9, hl);
}

static void bench_check(double secs)
{
	static uint8_t frame[VSW_FRAME_MAX];
	struct vsw_vnet_hdr v;
	uint32_t len = make_tso4(frame, 65535 - 52, &v);

	bench_check_one("64 KiB TCPv4 TSO", frame, len, &v, secs);
	len = make_tso4(frame, 1448, &v);
	v.gso_type = VSW_VNET_GSO_NONE;
	v.gso_size = 0;
	v.hdr_len = 0;
	bench_check_one("1514 B TCPv4 NEEDS_CSUM", frame, len, &v, secs);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;

	if (secs <= 0)
		secs = 1.0;
	bench_csum(64, 0, secs);
	bench_csum(1500, 0, secs);
	bench_csum(1500, 1, secs);
	bench_csum(65536, 0, secs);
	bench_gso(secs);
	bench_check(secs);
	return 0;
}
