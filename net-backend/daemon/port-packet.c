// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port-packet.c - a port on a network interface (the switch's NIC,
 * docs/external.md), read and written through AF_PACKET.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Receive: a TPACKET_V3 ring, memory-mapped, bound to the interface with
 * ETH_P_ALL, in promiscuous mode (PACKET_ADD_MEMBERSHIP: counted by the
 * kernel and dropped with the socket, so a crash cannot leave the NIC
 * promiscuous), with PACKET_IGNORE_OUTGOING: frames leaving through the
 * interface, ours among them, do not come back.  (The host's own frames on
 * the NIC are not seen either; the host reaches the switch through its
 * host adapter.)  The kernel strips the outer VLAN tag into the frame's
 * metadata; rx puts it back in place, as it was on the wire: the 12
 * address bytes move 4 bytes down into the headroom (PACKET_RESERVE, and
 * the virtio-net header's place, copied out before) and tp_vlan_tpid
 * (0x8100, 0x88a8, ...) and tp_vlan_tci, priority bits included, go in
 * between.  The switch then sees 802.1ad frames as such, and drops them.
 *
 * PACKET_VNET_HDR on the receive socket (tpacket_rcv() has filled a
 * virtio-net header since Linux 4.6; used and tested on 6.18) keeps what a
 * GRO'd or locally sent frame says of itself: a 64 KiB TCP frame from the
 * NIC stays one frame with its GSO type and size, and a frame with a
 * partial checksum (from a veth peer on this host: CHECKSUM_PARTIAL) says
 * so instead of arriving with a wrong checksum.  The header is 10 bytes
 * (struct virtio_net_hdr), the first 10 of struct vsw_vnet_hdr; its
 * offsets count from the frame without the stripped tag, so they move by 4
 * when the tag goes back.  A kernel that refuses it gets frames without a
 * header: GRO'd frames then reach the switch as single frames longer than
 * the MTU, and partial checksums (TP_STATUS_CSUMNOTREADY) are not filled;
 * turn GRO and the peer's TX checksum offload off on such hosts.  Frames
 * the kernel cannot describe (tunnel GSO types) it drops itself.
 *
 * Ring size: 64 blocks of 128 KiB, 8 MiB per NIC (mapped and populated:
 * RSS, measured +10 MiB per port with the transmit ring).  A block holds
 * ~650 64-byte frames (192 bytes each with the ring's headers) or one
 * 64 KiB GRO frame, the largest Linux makes without BIG TCP (longer ones
 * arrive truncated and are dropped).  The kernel hands a block over when
 * it is full or when its retire timer (RX_RETIRE_MS, 1 ms, the least it
 * takes; 0 lets the kernel pick from link speed and block size) finds it
 * in use: a lone frame waits up to ~2 ms, measured median 0.5 ms,
 * 90 % 1.0 ms, max 1.9 ms (wire to host, the data path polling).  So
 * below ~650 000 small frames/s a block holds about a millisecond of
 * frames, and the block count, not the bytes, bounds the buffering: 64
 * blocks ride out ~64 ms of a data path that does not run (16 blocks of
 * 256 KiB, the same bytes as 32 of 128 KiB, would ride out 16 ms; in four
 * 3-second runs at ~200 000 frames/s on this shared 2-CPU VM, 32 blocks
 * lost 2317 frames once, 64 blocks none).  At full rate the ring holds
 * ~40 000 small frames, or ~6 ms of a 10 Gbit/s link.  The socket polls
 * readable when a block is handed over; the data path also reads the ring
 * while it polls.
 * rx reads frames in block order, stops when their cost reaches the
 * budget, and resumes in the next call at the frame after the last one it
 * read; each block goes back to the kernel (TP_STATUS_KERNEL) once read
 * whole.  Receive rate measured (64-byte frames from a veth peer; the
 * sender, whose CPU also runs the veth's receive path into the ring, is
 * the bottleneck at 200 000 - 420 000 frames/s): 70 - 140 ns of data path
 * CPU per frame, decision included.
 *
 * Transmit, measured on this 2-CPU VM (veth, 64-byte frames, sender only:
 * the peer down, so the receiving stack costs nothing): sendmsg() per
 * frame 540 000 frames/s, sendmmsg() of 64 frames 700 000/s, a TPACKET_V2
 * ring with one send() per 64 frames 1 150 000/s.  With the peer up, the
 * peer's receive path, run by the same CPU, costs most, and through this
 * port's tx/flush the ring gave 340 000 - 370 000 frames/s where sendmsg()
 * per frame gave 260 000 - 275 000.  So: a TPACKET_V2 ring of 1024 slots
 * of 2 KiB (2 MiB); tx writes a frame into the next free slot, flush (or
 * tx, after TX_KICK unsent frames) hands them to the kernel with one
 * send(MSG_DONTWAIT); no free slot: -ENOBUFS.  A ring cannot take frames
 * larger than its slot (a 64 KiB GSO frame, a jumbo frame), and sendmsg()
 * on a socket with a ring always uses the ring: those go through a third
 * socket, one sendmsg() each, after the ring's pending frames.
 * PACKET_QDISC_BYPASS measured no faster on a veth (no qdisc there) and
 * would skip the NIC's qdisc (tc shaping, backpressure) for the host's
 * traffic through the switch: not used.  PACKET_LOSS: a frame the kernel
 * refuses (longer than the MTU) is skipped, not left to block the ring.
 *
 * Offloads: with PACKET_VNET_HDR on the transmit sockets the kernel takes
 * GSO frames and partial checksums and segments/checksums what the NIC
 * cannot (validate_xmit_skb()): the port takes CSUM, TSO4/6, ECN, and
 * USO4/6 where the kernel has them (virtio_net_hdr_to_skb() since 6.2;
 * PACKET_VNET_HDR_SZ, which is probed, came in 6.3).  Without it, nothing:
 * the data path segments and checksums for the port, and a frame longer
 * than MTU + 18 is refused by the kernel (dropped).
 *
 * An interface that goes away (unregistered: deleted, unplugged, moved to
 * another namespace) sets sk_err on the receive socket (POLLERR, cleared
 * in drain) and makes sends fail with ENXIO; the port then stops: rx takes
 * nothing, tx drops, drain asks not to be watched, and
 * vswd_packet_port_gone() says so.  A link that goes down only (ENETDOWN)
 * is not gone: the kernel delivers again when it is up, and frames written
 * meanwhile wait in the ring (resent at each round) until then or until
 * the ring is full.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "port-host.h"

/* Linux 6.3 (<linux/if_packet.h> of Debian 12 predates it). */
#ifndef PACKET_VNET_HDR_SZ
#define PACKET_VNET_HDR_SZ	24
#endif

#define RX_BLOCK_SIZE	(128u * 1024u)
#define RX_BLOCK_NR	64u
#define RX_FRAME_SIZE	2048u	/* only for the kernel's checks with V3 */
#define RX_RETIRE_MS	1u
#define RX_RESERVE	4u	/* headroom for the tag that goes back in */

#define TX_BLOCK_SIZE	(64u * 1024u)
#define TX_SLOT_SIZE	2048u
#define TX_SLOT_NR	1024u
#define TX_KICK		256u	/* unsent frames that make tx send at once */
#define TX_SNDBUF	(4 << 20)

#define VNET_LEN	10u	/* struct virtio_net_hdr */
/* Where a TPACKET_V2 slot's frame begins (no PACKET_TX_HAS_OFF). */
#define TX_DATA_OFF	(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

_Static_assert(TX_BLOCK_SIZE % TX_SLOT_SIZE == 0, "slots tile the blocks");

struct pkt_port {
	struct vsw_port port;		/* wait_fd: the receive socket */
	int ifindex;
	bool gone;			/* atomic: written by the data path */
	char ifname[IFNAMSIZ];

	/* Receive ring. */
	uint8_t *rx_ring;
	size_t rx_size;
	unsigned rx_block;		/* the block rx reads next */
	unsigned rx_left;		/* frames of it not read yet; 0: none open */
	uint8_t *rx_next;		/* the next of them */
	bool rx_vnet;

	/* Transmit ring, and the socket for frames larger than its slots. */
	int tx_fd;
	int big_fd;
	uint8_t *tx_ring;
	size_t tx_size;
	unsigned tx_head;		/* the slot tx writes next */
	unsigned tx_unsent;		/* written since the last send() */
	bool tx_retry;			/* the kernel left some: send() again */
	bool tx_vnet;
	uint32_t tx_slot_max;		/* largest header + frame in a slot */
};

static struct pkt_port *pkt_of(struct vsw_port *p)
{
	return (struct pkt_port *)p;
}

static bool pkt_is_gone(struct pkt_port *k)
{
	return __atomic_load_n(&k->gone, __ATOMIC_RELAXED);
}

static struct tpacket_block_desc *rx_block(struct pkt_port *k, unsigned i)
{
	return (struct tpacket_block_desc *)(k->rx_ring + (size_t)i * RX_BLOCK_SIZE);
}

static void rx_release(struct pkt_port *k)
{
	__atomic_store_n(&rx_block(k, k->rx_block)->hdr.bh1.block_status,
			 TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	k->rx_block = (k->rx_block + 1) % RX_BLOCK_NR;
	k->rx_left = 0;
}

/*
 * Data path: the interface is gone.  Give every block back, so the socket
 * does not poll readable for frames nobody reads, and stop.
 */
static void pkt_set_gone(struct pkt_port *k)
{
	if (pkt_is_gone(k))
		return;
	for (unsigned i = 0; i < RX_BLOCK_NR; i++)
		__atomic_store_n(&rx_block(k, i)->hdr.bh1.block_status,
				 TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	k->rx_left = 0;
	k->tx_retry = false;
	__atomic_store_n(&k->gone, true, __ATOMIC_RELAXED);
}

/* Is the socket still bound to the interface?  Unregistering makes it -1. */
static void check_gone(struct pkt_port *k)
{
	struct sockaddr_ll sll = { 0 };
	socklen_t len = sizeof(sll);

	if (getsockname(k->port.wait_fd, (struct sockaddr *)&sll, &len) == 0 &&
	    sll.sll_ifindex != k->ifindex)
		pkt_set_gone(k);
}

static void send_error(struct pkt_port *k, int e)
{
	/* A bound socket whose interface was unregistered: ENXIO. */
	if (e == ENXIO || e == ENODEV)
		pkt_set_gone(k);
}

static struct tpacket2_hdr *tx_slot(struct pkt_port *k, unsigned i)
{
	return (struct tpacket2_hdr *)(k->tx_ring + (size_t)i * TX_SLOT_SIZE);
}

/*
 * Hand the written slots to the kernel.  It takes them in order and stops
 * at one it cannot send now (qdisc full, link down: left as
 * SEND_REQUEST): if the last one written is still waiting, try again
 * from the next round on.
 */
static void tx_kick(struct pkt_port *k)
{
	unsigned last = (k->tx_head + TX_SLOT_NR - 1) % TX_SLOT_NR;

	k->tx_unsent = 0;
	if (send(k->tx_fd, NULL, 0, MSG_DONTWAIT) < 0)
		send_error(k, errno);
	k->tx_retry = !pkt_is_gone(k) &&
		      __atomic_load_n(&tx_slot(k, last)->tp_status, __ATOMIC_ACQUIRE) ==
		      TP_STATUS_SEND_REQUEST;
}

/* One frame to the switch; Return: its cost. */
static unsigned rx_frame(struct pkt_port *k, struct vsw_dp *dp, struct tpacket3_hdr *h)
{
	const struct sockaddr_ll *sll =
		(const void *)((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));
	uint8_t *mac = (uint8_t *)h + h->tp_mac;
	struct vsw_frame_in f;
	uint32_t len = h->tp_snaplen;

	/* PACKET_IGNORE_OUTGOING does it; this is for kernels without it. */
	if (sll->sll_pkttype == PACKET_OUTGOING)
		return 1;
	/* Cut short (longer than a block can hold): forward nothing of it. */
	if (len < h->tp_len || len < 12)
		return 1;
	memset(&f.vnet, 0, sizeof(f.vnet));
	if (k->rx_vnet) {
		memcpy(&f.vnet, mac - VNET_LEN, VNET_LEN);
		if (!(f.vnet.flags & VSW_VNET_F_NEEDS_CSUM) &&
		    f.vnet.gso_type == VSW_VNET_GSO_NONE)
			memset(&f.vnet, 0, sizeof(f.vnet));	/* DATA_VALID: nothing kept */
	}
	if (h->tp_status & TP_STATUS_VLAN_VALID) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) &&
				h->hv1.tp_vlan_tpid ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
		uint16_t tci = h->hv1.tp_vlan_tci;

		/* Into the reserve and the header's place (copied above). */
		memmove(mac - 4, mac, 12);
		mac -= 4;
		mac[12] = (uint8_t)(tpid >> 8);
		mac[13] = (uint8_t)tpid;
		mac[14] = (uint8_t)(tci >> 8);
		mac[15] = (uint8_t)tci;
		len += 4;
		if (f.vnet.flags & VSW_VNET_F_NEEDS_CSUM)
			f.vnet.csum_start = (uint16_t)(f.vnet.csum_start + 4);
		if (f.vnet.gso_type != VSW_VNET_GSO_NONE && f.vnet.hdr_len)
			f.vnet.hdr_len = (uint16_t)(f.vnet.hdr_len + 4);
	}
	f.data = mac;
	f.len = len;
	return vsw_dp_input(dp, &k->port, &f);
}

static int pkt_rx(struct vsw_port *p, struct vsw_dp *dp, unsigned budget)
{
	struct pkt_port *k = pkt_of(p);
	unsigned cost = 0;

	if (k->tx_retry)
		tx_kick(k);
	if (pkt_is_gone(k))
		return 0;
	/* Each pass reads a frame or opens or releases a block: bounded. */
	while (cost < budget) {
		struct tpacket_block_desc *b = rx_block(k, k->rx_block);
		struct tpacket3_hdr *h;
		size_t off;

		if (!k->rx_left) {
			if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			      TP_STATUS_USER))
				break;
			k->rx_left = b->hdr.bh1.num_pkts;
			k->rx_next = (uint8_t *)b + b->hdr.bh1.offset_to_first_pkt;
			if (!k->rx_left) {
				rx_release(k);
				cost++;
				continue;
			}
		}
		h = (struct tpacket3_hdr *)k->rx_next;
		off = (size_t)(k->rx_next - (uint8_t *)b);
		/* The kernel wrote it; still, nothing outside the block is read. */
		if (off + sizeof(*h) > RX_BLOCK_SIZE ||
		    off + h->tp_mac + (size_t)h->tp_snaplen > RX_BLOCK_SIZE ||
		    h->tp_mac < TPACKET3_HDRLEN + RX_RESERVE ||
		    (k->rx_left > 1 && h->tp_next_offset < sizeof(*h))) {
			rx_release(k);
			cost++;
			continue;
		}
		cost += rx_frame(k, dp, h);
		if (--k->rx_left)
			k->rx_next += h->tp_next_offset;
		else
			rx_release(k);
	}
	return (int)cost;
}

/* A frame too large for a slot: its own sendmsg(), after the ring's. */
static int tx_big(struct pkt_port *k, const struct vsw_xmit *x)
{
	uint8_t tag[4] = { 0x81, 0x00, (uint8_t)(x->tci >> 8), (uint8_t)x->tci };
	struct iovec iov[5];
	struct msghdr msg = { .msg_iov = iov };
	size_t n = 0;

	if (k->tx_unsent)
		tx_kick(k);
	if (k->tx_vnet)
		iov[n++] = (struct iovec){ (void *)&x->vnet, VNET_LEN };
	iov[n++] = (struct iovec){ (void *)x->head, 12 };
	if (x->tci)
		iov[n++] = (struct iovec){ tag, 4 };
	iov[n++] = (struct iovec){ (void *)(x->head + 12 + x->in_tag),
				   x->head_len - 12 - x->in_tag };
	if (x->payload_len)
		iov[n++] = (struct iovec){ (void *)x->payload, x->payload_len };
	msg.msg_iovlen = n;
	if (sendmsg(k->big_fd, &msg, MSG_DONTWAIT) < 0) {
		/* EAGAIN/ENOBUFS: full; EMSGSIZE: over the MTU, no vnet header. */
		send_error(k, errno);
		return -ENOBUFS;
	}
	return 0;
}

static int pkt_tx(struct vsw_port *p, const struct vsw_xmit *x)
{
	struct pkt_port *k = pkt_of(p);
	uint32_t len = vsw_xmit_len(x);
	uint32_t hlen = k->tx_vnet ? VNET_LEN : 0;
	struct tpacket2_hdr *h;
	uint8_t *data;

	if (pkt_is_gone(k))
		return -ENOBUFS;
	if (hlen + len > k->tx_slot_max)
		return tx_big(k, x);
	h = tx_slot(k, k->tx_head);
	if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
		return -ENOBUFS;	/* still the kernel's: the ring is full */
	data = (uint8_t *)h + TX_DATA_OFF;
	if (hlen)
		memcpy(data, &x->vnet, hlen);
	vsw_xmit_write(data + hlen, x);
	h->tp_len = hlen + len;
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	k->tx_head = (k->tx_head + 1) % TX_SLOT_NR;
	if (++k->tx_unsent >= TX_KICK)
		tx_kick(k);
	return 0;
}

static void pkt_flush(struct vsw_port *p)
{
	struct pkt_port *k = pkt_of(p);

	if (k->tx_unsent && !pkt_is_gone(k))
		tx_kick(k);
}

static bool pkt_arm(struct vsw_port *p)
{
	struct pkt_port *k = pkt_of(p);

	if (pkt_is_gone(k))
		return false;
	/* A block already handed over (or one rx left half read). */
	return k->rx_left ||
	       (__atomic_load_n(&rx_block(k, k->rx_block)->hdr.bh1.block_status,
				__ATOMIC_ACQUIRE) & TP_STATUS_USER);
}

static void pkt_disarm(struct vsw_port *p)
{
}

static bool pkt_drain(struct vsw_port *p)
{
	struct pkt_port *k = pkt_of(p);
	struct pollfd pfd = { .fd = p->wait_fd, .events = POLLIN };

	/*
	 * Blocks are the readiness, and rx takes them.  An error (the link
	 * went down, or away) polls for ever until read: read it, then see
	 * whether the interface is still there.
	 */
	if (!pkt_is_gone(k) && poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		int e = 0;
		socklen_t len = sizeof(e);

		getsockopt(p->wait_fd, SOL_SOCKET, SO_ERROR, &e, &len);
		check_gone(k);
	}
	return !pkt_is_gone(k);
}

static void pkt_destroy(struct vsw_port *p)
{
	struct pkt_port *k = pkt_of(p);

	if (k->rx_ring)
		munmap(k->rx_ring, k->rx_size);
	if (k->tx_ring)
		munmap(k->tx_ring, k->tx_size);
	if (p->wait_fd >= 0)
		close(p->wait_fd);	/* promiscuous mode goes with it */
	if (k->tx_fd >= 0)
		close(k->tx_fd);
	if (k->big_fd >= 0)
		close(k->big_fd);
	g_free(k);
}

static const struct vsw_port_ops pkt_ops = {
	.kind = "nic",
	.rx = pkt_rx,
	.tx = pkt_tx,
	.flush = pkt_flush,
	.arm = pkt_arm,
	.disarm = pkt_disarm,
	.drain = pkt_drain,
	.destroy = pkt_destroy,
};

static bool fail_errno(GError **err, const char *ifname, const char *what)
{
	int e = errno;

	if (e == EPERM || e == EACCES)
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			    "binding NIC '%s' needs CAP_NET_RAW (%s: %s)",
			    ifname, what, g_strerror(e));
	else
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "NIC '%s': %s: %s", ifname, what, g_strerror(e));
	return false;
}

static bool sockopt(int fd, int level, int name, const void *val, socklen_t len,
		    const char *ifname, const char *what, GError **err)
{
	if (setsockopt(fd, level, name, val, len) == 0)
		return true;
	return fail_errno(err, ifname, what);
}

static int packet_socket(const char *ifname, GError **err)
{
	/* Protocol 0: nothing is received until bind() names one. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		fail_errno(err, ifname, "AF_PACKET socket");
	return fd;
}

static bool packet_bind(int fd, int ifindex, uint16_t proto, const char *ifname,
			GError **err)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
		.sll_ifindex = ifindex,
	};

	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == 0)
		return true;
	return fail_errno(err, ifname, "bind");
}

static void set_sndbuf(int fd)
{
	int size = TX_SNDBUF;

	/* Beyond net.core.wmem_max with CAP_NET_ADMIN; else as far as it goes. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static bool rx_open(struct pkt_port *k, GError **err)
{
	const int v3 = TPACKET_V3, reserve = RX_RESERVE, one = 1;
	struct tpacket_req3 req = {
		.tp_block_size = RX_BLOCK_SIZE,
		.tp_block_nr = RX_BLOCK_NR,
		.tp_frame_size = RX_FRAME_SIZE,
		.tp_frame_nr = RX_BLOCK_SIZE / RX_FRAME_SIZE * RX_BLOCK_NR,
		.tp_retire_blk_tov = RX_RETIRE_MS,
	};
	struct packet_mreq mr = {
		.mr_ifindex = k->ifindex,
		.mr_type = PACKET_MR_PROMISC,
	};
	int fd = packet_socket(k->ifname, err);
	void *ring;

	if (fd < 0)
		return false;
	k->port.wait_fd = fd;
	if (!sockopt(fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3), k->ifname,
		     "TPACKET_V3", err) ||
	    !sockopt(fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve), k->ifname,
		     "PACKET_RESERVE", err))
		return false;
	/* Before the ring (the kernel refuses it after: EBUSY).  See above. */
	k->rx_vnet = setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0;
	if (!k->rx_vnet)
		g_message("NIC '%s': no virtio-net headers on receive (%s): GRO'd frames "
			  "and partial checksums reach the switch as they are",
			  k->ifname, g_strerror(errno));
	/* Linux 4.20; without it rx skips PACKET_OUTGOING frames itself. */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (!sockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req), k->ifname,
		     "receive ring", err))
		return false;
	k->rx_size = (size_t)RX_BLOCK_SIZE * RX_BLOCK_NR;
	ring = mmap(NULL, k->rx_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    fd, 0);
	if (ring == MAP_FAILED)
		return fail_errno(err, k->ifname, "mmap of the receive ring");
	k->rx_ring = ring;
	return sockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr), k->ifname,
		       "promiscuous mode", err) &&
	       packet_bind(fd, k->ifindex, ETH_P_ALL, k->ifname, err);
}

static bool tx_open(struct pkt_port *k, GError **err)
{
	const int v2 = TPACKET_V2, one = 1, zero = 0, vnet_sz = VNET_LEN;
	struct tpacket_req req = {
		.tp_block_size = TX_BLOCK_SIZE,
		.tp_block_nr = TX_SLOT_NR * TX_SLOT_SIZE / TX_BLOCK_SIZE,
		.tp_frame_size = TX_SLOT_SIZE,
		.tp_frame_nr = TX_SLOT_NR,
	};
	void *ring;
	bool uso;

	k->tx_fd = packet_socket(k->ifname, err);
	if (k->tx_fd < 0)
		return false;
	k->big_fd = packet_socket(k->ifname, err);
	if (k->big_fd < 0)
		return false;
	k->tx_vnet = setsockopt(k->tx_fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0 &&
		     setsockopt(k->big_fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0;
	if (!k->tx_vnet) {
		g_message("NIC '%s': no virtio-net headers on transmit (%s): the switch "
			  "segments and checksums for it", k->ifname, g_strerror(errno));
		/* Both sockets alike: the tx paths write the same frames. */
		setsockopt(k->tx_fd, SOL_PACKET, PACKET_VNET_HDR, &zero, sizeof(zero));
		setsockopt(k->big_fd, SOL_PACKET, PACKET_VNET_HDR, &zero, sizeof(zero));
	}
	uso = k->tx_vnet && setsockopt(k->big_fd, SOL_PACKET, PACKET_VNET_HDR_SZ,
				       &vnet_sz, sizeof(vnet_sz)) == 0;
	k->port.offloads = !k->tx_vnet ? 0 :
			   VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_TSO6 |
			   VSW_OFFLOAD_ECN |
			   (uso ? VSW_OFFLOAD_USO4 | VSW_OFFLOAD_USO6 : 0);
	if (!sockopt(k->tx_fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2), k->ifname,
		     "TPACKET_V2", err) ||
	    !sockopt(k->tx_fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one), k->ifname,
		     "PACKET_LOSS", err) ||
	    !sockopt(k->tx_fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req), k->ifname,
		     "transmit ring", err))
		return false;
	k->tx_size = (size_t)TX_SLOT_NR * TX_SLOT_SIZE;
	ring = mmap(NULL, k->tx_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    k->tx_fd, 0);
	if (ring == MAP_FAILED)
		return fail_errno(err, k->ifname, "mmap of the transmit ring");
	k->tx_ring = ring;
	k->tx_slot_max = TX_SLOT_SIZE - TX_DATA_OFF;
	set_sndbuf(k->tx_fd);
	set_sndbuf(k->big_fd);
	/* Protocol 0: they receive nothing. */
	return packet_bind(k->tx_fd, k->ifindex, 0, k->ifname, err) &&
	       packet_bind(k->big_fd, k->ifindex, 0, k->ifname, err);
}

/* The interface exists and is Ethernet (frames begin with a MAC header). */
static bool check_ether(struct pkt_port *k, GError **err)
{
	struct ifreq ifr = { 0 };
	int ctl = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (ctl < 0)
		return fail_errno(err, k->ifname, "socket");
	g_strlcpy(ifr.ifr_name, k->ifname, sizeof(ifr.ifr_name));
	ok = ioctl(ctl, SIOCGIFINDEX, &ifr) == 0;
	if (!ok) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "NIC '%s': no such interface", k->ifname);
	} else {
		k->ifindex = ifr.ifr_ifindex;
		if (ioctl(ctl, SIOCGIFHWADDR, &ifr) < 0) {
			ok = fail_errno(err, k->ifname, "its hardware address");
		} else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
				    "NIC '%s' is not an Ethernet interface (type %u)",
				    k->ifname, ifr.ifr_hwaddr.sa_family);
			ok = false;
		}
	}
	close(ctl);
	return ok;
}

struct vsw_port *vswd_packet_port_new(const char *ifname, GError **err)
{
	struct pkt_port *k;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "'%s' is not an interface name", ifname ? ifname : "");
		return NULL;
	}
	k = g_malloc0(sizeof(*k));
	k->port.ops = &pkt_ops;
	k->port.wait_fd = -1;
	k->port.dp_slot = -1;
	k->tx_fd = -1;
	k->big_fd = -1;
	g_strlcpy(k->ifname, ifname, sizeof(k->ifname));
	g_strlcpy(k->port.name, ifname, sizeof(k->port.name));
	/* Transmit first: the receive ring fills from bind() on. */
	if (!check_ether(k, err) || !tx_open(k, err) || !rx_open(k, err)) {
		pkt_destroy(&k->port);
		return NULL;
	}
	return &k->port;
}

int vswd_packet_port_ifindex(struct vsw_port *p)
{
	return pkt_of(p)->ifindex;
}

bool vswd_packet_port_gone(struct vsw_port *p)
{
	return pkt_is_gone(pkt_of(p));
}
