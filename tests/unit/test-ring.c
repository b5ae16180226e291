// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-ring.c - unit tests of the shared ring protocol (ring-ops.h).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ring-ops.h"

#define SIZE	VSW_DATA_SIZE_MIN

struct rig {
	struct vsw_ring ring;
	uint8_t *data;
	struct vsw_ring_prod p;
	struct vsw_ring_cons c;
};

static struct rig *rig_new(void)
{
	struct rig *r = g_malloc0(sizeof(*r));

	r->data = g_malloc0(SIZE);
	vsw_ring_prod_init(&r->p, &r->ring, r->data, SIZE);
	vsw_ring_cons_init(&r->c, &r->ring, r->data, SIZE);
	return r;
}

static void rig_free(struct rig *r)
{
	g_free(r->data);
	g_free(r);
}

/* Produce one record of @len bytes filled with @fill; Return: false if full. */
static bool put(struct rig *r, uint32_t len, uint8_t fill)
{
	int err;
	struct vsw_rec *rec = vsw_prod_reserve(&r->p, len, &err);

	g_assert_cmpint(err, ==, 0);
	if (!rec)
		return false;
	rec->len = len;
	rec->flags = 0;
	memset(&rec->vnet, 0, sizeof(rec->vnet));
	rec->vnet.gso_size = fill;
	memset(rec + 1, fill, len);
	vsw_prod_commit(&r->p, len);
	return true;
}

/* Consume one record; it must be @len bytes of @fill. */
static void get(struct rig *r, uint32_t len, uint8_t fill)
{
	struct vsw_rec_view v = { 0 };

	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, 1);
	g_assert_cmpuint(v.len, ==, len);
	g_assert_cmpuint(v.vnet.gso_size, ==, fill);
	for (uint32_t i = 0; i < len; i++)
		g_assert_cmpuint(v.data[i], ==, fill);
	vsw_cons_advance(&r->c, &v);
}

static void test_basic(void)
{
	struct rig *r = rig_new();
	struct vsw_rec_view v = { 0 };

	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, 0);
	g_assert_true(put(r, 60, 1));
	g_assert_true(put(r, 1500, 2));
	/* Not published yet: the consumer sees nothing. */
	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, 0);
	vsw_prod_publish(&r->p);
	get(r, 60, 1);
	get(r, 1500, 2);
	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, 0);
	rig_free(r);
}

/* Records never wrap: a pad record fills the tail and is skipped. */
static void test_wrap_with_padding(void)
{
	struct rig *r = rig_new();
	uint32_t big = 65536;
	uint8_t n = 0;

	for (int round = 0; round < 40; round++) {
		int k = 0;

		while (put(r, big - 1000 * (uint32_t)k, (uint8_t)(n + k)))
			k++;
		g_assert_cmpint(k, >=, 2);
		vsw_prod_publish(&r->p);
		for (int i = 0; i < k; i++)
			get(r, big - 1000 * (uint32_t)i, (uint8_t)(n + i));
		vsw_cons_release(&r->c);
		n = (uint8_t)(n + k);
	}
	rig_free(r);
}

static void test_full(void)
{
	struct rig *r = rig_new();
	int n = 0;

	while (put(r, 1000, 7))
		n++;
	g_assert_cmpint(n, ==, SIZE / vsw_rec_size(1000));
	vsw_prod_publish(&r->p);
	/* Space comes back only when the consumer releases it. */
	get(r, 1000, 7);
	g_assert_false(put(r, 1000, 7));
	vsw_cons_release(&r->c);
	g_assert_true(put(r, 1000, 7));
	rig_free(r);
}

static void test_doorbells(void)
{
	struct rig *r = rig_new();

	/* Consumer awake: publishing needs no kick. */
	put(r, 60, 1);
	g_assert_false(vsw_prod_publish(&r->p));
	/* Consumer armed with nothing pending after the first record... */
	get(r, 60, 1);
	g_assert_false(vsw_cons_arm(&r->c));
	/* ...so the next publish must kick. */
	put(r, 60, 2);
	g_assert_true(vsw_prod_publish(&r->p));
	/* Arming with a record pending says "do not sleep". */
	g_assert_true(vsw_cons_arm(&r->c));
	vsw_cons_disarm(&r->c);
	get(r, 60, 2);

	/* Producer asks for space: the release that frees it must kick. */
	while (put(r, 4000, 3))
		;
	vsw_prod_publish(&r->p);
	g_assert_false(vsw_prod_arm(&r->p, 4000));
	get(r, 4000, 3);
	g_assert_true(vsw_cons_release(&r->c));
	g_assert_true(vsw_prod_arm(&r->p, 4000));
	vsw_prod_disarm(&r->p);
	rig_free(r);
}

/* Whatever the producer writes, the consumer refuses nonsense and survives. */
static void test_hostile_producer(void)
{
	struct rig *r = rig_new();
	struct vsw_rec_view v = { 0 };
	struct vsw_rec *rec = (struct vsw_rec *)r->data;

	/* prod beyond cons + size */
	r->ring.prod = SIZE + 8;
	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, -EPROTO);
	/* misaligned prod */
	r->ring.prod = 12;
	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, -EPROTO);
	/* length beyond what was published */
	r->ring.prod = vsw_rec_size(64);
	rec->len = 1000;
	rec->flags = 0;
	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, -EPROTO);
	/* length beyond any frame */
	rec->len = VSW_FRAME_MAX + 1;
	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, -EPROTO);
	/* a pad record claiming more than was published */
	rec->len = 0;
	rec->flags = VSW_REC_PAD;
	g_assert_cmpint(vsw_cons_peek(&r->c, &v), ==, -EPROTO);
	/* random garbage in every word: never a crash, never a bad view */
	for (int i = 0; i < 100000; i++) {
		struct rig *g = rig_new();
		uint32_t *w = (uint32_t *)g->data;
		int rc;

		for (int j = 0; j < 64; j++)
			w[j] = g_random_int() % (j & 1 ? 4 : 0x20000);
		g->ring.prod = g_random_int_range(0, 2 * SIZE) & ~7u;
		while ((rc = vsw_cons_peek(&g->c, &v)) == 1) {
			g_assert_cmpuint(v.len, <=, VSW_FRAME_MAX);
			g_assert_true(v.data >= g->data && v.data + v.len <= g->data + SIZE);
			vsw_cons_advance(&g->c, &v);
		}
		g_assert_cmpint(rc, <=, 0);
		rig_free(g);
		if (i > 2000 && !g_test_slow())
			break;
	}
	rig_free(r);
}

static void test_hostile_consumer(void)
{
	struct rig *r = rig_new();
	int err;

	put(r, 60, 1);
	vsw_prod_publish(&r->p);
	r->ring.cons = 0x40000000;	/* consumer claims to be far ahead */
	while (vsw_prod_reserve(&r->p, 60000, &err))
		vsw_prod_commit(&r->p, 60000);
	g_assert_cmpint(err, ==, -EPROTO);
	rig_free(r);
}

/* Two threads, a million records: order, lengths and bytes all arrive intact. */
#define STRESS_N	1000000

static void *stress_producer(void *arg)
{
	struct rig *r = arg;

	for (uint32_t i = 0; i < STRESS_N;) {
		uint32_t len = 14 + (i * 2654435761u) % 1500;
		int err;
		struct vsw_rec *rec = vsw_prod_reserve(&r->p, len, &err);

		if (!rec) {
			vsw_prod_publish(&r->p);
			continue;
		}
		rec->len = len;
		rec->flags = 0;
		memcpy(rec + 1, &i, sizeof(i));
		((uint8_t *)(rec + 1))[len - 1] = (uint8_t)i;
		vsw_prod_commit(&r->p, len);
		if (++i % 32 == 0)
			vsw_prod_publish(&r->p);
	}
	vsw_prod_publish(&r->p);
	return NULL;
}

static void test_stress_two_threads(void)
{
	struct rig *r = rig_new();
	pthread_t t;

	g_assert_cmpint(pthread_create(&t, NULL, stress_producer, r), ==, 0);
	for (uint32_t i = 0; i < STRESS_N;) {
		struct vsw_rec_view v = { 0 };
		int rc = vsw_cons_peek(&r->c, &v);
		uint32_t seq;

		g_assert_cmpint(rc, >=, 0);
		if (!rc) {
			vsw_cons_release(&r->c);
			continue;
		}
		memcpy(&seq, v.data, sizeof(seq));
		g_assert_cmpuint(seq, ==, i);
		g_assert_cmpuint(v.len, ==, 14 + (i * 2654435761u) % 1500);
		g_assert_cmpuint(v.data[v.len - 1], ==, (uint8_t)i);
		vsw_cons_advance(&r->c, &v);
		if (++i % 32 == 0)
			vsw_cons_release(&r->c);
	}
	pthread_join(t, NULL);
	rig_free(r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ring/basic", test_basic);
	g_test_add_func("/ring/wrap-with-padding", test_wrap_with_padding);
	g_test_add_func("/ring/full", test_full);
	g_test_add_func("/ring/doorbells", test_doorbells);
	g_test_add_func("/ring/hostile-producer", test_hostile_producer);
	g_test_add_func("/ring/hostile-consumer", test_hostile_consumer);
	g_test_add_func("/ring/stress-two-threads", test_stress_two_threads);
	return g_test_run();
}
