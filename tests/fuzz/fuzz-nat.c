// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-nat.c - libFuzzer harness for the whole Default switch path: a
 * guest's frames through the data path (forwarding decision, guards,
 * virtio-net header check, software segmentation) into the NAT's ring,
 * the NAT helper's checks and reassembly, libslirp, and libslirp's answers
 * back through the switch to the guest.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Input: frames, each [2 bytes length][12 bytes virtio-net header][frame],
 * at most MAX_FRAMES.  The guest's port is a real shared-memory port the
 * harness writes as a client would; the NAT's port is the real one, read
 * by the helper's real core (natd/nat.c) with Debian's libslirp.  The data
 * path runs without a thread (vsw_dp_round()), so a run is deterministic.
 *
 * libslirp opens host sockets for what the frames ask: the harness first
 * moves itself into a network namespace of its own, with no interface up,
 * so nothing leaves the process.  Without that it refuses to run.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "../nat-config.h"
#include "datapath.h"
#include "nat.h"
#include "port-shm.h"
#include "ring-ops.h"

#define MAX_FRAMES	32
#define RING		VSW_DATA_SIZE_MIN

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A port as its client sees it. */
struct client {
	struct vsw_port *port;
	void *mem;
	size_t size;
	struct vsw_ring_prod tx;
	struct vsw_ring_cons rx;
};

static struct vsw_dp *dp;
static struct vsw_dp_switch *sw;
static struct client guest, nat;
static struct natd *natd;

static void client_new(struct client *c, const char *name, bool is_nat)
{
	struct vsw_shm_hdr h;
	GError *err = NULL;
	int fds[3];

	c->port = vsw_port_shm_new(name, is_nat, RING, fds, &c->size, &err);
	if (!c->port)
		abort();
	c->mem = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (c->mem == MAP_FAILED)
		abort();
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	memcpy(&h, c->mem, sizeof(h));
	vsw_ring_prod_init(&c->tx, (struct vsw_ring *)((uint8_t *)c->mem + h.ring_off[VSW_TX]),
			   (uint8_t *)c->mem + h.data_off[VSW_TX], h.data_size);
	vsw_ring_cons_init(&c->rx, (struct vsw_ring *)((uint8_t *)c->mem + h.ring_off[VSW_RX]),
			   (uint8_t *)c->mem + h.data_off[VSW_RX], h.data_size);
	if (vsw_dp_port_add(dp, sw, c->port) < 0)
		abort();
}

static int client_send(struct client *c, const struct vsw_vnet_hdr *v,
		       const uint8_t *f, uint32_t len)
{
	struct vsw_rec *rec;
	int err;

	if (len < VSW_FRAME_MIN || len > VSW_FRAME_MAX)
		return -EMSGSIZE;
	rec = vsw_prod_reserve(&c->tx, len, &err);
	if (!rec)
		return -ENOBUFS;
	memset(rec, 0, sizeof(*rec));
	rec->len = len;
	rec->vnet = *v;
	memcpy(rec + 1, f, len);
	vsw_prod_commit(&c->tx, len);
	vsw_prod_publish(&c->tx);
	return 0;
}

/* libslirp's frames go into the NAT port's ring, as the helper does. */
static struct vsw_rec *nat_rec;

static uint8_t *nat_reserve(void *opaque, size_t len, int *err)
{
	if (len < VSW_FRAME_MIN || len > VSW_FRAME_MAX) {
		*err = -EMSGSIZE;
		return NULL;
	}
	nat_rec = vsw_prod_reserve(&nat.tx, (uint32_t)len, err);
	if (!nat_rec) {
		*err = -ENOBUFS;
		return NULL;
	}
	return (uint8_t *)(nat_rec + 1);
}

static void nat_commit(void *opaque, const struct vsw_vnet_hdr *vnet, size_t len)
{
	memset(nat_rec, 0, sizeof(*nat_rec));
	nat_rec->len = (uint32_t)len;
	nat_rec->vnet = *vnet;
	vsw_prod_commit(&nat.tx, (uint32_t)len);
	vsw_prod_publish(&nat.tx);
}

static const struct natd_ops ops = { .reserve = nat_reserve, .commit = nat_commit };

/* Hand every frame waiting in @c's receive ring to @fn (or drop it). */
static void client_drain(struct client *c,
			 void (*fn)(const uint8_t *, uint32_t, const struct vsw_vnet_hdr *))
{
	struct vsw_rec_view v;

	while (vsw_cons_peek(&c->rx, &v) > 0) {
		if (fn)
			fn(v.data, v.len, &v.vnet);
		vsw_cons_advance(&c->rx, &v);
	}
	vsw_cons_release(&c->rx);
}

static void to_nat(const uint8_t *f, uint32_t len, const struct vsw_vnet_hdr *vnet)
{
	natd_input(natd, (uint8_t *)f, len, vnet);	/* the NAT's ring: its own */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct vsw_mac_prefix reserved[] = {
		{ { 0x52, 0x55 }, 2 }, { { 0x52, 0x56 }, 2 },
	};
	struct vsw_dp_opts o = { .no_thread = true };
	GError *err = NULL;

	/* Nothing libslirp opens may reach a network. */
	if (unshare(geteuid() == 0 ? CLONE_NEWNET : CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		fprintf(stderr, "fuzz-nat: cannot get a network namespace of its own: %s\n",
			strerror(errno));
		exit(1);
	}
	dp = vsw_dp_new(&o, &err);
	sw = dp ? vsw_dp_switch_new(dp, 64, 300000, &err) : NULL;
	if (!sw)
		abort();
	vsw_dp_switch_set_reserved(dp, sw, reserved, 2);
	client_new(&guest, "guest", false);
	client_new(&nat, "nat", true);
	/* The guest may send from any MAC (but the NAT's) and takes every offload. */
	guest.port->offloads = VSW_OFFLOAD_ALL;
	/* The NAT port takes what daemon/natsup.c gives it. */
	nat.port->offloads = VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_TSO6 |
			     VSW_OFFLOAD_ECN;
	nat.port->fwd.flags = VSW_FWD_F_MAC_LOCK | VSW_FWD_F_RESERVED;
	nat.port->fwd.nmacs = 2;
	memcpy(nat.port->fwd.macs, reserved, sizeof(reserved));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SlirpConfig c = test_nat_config(false);
	size_t off = 0;

	natd = natd_new(&c, 1500, &ops, NULL);
	if (!natd)
		abort();
	/* A share of host sockets per guest that MAX_FRAMES frames can reach. */
	natd_set_sockets_per_guest(natd, 8);
	for (int n = 0; n < MAX_FRAMES && size - off >= 2 + sizeof(struct vsw_vnet_hdr); n++) {
		uint32_t len = (uint32_t)data[off] << 8 | data[off + 1];
		struct vsw_vnet_hdr v;

		memcpy(&v, data + off + 2, sizeof(v));
		off += 2 + sizeof(v);
		if (len > size - off)
			len = (uint32_t)(size - off);
		client_send(&guest, &v, data + off, len);
		off += len;
		/* Through the switch, into the NAT, and its answers back. */
		vsw_dp_round(dp);
		client_drain(&nat, to_nat);
		vsw_dp_round(dp);
		client_drain(&guest, NULL);
	}
	natd_free(natd);
	natd = NULL;
	vsw_dp_round(dp);
	client_drain(&guest, NULL);
	client_drain(&nat, NULL);
	return 0;
}
