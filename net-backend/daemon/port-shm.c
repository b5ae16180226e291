// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port-shm.c - a port whose peer is a libvswitch client (a QEMU NIC).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The port's memory is a memfd laid out as <vswitch/ring.h> describes,
 * sealed so the client can neither shrink it (SIGBUS here) nor grow it.
 * The switch consumes the TX ring and produces into the RX ring; it never
 * waits for RX space: a full RX ring drops the frame (counted).  Every
 * index and length the client wrote is validated by ring-ops.h; nonsense
 * makes rx/tx return -EPROTO and the port is reset.
 *
 * Doorbells are two pipes, one per direction, not a shared eventfd (one
 * open file the client could switch to blocking, or saturate, under us)
 * and not a socket (which can carry file descriptors, and a descriptor
 * whose last close blocks would then be closed in the data path thread).
 * Every end of a pipe is an open file of its own: the client holds the
 * write end of "client -> switch" and the read end of "switch -> client";
 * we hold the other two, non-blocking, and nothing the client does to its
 * ends (clear O_NONBLOCK, stop reading, fill the pipe, close) can make a
 * read or write of ours wait.  A full pipe means a kick is pending
 * already; we clear ours with one read of up to DRAIN_BYTES; a client that
 * closed its end makes ours read 0, and the data path stops watching it.
 * An old client that write()s 8 bytes to kick and read()s 8 bytes to
 * clear, as with an eventfd, works unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "port-shm.h"
#include "ring-ops.h"

#define SHM_HDR_AREA	4096	/* header + both rings, one page */
#define DRAIN_BYTES	512	/* doorbell bytes read per wakeup */

struct shm_port {
	struct vsw_port port;
	void *mem;
	size_t size;
	int kick_fd;				/* write end of switch -> client */
	struct vsw_ring_cons from_client;	/* ring VSW_TX */
	struct vsw_ring_prod to_client;		/* ring VSW_RX */
};

static struct shm_port *shm_of(struct vsw_port *p)
{
	return (struct shm_port *)p;
}

static bool shm_drain(struct vsw_port *p)
{
	uint8_t buf[DRAIN_BYTES];
	ssize_t n = read(p->wait_fd, buf, sizeof(buf));

	/* 0: the client closed its end; its connection's end resets the port. */
	return n != 0;
}

static int shm_rx(struct vsw_port *p, struct vsw_dp *dp, unsigned budget)
{
	struct shm_port *s = shm_of(p);
	int n = vsw_port_ring_rx(p, dp, &s->from_client, budget);

	/* The client may sleep waiting for the space we just freed. */
	if (vsw_cons_release(&s->from_client))
		vsw_doorbell_kick(s->kick_fd);
	return n;
}

static int shm_tx(struct vsw_port *p, const struct vsw_xmit *x)
{
	return vsw_port_ring_tx(&shm_of(p)->to_client, x);
}

static void shm_flush(struct vsw_port *p)
{
	struct shm_port *s = shm_of(p);

	if (vsw_prod_publish(&s->to_client))
		vsw_doorbell_kick(s->kick_fd);
}

static bool shm_arm(struct vsw_port *p)
{
	return vsw_cons_arm(&shm_of(p)->from_client);
}

static void shm_disarm(struct vsw_port *p)
{
	vsw_cons_disarm(&shm_of(p)->from_client);
}

static void shm_destroy(struct vsw_port *p)
{
	struct shm_port *s = shm_of(p);

	if (s->mem)
		munmap(s->mem, s->size);
	if (p->wait_fd >= 0)
		close(p->wait_fd);
	if (s->kick_fd >= 0)
		close(s->kick_fd);
	g_free(s);
}

#define SHM_OPS(k) { \
	.kind = k, \
	.rx = shm_rx, \
	.tx = shm_tx, \
	.flush = shm_flush, \
	.arm = shm_arm, \
	.disarm = shm_disarm, \
	.drain = shm_drain, \
	.destroy = shm_destroy, \
}

/* A VM's port, and the NAT's: its helper is a client like any other. */
static const struct vsw_port_ops shm_ops[] = { SHM_OPS("vm"), SHM_OPS("nat") };

struct vsw_port *vsw_port_shm_new(const char *name, bool nat, uint32_t data_size,
				  int fds[3], size_t *shm_size, GError **err)
{
	struct shm_port *s = g_malloc0(sizeof(*s));
	struct vsw_shm_hdr *h;
	int memfd, in[2] = { -1, -1 }, out[2] = { -1, -1 };

	fds[0] = fds[1] = fds[2] = -1;
	s->port.ops = &shm_ops[nat];
	s->port.wait_fd = -1;
	s->port.dp_slot = -1;
	s->kick_fd = -1;
	g_strlcpy(s->port.name, name, sizeof(s->port.name));
	s->size = SHM_HDR_AREA + 2 * (size_t)data_size;

	memfd = memfd_create("vswitch-port", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, (off_t)s->size) < 0)
		goto fail_errno;
	s->mem = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		goto fail_errno;
	}
	/* No shrinking (SIGBUS for whoever maps it), no growing, no unsealing. */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail_errno;
	h = s->mem;
	h->magic = VSW_SHM_MAGIC;
	h->version = VSW_SHM_VERSION;
	h->hdr_size = sizeof(*h);
	h->features = 0;
	h->total_size = s->size;
	h->data_size = data_size;
	h->ring_off[VSW_TX] = sizeof(*h);
	h->ring_off[VSW_RX] = sizeof(*h) + sizeof(struct vsw_ring);
	h->data_off[VSW_TX] = SHM_HDR_AREA;
	h->data_off[VSW_RX] = SHM_HDR_AREA + data_size;
	vsw_ring_cons_init(&s->from_client,
			   (struct vsw_ring *)((uint8_t *)s->mem + h->ring_off[VSW_TX]),
			   (uint8_t *)s->mem + h->data_off[VSW_TX], data_size);
	vsw_ring_prod_init(&s->to_client,
			   (struct vsw_ring *)((uint8_t *)s->mem + h->ring_off[VSW_RX]),
			   (uint8_t *)s->mem + h->data_off[VSW_RX], data_size);

	/* Both pipes non-blocking: the client's ends are its own to change. */
	if (pipe2(in, O_NONBLOCK | O_CLOEXEC) < 0 || pipe2(out, O_NONBLOCK | O_CLOEXEC) < 0) {
		for (int i = 0; i < 2; i++) {
			if (in[i] >= 0)
				close(in[i]);
		}
		goto fail_errno;
	}
	s->port.wait_fd = in[0];
	s->kick_fd = out[1];
	fds[0] = memfd;
	fds[1] = in[1];		/* the client kicks the switch */
	fds[2] = out[0];	/* the client waits on it */
	*shm_size = s->size;
	return &s->port;

fail_errno:
	g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "cannot create the shared memory of port '%s': %s",
		    name, g_strerror(errno));
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fds[0] = fds[1] = fds[2] = -1;
	if (memfd >= 0)
		close(memfd);
	shm_destroy(&s->port);
	return NULL;
}
