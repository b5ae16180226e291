// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reconcile.c - persist a new model, apply the difference (see reconcile.h).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <string.h>

#include "reconcile.h"
#include "store.h"

/* Same settings a provisioned port gives (all fields). */
static bool mport_equal(const struct vswd_mport *a, const struct vswd_mport *b)
{
	return a->vlan == b->vlan && a->nmacs == b->nmacs &&
	       !memcmp(a->macs, b->macs, a->nmacs * sizeof(a->macs[0])) &&
	       a->mac_spoofing == b->mac_spoofing && a->dhcp_guard == b->dhcp_guard &&
	       a->router_guard == b->router_guard && a->owner_uid == b->owner_uid &&
	       a->owner_gid == b->owner_gid;
}

/* Would the owner of @p claim it?  (Administrators claim anything.) */
static bool may_keep(const struct vswd_port *vp, const struct vswd_mport *p)
{
	if (!vp->has_peer || vp->peer.admin)
		return true;
	return (p->owner_uid != VSWD_NO_ID && p->owner_uid == vp->peer.uid) ||
	       (p->owner_gid != VSWD_NO_ID && vswd_peer_in_group(&vp->peer, (gid_t)p->owner_gid));
}

/* Is @mac provisioned on a port of switch @sw_id other than @name? */
static const struct vswd_mport *mac_provisioned(const struct vswd_model *m, uint32_t sw_id,
						const char *name, const uint8_t mac[6])
{
	for (unsigned i = 0; i < m->ports->len; i++) {
		const struct vswd_mport *p = m->ports->pdata[i];

		if (p->sw_id != sw_id || !strcmp(p->name, name))
			continue;
		for (unsigned k = 0; k < p->nmacs; k++)
			if (!memcmp(p->macs[k], mac, 6))
				return p;
	}
	return NULL;
}

/* Live ports of @sw follow the new model's provisioned entries. */
static void apply_ports(struct vswd *d, const struct vswd_model *old, struct vswd_switch *sw)
{
	const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, sw->id);
	const struct vswd_msw *os = vswd_model_switch_by_id(old, sw->id);

	for (unsigned i = sw->ports->len; i-- > 0;) {
		struct vswd_port *vp = sw->ports->pdata[i];
		const struct vswd_mport *np = vswd_model_port(d->model, ms, vp->port->name);
		const struct vswd_mport *op = os ? vswd_model_port(old, os, vp->port->name) : NULL;
		struct vswd_port_settings s;
		g_autoptr(GError) e = NULL;

		if (vp->port->fwd.flags & VSW_FWD_F_RESERVED)
			continue;	/* the NAT's own port */
		/* No longer provisioned: it keeps running as it is, as a port of its own. */
		if (!np && op)
			vp->settings.provisioned = false;
		if (np && (!op || !mport_equal(np, op))) {
			if (!may_keep(vp, np)) {
				vswd_port_reset(d, vp, "its name was provisioned for another user");
				continue;
			}
			vswd_port_settings_from(np, &s);
			/* Provisioned without MACs: the one the client declared stays. */
			if (!s.nmacs) {
				s.nmacs = vp->settings.nmacs;
				memcpy(s.macs, vp->settings.macs, sizeof(s.macs));
			}
			if (!vswd_port_apply(d, vp, &s, &e)) {
				vswd_port_reset(d, vp, e->message);
				continue;
			}
		}
		for (unsigned k = 0; k < vp->settings.nmacs; k++) {
			const struct vswd_mport *owner = mac_provisioned(d->model, sw->id,
									vp->port->name,
									vp->settings.macs[k]);

			if (owner) {
				g_autofree char *why = g_strdup_printf(
					"its MAC was provisioned for port '%s'", owner->name);

				vswd_port_reset(d, vp, why);
				break;
			}
		}
	}
}

bool vswd_commit(struct vswd *d, struct vswd_model *next, GError **err)
{
	g_autoptr(GPtrArray) created = g_ptr_array_new();
	struct vswd_model *old;

	/* 1. What can fail without side effects: adapters' checks, the new switches. */
	if (!vswd_adapters_check(d, next, err)) {
		vswd_model_free(next);
		return false;
	}
	for (unsigned i = 0; i < next->switches->len; i++) {
		const struct vswd_msw *ms = next->switches->pdata[i];
		struct vswd_switch *sw;

		if (vswd_switch_by_id(d, ms->id))
			continue;
		sw = vswd_switch_create(d, ms, err);
		if (!sw) {
			for (unsigned k = 0; k < created->len; k++)
				vswd_switch_destroy(d, created->pdata[k]);
			vswd_model_free(next);
			return false;
		}
		g_ptr_array_add(created, sw);
	}
	/* 2. On disk before anything is reported done. */
	if (!vswd_store_save(d->conf_path, next, err)) {
		for (unsigned k = 0; k < created->len; k++)
			vswd_switch_destroy(d, created->pdata[k]);
		vswd_model_free(next);
		return false;
	}
	/* 3. In force. */
	old = d->model;
	d->model = next;
	for (unsigned i = d->switches->len; i-- > 0;) {
		struct vswd_switch *sw = d->switches->pdata[i];
		const struct vswd_msw *ms = vswd_model_switch_by_id(next, sw->id);

		if (!ms) {
			g_message("switch '%s' removed", sw->name);
			vswd_switch_destroy(d, sw);
			continue;
		}
		if (strcmp(sw->name, ms->name)) {
			g_message("switch '%s' renamed to '%s'", sw->name, ms->name);
			g_free(sw->name);
			sw->name = g_strdup(ms->name);
		}
		apply_ports(d, old, sw);
	}
	vswd_adapters_apply(d);
	for (unsigned k = 0; k < created->len; k++)
		g_message("switch '%s' added", ((struct vswd_switch *)created->pdata[k])->name);
	if (!vswd_nat_settings_equal(&old->nat, &next->nat))
		vswd_nat_settings_changed(d);
	else
		vswd_nat_fwds_changed(d);
	vswd_model_free(old);
	return true;
}
