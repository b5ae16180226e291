// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port-tap.c - a port whose peer is the host's own stack: a TAP device,
 * the switch's host adapter (docs/external.md).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The device is created with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a
 * 12-byte virtio-net header (struct vsw_vnet_hdr, virtio 1.0, little
 * endian), not persistent: the kernel deletes it when its only fd, ours,
 * is closed, so a vswitchd that dies leaves nothing behind.  IFF_TUN_EXCL
 * makes a name that is already taken fail instead of attaching to another
 * process's (or a persistent) TAP device that would outlive us.
 *
 * Offloads.  TUNSETOFFLOAD says what we can take from the kernel: partial
 * checksums, TSO4/6 with ECN, and USO4/6 where the kernel knows them
 * (Linux 6.2, retried without), so the host's stack hands us 64 KiB TCP
 * frames and the switch passes them on whole to ports that take them.  In
 * the other direction, the kernel takes any of these from a frame we
 * write (tun_get_user() -> virtio_net_hdr_to_skb()), and segments or
 * checksums what its stack cannot; the port's @offloads say the same set.
 * UFO is left out: the kernel ignores TUN_F_UFO since 4.14, and the data
 * path fragments UFO frames itself.
 *
 * Data path side: one read() or write() per frame, each with its
 * virtio-net header in front, from or into a buffer of the port's own
 * allocated at creation (a 64 KiB frame fits).  The fd is non-blocking:
 * an empty queue ends rx, a full one drops in tx (-ENOBUFS, counted).
 * Readiness is level-triggered (the data path's epoll set holds the fd
 * itself), so arm() has nothing to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port-host.h"

/* Linux 6.2 (<linux/if_tun.h> of Debian 12 predates them). */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6	0x40
#endif

#define TAP_VNET_LEN	((int)sizeof(struct vsw_vnet_hdr))
#define TAP_BUF_SIZE	(sizeof(struct vsw_vnet_hdr) + VSW_FRAME_MAX)
#define TAP_TXQLEN	1000	/* host -> switch queue, in frames (tun's default: 500) */

struct tap_port {
	struct vsw_port port;
	int ifindex;
	bool gone;			/* atomic: written by the data path */
	char ifname[IFNAMSIZ];
	uint8_t *rxbuf;			/* TAP_BUF_SIZE: header + frame */
	uint8_t *txbuf;			/* TAP_BUF_SIZE */
};

static struct tap_port *tap_of(struct vsw_port *p)
{
	return (struct tap_port *)p;
}

static void tap_set_gone(struct tap_port *t)
{
	__atomic_store_n(&t->gone, true, __ATOMIC_RELAXED);
}

static bool tap_is_gone(struct tap_port *t)
{
	return __atomic_load_n(&t->gone, __ATOMIC_RELAXED);
}

/*
 * A header without partial checksum or GSO says nothing the switch keeps
 * (it never forwards DATA_VALID from a port): zero it, so the data path
 * takes its fast path instead of parsing the frame.
 */
static inline void vnet_clean(struct vsw_vnet_hdr *v)
{
	v->num_buffers = 0;
	if (!(v->flags & VSW_VNET_F_NEEDS_CSUM) && v->gso_type == VSW_VNET_GSO_NONE)
		memset(v, 0, sizeof(*v));
}

static int tap_rx(struct vsw_port *p, struct vsw_dp *dp, unsigned budget)
{
	struct tap_port *t = tap_of(p);
	unsigned cost = 0;

	if (tap_is_gone(t))
		return 0;
	while (cost < budget) {
		ssize_t n = read(p->wait_fd, t->rxbuf, TAP_BUF_SIZE);
		struct vsw_frame_in f;

		if (n < 0) {
			/* EBADFD: the device was deleted (tun_chr_read_iter()). */
			if (errno == EBADFD)
				tap_set_gone(t);
			break;		/* EAGAIN: nothing more queued */
		}
		if (n < TAP_VNET_LEN) {
			cost++;		/* cannot happen; still bounded */
			continue;
		}
		memcpy(&f.vnet, t->rxbuf, sizeof(f.vnet));
		vnet_clean(&f.vnet);
		f.data = t->rxbuf + TAP_VNET_LEN;
		f.len = (uint32_t)n - TAP_VNET_LEN;
		cost += vsw_dp_input(dp, p, &f);
	}
	return (int)cost;
}

static int tap_tx(struct vsw_port *p, const struct vsw_xmit *x)
{
	struct tap_port *t = tap_of(p);
	uint32_t len = vsw_xmit_len(x);

	if (tap_is_gone(t) || len > VSW_FRAME_MAX)
		return -ENOBUFS;
	memcpy(t->txbuf, &x->vnet, sizeof(x->vnet));
	vsw_xmit_write(t->txbuf + TAP_VNET_LEN, x);
	if (write(p->wait_fd, t->txbuf, TAP_VNET_LEN + (size_t)len) < 0) {
		if (errno == EBADFD)
			tap_set_gone(t);
		/*
		 * EAGAIN/ENOBUFS: no room; EINVAL: the kernel refused the
		 * header (the switch rebuilt it, so it should not); EIO: the
		 * device is down.  A dropped frame each way, counted.
		 */
		return -ENOBUFS;
	}
	return 0;
}

static void tap_flush(struct vsw_port *p)
{
	/* Every frame went to the kernel in tap_tx(). */
}

static bool tap_arm(struct vsw_port *p)
{
	/* The epoll set watches the fd itself, level-triggered. */
	return false;
}

static void tap_disarm(struct vsw_port *p)
{
}

static bool tap_drain(struct vsw_port *p)
{
	struct tap_port *t = tap_of(p);
	struct pollfd pfd = { .fd = p->wait_fd, .events = POLLIN };

	/*
	 * Nothing to clear: the frames are the readiness, and rx takes them.
	 * A deleted device polls EPOLLERR (tun_chr_poll()) for ever: stop
	 * watching it.
	 */
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
		tap_set_gone(t);
	return !tap_is_gone(t);
}

static void tap_destroy(struct vsw_port *p)
{
	struct tap_port *t = tap_of(p);

	if (p->wait_fd >= 0)
		close(p->wait_fd);	/* the kernel deletes the device */
	g_free(t->rxbuf);
	g_free(t->txbuf);
	g_free(t);
}

static const struct vsw_port_ops tap_ops = {
	.kind = "host",
	.rx = tap_rx,
	.tx = tap_tx,
	.flush = tap_flush,
	.arm = tap_arm,
	.disarm = tap_disarm,
	.drain = tap_drain,
	.destroy = tap_destroy,
};

/* The driver behind an existing interface ("tun", "veth", ...), or "". */
static void driver_of(int ctl, const char *ifname, char *drv, size_t size)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };

	drv[0] = 0;
	g_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_data = (void *)&info;
	if (ioctl(ctl, SIOCETHTOOL, &ifr) == 0)
		g_strlcpy(drv, info.driver, size);
}

/* Why TUNSETIFF said @e, for a user. */
static void tunsetiff_error(int ctl, const char *name, int e, GError **err)
{
	if (e == EPERM || e == EACCES) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "creating host adapter '%s' needs CAP_NET_ADMIN", name);
		return;
	}
	if (e == EBUSY && if_nametoindex(name)) {
		char drv[32];

		driver_of(ctl, name, drv, sizeof(drv));
		if (!strcmp(drv, "tun"))
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_BUSY,
				    "cannot create host adapter '%s': a TUN/TAP device of "
				    "that name exists already (persistent, or another "
				    "process's)", name);
		else
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS,
				    "cannot create host adapter '%s': the name belongs to "
				    "an existing interface that is not a TAP device%s%s%s",
				    name, drv[0] ? " (driver " : "", drv, drv[0] ? ")" : "");
		return;
	}
	if (e == EINVAL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "cannot create host adapter '%s': the kernel refused the "
			    "name or the device's flags", name);
		return;
	}
	g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
		    "cannot create host adapter '%s': %s", name, g_strerror(e));
}

/* One interface ioctl on @ctl; Return: false with @err set. */
static bool ifioctl(int ctl, unsigned long req, struct ifreq *ifr, const char *what,
		    GError **err)
{
	if (ioctl(ctl, req, ifr) == 0)
		return true;
	g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "host adapter '%s': cannot %s: %s", ifr->ifr_name, what,
		    g_strerror(errno));
	return false;
}

struct vsw_port *vswd_tap_port_new(const char *ifname, const uint8_t *mac,
				   unsigned mtu, GError **err)
{
	const unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	const char *shown = ifname && *ifname ? ifname : "tap%d";
	struct tap_port *t;
	struct ifreq ifr = { 0 };
	int hdrlen = TAP_VNET_LEN, ctl, fd;
	bool uso = true;

	if (strlen(shown) >= IFNAMSIZ) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "host adapter name '%s' is too long (at most %d bytes)",
			    shown, IFNAMSIZ - 1);
		return NULL;
	}
	/* For the interface ioctls; any family reaches dev_ioctl(). */
	ctl = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
			    "host adapter '%s': socket: %s", shown, g_strerror(errno));
		return NULL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == EPERM)
			tunsetiff_error(ctl, shown, e, err);
		else
			g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
				    "cannot create host adapter '%s': /dev/net/tun: %s%s",
				    shown, g_strerror(e),
				    e == ENOENT ? " (is the tun module there?)" : "");
		close(ctl);
		return NULL;
	}
	/* IFF_TUN_EXCL is 0x8000: ifr_flags is a short. */
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL);
	g_strlcpy(ifr.ifr_name, ifname ? ifname : "", sizeof(ifr.ifr_name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		tunsetiff_error(ctl, shown, errno, err);
		goto fail;
	}
	/* From here on, ifr_name is the device's name as the kernel made it. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrlen) < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
			    "host adapter '%s': cannot use %d-byte virtio-net headers: %s",
			    ifr.ifr_name, hdrlen, g_strerror(errno));
		goto fail;
	}
	/* USO is Linux 6.2's; older kernels refuse unknown bits with EINVAL. */
	if (ioctl(fd, TUNSETOFFLOAD, base | TUN_F_USO4 | TUN_F_USO6) < 0) {
		uso = false;
		if (ioctl(fd, TUNSETOFFLOAD, base) < 0) {
			g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
				    "host adapter '%s': cannot set its offloads: %s",
				    ifr.ifr_name, g_strerror(errno));
			goto fail;
		}
	}

	t = g_malloc0(sizeof(*t));
	t->port.ops = &tap_ops;
	t->port.wait_fd = fd;
	t->port.dp_slot = -1;
	t->port.offloads = VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_TSO6 |
			   VSW_OFFLOAD_ECN |
			   (uso ? VSW_OFFLOAD_USO4 | VSW_OFFLOAD_USO6 : 0);
	g_strlcpy(t->ifname, ifr.ifr_name, sizeof(t->ifname));
	g_strlcpy(t->port.name, t->ifname, sizeof(t->port.name));
	t->rxbuf = g_malloc(TAP_BUF_SIZE);
	t->txbuf = g_malloc(TAP_BUF_SIZE);

	/* The port owns the device: whatever fails now deletes it again. */
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, t->ifname, sizeof(ifr.ifr_name));
	if (!ifioctl(ctl, SIOCGIFINDEX, &ifr, "find its index", err))
		goto fail_port;
	t->ifindex = ifr.ifr_ifindex;
	ifr.ifr_qlen = TAP_TXQLEN;
	if (!ifioctl(ctl, SIOCSIFTXQLEN, &ifr, "set its queue length", err))
		goto fail_port;
	if (mac) {
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
		if (!ifioctl(ctl, SIOCSIFHWADDR, &ifr, "set its MAC address", err))
			goto fail_port;
	}
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (!ifioctl(ctl, SIOCSIFMTU, &ifr, "set its MTU", err))
			goto fail_port;
	}
	if (!ifioctl(ctl, SIOCGIFFLAGS, &ifr, "read its flags", err))
		goto fail_port;
	ifr.ifr_flags |= IFF_UP;
	if (!ifioctl(ctl, SIOCSIFFLAGS, &ifr, "bring it up", err))
		goto fail_port;
	close(ctl);
	return &t->port;

fail_port:
	tap_destroy(&t->port);
	close(ctl);
	return NULL;
fail:
	close(fd);
	close(ctl);
	return NULL;
}

int vswd_tap_port_ifindex(struct vsw_port *p)
{
	return tap_of(p)->ifindex;
}

const char *vswd_tap_port_ifname(struct vsw_port *p)
{
	return tap_of(p)->ifname;
}

bool vswd_tap_port_gone(struct vsw_port *p)
{
	return tap_is_gone(tap_of(p));
}
