// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * switch.c - the runtime: switches and ports as they run.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The reconciler creates, renames and destroys switches here to follow
 * the model; the front-end attaches and detaches ports.  Rules enforced
 * here (docs/design.md):
 *   - Port names are unique per switch.
 *   - No two ports of a switch may send from the same MAC address; the
 *     NAT's addresses (52:55 and 52:56) belong to the NAT's port alone,
 *     which may send from nothing else.
 *   - A user's clients attach at most cfg.max_ports_per_user ports
 *     (administrators and the daemon's own ports are not counted).
 *   - A port the data path gave up on (its ring made no sense) is
 *     detached, and its owner told why; nobody else notices.
 */
#include <string.h>

#include <glib-unix.h>

#include "names.h"
#include "vswitchd.h"

/* libslirp's addresses: the gateway and DNS (52:55:<IPv4>), IPv6 (52:56:...). */
static const struct vsw_mac_prefix nat_macs[] = {
	{ { 0x52, 0x55 }, 2 },
	{ { 0x52, 0x56 }, 2 },
};

struct vswd_switch *vswd_switch_by_id(struct vswd *d, uint32_t id)
{
	for (unsigned i = 0; i < d->switches->len; i++) {
		struct vswd_switch *sw = d->switches->pdata[i];

		if (sw->id == id)
			return sw;
	}
	return NULL;
}

struct vswd_switch *vswd_switch_find(struct vswd *d, const char *name, GError **err)
{
	for (unsigned i = 0; i < d->switches->len; i++) {
		struct vswd_switch *sw = d->switches->pdata[i];

		if (!strcmp(sw->name, name))
			return sw;
	}
	g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND, "switch '%.80s' does not exist", name);
	return NULL;
}

struct vswd_switch *vswd_switch_create(struct vswd *d, const struct vswd_msw *msw,
				       GError **err)
{
	struct vsw_dp_switch *dsw;
	struct vswd_switch *sw;

	dsw = vsw_dp_switch_new(d->dp, d->cfg.mac_capacity, d->cfg.mac_aging_ms, err);
	if (!dsw)
		return NULL;
	sw = g_new0(struct vswd_switch, 1);
	sw->id = msw->id;
	sw->name = g_strdup(msw->name);
	sw->is_default = msw->is_default;
	sw->dsw = dsw;
	sw->ports = g_ptr_array_new();
	g_ptr_array_add(d->switches, sw);
	return sw;
}

/* Does @vp count against its user's port limit? */
static bool counted(const struct vswd_port *vp)
{
	return vp->has_peer && !vp->peer.admin;
}

/*
 * Take @vp off its switch and free it; with a @reason, tell its owner why
 * first (the owner forgets it).
 */
static void port_remove(struct vswd *d, struct vswd_port *vp, const char *reason)
{
	vsw_dp_port_del(d->dp, vp->port);
	g_ptr_array_remove(vp->sw->ports, vp);
	if (reason) {
		static struct vsw_log_rate rate;
		unsigned missed;

		/* A client can corrupt its ring, attach again, and so on. */
		if (vswd_log_rate_ok(&rate, &missed))
			g_message("resetting port '%s' of switch '%s': %s%s", vp->port->name,
				  vp->sw->name, reason,
				  missed ? " (and others before, not logged)" : "");
		if (vp->ops && vp->ops->reset)
			vp->ops->reset(vp->owner, vp, reason);
	}
	vp->port->ops->destroy(vp->port);
	if (counted(vp)) {
		guint n = vswd_user_ports(d, vp->peer.uid);

		if (n <= 1)
			g_hash_table_remove(d->user_ports, GUINT_TO_POINTER(vp->peer.uid));
		else
			g_hash_table_insert(d->user_ports, GUINT_TO_POINTER(vp->peer.uid),
					    GUINT_TO_POINTER(n - 1));
	}
	g_free(vp);
}

void vswd_switch_destroy(struct vswd *d, struct vswd_switch *sw)
{
	vswd_adapters_release(d, sw);
	while (sw->ports->len)
		port_remove(d, g_ptr_array_index(sw->ports, sw->ports->len - 1), "switch removed");
	vsw_dp_switch_free(d->dp, sw->dsw);
	g_ptr_array_remove(d->switches, sw);
	g_ptr_array_free(sw->ports, TRUE);
	g_free(sw->name);
	g_free(sw);
}

struct vswd_port *vswd_port_find(struct vswd_switch *sw, const char *name)
{
	for (unsigned i = 0; i < sw->ports->len; i++) {
		struct vswd_port *vp = g_ptr_array_index(sw->ports, i);

		if (!strcmp(vp->port->name, name))
			return vp;
	}
	return NULL;
}

struct vswd_port *vswd_port_mac_in_use(struct vswd_switch *sw, const uint8_t mac[6],
				       const struct vswd_port *except)
{
	for (unsigned i = 0; i < sw->ports->len; i++) {
		struct vswd_port *vp = g_ptr_array_index(sw->ports, i);

		if (vp == except)
			continue;
		for (unsigned j = 0; j < vp->settings.nmacs; j++)
			if (!memcmp(vp->settings.macs[j], mac, 6))
				return vp;
	}
	return NULL;
}

unsigned vswd_user_ports(struct vswd *d, uid_t uid)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(d->user_ports, GUINT_TO_POINTER(uid)));
}

/* The MACs of @s must be free on @sw (but for @vp itself). */
static bool macs_free(struct vswd_switch *sw, const struct vswd_port *vp, const char *name,
		      const struct vswd_port_settings *s, GError **err)
{
	for (unsigned i = 0; i < s->nmacs; i++) {
		struct vswd_port *other = vswd_port_mac_in_use(sw, s->macs[i], vp);
		char a[18];

		if (!other)
			continue;
		vswd_mac_format(s->macs[i], a);
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "port '%s' of switch '%s': MAC %s is in use by port '%s'",
			    name, sw->name, a, other->port->name);
		return false;
	}
	return true;
}

/* What the data path needs of @s. */
static void fwd_from(const struct vswd_port_settings *s, bool trusted_macs,
		     struct vsw_fwd_port *f)
{
	memset(f, 0, sizeof(*f));
	f->mode = s->trunk ? VSW_MODE_TRUNK : VSW_MODE_ACCESS;
	f->vlan = s->vlan;
	if (trusted_macs) {
		f->flags = VSW_FWD_F_MAC_LOCK | VSW_FWD_F_RESERVED;
		f->nmacs = G_N_ELEMENTS(nat_macs);
		memcpy(f->macs, nat_macs, sizeof(nat_macs));
		return;
	}
	if (!s->mac_spoofing)
		f->flags |= VSW_FWD_F_MAC_LOCK;
	if (s->dhcp_guard)
		f->flags |= VSW_FWD_F_DHCP_GUARD;
	if (s->router_guard)
		f->flags |= VSW_FWD_F_ROUTER_GUARD;
	f->nmacs = (uint8_t)MIN(s->nmacs, VSW_FWD_MACS_MAX);
	for (unsigned i = 0; i < f->nmacs; i++) {
		memcpy(f->macs[i].mac, s->macs[i], 6);
		f->macs[i].len = 6;
	}
}

/* The MAC vswitchctl shows for the port: its first one. */
static void show_mac(struct vswd_port *vp)
{
	if (vp->settings.nmacs)
		vswd_mac_format(vp->settings.macs[0], vp->port->mac);
}

struct vswd_port *vswd_port_attach(struct vswd *d, struct vswd_switch *sw,
				   struct vsw_port *p, const struct vswd_port_spec *spec,
				   GError **err)
{
	struct vswd_port *vp;
	int rc;

	if (!vsw_name_valid(spec->name)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "invalid port name '%.80s'",
			    spec->name);
		return NULL;
	}
	if (spec->name[0] == '@' && !spec->own) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid port name '%.80s': names that begin with '@' are the "
			    "switch's own (its host adapter, its NIC)", spec->name);
		return NULL;
	}
	if (vswd_port_find(sw, spec->name)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "switch '%s' already has a port '%s'", sw->name, spec->name);
		return NULL;
	}
	if (!macs_free(sw, NULL, spec->name, spec->settings, err))
		return NULL;
	if (spec->peer && !spec->peer->admin &&
	    vswd_user_ports(d, spec->peer->uid) >= d->cfg.max_ports_per_user) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "uid %u has %u ports attached, the most one user may have "
			    "(vswitchd --max-ports-per-user)", (unsigned)spec->peer->uid,
			    d->cfg.max_ports_per_user);
		return NULL;
	}
	g_strlcpy(p->name, spec->name, sizeof(p->name));
	fwd_from(spec->settings, spec->trusted_macs, &p->fwd);
	rc = vsw_dp_port_add(d->dp, sw->dsw, p);
	if (rc < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "switch '%s' cannot take another port (%d ports at most)",
			    sw->name, VSW_SWITCH_MAX_PORTS);
		return NULL;
	}
	if (spec->trusted_macs)
		vsw_dp_switch_set_reserved(d->dp, sw->dsw, nat_macs, G_N_ELEMENTS(nat_macs));
	vp = g_new0(struct vswd_port, 1);
	vp->port = p;
	vp->sw = sw;
	vp->ops = spec->ops;
	vp->owner = spec->owner;
	if (spec->peer) {
		vp->has_peer = true;
		vp->peer = *spec->peer;
	}
	vp->settings = *spec->settings;
	show_mac(vp);
	g_ptr_array_add(sw->ports, vp);
	if (counted(vp))
		g_hash_table_insert(d->user_ports, GUINT_TO_POINTER(vp->peer.uid),
				    GUINT_TO_POINTER(vswd_user_ports(d, vp->peer.uid) + 1));
	g_info("port '%s' (%s) attached to switch '%s', VLAN %u", p->name,
	       p->ops->kind, sw->name, vp->settings.vlan);
	return vp;
}

void vswd_port_reset(struct vswd *d, struct vswd_port *vp, const char *reason)
{
	port_remove(d, vp, reason);
}

void vswd_port_detach(struct vswd *d, struct vswd_port *vp)
{
	g_info("port '%s' detached from switch '%s'", vp->port->name, vp->sw->name);
	port_remove(d, vp, NULL);
}

bool vswd_port_apply(struct vswd *d, struct vswd_port *vp,
		     const struct vswd_port_settings *s, GError **err)
{
	struct vsw_fwd_port f;
	bool vlan_changed = s->vlan != vp->settings.vlan;

	if (!macs_free(vp->sw, vp, vp->port->name, s, err))
		return false;
	fwd_from(s, vp->port->fwd.flags & VSW_FWD_F_RESERVED, &f);
	vsw_dp_port_set_fwd(d->dp, vp->port, &f);
	vp->settings = *s;
	show_mac(vp);
	if (vlan_changed) {
		g_info("port '%s' of switch '%s' now on VLAN %u", vp->port->name,
		       vp->sw->name, s->vlan);
		if (vp->ops && vp->ops->vlan_changed)
			vp->ops->vlan_changed(vp->owner, vp);
	}
	return true;
}

/* The data path gave up on ports: reset them. */
static gboolean on_dead_ports(gint fd, GIOCondition cond, gpointer data)
{
	struct vswd *d = data;
	struct vsw_port *p;

	while ((p = vsw_dp_take_dead(d->dp))) {
		for (unsigned i = 0; i < d->switches->len; i++) {
			struct vswd_switch *sw = d->switches->pdata[i];

			for (unsigned j = 0; j < sw->ports->len; j++) {
				struct vswd_port *vp = sw->ports->pdata[j];

				if (vp->port == p) {
					port_remove(d, vp, "ring corrupted");
					goto next;
				}
			}
		}
next:;
	}
	return G_SOURCE_CONTINUE;
}

bool vswd_runtime_start(struct vswd *d, GError **err)
{
	d->switches = g_ptr_array_new();
	d->user_ports = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (unsigned i = 0; i < d->model->switches->len; i++)
		if (!vswd_switch_create(d, d->model->switches->pdata[i], err))
			return false;
	d->notify_src = g_unix_fd_add(vsw_dp_notify_fd(d->dp), G_IO_IN, on_dead_ports, d);
	return true;
}

void vswd_runtime_stop(struct vswd *d)
{
	if (d->notify_src)
		g_source_remove(d->notify_src);
	d->notify_src = 0;
	while (d->switches && d->switches->len)
		vswd_switch_destroy(d, d->switches->pdata[d->switches->len - 1]);
	if (d->switches)
		g_ptr_array_free(d->switches, TRUE);
	if (d->user_ports)
		g_hash_table_unref(d->user_ports);
	d->switches = NULL;
	d->user_ports = NULL;
}
