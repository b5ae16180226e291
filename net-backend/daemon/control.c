// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control.c - the control socket: connections, their roles and limits,
 * requests and replies.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Every client is a non-blocking connection on the main loop.  A request
 * is one line (proto.c parses it); the command table (commands.c) names
 * each command's role and arguments, and anything else is refused.  Rules
 * (docs/design.md, "Bounded resources"):
 *   - The socket is created with its final mode: bound under umask 0177
 *     (so 0600 from the first instant), then given to --socket-group and
 *     opened to 0660, never the other way round.
 *   - Connections are bounded in all (max_conns, fitted to the fd limit)
 *     and per user (max_conns_per_user; administrators are not counted),
 *     counting the user's closes still pending (closer.c: a peer can make
 *     a close slow); while too many closes are pending in all, the daemon
 *     does not accept for a moment.  A connection over a bound is shut at
 *     once.  When accept() fails for
 *     want of fds, the daemon stops accepting for a moment instead of
 *     spinning, and starts again when a connection closes.
 *   - A connection that owns no port and completes no request for
 *     idle_timeout_s is closed.
 *   - A request longer than VSWD_LINE_MAX, or a client that leaves more
 *     than OUT_MAX of replies unread, is disconnected.
 *   - Closing a connection removes every source of it at once: a hung-up
 *     fd is never polled again, and its memory is freed from the main
 *     loop after the handler that closed it has returned.
 * No client can make the daemon block, spin or grow without bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "control.h"
#include "json-member.h"
#include "proto.h"

#define OUT_MAX			(1024 * 1024)	/* unread replies before we give up */
#define ACCEPT_RETRY_MS		100
#define REFUSAL_LOG_US		(10 * G_USEC_PER_SEC)
#define CLOSE_FLUSH_MS		1000

const int vswd_pending_marker;

struct vswd_control {
	struct vswd *d;
	int listen_fd;
	guint listen_src;
	guint retry_src;		/* accepting paused after EMFILE */
	GList *conns;
	unsigned nconns;
	GHashTable *user_conns;		/* uid -> connections of non-administrators */
	GPtrArray *shut;		/* shut connections, freed from the main loop */
	guint reap_src;
	struct vsw_log_rate refusal_log;
	uint64_t refused;
};

struct vswd_pending {
	struct vswd_conn *c;
	JsonNode *id;
	guint nat_req;
	void *data;
	GDestroyNotify free_data;
};

struct vswd_conn {
	struct vswd_control *ctl;
	int fd;
	guint src;			/* input */
	guint out_src;			/* output waiting for room */
	guint idle_src;			/* idle timeout */
	guint close_src;		/* closing: give up flushing */
	GString *in;
	GString *out;
	struct vswd_peer peer;
	struct vswd_port *port;		/* the port it owns, or NULL */
	struct vswd_incoming *incoming;	/* or the incoming port it holds */
	int fds[3];			/* fds to send with the next reply */
	bool send_fds;
	bool closing;			/* flushing its last output, reading nothing */
	bool dead;			/* shut; freed from the main loop */
	bool counted;			/* in user_conns */
	struct vswd_pending *pending;	/* a request answered later */
	JsonNode *cur_id;		/* the id of the request being handled (borrowed) */
	guint resume_src;		/* read the buffered requests again */
};

static void conn_shut(struct vswd_conn *c);
static void process_input(struct vswd_conn *c);

/* ------------------------------------------------------------------ */
/* Output                                                              */

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

static void conn_flush(struct vswd_conn *c)
{
	while (c->out->len) {
		ssize_t n = send(c->fd, c->out->str, c->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			g_string_truncate(c->out, 0);
			c->closing = true;
			break;
		}
		g_string_erase(c->out, 0, n);
	}
	if (c->out->len && !c->out_src)
		c->out_src = g_unix_fd_add(c->fd, G_IO_OUT, on_writable, c);
	else if (!c->out->len && c->out_src) {
		g_source_remove(c->out_src);
		c->out_src = 0;
	}
	/* A closing connection goes once its last words are out. */
	if (c->closing && !c->out->len)
		conn_shut(c);
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
	/* conn_flush() removes this source once all is out (or shuts c). */
	conn_flush(data);
	return G_SOURCE_CONTINUE;
}

/* Send @line, with the pending fds if any (they ride on its first byte). */
static void conn_send(struct vswd_conn *c, const char *line)
{
	if (c->dead)
		return;
	if (c->send_fds && !c->out->len) {
		char cbuf[CMSG_SPACE(sizeof(c->fds))];
		struct iovec iov = { (void *)line, strlen(line) };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		ssize_t n;

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(c->fds));
		memcpy(CMSG_DATA(cm), c->fds, sizeof(c->fds));
		do {
			n = sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		} while (n < 0 && errno == EINTR);
		for (int i = 0; i < 3; i++) {
			close(c->fds[i]);
			c->fds[i] = -1;
		}
		c->send_fds = false;
		if (n < 0) {
			/* A fresh connection's buffer is empty: this is no EAGAIN. */
			c->closing = true;
			conn_flush(c);
			return;
		}
		line += n;
	}
	/* Replies to earlier requests still unread: the client reads no replies. */
	if (c->out->len > OUT_MAX) {
		static struct vsw_log_rate rate;
		unsigned missed;

		if (vswd_log_rate_ok(&rate, &missed))
			g_warning("client pid %d reads no replies: disconnecting it%s",
				  (int)c->peer.pid, missed ? " (and others before, not logged)" : "");
		g_string_truncate(c->out, 0);
		c->closing = true;
		conn_flush(c);
		return;
	}
	g_string_append(c->out, line);
	conn_flush(c);
}

static void conn_reply(struct vswd_conn *c, JsonNode *ret, const GError *e, JsonNode *id)
{
	g_autofree char *line = e ? vswd_reply_error(e, id) : vswd_reply_ok(ret, id);

	conn_send(c, line);
}

/* ------------------------------------------------------------------ */
/* Life of a connection                                                */

static void pending_free(struct vswd_pending *p)
{
	if (p->id)
		json_node_unref(p->id);
	if (p->free_data)
		p->free_data(p->data);
	g_free(p);
}

static void conn_free(gpointer data)
{
	struct vswd_conn *c = data;

	g_string_free(c->in, TRUE);
	g_string_free(c->out, TRUE);
	g_free(c);
}

static gboolean reap(gpointer data)
{
	struct vswd_control *ctl = data;

	ctl->reap_src = 0;
	g_ptr_array_set_size(ctl->shut, 0);
	return G_SOURCE_REMOVE;
}

static gboolean retry_accept(gpointer data);

/*
 * Take @c out of service now: every source removed, its port detached,
 * its fd closed.  Its memory goes from the main loop, so a handler of @c
 * may call this.  Idempotent.
 */
static void conn_shut(struct vswd_conn *c)
{
	struct vswd_control *ctl = c->ctl;

	if (c->dead)
		return;
	c->dead = true;
	if (c->src)
		g_source_remove(c->src);
	if (c->out_src)
		g_source_remove(c->out_src);
	if (c->idle_src)
		g_source_remove(c->idle_src);
	if (c->close_src)
		g_source_remove(c->close_src);
	if (c->resume_src)
		g_source_remove(c->resume_src);
	c->src = c->out_src = c->idle_src = c->close_src = c->resume_src = 0;
	if (c->pending) {
		if (c->pending->nat_req)
			vswd_nat_cancel(ctl->d, c->pending->nat_req);
		pending_free(c->pending);
		c->pending = NULL;
	}
	if (c->port)
		vswd_port_detach(ctl->d, c->port);
	c->port = NULL;
	vswd_incoming_free(c->incoming);
	c->incoming = NULL;
	for (int i = 0; i < 3; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	/* Unread messages may hold descriptors whose close blocks: closer.c. */
	vswd_close_peer(c->peer.uid, c->fd);
	ctl->conns = g_list_remove(ctl->conns, c);
	ctl->nconns--;
	if (c->counted) {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(ctl->user_conns,
							       GUINT_TO_POINTER(c->peer.uid)));

		if (n <= 1)
			g_hash_table_remove(ctl->user_conns, GUINT_TO_POINTER(c->peer.uid));
		else
			g_hash_table_insert(ctl->user_conns, GUINT_TO_POINTER(c->peer.uid),
					    GUINT_TO_POINTER(n - 1));
	}
	/* A slot is free: accept again at once if we had paused. */
	if (ctl->retry_src) {
		g_source_remove(ctl->retry_src);
		ctl->retry_src = 0;
		retry_accept(ctl);
	}
	g_ptr_array_add(ctl->shut, c);
	if (!ctl->reap_src)
		ctl->reap_src = g_idle_add(reap, ctl);
}

static gboolean close_timeout(gpointer data)
{
	struct vswd_conn *c = data;

	c->close_src = 0;
	conn_shut(c);
	return G_SOURCE_REMOVE;
}

/*
 * Read no more from @c, send what it has to hear, then close it (within
 * CLOSE_FLUSH_MS whatever it does).
 */
static void conn_close_soon(struct vswd_conn *c)
{
	if (c->dead)
		return;
	c->closing = true;
	if (c->src)
		g_source_remove(c->src);
	c->src = 0;
	if (c->resume_src)
		g_source_remove(c->resume_src);
	c->resume_src = 0;
	if (!c->close_src)
		c->close_src = g_timeout_add(CLOSE_FLUSH_MS, close_timeout, c);
	conn_flush(c);
}

static gboolean idle_timeout(gpointer data)
{
	static struct vsw_log_rate idle_rate;
	struct vswd_conn *c = data;
	unsigned missed;

	c->idle_src = 0;
	if (c->port || c->incoming || c->pending) {
		/* Port owners may stay silent; the timer starts again when they are done. */
		return G_SOURCE_REMOVE;
	}
	if (vswd_log_rate_ok(&idle_rate, &missed))
		g_message("client pid %d (uid %u) sent no complete request for %u s: closing it%s",
			  (int)c->peer.pid, (unsigned)c->peer.uid, c->ctl->d->cfg.idle_timeout_s,
			  missed ? " (and others before, not logged)" : "");
	conn_shut(c);
	return G_SOURCE_REMOVE;
}

static void idle_restart(struct vswd_conn *c)
{
	if (c->idle_src)
		g_source_remove(c->idle_src);
	c->idle_src = 0;
	if (!c->port && !c->incoming && !c->pending && c->ctl->d->cfg.idle_timeout_s)
		c->idle_src = g_timeout_add_seconds(c->ctl->d->cfg.idle_timeout_s,
						    idle_timeout, c);
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

static const struct vswd_command *find_command(const char *name)
{
	for (const struct vswd_command *c = vswd_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void handle_line(struct vswd_conn *c, const char *line, size_t len)
{
	g_autoptr(GError) e = NULL;
	struct vswd_request req;
	const struct vswd_command *cmd;
	JsonNode *ret = NULL;

	if (!vswd_request_parse(line, len, &req, &e)) {
		conn_reply(c, NULL, e, req.id);
		vswd_request_clear(&req);
		return;
	}
	cmd = find_command(req.execute);
	if (!cmd) {
		g_set_error(&e, VSWD_ERROR, VSWD_ERR_COMMAND_NOT_FOUND,
			    "unknown command '%.64s'", req.execute);
	} else if (cmd->role == VSWD_ROLE_ADMIN && !c->peer.admin) {
		g_set_error(&e, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "'%s' is for administrators: uid %u is a port client",
			    cmd->name, (unsigned)c->peer.uid);
	} else if (vswd_args_check(req.args, cmd->name, cmd->args, &e)) {
		c->cur_id = req.id;
		ret = cmd->fn(c->ctl->d, c, req.args, &e);
		c->cur_id = NULL;
		if (ret == VSWD_PENDING) {
			/* Answered later (perhaps already): vswd_pending_finish(). */
			vswd_request_clear(&req);
			return;
		}
		if (!ret && !e)
			g_set_error(&e, VSWD_ERROR, VSWD_ERR_GENERIC, "'%s' failed", cmd->name);
	}
	if (ret && JSON_NODE_HOLDS_NULL(ret)) {
		json_node_unref(ret);
		ret = NULL;
	}
	conn_reply(c, ret, ret ? NULL : e, req.id);
	if (ret)
		json_node_unref(ret);
	vswd_request_clear(&req);
}

/* Handle the complete lines buffered, unless a request is pending. */
static void process_input(struct vswd_conn *c)
{
	char *nl;

	while (!c->dead && !c->closing && !c->pending &&
	       (nl = memchr(c->in->str, '\n', c->in->len))) {
		size_t len = (size_t)(nl - c->in->str);

		handle_line(c, c->in->str, len);
		g_string_erase(c->in, 0, (gssize)len + 1);
		idle_restart(c);
	}
	if (c->dead || c->closing || c->pending)
		return;
	if (c->in->len > VSWD_LINE_MAX) {
		g_autoptr(GError) e = g_error_new(VSWD_ERROR, VSWD_ERR_PROTOCOL,
						  "request longer than %d bytes: closing",
						  VSWD_LINE_MAX);

		conn_reply(c, NULL, e, NULL);
		conn_close_soon(c);
	}
}

static void refused(struct vswd_control *ctl, const char *why, const struct vswd_peer *p);

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd_conn *c = data;
	bool passed = false;
	char buf[16384];
	ssize_t n;

	/* A request waits for its answer: leave the bytes in the socket. */
	if (c->pending)
		return G_SOURCE_CONTINUE;
	n = vswd_recv(c->fd, c->peer.uid, buf, sizeof(buf), MSG_DONTWAIT, &passed);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (passed)
		refused(c->ctl, "it passed file descriptors: closed", &c->peer);
	if (n <= 0 || passed) {
		c->src = 0;
		conn_shut(c);
		return G_SOURCE_REMOVE;
	}
	g_string_append_len(c->in, buf, n);
	process_input(c);
	if (c->dead || c->closing) {
		c->src = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Services for commands                                               */

const struct vswd_peer *vswd_conn_peer(struct vswd_conn *c)
{
	return &c->peer;
}

struct vswd_port *vswd_conn_port(struct vswd_conn *c)
{
	return c->port;
}

void vswd_conn_attach(struct vswd_conn *c, struct vswd_port *vp, int fds[3])
{
	c->port = vp;
	memcpy(c->fds, fds, sizeof(c->fds));
	c->send_fds = true;
	idle_restart(c);
}

void vswd_conn_attach_incoming(struct vswd_conn *c, struct vswd_incoming *in, int fds[3])
{
	c->incoming = in;
	memcpy(c->fds, fds, sizeof(c->fds));
	c->send_fds = true;
	idle_restart(c);
}

void vswd_conn_adopt(struct vswd_conn *c, struct vswd_port *vp)
{
	c->port = vp;
	idle_restart(c);
}

struct vswd_incoming *vswd_conn_incoming(struct vswd_conn *c)
{
	return c->incoming;
}

struct vswd_incoming *vswd_conn_take_incoming(struct vswd_conn *c)
{
	struct vswd_incoming *in = c->incoming;

	c->incoming = NULL;
	return in;
}

unsigned vswd_user_incoming(struct vswd *d, uid_t uid)
{
	unsigned n = 0;

	for (GList *l = d->ctl->conns; l; l = l->next) {
		struct vswd_conn *c = l->data;

		n += c->incoming && !c->peer.admin && c->peer.uid == uid;
	}
	return n;
}

void vswd_incoming_free(struct vswd_incoming *in)
{
	if (!in)
		return;
	in->p->ops->destroy(in->p);
	g_free(in);
}

void vswd_conn_detach(struct vswd_conn *c)
{
	if (c->port)
		vswd_port_detach(c->ctl->d, c->port);
	c->port = NULL;
	idle_restart(c);
}

/* The JSON object {switch, port, @key: @value} naming @vp. */
static JsonNode *port_event_data(struct vswd_port *vp, const char *key,
				 const char *svalue, gint64 ivalue)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	vsw_json_str(b, "switch", vp->sw->name);
	vsw_json_str(b, "port", vp->port->name);
	json_builder_set_member_name(b, key);
	if (svalue)
		json_builder_add_string_value(b, svalue);
	else
		json_builder_add_int_value(b, ivalue);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static void owner_vlan_changed(void *owner, struct vswd_port *vp)
{
	struct vswd_conn *c = owner;
	g_autofree char *line = vswd_event_line("PORT_VLAN",
		port_event_data(vp, "vlan", NULL, vp->settings.vlan));

	conn_send(c, line);
}

/* The runtime took the port away: say why, then close the connection. */
static void owner_reset(void *owner, struct vswd_port *vp, const char *reason)
{
	struct vswd_conn *c = owner;
	g_autofree char *line = vswd_event_line("PORT_RESET",
		port_event_data(vp, "reason", reason, 0));

	c->port = NULL;
	conn_send(c, line);
	conn_close_soon(c);
}

/* The port went to its migration destination: say so, then close. */
static void owner_moved(void *owner, struct vswd_port *vp)
{
	struct vswd_conn *c = owner;
	g_autofree char *line = vswd_event_line("PORT_MOVED",
		port_event_data(vp, "reason", "taken over by the migration destination", 0));

	c->port = NULL;
	conn_send(c, line);
	conn_close_soon(c);
}

static const struct vswd_port_owner_ops conn_owner_ops = {
	.vlan_changed = owner_vlan_changed,
	.reset = owner_reset,
	.moved = owner_moved,
};

const struct vswd_port_owner_ops *vswd_conn_owner_ops(void)
{
	return &conn_owner_ops;
}

struct vswd_pending *vswd_conn_defer(struct vswd_conn *c)
{
	c->pending = g_new0(struct vswd_pending, 1);
	c->pending->c = c;
	c->pending->id = c->cur_id ? json_node_copy(c->cur_id) : NULL;
	if (c->idle_src)
		g_source_remove(c->idle_src);
	c->idle_src = 0;
	return c->pending;
}

void vswd_pending_wait_nat(struct vswd_pending *p, guint id)
{
	p->nat_req = id;
}

void vswd_pending_set_data(struct vswd_pending *p, void *data, GDestroyNotify free)
{
	p->data = data;
	p->free_data = free;
}

void *vswd_pending_get_data(struct vswd_pending *p)
{
	return p->data;
}

struct vswd *vswd_pending_daemon(struct vswd_pending *p)
{
	return p->c->ctl->d;
}

static gboolean resume_cb(gpointer data)
{
	struct vswd_conn *c = data;

	c->resume_src = 0;
	process_input(c);
	return G_SOURCE_REMOVE;
}

void vswd_pending_finish(struct vswd_pending *p, JsonNode *ret, const GError *err)
{
	struct vswd_conn *c = p->c;

	if (ret && JSON_NODE_HOLDS_NULL(ret)) {
		json_node_unref(ret);
		ret = NULL;
	}
	/* Ours now: sending may find the client gone and shut the connection. */
	c->pending = NULL;
	conn_reply(c, ret, ret ? NULL : err, p->id);
	if (ret)
		json_node_unref(ret);
	pending_free(p);
	if (c->dead)
		return;
	idle_restart(c);
	/* Requests that arrived meanwhile: from the main loop, not from here. */
	if (!c->dead && !c->closing && !c->resume_src)
		c->resume_src = g_idle_add(resume_cb, c);
}

/* ------------------------------------------------------------------ */
/* Accepting                                                           */

/* Who is at the other end, as the kernel says; Return: false if it cannot say. */
static bool peer_credentials(struct vswd *d, int fd, struct vswd_peer *p)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[VSWD_PEER_GROUPS_MAX];

	memset(p, 0, sizeof(*p));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	p->uid = cr.uid;
	p->gid = cr.gid;
	p->pid = cr.pid;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		p->ngroups = len / sizeof(gid_t);
		memcpy(p->groups, groups, len);
	} else if (errno == ERANGE) {
		/* More groups than we keep: those we have, the rest unknown. */
		p->ngroups = 0;
	}
	p->admin = p->uid == 0 || (!d->root && p->uid == d->admin_uid) ||
		   (d->admin_gid != VSWD_NO_ID && vswd_peer_in_group(p, (gid_t)d->admin_gid));
	return true;
}

/* Log a refused connection, at most once every REFUSAL_LOG_US. */
static void refused(struct vswd_control *ctl, const char *why, const struct vswd_peer *p)
{
	unsigned dropped;

	ctl->refused++;
	if (!vsw_log_rate_ok(&ctl->refusal_log, 1, REFUSAL_LOG_US, &dropped))
		return;
	g_warning("refusing a connection (uid %u, pid %d): %s (%" G_GUINT64_FORMAT
		  " refused so far)", p ? (unsigned)p->uid : 0u, p ? (int)p->pid : 0, why,
		  ctl->refused);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data);

static gboolean retry_accept(gpointer data)
{
	struct vswd_control *ctl = data;

	ctl->retry_src = 0;
	if (!ctl->listen_src)
		ctl->listen_src = g_unix_fd_add(ctl->listen_fd, G_IO_IN, on_accept, ctl);
	return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd_control *ctl = data;
	struct vswd *d = ctl->d;
	g_autofree char *greeting = NULL;
	struct vswd_peer peer;
	struct vswd_conn *c;
	guint live, mine;
	int cfd;

	/*
	 * Closes a peer made slow hold descriptors of ours (closer.c): past a
	 * quarter of the connection bound, wait for them before accepting.
	 */
	if (vswd_closer_pending_total() >= MAX(d->cfg.max_conns / 4, 64u)) {
		refused(ctl, "too many closes pending: not accepting for a moment", NULL);
		ctl->listen_src = 0;
		ctl->retry_src = g_timeout_add(ACCEPT_RETRY_MS, retry_accept, ctl);
		return G_SOURCE_REMOVE;
	}
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of fds: the connection stays queued; pause, do not spin. */
			refused(ctl, "out of file descriptors: not accepting for a moment", NULL);
			ctl->listen_src = 0;
			ctl->retry_src = g_timeout_add(ACCEPT_RETRY_MS, retry_accept, ctl);
			return G_SOURCE_REMOVE;
		}
		return G_SOURCE_CONTINUE;
	}
	vswd_refuse_fds(cfd);
	/*
	 * A message sent before accept() may hold a descriptor whose close
	 * blocks: refused sockets are closed by vswd_close_peer() too.
	 */
	if (!peer_credentials(d, cfd, &peer)) {
		refused(ctl, "no peer credentials", NULL);
		vswd_close_peer(VSWD_OWNER_UNKNOWN, cfd);
		return G_SOURCE_CONTINUE;
	}
	/* Closes still pending count: they hold descriptors of ours. */
	live = GPOINTER_TO_UINT(g_hash_table_lookup(ctl->user_conns, GUINT_TO_POINTER(peer.uid)));
	mine = live + vswd_closer_pending(peer.uid);
	if (ctl->nconns >= d->cfg.max_conns) {
		refused(ctl, "too many connections (vswitchd --max-connections)", &peer);
		vswd_close_peer(peer.uid, cfd);
		return G_SOURCE_CONTINUE;
	}
	if (!peer.admin && mine >= d->cfg.max_conns_per_user) {
		refused(ctl, "too many connections of this user (vswitchd "
			"--max-connections-per-user)", &peer);
		vswd_close_peer(peer.uid, cfd);
		return G_SOURCE_CONTINUE;
	}
	c = g_new0(struct vswd_conn, 1);
	c->ctl = ctl;
	c->fd = cfd;
	c->peer = peer;
	c->in = g_string_new(NULL);
	c->out = g_string_new(NULL);
	c->fds[0] = c->fds[1] = c->fds[2] = -1;
	c->src = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, c);
	ctl->conns = g_list_prepend(ctl->conns, c);
	ctl->nconns++;
	if (!peer.admin) {
		c->counted = true;
		g_hash_table_insert(ctl->user_conns, GUINT_TO_POINTER(peer.uid),
				    GUINT_TO_POINTER(live + 1));
	}
	idle_restart(c);
	greeting = vswd_greeting();
	conn_send(c, greeting);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* The socket                                                          */

/* Refuse to start over a live daemon; remove a stale socket. */
static bool socket_free(const char *path, GError **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "another vswitchd listens on %s", path);
		return false;
	}
	close(fd);
	if (unlink(path) < 0 && errno != ENOENT) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
			    "cannot remove stale socket %s: %s", path, g_strerror(errno));
		return false;
	}
	return true;
}

/* Create, bind and listen, with the socket's final mode from the first instant. */
static int listen_on(struct vswd *d, GError **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = d->cfg.sock_path;
	g_autofree char *dir = g_path_get_dirname(path);
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "socket path %s is too long", path);
		return -1;
	}
	if (g_mkdir_with_parents(dir, d->root ? 0755 : 0700) < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot create %s: %s", dir,
			    g_strerror(errno));
		return -1;
	}
	if (!socket_free(path, err))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "socket: %s", g_strerror(errno));
		return -1;
	}
	/* 0600 from the start, whatever umask we were given. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	/* Linux 6.16: sockets accepted from it inherit this as they connect. */
	vswd_refuse_fds(fd);
	if (rc < 0 || listen(fd, 128) < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot listen on %s: %s",
			    path, g_strerror(errno));
		close(fd);
		return -1;
	}
	if (d->cfg.sock_group) {
		struct group *gr = getgrnam(d->cfg.sock_group);

		/* Group first, then 0660: never open to the wrong group. */
		if (!gr || chown(path, (uid_t)-1, gr->gr_gid) < 0 || chmod(path, 0660) < 0) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "cannot give %s to group '%s': %s", path, d->cfg.sock_group,
				    gr ? g_strerror(errno) : "no such group");
			close(fd);
			unlink(path);
			return -1;
		}
	}
	return fd;
}

bool vswd_control_start(struct vswd *d, GError **err)
{
	struct vswd_control *ctl = g_new0(struct vswd_control, 1);

	ctl->d = d;
	ctl->user_conns = g_hash_table_new(g_direct_hash, g_direct_equal);
	ctl->shut = g_ptr_array_new_with_free_func(conn_free);
	d->ctl = ctl;
	ctl->listen_fd = listen_on(d, err);
	if (ctl->listen_fd < 0)
		return false;
	return true;
}

void vswd_control_serve(struct vswd *d)
{
	d->ctl->listen_src = g_unix_fd_add(d->ctl->listen_fd, G_IO_IN, on_accept, d->ctl);
}

void vswd_control_stop(struct vswd *d)
{
	struct vswd_control *ctl = d->ctl;

	if (!ctl)
		return;
	while (ctl->conns)
		conn_shut(ctl->conns->data);
	if (ctl->listen_src)
		g_source_remove(ctl->listen_src);
	if (ctl->retry_src)
		g_source_remove(ctl->retry_src);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		/* Gone already if the directory is not ours any more: fine. */
		unlink(d->cfg.sock_path);
	}
	if (ctl->reap_src)
		g_source_remove(ctl->reap_src);
	g_ptr_array_unref(ctl->shut);
	g_hash_table_unref(ctl->user_conns);
	g_free(ctl);
	d->ctl = NULL;
}
