// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * commands.c - the commands of the control protocol (docs/protocol.md).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Each command is one entry of vswd_commands[] (name, role, arguments)
 * and one function.  A command that changes the configuration copies the
 * model, changes the copy with model.h's functions (which check the
 * rules) and hands it to vswd_commit(); one that reads shows the model and
 * the runtime through views.c.  Commands that need the NAT helper answer
 * later (VSWD_PENDING), when it has answered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "control.h"
#include "json-member.h"
#include "names.h"
#include "port-shm.h"
#include "proto.h"

static JsonNode *done(void)
{
	return json_node_new(JSON_NODE_NULL);
}

/* The model switch and the running one called @name. */
static struct vswd_switch *switch_arg(struct vswd *d, JsonObject *a, const char *arg,
				      GError **err)
{
	const char *name = vswd_arg_string(a, arg, true, err);

	return name ? vswd_switch_find(d, name, err) : NULL;
}

/* Commit a changed copy of the model; Return: {} or NULL with @err. */
static JsonNode *commit(struct vswd *d, struct vswd_model *m, GError **err)
{
	return vswd_commit(d, m, err) ? done() : NULL;
}

/* ------------------------------------------------------------------ */
/* Anyone                                                              */

static JsonNode *cmd_version(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	return vswd_version_json();
}

static JsonNode *cmd_whoami(struct vswd *d, struct vswd_conn *c, JsonObject *a, GError **err)
{
	const struct vswd_peer *p = vswd_conn_peer(c);
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	vsw_json_int(b, "uid", p->uid);
	vsw_json_int(b, "gid", p->gid);
	json_builder_set_member_name(b, "groups");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < p->ngroups; i++)
		json_builder_add_int_value(b, p->groups[i]);
	json_builder_end_array(b);
	vsw_json_int(b, "pid", p->pid);
	vsw_json_str(b, "role", p->admin ? "administrator" : "port-client");
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *cmd_port_attach(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				 GError **err)
{
	const struct vswd_peer *peer = vswd_conn_peer(c);
	const char *swn, *pn, *mac;
	g_autofree char *picked = NULL;
	int64_t vlan = 0, offloads = 0;
	bool incoming = false;
	struct vswd_port *live;
	struct vswd_msw *ms;
	struct vswd_switch *sw;
	struct vswd_port_settings set;
	struct vswd_attach_req req = { 0 };
	struct vswd_port_spec spec = { 0 };
	struct vswd_port *vp;
	struct vsw_port *p;
	g_autoptr(JsonBuilder) b = NULL;
	uint8_t macbuf[6];
	int fds[3];
	size_t shm_size;

	if (vswd_conn_port(c) || vswd_conn_incoming(c)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "this connection already owns port '%s'", vswd_conn_port(c) ?
			    vswd_conn_port(c)->port->name : vswd_conn_incoming(c)->name);
		return NULL;
	}
	swn = vswd_arg_string(a, "switch", true, err);
	if (!swn)
		return NULL;
	pn = vswd_arg_string(a, "port", false, err);
	mac = vswd_arg_string(a, "mac", false, err);
	if ((err && *err) ||
	    !vswd_arg_int(a, "vlan", 0, VSW_VLAN_MAX, false, &vlan, err) ||
	    !vswd_arg_int(a, "offloads", 0, VSW_OFFLOAD_ALL, false, &offloads, err) ||
	    !vswd_arg_bool(a, "incoming", &incoming, err))
		return NULL;
	if (mac && !vswd_mac_parse(mac, macbuf)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid MAC address '%.40s' (expected 52:54:00:12:34:56)", mac);
		return NULL;
	}
	if (pn && !vsw_name_valid(pn)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "invalid port name '%.80s'", pn);
		return NULL;
	}
	ms = vswd_model_switch(d->model, swn, err);
	if (!ms)
		return NULL;
	sw = vswd_switch_by_id(d, ms->id);
	if (!pn) {
		for (unsigned i = 1; !pn; i++) {
			g_free(picked);
			picked = g_strdup_printf("port%u", i);
			if (!vswd_port_find(sw, picked) && !vswd_model_port(d->model, ms, picked))
				pn = picked;
		}
	}
	/* Rights first: who may not have the port does not learn it is live. */
	req.vlan = (int)vlan;
	req.mac = mac ? macbuf : NULL;
	if (!vswd_attach_decide(d->model, &d->policy, ms, pn, peer, &req, &set, err))
		return NULL;
	live = vswd_port_find(sw, pn);
	if (live && !incoming) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "switch '%s' already has a port '%s'", sw->name, pn);
		return NULL;
	}
	/*
	 * A migration destination on this host: the source still has the
	 * port.  Only the source's user may ask; the port is taken over with
	 * the source's token (port-takeover), so an incoming port nobody
	 * gave the token to carries nothing, ever.  Incoming ports count as
	 * ports against the user's limit: holding them blocks no one else's
	 * migration and costs what attaching would.
	 */
	if (live && (!live->has_peer || (live->peer.uid != peer->uid && !peer->admin))) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "port '%s' of switch '%s' is another user's: uid %u may not "
			    "migrate it", pn, sw->name, (unsigned)peer->uid);
		return NULL;
	}
	if (live && !peer->admin &&
	    vswd_user_ports(d, peer->uid) + vswd_user_incoming(d, peer->uid) >=
	    d->cfg.max_ports_per_user) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "uid %u has %u ports attached or incoming, the most one user "
			    "may have (vswitchd --max-ports-per-user)", (unsigned)peer->uid,
			    d->cfg.max_ports_per_user);
		return NULL;
	}
	p = vsw_port_shm_new(pn, false, d->cfg.ring_size, fds, &shm_size, err);
	if (!p)
		return NULL;
	p->offloads = (unsigned)offloads;
	if (live) {
		struct vswd_incoming *in = g_new0(struct vswd_incoming, 1);

		in->p = p;
		in->sw_id = ms->id;
		g_strlcpy(in->name, pn, sizeof(in->name));
		in->set = set;
		vswd_conn_attach_incoming(c, in, fds);
		g_info("port '%s' of switch '%s': incoming migration attached", pn, sw->name);
	} else {
		spec.name = pn;
		spec.settings = &set;
		spec.ops = vswd_conn_owner_ops();
		spec.owner = c;
		spec.peer = peer;
		vp = vswd_port_attach(d, sw, p, &spec, err);
		if (!vp) {
			for (int i = 0; i < 3; i++)
				close(fds[i]);
			p->ops->destroy(p);
			return NULL;
		}
		vswd_conn_attach(c, vp, fds);
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	vsw_json_str(b, "switch", sw->name);
	vsw_json_str(b, "port", pn);
	/* An incoming port is the source's: its VLAN is the one in force. */
	vsw_json_int(b, "vlan", live ? live->settings.vlan : set.vlan);
	vsw_json_int(b, "shm-size", (gint64)shm_size);
	vsw_json_bool(b, "provisioned", set.provisioned);
	if (incoming)
		vsw_json_bool(b, "incoming", live != NULL);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* The connection's own port, or an error saying it has none. */
static struct vswd_port *own_port(struct vswd_conn *c, GError **err)
{
	struct vswd_port *vp = vswd_conn_port(c);

	if (!vp)
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "this connection owns no port (use port-attach first)");
	return vp;
}

/* Compare without stopping at the first difference. */
static bool token_equal(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned diff = na != nb;

	for (size_t i = 0; i < VSW_MOVE_TOKEN_MAX; i++)
		diff |= (unsigned)(uint8_t)(i < na ? a[i] : 0) ^ (uint8_t)(i < nb ? b[i] : 0);
	return diff == 0;
}

/*
 * The source of a live migration says which token takes its port over;
 * it travels to the destination in the migration stream, so only the
 * QEMU that receives the guest can present it (design.md "Live
 * migration").  "" withdraws it (the migration failed).
 */
static JsonNode *cmd_port_migrate_token(struct vswd *d, struct vswd_conn *c, JsonObject *a,
					GError **err)
{
	struct vswd_port *vp = own_port(c, err);
	const char *token;

	if (!vp)
		return NULL;
	token = vswd_arg_string(a, "token", true, err);
	if (!token)
		return NULL;
	if (!vsw_move_token_valid(token)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid migration token (16 to %d lowercase hex digits, or \"\")",
			    VSW_MOVE_TOKEN_MAX);
		return NULL;
	}
	g_strlcpy(vp->move_token, token, sizeof(vp->move_token));
	return json_node_new(JSON_NODE_NULL);
}

/* The counters go on across a migration: the destination starts from the source's. */
_Static_assert(sizeof(struct vsw_counters) % sizeof(uint64_t) == 0 &&
	       _Alignof(struct vsw_counters) == _Alignof(uint64_t),
	       "struct vsw_counters is an array of uint64_t");

static void counters_carry(struct vsw_port *to, const struct vsw_port *from)
{
	const uint64_t *src = (const uint64_t *)&from->ctr;
	uint64_t *dst = (uint64_t *)&to->ctr;

	for (size_t i = 0; i < sizeof(to->ctr) / sizeof(uint64_t); i++)
		dst[i] = vsw_ctr_read(&src[i]);
}

/*
 * The migration destination takes the port over: the source's port goes
 * (its client hears PORT_MOVED), and the incoming port, with the
 * source's settings and counters, takes its place under the same name.
 * If the source is gone already, the name is free and the incoming port
 * simply attaches.
 */
static JsonNode *cmd_port_takeover(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				   GError **err)
{
	struct vswd_incoming *in = vswd_conn_incoming(c);
	struct vswd_port_spec spec = { 0 };
	struct vswd_port_settings set;
	struct vswd_switch *sw;
	struct vswd_port *live, *vp;
	g_autoptr(JsonBuilder) b = NULL;
	const char *token;
	bool moved = false;

	token = vswd_arg_string(a, "token", true, err);
	if (!token)
		return NULL;
	if (!in) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "this connection holds no incoming port (port-attach with "
			    "\"incoming\": true first)");
		return NULL;
	}
	sw = vswd_switch_by_id(d, in->sw_id);
	if (!sw) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND,
			    "the switch of port '%s' was removed", in->name);
		return NULL;
	}
	live = vswd_port_find(sw, in->name);
	set = in->set;
	if (live) {
		if (!live->move_token[0] || !token_equal(live->move_token, token)) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
				    "port '%s' of switch '%s' is not migrating with this token",
				    in->name, sw->name);
			return NULL;
		}
		set = live->settings;
		counters_carry(in->p, live->port);
		if (live->ops && live->ops->moved)
			live->ops->moved(live->owner, live);
		vswd_port_detach(d, live);
		moved = true;
	}
	spec.name = in->name;
	spec.settings = &set;
	spec.ops = vswd_conn_owner_ops();
	spec.owner = c;
	spec.peer = vswd_conn_peer(c);
	vp = vswd_port_attach(d, sw, in->p, &spec, err);
	if (!vp)
		return NULL;
	g_free(vswd_conn_take_incoming(c));
	vswd_conn_adopt(c, vp);
	g_info("port '%s' of switch '%s' %s its migration destination (pid %d)",
	       vp->port->name, sw->name, moved ? "moved to" : "attached by",
	       (int)vswd_conn_peer(c)->pid);
	b = json_builder_new();
	json_builder_begin_object(b);
	vsw_json_str(b, "switch", sw->name);
	vsw_json_str(b, "port", vp->port->name);
	vsw_json_int(b, "vlan", vp->settings.vlan);
	vsw_json_bool(b, "moved", moved);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *cmd_port_set_offload(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				      GError **err)
{
	struct vswd_port *vp = own_port(c, err);
	int64_t offloads = 0;

	if (!vp || !vswd_arg_int(a, "offloads", 0, VSW_OFFLOAD_ALL, true, &offloads, err))
		return NULL;
	vsw_dp_port_set_offloads(d->dp, vp->port, (unsigned)offloads);
	return done();
}

static JsonNode *cmd_port_set_mac(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				  GError **err)
{
	struct vswd_port *vp = own_port(c, err);
	const char *mac = vp ? vswd_arg_string(a, "mac", true, err) : NULL;
	const struct vswd_msw *ms;
	struct vswd_port_settings s;
	uint8_t m[6];

	if (!mac)
		return NULL;
	if (!vswd_mac_parse(mac, m)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid MAC address '%.40s' (expected 52:54:00:12:34:56)", mac);
		return NULL;
	}
	ms = vswd_model_switch_by_id(d->model, vp->sw->id);
	if (!vswd_mac_claimable(d->model, ms, vp->port->name, m, err))
		return NULL;
	s = vp->settings;
	/* A port provisioned with MACs keeps them: the one declared is among them. */
	if (!(s.provisioned && vswd_model_port(d->model, ms, vp->port->name) &&
	      vswd_model_port(d->model, ms, vp->port->name)->nmacs)) {
		s.nmacs = 1;
		memcpy(s.macs[0], m, 6);
	}
	if (!vswd_port_apply(d, vp, &s, err))
		return NULL;
	return done();
}

static JsonNode *cmd_port_detach(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				 GError **err)
{
	if (!vswd_conn_port(c)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "this connection owns no port");
		return NULL;
	}
	vswd_conn_detach(c);
	return done();
}

/* Administrators see every port; a port client its own process's. */
static JsonNode *cmd_port_list(struct vswd *d, struct vswd_conn *c, JsonObject *a,
			       GError **err)
{
	const struct vswd_peer *peer = vswd_conn_peer(c);
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
		sws = vswd_sorted_switches(d);
	}
	arr = json_array_new();
	for (unsigned i = 0; i < sws->len; i++) {
		struct vswd_switch *sw = sws->pdata[i];

		for (unsigned j = 0; j < sw->ports->len; j++) {
			struct vswd_port *vp = sw->ports->pdata[j];

			if (peer->admin || (vp->has_peer && vp->peer.pid == peer->pid &&
					    vp->peer.uid == peer->uid))
				json_array_add_element(arr, vswd_port_to_json(vp));
		}
	}
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, arr);
	return vswd_object_with("ports", n);
}

/* ------------------------------------------------------------------ */
/* Switches                                                            */

static JsonNode *cmd_switch_list(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				 GError **err)
{
	g_autoptr(GPtrArray) sws = vswd_sorted_switches(d);
	JsonArray *arr = json_array_new();
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);

	for (unsigned i = 0; i < sws->len; i++)
		json_array_add_element(arr, vswd_switch_to_json(d, sws->pdata[i], false));
	json_node_take_array(n, arr);
	return vswd_object_with("switches", n);
}

static JsonNode *cmd_switch_show(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				 GError **err)
{
	struct vswd_switch *sw = switch_arg(d, a, "name", err);
	g_autoptr(GArray) dump = NULL;
	JsonNode *n;
	uint32_t cap;

	if (!sw)
		return NULL;
	dump = vsw_dp_mac_dump(d->dp, sw->dsw, &cap, NULL);
	n = vswd_switch_to_json(d, sw, true);
	json_object_set_int_member(json_node_get_object(n), "mac-entries", dump->len);
	json_object_set_int_member(json_node_get_object(n), "mac-capacity", cap);
	return n;
}

/*
 * The host adapter and NIC arguments of switch-add and switch-set
 * (docs/protocol.md), applied to switch @name of @m:
 *   "nic": IFNAME to bind, "no-nic": true to unbind, "move": take the NIC
 *   from the switch it is bound to; "mode": "shared" (the host keeps using
 *   the NIC through a host adapter) or "dedicated"; "host-adapter": true
 *   or false; "host-adapter-name": its interface name;
 *   "host-adapter-vlan", "nic-vlan": 0 (untagged) or 1-4094.
 * @type (switch-add only): "private", "internal" or "external", or NULL.
 */
static bool apply_adapter_args(struct vswd_model *m, const char *name, JsonObject *a,
			       const char *type, GError **err)
{
	const char *nic, *mode, *ha_name;
	int64_t ha_vlan = -1, nic_vlan = -1;
	bool no_nic = false, move = false, ha = false, ha_given;
	const struct vswd_msw *ms;

	g_assert(err);		/* the dispatcher always asks for the error */
	nic = vswd_arg_string(a, "nic", false, err);
	mode = *err ? NULL : vswd_arg_string(a, "mode", false, err);
	ha_name = *err ? NULL : vswd_arg_string(a, "host-adapter-name", false, err);
	if (*err || !vswd_arg_bool(a, "no-nic", &no_nic, err) ||
	    !vswd_arg_bool(a, "move", &move, err) || !vswd_arg_bool(a, "host-adapter", &ha, err) ||
	    !vswd_arg_int(a, "host-adapter-vlan", 0, VSW_VLAN_MAX, false, &ha_vlan, err) ||
	    !vswd_arg_int(a, "nic-vlan", 0, VSW_VLAN_MAX, false, &nic_vlan, err))
		return false;
	ha_given = json_object_has_member(a, "host-adapter");
	if (mode && strcmp(mode, "shared") && strcmp(mode, "dedicated")) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid mode '%.80s': shared or dedicated", mode);
		return false;
	}
	if (nic && no_nic) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "nic and no-nic exclude each other");
		return false;
	}
	if (type) {
		if (strcmp(type, "private") && strcmp(type, "internal") && strcmp(type, "external")) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "invalid switch type '%.80s': private, internal or external "
				    "(the Default switch is the only one of its type)", type);
			return false;
		}
		if (!strcmp(type, "external") != (nic != NULL)) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "switch '%s': %s", name, nic ?
				    "a switch with a NIC is external" :
				    "an external switch needs a NIC (nic)");
			return false;
		}
		if (!strcmp(type, "internal") || (!strcmp(type, "external") &&
						  g_strcmp0(mode, "dedicated"))) {
			ha = ha_given ? ha : true;
			ha_given = true;
		}
		if (!strcmp(type, "private") && (ha || ha_name)) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "switch '%s': a private switch has no host adapter", name);
			return false;
		}
	}
	ms = vswd_model_switch(m, name, err);
	if (!ms)
		return false;
	if (no_nic && !vswd_model_switch_set_nic(m, name, NULL, false, err))
		return false;
	if (nic && !vswd_model_switch_set_nic(m, name, nic, move, err))
		return false;
	/* The mode of a NIC is whether the host shares it through a host adapter. */
	if (mode) {
		if (!ms->nic) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "switch '%s' has no NIC: shared or dedicated is a NIC's mode",
				    name);
			return false;
		}
		if (ha_given && ha != !strcmp(mode, "shared")) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "switch '%s': a shared NIC is one with a host adapter", name);
			return false;
		}
		ha = !strcmp(mode, "shared");
		ha_given = true;
	}
	if (ha_name && !ha_given && !ms->ha_name) {
		ha = true;
		ha_given = true;
	}
	if (ha_given || ha_name)
		if (!vswd_model_switch_set_host_adapter(m, name, ha_given ? ha : true, ha_name, err))
			return false;
	if (ha_vlan >= 0 && !vswd_model_switch_set_adapter_vlan(m, name, false, (int)ha_vlan, err))
		return false;
	if (nic_vlan >= 0 && !vswd_model_switch_set_adapter_vlan(m, name, true, (int)nic_vlan, err))
		return false;
	return true;
}

static JsonNode *cmd_switch_add(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);
	const char *type = name ? vswd_arg_string(a, "type", false, err) : NULL;
	g_autoptr(vswd_model) m = NULL;

	if (!name || *err)
		return NULL;
	m = vswd_model_copy(d->model);
	if (!vswd_model_switch_add(m, name, err))
		return NULL;
	if (!type)
		type = json_object_has_member(a, "nic") ? "external" :
		       json_object_has_member(a, "host-adapter") ||
		       json_object_has_member(a, "host-adapter-name") ? "internal" : "private";
	if (!apply_adapter_args(m, name, a, type, err))
		return NULL;
	return commit(d, g_steal_pointer(&m), err);
}

static JsonNode *cmd_switch_remove(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				   GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);
	g_autoptr(vswd_model) m = NULL;
	struct vswd_switch *sw;
	bool force = false;

	if (!name || !vswd_arg_bool(a, "force", &force, err))
		return NULL;
	m = vswd_model_copy(d->model);
	if (!vswd_model_switch_remove(m, name, err))
		return NULL;
	sw = vswd_switch_find(d, name, NULL);
	/* Its own ports (host adapter, NIC) go with it; clients' ports need force. */
	if (sw && !force) {
		unsigned n = 0;

		for (unsigned i = 0; i < sw->ports->len; i++)
			n += ((struct vswd_port *)sw->ports->pdata[i])->port->name[0] != '@';
		if (n) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
				    "switch '%s' has %u port(s) attached: detach them first or "
				    "force the removal", name, n);
			return NULL;
		}
	}
	return commit(d, g_steal_pointer(&m), err);
}

static JsonNode *cmd_switch_rename(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				   GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);
	const char *to = name ? vswd_arg_string(a, "new-name", true, err) : NULL;
	g_autoptr(vswd_model) m = NULL;

	if (!to)
		return NULL;
	m = vswd_model_copy(d->model);
	if (!vswd_model_switch_rename(m, name, to, err))
		return NULL;
	return commit(d, g_steal_pointer(&m), err);
}

/* An array argument of numbers (uids, gids) into a new array; NULL if absent. */
static bool ids_arg(JsonObject *a, const char *name, GArray **out, GError **err)
{
	JsonNode *n = json_object_get_member(a, name);
	JsonArray *arr;

	*out = NULL;
	if (!n)
		return true;
	if (!JSON_NODE_HOLDS_ARRAY(n))
		goto bad;
	arr = json_node_get_array(n);
	if (json_array_get_length(arr) > VSWD_ACCESS_MAX)
		goto bad;
	*out = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		JsonNode *e = json_array_get_element(arr, i);
		gint64 v;

		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_INT64)
			goto bad;
		v = json_node_get_int(e);
		if (v < 0 || v >= G_MAXUINT32)
			goto bad;
		g_array_append_vals(*out, &(guint32){ (guint32)v }, 1);
	}
	return true;
bad:
	if (*out)
		g_array_unref(*out);
	*out = NULL;
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
		    "argument '%s' must be a list of at most %d uid or gid numbers", name,
		    VSWD_ACCESS_MAX);
	return false;
}

static JsonNode *cmd_switch_set(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				GError **err)
{
	const char *name = vswd_arg_string(a, "name", true, err);
	const char *vlans = name ? vswd_arg_string(a, "client-vlans", false, err) : NULL;
	g_autoptr(GArray) uids = NULL;
	g_autoptr(GArray) gids = NULL;
	g_autoptr(vswd_model) m = NULL;
	bool reset = false;

	if (!name || (err && *err) || !ids_arg(a, "allow-users", &uids, err) ||
	    !ids_arg(a, "allow-groups", &gids, err) ||
	    !vswd_arg_bool(a, "access-default", &reset, err))
		return NULL;
	m = vswd_model_copy(d->model);
	if (!apply_adapter_args(m, name, a, NULL, err))
		return NULL;
	if (reset && (uids || gids)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "access-default and allow-users/allow-groups exclude each other");
		return NULL;
	}
	if (reset && !vswd_model_switch_set_access(m, name, NULL, NULL, err))
		return NULL;
	if (uids || gids) {
		const struct vswd_msw *ms = vswd_model_switch(m, name, err);

		if (!ms)
			return NULL;
		/* Setting one list keeps the other as it was. */
		if (!uids && ms->allow_uids)
			uids = g_array_ref(ms->allow_uids);
		if (!gids && ms->allow_gids)
			gids = g_array_ref(ms->allow_gids);
		if (!uids)
			uids = g_array_new(FALSE, FALSE, sizeof(guint32));
		if (!gids)
			gids = g_array_new(FALSE, FALSE, sizeof(guint32));
		if (!vswd_model_switch_set_access(m, name, uids, gids, err))
			return NULL;
	}
	if (vlans) {
		uint64_t bits[64] = { 0 };
		enum vswd_vlan_policy pol;

		if (!strcmp(vlans, "none")) {
			pol = VSWD_VLANS_NONE;
		} else if (!strcmp(vlans, "any")) {
			pol = VSWD_VLANS_ANY;
		} else if (vswd_vlan_list_parse(vlans, bits)) {
			pol = VSWD_VLANS_LIST;
		} else {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "invalid client-vlans '%.80s': none, any, or VLANs 1-4094 "
				    "such as 10,20-29", vlans);
			return NULL;
		}
		if (!vswd_model_switch_set_vlans(m, name, pol, bits, err))
			return NULL;
	}
	return commit(d, g_steal_pointer(&m), err);
}

static JsonNode *cmd_mac_table(struct vswd *d, struct vswd_conn *c, JsonObject *a,
			       GError **err)
{
	struct vswd_switch *sw = switch_arg(d, a, "switch", err);

	return sw ? vswd_mac_table_json(d, sw) : NULL;
}

/* ------------------------------------------------------------------ */
/* Ports the administrator owns                                        */

/*
 * A provisioned MAC may not be in use by a live port of another name:
 * the administrator detaches that one first.
 */
static bool macs_not_live(struct vswd *d, const struct vswd_mport *p, GError **err)
{
	struct vswd_switch *sw = vswd_switch_by_id(d, p->sw_id);

	for (unsigned i = 0; sw && i < p->nmacs; i++) {
		struct vswd_port *other = vswd_port_mac_in_use(sw, p->macs[i], NULL);
		char a[18];

		if (!other || !strcmp(other->port->name, p->name))
			continue;
		vswd_mac_format(p->macs[i], a);
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "MAC %s is in use by port '%s' of switch '%s': detach it first",
			    a, other->port->name, sw->name);
		return false;
	}
	return true;
}

/* Optional boolean arguments into @p's guards. */
static bool guard_args(JsonObject *a, struct vswd_mport *p, GError **err)
{
	return vswd_arg_bool(a, "mac-spoofing", &p->mac_spoofing, err) &&
	       vswd_arg_bool(a, "dhcp-guard", &p->dhcp_guard, err) &&
	       vswd_arg_bool(a, "router-guard", &p->router_guard, err);
}

static bool macs_arg(JsonObject *a, struct vswd_mport *p, GError **err)
{
	JsonNode *n = json_object_get_member(a, "macs");
	JsonArray *arr;

	if (!n)
		return true;
	if (!JSON_NODE_HOLDS_ARRAY(n) ||
	    json_array_get_length(arr = json_node_get_array(n)) > VSWD_PORT_MACS_MAX)
		goto bad;
	p->nmacs = 0;
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		JsonNode *e = json_array_get_element(arr, i);

		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING ||
		    !vswd_mac_parse(json_node_get_string(e), p->macs[p->nmacs]))
			goto bad;
		p->nmacs++;
	}
	return true;
bad:
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
		    "argument 'macs' must be a list of at most %d MAC addresses such as "
		    "\"52:54:00:12:34:56\"", VSWD_PORT_MACS_MAX);
	return false;
}

static bool owner_args(JsonObject *a, struct vswd_mport *p, GError **err)
{
	int64_t u = p->owner_uid, g = p->owner_gid;

	if (!vswd_arg_int(a, "owner-user", -1, G_MAXUINT32 - 1, false, &u, err) ||
	    !vswd_arg_int(a, "owner-group", -1, G_MAXUINT32 - 1, false, &g, err))
		return false;
	p->owner_uid = u;
	p->owner_gid = g;
	return true;
}

static JsonNode *cmd_port_provision(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				    GError **err)
{
	const char *swn = vswd_arg_string(a, "switch", true, err);
	const char *pn = swn ? vswd_arg_string(a, "port", true, err) : NULL;
	g_autoptr(vswd_model) m = NULL;
	struct vswd_mport p = { .owner_uid = VSWD_NO_ID, .owner_gid = VSWD_NO_ID };
	const struct vswd_msw *ms;
	int64_t vlan = 0;

	if (!pn || !vswd_arg_int(a, "vlan", 0, VSW_VLAN_MAX, false, &vlan, err) ||
	    !macs_arg(a, &p, err) || !guard_args(a, &p, err) || !owner_args(a, &p, err))
		return NULL;
	m = vswd_model_copy(d->model);
	ms = vswd_model_switch(m, swn, err);
	if (!ms)
		return NULL;
	p.sw_id = ms->id;
	p.name = (char *)pn;
	p.vlan = (uint16_t)vlan;
	if (!macs_not_live(d, &p, err) || !vswd_model_port_provision(m, &p, err))
		return NULL;
	return commit(d, g_steal_pointer(&m), err);
}

static JsonNode *cmd_port_unprovision(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				      GError **err)
{
	const char *swn = vswd_arg_string(a, "switch", true, err);
	const char *pn = swn ? vswd_arg_string(a, "port", true, err) : NULL;
	g_autoptr(vswd_model) m = NULL;

	if (!pn)
		return NULL;
	m = vswd_model_copy(d->model);
	if (!vswd_model_port_unprovision(m, swn, pn, err))
		return NULL;
	return commit(d, g_steal_pointer(&m), err);
}

static JsonNode *cmd_port_provisioned(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				      GError **err)
{
	g_autoptr(GPtrArray) ports = g_ptr_array_new();
	const char *swn = vswd_arg_string(a, "switch", false, err);
	const struct vswd_msw *ms = NULL;
	JsonArray *arr;
	JsonNode *n;

	if (err && *err)
		return NULL;
	if (swn && !(ms = vswd_model_switch(d->model, swn, err)))
		return NULL;
	for (unsigned i = 0; i < d->model->ports->len; i++) {
		const struct vswd_mport *p = d->model->ports->pdata[i];

		if (!ms || p->sw_id == ms->id)
			g_ptr_array_add(ports, (gpointer)p);
	}
	g_ptr_array_sort_with_data(ports, vswd_mport_cmp, d->model);
	arr = json_array_new();
	for (unsigned i = 0; i < ports->len; i++)
		json_array_add_element(arr, vswd_mport_to_json(d, ports->pdata[i]));
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, arr);
	return vswd_object_with("ports", n);
}

/*
 * port-set: change a port's VLAN or guards.  What is set persists as the
 * port's provisioned entry (created from the live port if there is none,
 * owned by the user whose client attached it), so the port gets it back
 * when its client attaches again, even after vswitchd restarts.
 */
static JsonNode *cmd_port_set(struct vswd *d, struct vswd_conn *c, JsonObject *a,
			      GError **err)
{
	const char *swn = vswd_arg_string(a, "switch", true, err);
	const char *pn = swn ? vswd_arg_string(a, "port", true, err) : NULL;
	g_autoptr(vswd_model) m = NULL;
	const struct vswd_msw *ms;
	const struct vswd_mport *old;
	struct vswd_switch *sw;
	struct vswd_port *vp;
	struct vswd_mport p;
	int64_t vlan;

	if (!pn)
		return NULL;
	ms = vswd_model_switch(d->model, swn, err);
	if (!ms)
		return NULL;
	sw = vswd_switch_by_id(d, ms->id);
	vp = vswd_port_find(sw, pn);
	old = vswd_model_port(d->model, ms, pn);
	if (vp && (vp->port->fwd.flags & VSW_FWD_F_RESERVED)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "port '%s' of switch '%s' belongs to the switch itself: it cannot "
			    "be changed", pn, swn);
		return NULL;
	}
	if (!vp && !old) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND,
			    "switch '%s' has no port '%.80s' (provision one: vswitchctl port provision)",
			    swn, pn);
		return NULL;
	}
	if (old) {
		p = *old;
	} else {
		memset(&p, 0, sizeof(p));
		p.sw_id = ms->id;
		p.vlan = vp->settings.vlan;
		p.mac_spoofing = vp->settings.mac_spoofing;
		p.dhcp_guard = vp->settings.dhcp_guard;
		p.router_guard = vp->settings.router_guard;
		p.owner_uid = vp->has_peer && !vp->peer.admin ? (int64_t)vp->peer.uid : VSWD_NO_ID;
		p.owner_gid = VSWD_NO_ID;
	}
	p.name = (char *)pn;
	vlan = p.vlan;
	if (!vswd_arg_int(a, "vlan", 0, VSW_VLAN_MAX, false, &vlan, err) ||
	    !guard_args(a, &p, err))
		return NULL;
	p.vlan = (uint16_t)vlan;
	m = vswd_model_copy(d->model);
	if (!vswd_model_port_provision(m, &p, err))
		return NULL;
	return commit(d, g_steal_pointer(&m), err);
}

/* ------------------------------------------------------------------ */
/* The NAT                                                             */

static void nat_show_done(void *data, JsonObject *reply, const GError *err)
{
	struct vswd_pending *p = data;
	struct vswd *d = vswd_pending_daemon(p);
	JsonObject *stats = NULL;

	if (reply && json_object_has_member(reply, "stats") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(reply, "stats")))
		stats = json_object_get_object_member(reply, "stats");
	/* A NAT that is down is shown as such, with its settings. */
	vswd_pending_finish(p, vswd_nat_to_json(d, stats), NULL);
}

static JsonNode *cmd_nat_show(struct vswd *d, struct vswd_conn *c, JsonObject *a,
			      GError **err)
{
	struct vswd_pending *p = vswd_conn_defer(c);

	vswd_pending_wait_nat(p, vswd_nat_request(d, "stats", nat_show_done, p));
	return VSWD_PENDING;
}

static void nat_connections_done(void *data, JsonObject *reply, const GError *err)
{
	struct vswd_pending *p = data;
	const char *text;

	if (!reply) {
		vswd_pending_finish(p, NULL, err);
		return;
	}
	text = json_object_get_string_member_with_default(reply, "text", "");
	vswd_pending_finish(p, vswd_object_with("text", json_node_init_string(json_node_alloc(),
									      text)), NULL);
}

static JsonNode *cmd_nat_connections(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				     GError **err)
{
	struct vswd_pending *p = vswd_conn_defer(c);

	vswd_pending_wait_nat(p, vswd_nat_request(d, "connections", nat_connections_done, p));
	return VSWD_PENDING;
}

static JsonNode *cmd_nat_set(struct vswd *d, struct vswd_conn *c, JsonObject *a,
			     GError **err)
{
	const char *key = vswd_arg_string(a, "key", true, err);
	JsonNode *v = json_object_get_member(a, "value");
	const char *value = NULL;
	g_autoptr(vswd_model) m = NULL;

	if (!key)
		return NULL;
	if (v && !JSON_NODE_HOLDS_NULL(v)) {
		value = vswd_arg_string(a, "value", true, err);
		if (!value)
			return NULL;
	}
	m = vswd_model_copy(d->model);
	if (!vswd_model_nat_set(m, key, value, err))
		return NULL;
	return commit(d, g_steal_pointer(&m), err);
}

/* The forward named by proto, host-addr (127.0.0.1 by default), host-port. */
static bool fwd_key_args(JsonObject *a, struct vswd_mfwd *f, GError **err)
{
	const char *proto = vswd_arg_string(a, "proto", true, err);
	const char *host = proto ? vswd_arg_string(a, "host-addr", false, err) : NULL;
	int64_t port = 0;

	if (!proto || (err && *err) ||
	    !vswd_arg_int(a, "host-port", 1, 65535, true, &port, err))
		return false;
	if (!strcmp(proto, "tcp")) {
		f->udp = false;
	} else if (!strcmp(proto, "udp")) {
		f->udp = true;
	} else {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid protocol '%.16s' (tcp or udp)", proto);
		return false;
	}
	/* Loopback unless the administrator names another address (QEMU's pitfall). */
	if (!host)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &f->host_addr) != 1) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid host address '%.64s' (an IPv4 address such as 127.0.0.1, "
			    "or 0.0.0.0 for every address)", host);
		return false;
	}
	f->host_port = (uint16_t)port;
	return true;
}

static int listen_error_class(int e)
{
	switch (e) {
	case EADDRINUSE:
		return VSWD_ERR_BUSY;
	case EACCES:
	case EPERM:
		return VSWD_ERR_PERMISSION;
	case EADDRNOTAVAIL:
		return VSWD_ERR_INVALID;
	default:
		return VSWD_ERR_GENERIC;
	}
}

/* A forward being added: the new model waits for the helper to listen. */
struct fwd_add {
	struct vswd_model *m;
	struct vswd_mfwd f;
};

static void fwd_add_free(gpointer data)
{
	struct fwd_add *fa = data;

	vswd_model_free(fa->m);
	g_free(fa);
}

static void fwd_add_done(void *data, JsonObject *reply, const GError *err)
{
	struct vswd_pending *p = data;
	struct vswd *d = vswd_pending_daemon(p);
	struct fwd_add *fa = vswd_pending_get_data(p);
	g_autoptr(GError) e = NULL;
	char ha[INET_ADDRSTRLEN];
	gint64 eno;

	if (!reply) {
		vswd_pending_finish(p, NULL, err);
		return;
	}
	eno = json_object_get_boolean_member_with_default(reply, "ok", FALSE) ? 0 :
	      json_object_get_int_member_with_default(reply, "errno", EPROTO);
	if (eno) {
		g_set_error(&e, VSWD_ERROR, listen_error_class((int)eno),
			    "NAT forward %s %s:%u: cannot listen: %s%s", fa->f.udp ? "udp" : "tcp",
			    inet_ntop(AF_INET, &fa->f.host_addr, ha, sizeof(ha)), fa->f.host_port,
			    g_strerror((int)eno), eno == EACCES && fa->f.host_port < 1024 ?
			    " (ports below 1024 need privileges)" : "");
		vswd_pending_finish(p, NULL, e);
		return;
	}
	/* Listening: now it is saved, or undone if it cannot be. */
	if (!vswd_commit(d, g_steal_pointer(&fa->m), &e)) {
		vswd_nat_fwd_request(d, &fa->f, false, NULL, NULL);
		vswd_pending_finish(p, NULL, e);
		return;
	}
	g_message("NAT forward %s %s:%u -> port %u added", fa->f.udp ? "udp" : "tcp",
		  inet_ntop(AF_INET, &fa->f.host_addr, ha, sizeof(ha)), fa->f.host_port,
		  fa->f.guest_port);
	vswd_pending_finish(p, NULL, NULL);
}

static JsonNode *cmd_nat_forward_add(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				     GError **err)
{
	struct vswd_mfwd f = { 0 };
	struct fwd_add *fa;
	struct vswd_pending *p;
	const char *guest;
	int64_t gport = 0;

	if (!fwd_key_args(a, &f, err))
		return NULL;
	guest = vswd_arg_string(a, "guest-addr", true, err);
	if (!guest || !vswd_arg_int(a, "guest-port", 1, 65535, true, &gport, err))
		return NULL;
	if (inet_pton(AF_INET, guest, &f.guest_addr) != 1) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid guest address '%.64s': expected an IPv4 address such as "
			    "10.0.2.15", guest);
		return NULL;
	}
	f.guest_port = (uint16_t)gport;
	fa = g_new0(struct fwd_add, 1);
	fa->f = f;
	fa->m = vswd_model_copy(d->model);
	if (!vswd_model_fwd_add(fa->m, &f, err)) {
		fwd_add_free(fa);
		return NULL;
	}
	p = vswd_conn_defer(c);
	vswd_pending_set_data(p, fa, fwd_add_free);
	vswd_pending_wait_nat(p, vswd_nat_fwd_request(d, &f, true, fwd_add_done, p));
	return VSWD_PENDING;
}

static JsonNode *cmd_nat_forward_remove(struct vswd *d, struct vswd_conn *c, JsonObject *a,
					GError **err)
{
	struct vswd_mfwd key = { 0 };
	g_autoptr(vswd_model) m = NULL;

	if (!fwd_key_args(a, &key, err))
		return NULL;
	m = vswd_model_copy(d->model);
	if (!vswd_model_fwd_remove(m, key.udp, key.host_addr, key.host_port, err))
		return NULL;
	/* Saved without it first; then the helper stops listening. */
	return commit(d, g_steal_pointer(&m), err);
}

static JsonNode *cmd_nat_forward_list(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				      GError **err)
{
	g_autoptr(GPtrArray) fwds = g_ptr_array_new();
	JsonArray *arr = json_array_new();
	JsonNode *n;

	for (unsigned i = 0; i < d->model->fwds->len; i++)
		g_ptr_array_add(fwds, d->model->fwds->pdata[i]);
	g_ptr_array_sort(fwds, vswd_mfwd_cmp);
	for (unsigned i = 0; i < fwds->len; i++)
		json_array_add_element(arr, vswd_fwd_to_json(d, fwds->pdata[i]));
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, arr);
	return vswd_object_with("forwards", n);
}

#define ANY	VSWD_ROLE_ANY
#define ADMIN	VSWD_ROLE_ADMIN

const struct vswd_command vswd_commands[] = {
	/* Every client: what a QEMU needs for its own ports. */
	{ "version", ANY, cmd_version, ARGS(NULL) },
	{ "whoami", ANY, cmd_whoami, ARGS(NULL) },
	{ "port-attach", ANY, cmd_port_attach,
	  ARGS("switch", "port", "vlan", "mac", "offloads", "incoming") },
	{ "port-migrate-token", ANY, cmd_port_migrate_token, ARGS("token") },
	{ "port-takeover", ANY, cmd_port_takeover, ARGS("token") },
	{ "port-set-offload", ANY, cmd_port_set_offload, ARGS("offloads") },
	{ "port-set-mac", ANY, cmd_port_set_mac, ARGS("mac") },
	{ "port-detach", ANY, cmd_port_detach, ARGS(NULL) },
	{ "port-list", ANY, cmd_port_list, ARGS("switch") },
	/* Administrators. */
	{ "switch-list", ADMIN, cmd_switch_list, ARGS(NULL) },
	{ "switch-show", ADMIN, cmd_switch_show, ARGS("name") },
	{ "switch-add", ADMIN, cmd_switch_add,
	  ARGS("name", "type", "nic", "mode", "host-adapter", "host-adapter-name",
	       "host-adapter-vlan", "nic-vlan") },
	{ "switch-remove", ADMIN, cmd_switch_remove, ARGS("name", "force") },
	{ "switch-rename", ADMIN, cmd_switch_rename, ARGS("name", "new-name") },
	{ "switch-set", ADMIN, cmd_switch_set,
	  ARGS("name", "allow-users", "allow-groups", "access-default", "client-vlans",
	       "nic", "no-nic", "move", "mode", "host-adapter", "host-adapter-name",
	       "host-adapter-vlan", "nic-vlan") },
	{ "port-set", ADMIN, cmd_port_set,
	  ARGS("switch", "port", "vlan", "mac-spoofing", "dhcp-guard", "router-guard") },
	{ "port-provision", ADMIN, cmd_port_provision,
	  ARGS("switch", "port", "vlan", "macs", "mac-spoofing", "dhcp-guard",
	       "router-guard", "owner-user", "owner-group") },
	{ "port-unprovision", ADMIN, cmd_port_unprovision, ARGS("switch", "port") },
	{ "port-provisioned", ADMIN, cmd_port_provisioned, ARGS("switch") },
	{ "mac-table", ADMIN, cmd_mac_table, ARGS("switch") },
	{ "nat-show", ADMIN, cmd_nat_show, ARGS(NULL) },
	{ "nat-set", ADMIN, cmd_nat_set, ARGS("key", "value") },
	{ "nat-connections", ADMIN, cmd_nat_connections, ARGS(NULL) },
	{ "nat-forward-add", ADMIN, cmd_nat_forward_add,
	  ARGS("proto", "host-addr", "host-port", "guest-addr", "guest-port") },
	{ "nat-forward-remove", ADMIN, cmd_nat_forward_remove,
	  ARGS("proto", "host-addr", "host-port") },
	{ "nat-forward-list", ADMIN, cmd_nat_forward_list, ARGS(NULL) },
	{ NULL }
};
