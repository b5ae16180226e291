// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * switch.c - the switch registry: add, remove, rename, attach ports.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Rules enforced here (DESIGN.md):
 *   - Names follow names.h and are unique; port names unique per switch.
 *   - The Default switch exists always and cannot be removed or renamed.
 *   - A switch with ports is removed only when asked to force it: its
 *     ports are reset (their clients see the connection close).
 *   - Every change to what persists is saved before it is reported done;
 *     if saving fails, the change is undone and the error says why.
 */
#include <string.h>

#include "names.h"
#include "vswitchd.h"

struct vswd_switch *vswd_switch_find(struct vswd *d, const char *name, GError **err)
{
	struct vswd_switch *sw = g_hash_table_lookup(d->switches, name);

	if (!sw)
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND,
			    "switch '%s' does not exist", name);
	return sw;
}

const char *vswd_switch_type(const struct vswd_switch *sw)
{
	return sw->is_default ? "default" : "private";
}

static bool check_name(const char *what, const char *name, GError **err)
{
	if (vsw_name_valid(name))
		return true;
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
		    "invalid %s name '%.80s': use 1-%d characters of A-Z a-z 0-9 "
		    ". _ : @ -, not starting with '-' or '.'", what, name,
		    VSW_NAME_MAX);
	return false;
}

static struct vswd_switch *switch_new(struct vswd *d, const char *name, GError **err)
{
	struct vswd_switch *sw;
	struct vsw_dp_switch *dsw;

	dsw = vsw_dp_switch_new(d->dp, d->cfg.mac_capacity, d->cfg.mac_aging_ms, err);
	if (!dsw)
		return NULL;
	sw = g_new0(struct vswd_switch, 1);
	sw->name = g_strdup(name);
	sw->dsw = dsw;
	sw->ports = g_ptr_array_new();
	g_hash_table_insert(d->switches, sw->name, sw);
	return sw;
}

struct vswd_switch *vswd_switch_add(struct vswd *d, const char *name, GError **err)
{
	struct vswd_switch *sw;

	if (!check_name("switch", name, err))
		return NULL;
	if (g_hash_table_contains(d->switches, name) ||
	    !g_ascii_strcasecmp(name, VSWD_DEFAULT_SWITCH)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "switch '%s' already exists", name);
		return NULL;
	}
	sw = switch_new(d, name, err);
	if (!sw)
		return NULL;
	if (!vswd_config_save(d, err)) {
		g_hash_table_remove(d->switches, sw->name);
		vswd_switch_free(d, sw);
		return NULL;
	}
	return sw;
}

struct vswd_switch *vswd_switch_add_default(struct vswd *d, GError **err)
{
	struct vswd_switch *sw = switch_new(d, VSWD_DEFAULT_SWITCH, err);

	if (sw)
		sw->is_default = true;
	return sw;
}

void vswd_switch_free(struct vswd *d, struct vswd_switch *sw)
{
	while (sw->ports->len) {
		struct vswd_port *vp = g_ptr_array_index(sw->ports, sw->ports->len - 1);

		if (vp->owner)
			vswd_conn_reset(d, vp->owner, "switch removed");
		else
			vswd_port_remove(d, vp);
	}
	vsw_dp_switch_free(d->dp, sw->dsw);
	g_ptr_array_free(sw->ports, TRUE);
	g_free(sw->name);
	g_free(sw);
}

/* Move the VLAN overrides of switch @sw_name's ports out into a new table. */
static GHashTable *take_overrides(struct vswd *d, const char *sw_name)
{
	g_autofree char *prefix = g_strconcat(sw_name, "/", NULL);
	GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, d->vlan_overrides);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (g_str_has_prefix(k, prefix)) {
			g_hash_table_insert(out, g_strdup((char *)k + strlen(prefix)), v);
			g_hash_table_iter_remove(&it);
		}
	}
	return out;
}

/* Put overrides taken by take_overrides() back, under switch @sw_name. */
static void put_overrides(struct vswd *d, GHashTable *taken, const char *sw_name)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, taken);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(d->vlan_overrides,
				    g_strconcat(sw_name, "/", k, NULL), v);
}

bool vswd_switch_remove(struct vswd *d, const char *name, bool force, GError **err)
{
	struct vswd_switch *sw = vswd_switch_find(d, name, err);
	g_autoptr(GHashTable) taken = NULL;

	if (!sw)
		return false;
	if (sw->is_default) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "switch '%s' is the Default switch: it cannot be removed", name);
		return false;
	}
	if (sw->ports->len && !force) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "switch '%s' has %u port(s) attached: detach them first "
			    "or force the removal", name, sw->ports->len);
		return false;
	}
	g_hash_table_steal(d->switches, sw->name);
	taken = take_overrides(d, sw->name);
	if (!vswd_config_save(d, err)) {
		g_hash_table_insert(d->switches, sw->name, sw);
		put_overrides(d, taken, sw->name);
		return false;
	}
	vswd_switch_free(d, sw);
	return true;
}

bool vswd_switch_rename(struct vswd *d, const char *name, const char *new_name,
			GError **err)
{
	struct vswd_switch *sw = vswd_switch_find(d, name, err);
	g_autoptr(GHashTable) taken = NULL;
	char *old;

	if (!sw)
		return false;
	if (sw->is_default) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "switch '%s' is the Default switch: it cannot be renamed", name);
		return false;
	}
	if (!check_name("switch", new_name, err))
		return false;
	if (!strcmp(name, new_name))
		return true;
	if (g_hash_table_contains(d->switches, new_name) ||
	    !g_ascii_strcasecmp(new_name, VSWD_DEFAULT_SWITCH)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "cannot rename switch '%s' to '%s': '%s' already exists",
			    name, new_name, new_name);
		return false;
	}
	old = sw->name;
	g_hash_table_steal(d->switches, old);
	sw->name = g_strdup(new_name);
	g_hash_table_insert(d->switches, sw->name, sw);
	/* The VLAN overrides of its ports follow the switch's new name. */
	taken = take_overrides(d, old);
	put_overrides(d, taken, new_name);
	if (!vswd_config_save(d, err)) {
		g_hash_table_unref(take_overrides(d, new_name));
		put_overrides(d, taken, old);
		g_hash_table_steal(d->switches, sw->name);
		g_free(sw->name);
		sw->name = old;
		g_hash_table_insert(d->switches, sw->name, sw);
		return false;
	}
	g_free(old);
	return true;
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

char *vswd_port_pick_name(struct vswd_switch *sw)
{
	for (unsigned i = 1;; i++) {
		char *name = g_strdup_printf("port%u", i);

		if (!vswd_port_find(sw, name))
			return name;
		g_free(name);
	}
}

struct vswd_port *vswd_port_add(struct vswd *d, struct vswd_switch *sw,
				struct vsw_port *p, struct vswd_conn *owner,
				GError **err)
{
	struct vswd_port *vp;
	int rc;

	if (!check_name("port", p->name, err))
		return NULL;
	if (vswd_port_find(sw, p->name)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "switch '%s' already has a port '%s'", sw->name, p->name);
		return NULL;
	}
	rc = vsw_dp_port_add(d->dp, sw->dsw, p);
	if (rc < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "switch '%s' cannot take another port (%d ports at most)",
			    sw->name, VSW_SWITCH_MAX_PORTS);
		return NULL;
	}
	vp = g_new0(struct vswd_port, 1);
	vp->port = p;
	vp->sw = sw;
	vp->owner = owner;
	g_ptr_array_add(sw->ports, vp);
	g_info("port '%s' (%s) attached to switch '%s', VLAN %u", p->name,
	       p->ops->kind, sw->name, p->fwd.vlan);
	return vp;
}

void vswd_port_remove(struct vswd *d, struct vswd_port *vp)
{
	g_info("port '%s' detached from switch '%s'", vp->port->name, vp->sw->name);
	vsw_dp_port_del(d->dp, vp->port);
	g_ptr_array_remove(vp->sw->ports, vp);
	vp->port->ops->destroy(vp->port);
	g_free(vp);
}

bool vswd_port_set_vlan(struct vswd *d, struct vswd_port *vp, int vlan, GError **err)
{
	g_autofree char *key = g_strconcat(vp->sw->name, "/", vp->port->name, NULL);
	gpointer old = g_hash_table_lookup(d->vlan_overrides, key);

	if (vlan < 0 || vlan > VSW_VLAN_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid VLAN %d for port '%s' (0 for untagged, or 1-%d)",
			    vlan, vp->port->name, VSW_VLAN_MAX);
		return false;
	}
	if (!vp->owner) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "port '%s' of switch '%s' belongs to the switch itself: "
			    "its VLAN cannot be changed", vp->port->name, vp->sw->name);
		return false;
	}
	/* Remember it, so the port keeps its VLAN when its client re-attaches. */
	g_hash_table_insert(d->vlan_overrides, g_strdup(key), GINT_TO_POINTER(vlan + 1));
	if (!vswd_config_save(d, err)) {
		if (old)
			g_hash_table_insert(d->vlan_overrides, g_strdup(key), old);
		else
			g_hash_table_remove(d->vlan_overrides, key);
		return false;
	}
	vsw_dp_port_set_vlan(d->dp, vp->port, VSW_MODE_ACCESS, (uint16_t)vlan, NULL);
	vswd_conn_vlan_changed(vp->owner);
	g_info("port '%s' of switch '%s' now on VLAN %d", vp->port->name,
	       vp->sw->name, vlan);
	return true;
}
