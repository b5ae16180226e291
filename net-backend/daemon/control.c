// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * control.c - the control socket: clients, requests, replies, port attach.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Every client is a non-blocking connection on the main loop.  A request
 * is one line (proto.c parses it); the command table below names each
 * command's arguments, and anything else is refused.  A client that sends
 * a line too long, or stops reading its replies, is disconnected; no
 * client can make the daemon block or grow without bound.
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

#include "names.h"
#include "port-shm.h"
#include "proto.h"
#include "vswitchd.h"

#define OUT_MAX		(1024 * 1024)	/* unread replies before we give up */

struct vswd_conn {
	struct vswd *d;
	int fd;
	guint src;
	GString *in;
	GString *out;
	guint out_src;
	struct vswd_port *port;		/* the port it owns, or NULL */
	int fds[3];			/* fds to send with the next reply */
	bool send_fds;
	bool closing;
	guint close_src;		/* deferred close scheduled */
};

static void conn_close(struct vswd_conn *c);

/* ------------------------------------------------------------------ */
/* Output                                                              */

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

static void conn_flush(struct vswd_conn *c)
{
	while (c->out->len) {
		ssize_t n = send(c->fd, c->out->str, c->out->len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			c->closing = true;
			return;
		}
		g_string_erase(c->out, 0, n);
	}
	if (c->out->len && !c->out_src)
		c->out_src = g_unix_fd_add(c->fd, G_IO_OUT, on_writable, c);
	else if (!c->out->len && c->out_src) {
		g_source_remove(c->out_src);
		c->out_src = 0;
	}
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd_conn *c = data;

	conn_flush(c);
	if (c->closing) {
		c->out_src = 0;
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	if (!c->out->len) {
		c->out_src = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* Send @line, with the pending fds if any (they ride on its first byte). */
static void conn_send(struct vswd_conn *c, const char *line)
{
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
			return;
		}
		line += n;
	}
	/* Replies to earlier requests still unread: the client reads no replies. */
	if (c->out->len > OUT_MAX) {
		g_warning("client fd %d reads no replies: disconnecting it", c->fd);
		c->closing = true;
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
/* JSON views of the objects                                           */

JsonNode *vswd_port_to_json(struct vswd_port *vp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct vsw_port *p = vp->port;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "switch");
	json_builder_add_string_value(b, vp->sw->name);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, p->name);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, p->ops->kind);
	json_builder_set_member_name(b, "vlan");
	json_builder_add_int_value(b, p->fwd.vlan);
	json_builder_set_member_name(b, "mac");
	json_builder_add_string_value(b, p->mac);
	json_builder_set_member_name(b, "offloads");
	json_builder_add_int_value(b, p->offloads);
	json_builder_set_member_name(b, "rx-packets");
	json_builder_add_int_value(b, (gint64)vsw_ctr_read(&p->ctr.rx_packets));
	json_builder_set_member_name(b, "rx-bytes");
	json_builder_add_int_value(b, (gint64)vsw_ctr_read(&p->ctr.rx_bytes));
	json_builder_set_member_name(b, "tx-packets");
	json_builder_add_int_value(b, (gint64)vsw_ctr_read(&p->ctr.tx_packets));
	json_builder_set_member_name(b, "tx-bytes");
	json_builder_add_int_value(b, (gint64)vsw_ctr_read(&p->ctr.tx_bytes));
	json_builder_set_member_name(b, "resets");
	json_builder_add_int_value(b, (gint64)vsw_ctr_read(&p->ctr.resets));
	json_builder_set_member_name(b, "drops");
	json_builder_begin_object(b);
	for (int i = 1; i < VSW_DROP_MAX; i++) {
		json_builder_set_member_name(b, vsw_drop_names[i]);
		json_builder_add_int_value(b, (gint64)vsw_ctr_read(&p->ctr.drops[i]));
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *switch_to_json(struct vswd *d, struct vswd_switch *sw, bool with_ports)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, sw->name);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, vswd_switch_type(sw));
	json_builder_set_member_name(b, "ports");
	if (with_ports) {
		json_builder_begin_array(b);
		for (unsigned i = 0; i < sw->ports->len; i++)
			json_builder_add_value(b, vswd_port_to_json(sw->ports->pdata[i]));
		json_builder_end_array(b);
	} else {
		json_builder_add_int_value(b, sw->ports->len);
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static gint cmp_switch(gconstpointer a, gconstpointer b)
{
	const struct vswd_switch *x = *(struct vswd_switch *const *)a;
	const struct vswd_switch *y = *(struct vswd_switch *const *)b;

	/* Default first, then by name. */
	if (x->is_default != y->is_default)
		return x->is_default ? -1 : 1;
	return strcmp(x->name, y->name);
}

static GPtrArray *sorted_switches(struct vswd *d)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, d->switches);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(a, v);

	g_ptr_array_sort(a, cmp_switch);
	return a;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

JsonNode *vswd_object_with(const char *member, JsonNode *value)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_member(o, member, value);
	json_node_take_object(n, o);
	return n;
}

static JsonNode *cmd_version(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	return vswd_version_json();
}

static JsonNode *cmd_switch_list(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	g_autoptr(GPtrArray) sws = sorted_switches(d);
	JsonArray *arr = json_array_new();
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);

	for (unsigned i = 0; i < sws->len; i++)
		json_array_add_element(arr, switch_to_json(d, sws->pdata[i], false));
	json_node_take_array(n, arr);
	return vswd_object_with("switches", n);
}

static JsonNode *cmd_switch_show(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);
	struct vswd_switch *sw;
	g_autoptr(GArray) dump = NULL;
	JsonNode *n;
	JsonObject *o;
	uint32_t cap;

	if (!name || !(sw = vswd_switch_find(d, name, err)))
		return NULL;
	dump = vsw_dp_mac_dump(d->dp, sw->dsw, &cap, NULL);
	n = switch_to_json(d, sw, true);
	o = json_node_get_object(n);
	json_object_set_int_member(o, "mac-entries", dump->len);
	json_object_set_int_member(o, "mac-capacity", cap);
	return n;
}

static JsonNode *cmd_switch_add(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);

	if (!name || !vswd_switch_add(d, name, err))
		return NULL;
	g_message("switch '%s' added", name);
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_switch_remove(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);
	g_autofree char *copy = g_strdup(name);
	bool force = false;

	if (!name || !vswd_arg_bool(a, "force", &force, err))
		return NULL;
	if (!vswd_switch_remove(d, name, force, err))
		return NULL;
	g_message("switch '%s' removed", copy);
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_switch_rename(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);
	const char *to = name ? vswd_arg_string(a, "new-name", true, err) : NULL;

	if (!to || !vswd_switch_rename(d, name, to, err))
		return NULL;
	g_message("switch '%s' renamed to '%s'", name, to);
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_port_list(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *name = vswd_arg_string(a, "switch", false, err);
	g_autoptr(GPtrArray) sws = NULL;
	JsonArray *arr;
	JsonNode *n;

	if (err && *err)
		return NULL;
	if (name) {
		struct vswd_switch *sw = vswd_switch_find(d, name, err);

		if (!sw)
			return NULL;
		sws = g_ptr_array_new();
		g_ptr_array_add(sws, sw);
	} else {
		sws = sorted_switches(d);
	}
	arr = json_array_new();
	for (unsigned i = 0; i < sws->len; i++) {
		struct vswd_switch *sw = sws->pdata[i];

		for (unsigned j = 0; j < sw->ports->len; j++)
			json_array_add_element(arr, vswd_port_to_json(sw->ports->pdata[j]));
	}
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, arr);
	return vswd_object_with("ports", n);
}

static struct vswd_port *find_port(struct vswd *d, JsonObject *a, GError **err)
{
	const char *swn = vswd_arg_string(a, "switch", true, err);
	const char *pn = swn ? vswd_arg_string(a, "port", true, err) : NULL;
	struct vswd_switch *sw;
	struct vswd_port *vp;

	if (!pn || !(sw = vswd_switch_find(d, swn, err)))
		return NULL;
	vp = vswd_port_find(sw, pn);
	if (!vp)
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND,
			    "switch '%s' has no port '%s'", swn, pn);
	return vp;
}

static JsonNode *cmd_port_set(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	struct vswd_port *vp = find_port(d, a, err);
	int64_t vlan = -1;

	if (!vp || !vswd_arg_int(a, "vlan", 0, VSW_VLAN_MAX, true, &vlan, err))
		return NULL;
	if (!vswd_port_set_vlan(d, vp, (int)vlan, err))
		return NULL;
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_mac_table(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *name = vswd_arg_string(a, "switch", true, err);
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(GArray) dump = NULL;
	struct vswd_switch *sw;
	struct vsw_mac_stats st;
	uint32_t cap;

	if (!name || !(sw = vswd_switch_find(d, name, err)))
		return NULL;
	dump = vsw_dp_mac_dump(d->dp, sw->dsw, &cap, &st);
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "capacity");
	json_builder_add_int_value(b, cap);
	json_builder_set_member_name(b, "learned");
	json_builder_add_int_value(b, (gint64)st.learned);
	json_builder_set_member_name(b, "moved");
	json_builder_add_int_value(b, (gint64)st.moved);
	json_builder_set_member_name(b, "evicted");
	json_builder_add_int_value(b, (gint64)st.evicted);
	json_builder_set_member_name(b, "aged");
	json_builder_add_int_value(b, (gint64)st.aged);
	json_builder_set_member_name(b, "entries");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < dump->len; i++) {
		const struct vsw_mac_dump *e = &g_array_index(dump, struct vsw_mac_dump, i);
		const char *port = "?";
		char mac[18];

		for (unsigned j = 0; j < sw->ports->len; j++) {
			struct vswd_port *vp = sw->ports->pdata[j];

			if (vp->port->fwd.index == e->port)
				port = vp->port->name;
		}
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "vlan");
		json_builder_add_int_value(b, e->vlan);
		json_builder_set_member_name(b, "mac");
		json_builder_add_string_value(b, mac);
		json_builder_set_member_name(b, "port");
		json_builder_add_string_value(b, port);
		json_builder_set_member_name(b, "age-ms");
		json_builder_add_int_value(b, (gint64)e->age_ms);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static bool parse_mac(const char *s, char out[18])
{
	unsigned v[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &tail) != 6)
		return false;
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 v[0], v[1], v[2], v[3], v[4], v[5]);
	return true;
}

static JsonNode *cmd_port_attach(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *swn, *pn, *mac;
	g_autofree char *picked = NULL, *key = NULL;
	int64_t vlan = 0, offloads = 0;
	struct vswd_switch *sw;
	struct vsw_port *p;
	g_autoptr(JsonBuilder) b = NULL;
	char macbuf[18] = "";
	size_t shm_size;
	gpointer override;

	if (c->port) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "this connection already owns port '%s'", c->port->port->name);
		return NULL;
	}
	swn = vswd_arg_string(a, "switch", true, err);
	if (!swn)
		return NULL;
	pn = vswd_arg_string(a, "port", false, err);
	mac = vswd_arg_string(a, "mac", false, err);
	if ((err && *err) ||
	    !vswd_arg_int(a, "vlan", 0, VSW_VLAN_MAX, false, &vlan, err) ||
	    !vswd_arg_int(a, "offloads", 0, VSW_OFFLOAD_ALL, false, &offloads, err))
		return NULL;
	if (mac && !parse_mac(mac, macbuf)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid MAC address '%.40s' (expected 52:54:00:12:34:56)", mac);
		return NULL;
	}
	if (pn && !vsw_name_valid(pn)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid port name '%.80s'", pn);
		return NULL;
	}
	sw = vswd_switch_find(d, swn, err);
	if (!sw)
		return NULL;
	if (!pn)
		pn = picked = vswd_port_pick_name(sw);
	if (vswd_port_find(sw, pn)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "switch '%s' already has a port '%s'", sw->name, pn);
		return NULL;
	}
	/* A VLAN set at run time with port-set wins over the client's. */
	key = g_strconcat(sw->name, "/", pn, NULL);
	override = g_hash_table_lookup(d->vlan_overrides, key);
	if (override)
		vlan = GPOINTER_TO_INT(override) - 1;

	p = vsw_port_shm_new(pn, d->cfg.ring_size, c->fds, &shm_size, err);
	if (!p)
		return NULL;
	p->fwd.mode = VSW_MODE_ACCESS;
	p->fwd.vlan = (uint16_t)vlan;
	p->offloads = (unsigned)offloads;
	g_strlcpy(p->mac, macbuf, sizeof(p->mac));
	c->port = vswd_port_add(d, sw, p, c, err);
	if (!c->port) {
		for (int i = 0; i < 3; i++) {
			close(c->fds[i]);
			c->fds[i] = -1;
		}
		p->ops->destroy(p);
		return NULL;
	}
	c->send_fds = true;
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "switch");
	json_builder_add_string_value(b, sw->name);
	json_builder_set_member_name(b, "port");
	json_builder_add_string_value(b, p->name);
	json_builder_set_member_name(b, "vlan");
	json_builder_add_int_value(b, vlan);
	json_builder_set_member_name(b, "shm-size");
	json_builder_add_int_value(b, (gint64)shm_size);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *cmd_port_set_offload(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	int64_t offloads = 0;

	if (!c->port) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "this connection owns no port (use port-attach first)");
		return NULL;
	}
	if (!vswd_arg_int(a, "offloads", 0, VSW_OFFLOAD_ALL, true, &offloads, err))
		return NULL;
	vsw_dp_port_set_offloads(d->dp, c->port->port, (unsigned)offloads);
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_port_set_mac(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const char *mac;

	if (!c->port) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "this connection owns no port (use port-attach first)");
		return NULL;
	}
	mac = vswd_arg_string(a, "mac", true, err);
	if (!mac)
		return NULL;
	if (!parse_mac(mac, c->port->port->mac)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid MAC address '%.40s' (expected 52:54:00:12:34:56)", mac);
		return NULL;
	}
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_port_detach(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	if (!c->port) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "this connection owns no port");
		return NULL;
	}
	vswd_port_remove(d, c->port);
	c->port = NULL;
	return json_node_new(JSON_NODE_NULL);
}

static const struct vswd_command core_commands[] = {
	{ "version", cmd_version, ARGS(NULL) },
	{ "switch-list", cmd_switch_list, ARGS(NULL) },
	{ "switch-show", cmd_switch_show, ARGS("name") },
	{ "switch-add", cmd_switch_add, ARGS("name") },
	{ "switch-remove", cmd_switch_remove, ARGS("name", "force") },
	{ "switch-rename", cmd_switch_rename, ARGS("name", "new-name") },
	{ "port-list", cmd_port_list, ARGS("switch") },
	{ "port-set", cmd_port_set, ARGS("switch", "port", "vlan") },
	{ "mac-table", cmd_mac_table, ARGS("switch") },
	{ "port-attach", cmd_port_attach,
	  ARGS("switch", "port", "vlan", "mac", "offloads") },
	{ "port-set-offload", cmd_port_set_offload, ARGS("offloads") },
	{ "port-set-mac", cmd_port_set_mac, ARGS("mac") },
	{ "port-detach", cmd_port_detach, ARGS(NULL) },
	{ NULL }
};

/* Every command table; a module with commands adds its table here. */
static const struct vswd_command *const command_tables[] = {
	core_commands,
	vswd_nat_commands,
};

static const struct vswd_command *find_command(const char *name)
{
	for (size_t t = 0; t < G_N_ELEMENTS(command_tables); t++)
		for (const struct vswd_command *c = command_tables[t]; c->name; c++)
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
	} else if (vswd_args_check(req.args, cmd->name, cmd->args, &e)) {
		ret = cmd->fn(c->d, c, req.args, &e);
		if (!ret && !e)
			g_set_error(&e, VSWD_ERROR, VSWD_ERR_GENERIC, "'%s' failed",
				    cmd->name);
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

/* ------------------------------------------------------------------ */
/* Connections                                                         */

static void conn_close(struct vswd_conn *c)
{
	struct vswd *d = c->d;

	if (c->port)
		vswd_port_remove(d, c->port);
	c->port = NULL;
	if (c->src)
		g_source_remove(c->src);
	if (c->out_src)
		g_source_remove(c->out_src);
	if (c->close_src)
		g_source_remove(c->close_src);
	for (int i = 0; i < 3; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	close(c->fd);
	g_string_free(c->in, TRUE);
	g_string_free(c->out, TRUE);
	d->conns = g_list_remove(d->conns, c);
	d->nconns--;
	g_free(c);
}

/* The JSON object {switch, port, @key: @value} naming @c's port. */
static JsonNode *port_event_data(struct vswd_conn *c, const char *key,
				 const char *svalue, gint64 ivalue)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "switch");
	json_builder_add_string_value(b, c->port->sw->name);
	json_builder_set_member_name(b, "port");
	json_builder_add_string_value(b, c->port->port->name);
	json_builder_set_member_name(b, key);
	if (svalue)
		json_builder_add_string_value(b, svalue);
	else
		json_builder_add_int_value(b, ivalue);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

void vswd_conn_vlan_changed(struct vswd_conn *c)
{
	g_autofree char *line = NULL;

	if (!c->port || c->closing)
		return;
	line = vswd_event_line("PORT_VLAN",
			       port_event_data(c, "vlan", NULL, c->port->port->fwd.vlan));
	conn_send(c, line);
}

static gboolean close_later_cb(gpointer data)
{
	struct vswd_conn *c = data;

	c->close_src = 0;
	conn_close(c);
	return G_SOURCE_REMOVE;
}

/*
 * Reset the client's port now and close the connection from the main loop
 * (the caller may be inside a handler of this very connection).
 */
void vswd_conn_reset(struct vswd *d, struct vswd_conn *c, const char *reason)
{
	if (c->port) {
		g_autofree char *line = vswd_event_line("PORT_RESET",
			port_event_data(c, "reason", reason, 0));

		g_message("resetting port '%s' of switch '%s': %s",
			  c->port->port->name, c->port->sw->name, reason);
		conn_send(c, line);
		vswd_port_remove(d, c->port);
		c->port = NULL;
	}
	c->closing = true;
	if (!c->close_src)
		c->close_src = g_idle_add(close_later_cb, c);
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd_conn *c = data;
	char buf[16384];
	ssize_t n;
	char *nl;

	if (c->close_src)
		return G_SOURCE_CONTINUE;	/* closing from the main loop */
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		c->src = 0;
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	g_string_append_len(c->in, buf, n);
	while (!c->closing && (nl = memchr(c->in->str, '\n', c->in->len))) {
		size_t len = (size_t)(nl - c->in->str);

		handle_line(c, c->in->str, len);
		g_string_erase(c->in, 0, (gssize)len + 1);
	}
	if (!c->closing && c->in->len > VSWD_LINE_MAX) {
		g_autoptr(GError) e = g_error_new(VSWD_ERROR, VSWD_ERR_PROTOCOL,
						  "request longer than %d bytes: closing",
						  VSWD_LINE_MAX);

		conn_reply(c, NULL, e, NULL);
		c->closing = true;
	}
	if (c->closing && !c->close_src) {
		c->src = 0;
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd *d = data;
	g_autofree char *greeting = NULL;
	struct vswd_conn *c;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	if (d->nconns >= VSWD_MAX_CONNS) {
		g_warning("%u clients connected: refusing another", d->nconns);
		close(cfd);
		return G_SOURCE_CONTINUE;
	}
	c = g_new0(struct vswd_conn, 1);
	c->d = d;
	c->fd = cfd;
	c->in = g_string_new(NULL);
	c->out = g_string_new(NULL);
	c->fds[0] = c->fds[1] = c->fds[2] = -1;
	c->src = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, c);
	d->conns = g_list_prepend(d->conns, c);
	d->nconns++;
	greeting = vswd_greeting();
	conn_send(c, greeting);
	if (c->closing)
		conn_close(c);
	return G_SOURCE_CONTINUE;
}

/* The data path gave up on ports: reset their clients. */
static gboolean on_dead_ports(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd *d = data;
	struct vsw_port *p;

	while ((p = vsw_dp_take_dead(d->dp))) {
		GHashTableIter it;
		gpointer v;

		g_hash_table_iter_init(&it, d->switches);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			struct vswd_switch *sw = v;

			for (unsigned i = 0; i < sw->ports->len; i++) {
				struct vswd_port *vp = sw->ports->pdata[i];

				if (vp->port != p)
					continue;
				if (vp->owner)
					vswd_conn_reset(d, vp->owner, "ring corrupted");
				else
					g_warning("port '%s' of switch '%s' failed",
						  p->name, sw->name);
				goto next;
			}
		}
next:;
	}
	return G_SOURCE_CONTINUE;
}

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

bool vswd_control_start(struct vswd *d, GError **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = d->cfg.sock_path;
	g_autofree char *dir = g_path_get_dirname(path);
	mode_t mode = 0600;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "socket path %s is too long", path);
		return false;
	}
	if (g_mkdir_with_parents(dir, geteuid() == 0 ? 0755 : 0700) < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
			    "cannot create %s: %s", dir, g_strerror(errno));
		return false;
	}
	if (!socket_free(path, err))
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
			    "cannot listen on %s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (d->cfg.sock_group) {
		struct group *gr = getgrnam(d->cfg.sock_group);

		if (!gr || chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "cannot give %s to group '%s': %s", path,
				    d->cfg.sock_group, gr ? g_strerror(errno) : "no such group");
			close(fd);
			unlink(path);
			return false;
		}
		mode = 0660;
	}
	if (chmod(path, mode) < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "chmod %s: %s",
			    path, g_strerror(errno));
		close(fd);
		unlink(path);
		return false;
	}
	d->listen_fd = fd;
	d->listen_src = g_unix_fd_add(fd, G_IO_IN, on_accept, d);
	d->notify_src = g_unix_fd_add(vsw_dp_notify_fd(d->dp), G_IO_IN, on_dead_ports, d);
	return true;
}

void vswd_control_stop(struct vswd *d)
{
	while (d->conns)
		conn_close(d->conns->data);
	if (d->listen_src)
		g_source_remove(d->listen_src);
	if (d->notify_src)
		g_source_remove(d->notify_src);
	d->listen_src = d->notify_src = 0;
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->cfg.sock_path);
		d->listen_fd = -1;
	}
}
