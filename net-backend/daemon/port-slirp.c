// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port-slirp.c - a port whose peer is libslirp, run by the daemon's main loop.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * libslirp is not thread-safe, so it lives on the control thread (the GLib
 * main loop), and the data path thread reaches it only through two rings in
 * private memory, laid out and driven exactly like a VM port's
 * (<vswitch/ring.h>, ring-ops.h), with one eventfd per direction:
 *
 *     data path thread                         control thread (main loop)
 *     nat_tx/nat_flush --- ring "to NAT" ---->  nat_in_run -> slirp_input()
 *         (drops, counted, when full)   nat_fd  (NAT_BUDGET frames per turn)
 *     nat_rx  <------------ ring "from NAT" ---  cb_send_packet <- libslirp
 *                                  port.wait_fd (drops, counted, when full)
 *
 * Flow control.  Neither side ever waits for the other: the data path never
 * waits for room in a port's ring (DESIGN.md), and libslirp's send_packet
 * cannot block, so a full ring drops the frame in both directions; TCP
 * inside libslirp and in the guest recovers.  Doorbells follow the ring
 * protocol: the main loop arms NEED_KICK only when it goes idle, with the
 * barrier and re-check of vsw_cons_arm(), and publishes libslirp's frames
 * once per turn (or every NAT_PUBLISH_EVERY frames within a long burst, so
 * the polling data path drains the ring while libslirp keeps producing).
 * The main loop takes at most NAT_BUDGET frames per iteration, then lets
 * every other source run before it goes on: the control socket stays
 * responsive under a flood.
 *
 * libslirp in GLib.  libslirp wants a poll(): before sleeping it lists the
 * sockets to watch and a timeout (slirp_pollfds_fill()), afterwards it
 * reads the results (slirp_pollfds_poll()).  Registering its sockets with
 * g_source_add_poll() on every iteration would make GLib wake its own poll
 * each time (adding a poll fd signals the context's wakeup fd), so, like
 * QEMU's main loop, we hand libslirp's sockets to the context's poll
 * function instead: our GSource fills the list in prepare(), the poll
 * function appends it to GLib's fds for the same poll(2), check() looks at
 * the results and the deadline, and dispatch() runs slirp_pollfds_poll()
 * (its TCP timers too), then the guest frames.  That is why at most one
 * slirp port exists per process.  libslirp's own timers (router
 * advertisements) are GLib timeouts.
 *
 * Guest frames are checked before libslirp sees them: unicast to another
 * MAC (VM-to-VM traffic the switch floods) and other ethertypes are
 * ignored, truncated or inconsistent ARP/IPv4/IPv6 headers are malformed;
 * both are counted (struct vsw_slirp_stats).  The port declares no
 * offloads, so the data path has already segmented GSO frames and
 * completed checksums, which libslirp verifies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "port-slirp.h"
#include "ring-ops.h"

#define NAT_BUDGET		256	/* frames to libslirp per main loop turn */
#define NAT_PUBLISH_EVERY	32	/* frames from libslirp between publishes */
#define RING_AREA		4096	/* both struct vsw_ring, one page */
#define GUEST_ERROR_LOG_US	(10 * G_USEC_PER_SEC)

#define ETH_P_ARP		0x0806
#define ETH_P_IP		0x0800
#define ETH_P_IPV6		0x86dd

enum poll_state {
	POLL_IDLE,		/* nothing filled */
	POLL_FILLED,		/* prepare() filled @pollfds */
	POLL_DONE,		/* the poll function polled them */
};

struct slirp_port;

/* One libslirp timer (libslirp 4.7 has only the RA timer). */
struct slirp_timer {
	struct slirp_port *s;
	SlirpTimerId id;
	void *cb_opaque;
	guint src;
};

struct nat_source {
	GSource source;
	struct slirp_port *s;
};

struct slirp_port {
	struct vsw_port port;

	/* Data path thread only. */
	struct vsw_ring_cons dp_from_nat __attribute__((aligned(64)));
	struct vsw_ring_prod dp_to_nat;

	/* Control thread only. */
	struct vsw_ring_prod out __attribute__((aligned(64)));
	struct vsw_ring_cons in;
	unsigned unpublished;		/* frames committed to @out, not published */
	bool rx_more;			/* @in holds frames beyond the last budget */
	bool rx_broken;			/* @in made no sense: stop reading it */
	Slirp *slirp;
	GSource *src;
	gpointer nat_fd_tag;
	GArray *pollfds;		/* GPollFD: libslirp's sockets, this turn */
	GArray *merged;			/* GLib's fds + @pollfds, for poll(2) */
	enum poll_state poll_state;
	bool poll_error;
	gint64 deadline_us;		/* libslirp's timeout expires */
	gint64 guest_error_logged_us;
	struct vsw_slirp_stats st;
	void (*lease_fn)(void *data);
	void *lease_data;

	int nat_fd;			/* eventfd: the data path wakes the NAT */
	void *mem;			/* both rings */
	size_t size;
};

/* The one slirp port whose sockets the default context's poll function adds. */
static struct slirp_port *poll_owner;

static struct slirp_port *slirp_of(struct vsw_port *p)
{
	return (struct slirp_port *)p;
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

static void drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
}

/* ------------------------------------------------------------------ */
/* Data path side (struct vsw_port_ops)                                */

static int nat_rx(struct vsw_port *p, struct vsw_dp *dp, unsigned budget)
{
	struct slirp_port *s = slirp_of(p);
	int n = vsw_port_ring_rx(p, dp, &s->dp_from_nat, budget);

	/* The NAT side never waits for room (it drops): no kick to give. */
	vsw_cons_release(&s->dp_from_nat);
	return n;
}

static int nat_tx(struct vsw_port *p, const struct vsw_xmit *x)
{
	return vsw_port_ring_tx(&slirp_of(p)->dp_to_nat, x);
}

static void nat_flush(struct vsw_port *p)
{
	struct slirp_port *s = slirp_of(p);

	if (vsw_prod_publish(&s->dp_to_nat))
		kick(s->nat_fd);
}

static bool nat_arm(struct vsw_port *p)
{
	return vsw_cons_arm(&slirp_of(p)->dp_from_nat);
}

static void nat_disarm(struct vsw_port *p)
{
	vsw_cons_disarm(&slirp_of(p)->dp_from_nat);
}

static void nat_destroy(struct vsw_port *p);

static const struct vsw_port_ops slirp_ops = {
	.kind = "nat",
	.rx = nat_rx,
	.tx = nat_tx,
	.flush = nat_flush,
	.arm = nat_arm,
	.disarm = nat_disarm,
	.destroy = nat_destroy,
};

/* ------------------------------------------------------------------ */
/* NAT side: frames between the rings and libslirp                     */

/* Publish libslirp's frames; wake the data path if it sleeps. */
static void nat_out_flush(struct slirp_port *s)
{
	s->unpublished = 0;
	if (vsw_prod_publish(&s->out))
		kick(s->port.wait_fd);
}

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
	const uint8_t *l3 = f + 14;
	uint32_t l3_len = len - 14;
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

static void nat_deliver(struct slirp_port *s, const uint8_t *f, uint32_t len)
{
	/* The data path drops runts; a shorter frame here is a bug, not input. */
	switch (len < 14 ? MALFORMED : classify(f, len)) {
	case TAKE:
		s->st.to_nat++;
		slirp_input(s->slirp, f, (int)len);
		break;
	case IGNORE:
		s->st.to_nat_ignored++;
		break;
	case MALFORMED:
		s->st.to_nat_malformed++;
		break;
	}
}

/* Hand up to NAT_BUDGET frames from the switch to libslirp. */
static void nat_in_run(struct slirp_port *s)
{
	struct vsw_rec_view v;
	unsigned n = 0;
	int rc = 0;

	if (s->rx_broken)
		return;
	vsw_cons_disarm(&s->in);
	while (n < NAT_BUDGET && (rc = vsw_cons_peek(&s->in, &v)) > 0) {
		/* Our own memory, written by the data path: no copy needed. */
		nat_deliver(s, v.data, v.len);
		vsw_cons_advance(&s->in, &v);
		n++;
	}
	/* The data path never waits for room (it drops): no kick to give. */
	vsw_cons_release(&s->in);
	if (rc < 0) {
		g_warning("NAT port '%s': the ring from the switch is corrupted; "
			  "no more frames reach the NAT", s->port.name);
		s->rx_broken = true;
		s->rx_more = false;
		return;
	}
	/* Budget spent: go on next turn.  Else arm the doorbell (with its re-check). */
	s->rx_more = n == NAT_BUDGET || vsw_cons_arm(&s->in);
}

/* ------------------------------------------------------------------ */
/* libslirp's callbacks                                                */

/* Is @f (@len bytes from libslirp) a DHCP reply, UDP port 67 to 68? */
static bool is_dhcp_reply(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *udp;

	if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 17)
		return false;
	udp = ip + (ip[0] & 0xfu) * 4;
	if ((size_t)(udp + 8 - f) > len)
		return false;
	return udp[0] == 0 && udp[1] == 67 && udp[2] == 0 && udp[3] == 68;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_port *s = opaque;
	struct vsw_rec *rec;
	int err;

	if (len < VSW_FRAME_MIN || len > VSW_FRAME_MAX) {
		s->st.from_nat_bad_size++;
		return (ssize_t)len;
	}
	rec = vsw_prod_reserve(&s->out, (uint32_t)len, &err);
	if (!rec) {
		/* Full (err is never set: the data path is no hostile peer). */
		s->st.from_nat_ring_full++;
		return (ssize_t)len;
	}
	rec->len = (uint32_t)len;
	rec->flags = 0;
	rec->rsvd = 0;
	memset(&rec->vnet, 0, sizeof(rec->vnet));
	rec->rsvd2 = 0;
	memcpy(rec + 1, buf, len);
	vsw_prod_commit(&s->out, (uint32_t)len);
	s->st.from_nat++;
	if (++s->unpublished >= NAT_PUBLISH_EVERY)
		nat_out_flush(s);
	if (s->lease_fn && is_dhcp_reply(buf, len))
		s->lease_fn(s->lease_data);
	/* libslirp reports a short count as an error: the frame is ours now. */
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct slirp_port *s = opaque;
	gint64 now = g_get_monotonic_time();

	s->st.guest_errors++;
	if (now - s->guest_error_logged_us >= GUEST_ERROR_LOG_US ||
	    !s->guest_error_logged_us) {
		s->guest_error_logged_us = now;
		g_message("NAT: guest error: %s (%" G_GUINT64_FORMAT " so far)",
			  msg, s->st.guest_errors);
	}
}

static int64_t cb_clock_get_ns(void *opaque)
{
	return g_get_monotonic_time() * 1000;
}

static void cb_init_completed(Slirp *slirp, void *opaque)
{
	struct slirp_port *s = opaque;

	s->slirp = slirp;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_timer *t = g_new0(struct slirp_timer, 1);

	t->s = opaque;
	t->id = id;
	t->cb_opaque = cb_opaque;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_timer *t = timer;

	if (t->src)
		g_source_remove(t->src);
	g_free(t);
}

static gboolean timer_fire(gpointer data)
{
	struct slirp_timer *t = data;

	t->src = 0;
	slirp_handle_timer(t->s->slirp, t->id, t->cb_opaque);
	nat_out_flush(t->s);
	return G_SOURCE_REMOVE;
}

/* @expire_ms is on cb_clock_get_ns()'s clock, in milliseconds. */
static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;
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
/* libslirp's sockets in the GLib main loop                            */

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_port *s = opaque;
	GPollFD pfd = { .fd = fd };

	if (events & SLIRP_POLL_IN)
		pfd.events |= G_IO_IN;
	if (events & SLIRP_POLL_OUT)
		pfd.events |= G_IO_OUT;
	if (events & SLIRP_POLL_PRI)
		pfd.events |= G_IO_PRI;
	if (events & SLIRP_POLL_ERR)
		pfd.events |= G_IO_ERR;
	if (events & SLIRP_POLL_HUP)
		pfd.events |= G_IO_HUP;
	g_array_append_val(s->pollfds, pfd);
	return (int)s->pollfds->len - 1;
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_port *s = opaque;
	int ev = 0, r;

	if (idx < 0 || (guint)idx >= s->pollfds->len)
		return 0;
	r = g_array_index(s->pollfds, GPollFD, idx).revents;
	if (r & G_IO_IN)
		ev |= SLIRP_POLL_IN;
	if (r & G_IO_OUT)
		ev |= SLIRP_POLL_OUT;
	if (r & G_IO_PRI)
		ev |= SLIRP_POLL_PRI;
	if (r & G_IO_ERR)
		ev |= SLIRP_POLL_ERR;
	if (r & G_IO_HUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/*
 * The default context's poll function: GLib's fds plus libslirp's, when
 * the NAT source filled them this turn (it may not be prepared when a
 * source of higher priority is ready).
 */
static gint nat_poll(GPollFD *fds, guint nfds, gint timeout)
{
	struct slirp_port *s = poll_owner;
	guint n;
	gint rc;

	if (!s || s->poll_state != POLL_FILLED)
		return g_poll(fds, nfds, timeout);
	n = s->pollfds->len;
	if (!n) {
		rc = g_poll(fds, nfds, timeout);
	} else {
		GPollFD *all, *ours = (GPollFD *)(void *)s->pollfds->data;

		g_array_set_size(s->merged, nfds + n);
		all = (GPollFD *)(void *)s->merged->data;
		memcpy(all, fds, nfds * sizeof(*all));
		memcpy(all + nfds, ours, n * sizeof(*all));
		rc = g_poll(all, nfds + n, timeout);
		for (guint i = 0; i < nfds; i++)
			fds[i].revents = all[i].revents;
		for (guint i = 0; i < n; i++)
			ours[i].revents = rc < 0 ? 0 : all[nfds + i].revents;
	}
	s->poll_state = POLL_DONE;
	s->poll_error = rc < 0;
	return rc;
}

static gboolean nat_prepare(GSource *source, gint *timeout)
{
	struct slirp_port *s = ((struct nat_source *)source)->s;
	uint32_t t = UINT32_MAX;

	g_array_set_size(s->pollfds, 0);
	slirp_pollfds_fill(s->slirp, &t, add_poll, s);
	s->poll_state = POLL_FILLED;
	if (t == UINT32_MAX) {
		s->deadline_us = G_MAXINT64;
		*timeout = -1;
	} else {
		s->deadline_us = g_get_monotonic_time() + (gint64)t * 1000;
		*timeout = (gint)MIN(t, (uint32_t)G_MAXINT);
	}
	if (s->rx_more) {
		*timeout = 0;
		return TRUE;
	}
	return FALSE;
}

static gboolean nat_check(GSource *source)
{
	struct slirp_port *s = ((struct nat_source *)source)->s;

	if (s->poll_state == POLL_DONE) {
		if (s->poll_error || g_get_monotonic_time() >= s->deadline_us)
			return TRUE;
		for (guint i = 0; i < s->pollfds->len; i++)
			if (g_array_index(s->pollfds, GPollFD, i).revents)
				return TRUE;
	}
	return s->rx_more ||
	       (g_source_query_unix_fd(source, s->nat_fd_tag) & G_IO_IN);
}

static gboolean nat_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	struct slirp_port *s = ((struct nat_source *)source)->s;

	/* Sockets first: their indices are from this turn's fill. */
	if (s->poll_state == POLL_DONE)
		slirp_pollfds_poll(s->slirp, s->poll_error, get_revents, s);
	s->poll_state = POLL_IDLE;
	if (g_source_query_unix_fd(source, s->nat_fd_tag) & G_IO_IN)
		drain(s->nat_fd);
	nat_in_run(s);
	nat_out_flush(s);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs nat_source_funcs = {
	.prepare = nat_prepare,
	.check = nat_check,
	.dispatch = nat_dispatch,
};

/* ------------------------------------------------------------------ */
/* Life cycle and control                                              */

static void nat_destroy(struct vsw_port *p)
{
	struct slirp_port *s = slirp_of(p);

	if (s->src) {
		g_source_destroy(s->src);
		g_source_unref(s->src);
	}
	if (poll_owner == s) {
		g_main_context_set_poll_func(NULL, NULL);
		poll_owner = NULL;
	}
	if (s->slirp)
		slirp_cleanup(s->slirp);
	if (s->pollfds)
		g_array_free(s->pollfds, TRUE);
	if (s->merged)
		g_array_free(s->merged, TRUE);
	if (s->mem)
		munmap(s->mem, s->size);
	if (s->port.wait_fd >= 0)
		close(s->port.wait_fd);
	if (s->nat_fd >= 0)
		close(s->nat_fd);
	free(s);
}

struct vsw_port *vsw_port_slirp_new(const char *name, uint32_t data_size,
				    const SlirpConfig *cfg, GError **err)
{
	struct nat_source *ns;
	struct slirp_port *s;
	SlirpConfig c = *cfg;
	struct vsw_ring *r_in, *r_out;
	uint8_t *d_in, *d_out;
	void *mem;

	if (poll_owner) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "cannot start NAT port '%s': port '%s' already runs libslirp "
			    "in this process", name, poll_owner->port.name);
		return NULL;
	}
	if (data_size < VSW_DATA_SIZE_MIN || data_size > VSW_DATA_SIZE_MAX ||
	    (data_size & (data_size - 1))) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "NAT port '%s': invalid ring size %u", name, data_size);
		return NULL;
	}
	if (posix_memalign(&mem, 64, sizeof(*s))) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "NAT port '%s': out of memory", name);
		return NULL;
	}
	s = memset(mem, 0, sizeof(*s));
	s->port.ops = &slirp_ops;
	s->port.wait_fd = -1;
	s->port.dp_slot = -1;
	s->port.offloads = 0;
	s->port.fwd.mode = VSW_MODE_ACCESS;
	s->port.fwd.vlan = VSW_VLAN_NONE;
	s->nat_fd = -1;
	g_strlcpy(s->port.name, name, sizeof(s->port.name));

	s->size = RING_AREA + 2 * (size_t)data_size;
	s->mem = mmap(NULL, s->size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		goto fail_errno;
	}
	r_in = s->mem;
	r_out = (struct vsw_ring *)((uint8_t *)s->mem + sizeof(struct vsw_ring));
	d_in = (uint8_t *)s->mem + RING_AREA;
	d_out = d_in + data_size;
	vsw_ring_prod_init(&s->dp_to_nat, r_in, d_in, data_size);
	vsw_ring_cons_init(&s->in, r_in, d_in, data_size);
	vsw_ring_prod_init(&s->out, r_out, d_out, data_size);
	vsw_ring_cons_init(&s->dp_from_nat, r_out, d_out, data_size);
	/* Asleep until the first frame: the data path kicks us then. */
	vsw_cons_arm(&s->in);

	s->port.wait_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->nat_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->port.wait_fd < 0 || s->nat_fd < 0)
		goto fail_errno;
	s->pollfds = g_array_new(FALSE, TRUE, sizeof(GPollFD));
	s->merged = g_array_new(FALSE, TRUE, sizeof(GPollFD));

	c.version = 4;
	s->slirp = slirp_new(&c, &slirp_cbs, s);
	if (!s->slirp) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "NAT port '%s': libslirp refused its configuration", name);
		nat_destroy(&s->port);
		return NULL;
	}

	ns = (struct nat_source *)g_source_new(&nat_source_funcs, sizeof(*ns));
	ns->s = s;
	s->src = &ns->source;
	g_source_set_name(s->src, "vswitch-nat");
	s->nat_fd_tag = g_source_add_unix_fd(s->src, s->nat_fd, G_IO_IN);
	g_source_attach(s->src, NULL);
	poll_owner = s;
	g_main_context_set_poll_func(NULL, nat_poll);
	return &s->port;

fail_errno:
	g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno),
		    "cannot set up NAT port '%s': %s", name, g_strerror(errno));
	nat_destroy(&s->port);
	return NULL;
}

int vsw_port_slirp_add_fwd(struct vsw_port *p, bool udp, struct in_addr host_addr,
			   uint16_t host_port, struct in_addr guest_addr,
			   uint16_t guest_port)
{
	struct slirp_port *s = slirp_of(p);
	int rc;

	errno = 0;
	rc = slirp_add_hostfwd(s->slirp, udp, host_addr, host_port, guest_addr,
			       guest_port);
	if (rc < 0)
		return errno ? -errno : -EINVAL;
	return 0;
}

int vsw_port_slirp_remove_fwd(struct vsw_port *p, bool udp,
			      struct in_addr host_addr, uint16_t host_port)
{
	struct slirp_port *s = slirp_of(p);

	if (slirp_remove_hostfwd(s->slirp, udp, host_addr, host_port) < 0)
		return -ENOENT;
	return 0;
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

GBytes *vsw_port_slirp_save_leases(struct vsw_port *p)
{
	GByteArray *a = g_byte_array_new();

	slirp_state_save(slirp_of(p)->slirp, state_write, a);
	return g_byte_array_free_to_bytes(a);
}

int vsw_port_slirp_load_leases(struct vsw_port *p, int version, GBytes *b)
{
	struct slirp_port *s = slirp_of(p);
	g_autoptr(GBytes) fresh = vsw_port_slirp_save_leases(p);
	struct state_reader r = { .data = g_bytes_get_data(b, &r.len) };

	/*
	 * We never add guestfwd sockets, so a table we saved starts with the
	 * empty socket list (a 0 byte) and is exactly as long as the one of a
	 * fresh instance.  Anything else could make libslirp build sockets.
	 */
	if (version != slirp_state_version() || !r.len || r.data[0] != 0 ||
	    r.len != g_bytes_get_size(fresh))
		return -EINVAL;
	return slirp_state_load(s->slirp, version, state_read, &r) < 0 ? -EINVAL : 0;
}

void vsw_port_slirp_on_lease(struct vsw_port *p, void (*fn)(void *data), void *data)
{
	struct slirp_port *s = slirp_of(p);

	s->lease_fn = fn;
	s->lease_data = data;
}

void vsw_port_slirp_get_stats(struct vsw_port *p, struct vsw_slirp_stats *st)
{
	*st = slirp_of(p)->st;
}

char *vsw_port_slirp_connections(struct vsw_port *p)
{
	return slirp_connection_info(slirp_of(p)->slirp);
}
