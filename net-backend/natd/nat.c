// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nat.c - the NAT helper's core (see nat.h for what reaches libslirp).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * libslirp's timers (router advertisements) are GLib timeouts on the
 * default main context; its sockets are polled by the embedder.
 */
#include <errno.h>
#include <string.h>

#include "nat.h"

#define ETH_HLEN		14
#define ETH_P_ARP		0x0806
#define ETH_P_IP		0x0800
#define ETH_P_IPV6		0x86dd
#define GUEST_ERROR_LOG_US	(10 * G_USEC_PER_SEC)

struct natd {
	Slirp *slirp;
	const struct natd_ops *ops;
	void *opaque;
	struct vsw_reass *reass;
	struct natd_stats st;
	gint64 guest_error_logged_us;
};

/* One libslirp timer (libslirp 4.7 has only the RA timer). */
struct natd_timer {
	struct natd *n;
	SlirpTimerId id;
	void *cb_opaque;
	guint src;
};

enum verdict {
	TAKE,
	IGNORE,
	MALFORMED,
};

/*
 * Does guest frame @f (@len bytes, at least an Ethernet header) go to
 * libslirp?  Checks what libslirp would otherwise take on trust: that the
 * ARP or IP header is all there and its lengths fit the frame.
 */
static enum verdict classify(const uint8_t *f, uint32_t len)
{
	const uint8_t *l3 = f + ETH_HLEN;
	uint32_t l3_len = len - ETH_HLEN;
	unsigned ihl, tot, plen;

	/*
	 * libslirp answers for 52:55:<IPv4 address> (gateway, DNS) and
	 * 52:56:<low 4 bytes of an IPv6 address>; other unicast is traffic
	 * between VMs that the switch floods while it learns.
	 */
	if (!(f[0] & 1) && !(f[0] == 0x52 && (f[1] == 0x55 || f[1] == 0x56)))
		return IGNORE;
	switch ((unsigned)f[12] << 8 | f[13]) {
	case ETH_P_ARP:
		/* Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4. */
		if (l3_len < 28 || l3[0] != 0 || l3[1] != 1 || l3[2] != 0x08 ||
		    l3[3] != 0x00 || l3[4] != 6 || l3[5] != 4)
			return MALFORMED;
		return TAKE;
	case ETH_P_IP:
		if (l3_len < 20 || (l3[0] >> 4) != 4)
			return MALFORMED;
		ihl = (l3[0] & 0xfu) * 4;
		tot = (unsigned)l3[2] << 8 | l3[3];
		if (ihl < 20 || tot < ihl || tot > l3_len)
			return MALFORMED;
		return TAKE;
	case ETH_P_IPV6:
		if (l3_len < 40 || (l3[0] >> 4) != 6)
			return MALFORMED;
		plen = (unsigned)l3[4] << 8 | l3[5];
		if (40 + plen > l3_len)
			return MALFORMED;
		return TAKE;
	default:
		return IGNORE;
	}
}

static void to_slirp(struct natd *n, const uint8_t *f, uint32_t len)
{
	n->st.to_nat++;
	slirp_input(n->slirp, f, (int)len);
}

void natd_input(struct natd *n, const uint8_t *f, uint32_t len)
{
	const uint8_t *whole;
	uint32_t whole_len;

	switch (len < ETH_HLEN ? MALFORMED : classify(f, len)) {
	case IGNORE:
		n->st.to_nat_ignored++;
		return;
	case MALFORMED:
		n->st.to_nat_malformed++;
		return;
	case TAKE:
		break;
	}
	if (f[12] != 0x08 || f[13] != 0x00) {
		to_slirp(n, f, len);
		return;
	}
	/* IPv4: libslirp never sees a fragment (nat.h says why). */
	switch (vsw_reass_input(n->reass, f, len, (uint64_t)(g_get_monotonic_time() / 1000),
				&whole, &whole_len)) {
	case VSW_REASS_PASS:
		to_slirp(n, f, len);
		break;
	case VSW_REASS_DONE:
		to_slirp(n, whole, whole_len);
		break;
	case VSW_REASS_HELD:
		break;
	default:
		n->st.to_nat_malformed++;
		break;
	}
}

void natd_tick(struct natd *n)
{
	vsw_reass_expire(n->reass, (uint64_t)(g_get_monotonic_time() / 1000));
}

/* ------------------------------------------------------------------ */
/* libslirp's callbacks                                                */

/* Is @f (@len bytes from libslirp) a DHCP reply, UDP port 67 to 68? */
static bool is_dhcp_reply(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN, *udp;

	if (len < ETH_HLEN + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 17)
		return false;
	udp = ip + (ip[0] & 0xfu) * 4;
	if ((size_t)(udp + 8 - f) > len)
		return false;
	return udp[0] == 0 && udp[1] == 67 && udp[2] == 0 && udp[3] == 68;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct natd *n = opaque;
	int rc = n->ops->send(n->opaque, buf, len);

	if (rc == 0)
		n->st.from_nat++;
	else if (rc == -EMSGSIZE)
		n->st.from_nat_bad_size++;
	else
		n->st.from_nat_ring_full++;
	if (n->ops->lease && is_dhcp_reply(buf, len))
		n->ops->lease(n->opaque);
	/* libslirp reports a short count as an error: the frame is ours now. */
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct natd *n = opaque;
	gint64 now = g_get_monotonic_time();

	n->st.guest_errors++;
	if (n->ops->log && (!n->guest_error_logged_us ||
			    now - n->guest_error_logged_us >= GUEST_ERROR_LOG_US)) {
		g_autofree char *line = g_strdup_printf("guest error: %s (%" G_GUINT64_FORMAT
							" so far)", msg, n->st.guest_errors);

		n->guest_error_logged_us = now;
		n->ops->log(n->opaque, line);
	}
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return g_get_monotonic_time() * 1000;
}

static void cb_init_completed(Slirp *slirp, void *opaque)
{
	struct natd *n = opaque;

	n->slirp = slirp;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct natd_timer *t = g_new0(struct natd_timer, 1);

	t->n = opaque;
	t->id = id;
	t->cb_opaque = cb_opaque;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct natd_timer *t = timer;

	if (t->src)
		g_source_remove(t->src);
	g_free(t);
}

static gboolean timer_fire(gpointer data)
{
	struct natd_timer *t = data;

	t->src = 0;
	slirp_handle_timer(t->n->slirp, t->id, t->cb_opaque);
	return G_SOURCE_REMOVE;
}

/* @expire_ms is on cb_clock_get_ns()'s clock, in milliseconds. */
static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct natd_timer *t = timer;
	int64_t delay = expire_ms - g_get_monotonic_time() / 1000;

	if (t->src)
		g_source_remove(t->src);
	t->src = g_timeout_add((guint)CLAMP(delay, 0, G_MAXINT), timer_fire, t);
}

/* Only Windows needs to hear about sockets: poll(2) finds them each turn. */
static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
	g_main_context_wakeup(NULL);
}

static const SlirpCb slirp_cbs = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.init_completed = cb_init_completed,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* ------------------------------------------------------------------ */
/* Life cycle and control                                              */

struct natd *natd_new(const SlirpConfig *cfg, const struct natd_ops *ops, void *opaque)
{
	struct natd *n = g_new0(struct natd, 1);
	SlirpConfig c = *cfg;

	n->ops = ops;
	n->opaque = opaque;
	n->reass = vsw_reass_new(NATD_REASS_DATAGRAMS, NATD_REASS_TIMEOUT_MS);
	c.version = 4;
	n->slirp = slirp_new(&c, &slirp_cbs, n);
	if (!n->slirp || !n->reass) {
		natd_free(n);
		return NULL;
	}
	return n;
}

void natd_free(struct natd *n)
{
	if (!n)
		return;
	if (n->slirp)
		slirp_cleanup(n->slirp);
	vsw_reass_free(n->reass);
	g_free(n);
}

Slirp *natd_slirp(struct natd *n)
{
	return n->slirp;
}

int natd_fwd_add(struct natd *n, bool udp, struct in_addr host, uint16_t host_port,
		 struct in_addr guest, uint16_t guest_port)
{
	errno = 0;
	if (slirp_add_hostfwd(n->slirp, udp, host, host_port, guest, guest_port) < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

int natd_fwd_remove(struct natd *n, bool udp, struct in_addr host, uint16_t host_port)
{
	return slirp_remove_hostfwd(n->slirp, udp, host, host_port) < 0 ? -ENOENT : 0;
}

static ssize_t state_write(const void *buf, size_t len, void *opaque)
{
	g_byte_array_append(opaque, buf, (guint)len);
	return (ssize_t)len;
}

struct state_reader {
	const uint8_t *data;
	size_t len, pos;
};

static ssize_t state_read(void *buf, size_t len, void *opaque)
{
	struct state_reader *r = opaque;

	if (len > r->len - r->pos)
		return -1;
	memcpy(buf, r->data + r->pos, len);
	r->pos += len;
	return (ssize_t)len;
}

GBytes *natd_leases_save(struct natd *n)
{
	GByteArray *a = g_byte_array_new();

	slirp_state_save(n->slirp, state_write, a);
	return g_byte_array_free_to_bytes(a);
}

int natd_leases_load(struct natd *n, int version, GBytes *b)
{
	g_autoptr(GBytes) fresh = natd_leases_save(n);
	struct state_reader r = { .data = g_bytes_get_data(b, &r.len) };

	/*
	 * We never add guestfwd sockets, so a table we saved starts with the
	 * empty socket list (a 0 byte) and is exactly as long as the one of a
	 * fresh instance.  Anything else could make libslirp build sockets.
	 */
	if (version != slirp_state_version() || !r.len || r.data[0] != 0 ||
	    r.len != g_bytes_get_size(fresh))
		return -EINVAL;
	return slirp_state_load(n->slirp, version, state_read, &r) < 0 ? -EINVAL : 0;
}

void natd_get_stats(struct natd *n, struct natd_stats *st)
{
	*st = n->st;
	vsw_reass_get_stats(n->reass, &st->reass);
}

char *natd_connections(struct natd *n)
{
	return slirp_connection_info(n->slirp);
}
