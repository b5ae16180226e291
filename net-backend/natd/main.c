// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - vswitch-natd: the Default switch's NAT (libslirp), a process of
 * its own that vswitchd starts, sandboxes and restarts.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Why a process: libslirp parses every frame a guest sends to the
 * gateway, and a crash or hang in it must cost the NAT, never the switch
 * that every VM of the host depends on (docs/design.md, "Processes").
 * vswitchd starts it with three fds and nothing else:
 *
 *   --rpc-fd   a SOCK_SEQPACKET socket: vswitchd's requests and our replies
 *              and events, one JSON object per message (natsup.c lists them)
 *   --shm-fd   the memory of the NAT's port on the Default switch, with the
 *              rings of <vswitch/ring.h>: we are its client, as a QEMU is
 *   --kick-fd  the pipe we wake the switch with
 *   --wait-fd  the pipe the switch wakes us with
 *
 * Order of start-up: close every other fd, give up root (as root: become
 * --user, keeping CAP_NET_BIND_SERVICE for forwards below 1024), map the
 * port, read the "start" request, start libslirp, then enter the sandbox
 * (sandbox.c) before the first guest frame: from then on the process can
 * use its sockets and make Internet sockets, and little else.  It exits
 * when vswitchd closes the rpc socket.
 *
 * libslirp in GLib: libslirp wants a poll(): before sleeping it lists the
 * sockets to watch and a timeout (slirp_pollfds_fill()), afterwards it
 * reads the results (slirp_pollfds_poll()).  Registering its sockets with
 * g_source_add_poll() on every iteration would make GLib wake its own poll
 * each time, so, like QEMU's main loop, we hand libslirp's sockets to the
 * context's poll function instead: our GSource fills the list in
 * prepare(), the poll function appends it to GLib's fds for the same
 * poll(2), check() looks at the results and the deadline, and dispatch()
 * runs slirp_pollfds_poll() (its TCP timers too), then the guest frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "json-member.h"
#include "lograte.h"
#include "nat.h"
#include "ring-ops.h"
#include "sandbox.h"
#include "vswitch/vswitch.h"

#define IN_BUDGET		256	/* frames to libslirp per main loop turn */
#define PUBLISH_EVERY		32	/* frames from libslirp between publishes */
#define MSG_MAX			(64 * 1024)
#define START_TIMEOUT_MS	10000
#define LEASES_DELAY_S		1

enum poll_state {
	POLL_IDLE,		/* nothing filled */
	POLL_FILLED,		/* prepare() filled @pollfds */
	POLL_DONE,		/* the poll function polled them */
};

struct natd_proc {
	struct natd *nat;
	GMainLoop *loop;
	int rpc_fd;
	int kick_fd;
	int wait_fd;
	void *shm;
	size_t shm_size;
	struct vsw_ring_cons in;	/* switch -> NAT (ring VSW_RX) */
	struct vsw_ring_prod out;	/* NAT -> switch (ring VSW_TX) */
	struct vsw_rec *out_rec;	/* reserved, not yet committed */
	unsigned unpublished;
	bool in_more;			/* frames beyond the last budget */
	bool in_broken;			/* the ring made no sense */
	GSource *src;
	gpointer wait_tag;
	GArray *pollfds;		/* GPollFD: libslirp's sockets, this turn */
	GArray *merged;			/* GLib's fds + @pollfds, for poll(2) */
	enum poll_state poll_state;
	bool poll_error;
	gint64 deadline_us;
	guint leases_src;
};

struct nat_source {
	GSource source;
	struct natd_proc *p;
};

static struct natd_proc *poll_owner;

static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("vswitch-natd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * GLib's and libslirp's messages.  GLib's own writer probes stderr for
 * journald with calls the seccomp filter does not allow (it killed the
 * helper), and a guest can make libslirp log for every frame (4.7 says
 * "external icmpv6 not supported yet" to each echo request beyond the
 * gateway).  So every message goes through here, plainly to stderr, and
 * at most LOG_BURST per LOG_WINDOW_US, then how many were not shown.
 */
#define LOG_BURST	5
#define LOG_WINDOW_US	(10 * G_USEC_PER_SEC)

static void log_limited(const char *domain, const char *msg)
{
	static struct vsw_log_rate rate;
	unsigned dropped;

	if (!vsw_log_rate_ok(&rate, LOG_BURST, LOG_WINDOW_US, &dropped))
		return;
	if (dropped)
		say("%u more messages not shown before this one", dropped);
	say("%s: %s", domain ? domain : "GLib", msg ? msg : "");
}

static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
			gpointer data)
{
	if (level & G_LOG_LEVEL_DEBUG)
		return;
	log_limited(domain, msg);
}

static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields,
				   gsize n_fields, gpointer data)
{
	const char *domain = NULL, *msg = NULL;

	if (level & G_LOG_LEVEL_DEBUG)
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n_fields; i++) {
		if (!strcmp(fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
			domain = fields[i].value;
		else if (!strcmp(fields[i].key, "MESSAGE") && fields[i].length < 0)
			msg = fields[i].value;
	}
	log_limited(domain, msg);
	return G_LOG_WRITER_HANDLED;
}

static void drain(int fd)
{
	uint8_t buf[512];

	/* Non-blocking: what is there, or nothing (EAGAIN). */
	(void)!read(fd, buf, sizeof(buf));
}

/* ------------------------------------------------------------------ */
/* Messages to vswitchd                                                */

static void send_obj(struct natd_proc *p, JsonBuilder *b)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *text = json_to_string(root, FALSE);
	size_t len = strlen(text);

	if (len > MSG_MAX) {
		say("a message of %zu bytes is too long: dropped", len);
		return;
	}
	/* vswitchd reads as fast as it can; a full socket means it is gone. */
	if (send(p->rpc_fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		say("cannot talk to vswitchd: %s", g_strerror(errno));
}

static void reply_errno(struct natd_proc *p, gint64 id, int err)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	vsw_json_int(b, "id", id);
	vsw_json_int(b, "errno", err);
	vsw_json_str(b, "error", g_strerror(err));
	json_builder_end_object(b);
	send_obj(p, b);
}

/* The reply to request @id, with the members @b already has. */
static JsonBuilder *reply_begin(gint64 id)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	vsw_json_int(b, "id", id);
	vsw_json_bool(b, "ok", TRUE);
	return b;
}

static void reply_end(struct natd_proc *p, JsonBuilder *b)
{
	json_builder_end_object(b);
	send_obj(p, b);
	g_object_unref(b);
}

static void send_leases(struct natd_proc *p)
{
	g_autoptr(GBytes) state = natd_leases_save(p->nat);
	g_autoptr(JsonBuilder) b = json_builder_new();
	gsize len;
	const guint8 *data = g_bytes_get_data(state, &len);
	g_autofree char *b64 = g_base64_encode(data, len);

	json_builder_begin_object(b);
	vsw_json_str(b, "event", "leases");
	vsw_json_int(b, "version", slirp_state_version());
	vsw_json_str(b, "data", b64);
	json_builder_end_object(b);
	send_obj(p, b);
}

static gboolean leases_cb(gpointer data)
{
	struct natd_proc *p = data;

	p->leases_src = 0;
	send_leases(p);
	return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Frames between the rings and libslirp                               */

static void out_flush(struct natd_proc *p)
{
	p->unpublished = 0;
	if (vsw_prod_publish(&p->out))
		vsw_doorbell_kick(p->kick_fd);
}

/* Room for one frame in the ring to the switch (natd_ops.reserve). */
static uint8_t *nat_reserve(void *opaque, size_t len, int *err)
{
	struct natd_proc *p = opaque;

	if (len < VSW_FRAME_MIN || len > VSW_FRAME_MAX) {
		*err = -EMSGSIZE;
		return NULL;
	}
	p->out_rec = vsw_prod_reserve(&p->out, (uint32_t)len, err);
	if (!p->out_rec) {
		*err = -ENOBUFS;	/* full: TCP in libslirp and in the guest recovers */
		return NULL;
	}
	return (uint8_t *)(p->out_rec + 1);
}

static void nat_commit(void *opaque, const struct vsw_vnet_hdr *vnet, size_t len)
{
	struct natd_proc *p = opaque;
	struct vsw_rec *rec = p->out_rec;

	rec->len = (uint32_t)len;
	rec->flags = 0;
	rec->rsvd = 0;
	rec->vnet = *vnet;
	rec->rsvd2 = 0;
	vsw_prod_commit(&p->out, (uint32_t)len);
	p->out_rec = NULL;
	if (++p->unpublished >= PUBLISH_EVERY)
		out_flush(p);
}

static void nat_lease(void *opaque)
{
	struct natd_proc *p = opaque;

	if (!p->leases_src)
		p->leases_src = g_timeout_add_seconds(LEASES_DELAY_S, leases_cb, p);
}

static void nat_log(void *opaque, const char *msg)
{
	say("%s", msg);
}

static const struct natd_ops nat_ops = {
	.reserve = nat_reserve,
	.commit = nat_commit,
	.lease = nat_lease,
	.log = nat_log,
};

/* Hand up to IN_BUDGET frames from the switch to libslirp. */
static void in_run(struct natd_proc *p)
{
	struct vsw_rec_view v;
	unsigned n = 0;
	int rc = 0;

	if (p->in_broken)
		return;
	vsw_cons_disarm(&p->in);
	while (n < IN_BUDGET && (rc = vsw_cons_peek(&p->in, &v)) > 0) {
		/* Ours until released (natd_input() completes checksums in place). */
		natd_input(p->nat, (uint8_t *)v.data, v.len, &v.vnet);
		vsw_cons_advance(&p->in, &v);
		n++;
	}
	/* The switch never waits for room (it drops): no kick to give. */
	vsw_cons_release(&p->in);
	if (rc < 0) {
		say("the ring from the switch is corrupted: exiting");
		p->in_broken = true;
		g_main_loop_quit(p->loop);
		return;
	}
	/* Budget spent: go on next turn.  Else arm the doorbell (with its re-check). */
	p->in_more = n == IN_BUDGET || vsw_cons_arm(&p->in);
}

/* ------------------------------------------------------------------ */
/* libslirp's sockets in the GLib main loop                            */

static int add_poll(int fd, int events, void *opaque)
{
	struct natd_proc *p = opaque;
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
	g_array_append_val(p->pollfds, pfd);
	return (int)p->pollfds->len - 1;
}

static int get_revents(int idx, void *opaque)
{
	struct natd_proc *p = opaque;
	int ev = 0, r;

	if (idx < 0 || (guint)idx >= p->pollfds->len)
		return 0;
	r = g_array_index(p->pollfds, GPollFD, idx).revents;
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
	struct natd_proc *p = poll_owner;
	guint n;
	gint rc;

	if (!p || p->poll_state != POLL_FILLED)
		return g_poll(fds, nfds, timeout);
	n = p->pollfds->len;
	if (!n) {
		rc = g_poll(fds, nfds, timeout);
	} else {
		GPollFD *all, *ours = (GPollFD *)(void *)p->pollfds->data;

		g_array_set_size(p->merged, nfds + n);
		all = (GPollFD *)(void *)p->merged->data;
		memcpy(all, fds, nfds * sizeof(*all));
		memcpy(all + nfds, ours, n * sizeof(*all));
		rc = g_poll(all, nfds + n, timeout);
		for (guint i = 0; i < nfds; i++)
			fds[i].revents = all[i].revents;
		for (guint i = 0; i < n; i++)
			ours[i].revents = rc < 0 ? 0 : all[nfds + i].revents;
	}
	p->poll_state = POLL_DONE;
	p->poll_error = rc < 0;
	return rc;
}

static gboolean nat_prepare(GSource *source, gint *timeout)
{
	struct natd_proc *p = ((struct nat_source *)source)->p;
	uint32_t t = UINT32_MAX;

	g_array_set_size(p->pollfds, 0);
	slirp_pollfds_fill(natd_slirp(p->nat), &t, add_poll, p);
	p->poll_state = POLL_FILLED;
	if (t == UINT32_MAX) {
		p->deadline_us = G_MAXINT64;
		*timeout = -1;
	} else {
		p->deadline_us = g_get_monotonic_time() + (gint64)t * 1000;
		*timeout = (gint)MIN(t, (uint32_t)G_MAXINT);
	}
	if (p->in_more) {
		*timeout = 0;
		return TRUE;
	}
	return FALSE;
}

static gboolean nat_check(GSource *source)
{
	struct natd_proc *p = ((struct nat_source *)source)->p;

	if (p->poll_state == POLL_DONE) {
		if (p->poll_error || g_get_monotonic_time() >= p->deadline_us)
			return TRUE;
		for (guint i = 0; i < p->pollfds->len; i++)
			if (g_array_index(p->pollfds, GPollFD, i).revents)
				return TRUE;
	}
	return p->in_more || (g_source_query_unix_fd(source, p->wait_tag) & G_IO_IN);
}

static gboolean nat_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	struct natd_proc *p = ((struct nat_source *)source)->p;

	/* Sockets first: their indices are from this turn's fill. */
	if (p->poll_state == POLL_DONE)
		slirp_pollfds_poll(natd_slirp(p->nat), p->poll_error, get_revents, p);
	p->poll_state = POLL_IDLE;
	if (g_source_query_unix_fd(source, p->wait_tag) & G_IO_IN)
		drain(p->wait_fd);
	in_run(p);
	out_flush(p);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs nat_source_funcs = {
	.prepare = nat_prepare,
	.check = nat_check,
	.dispatch = nat_dispatch,
};

static gboolean tick_cb(gpointer data)
{
	struct natd_proc *p = data;

	natd_tick(p->nat);
	/* libslirp's own timer callbacks publish nothing: do it here too. */
	out_flush(p);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Requests from vswitchd                                              */

static bool get_addr(JsonObject *o, const char *name, struct in_addr *a)
{
	const char *s = json_object_get_string_member_with_default(o, name, "");

	return inet_pton(AF_INET, s, a) == 1;
}

static bool get_addr6(JsonObject *o, const char *name, struct in6_addr *a)
{
	const char *s = json_object_get_string_member_with_default(o, name, "");

	return inet_pton(AF_INET6, s, a) == 1;
}

/* A forward's fields; Return: false if any is missing or wrong. */
static bool get_fwd(JsonObject *a, bool *udp, struct in_addr *host, uint16_t *hport,
		    struct in_addr *guest, uint16_t *gport)
{
	gint64 hp = json_object_get_int_member_with_default(a, "host-port", 0);
	gint64 gp = json_object_get_int_member_with_default(a, "guest-port", 0);

	*udp = json_object_get_boolean_member_with_default(a, "udp", FALSE);
	if (!get_addr(a, "host-addr", host) || hp < 1 || hp > 65535)
		return false;
	*hport = (uint16_t)hp;
	if (!json_object_has_member(a, "guest-addr"))
		return true;		/* remove: the guest side is not needed */
	if (!get_addr(a, "guest-addr", guest) || gp < 1 || gp > 65535)
		return false;
	*gport = (uint16_t)gp;
	return true;
}

static void do_fwd(struct natd_proc *p, gint64 id, JsonObject *a, bool add)
{
	struct in_addr host, guest = { 0 };
	uint16_t hport, gport = 0;
	bool udp;
	int rc;

	if (!get_fwd(a, &udp, &host, &hport, &guest, &gport)) {
		reply_errno(p, id, EINVAL);
		return;
	}
	rc = add ? natd_fwd_add(p->nat, udp, host, hport, guest, gport) :
		   natd_fwd_remove(p->nat, udp, host, hport);
	if (rc < 0)
		reply_errno(p, id, -rc);
	else
		reply_end(p, reply_begin(id));
}

static void do_stats(struct natd_proc *p, gint64 id)
{
	JsonBuilder *b = reply_begin(id);
	struct natd_stats st;

	natd_get_stats(p->nat, &st);
	json_builder_set_member_name(b, "stats");
	json_builder_begin_object(b);
	vsw_json_int(b, "to-nat", (gint64)st.to_nat);
	vsw_json_int(b, "to-nat-malformed", (gint64)st.to_nat_malformed);
	vsw_json_int(b, "to-nat-ignored", (gint64)st.to_nat_ignored);
	vsw_json_int(b, "to-nat-over-limit", (gint64)st.to_nat_over_limit);
	vsw_json_int(b, "to-nat-coalesced", (gint64)st.to_nat_coalesced);
	vsw_json_int(b, "to-nat-too-big", (gint64)st.to_nat_too_big);
	vsw_json_int(b, "from-nat", (gint64)st.from_nat);
	vsw_json_int(b, "from-nat-gso", (gint64)st.from_nat_gso);
	vsw_json_int(b, "from-nat-fragmented", (gint64)st.from_nat_fragmented);
	vsw_json_int(b, "from-nat-too-big", (gint64)st.from_nat_too_big);
	vsw_json_int(b, "from-nat-ring-full", (gint64)st.from_nat_ring_full);
	vsw_json_int(b, "from-nat-bad-size", (gint64)st.from_nat_bad_size);
	vsw_json_int(b, "guest-errors", (gint64)st.guest_errors);
	vsw_json_int(b, "fragments", (gint64)st.reass.fragments);
	vsw_json_int(b, "reassembled", (gint64)st.reass.reassembled);
	vsw_json_int(b, "fragments-dropped", (gint64)(st.reass.malformed + st.reass.overlaps +
						     st.reass.inconsistent + st.reass.evicted +
						     st.reass.timed_out + st.reass.nomem));
	json_builder_end_object(b);
	reply_end(p, b);
}

static void do_connections(struct natd_proc *p, gint64 id)
{
	JsonBuilder *b = reply_begin(id);
	g_autofree char *text = natd_connections(p->nat);

	/* Bounded: the reply must fit one message. */
	if (strlen(text) > MSG_MAX - 1024)
		strcpy(text + MSG_MAX - 1024 - 16, "\n(cut)\n");
	vsw_json_str(b, "text", text);
	reply_end(p, b);
}

static void handle(struct natd_proc *p, JsonObject *o)
{
	const char *cmd = json_object_get_string_member_with_default(o, "cmd", "");
	gint64 id = json_object_get_int_member_with_default(o, "id", 0);
	JsonObject *args = NULL;

	if (json_object_has_member(o, "args") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "args")))
		args = json_object_get_object_member(o, "args");
	if (!strcmp(cmd, "fwd-add") && args)
		do_fwd(p, id, args, true);
	else if (!strcmp(cmd, "fwd-remove") && args)
		do_fwd(p, id, args, false);
	else if (!strcmp(cmd, "stats"))
		do_stats(p, id);
	else if (!strcmp(cmd, "connections"))
		do_connections(p, id);
	else
		reply_errno(p, id, EINVAL);
}

/* One message; NULL on EOF or error. */
static JsonObject *read_msg(int fd, bool *eof)
{
	g_autofree char *buf = g_malloc(MSG_MAX + 1);
	g_autoptr(JsonParser) parser = json_parser_new();
	ssize_t n = recv(fd, buf, MSG_MAX, MSG_DONTWAIT | MSG_TRUNC);
	JsonNode *root;

	*eof = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
	if (n <= 0 || n > MSG_MAX)
		return NULL;
	buf[n] = '\0';
	if (!json_parser_load_from_data(parser, buf, n, NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

static gboolean on_rpc(gint fd, GIOCondition cond, gpointer data)
{
	struct natd_proc *p = data;

	for (int i = 0; i < 16; i++) {
		bool eof;
		JsonObject *o = read_msg(fd, &eof);

		if (eof) {
			/* vswitchd closed us: save what is pending, then go. */
			g_main_loop_quit(p->loop);
			return G_SOURCE_REMOVE;
		}
		if (!o)
			break;
		handle(p, o);
		json_object_unref(o);
	}
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */

/* The "start" request's settings into @c (strings owned by @o). */
static bool start_config(JsonObject *a, SlirpConfig *c, GPtrArray *search)
{
	memset(c, 0, sizeof(*c));
	c->in_enabled = true;
	if (!get_addr(a, "net", &c->vnetwork) || !get_addr(a, "mask", &c->vnetmask) ||
	    !get_addr(a, "gateway", &c->vhost) || !get_addr(a, "dns", &c->vnameserver) ||
	    !get_addr(a, "dhcp-start", &c->vdhcp_start))
		return false;
	c->in6_enabled = json_object_get_boolean_member_with_default(a, "ipv6", FALSE);
	if (c->in6_enabled && (!get_addr6(a, "prefix6", &c->vprefix_addr6) ||
			       !get_addr6(a, "gateway6", &c->vhost6) ||
			       !get_addr6(a, "dns6", &c->vnameserver6)))
		return false;
	c->vprefix_len = 64;
	if (json_object_has_member(a, "dns-search") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(a, "dns-search"))) {
		JsonArray *l = json_object_get_array_member(a, "dns-search");

		for (guint i = 0; i < json_array_get_length(l) && i < 64; i++) {
			const char *s = json_node_get_string(json_array_get_element(l, i));

			if (s)
				g_ptr_array_add(search, (gpointer)s);
		}
		g_ptr_array_add(search, NULL);
		c->vdnssearch = (const char **)search->pdata;
	}
	if (json_object_has_member(a, "domain"))
		c->vdomainname = json_object_get_string_member_with_default(a, "domain", NULL);
	/* The guests' MTU: natd_new() gives libslirp a link MTU of its own. */
	c->if_mtu = (size_t)json_object_get_int_member_with_default(a, "mtu", 1500);
	c->disable_host_loopback = !json_object_get_boolean_member_with_default(a, "host-loopback",
										 FALSE);
	return true;
}

static void start_leases(struct natd_proc *p, JsonObject *a)
{
	const char *b64 = json_object_get_string_member_with_default(a, "leases", NULL);
	gint64 version = json_object_get_int_member_with_default(a, "leases-version", -1);
	g_autoptr(GBytes) b = NULL;
	guchar *data;
	gsize len;

	if (!b64 || !*b64)
		return;
	data = g_base64_decode(b64, &len);
	b = g_bytes_new_take(data, len);
	if (natd_leases_load(p->nat, (int)version, b) < 0)
		say("the saved DHCP leases do not fit this libslirp: they start empty");
}

/* Listen for the forwards of "start"; the reply says what failed. */
static void start_fwds(struct natd_proc *p, JsonObject *a, JsonBuilder *b)
{
	JsonArray *l = NULL;

	if (json_object_has_member(a, "fwds") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(a, "fwds")))
		l = json_object_get_array_member(a, "fwds");
	json_builder_set_member_name(b, "fwds");
	json_builder_begin_array(b);
	for (guint i = 0; l && i < json_array_get_length(l); i++) {
		JsonNode *n = json_array_get_element(l, i);
		struct in_addr host, guest;
		uint16_t hport, gport;
		bool udp;
		int rc = -EINVAL;

		if (JSON_NODE_HOLDS_OBJECT(n) &&
		    get_fwd(json_node_get_object(n), &udp, &host, &hport, &guest, &gport))
			rc = natd_fwd_add(p->nat, udp, host, hport, guest, gport);
		json_builder_add_int_value(b, rc < 0 ? -rc : 0);
	}
	json_builder_end_array(b);
}

/* Wait (bounded) for the "start" request; Return: it, or NULL. */
static JsonObject *wait_start(int fd, gint64 *id)
{
	gint64 end = g_get_monotonic_time() + START_TIMEOUT_MS * 1000;

	while (g_get_monotonic_time() < end) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		bool eof;
		JsonObject *o;

		if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
			return NULL;
		o = read_msg(fd, &eof);
		if (eof)
			return NULL;
		if (!o)
			continue;
		if (!strcmp(json_object_get_string_member_with_default(o, "cmd", ""), "start") &&
		    json_object_has_member(o, "args") &&
		    JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "args"))) {
			*id = json_object_get_int_member_with_default(o, "id", 0);
			return o;
		}
		json_object_unref(o);
	}
	return NULL;
}

static bool map_port(struct natd_proc *p, int memfd, uint64_t size)
{
	struct vsw_shm_hdr hdr;
	struct stat st;

	if (fstat(memfd, &st) < 0 || (uint64_t)st.st_size != size || size < sizeof(hdr) ||
	    size > 2ull * VSW_DATA_SIZE_MAX + 65536)
		return false;
	p->shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p->shm == MAP_FAILED) {
		p->shm = NULL;
		return false;
	}
	p->shm_size = size;
	memcpy(&hdr, p->shm, sizeof(hdr));
	if (vsw_shm_hdr_check(&hdr, size) < 0)
		return false;
	vsw_ring_prod_init(&p->out, (struct vsw_ring *)((uint8_t *)p->shm + hdr.ring_off[VSW_TX]),
			   (uint8_t *)p->shm + hdr.data_off[VSW_TX], hdr.data_size);
	vsw_ring_cons_init(&p->in, (struct vsw_ring *)((uint8_t *)p->shm + hdr.ring_off[VSW_RX]),
			   (uint8_t *)p->shm + hdr.data_off[VSW_RX], hdr.data_size);
	return true;
}

/*
 * Each guest's share of host sockets (nat.h, NATD_SOCKETS_PER_GUEST):
 * natd_sandbox_prepare() raised our soft fd limit to the hard one (at most
 * 8192); a guest may hold NATD_SOCKETS_PER_GUEST sockets, or a quarter of
 * the limit when that is less, so that one guest never holds them all.
 */
static void share_sockets(struct natd_proc *p)
{
	struct rlimit nofile;
	unsigned share = NATD_SOCKETS_PER_GUEST;

	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		nofile.rlim_cur = RLIM_INFINITY;
	if (nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur / 4 < share)
		share = (unsigned)MAX(nofile.rlim_cur / 4, 1);
	natd_set_sockets_per_guest(p->nat, share);
	if (nofile.rlim_cur == RLIM_INFINITY)
		say("fd limit: none; host sockets per guest: at most %u", share);
	else
		say("fd limit: %llu; host sockets per guest: at most %u",
		    (unsigned long long)nofile.rlim_cur, share);
}

static int parse_fd(const char *s)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(s, 10, 3, 1023, &v, NULL))
		return -1;
	return (int)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rpc-fd", required_argument, NULL, 'r' },
		{ "shm-fd", required_argument, NULL, 'm' },
		{ "kick-fd", required_argument, NULL, 'k' },
		{ "wait-fd", required_argument, NULL, 'w' },
		{ "shm-size", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL }
	};
	struct natd_proc p = { .rpc_fd = -1, .kick_fd = -1, .wait_fd = -1 };
	g_autoptr(GPtrArray) search = g_ptr_array_new();
	const char *user = "nobody";
	char why[256] = "";
	int memfd = -1, c;
	guint64 shm_size = 0;
	JsonObject *start;
	JsonBuilder *b;
	SlirpConfig cfg;
	struct nat_source *ns;
	gint64 id = 0;
	int keep[4];

	g_log_set_default_handler(log_handler, NULL);
	g_log_set_writer_func(log_writer, NULL, NULL);
	/*
	 * libslirp writes to its host sockets with send() without
	 * MSG_NOSIGNAL: a server that closes its end while a guest still
	 * sends would kill the helper, and every guest's connections with it
	 * (QEMU and slirp4netns ignore SIGPIPE too).  EPIPE is handled.
	 */
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			p.rpc_fd = parse_fd(optarg);
			break;
		case 'm':
			memfd = parse_fd(optarg);
			break;
		case 'k':
			p.kick_fd = parse_fd(optarg);
			break;
		case 'w':
			p.wait_fd = parse_fd(optarg);
			break;
		case 's':
			g_ascii_string_to_unsigned(optarg, 10, 1, G_MAXUINT32, &shm_size, NULL);
			break;
		case 'u':
			user = optarg;
			break;
		case 'V':
			printf("vswitch-natd %s (libslirp %s)\n", VSW_VERSION_STRING,
			       slirp_version_string());
			return 0;
		default:
			return 2;
		}
	}
	if (p.rpc_fd < 0 || memfd < 0 || p.kick_fd < 0 || p.wait_fd < 0 || !shm_size) {
		say("started by vswitchd only (--rpc-fd, --shm-fd, --kick-fd, --wait-fd, "
		    "--shm-size)");
		return 2;
	}
	keep[0] = p.rpc_fd;
	keep[1] = memfd;
	keep[2] = p.kick_fd;
	keep[3] = p.wait_fd;
	if (natd_sandbox_prepare(keep, 4, user, why, sizeof(why)) < 0) {
		say("cannot give up privileges: %s", why);
		return 1;
	}
	if (!map_port(&p, memfd, shm_size)) {
		say("the port memory vswitchd gave is not usable");
		return 1;
	}
	close(memfd);
	start = wait_start(p.rpc_fd, &id);
	if (!start) {
		say("no start request from vswitchd");
		return 1;
	}
	if (!start_config(json_object_get_object_member(start, "args"), &cfg, search)) {
		reply_errno(&p, id, EINVAL);
		return 1;
	}
	p.nat = natd_new(&cfg, (unsigned)cfg.if_mtu, &nat_ops, &p);
	if (!p.nat) {
		reply_errno(&p, id, EINVAL);
		return 1;
	}
	share_sockets(&p);
	start_leases(&p, json_object_get_object_member(start, "args"));
	b = reply_begin(id);
	start_fwds(&p, json_object_get_object_member(start, "args"), b);
	vsw_json_str(b, "sandbox", why);
	/* The sandbox closes around us before the first frame arrives. */
	if (natd_sandbox_enter(why, sizeof(why)) < 0) {
		say("cannot enter the sandbox: %s", why);
		reply_errno(&p, id, EPERM);
		return 1;
	}
	vsw_json_str(b, "seccomp", why);
	reply_end(&p, b);
	json_object_unref(start);

	p.loop = g_main_loop_new(NULL, FALSE);
	p.pollfds = g_array_new(FALSE, TRUE, sizeof(GPollFD));
	p.merged = g_array_new(FALSE, TRUE, sizeof(GPollFD));
	vsw_cons_arm(&p.in);
	ns = (struct nat_source *)g_source_new(&nat_source_funcs, sizeof(*ns));
	ns->p = &p;
	p.src = &ns->source;
	g_source_set_name(p.src, "vswitch-nat");
	p.wait_tag = g_source_add_unix_fd(p.src, p.wait_fd, G_IO_IN);
	g_source_attach(p.src, NULL);
	poll_owner = &p;
	g_main_context_set_poll_func(NULL, nat_poll);
	g_unix_fd_add(p.rpc_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_rpc, &p);
	g_timeout_add_seconds(1, tick_cb, &p);
	g_main_loop_run(p.loop);

	if (p.leases_src)
		send_leases(&p);
	g_main_context_set_poll_func(NULL, NULL);
	g_source_destroy(p.src);
	g_source_unref(p.src);
	natd_free(p.nat);
	g_array_free(p.pollfds, TRUE);
	g_array_free(p.merged, TRUE);
	g_main_loop_unref(p.loop);
	munmap(p.shm, p.shm_size);
	return p.in_broken ? 1 : 0;
}
