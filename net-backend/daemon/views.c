// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * views.c - JSON views of switches, ports, the MAC table and the NAT, as
 * the commands return them (docs/protocol.md lists the members).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <arpa/inet.h>
#include <string.h>

#include "control.h"
#include "json-member.h"

JsonNode *vswd_object_with(const char *member, JsonNode *value)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_member(o, member, value);
	json_node_take_object(n, o);
	return n;
}

static void add_macs(JsonBuilder *b, const char *name, unsigned n,
		     const uint8_t (*macs)[6])
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (unsigned i = 0; i < n; i++) {
		char a[18];

		vswd_mac_format(macs[i], a);
		json_builder_add_string_value(b, a);
	}
	json_builder_end_array(b);
}

JsonNode *vswd_port_to_json(struct vswd_port *vp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct vsw_port *p = vp->port;
	const struct vswd_port_settings *s = &vp->settings;
	bool nat = p->fwd.flags & VSW_FWD_F_RESERVED;

	json_builder_begin_object(b);
	vsw_json_str(b, "switch", vp->sw->name);
	vsw_json_str(b, "name", p->name);
	vsw_json_str(b, "kind", p->ops->kind);
	vsw_json_int(b, "vlan", s->vlan);
	vsw_json_str(b, "mac", p->mac);
	add_macs(b, "macs", s->nmacs, (const uint8_t (*)[6])s->macs);
	vsw_json_bool(b, "provisioned", s->provisioned);
	vsw_json_bool(b, "mac-spoofing", !nat && s->mac_spoofing);
	vsw_json_bool(b, "dhcp-guard", s->dhcp_guard);
	vsw_json_bool(b, "router-guard", s->router_guard);
	if (vp->has_peer) {
		vsw_json_int(b, "client-uid", vp->peer.uid);
		vsw_json_int(b, "client-pid", vp->peer.pid);
	}
	vsw_json_int(b, "offloads", p->offloads);
	vsw_json_int(b, "rx-packets", (gint64)vsw_ctr_read(&p->ctr.rx_packets));
	vsw_json_int(b, "rx-bytes", (gint64)vsw_ctr_read(&p->ctr.rx_bytes));
	vsw_json_int(b, "tx-packets", (gint64)vsw_ctr_read(&p->ctr.tx_packets));
	vsw_json_int(b, "tx-bytes", (gint64)vsw_ctr_read(&p->ctr.tx_bytes));
	vsw_json_int(b, "resets", (gint64)vsw_ctr_read(&p->ctr.resets));
	vsw_json_int(b, "wakeups", (gint64)vsw_ctr_read(&p->ctr.wakeups));
	vsw_json_int(b, "muted", (gint64)vsw_ctr_read(&p->ctr.muted));
	json_builder_set_member_name(b, "drops");
	json_builder_begin_object(b);
	for (int i = 1; i < VSW_DROP_MAX; i++)
		vsw_json_int(b, vsw_drop_names[i], (gint64)vsw_ctr_read(&p->ctr.drops[i]));
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static void add_ids(JsonBuilder *b, const char *name, const GArray *ids)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (unsigned i = 0; ids && i < ids->len; i++)
		json_builder_add_int_value(b, g_array_index(ids, guint32, i));
	json_builder_end_array(b);
}

JsonNode *vswd_switch_to_json(struct vswd *d, struct vswd_switch *sw, bool with_ports)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, sw->id);

	json_builder_begin_object(b);
	vsw_json_str(b, "name", sw->name);
	vsw_json_str(b, "type", vswd_msw_type(ms));
	json_builder_set_member_name(b, "ports");
	if (with_ports) {
		json_builder_begin_array(b);
		for (unsigned i = 0; i < sw->ports->len; i++)
			json_builder_add_value(b, vswd_port_to_json(sw->ports->pdata[i]));
		json_builder_end_array(b);
	} else {
		json_builder_add_int_value(b, sw->ports->len);
	}
	vsw_json_bool(b, "access-default", !ms->access_set);
	add_ids(b, "allow-users", ms->allow_uids);
	add_ids(b, "allow-groups", ms->allow_gids);
	json_builder_set_member_name(b, "client-vlans");
	if (ms->client_vlans == VSWD_VLANS_LIST) {
		g_autofree char *l = vswd_vlan_list_format(ms->vlan_bits);

		json_builder_add_string_value(b, l);
	} else {
		json_builder_add_string_value(b, ms->client_vlans == VSWD_VLANS_ANY ? "any" : "none");
	}
	if (with_ports)
		vswd_adapters_to_json(d, sw, b);
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

GPtrArray *vswd_sorted_switches(struct vswd *d)
{
	GPtrArray *a = g_ptr_array_new();

	for (unsigned i = 0; i < d->switches->len; i++)
		g_ptr_array_add(a, d->switches->pdata[i]);
	g_ptr_array_sort(a, cmp_switch);
	return a;
}

JsonNode *vswd_mac_table_json(struct vswd *d, struct vswd_switch *sw)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GArray) dump = NULL;
	struct vsw_mac_stats st;
	uint32_t cap;

	dump = vsw_dp_mac_dump(d->dp, sw->dsw, &cap, &st);
	json_builder_begin_object(b);
	vsw_json_int(b, "capacity", cap);
	vsw_json_int(b, "learned", (gint64)st.learned);
	vsw_json_int(b, "moved", (gint64)st.moved);
	vsw_json_int(b, "evicted", (gint64)st.evicted);
	vsw_json_int(b, "aged", (gint64)st.aged);
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
		vswd_mac_format(e->mac, mac);
		json_builder_begin_object(b);
		vsw_json_int(b, "vlan", e->vlan);
		vsw_json_str(b, "mac", mac);
		vsw_json_str(b, "port", port);
		vsw_json_int(b, "age-ms", (gint64)e->age_ms);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

JsonNode *vswd_mport_to_json(struct vswd *d, const struct vswd_mport *p)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const struct vswd_msw *ms = vswd_model_switch_by_id(d->model, p->sw_id);
	struct vswd_switch *sw = vswd_switch_by_id(d, p->sw_id);

	json_builder_begin_object(b);
	vsw_json_str(b, "switch", ms->name);
	vsw_json_str(b, "name", p->name);
	vsw_json_int(b, "vlan", p->vlan);
	add_macs(b, "macs", p->nmacs, (const uint8_t (*)[6])p->macs);
	vsw_json_bool(b, "mac-spoofing", p->mac_spoofing);
	vsw_json_bool(b, "dhcp-guard", p->dhcp_guard);
	vsw_json_bool(b, "router-guard", p->router_guard);
	if (p->owner_uid != VSWD_NO_ID)
		vsw_json_int(b, "owner-user", p->owner_uid);
	if (p->owner_gid != VSWD_NO_ID)
		vsw_json_int(b, "owner-group", p->owner_gid);
	vsw_json_bool(b, "attached", sw && vswd_port_find(sw, p->name));
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

JsonNode *vswd_fwd_to_json(struct vswd *d, const struct vswd_mfwd *f)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const char *why = NULL;
	bool active = vswd_nat_fwd_status(d, f, &why);
	char a[INET_ADDRSTRLEN];

	json_builder_begin_object(b);
	vsw_json_str(b, "proto", f->udp ? "udp" : "tcp");
	vsw_json_str(b, "host-addr", inet_ntop(AF_INET, &f->host_addr, a, sizeof(a)));
	vsw_json_int(b, "host-port", f->host_port);
	vsw_json_str(b, "guest-addr", inet_ntop(AF_INET, &f->guest_addr, a, sizeof(a)));
	vsw_json_int(b, "guest-port", f->guest_port);
	vsw_json_bool(b, "active", active);
	if (!active && why)
		vsw_json_str(b, "error", why);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

JsonNode *vswd_nat_to_json(struct vswd *d, JsonObject *stats)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const struct vswd_nat_settings *s = &d->model->nat;
	struct vswd_nat_info info;
	char buf[INET6_ADDRSTRLEN];
	g_autofree char *subnet = NULL;

	vswd_nat_get_info(d, &info);
	subnet = g_strdup_printf("%s/%u", inet_ntop(AF_INET, &s->net, buf, sizeof(buf)),
				 s->prefix_len);
	json_builder_begin_object(b);
	vsw_json_str(b, "switch", VSWD_DEFAULT_SWITCH);
	vsw_json_str(b, "port", info.vp ? info.vp->port->name : "nat");
	vsw_json_bool(b, "running", info.running);
	vsw_json_int(b, "pid", info.pid);
	vsw_json_int(b, "restarts", (gint64)info.restarts);
	vsw_json_int(b, "crashes", (gint64)info.crashes);
	vsw_json_str(b, "subnet", subnet);
	vsw_json_str(b, "gateway", inet_ntop(AF_INET, &s->gateway, buf, sizeof(buf)));
	vsw_json_str(b, "dns", inet_ntop(AF_INET, &s->dns, buf, sizeof(buf)));
	vsw_json_str(b, "dhcp-start", inet_ntop(AF_INET, &s->dhcp_start, buf, sizeof(buf)));
	vsw_json_bool(b, "ipv6", s->ipv6);
	if (s->ipv6) {
		g_autofree char *prefix = g_strdup_printf("%s/64", inet_ntop(AF_INET6, &s->prefix6,
									buf, sizeof(buf)));

		vsw_json_str(b, "ipv6-prefix", prefix);
		vsw_json_str(b, "gateway6", inet_ntop(AF_INET6, &s->gateway6, buf, sizeof(buf)));
		vsw_json_str(b, "dns6", inet_ntop(AF_INET6, &s->dns6, buf, sizeof(buf)));
	}
	json_builder_set_member_name(b, "dns-search");
	json_builder_begin_array(b);
	for (char **n = s->dns_search; n && *n; n++)
		json_builder_add_string_value(b, *n);
	json_builder_end_array(b);
	vsw_json_str(b, "domain", s->domain ? s->domain : "");
	vsw_json_int(b, "mtu", s->mtu);
	vsw_json_bool(b, "host-loopback", s->host_loopback);
	vsw_json_int(b, "forwards", d->model->fwds->len);
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	if (stats) {
		g_autoptr(GList) names = json_object_get_members(stats);

		for (GList *l = names; l; l = l->next)
			vsw_json_int(b, l->data, json_object_get_int_member_with_default(stats,
										  l->data, 0));
	}
	if (info.vp)
		vsw_json_int(b, "to-nat-ring-full",
			(gint64)vsw_ctr_read(&info.vp->port->ctr.drops[VSW_DROP_RING_FULL]));
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
