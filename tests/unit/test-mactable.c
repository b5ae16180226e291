// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-mactable.c - unit tests of the MAC learning table.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <glib.h>
#include <string.h>

#include "mactable.h"

static void mac_of(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void test_learn_lookup(void)
{
	struct vsw_mac_table t;
	uint8_t m[6];

	g_assert_cmpint(vsw_mac_table_init(&t, 16, 1000, 42), ==, 0);
	mac_of(1, m);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, m, 0), ==, -1);
	g_assert_cmpint(vsw_mac_learn(&t, 0, m, 3, 0), ==, 1);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, m, 10), ==, 3);
	/* The same MAC in another VLAN is another entry. */
	g_assert_cmpint(vsw_mac_lookup(&t, 5, m, 10), ==, -1);
	g_assert_cmpint(vsw_mac_learn(&t, 5, m, 4, 10), ==, 1);
	g_assert_cmpint(vsw_mac_lookup(&t, 5, m, 10), ==, 4);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, m, 10), ==, 3);
	/* Seen again on the same port: a refresh, nothing new. */
	g_assert_cmpint(vsw_mac_learn(&t, 0, m, 3, 20), ==, 0);
	/* Seen on another port: the station moved. */
	g_assert_cmpint(vsw_mac_learn(&t, 0, m, 7, 30), ==, 2);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, m, 30), ==, 7);
	g_assert_cmpint(vsw_mac_port_count(&t, 3), ==, 0);
	g_assert_cmpint(vsw_mac_port_count(&t, 7), ==, 1);
	g_assert_cmpint(t.n, ==, 2);
	g_assert_cmpint(t.stats.moved, ==, 1);
	vsw_mac_table_destroy(&t);
}

static void test_aging(void)
{
	struct vsw_mac_table t;
	uint8_t a[6], b[6];

	g_assert_cmpint(vsw_mac_table_init(&t, 16, 5000, 1), ==, 0);
	mac_of(1, a);
	mac_of(2, b);
	vsw_mac_learn(&t, 0, a, 1, 0);
	vsw_mac_learn(&t, 0, b, 1, 3000);
	/* Lookups stop finding an entry as soon as it is too old. */
	g_assert_cmpint(vsw_mac_lookup(&t, 0, a, 4999), ==, 1);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, a, 5000), ==, -1);
	g_assert_cmpint(vsw_mac_age(&t, 5000), ==, 1);
	g_assert_cmpint(t.n, ==, 1);
	/* A refresh keeps b alive past its first deadline. */
	vsw_mac_learn(&t, 0, b, 1, 7000);
	g_assert_cmpint(vsw_mac_age(&t, 9000), ==, 0);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, b, 9000), ==, 1);
	g_assert_cmpint(vsw_mac_age(&t, 12000), ==, 1);
	g_assert_cmpint(t.n, ==, 0);
	g_assert_cmpint(t.stats.aged, ==, 2);
	vsw_mac_table_destroy(&t);
}

/* Refreshes within a second do not reorder: the hot path writes nothing. */
static void test_refresh_rate_limited(void)
{
	struct vsw_mac_table t;
	uint8_t a[6];

	g_assert_cmpint(vsw_mac_table_init(&t, 4, 10000, 1), ==, 0);
	mac_of(1, a);
	vsw_mac_learn(&t, 0, a, 1, 100);
	vsw_mac_learn(&t, 0, a, 1, 900);
	g_assert_cmpuint(t.e[t.ports[1].head].seen, ==, 100);
	vsw_mac_learn(&t, 0, a, 1, 1100);
	g_assert_cmpuint(t.e[t.ports[1].head].seen, ==, 1100);
	vsw_mac_table_destroy(&t);
}

/* A full table evicts the oldest entry of the port with the most entries. */
static void test_fair_eviction(void)
{
	struct vsw_mac_table t;
	uint8_t m[6];

	g_assert_cmpint(vsw_mac_table_init(&t, 8, 1000000, 7), ==, 0);
	/* Ports 1 and 2 have two stations each. */
	for (uint32_t i = 0; i < 4; i++) {
		mac_of(100 + i, m);
		vsw_mac_learn(&t, 0, m, (uint16_t)(1 + i % 2), i);
	}
	/* Port 9 floods random sources: it soon owns the rest of the table... */
	for (uint32_t i = 0; i < 10000; i++) {
		mac_of(5000 + i, m);
		vsw_mac_learn(&t, 0, m, 9, 10 + i);
	}
	/* ...and evicts only its own entries. */
	for (uint32_t i = 0; i < 4; i++) {
		mac_of(100 + i, m);
		g_assert_cmpint(vsw_mac_lookup(&t, 0, m, 20000), ==, (int)(1 + i % 2));
	}
	g_assert_cmpint(t.n, ==, 8);
	g_assert_cmpint(vsw_mac_port_count(&t, 9), ==, 4);
	/* The newest of the flood are the ones kept. */
	mac_of(5000 + 9999, m);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, m, 20000), ==, 9);
	mac_of(5000, m);
	g_assert_cmpint(vsw_mac_lookup(&t, 0, m, 20000), ==, -1);
	g_assert_cmpint(t.stats.evicted, ==, 10000 - 4);
	vsw_mac_table_destroy(&t);
}

static void test_flush_port(void)
{
	struct vsw_mac_table t;
	uint8_t m[6];

	g_assert_cmpint(vsw_mac_table_init(&t, 64, 100000, 3), ==, 0);
	for (uint32_t i = 0; i < 30; i++) {
		mac_of(i, m);
		vsw_mac_learn(&t, (uint16_t)(i % 3), m, (uint16_t)(i % 2), 0);
	}
	vsw_mac_flush_port(&t, 0);
	g_assert_cmpint(t.n, ==, 15);
	for (uint32_t i = 0; i < 30; i++) {
		mac_of(i, m);
		g_assert_cmpint(vsw_mac_lookup(&t, (uint16_t)(i % 3), m, 1), ==,
				i % 2 ? 1 : -1);
	}
	/* Freed entries are reused. */
	for (uint32_t i = 100; i < 149; i++) {
		mac_of(i, m);
		vsw_mac_learn(&t, 0, m, 5, 2);
	}
	g_assert_cmpint(t.n, ==, 64);
	g_assert_cmpint(t.stats.evicted, ==, 0);
	vsw_mac_table_destroy(&t);
}

/* Many entries, many VLANs: every one is found, chains stay consistent. */
static void test_many(void)
{
	struct vsw_mac_table t;
	uint8_t m[6];
	const uint32_t n = 50000;

	g_assert_cmpint(vsw_mac_table_init(&t, n, 1000000, g_random_int()), ==, 0);
	for (uint32_t i = 0; i < n; i++) {
		mac_of(i * 7919, m);
		g_assert_cmpint(vsw_mac_learn(&t, (uint16_t)(i % 4095), m,
					      (uint16_t)(i % 1000), 0), ==, 1);
	}
	for (uint32_t i = 0; i < n; i++) {
		mac_of(i * 7919, m);
		g_assert_cmpint(vsw_mac_lookup(&t, (uint16_t)(i % 4095), m, 1), ==,
				(int)(i % 1000));
	}
	for (uint16_t p = 0; p < 1000; p++)
		vsw_mac_flush_port(&t, p);
	g_assert_cmpint(t.n, ==, 0);
	vsw_mac_table_destroy(&t);
}

static void test_bad_params(void)
{
	struct vsw_mac_table t;

	g_assert_cmpint(vsw_mac_table_init(&t, 0, 1000, 0), ==, -EINVAL);
	g_assert_cmpint(vsw_mac_table_init(&t, 10, 0, 0), ==, -EINVAL);
	g_assert_cmpint(vsw_mac_table_init(&t, (1u << 20) + 1, 1000, 0), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mactable/learn-lookup", test_learn_lookup);
	g_test_add_func("/mactable/aging", test_aging);
	g_test_add_func("/mactable/refresh-rate-limited", test_refresh_rate_limited);
	g_test_add_func("/mactable/fair-eviction", test_fair_eviction);
	g_test_add_func("/mactable/flush-port", test_flush_port);
	g_test_add_func("/mactable/many", test_many);
	g_test_add_func("/mactable/bad-params", test_bad_params);
	return g_test_run();
}
