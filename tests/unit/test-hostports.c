// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-hostports.c - the host adapter (port-tap.c) and NIC (port-packet.c)
 * ports, with the real data path, on real devices.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Needs root (exit 77, skipped, otherwise).  The test moves itself into a
 * network namespace of its own and makes a second one for the "LAN":
 *
 *   this namespace                          | peer namespace
 *   TAP vswt0 (10.77.0.1) = tap port        |
 *        switch (data path, no thread)      |
 *   veth vA = packet port (the NIC)  <------+-----> veth vB (10.77.0.2)
 *
 * Frames are injected and captured with AF_PACKET sockets on vB (the wire)
 * and on vswt0 (the host's side of the TAP).  What the ports hand the
 * switch is seen directly: the test is linked with
 * -Wl,--wrap=vsw_dp_input, so every frame a port passes to the data path
 * goes through __wrap_vsw_dp_input() below first (the VLAN tag as the
 * packet port rebuilt it, priority bits included, and the virtio-net
 * header).  TCP and UDP between the two namespaces then check that 64 KiB
 * TSO and USO frames cross both ports whole, untagged and on a VLAN (for
 * that round the peer namespace gets a switch of its own, NIC port on vB
 * and TAP vswt1: the kernel this was written on has no 802.1Q devices).
 * Every wait is bounded in rounds and in time.
 *
 * `test-hostports -m perf` also measures the packet port's receive and
 * transmit rates for 64-byte frames, and the wire-to-host latency.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <glib.h>

#include "datapath.h"
#include "port-host.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

#define TAP_NAME	"vswt0"
#define TEST_TYPE	0x88b5		/* IEEE local experimental ethertype */

static const uint8_t HOST_MAC[6] = { 0x02, 0x00, 0x00, 0x77, 0x00, 0x01 };
static const uint8_t PEER_MAC[6] = { 0x02, 0x00, 0x00, 0x77, 0x00, 0x02 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int main_ns = -1, peer_ns = -1;

/* The switch under test. */
static struct vsw_dp *dp;
static struct vsw_dp_switch *sw;
static struct vsw_port *nic, *tap;
static int wire = -1;			/* AF_PACKET on vB (peer namespace) */
static int host = -1;			/* AF_PACKET on vswt0 */

/* ------------------------------------------------------------------ */
/* What the ports hand the data path                                   */

unsigned __real_vsw_dp_input(struct vsw_dp *d, struct vsw_port *in,
			     const struct vsw_frame_in *f);
unsigned __wrap_vsw_dp_input(struct vsw_dp *d, struct vsw_port *in,
			     const struct vsw_frame_in *f);

static struct {
	const char *marker;		/* capture frames holding it */
	unsigned n;
	struct vsw_port *from;
	uint8_t frame[256];
	uint32_t len;
	struct vsw_vnet_hdr vnet;
	/* Every frame from a port of ours: [0] packet ports, [1] TAP ports. */
	uint64_t gso[2], csum[2], tagged_gso;
	uint32_t largest[2];
} cap;

unsigned __wrap_vsw_dp_input(struct vsw_dp *d, struct vsw_port *in,
			     const struct vsw_frame_in *f)
{
	int i = !strcmp(in->ops->kind, "host");

	if (!strcmp(in->ops->kind, "nic") || i) {
		if (f->vnet.gso_type != VSW_VNET_GSO_NONE) {
			cap.gso[i]++;
			if (f->len > 16 && f->data[12] == 0x81 && f->data[13] == 0x00)
				cap.tagged_gso++;
		}
		if (f->vnet.flags & VSW_VNET_F_NEEDS_CSUM)
			cap.csum[i]++;
		if (f->len > cap.largest[i])
			cap.largest[i] = f->len;
	}
	if (cap.marker && f->len <= sizeof(cap.frame) &&
	    memmem(f->data, f->len, cap.marker, strlen(cap.marker))) {
		if (!cap.n++) {
			cap.from = in;
			memcpy(cap.frame, f->data, f->len);
			cap.len = f->len;
			cap.vnet = f->vnet;
		}
	}
	return __real_vsw_dp_input(d, in, f);
}

static void capture(const char *marker)
{
	cap.marker = marker;
	cap.n = 0;
	cap.from = NULL;
	cap.len = 0;
}

/* ------------------------------------------------------------------ */
/* Namespaces, commands, sockets                                       */

static int64_t now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

static void enter(int ns)
{
	if (setns(ns, CLONE_NEWNET) < 0)
		g_error("setns: %s", g_strerror(errno));
}

static void child_in_peer(gpointer data)
{
	if (setns(GPOINTER_TO_INT(data), CLONE_NEWNET) < 0)
		_exit(127);
}

/* Run `ip ARGS` (or another command) in the peer namespace or ours; Return: its output. */
static char *run_out(bool in_peer, const char *cmd)
{
	g_auto(GStrv) argv = NULL;
	g_autofree char *errs = NULL;
	char *out = NULL;
	GError *err = NULL;
	int status;

	g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH,
			  in_peer ? child_in_peer : NULL, GINT_TO_POINTER(peer_ns),
			  &out, &errs, &status, &err))
		g_error("%s: %s", cmd, err->message);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("%s: %s", cmd, errs);
	return out;
}

static void run(bool in_peer, const char *cmd)
{
	g_free(run_out(in_peer, cmd));
}

/*
 * How many hold @ifname promiscuous (this namespace): PACKET_MR_PROMISC
 * counts there, not in the IFF_PROMISC flag SIOCGIFFLAGS shows.
 */
static int promiscuity(const char *ifname)
{
	g_autofree char *cmd = g_strdup_printf("ip -d link show dev %s", ifname);
	g_autofree char *out = run_out(false, cmd);
	const char *p = strstr(out, "promiscuity ");

	g_assert_nonnull(p);
	return atoi(p + strlen("promiscuity "));
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			g_message("%s: %s", path, g_strerror(errno));
		close(fd);
	}
}

/* No IPv6 chatter (router solicitations, DAD) on the devices to come. */
static void quiet_ns(void)
{
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
}

/* The interface flags of @ifname (current namespace). */
static unsigned if_flags(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	g_assert_cmpint(ioctl(fd, SIOCGIFFLAGS, &ifr), ==, 0);
	close(fd);
	return (unsigned short)ifr.ifr_flags;
}

/* An AF_PACKET socket on @ifname of the current namespace, with aux data. */
static int raw_open(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
				 htons(ETH_P_ALL));

	g_assert_cmpint(fd, >=, 0);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	g_assert_cmpint(sll.sll_ifindex, >, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
	g_assert_cmpint(setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)), ==, 0);
	return fd;
}

/* An Ethernet frame: dst, src, [tpid tci], TEST_TYPE, marker, zero padding. */
static size_t frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t tpid,
		    uint16_t tci, const char *marker)
{
	size_t off = 12, len;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (tpid) {
		f[off++] = (uint8_t)(tpid >> 8);
		f[off++] = (uint8_t)tpid;
		f[off++] = (uint8_t)(tci >> 8);
		f[off++] = (uint8_t)tci;
	}
	f[off++] = TEST_TYPE >> 8;
	f[off++] = TEST_TYPE & 0xff;
	len = off + 46;
	memset(f + off, 0, 46);
	memcpy(f + off, marker, strlen(marker));
	return len;
}

static void raw_send(int fd, const uint8_t *f, size_t len)
{
	g_assert_cmpint(send(fd, f, len, 0), ==, (ssize_t)len);
}

/*
 * One frame from @fd holding @marker, as it was on the wire (the tag the
 * kernel stripped put back from the aux data).  Return: its length, 0 if
 * none is queued.
 */
static size_t raw_recv(int fd, const char *marker, uint8_t *buf, size_t size)
{
	for (int i = 0; i < 256; i++) {
		uint8_t data[2048];
		union {
			struct cmsghdr c;
			char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} cb;
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = &cb, .msg_controllen = sizeof(cb) };
		struct sockaddr_ll from;
		ssize_t n;
		size_t len;

		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n < 0)
			return 0;
		if (from.sll_pkttype == PACKET_OUTGOING ||
		    !memmem(data, (size_t)n, marker, strlen(marker)))
			continue;
		len = (size_t)n;
		memcpy(buf, data, 12);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			const struct tpacket_auxdata *a = (const void *)CMSG_DATA(c);

			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
			    !(a->tp_status & TP_STATUS_VLAN_VALID))
				continue;
			uint16_t tpid = (a->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
					a->tp_vlan_tpid : ETH_P_8021Q;
			buf[12] = (uint8_t)(tpid >> 8);
			buf[13] = (uint8_t)tpid;
			buf[14] = (uint8_t)(a->tp_vlan_tci >> 8);
			buf[15] = (uint8_t)a->tp_vlan_tci;
			memcpy(buf + 16, data + 12, (size_t)n - 12);
			return len + 4;
		}
		g_assert_cmpuint(len, <=, size);
		memcpy(buf, data, len);
		return len;
	}
	return 0;
}

/*
 * Run the data path until @fd receives a frame with @marker; at most
 * @ms milliseconds.  Return: its length, 0 if it never came.
 */
static size_t pump_until(int fd, const char *marker, uint8_t *buf, size_t size, int ms)
{
	int64_t end = now_ms() + ms;

	for (int i = 0; i < 100000 && now_ms() < end; i++) {
		size_t n;

		vsw_dp_round(dp);
		n = raw_recv(fd, marker, buf, size);
		if (n)
			return n;
		g_usleep(200);
	}
	return 0;
}

/* Run the data path for @ms milliseconds. */
static void pump(int ms)
{
	int64_t end = now_ms() + ms;

	for (int i = 0; i < 100000 && now_ms() < end; i++) {
		vsw_dp_round(dp);
		g_usleep(200);
	}
}

static void set_fwd(struct vsw_port *p, uint8_t mode, uint16_t vlan)
{
	struct vsw_fwd_port f = { .mode = mode, .vlan = vlan };

	vsw_dp_port_set_fwd(dp, p, &f);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static void setup_devices(void)
{
	g_autofree char *cmd = NULL;

	quiet_ns();
	run(false, "ip link set lo up");
	/* The peer namespace, held by an fd. */
	g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
	peer_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(peer_ns, >=, 0);
	quiet_ns();
	enter(main_ns);
	cmd = g_strdup_printf("ip link add vA type veth peer name vB netns /proc/%d/fd/%d",
			      (int)getpid(), peer_ns);
	run(false, cmd);
	run(false, "ip link set vA up");
	run(true, "ip link set lo up");
	run(true, "ip link set vB address 02:00:00:77:00:02");
	run(true, "ip addr add 10.77.0.2/24 dev vB");
	run(true, "ip link set vB up");
}

/* The switch: the NIC a trunk, the TAP an access port of VLAN 0. */
static void setup_switch(void)
{
	struct vsw_dp_opts o = { .no_thread = true };
	GError *err = NULL;
	int size = 8 << 20;

	if (dp)
		return;
	dp = vsw_dp_new(&o, &err);
	g_assert_no_error(err);
	sw = vsw_dp_switch_new(dp, 256, 300000, &err);
	g_assert_no_error(err);
	nic = vswd_packet_port_new("vA", &err);
	g_assert_no_error(err);
	nic->fwd.mode = VSW_MODE_TRUNK;
	g_assert_cmpint(vsw_dp_port_add(dp, sw, nic), ==, 0);
	tap = vswd_tap_port_new(TAP_NAME, HOST_MAC, 1500, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(vswd_tap_port_ifname(tap), ==, TAP_NAME);
	g_assert_cmpint(vswd_tap_port_ifindex(tap), ==, (int)if_nametoindex(TAP_NAME));
	g_assert_cmpint(vswd_packet_port_ifindex(nic), ==, (int)if_nametoindex("vA"));
	g_assert_cmpint(vsw_dp_port_add(dp, sw, tap), ==, 0);
	g_test_message("offloads: nic 0x%x, tap 0x%x", nic->offloads, tap->offloads);
	g_assert_true(tap->offloads & VSW_OFFLOAD_TSO4);
	g_assert_true(nic->offloads & VSW_OFFLOAD_TSO4);
	g_assert_cmpint(promiscuity("vA"), ==, 1);
	g_assert_true(if_flags(TAP_NAME) & IFF_UP);
	run(false, "ip addr add 10.77.0.1/24 dev " TAP_NAME);
	enter(peer_ns);
	wire = raw_open("vB");
	enter(main_ns);
	host = raw_open(TAP_NAME);
	g_assert_cmpint(setsockopt(host, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_create_errors(void)
{
	GError *err = NULL;

	setup_switch();

	g_assert_null(vswd_tap_port_new("vA", NULL, 0, &err));	/* a veth */
	g_assert_nonnull(err);
	g_test_message("%s", err->message);
	g_assert_nonnull(strstr(err->message, "'vA'"));
	g_assert_nonnull(strstr(err->message, "not a TAP device"));
	g_clear_error(&err);
	g_assert_null(vswd_tap_port_new(TAP_NAME, NULL, 0, &err));	/* ours */
	g_assert_nonnull(err);
	g_test_message("%s", err->message);
	g_assert_nonnull(strstr(err->message, "'" TAP_NAME "'"));
	g_assert_nonnull(strstr(err->message, "exists already"));
	g_clear_error(&err);
	g_assert_null(vswd_tap_port_new("a-name-much-too-long", NULL, 0, &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error(&err);
	g_assert_null(vswd_packet_port_new("vNone", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(err->message, "'vNone'"));
	g_clear_error(&err);
	g_assert_null(vswd_packet_port_new("lo", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
	g_clear_error(&err);

	/* A kernel-numbered TAP, gone with its port. */
	struct vsw_port *p = vswd_tap_port_new("vswn%d", NULL, 0, &err);
	char name[IFNAMSIZ];

	g_assert_no_error(err);
	g_assert_true(g_str_has_prefix(vswd_tap_port_ifname(p), "vswn"));
	g_assert_cmpstr(vswd_tap_port_ifname(p), !=, "vswn%d");
	g_strlcpy(name, vswd_tap_port_ifname(p), sizeof(name));
	g_assert_cmpuint(if_nametoindex(name), !=, 0);
	p->ops->destroy(p);
	g_assert_cmpuint(if_nametoindex(name), ==, 0);

	/* Promiscuous for as long as a packet port holds the interface. */
	g_assert_cmpint(promiscuity(TAP_NAME), ==, 0);
	p = vswd_packet_port_new(TAP_NAME, &err);
	g_assert_no_error(err);
	g_assert_cmpint(promiscuity(TAP_NAME), ==, 1);
	p->ops->destroy(p);
	g_assert_cmpint(promiscuity(TAP_NAME), ==, 0);
}

/* The wire -> the NIC port -> the switch -> the TAP -> the host's stack. */
static void test_wire_to_host(void)
{
	uint8_t f[128], got[2048];
	size_t len = frame(f, BCAST, PEER_MAC, 0, 0, "vswtest-plain"), n;

	setup_switch();

	capture("vswtest-plain");
	raw_send(wire, f, len);
	n = pump_until(host, "vswtest-plain", got, sizeof(got), 3000);
	g_assert_cmpuint(n, ==, len);
	g_assert_cmpmem(got, n, f, len);
	g_assert_cmpuint(cap.n, ==, 1);
	g_assert_true(cap.from == nic);
	g_assert_cmpmem(cap.frame, cap.len, f, len);
}

/* A tag comes back in place, priority bits included; a trunk TAP gets the VLAN. */
static void test_vlan_tag(void)
{
	uint8_t f[128], got[2048];
	size_t len = frame(f, BCAST, PEER_MAC, ETH_P_8021Q, 0xa00a, "vswtest-vlan"), n;

	setup_switch();

	set_fwd(tap, VSW_MODE_TRUNK, 0);
	capture("vswtest-vlan");
	raw_send(wire, f, len);
	n = pump_until(host, "vswtest-vlan", got, sizeof(got), 3000);
	/* What the NIC port gave the switch: the frame as it was on the wire. */
	g_assert_cmpuint(cap.n, ==, 1);
	g_assert_true(cap.from == nic);
	g_assert_cmpmem(cap.frame, cap.len, f, len);
	/* Through the switch to a trunk: VLAN 10, tagged. */
	g_assert_cmpuint(n, ==, len);
	g_assert_cmphex(got[12] << 8 | got[13], ==, ETH_P_8021Q);
	g_assert_cmphex((got[14] << 8 | got[15]) & 0xfff, ==, 10);
	g_assert_cmpmem(got + 16, n - 16, f + 16, len - 16);
	if (((got[14] << 8 | got[15]) >> 13) != 5)
		g_test_message("note: the switch did not keep the priority bits (PCP %d)",
			       (got[14] << 8 | got[15]) >> 13);
	set_fwd(tap, VSW_MODE_ACCESS, 0);
}

/* 802.1ad frames reach the switch as such, and it drops them. */
static void test_qinq(void)
{
	uint8_t f[128], got[2048];
	size_t len = frame(f, BCAST, PEER_MAC, ETH_P_8021AD, 0x2014, "vswtest-qinq");
	uint64_t drops;

	setup_switch();
	drops = vsw_ctr_read(&nic->ctr.drops[VSW_DROP_VLAN]);

	set_fwd(tap, VSW_MODE_TRUNK, 0);
	capture("vswtest-qinq");
	raw_send(wire, f, len);
	g_assert_cmpuint(pump_until(host, "vswtest-qinq", got, sizeof(got), 300), ==, 0);
	g_assert_cmpuint(cap.n, ==, 1);
	g_assert_true(cap.from == nic);
	g_assert_cmpmem(cap.frame, cap.len, f, len);
	g_assert_cmpuint(vsw_ctr_read(&nic->ctr.drops[VSW_DROP_VLAN]), ==, drops + 1);
	set_fwd(tap, VSW_MODE_ACCESS, 0);
}

/* The host -> the TAP -> the NIC -> the wire, and not back into the switch. */
static void test_host_to_wire(void)
{
	uint8_t f[128], got[2048];
	size_t len = frame(f, BCAST, HOST_MAC, 0, 0, "vswtest-out"), n;

	setup_switch();

	capture("vswtest-out");
	raw_send(host, f, len);
	n = pump_until(wire, "vswtest-out", got, sizeof(got), 3000);
	g_assert_cmpuint(n, ==, len);
	g_assert_cmpmem(got, n, f, len);
	pump(50);		/* the NIC's ring hands a block over after 1 ms */
	g_assert_cmpuint(cap.n, ==, 1);
	g_assert_true(cap.from == tap);
	/* Not by luck: the NIC port's receive socket ignores outgoing frames. */
	{
		int v = 0;
		socklen_t l = sizeof(v);

		g_assert_cmpint(getsockopt(nic->wait_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING,
					   &v, &l), ==, 0);
		g_assert_cmpint(v, ==, 1);
	}
}

/*
 * Send frames @first.. @first + @n - 1 on the wire; with @rounds, the
 * data path runs every 2 ms meanwhile (a slow run, valgrind, would
 * otherwise fill the ring's 32 blocks, each handed over after 1 ms).
 */
static void burst_send(int first, int n, bool rounds)
{
	int64_t last = now_ms();

	for (int i = first; i < first + n; i++) {
		uint8_t f[128];
		char m[32];
		size_t len;

		g_snprintf(m, sizeof(m), "vswtest-burst-%d.", i);
		len = frame(f, BCAST, PEER_MAC, 0, 0, m);
		g_assert_cmpint(send(wire, f, len, 0), ==, (ssize_t)len);
		if (rounds && now_ms() - last >= 2) {
			vsw_dp_round(dp);
			last = now_ms();
		}
	}
}

/* Frames @first.. @first + @n - 1 reach the host, each once, in order. */
static void burst_check_host(int first, int n)
{
	int seen = 0;

	for (int i = 0; i < 50000 && seen < n; i++) {
		uint8_t got[2048];
		char m[32];

		g_snprintf(m, sizeof(m), "vswtest-burst-%d.", first + seen);
		if (raw_recv(host, m, got, sizeof(got))) {
			seen++;
			continue;
		}
		vsw_dp_round(dp);
		g_usleep(100);
	}
	g_assert_cmpint(seen, ==, n);
	g_assert_cmpuint(raw_recv(host, "vswtest-burst-", (uint8_t[2048]){ 0 }, 2048), ==, 0);
}

/* Many small frames; nothing lost, doubled or reordered; none of ours back. */
static void test_burst(void)
{
	enum { N = 3000, M = 400 };
	uint64_t rx0, tx0;
	int64_t end;
	int calls = 0, rc;

	setup_switch();
	rx0 = vsw_ctr_read(&nic->ctr.rx_packets);
	tx0 = vsw_ctr_read(&nic->ctr.tx_packets);
	burst_send(0, N, true);
	end = now_ms() + 5000;
	while (vsw_ctr_read(&nic->ctr.rx_packets) - rx0 < N && now_ms() < end) {
		vsw_dp_round(dp);
		g_usleep(200);
	}
	g_assert_cmpuint(vsw_ctr_read(&nic->ctr.rx_packets) - rx0, ==, N);
	g_assert_cmpuint(vsw_ctr_read(&nic->ctr.tx_packets), ==, tx0);
	burst_check_host(0, N);

	/*
	 * A block read a few frames at a time: each costs 2 (in, and one
	 * copy to the TAP), so a budget of 7 takes 4, and the next call goes
	 * on with the frame after.
	 */
	rx0 = vsw_ctr_read(&nic->ctr.rx_packets);
	burst_send(N, M, false);
	g_usleep(20000);		/* handed over: full, or 1 ms after */
	for (; calls < 1000 && (rc = nic->ops->rx(nic, dp, 7)) > 0; calls++) {
		g_assert_cmpint(rc, ==, 8);
		g_assert_cmpuint(vsw_ctr_read(&nic->ctr.rx_packets) - rx0, ==, 4u * (calls + 1));
	}
	g_assert_cmpint(calls, ==, M / 4);
	vsw_dp_round(dp);
	g_assert_cmpuint(vsw_ctr_read(&nic->ctr.rx_packets) - rx0, ==, M);
	burst_check_host(N, M);
}

/* ---- TCP and UDP through both ports ---- */

static int tcp_socket(int ns)
{
	int fd;

	enter(ns);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	enter(main_ns);
	g_assert_cmpint(fd, >=, 0);
	return fd;
}

static uint8_t pattern(size_t i, unsigned seed)
{
	return (uint8_t)(i * 131 + seed);
}

struct stream {
	int fd;
	size_t sent, got;
	unsigned seed_out, seed_in;
	bool bad;
};

/* Send and receive what the socket takes now. */
static void stream_step(struct stream *s, size_t total)
{
	uint8_t buf[65536];

	if (s->sent < total) {
		size_t n = MIN(sizeof(buf), total - s->sent);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(s->sent + i, s->seed_out);
		w = send(s->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			s->sent += (size_t)w;
	}
	for (int k = 0; k < 4; k++) {
		ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern(s->got + (size_t)i, s->seed_in))
				s->bad = true;
		s->got += (size_t)r;
	}
}

/* @total bytes each way between the host (10.77.0.1) and the peer. */
static void tcp_both_ways(size_t total, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, lfd = tcp_socket(main_ns);
	struct stream h = { .seed_out = 1, .seed_in = 2 }, p = { .seed_out = 2, .seed_in = 1 };
	int64_t t0 = now_ms(), end = t0 + 30000;

	inet_pton(AF_INET, "10.77.0.1", &a.sin_addr);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	g_assert_cmpint(bind(lfd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(listen(lfd, 1), ==, 0);
	p.fd = tcp_socket(peer_ns);
	g_assert_true(connect(p.fd, (struct sockaddr *)&a, sizeof(a)) == 0 ||
		      errno == EINPROGRESS);
	h.fd = -1;
	for (int i = 0; i < 1000000 && now_ms() < end; i++) {
		vsw_dp_round(dp);
		if (h.fd < 0) {
			h.fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (h.fd < 0) {
				g_usleep(200);
				continue;
			}
		}
		stream_step(&h, total);
		stream_step(&p, total);
		if (h.got == total && p.got == total)
			break;
	}
	g_test_message("TCP %zu bytes each way in %" G_GINT64_FORMAT " ms", total,
		       now_ms() - t0);
	g_assert_cmpint(h.fd, >=, 0);
	g_assert_false(h.bad);
	g_assert_false(p.bad);
	g_assert_cmpuint(h.got, ==, total);
	g_assert_cmpuint(p.got, ==, total);
	close(h.fd);
	close(p.fd);
	close(lfd);
}

/* @n datagrams of @size bytes in one UDP GSO send from the host; Return: received. */
static unsigned udp_gso(unsigned n, int size, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int rfd, sfd, seg = size;
	uint8_t buf[65536];
	unsigned got = 0;
	int64_t end;

	inet_pton(AF_INET, "10.77.0.2", &a.sin_addr);
	enter(peer_ns);
	rfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	enter(main_ns);
	g_assert_cmpint(bind(rfd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(setsockopt(sfd, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)), ==, 0);
	for (unsigned i = 0; i < n * (unsigned)size; i++)
		buf[i] = pattern(i, 3);
	g_assert_cmpint(sendto(sfd, buf, n * (unsigned)size, 0, (struct sockaddr *)&a,
			       sizeof(a)), ==, (ssize_t)(n * (unsigned)size));
	end = now_ms() + 3000;
	for (int i = 0; i < 100000 && got < n && now_ms() < end; i++) {
		uint8_t d[2048];
		ssize_t r;

		vsw_dp_round(dp);
		while ((r = recv(rfd, d, sizeof(d), MSG_DONTWAIT)) > 0) {
			g_assert_cmpint(r, ==, size);
			g_assert_cmpmem(d, (size_t)r, buf + (size_t)got * (size_t)size, (size_t)size);
			got++;
		}
		g_usleep(200);
	}
	close(rfd);
	close(sfd);
	return got;
}

static void gso_round(const char *what, uint16_t port)
{
	uint64_t gso_nic = cap.gso[0], gso_tap = cap.gso[1], tagged = cap.tagged_gso;

	cap.largest[0] = cap.largest[1] = 0;
	tcp_both_ways(8u << 20, port);
	g_test_message("%s: GSO frames from NIC ports %" G_GUINT64_FORMAT
		       " (%" G_GUINT64_FORMAT " tagged), from TAP ports %" G_GUINT64_FORMAT
		       "; largest %u / %u bytes; partial checksums so far %" G_GUINT64_FORMAT
		       " / %" G_GUINT64_FORMAT, what, cap.gso[0] - gso_nic,
		       cap.tagged_gso - tagged, cap.gso[1] - gso_tap, cap.largest[0],
		       cap.largest[1], cap.csum[0], cap.csum[1]);
	g_assert_cmpuint(cap.gso[0] - gso_nic, >, 0);
	g_assert_cmpuint(cap.gso[1] - gso_tap, >, 0);
	g_assert_cmpuint(udp_gso(8, 1000, (uint16_t)(port + 1)), ==, 8);
}

/*
 * This kernel has no 802.1Q devices (CONFIG_VLAN_8021Q off), so the peer
 * gets a switch of its own for the VLAN round, like the host's: the wire
 * between the two NIC ports then carries VLAN 10, tagged GSO frames both
 * ways, and each NIC port puts back the tag its receive path stripped.
 */
static void test_tcp_udp(void)
{
	struct vsw_dp_switch *sw2;
	struct vsw_port *nic2, *tap2;
	GError *err = NULL;
	uint64_t drops = 0, tagged;

	setup_switch();
	gso_round("untagged", 5001);

	enter(peer_ns);
	sw2 = vsw_dp_switch_new(dp, 256, 300000, &err);
	g_assert_no_error(err);
	nic2 = vswd_packet_port_new("vB", &err);
	g_assert_no_error(err);
	tap2 = vswd_tap_port_new("vswt1", PEER_MAC, 0, &err);
	g_assert_no_error(err);
	enter(main_ns);
	nic2->fwd.mode = VSW_MODE_TRUNK;
	tap2->fwd.vlan = 10;
	g_assert_cmpint(vsw_dp_port_add(dp, sw2, nic2), ==, 0);
	g_assert_cmpint(vsw_dp_port_add(dp, sw2, tap2), ==, 0);
	set_fwd(tap, VSW_MODE_ACCESS, 10);
	run(true, "ip addr del 10.77.0.2/24 dev vB");
	run(true, "ip link set vB address 02:00:00:77:00:12");
	run(true, "ip addr add 10.77.0.2/24 dev vswt1");
	run(false, "ip neigh flush dev " TAP_NAME);
	tagged = cap.tagged_gso;
	gso_round("VLAN 10", 5011);
	g_assert_cmpuint(cap.tagged_gso, >, tagged);

	for (int i = 0; i < VSW_DROP_MAX; i++)
		drops += vsw_ctr_read(&tap->ctr.drops[i]) + vsw_ctr_read(&nic->ctr.drops[i]) +
			 vsw_ctr_read(&tap2->ctr.drops[i]) + vsw_ctr_read(&nic2->ctr.drops[i]);
	g_test_message("drops on the four ports: %" G_GUINT64_FORMAT, drops);
	vsw_dp_port_del(dp, nic2);
	vsw_dp_port_del(dp, tap2);
	nic2->ops->destroy(nic2);
	tap2->ops->destroy(tap2);		/* vswt1 and its address go */
	vsw_dp_switch_free(dp, sw2);
	run(true, "ip link set vB address 02:00:00:77:00:02");
	run(true, "ip addr add 10.77.0.2/24 dev vB");
	set_fwd(tap, VSW_MODE_ACCESS, 0);
}

/* Devices deleted under the ports: they go quiet, say so, and never spin. */
static void test_gone(void)
{
	struct vsw_xmit x = { 0 };
	uint8_t f[64];

	setup_switch();

	frame(f, BCAST, HOST_MAC, 0, 0, "vswtest-gone");
	x.head = f;
	x.head_len = 64;
	g_assert_false(vswd_packet_port_gone(nic));
	g_assert_false(vswd_tap_port_gone(tap));
	run(false, "ip link set vA down");
	pump(20);
	g_assert_true(nic->ops->drain(nic));		/* down is not gone */
	g_assert_false(vswd_packet_port_gone(nic));
	run(false, "ip link set vA up");
	/* ... and the kernel delivers again once it is up. */
	{
		uint8_t g[128], got[2048];
		size_t len = frame(g, BCAST, PEER_MAC, 0, 0, "vswtest-up-again");
		int64_t end = now_ms() + 3000;
		size_t n = 0;

		/* The peer's carrier comes back a moment after vA is up. */
		for (int i = 0; i < 30 && !n && now_ms() < end; i++) {
			raw_send(wire, g, len);
			n = pump_until(host, "vswtest-up-again", got, sizeof(got), 100);
		}
		g_assert_cmpuint(n, ==, len);
	}
	run(false, "ip link del vA");
	g_assert_true(nic->ops->tx(nic, &x) == 0 || vswd_packet_port_gone(nic));
	nic->ops->flush(nic);
	g_assert_false(nic->ops->drain(nic));
	g_assert_true(vswd_packet_port_gone(nic));
	g_assert_false(nic->ops->arm(nic));
	g_assert_cmpint(nic->ops->rx(nic, dp, 512), ==, 0);
	g_assert_cmpint(nic->ops->tx(nic, &x), ==, -ENOBUFS);

	run(false, "ip link del " TAP_NAME);
	g_assert_false(tap->ops->drain(tap));
	g_assert_true(vswd_tap_port_gone(tap));
	g_assert_cmpint(tap->ops->rx(tap, dp, 512), ==, 0);
	g_assert_cmpint(tap->ops->tx(tap, &x), ==, -ENOBUFS);
	for (int i = 0; i < 100; i++)
		g_assert_cmpuint(vsw_dp_round(dp), ==, 0);
}

static void teardown(void)
{
	if (!dp)
		return;
	vsw_dp_port_del(dp, nic);
	vsw_dp_port_del(dp, tap);
	nic->ops->destroy(nic);
	tap->ops->destroy(tap);
	vsw_dp_switch_free(dp, sw);
	vsw_dp_free(dp);
	dp = NULL;
	close(wire);
	close(host);
}

/* ---- Receive rate (-m perf) ---- */

/* A child in the peer namespace: 64-byte frames on vB as fast as it can. */
static pid_t blaster(int secs)
{
	pid_t pid = fork();

	g_assert_cmpint(pid, >=, 0);
	if (pid)
		return pid;
	enter(peer_ns);
	{
		struct sockaddr_ll sll = { .sll_family = AF_PACKET };
		int fd = socket(AF_PACKET, SOCK_RAW, 0);
		struct mmsghdr m[64];
		struct iovec iov;
		uint8_t f[64];
		time_t end = time(NULL) + secs;
		long n = 0;

		sll.sll_ifindex = (int)if_nametoindex("vB");
		if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			_exit(1);
		frame(f, BCAST, PEER_MAC, 0, 0, "vswtest-rate");
		f[63] = 0;
		iov.iov_base = f;
		iov.iov_len = 60;
		memset(m, 0, sizeof(m));
		for (int i = 0; i < 64; i++) {
			m[i].msg_hdr.msg_iov = &iov;
			m[i].msg_hdr.msg_iovlen = 1;
		}
		while (time(NULL) < end) {
			int r = sendmmsg(fd, m, 64, 0);

			if (r > 0)
				n += r;
		}
		printf("# sender: %ld frames in %d s\n", n, secs);
		fflush(stdout);
		_exit(0);
	}
}

static long rss_kib(void)
{
	g_autofree char *status = NULL;
	const char *l;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL) ||
	    !(l = strstr(status, "VmRSS:")))
		return -1;
	return strtol(l + 6, NULL, 10);
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * The sender and its veth (whose receive path, tpacket_rcv() included,
 * runs in the sender's context) take one of this machine's two CPUs, the
 * data path the other: the rate is whichever is slower.  The data path's
 * CPU time per frame says what it could take alone.
 */
static void test_rx_rate(void)
{
	struct vsw_dp_opts o = { .no_thread = true };
	struct vsw_dp *d;
	struct vsw_dp_switch *s;
	struct vsw_port *p;
	struct tpacket_stats_v3 st;
	socklen_t sl = sizeof(st);
	GError *err = NULL;
	const int secs = 3;
	uint64_t n, rounds = 0, sleeps = 0;
	int64_t t0, t1, warm;
	double cpu0, cpu;
	long rss;
	pid_t pid;
	int status;

	/* A switch of its own with the NIC alone: frames flood to nobody. */
	d = vsw_dp_new(&o, &err);
	g_assert_no_error(err);
	s = vsw_dp_switch_new(d, 256, 300000, &err);
	g_assert_no_error(err);
	rss = rss_kib();
	p = vswd_packet_port_new("vA", &err);
	g_assert_no_error(err);
	g_test_message("packet port: RSS +%ld KiB", rss_kib() - rss);
	p->fwd.mode = VSW_MODE_TRUNK;
	g_assert_cmpint(vsw_dp_port_add(d, s, p), ==, 0);
	pid = blaster(secs + 1);
	for (warm = now_ms() + 300; now_ms() < warm;)
		vsw_dp_round(d);
	getsockopt(p->wait_fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);	/* resets them */
	n = vsw_ctr_read(&p->ctr.rx_packets);
	t0 = g_get_monotonic_time();
	cpu0 = thread_cpu_s();
	while (g_get_monotonic_time() - t0 < secs * G_USEC_PER_SEC) {
		rounds++;
		if (!vsw_dp_round(d)) {
			/* As the data path sleeps: on the socket, until a block is handed over. */
			struct pollfd pfd = { .fd = p->wait_fd, .events = POLLIN };

			if (!p->ops->arm(p)) {
				sleeps++;
				poll(&pfd, 1, 10);
			}
		}
	}
	cpu = thread_cpu_s() - cpu0;
	t1 = g_get_monotonic_time();
	n = vsw_ctr_read(&p->ctr.rx_packets) - n;
	sl = sizeof(st);
	getsockopt(p->wait_fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);
	g_test_minimized_result((double)n * 1e6 / (double)(t1 - t0),
				"packet port RX: %.0f frames/s of 64 bytes; data path CPU "
				"%.0f ns/frame (%.0f%% busy); %" G_GUINT64_FORMAT " rounds, %"
				G_GUINT64_FORMAT " sleeps; kernel ring drops %u",
				(double)n * 1e6 / (double)(t1 - t0), cpu * 1e9 / (double)n,
				cpu * 100 * 1e6 / (double)(t1 - t0), rounds, sleeps, st.tp_drops);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	vsw_dp_port_del(d, p);
	p->ops->destroy(p);
	vsw_dp_switch_free(d, s);
	vsw_dp_free(d);
}

/* Transmit: 64-byte frames written by the port's tx, a flush every 64. */
static void test_tx_rate(void)
{
	struct vsw_port *p;
	struct vsw_xmit x = { 0 };
	GError *err = NULL;
	uint8_t f[64];
	uint64_t ok = 0, full = 0;
	int64_t t0, t1;
	double cpu0, cpu;

	p = vswd_packet_port_new("vA", &err);
	g_assert_no_error(err);
	frame(f, PEER_MAC, HOST_MAC, 0, 0, "vswtest-txrate");
	x.head = f;
	x.head_len = 60;
	t0 = g_get_monotonic_time();
	cpu0 = thread_cpu_s();
	while (g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC) {
		for (int i = 0; i < 64; i++) {
			if (p->ops->tx(p, &x) == 0)
				ok++;
			else
				full++;
		}
		p->ops->flush(p);
	}
	cpu = thread_cpu_s() - cpu0;
	t1 = g_get_monotonic_time();
	g_test_maximized_result((double)ok * 1e6 / (double)(t1 - t0),
				"packet port TX: %.0f frames/s of 64 bytes (%.0f ns/frame, the "
				"peer's receive path included); ring full %" G_GUINT64_FORMAT
				" times", (double)ok * 1e6 / (double)(t1 - t0),
				cpu * 1e9 / (double)ok, full);
	p->ops->destroy(p);
}

/* Wire to host, one frame at a time, the data path polling: the ring's hand-over delay. */
static void test_latency(void)
{
	enum { N = 50 };
	int64_t us[N];
	uint8_t f[128], got[2048];

	setup_switch();
	for (int i = 0; i < N; i++) {
		char m[32];
		size_t len;
		int64_t t0, t1;

		g_snprintf(m, sizeof(m), "vswtest-lat-%d.", i);
		len = frame(f, BCAST, PEER_MAC, 0, 0, m);
		t0 = g_get_monotonic_time();
		raw_send(wire, f, len);
		for (int k = 0; k < 1000000; k++) {
			vsw_dp_round(dp);
			if (raw_recv(host, m, got, sizeof(got)) ||
			    g_get_monotonic_time() - t0 > G_USEC_PER_SEC)
				break;
		}
		t1 = g_get_monotonic_time();
		us[i] = t1 - t0;
		g_usleep(g_random_int_range(0, 3000));
	}
	for (int i = 0; i < N; i++)		/* sort: insertion, N is small */
		for (int j = i; j > 0 && us[j] < us[j - 1]; j--) {
			int64_t t = us[j];

			us[j] = us[j - 1];
			us[j - 1] = t;
		}
	g_test_minimized_result((double)us[N / 2],
				"wire -> NIC port -> TAP -> host: median %" G_GINT64_FORMAT
				" us, 90%% %" G_GINT64_FORMAT " us, max %" G_GINT64_FORMAT " us",
				us[N / 2], us[N * 9 / 10], us[N - 1]);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (geteuid() != 0) {
		g_printerr("test-hostports: needs root (network namespaces, TAP, AF_PACKET)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		g_printerr("test-hostports: no network namespace: %s\n", g_strerror(errno));
		return 77;
	}
	main_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(main_ns, >=, 0);
	signal(SIGPIPE, SIG_IGN);
	setup_devices();
	if (g_test_perf()) {
		g_test_add_func("/hostports/perf-rx-rate", test_rx_rate);
		g_test_add_func("/hostports/perf-tx-rate", test_tx_rate);
	}
	g_test_add_func("/hostports/create-errors", test_create_errors);
	g_test_add_func("/hostports/wire-to-host", test_wire_to_host);
	g_test_add_func("/hostports/vlan-tag", test_vlan_tag);
	g_test_add_func("/hostports/qinq", test_qinq);
	g_test_add_func("/hostports/host-to-wire", test_host_to_wire);
	g_test_add_func("/hostports/burst", test_burst);
	g_test_add_func("/hostports/tcp-udp-gso", test_tcp_udp);
	if (g_test_perf())
		g_test_add_func("/hostports/perf-latency", test_latency);
	g_test_add_func("/hostports/gone", test_gone);
	g_test_add_func("/hostports/teardown", teardown);
	return g_test_run();
}
