// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-fwd.c - what the forwarding decision and the port guards cost.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * vsw-bench measures the guards end to end, where the machine's noise
 * (+-15 % from run to run on a shared 2-CPU machine) is larger than what
 * is measured.  This measures the functions alone, on cache-hot 64-byte
 * UDP frames between two learnt ports, in ns per frame:
 *   - vsw_fwd_decide() with MAC address spoofing allowed and with the MAC
 *     lock (the default).  The data path caches this decision per source
 *     port and header, so a stream of frames pays it once, not per frame;
 *   - vsw_fwd_guard() with the DHCP and router guards on: paid per frame;
 *   - both, for comparison with the data path's whole cost per frame
 *     (about 40 ns at 64 bytes, vsw-bench).
 * Each figure is the best of many rounds of 100 000 frames (and the mean).
 * Usage: bench-fwd [seconds per figure, default 1]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd.h"

#define ITERS	100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };

/* A 64-byte IPv4/UDP frame from A to B, ports 40000 -> 5201 (vsw-bench's). */
static void make_udp(uint8_t *f)
{
	memset(f, 0, 64);
	memcpy(f, MAC_B, 6);
	memcpy(f + 6, MAC_A, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 50;
	f[22] = 64;
	f[23] = 17;
	f[34] = 40000 >> 8;
	f[35] = 40000 & 0xff;
	f[36] = 5201 >> 8;
	f[37] = 5201 & 0xff;
	f[39] = 30;
}

enum what { DECIDE, GUARD, BOTH };

static void run(const char *name, enum what w, unsigned flags, double secs)
{
	static struct vsw_mac_table mt;
	static struct vsw_fwd_port port[2];
	static struct vsw_fwd_port *ports[2] = { &port[0], &port[1] };
	struct vsw_fwd_switch view = { .ports = ports, .nslots = 2, .mt = &mt };
	struct vsw_fwd_result res;
	uint8_t f[64];
	volatile unsigned sink = 0;
	uint64_t n = 0;
	double t0, t, best = 0;

	if (vsw_mac_table_init(&mt, 1024, 300000, 9) < 0) {
		fprintf(stderr, "bench-fwd: no MAC table\n");
		exit(1);
	}
	for (int i = 0; i < 2; i++) {
		memset(&port[i], 0, sizeof(port[i]));
		port[i].index = (uint16_t)i;
		port[i].mode = VSW_MODE_ACCESS;
		port[i].flags = flags;
		port[i].nmacs = 1;
		memcpy(port[i].macs[0].mac, i ? MAC_B : MAC_A, 6);
		port[i].macs[0].len = 6;
	}
	/* B speaks first: A's frames to B are unicast to a learnt port. */
	make_udp(f);
	memcpy(f, MAC_A, 6);
	memcpy(f + 6, MAC_B, 6);
	vsw_fwd_decide(&view, &port[1], f, 64, 1000, &res);
	make_udp(f);
	/* The best of many short rounds: what the code costs, not what the
	 * machine's other work took from it meanwhile. */
	t0 = now();
	do {
		double r0 = now(), r;

		for (int i = 0; i < ITERS; i++) {
			if (w != GUARD) {
				vsw_fwd_decide(&view, &port[0], f, 64, 1000, &res);
				sink += res.n;
			}
			if (w != DECIDE)
				sink += vsw_fwd_guard(&port[0], f, 64, 64, 14);
			/* Keep the compiler from hoisting the work out of the loop. */
			__asm__ volatile("" : : "r"(f) : "memory");
		}
		r = (now() - r0) / ITERS;
		if (!n || r < best)
			best = r;
		n += ITERS;
		t = now() - t0;
	} while (t < secs);
	if (w != GUARD && (res.drop || res.n != 1 || res.out[0] != 1)) {
		fprintf(stderr, "bench-fwd: %s: the frame was not forwarded to B\n", name);
		exit(1);
	}
	(void)sink;
	printf("%-46s %6.2f ns/frame (best of %llu rounds; mean %.2f)\n", name, best * 1e9,
	       (unsigned long long)(n / ITERS), t * 1e9 / (double)n);
	vsw_mac_table_destroy(&mt);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;

	if (secs <= 0)
		secs = 1.0;
	run("decide, mac-spoofing allowed", DECIDE, 0, secs);
	run("decide, MAC lock (the default)", DECIDE, VSW_FWD_F_MAC_LOCK, secs);
	run("guards only: dhcp-guard + router-guard", GUARD, VSW_FWD_F_MAC_LOCK |
	    VSW_FWD_F_GUARDS, secs);
	run("decide + guards: MAC lock, dhcp + router guard", BOTH, VSW_FWD_F_MAC_LOCK |
	    VSW_FWD_F_GUARDS, secs);
	return 0;
}
