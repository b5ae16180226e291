// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-nat-limit.c - unit tests of the NAT helper's host sockets per guest
 * (net-backend/natd/nat.h, NATD_SOCKETS_PER_GUEST; docs in
 * net-backend/docs/default-switch.md, "Inside").
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The real core (natd/nat.c) with Debian's libslirp: guest frames built by
 * hand make libslirp open real sockets, to this process's own UDP and TCP
 * sockets on 127.0.0.1 (the gateway 10.0.2.2 is the host's loopback here).
 * Nothing leaves the host's loopback; libslirp's sockets are polled only
 * where a test says so (pump()), and stay open until natd_free()
 * otherwise.  The cap is lowered to a few sockets per guest so that a test
 * opens few.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>

#include "../nat-config.h"
#include "nat.h"

#define ETH_HLEN	14
#define CAP		4

static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t mac_c[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0c };
static const uint8_t ip_a[4] = { 10, 0, 2, 15 };
static const uint8_t ip_b[4] = { 10, 0, 2, 16 };
static const uint8_t ip_gw[4] = { 10, 0, 2, 2 };
static const uint8_t ip_far[4] = { 192, 0, 2, 1 };
static const uint8_t ip_bcast[4] = { 255, 255, 255, 255 };

/* ---- byte helpers and checksums ---- */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- frames ---- */

static uint32_t eth(uint8_t *f, const uint8_t *src, uint16_t type)
{
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return ETH_HLEN;
}

/* An IPv4 datagram of @proto carrying @l4 (@l4_len bytes, checksum field at @csum_at or <0). */
static uint32_t ip4(uint8_t *f, const uint8_t *mac, const uint8_t *src, const uint8_t *dst,
		    uint8_t proto, uint8_t *l4, uint32_t l4_len, int csum_at)
{
	uint8_t *ip = f + eth(f, mac, 0x0800);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 20 + l4_len);
	put16(ip + 4, 1);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	if (csum_at >= 0) {
		uint8_t ph[12] = { 0 };
		uint32_t s = 0;

		memcpy(ph, src, 4);
		memcpy(ph + 4, dst, 4);
		ph[9] = proto;
		put16(ph + 10, l4_len);
		put16(l4 + csum_at, 0);
		if (proto != 1)		/* ICMP has no pseudo-header */
			s = sum16(ph, 12, 0);
		put16(l4 + csum_at, fold(sum16(l4, l4_len, s)));
	}
	memcpy(ip + 20, l4, l4_len);
	return ETH_HLEN + 20 + l4_len;
}

static uint32_t udp4(uint8_t *f, const uint8_t *mac, const uint8_t *src, uint16_t sport,
		     const uint8_t *dst, uint16_t dport)
{
	uint8_t u[8 + 8] = { 0 };

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, sizeof(u));
	put16(u + 8, sport);		/* payload: the source port, to tell them apart */
	memcpy(u + 10, "flow!!", 6);
	return ip4(f, mac, src, dst, 17, u, sizeof(u), 6);
}

static uint32_t tcp4(uint8_t *f, const uint8_t *mac, const uint8_t *src, uint16_t sport,
		     const uint8_t *dst, uint16_t dport, uint32_t seq, uint8_t flags)
{
	uint8_t t[20] = { 0 };

	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	return ip4(f, mac, src, dst, 6, t, sizeof(t), 16);
}

static uint32_t ping4(uint8_t *f, const uint8_t *mac, const uint8_t *src, const uint8_t *dst)
{
	uint8_t e[16] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g' };

	return ip4(f, mac, src, dst, 1, e, sizeof(e), 2);
}

static uint32_t arp(uint8_t *f, const uint8_t *mac, const uint8_t *src)
{
	uint8_t *a = f + eth(f, mac, 0x0806);

	memcpy(f, "\xff\xff\xff\xff\xff\xff", 6);
	memset(a, 0, 28);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, src, 4);
	memcpy(a + 24, ip_gw, 4);
	return ETH_HLEN + 28;
}

/* IPv6 from fec0::@host to @dst, next header @nh, @l4 with its checksum at @csum_at. */
static uint32_t ip6(uint8_t *f, const uint8_t *mac, uint8_t host, const char *dst, uint8_t nh,
		    uint8_t *l4, uint32_t l4_len, int csum_at)
{
	uint8_t *ip = f + eth(f, mac, 0x86dd), ph[40] = { 0 };

	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, l4_len);
	ip[6] = nh;
	ip[7] = 64;
	inet_pton(AF_INET6, "fec0::", ip + 8);
	ip[23] = host;
	g_assert_cmpint(inet_pton(AF_INET6, dst, ip + 24), ==, 1);
	memcpy(ph, ip + 8, 32);
	put32(ph + 32, l4_len);
	ph[39] = nh;
	put16(l4 + csum_at, 0);
	put16(l4 + csum_at, fold(sum16(l4, l4_len, sum16(ph, 40, 0))));
	memcpy(ip + 40, l4, l4_len);
	return ETH_HLEN + 40 + l4_len;
}

static uint32_t udp6(uint8_t *f, const uint8_t *mac, uint8_t host, uint16_t sport,
		     const char *dst, uint16_t dport)
{
	uint8_t u[16] = { 0 };

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, sizeof(u));
	return ip6(f, mac, host, dst, 17, u, sizeof(u), 6);
}

static uint32_t tcp6(uint8_t *f, const uint8_t *mac, uint8_t host, uint16_t sport,
		     const char *dst, uint16_t dport, uint8_t flags)
{
	uint8_t t[20] = { 0 };

	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, 1000);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	return ip6(f, mac, host, dst, 6, t, sizeof(t), 16);
}

static uint32_t ping6(uint8_t *f, const uint8_t *mac, uint8_t host, const char *dst)
{
	uint8_t e[16] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1 };

	return ip6(f, mac, host, dst, 58, e, sizeof(e), 2);
}

/* ---- the NAT and the host's end ---- */

struct fixture {
	struct natd *n;
	int udp;		/* a UDP socket on 127.0.0.1 */
	uint16_t udp_port;
	int tcp;		/* a listening TCP socket on 127.0.0.1 */
	uint16_t tcp_port;
	unsigned sent;		/* frames libslirp sent to the guests */
	GString *log;
	uint8_t f[2048];
};

static uint8_t *nat_reserve(void *opaque, size_t len, int *err)
{
	static uint8_t room[VSW_FRAME_MAX];

	return room;
}

static void nat_commit(void *opaque, const struct vsw_vnet_hdr *vnet, size_t len)
{
	struct fixture *fx = opaque;

	fx->sent++;
}

static void nat_log(void *opaque, const char *msg)
{
	struct fixture *fx = opaque;

	g_string_append_printf(fx->log, "%s\n", msg);
}

static const struct natd_ops ops = {
	.reserve = nat_reserve, .commit = nat_commit, .log = nat_log,
};

static int bound(int type, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	g_assert_cmpint(s, >=, 0);
	g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	if (type == SOCK_STREAM)
		g_assert_cmpint(listen(s, 64), ==, 0);
	g_assert_cmpint(getsockname(s, (struct sockaddr *)&a, &alen), ==, 0);
	*port = ntohs(a.sin_port);
	return s;
}

static void setup(struct fixture *fx, gconstpointer data)
{
	SlirpConfig c = test_nat_config(true);	/* 10.0.2.2 is our 127.0.0.1 */

	if (data) {
		/* An address no socket can be bound to: every bind fails. */
		static struct sockaddr_in nowhere = { .sin_family = AF_INET };

		inet_pton(AF_INET, "192.0.2.99", &nowhere.sin_addr);
		c.outbound_addr = &nowhere;
	}
	fx->log = g_string_new(NULL);
	fx->n = natd_new(&c, 1500, &ops, fx);
	g_assert_nonnull(fx->n);
	g_assert_cmpuint(natd_sockets_per_guest(fx->n), ==, NATD_SOCKETS_PER_GUEST);
	natd_set_sockets_per_guest(fx->n, CAP);
	g_assert_cmpuint(natd_sockets_per_guest(fx->n), ==, CAP);
	fx->udp = bound(SOCK_DGRAM, &fx->udp_port);
	fx->tcp = bound(SOCK_STREAM, &fx->tcp_port);
}

static void teardown(struct fixture *fx, gconstpointer data)
{
	natd_free(fx->n);
	close(fx->udp);
	close(fx->tcp);
	g_string_free(fx->log, TRUE);
}

static struct natd_stats stats(struct fixture *fx)
{
	struct natd_stats st;

	natd_get_stats(fx->n, &st);
	return st;
}

/* Hand frame @len of @fx->f to the NAT; Return: did it reach libslirp? */
static bool input(struct fixture *fx, uint32_t len)
{
	struct natd_stats a = stats(fx), b;

	natd_input(fx->n, fx->f, len, NULL);
	b = stats(fx);
	g_assert_cmpuint(a.to_nat_malformed, ==, b.to_nat_malformed);
	g_assert_cmpuint(a.to_nat_ignored, ==, b.to_nat_ignored);
	g_assert_cmpuint(b.to_nat + b.to_nat_over_limit, ==, a.to_nat + a.to_nat_over_limit + 1);
	return b.to_nat == a.to_nat + 1;
}

/* The source ports of the datagrams waiting on our UDP socket, as a bitmap from @base. */
static unsigned received(struct fixture *fx, uint16_t base, uint64_t *ports)
{
	uint8_t buf[64];
	unsigned n = 0;
	ssize_t len;

	*ports = 0;
	while ((len = recv(fx->udp, buf, sizeof(buf), 0)) >= 0) {
		uint16_t p = (uint16_t)(buf[0] << 8 | buf[1]);

		g_assert_cmpint(len, ==, 8);
		g_assert_cmpmem(buf + 2, 6, "flow!!", 6);
		if (p >= base && p < base + 64)
			*ports |= 1ull << (p - base);
		n++;
	}
	g_assert_cmpint(errno, ==, EAGAIN);
	return n;
}

static int add_poll(int fd, int events, void *opaque)
{
	struct pollfd p = { .fd = fd };

	if (events & SLIRP_POLL_IN)
		p.events |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		p.events |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		p.events |= POLLPRI;
	g_array_append_val(opaque, p);
	return (int)((GArray *)opaque)->len - 1;
}

static int get_revents(int idx, void *opaque)
{
	short r = g_array_index((GArray *)opaque, struct pollfd, idx).revents;

	return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

/* One turn of libslirp's poll, as the helper's main loop gives it (main.c). */
static void pump(struct fixture *fx)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct pollfd));
	uint32_t timeout = 100;
	int rc;

	slirp_pollfds_fill(natd_slirp(fx->n), &timeout, add_poll, a);
	rc = poll((struct pollfd *)(void *)a->data, a->len, 100);
	slirp_pollfds_poll(natd_slirp(fx->n), rc < 0, get_revents, a);
	g_array_free(a, TRUE);
}

/* ---- tests ---- */

/* UDP: a guest opens its share of flows; more are dropped; its flows still work. */
static void test_udp(struct fixture *fx, gconstpointer data)
{
	uint64_t ports;

	for (uint16_t p = 0; p < 10; p++)
		g_assert_cmpint(input(fx, udp4(fx->f, mac_a, ip_a, 40000 + p, ip_gw, fx->udp_port)),
				==, p < CAP);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, CAP);
	g_assert_cmpuint(stats(fx).to_nat_over_limit, ==, 10 - CAP);
	/* What libslirp took it sent on; the rest never reached the host. */
	g_assert_cmpuint(received(fx, 40000, &ports), ==, CAP);
	g_assert_cmpuint(ports, ==, (1u << CAP) - 1);
	/* The drops were logged, once (rate limited). */
	g_assert_nonnull(strstr(fx->log->str, "guest 52:54:00:00:00:0a holds 4 host sockets"));
	g_assert_null(strchr(strchr(fx->log->str, '\n') + 1, '\n'));

	/* A flow it has goes on: no socket to open. */
	for (uint16_t p = 0; p < CAP; p++)
		g_assert_true(input(fx, udp4(fx->f, mac_a, ip_a, 40000 + p, ip_gw, fx->udp_port)));
	g_assert_cmpuint(received(fx, 40000, &ports), ==, CAP);
	g_assert_cmpuint(ports, ==, (1u << CAP) - 1);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, CAP);

	/* Another guest is not affected: it opens its own share. */
	for (uint16_t p = 0; p < CAP; p++)
		g_assert_true(input(fx, udp4(fx->f, mac_b, ip_b, 40000 + p, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, CAP);
	g_assert_false(input(fx, udp4(fx->f, mac_b, ip_b, 40000 + CAP, ip_gw, fx->udp_port)));
	g_assert_cmpuint(received(fx, 40000, &ports), ==, CAP);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, CAP);
	/*
	 * A source libslirp has a socket for opens none, whoever sends from
	 * it (libslirp keys UDP by the guest's address and port only).
	 */
	g_assert_true(input(fx, udp4(fx->f, mac_b, ip_a, 40001, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, CAP);
	g_assert_cmpuint(received(fx, 40000, &ports), ==, 1);

	/* A lower cap keeps what a guest holds and refuses more. */
	natd_set_sockets_per_guest(fx->n, 2);
	g_assert_true(input(fx, udp4(fx->f, mac_a, ip_a, 40003, ip_gw, fx->udp_port)));
	g_assert_false(input(fx, udp4(fx->f, mac_a, ip_a, 40010, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, CAP);
	g_assert_true(input(fx, udp4(fx->f, mac_c, ip_b, 50000, ip_gw, fx->udp_port)));
	g_assert_true(input(fx, udp4(fx->f, mac_c, ip_b, 50001, ip_gw, fx->udp_port)));
	g_assert_false(input(fx, udp4(fx->f, mac_c, ip_b, 50002, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_c), ==, 2);
	g_assert_cmpuint(received(fx, 40000, &ports), ==, 3);
}

/* At the cap, what opens no socket passes, and what would open one does not. */
static void test_kinds(struct fixture *fx, gconstpointer data)
{
	for (uint16_t p = 0; p < CAP; p++)
		g_assert_true(input(fx, udp4(fx->f, mac_a, ip_a, 40000 + p, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, CAP);

	/* Opens nothing: passes. */
	g_assert_true(input(fx, arp(fx->f, mac_a, ip_a)));
	g_assert_true(input(fx, udp4(fx->f, mac_a, ip_a, 68, ip_bcast, 67)));	/* DHCP */
	g_assert_true(input(fx, udp4(fx->f, mac_a, ip_a, 68, ip_gw, 67)));
	g_assert_true(input(fx, tcp4(fx->f, mac_a, ip_a, 41000, ip_gw, fx->tcp_port, 1, 0x10)));
	g_assert_true(input(fx, tcp4(fx->f, mac_a, ip_a, 41000, ip_gw, fx->tcp_port, 1, 0x12)));
	g_assert_true(input(fx, tcp4(fx->f, mac_a, ip_a, 41000, ip_gw, fx->tcp_port, 1, 0x04)));
	g_assert_true(input(fx, ping4(fx->f, mac_a, ip_a, ip_gw)));		/* answered */
	g_assert_true(input(fx, ping6(fx->f, mac_a, 0x15, "fec0::2")));
	/* DHCPv6 */
	g_assert_true(input(fx, udp6(fx->f, mac_a, 0x15, 546, "ff02::1:2", 547)));
	g_assert_cmpuint(stats(fx).to_nat_over_limit, ==, 0);

	/* Would open a socket: dropped. */
	g_assert_false(input(fx, tcp4(fx->f, mac_a, ip_a, 41001, ip_gw, fx->tcp_port, 1, 0x02)));
	g_assert_false(input(fx, tcp4(fx->f, mac_a, ip_a, 41001, ip_far, 80, 1, 0x02)));
	g_assert_false(input(fx, ping4(fx->f, mac_a, ip_a, ip_far)));
	g_assert_false(input(fx, udp4(fx->f, mac_a, ip_a, 68, ip_far, 67)));	/* not DHCP */
	g_assert_false(input(fx, udp6(fx->f, mac_a, 0x15, 40000, "fec0::2", fx->udp_port)));
	g_assert_false(input(fx, udp6(fx->f, mac_a, 0x15, 546, "2001:db8::1", 547)));
	g_assert_false(input(fx, tcp6(fx->f, mac_a, 0x15, 41002, "fec0::2", fx->tcp_port, 0x02)));
	g_assert_cmpuint(stats(fx).to_nat_over_limit, ==, 7);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, CAP);
}

/* TCP: a SYN opens a socket for the guest; the socket's close gives it back. */
static void test_tcp(struct fixture *fx, gconstpointer data)
{
	g_assert_true(input(fx, tcp4(fx->f, mac_b, ip_b, 42000, ip_gw, fx->tcp_port, 1000, 0x02)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, 1);
	/* Connected (libslirp answers the SYN), then reset: libslirp closes the socket. */
	pump(fx);
	g_assert_cmpuint(fx->sent, >=, 1);
	g_assert_true(input(fx, tcp4(fx->f, mac_b, ip_b, 42000, ip_gw, fx->tcp_port, 1001, 0x04)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, 0);

	/* Up to the cap, then refused; a freed socket makes room again. */
	for (uint16_t p = 0; p < CAP + 2; p++)
		g_assert_cmpint(input(fx, tcp4(fx->f, mac_b, ip_b, 42100 + p, ip_gw, fx->tcp_port,
					       1000, 0x02)), ==, p < CAP);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, CAP);
	pump(fx);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, CAP);
	g_assert_true(input(fx, tcp4(fx->f, mac_b, ip_b, 42100, ip_gw, fx->tcp_port, 1001, 0x04)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, CAP - 1);
	g_assert_true(input(fx, tcp4(fx->f, mac_b, ip_b, 42200, ip_gw, fx->tcp_port, 1000, 0x02)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, CAP);
	g_assert_cmpuint(stats(fx).to_nat_over_limit, ==, 2);
}

/*
 * A socket libslirp fails to open (fd limit reached) is no one's: udp.c
 * still calls register_poll_fd(), with -1.  Forwards the administrator
 * adds are no one's either, and their removal tells of an fd we never saw.
 */
static void test_pairing(struct fixture *fx, gconstpointer data)
{
	struct rlimit old, low;
	struct in_addr lo = { htonl(INADDR_LOOPBACK) }, guest;
	int next = dup(0);
	uint16_t port;

	g_assert_cmpint(next, >=, 0);
	close(next);
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &old), ==, 0);
	low = old;
	low.rlim_cur = (rlim_t)next;	/* no new fd from here on */
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
	g_assert_true(input(fx, udp4(fx->f, mac_c, ip_b, 43000, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_c), ==, 0);
	/* tcp_input() closes (unregisters) the -1 of a socket it could not open. */
	g_assert_true(input(fx, tcp4(fx->f, mac_c, ip_b, 43000, ip_gw, fx->tcp_port, 1, 0x02)));
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &old), ==, 0);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_c), ==, 0);
	/* It opens sockets again once it can. */
	g_assert_true(input(fx, udp4(fx->f, mac_c, ip_b, 43001, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_c), ==, 1);

	inet_pton(AF_INET, "10.0.2.16", &guest);
	close(bound(SOCK_STREAM, &port));	/* a port that was free a moment ago */
	g_assert_cmpint(natd_fwd_add(fx->n, false, lo, port, guest, 22), ==, 0);
	g_assert_cmpint(natd_fwd_add(fx->n, true, lo, port, guest, 53), ==, 0);
	g_assert_cmpint(natd_fwd_remove(fx->n, false, lo, port), ==, 0);
	g_assert_cmpint(natd_fwd_remove(fx->n, true, lo, port), ==, 0);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_c), ==, 1);
	g_assert_true(input(fx, udp4(fx->f, mac_c, ip_b, 43002, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_c), ==, 2);
}

/*
 * ip_icmp.c closes a ping socket it cannot bind without telling: the fd
 * stays counted until libslirp registers its number again, which releases
 * it first.  (natd never sets an outbound address, so this is the one
 * test that does it, to reach that path.)
 */
static void test_reregister(struct fixture *fx, gconstpointer data)
{
	g_assert_true(input(fx, ping4(fx->f, mac_a, ip_a, ip_far)));
	if (!natd_guest_sockets(fx->n, mac_a)) {
		g_test_skip("no ICMP socket (net.ipv4.ping_group_range, CAP_NET_RAW)");
		return;
	}
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, 1);
	/* The same fd number again, for another guest. */
	g_assert_true(input(fx, ping4(fx->f, mac_b, ip_b, ip_far)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, 0);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, 1);
	g_assert_true(input(fx, ping4(fx->f, mac_b, ip_b, ip_far)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_b), ==, 1);
	/* UDP and TCP sockets that fail to bind are closed before they are told of. */
	g_assert_true(input(fx, udp4(fx->f, mac_a, ip_a, 44000, ip_gw, fx->udp_port)));
	g_assert_true(input(fx, tcp4(fx->f, mac_a, ip_a, 44000, ip_gw, fx->tcp_port, 1, 0x02)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, 0);
}

/* The guests tracked are bounded: one more that would open a socket is refused. */
static void test_guests_bound(struct fixture *fx, gconstpointer data)
{
	struct rlimit rl;
	uint8_t mac[6] = { 0x52, 0x54, 0x01, 0, 0, 0 };
	uint64_t ports;

	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < NATD_GUESTS_MAX + 256) {
		g_test_skip("the fd limit is too low for a socket per guest");
		return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < NATD_GUESTS_MAX + 256) {
		rl.rlim_cur = NATD_GUESTS_MAX + 256;
		g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
	}
	for (unsigned i = 0; i < NATD_GUESTS_MAX; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		g_assert_true(input(fx, udp4(fx->f, mac, ip_b, (uint16_t)(10000 + i), ip_gw,
					     fx->udp_port)));
		if (i % 128 == 0)
			received(fx, 0, &ports);	/* keep our socket's queue short */
	}
	received(fx, 0, &ports);
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac), ==, 1);
	g_assert_false(input(fx, udp4(fx->f, mac_a, ip_a, 40000, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac_a), ==, 0);
	/* Guests tracked already still open up to their share. */
	g_assert_true(input(fx, udp4(fx->f, mac, ip_b, 9000, ip_gw, fx->udp_port)));
	g_assert_cmpuint(natd_guest_sockets(fx->n, mac), ==, 2);
	/* Frames that open nothing pass from anyone. */
	g_assert_true(input(fx, arp(fx->f, mac_a, ip_a)));
	g_assert_cmpuint(stats(fx).to_nat_over_limit, ==, 1);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
	g_test_add("/nat-limit/" name, struct fixture, NULL, setup, fn, teardown)
	ADD("udp", test_udp);
	ADD("kinds", test_kinds);
	ADD("tcp", test_tcp);
	ADD("pairing", test_pairing);
	ADD("guests-bound", test_guests_bound);
	g_test_add("/nat-limit/reregister", struct fixture, "outbound", setup, test_reregister,
		   teardown);
	return g_test_run();
}
