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
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "port-shm.h"
#include "ring-ops.h"

#define SHM_HDR_AREA	4096	/* header + both rings, one page */

struct shm_port {
	struct vsw_port port;
	void *mem;
	size_t size;
	int kick_client_fd;		/* we write: wake the client */
	struct vsw_ring_cons from_client;	/* ring VSW_TX */
	struct vsw_ring_prod to_client;		/* ring VSW_RX */
};

static struct shm_port *shm_of(struct vsw_port *p)
{
	return (struct shm_port *)p;
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

static int shm_rx(struct vsw_port *p, struct vsw_dp *dp, unsigned budget)
{
	struct shm_port *s = shm_of(p);
	int n = vsw_port_ring_rx(p, dp, &s->from_client, budget);

	/* The client may sleep waiting for the space we just freed. */
	if (vsw_cons_release(&s->from_client))
		kick(s->kick_client_fd);
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
		kick(s->kick_client_fd);
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
	if (s->kick_client_fd >= 0)
		close(s->kick_client_fd);
	g_free(s);
}

static const struct vsw_port_ops shm_ops = {
	.kind = "vm",
	.rx = shm_rx,
	.tx = shm_tx,
	.flush = shm_flush,
	.arm = shm_arm,
	.disarm = shm_disarm,
	.destroy = shm_destroy,
};

struct vsw_port *vsw_port_shm_new(const char *name, uint32_t data_size,
				  int fds[3], size_t *shm_size, GError **err)
{
	struct shm_port *s = g_malloc0(sizeof(*s));
	struct vsw_shm_hdr *h;
	int memfd;

	fds[0] = fds[1] = fds[2] = -1;
	s->port.ops = &shm_ops;
	s->port.wait_fd = -1;
	s->port.dp_slot = -1;
	s->kick_client_fd = -1;
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

	s->port.wait_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->kick_client_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->port.wait_fd < 0 || s->kick_client_fd < 0)
		goto fail_errno;
	fds[0] = memfd;
	fds[1] = fcntl(s->port.wait_fd, F_DUPFD_CLOEXEC, 0);		/* the client kicks the switch */
	fds[2] = fcntl(s->kick_client_fd, F_DUPFD_CLOEXEC, 0);	/* the client waits on it */
	if (fds[1] < 0 || fds[2] < 0) {
		memfd = -1;
		goto fail_errno;
	}
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
