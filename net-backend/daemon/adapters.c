// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * adapters.c - a switch's host adapter and physical NIC, as they run.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The model says which switch has a host adapter (a TAP device, port
 * "@host") and which a NIC (AF_PACKET, port "@nic", a trunk); this file
 * makes it so (docs/external.md).  Rules:
 *   - What a NIC had before it was bound is written to the state
 *     directory (nic-IFNAME.state) before the first change to it, and
 *     given back when it is unbound, when its switch is removed and when
 *     vswitchd stops.  After a crash the file is still there: at start-up
 *     a NIC the model still binds is bound again with what the file says
 *     it had (not with what it has now, stripped as it is), and a NIC the
 *     model no longer binds gets it back.
 *   - Changes are applied in two passes over all switches, so a NIC that
 *     moves from one switch to another, or between shared and dedicated,
 *     keeps its record and is never given back in between: the first
 *     pass takes adapters down and hands NIC records over, the second
 *     builds what the model wants; records nobody took are restored.
 *   - A switch shared with the host has a host adapter with the NIC's MAC
 *     that takes over the NIC's addresses, routes and MTU.
 *   - A NIC that disappears (unplugged, a veth deleted) takes its port
 *     down; a timer looks for it every second and binds it again when it
 *     is back.  Nothing else changes meanwhile.  A host adapter somebody
 *     deleted is made again (with what a shared NIC had on it).
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "json-member.h"
#include "nicstate.h"
#include "port-host.h"
#include "vswitchd.h"

#define ADAPTERS_TICK_MS	1000

static char *state_path(struct vswd *d, const char *nic)
{
	g_autofree char *base = g_strconcat("nic-", nic, ".state", NULL);

	return g_build_filename(d->cfg.state_dir, base, NULL);
}

/* NIC records between the two passes, and at start-up: ifname -> struct vswd_nic_state *. */
static GHashTable *handoff_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)vswd_nic_state_free);
}

/* Give @st's NIC back what it had, and forget the record. */
static void nic_give_back(struct vswd *d, struct vswd_nic_state *st)
{
	const char *nic = vswd_nic_state_ifname(st);
	g_autofree char *path = state_path(d, nic);
	g_autoptr(GError) e = NULL;

	if (!vswd_nic_ifindex(nic)) {
		g_message("NIC %s is gone: nothing to give back (its record stays in %s)",
			  nic, path);
		return;
	}
	if (!vswd_nic_restore(st, &e)) {
		g_warning("NIC %s: not everything could be given back: %s (the record "
			  "stays in %s)", nic, e->message, path);
		return;
	}
	g_unlink(path);
	g_message("NIC %s given back its addresses, routes and settings", nic);
}

static void restore_all(struct vswd *d, GHashTable *h)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		nic_give_back(d, v);
		g_hash_table_iter_remove(&it);
	}
}

/* ------------------------------------------------------------------ */
/* Ports                                                               */

static void adapter_reset(void *owner, struct vswd_port *vp, const char *reason)
{
	struct vswd_switch *sw = owner;

	if (sw->ha_port == vp)
		sw->ha_port = NULL;
	if (sw->nic_port == vp)
		sw->nic_port = NULL;
}

static const struct vswd_port_owner_ops adapter_ops = {
	.reset = adapter_reset,
};

static struct vswd_port *attach(struct vswd *d, struct vswd_switch *sw, struct vsw_port *p,
				const char *name, bool trunk, uint16_t vlan,
				const uint8_t *mac, GError **err)
{
	struct vswd_port_settings s = {
		.vlan = vlan,
		.trunk = trunk,
		.mac_spoofing = true,	/* the host's and the LAN's addresses */
	};
	struct vswd_port_spec spec = {
		.name = name,
		.settings = &s,
		.ops = &adapter_ops,
		.owner = sw,
		.own = true,
	};
	struct vswd_port *vp;

	if (mac) {
		s.nmacs = 1;
		memcpy(s.macs[0], mac, 6);
	}
	vp = vswd_port_attach(d, sw, p, &spec, err);
	if (!vp)
		p->ops->destroy(p);
	return vp;
}

/* Take @sw's host adapter and NIC down; a NIC record goes to @handoff. */
static void take_down(struct vswd *d, struct vswd_switch *sw, GHashTable *handoff)
{
	if (sw->nic_port) {
		struct vswd_port *vp = sw->nic_port;

		sw->nic_port = NULL;
		vswd_port_detach(d, vp);
	}
	if (sw->ha_port) {
		struct vswd_port *vp = sw->ha_port;

		sw->ha_port = NULL;
		vswd_port_detach(d, vp);	/* the TAP goes, with what was on it */
	}
	if (sw->nic_state) {
		if (handoff)
			g_hash_table_replace(handoff, g_strdup(vswd_nic_state_ifname(sw->nic_state)),
					     sw->nic_state);
		else
			vswd_nic_state_free(sw->nic_state);
		sw->nic_state = NULL;
	}
	g_clear_pointer(&sw->ha_want, g_free);
	g_clear_pointer(&sw->ha_ifname, g_free);
	g_clear_pointer(&sw->nic, g_free);
	g_clear_pointer(&sw->nic_error, g_free);
	sw->nic_shared = false;
}

static void set_nic_error(struct vswd_switch *sw, const char *msg)
{
	if (sw->nic_error && !strcmp(sw->nic_error, msg))
		return;
	g_warning("switch '%s': NIC %s not in service: %s", sw->name, sw->nic, msg);
	g_free(sw->nic_error);
	sw->nic_error = g_strdup(msg);
}

/* Record what @sw's NIC has now, on disk before anything changes it. */
static bool nic_record(struct vswd *d, struct vswd_switch *sw, GError **err)
{
	g_autofree char *path = state_path(d, sw->nic);

	sw->nic_state = vswd_nic_capture(sw->nic, err);
	if (sw->nic_state && !vswd_nic_state_save(sw->nic_state, path, err))
		g_clear_pointer(&sw->nic_state, vswd_nic_state_free);
	return sw->nic_state != NULL;
}

/*
 * The NIC's own port: bind the device as it is now (after a record was
 * taken): strip it for the host, open it, attach it.
 */
static bool nic_open(struct vswd *d, struct vswd_switch *sw, uint16_t vlan, GError **err)
{
	struct vsw_port *p;

	if (sw->nic_shared ? !vswd_nic_share(sw->nic_state, sw->ha_ifname, err) :
			     !vswd_nic_dedicate(sw->nic_state, err))
		return false;
	p = vswd_packet_port_new(sw->nic, err);
	if (!p)
		return false;
	sw->nic_port = attach(d, sw, p, "@nic", true, vlan, NULL, err);
	if (!sw->nic_port)
		return false;
	g_clear_pointer(&sw->nic_error, g_free);
	return true;
}

/*
 * An Internal host adapter's MAC: locally administered, 06:56:53 ("VS")
 * and 24 bits of FNV-1a of its name.  The same across restarts of
 * vswitchd and when it is made again, so guests' ARP and neighbour
 * caches stay right.
 */
static const uint8_t *ha_mac(const char *name, uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	mac[0] = 0x06;
	mac[1] = 0x56;
	mac[2] = 0x53;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
	return mac;
}

/*
 * The host adapter's port: a TAP with, on a shared NIC, the MAC and MTU
 * of @sw's NIC record, else a MAC of its own (ha_mac()).
 */
static bool ha_open(struct vswd *d, struct vswd_switch *sw, const struct vswd_msw *ms,
		    GError **err)
{
	uint8_t own[6];
	const uint8_t *mac = sw->nic_state && sw->nic_shared ?
			     vswd_nic_state_mac(sw->nic_state) : ha_mac(ms->ha_name, own);
	unsigned mtu = sw->nic_state && sw->nic_shared ? vswd_nic_state_mtu(sw->nic_state) : 0;
	struct vsw_port *p = vswd_tap_port_new(ms->ha_name, mac, mtu, err);

	if (!p)
		return false;
	g_free(sw->ha_ifname);
	sw->ha_ifname = g_strdup(vswd_tap_port_ifname(p));
	sw->ha_port = attach(d, sw, p, "@host", false, ms->ha_vlan, mac, err);
	return sw->ha_port != NULL;
}

/* Build what @ms wants on @sw, taking NIC records from @handoff. */
static void bring_up(struct vswd *d, struct vswd_switch *sw, const struct vswd_msw *ms,
		     GHashTable *handoff)
{
	g_autoptr(GError) e = NULL;

	if (ms->nic) {
		gpointer key = NULL, st = NULL;

		sw->nic = g_strdup(ms->nic);
		sw->nic_shared = ms->ha_name != NULL;
		if (g_hash_table_steal_extended(handoff, ms->nic, &key, &st)) {
			g_free(key);
			sw->nic_state = st;
		} else if (vswd_nic_ifindex(ms->nic)) {
			if (!nic_record(d, sw, &e)) {
				set_nic_error(sw, e->message);
				g_clear_error(&e);
			}
		} else {
			set_nic_error(sw, "no such interface (waiting for it)");
		}
	}
	if (ms->ha_name && !ha_open(d, sw, ms, &e)) {
		g_warning("switch '%s': host adapter %s: %s", sw->name, ms->ha_name, e->message);
		g_clear_error(&e);
	}
	if (sw->nic_state && sw->nic_shared && !sw->ha_port) {
		set_nic_error(sw, "its host adapter could not be created");
	} else if (sw->nic_state && vswd_nic_ifindex(sw->nic) &&
		   !nic_open(d, sw, ms->nic_vlan, &e)) {
		set_nic_error(sw, e->message);
	}
	if (ms->ha_name || ms->nic)
		g_message("switch '%s' is %s%s%s%s%s", sw->name, vswd_msw_type(ms),
			  ms->ha_name ? ", host adapter " : "", ms->ha_name ? ms->ha_name : "",
			  ms->nic ? (sw->nic_shared ? ", shares NIC " : ", NIC (dedicated) ") : "",
			  ms->nic ? ms->nic : "");
}

/* Does @sw run what @ms wants, but for VLANs? */
static bool same_wiring(const struct vswd_switch *sw, const struct vswd_msw *ms)
{
	return g_strcmp0(sw->nic, ms->nic) == 0 &&
	       g_strcmp0(sw->ha_want, ms->ha_name) == 0;
}

/* VLAN changes of adapters that stay. */
static void apply_vlans(struct vswd *d, struct vswd_switch *sw, const struct vswd_msw *ms)
{
	struct {
		struct vswd_port *vp;
		uint16_t vlan;
	} a[] = { { sw->ha_port, ms->ha_vlan }, { sw->nic_port, ms->nic_vlan } };

	for (size_t i = 0; i < G_N_ELEMENTS(a); i++) {
		struct vswd_port_settings s;
		g_autoptr(GError) e = NULL;

		if (!a[i].vp || a[i].vp->settings.vlan == a[i].vlan)
			continue;
		s = a[i].vp->settings;
		s.vlan = a[i].vlan;
		if (!vswd_port_apply(d, a[i].vp, &s, &e))
			g_warning("switch '%s': %s", sw->name, e->message);
	}
}

bool vswd_adapters_check(struct vswd *d, const struct vswd_model *next, GError **err)
{
	for (unsigned i = 0; i < next->switches->len; i++) {
		const struct vswd_msw *ms = next->switches->pdata[i];
		bool is_nic = false;
		/*
		 * Only what the change adds is checked: an adapter the model has
		 * already (bound, or waiting for its interface) never blocks an
		 * unrelated command.
		 */
		struct vswd_msw *had = ms->nic ? vswd_model_ifname_user(d->model, ms->nic, &is_nic) :
				       NULL;

		if (ms->nic && !(had && is_nic)) {
			g_autoptr(vswd_nic_state) st = vswd_nic_capture(ms->nic, err);

			if (!st) {
				g_prefix_error(err, "switch '%s': cannot bind NIC: ", ms->name);
				return false;
			}
		}
		had = ms->ha_name ? vswd_model_ifname_user(d->model, ms->ha_name, &is_nic) : NULL;
		if (ms->ha_name && !(had && !is_nic) && if_nametoindex(ms->ha_name)) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
				    "switch '%s': host adapter '%s': the host already has an "
				    "interface of that name", ms->name, ms->ha_name);
			return false;
		}
	}
	return true;
}

void vswd_adapters_apply(struct vswd *d)
{
	g_autoptr(GHashTable) handoff = handoff_new();

	/* 1. Down what changed; NIC records wait in the hand-off. */
	for (unsigned i = 0; i < d->switches->len; i++) {
		struct vswd_switch *sw = d->switches->pdata[i];
		const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, sw->id);

		if (!same_wiring(sw, ms))
			take_down(d, sw, handoff);
	}
	/* 2. Up what the model wants. */
	for (unsigned i = 0; i < d->switches->len; i++) {
		struct vswd_switch *sw = d->switches->pdata[i];
		const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, sw->id);

		if (same_wiring(sw, ms)) {
			apply_vlans(d, sw, ms);
			continue;
		}
		g_free(sw->ha_want);
		sw->ha_want = g_strdup(ms->ha_name);
		bring_up(d, sw, ms, handoff);
	}
	/* 3. NICs nobody binds any more get back what they had. */
	restore_all(d, handoff);
}

void vswd_adapters_release(struct vswd *d, struct vswd_switch *sw)
{
	g_autoptr(GHashTable) handoff = handoff_new();

	take_down(d, sw, handoff);
	restore_all(d, handoff);
}

/* A NIC that went away or came back. */
static gboolean tick(gpointer data)
{
	struct vswd *d = data;

	for (unsigned i = 0; i < d->switches->len; i++) {
		struct vswd_switch *sw = d->switches->pdata[i];
		const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, sw->id);
		g_autoptr(GError) e = NULL;

		if (!ms)
			continue;
		/* A host adapter deleted behind our back: made again, as it was. */
		if (sw->ha_port && vswd_tap_port_gone(sw->ha_port->port)) {
			g_autoptr(GHashTable) handoff = handoff_new();

			g_warning("switch '%s': host adapter %s was deleted: making it again",
				  sw->name, sw->ha_ifname);
			take_down(d, sw, handoff);
			sw->ha_want = g_strdup(ms->ha_name);
			bring_up(d, sw, ms, handoff);
			restore_all(d, handoff);
			continue;
		}
		if (!sw->nic)
			continue;
		if (sw->nic_port && (vswd_packet_port_gone(sw->nic_port->port) ||
				     !vswd_nic_ifindex(sw->nic))) {
			struct vswd_port *vp = sw->nic_port;

			sw->nic_port = NULL;
			vswd_port_detach(d, vp);
			set_nic_error(sw, "the interface disappeared (waiting for it)");
			continue;
		}
		if (sw->nic_port || !vswd_nic_ifindex(sw->nic))
			continue;
		if (sw->nic_shared && !sw->ha_port)
			continue;
		if (!sw->nic_state) {
			if (!nic_record(d, sw, &e)) {
				set_nic_error(sw, e->message);
				continue;
			}
			/*
			 * A shared NIC missing when its host adapter was made: that
			 * has neither its MAC nor its MTU, which vswd_nic_share()
			 * wants.  Make it again, with the record's.
			 */
			if (sw->nic_shared) {
				struct vswd_port *vp = sw->ha_port;

				sw->ha_port = NULL;
				vswd_port_detach(d, vp);
				if (!ha_open(d, sw, ms, &e)) {
					g_prefix_error(&e, "its host adapter %s: ", ms->ha_name);
					set_nic_error(sw, e->message);
					continue;
				}
			}
		}
		if (nic_open(d, sw, ms->nic_vlan, &e))
			g_message("switch '%s': NIC %s is back in service", sw->name, sw->nic);
		else
			set_nic_error(sw, e->message);
	}
	return G_SOURCE_CONTINUE;
}

bool vswd_adapters_start(struct vswd *d, GError **err)
{
	g_autoptr(GHashTable) handoff = handoff_new();
	g_autoptr(GDir) dir = g_dir_open(d->cfg.state_dir, 0, NULL);
	const char *name;

	/* Records a crash left behind: the NICs' state before they were bound. */
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *path = NULL;
		g_autoptr(GError) e = NULL;
		struct vswd_nic_state *st;

		if (!g_str_has_prefix(name, "nic-") || !g_str_has_suffix(name, ".state"))
			continue;
		path = g_build_filename(d->cfg.state_dir, name, NULL);
		st = vswd_nic_state_load(path, &e);
		if (!st) {
			g_warning("%s", e->message);
			continue;
		}
		g_message("found %s: NIC %s was bound when vswitchd last stopped", path,
			  vswd_nic_state_ifname(st));
		g_hash_table_replace(handoff, g_strdup(vswd_nic_state_ifname(st)), st);
	}
	for (unsigned i = 0; i < d->switches->len; i++) {
		struct vswd_switch *sw = d->switches->pdata[i];
		const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, sw->id);

		if (!ms->ha_name && !ms->nic)
			continue;
		sw->ha_want = g_strdup(ms->ha_name);
		bring_up(d, sw, ms, handoff);
	}
	restore_all(d, handoff);
	d->adapters_src = g_timeout_add(ADAPTERS_TICK_MS, tick, d);
	return true;
}

void vswd_adapters_stop(struct vswd *d)
{
	if (d->adapters_src)
		g_source_remove(d->adapters_src);
	d->adapters_src = 0;
}

void vswd_adapters_to_json(struct vswd *d, struct vswd_switch *sw, JsonBuilder *b)
{
	const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, sw->id);

	json_builder_set_member_name(b, "host-adapter");
	if (!ms->ha_name) {
		json_builder_add_null_value(b);
	} else {
		json_builder_begin_object(b);
		vsw_json_str(b, "name", ms->ha_name);
		vsw_json_int(b, "vlan", ms->ha_vlan);
		vsw_json_str(b, "state", sw->ha_port ? "up" : "down");
		if (sw->ha_port)
			vsw_json_int(b, "ifindex", if_nametoindex(sw->ha_ifname));
		vsw_json_bool(b, "shares-nic", ms->nic != NULL);
		json_builder_end_object(b);
	}
	json_builder_set_member_name(b, "nic");
	if (!ms->nic) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	vsw_json_str(b, "name", ms->nic);
	vsw_json_str(b, "mode", ms->ha_name ? "shared" : "dedicated");
	vsw_json_int(b, "vlan", ms->nic_vlan);
	vsw_json_str(b, "state", sw->nic_port ? "up" : "down");
	if (sw->nic_error)
		vsw_json_str(b, "error", sw->nic_error);
	if (sw->nic_state) {
		json_builder_set_member_name(b, "before");
		vswd_nic_state_to_json(sw->nic_state, b);
	}
	json_builder_end_object(b);
}
