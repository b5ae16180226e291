// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * natsup.c - the Default switch's NAT: starts vswitch-natd, talks to it,
 * restarts it when it dies.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The NAT (libslirp) runs in its own sandboxed process (natd/main.c says
 * why and how).  To the switch it is a port client like a QEMU: its port
 * "nat" on the Default switch is an ordinary shared-memory port whose peer
 * happens to be our child, locked to libslirp's MAC addresses (52:55 and
 * 52:56), which no other port may use.  We talk to it over a SOCK_SEQPACKET
 * socket pair, one JSON object per message:
 *
 *   us -> it   {"cmd": "start", "id": N, "args": {settings, "fwds": [...],
 *                        "leases": BASE64, "leases-version": V}}
 *              {"cmd": "fwd-add" | "fwd-remove", "id": N, "args": {"udp",
 *                        "host-addr", "host-port", "guest-addr", "guest-port"}}
 *              {"cmd": "stats" | "connections", "id": N}
 *   it -> us   {"id": N, "ok": true, ...} or {"id": N, "errno": E, "error": TEXT}
 *              {"event": "leases", "version": V, "data": BASE64}
 *
 * Rules:
 *   - We never wait for the helper: every message goes out with
 *     MSG_DONTWAIT, every request has a deadline (REQUEST_TIMEOUT_MS), and
 *     its answer arrives on the main loop.  A helper that does not answer
 *     in time, fills its socket, sends nonsense or corrupts its ring is
 *     killed (by pid: it is our child) and started again.
 *   - A helper that dies is started again after a back-off: 100 ms,
 *     doubling to 5 s while it keeps dying within a minute.  Guests see a
 *     short outage of the NAT, nothing else; the switch and its other
 *     ports never notice.
 *   - What the helper says is untrusted: messages are bounded, parsed
 *     strictly, and its lease table is only stored and given back.
 *   - The forwards in the model are what the helper should have; each
 *     forward's state (listening, or why not) is what it last answered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "json-member.h"
#include "port-shm.h"
#include "store.h"
#include "vswitchd.h"

#define NAT_PORT_NAME		"nat"
#define MSG_MAX			(64 * 1024)
#define REQUEST_TIMEOUT_MS	3000
#define RESTART_MIN_MS		100
#define RESTART_MAX_MS		5000
#define STABLE_US		(60 * G_USEC_PER_SEC)
#define STOP_WAIT_MS		1000
#define LEASES_MAGIC		"VSWNATL1"
#define LEASES_MAX		(64 * 1024)

struct leases_hdr {
	char magic[8];
	uint32_t version;	/* slirp_state_version() */
	uint32_t net;		/* the settings the table belongs to */
	uint32_t mask;
	uint32_t dhcp_start;
};

/* A request waiting for the helper's answer. */
struct nat_req {
	struct vswd_natsup *ns;
	guint id;
	vswd_nat_done_fn done;
	void *data;
	guint timer;
};

/* A forward as the helper has it: active, or the errno of its refusal. */
struct fwd_state {
	struct vswd_mfwd f;
	int err;
};

struct vswd_natsup {
	struct vswd *d;
	GPid pid;
	int rpc_fd;
	guint rpc_src;
	guint child_src;
	struct vswd_port *vp;
	bool running;			/* the helper answered "start" */
	bool stopping;			/* we killed it on purpose */
	guint next_id;
	guint start_id;
	GHashTable *reqs;		/* id -> struct nat_req */
	GArray *fwds;			/* struct fwd_state: what the helper has */
	GBytes *leases;			/* its last lease table */
	int leases_version;
	guint restart_src;
	guint backoff_ms;
	gint64 started_us;
	uint64_t restarts;
	uint64_t crashes;
};

static void helper_start(struct vswd_natsup *ns);
static void helper_lost(struct vswd_natsup *ns, const char *why);

/* ------------------------------------------------------------------ */
/* Leases file                                                         */

static char *leases_path(struct vswd *d)
{
	return g_build_filename(d->cfg.state_dir, VSWD_LEASES_FILE, NULL);
}

static void leases_hdr_fill(const struct vswd_nat_settings *s, int version,
			    struct leases_hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, LEASES_MAGIC, sizeof(h->magic));
	h->version = (uint32_t)version;
	h->net = s->net.s_addr;
	h->mask = s->mask.s_addr;
	h->dhcp_start = s->dhcp_start.s_addr;
}

static void leases_save(struct vswd_natsup *ns)
{
	g_autofree char *path = leases_path(ns->d);
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_autoptr(GError) e = NULL;
	struct leases_hdr h;
	gsize len;
	const guint8 *data;

	if (!ns->leases)
		return;
	data = g_bytes_get_data(ns->leases, &len);
	leases_hdr_fill(&ns->d->model->nat, ns->leases_version, &h);
	g_byte_array_append(buf, (const guint8 *)&h, sizeof(h));
	g_byte_array_append(buf, data, (guint)len);
	if (!vswd_store_write(path, buf->data, buf->len, &e))
		g_warning("cannot save the NAT's DHCP leases: %s", e->message);
}

/* The table saved for the current settings; it may be for another libslirp. */
static void leases_load(struct vswd_natsup *ns)
{
	g_autofree char *path = leases_path(ns->d);
	g_autofree char *data = NULL;
	g_autoptr(GError) e = NULL;
	struct leases_hdr want, got;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, &e)) {
		if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning("cannot read the NAT's DHCP leases: %s", e->message);
		return;
	}
	if (len < sizeof(got) || len > sizeof(got) + LEASES_MAX)
		goto other;
	memcpy(&got, data, sizeof(got));
	leases_hdr_fill(&ns->d->model->nat, (int)got.version, &want);
	if (memcmp(&got, &want, sizeof(got)))
		goto other;
	ns->leases = g_bytes_new(data + sizeof(got), len - sizeof(got));
	ns->leases_version = (int)got.version;
	return;
other:
	g_message("%s is for other NAT settings: DHCP leases start empty", path);
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static bool send_msg(struct vswd_natsup *ns, JsonBuilder *b)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *text = json_to_string(root, FALSE);
	size_t len = strlen(text);

	if (ns->rpc_fd < 0)
		return false;
	if (len > MSG_MAX || send(ns->rpc_fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* Its socket is full: it does not read, it is stuck. */
		helper_lost(ns, "it does not read its requests");
		return false;
	}
	return true;
}

static gboolean req_timeout(gpointer data)
{
	struct nat_req *r = data;

	r->timer = 0;
	helper_lost(r->ns, "it did not answer in time");
	return G_SOURCE_REMOVE;
}

static void req_free(gpointer data)
{
	struct nat_req *r = data;

	if (r->timer)
		g_source_remove(r->timer);
	g_free(r);
}

/* Finish request @r with @reply or @err, and forget it. */
static void req_done(struct vswd_natsup *ns, struct nat_req *r, JsonObject *reply,
		     const GError *err)
{
	vswd_nat_done_fn done = r->done;
	void *data = r->data;

	g_hash_table_steal(ns->reqs, GUINT_TO_POINTER(r->id));
	req_free(r);
	if (done)
		done(data, reply, err);
}

/* Send a request; Return: its id (0 if it could not be sent: @done then runs later). */
static guint req_send(struct vswd_natsup *ns, const char *cmd, JsonNode *args,
		      vswd_nat_done_fn done, void *data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct nat_req *r = g_new0(struct nat_req, 1);

	r->ns = ns;
	r->id = ++ns->next_id ? ns->next_id : ++ns->next_id;
	r->done = done;
	r->data = data;
	json_builder_begin_object(b);
	vsw_json_str(b, "cmd", cmd);
	vsw_json_int(b, "id", r->id);
	if (args) {
		json_builder_set_member_name(b, "args");
		json_builder_add_value(b, args);
	}
	json_builder_end_object(b);
	g_hash_table_insert(ns->reqs, GUINT_TO_POINTER(r->id), r);
	r->timer = g_timeout_add(REQUEST_TIMEOUT_MS, req_timeout, r);
	send_msg(ns, b);	/* on failure helper_lost() fails every request */
	return r->id;
}

static JsonNode *fwd_json(const struct vswd_mfwd *f)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	char a[INET_ADDRSTRLEN];

	json_builder_begin_object(b);
	vsw_json_bool(b, "udp", f->udp);
	vsw_json_str(b, "host-addr", inet_ntop(AF_INET, &f->host_addr, a, sizeof(a)));
	vsw_json_int(b, "host-port", f->host_port);
	vsw_json_str(b, "guest-addr", inet_ntop(AF_INET, &f->guest_addr, a, sizeof(a)));
	vsw_json_int(b, "guest-port", f->guest_port);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* ------------------------------------------------------------------ */
/* Forwards                                                            */

static struct fwd_state *fwd_state(struct vswd_natsup *ns, const struct vswd_mfwd *f)
{
	for (guint i = 0; i < ns->fwds->len; i++) {
		struct fwd_state *s = &g_array_index(ns->fwds, struct fwd_state, i);

		if (s->f.udp == f->udp && s->f.host_addr.s_addr == f->host_addr.s_addr &&
		    s->f.host_port == f->host_port)
			return s;
	}
	return NULL;
}

static void fwd_set(struct vswd_natsup *ns, const struct vswd_mfwd *f, int err)
{
	struct fwd_state *s = fwd_state(ns, f);
	struct fwd_state n = { *f, err };

	if (s)
		*s = n;
	else
		g_array_append_val(ns->fwds, n);
}

static void fwd_forget(struct vswd_natsup *ns, const struct vswd_mfwd *f)
{
	struct fwd_state *s = fwd_state(ns, f);

	if (s)
		g_array_remove_index(ns->fwds, (guint)(s - (struct fwd_state *)(void *)ns->fwds->data));
}

/* The helper's errno of a reply, or 0 if it is a success. */
static int reply_errno(JsonObject *reply)
{
	gint64 e;

	if (json_object_get_boolean_member_with_default(reply, "ok", FALSE))
		return 0;
	e = json_object_get_int_member_with_default(reply, "errno", EPROTO);
	return e > 0 && e < 4096 ? (int)e : EPROTO;
}

struct fwd_ctx {
	struct vswd_natsup *ns;
	struct vswd_mfwd f;
	bool add;
	vswd_nat_done_fn done;
	void *data;
};

static void fwd_answered(void *data, JsonObject *reply, const GError *err)
{
	struct fwd_ctx *c = data;

	if (reply) {
		int e = reply_errno(reply);

		if (c->add)
			fwd_set(c->ns, &c->f, e);
		else if (!e || e == ENOENT)
			fwd_forget(c->ns, &c->f);
	}
	if (c->done)
		c->done(c->data, reply, err);
	g_free(c);
}

static guint fwd_request(struct vswd_natsup *ns, const struct vswd_mfwd *f, bool add,
			 vswd_nat_done_fn done, void *data)
{
	struct fwd_ctx *c = g_new0(struct fwd_ctx, 1);

	c->ns = ns;
	c->f = *f;
	c->add = add;
	c->done = done;
	c->data = data;
	return req_send(ns, add ? "fwd-add" : "fwd-remove", fwd_json(f), fwd_answered, c);
}

void vswd_nat_fwds_changed(struct vswd *d)
{
	struct vswd_natsup *ns = d->nat;

	if (!ns || !ns->running)
		return;		/* "start" carries the model's forwards */
	for (guint i = ns->fwds->len; i-- > 0;) {
		struct fwd_state s = g_array_index(ns->fwds, struct fwd_state, i);
		const struct vswd_mfwd *m = vswd_model_fwd_find(d->model, s.f.udp,
								s.f.host_addr, s.f.host_port);

		if (m && vswd_mfwd_equal(m, &s.f))
			continue;
		if (s.err)
			fwd_forget(ns, &s.f);
		else
			fwd_request(ns, &s.f, false, NULL, NULL);
	}
	for (guint i = 0; i < d->model->fwds->len; i++) {
		const struct vswd_mfwd *f = d->model->fwds->pdata[i];
		const struct fwd_state *s = fwd_state(ns, f);

		if (!s || !vswd_mfwd_equal(&s->f, f))
			fwd_request(ns, f, true, NULL, NULL);
	}
}

bool vswd_nat_fwd_status(struct vswd *d, const struct vswd_mfwd *f, const char **why)
{
	const struct fwd_state *s = d->nat ? fwd_state(d->nat, f) : NULL;

	*why = NULL;
	if (!s || !d->nat->running || !vswd_mfwd_equal(&s->f, f)) {
		*why = d->nat && d->nat->running ? "being set up" : "the NAT is not running";
		return false;
	}
	if (s->err)
		*why = g_strerror(s->err);
	return !s->err;
}

/* ------------------------------------------------------------------ */
/* Requests for the front-end                                          */

static gboolean fail_now(gpointer data)
{
	struct nat_req *r = data;
	g_autoptr(GError) e = g_error_new(VSWD_ERROR, VSWD_ERR_BUSY,
					  "the NAT of switch '%s' is not running (it restarts by "
					  "itself: try again in a moment)", VSWD_DEFAULT_SWITCH);

	r->timer = 0;
	req_done(r->ns, r, NULL, e);
	return G_SOURCE_REMOVE;
}

/* A request that fails from the main loop, as any answer arrives. */
static guint req_fail_soon(struct vswd_natsup *ns, vswd_nat_done_fn done, void *data)
{
	struct nat_req *r = g_new0(struct nat_req, 1);

	r->ns = ns;
	r->id = ++ns->next_id ? ns->next_id : ++ns->next_id;
	r->done = done;
	r->data = data;
	g_hash_table_insert(ns->reqs, GUINT_TO_POINTER(r->id), r);
	r->timer = g_idle_add(fail_now, r);
	return r->id;
}

guint vswd_nat_request(struct vswd *d, const char *cmd, vswd_nat_done_fn done, void *data)
{
	if (!d->nat->running)
		return req_fail_soon(d->nat, done, data);
	return req_send(d->nat, cmd, NULL, done, data);
}

guint vswd_nat_fwd_request(struct vswd *d, const struct vswd_mfwd *f, bool add,
			   vswd_nat_done_fn done, void *data)
{
	if (!d->nat->running)
		return req_fail_soon(d->nat, done, data);
	return fwd_request(d->nat, f, add, done, data);
}

void vswd_nat_cancel(struct vswd *d, guint id)
{
	struct nat_req *r = d->nat ? g_hash_table_lookup(d->nat->reqs, GUINT_TO_POINTER(id)) :
				     NULL;

	if (!r)
		return;
	/* A forward request keeps updating our state; only the caller goes. */
	if (r->done == fwd_answered)
		((struct fwd_ctx *)r->data)->done = NULL;
	else
		r->done = NULL;
}

void vswd_nat_get_info(struct vswd *d, struct vswd_nat_info *info)
{
	struct vswd_natsup *ns = d->nat;

	memset(info, 0, sizeof(*info));
	if (!ns)
		return;
	info->running = ns->running;
	info->pid = ns->pid;
	info->restarts = ns->restarts;
	info->crashes = ns->crashes;
	info->vp = ns->vp;
}

/* ------------------------------------------------------------------ */
/* What the helper sends                                               */

static void on_leases(struct vswd_natsup *ns, JsonObject *o)
{
	const char *b64 = json_object_get_string_member_with_default(o, "data", "");
	gint64 version = json_object_get_int_member_with_default(o, "version", -1);
	guchar *data;
	gsize len;

	if (strlen(b64) > LEASES_MAX * 4 / 3 + 4 || version < 0 || version > G_MAXINT32)
		return;
	data = g_base64_decode(b64, &len);
	if (ns->leases)
		g_bytes_unref(ns->leases);
	ns->leases = g_bytes_new_take(data, len);
	ns->leases_version = (int)version;
	leases_save(ns);
}

static void on_started(void *data, JsonObject *reply, const GError *err)
{
	struct vswd_natsup *ns = data;
	JsonArray *errs = NULL;
	struct vswd_nat_settings *s = &ns->d->model->nat;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (!reply || reply_errno(reply)) {
		helper_lost(ns, err ? err->message : "it refused its settings");
		return;
	}
	ns->running = true;
	if (json_object_has_member(reply, "fwds") &&
	    JSON_NODE_HOLDS_ARRAY(json_object_get_member(reply, "fwds")))
		errs = json_object_get_array_member(reply, "fwds");
	for (guint i = 0; i < ns->d->model->fwds->len; i++) {
		const struct vswd_mfwd *f = ns->d->model->fwds->pdata[i];
		gint64 e = errs && i < json_array_get_length(errs) ?
			   json_array_get_int_element(errs, i) : EPROTO;

		fwd_set(ns, f, e > 0 && e < 4096 ? (int)e : 0);
		if (e)
			g_warning("NAT forward %s %s:%u -> %s:%u is inactive: cannot listen: %s",
				  f->udp ? "udp" : "tcp",
				  inet_ntop(AF_INET, &f->host_addr, a, sizeof(a)), f->host_port,
				  inet_ntop(AF_INET, &f->guest_addr, b, sizeof(b)), f->guest_port,
				  g_strerror((int)e));
	}
	g_message("NAT on switch '%s': pid %d (%s; %s), subnet %s/%u, gateway %s%s",
		  VSWD_DEFAULT_SWITCH, (int)ns->pid,
		  json_object_get_string_member_with_default(reply, "sandbox", "?"),
		  json_object_get_string_member_with_default(reply, "seccomp", "?"),
		  inet_ntop(AF_INET, &s->net, a, sizeof(a)), s->prefix_len,
		  inet_ntop(AF_INET, &s->gateway, b, sizeof(b)),
		  s->host_loopback ? ", host loopback reachable" : "");
	/* The model may have changed while it started. */
	vswd_nat_fwds_changed(ns->d);
}

static void on_message(struct vswd_natsup *ns, JsonObject *o)
{
	struct nat_req *r;
	gint64 id;

	if (json_object_has_member(o, "event")) {
		if (!strcmp(json_object_get_string_member_with_default(o, "event", ""), "leases"))
			on_leases(ns, o);
		return;
	}
	id = json_object_get_int_member_with_default(o, "id", 0);
	r = id > 0 && id <= G_MAXUINT ? g_hash_table_lookup(ns->reqs, GUINT_TO_POINTER((guint)id)) :
					NULL;
	if (r)
		req_done(ns, r, o, NULL);
}

static gboolean on_rpc(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd_natsup *ns = data;
	g_autofree char *buf = g_malloc(MSG_MAX + 1);

	for (int i = 0; i < 64; i++) {
		g_autoptr(JsonParser) p = json_parser_new();
		bool passed = false;
		ssize_t n = vswd_recv(fd, VSWD_OWNER_NAT, buf, MSG_MAX, MSG_DONTWAIT | MSG_TRUNC,
				      &passed);
		JsonNode *root;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return G_SOURCE_CONTINUE;
		if (passed) {
			helper_lost(ns, "it passed file descriptors");
			return G_SOURCE_REMOVE;
		}
		if (n <= 0) {
			/* It closed its end: it is exiting; the child watch follows. */
			ns->rpc_src = 0;
			return G_SOURCE_REMOVE;
		}
		if (n > MSG_MAX || !json_parser_load_from_data(p, buf, n, NULL) ||
		    !(root = json_parser_get_root(p)) || !JSON_NODE_HOLDS_OBJECT(root)) {
			helper_lost(ns, "it sent a malformed message");
			return G_SOURCE_REMOVE;
		}
		on_message(ns, json_node_get_object(root));
		if (ns->rpc_fd != fd)
			return G_SOURCE_REMOVE;	/* lost meanwhile */
	}
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

/* The ring of the helper's port made no sense: the helper is broken. */
static void port_reset(void *owner, struct vswd_port *vp, const char *reason)
{
	struct vswd_natsup *ns = owner;

	ns->vp = NULL;
	helper_lost(ns, reason);
}

static const struct vswd_port_owner_ops nat_port_ops = {
	.reset = port_reset,
};

static gboolean restart_cb(gpointer data)
{
	struct vswd_natsup *ns = data;

	ns->restart_src = 0;
	ns->restarts++;
	helper_start(ns);
	return G_SOURCE_REMOVE;
}

static void schedule_restart(struct vswd_natsup *ns)
{
	if (ns->d->stopping || ns->restart_src)
		return;
	if (g_get_monotonic_time() - ns->started_us > STABLE_US)
		ns->backoff_ms = RESTART_MIN_MS;
	g_message("restarting the NAT in %u ms", ns->backoff_ms);
	ns->restart_src = g_timeout_add(ns->backoff_ms, restart_cb, ns);
	ns->backoff_ms = MIN(ns->backoff_ms * 2, RESTART_MAX_MS);
}

/* Fail every waiting request, close the link and the port. */
static void helper_close(struct vswd_natsup *ns)
{
	GHashTableIter it;
	gpointer v;
	g_autoptr(GPtrArray) reqs = g_ptr_array_new();
	g_autoptr(GError) e = g_error_new(VSWD_ERROR, VSWD_ERR_BUSY,
					  "the NAT of switch '%s' stopped (it restarts by "
					  "itself: try again in a moment)", VSWD_DEFAULT_SWITCH);

	ns->running = false;
	if (ns->rpc_src)
		g_source_remove(ns->rpc_src);
	ns->rpc_src = 0;
	vswd_close_peer(VSWD_OWNER_NAT, ns->rpc_fd);
	ns->rpc_fd = -1;
	if (ns->vp)
		vswd_port_detach(ns->d, ns->vp);
	ns->vp = NULL;
	g_array_set_size(ns->fwds, 0);
	g_hash_table_iter_init(&it, ns->reqs);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(reqs, v);
	for (guint i = 0; i < reqs->len; i++)
		req_done(ns, reqs->pdata[i], NULL, e);
}

/*
 * Something is wrong with the helper: kill it (its exit is then seen by
 * the child watch, which restarts it).
 */
static void helper_lost(struct vswd_natsup *ns, const char *why)
{
	if (ns->rpc_fd < 0 && !ns->pid)
		return;
	g_warning("NAT helper (pid %d) %s: stopping it", (int)ns->pid, why);
	helper_close(ns);
	if (ns->pid && kill(ns->pid, SIGKILL) < 0)
		g_warning("cannot stop the NAT helper (pid %d): %s", (int)ns->pid,
			  g_strerror(errno));
}

static void on_child_exit(GPid pid, gint status, gpointer data)
{
	struct vswd_natsup *ns = data;

	ns->child_src = 0;
	g_spawn_close_pid(pid);
	if (pid != ns->pid)
		return;
	ns->pid = 0;
	if (!ns->stopping) {
		ns->crashes++;
		if (WIFSIGNALED(status))
			g_warning("NAT helper (pid %d) killed by signal %d (%s)", (int)pid,
				  WTERMSIG(status), g_strsignal(WTERMSIG(status)));
		else
			g_warning("NAT helper (pid %d) exited with status %d", (int)pid,
				  WEXITSTATUS(status));
	}
	ns->stopping = false;
	helper_close(ns);
	schedule_restart(ns);
}

static JsonNode *start_args(struct vswd_natsup *ns)
{
	const struct vswd_nat_settings *s = &ns->d->model->nat;
	g_autoptr(JsonBuilder) b = json_builder_new();
	char a[INET6_ADDRSTRLEN];

#define ADDR4(name, v)	vsw_json_str(b, name, inet_ntop(AF_INET, &(v), a, sizeof(a)))
#define ADDR6(name, v)	vsw_json_str(b, name, inet_ntop(AF_INET6, &(v), a, sizeof(a)))
	json_builder_begin_object(b);
	ADDR4("net", s->net);
	ADDR4("mask", s->mask);
	ADDR4("gateway", s->gateway);
	ADDR4("dns", s->dns);
	ADDR4("dhcp-start", s->dhcp_start);
	vsw_json_bool(b, "ipv6", s->ipv6);
	ADDR6("prefix6", s->prefix6);
	ADDR6("gateway6", s->gateway6);
	ADDR6("dns6", s->dns6);
#undef ADDR4
#undef ADDR6
	json_builder_set_member_name(b, "dns-search");
	json_builder_begin_array(b);
	for (char **n = s->dns_search; n && *n; n++)
		json_builder_add_string_value(b, *n);
	json_builder_end_array(b);
	if (s->domain) {
		vsw_json_str(b, "domain", s->domain);
	}
	vsw_json_int(b, "mtu", s->mtu);
	vsw_json_bool(b, "host-loopback", s->host_loopback);
	json_builder_set_member_name(b, "fwds");
	json_builder_begin_array(b);
	for (guint i = 0; i < ns->d->model->fwds->len; i++)
		json_builder_add_value(b, fwd_json(ns->d->model->fwds->pdata[i]));
	json_builder_end_array(b);
	if (ns->leases) {
		gsize len;
		const guint8 *data = g_bytes_get_data(ns->leases, &len);
		g_autofree char *b64 = g_base64_encode(data, len);

		vsw_json_str(b, "leases", b64);
		vsw_json_int(b, "leases-version", ns->leases_version);
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* Start a helper: its port on the Default switch, the process, "start". */
static void helper_start(struct vswd_natsup *ns)
{
	struct vswd *d = ns->d;
	struct vswd_port_settings set = { 0 };
	struct vswd_port_spec spec = {
		.name = NAT_PORT_NAME, .settings = &set, .ops = &nat_port_ops, .owner = ns,
		.trusted_macs = true,
	};
	g_autoptr(GError) e = NULL;
	struct vswd_switch *sw = vswd_switch_find(d, VSWD_DEFAULT_SWITCH, NULL);
	int pfds[3] = { -1, -1, -1 }, sv[2] = { -1, -1 };
	int src[4], dst[4] = { 3, 4, 5, 6 };
	g_autofree char *shm_size_s = NULL;
	const char *argv[12];
	struct vsw_port *p;
	size_t shm_size;
	int i = 0;

	p = vsw_port_shm_new(NAT_PORT_NAME, true, d->cfg.ring_size, pfds, &shm_size, &e);
	if (!p)
		goto fail;
	/*
	 * A guest's TSO frame reaches the helper whole, and libslirp gets it
	 * as one IP packet (natd/nat.h, "Large packets"): four times the TCP
	 * throughput of 1460-byte segments.  No USO or UFO: libslirp takes
	 * datagrams one by one, so the switch segments those.
	 */
	p->offloads = VSW_OFFLOAD_CSUM | VSW_OFFLOAD_TSO4 | VSW_OFFLOAD_TSO6 | VSW_OFFLOAD_ECN;
	ns->vp = vswd_port_attach(d, sw, p, &spec, &e);
	if (!ns->vp) {
		p->ops->destroy(p);
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		g_set_error(&e, VSWD_ERROR, VSWD_ERR_GENERIC, "socketpair: %s", g_strerror(errno));
		goto fail;
	}
	shm_size_s = g_strdup_printf("%zu", shm_size);
	argv[i++] = d->cfg.nat_helper;
	argv[i++] = "--rpc-fd=3";
	argv[i++] = "--shm-fd=4";
	argv[i++] = "--kick-fd=5";
	argv[i++] = "--wait-fd=6";
	argv[i++] = "--shm-size";
	argv[i++] = shm_size_s;
	if (geteuid() == 0) {
		argv[i++] = "--user";
		argv[i++] = d->cfg.nat_user;
	}
	argv[i] = NULL;
	src[0] = sv[1];
	src[1] = pfds[0];
	src[2] = pfds[1];
	src[3] = pfds[2];
	if (!g_spawn_async_with_pipes_and_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
					      G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, -1, -1, -1,
					      src, dst, 4, &ns->pid, NULL, NULL, NULL, &e))
		goto fail;
	close(sv[1]);
	sv[1] = -1;
	for (int k = 0; k < 3; k++)
		close(pfds[k]);
	ns->rpc_fd = sv[0];
	vswd_refuse_fds(ns->rpc_fd);
	ns->started_us = g_get_monotonic_time();
	ns->child_src = g_child_watch_add(ns->pid, on_child_exit, ns);
	ns->rpc_src = g_unix_fd_add(ns->rpc_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_rpc, ns);
	ns->start_id = req_send(ns, "start", start_args(ns), on_started, ns);
	return;
fail:
	g_warning("cannot start the NAT: %s", e ? e->message : "?");
	for (int k = 0; k < 3; k++)
		if (pfds[k] >= 0)
			close(pfds[k]);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (ns->vp)
		vswd_port_detach(d, ns->vp);
	ns->vp = NULL;
	ns->pid = 0;
	schedule_restart(ns);
}

bool vswd_nat_start(struct vswd *d, GError **err)
{
	struct vswd_natsup *ns = g_new0(struct vswd_natsup, 1);

	ns->d = d;
	ns->rpc_fd = -1;
	ns->backoff_ms = RESTART_MIN_MS;
	ns->reqs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, req_free);
	ns->fwds = g_array_new(FALSE, FALSE, sizeof(struct fwd_state));
	d->nat = ns;
	if (!g_file_test(d->cfg.nat_helper, G_FILE_TEST_IS_EXECUTABLE)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
			    "the NAT helper %s is missing (vswitchd --nat-helper PATH)",
			    d->cfg.nat_helper);
		return false;
	}
	leases_load(ns);
	helper_start(ns);
	return true;
}

/* Stop the running helper (bounded wait), reap it. */
static void helper_stop(struct vswd_natsup *ns)
{
	gint64 end = g_get_monotonic_time() + STOP_WAIT_MS * 1000;
	int status;

	if (!ns->pid)
		return;
	ns->stopping = true;
	/* Closing its link asks it to go; it sends its last leases first. */
	if (ns->rpc_fd >= 0) {
		shutdown(ns->rpc_fd, SHUT_WR);
		while (g_get_monotonic_time() < end && waitpid(ns->pid, &status, WNOHANG) == 0) {
			on_rpc(ns->rpc_fd, G_IO_IN, ns);
			g_usleep(10000);
		}
	}
	if (waitpid(ns->pid, &status, WNOHANG) == 0) {
		if (kill(ns->pid, SIGKILL) < 0)
			g_warning("cannot stop the NAT helper (pid %d): %s", (int)ns->pid,
				  g_strerror(errno));
		end = g_get_monotonic_time() + STOP_WAIT_MS * 1000;
		while (g_get_monotonic_time() < end && waitpid(ns->pid, &status, WNOHANG) == 0)
			g_usleep(10000);
	}
	if (ns->child_src)
		g_source_remove(ns->child_src);
	ns->child_src = 0;
	ns->pid = 0;
	helper_close(ns);
}

void vswd_nat_settings_changed(struct vswd *d)
{
	struct vswd_natsup *ns = d->nat;

	if (!ns)
		return;
	g_message("NAT settings changed: restarting the NAT");
	helper_stop(ns);
	if (ns->restart_src)
		g_source_remove(ns->restart_src);
	ns->restart_src = 0;
	/* The old leases are for other settings: leases_load() decides. */
	if (ns->leases)
		g_bytes_unref(ns->leases);
	ns->leases = NULL;
	leases_load(ns);
	ns->backoff_ms = RESTART_MIN_MS;
	ns->restarts++;
	helper_start(ns);
}

void vswd_nat_stop(struct vswd *d)
{
	struct vswd_natsup *ns = d->nat;

	if (!ns)
		return;
	helper_stop(ns);
	if (ns->restart_src)
		g_source_remove(ns->restart_src);
	leases_save(ns);
	g_hash_table_unref(ns->reqs);
	g_array_unref(ns->fwds);
	if (ns->leases)
		g_bytes_unref(ns->leases);
	g_free(ns);
	d->nat = NULL;
}
