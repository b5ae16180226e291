// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * model.c - the configuration as one value: switches, access, provisioned
 * ports, the state file's format, and who may attach what (see model.h).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The state file (<state-dir>/vswitchd.conf):
 *
 *   [switch:lab]
 *   type=private
 *   allow-users=1000;1001       who may attach ports (uids; absent: the default)
 *   allow-groups=64055          ... and groups (gids)
 *   client-vlans=10;20-29       VLANs a port client may ask for: none, any or a list
 *
 *   [port:lab/vm1.net0]         a provisioned port
 *   vlan=20
 *   macs=52:54:00:12:34:56
 *   mac-spoofing=false
 *   dhcp-guard=true
 *   router-guard=true
 *   owner-user=64055            who may claim it (absent, with no owner-group:
 *   owner-group=64055           administrators only)
 *
 *   [nat] and [nat-forward:...] (natcfg.c)
 *
 * [switch:Default] may appear with the access keys only.  Every key is
 * optional but type, and everything is checked strictly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "model.h"
#include "vswitch/vswitch.h"

G_DEFINE_QUARK(vswd-error-quark, vswd_error)

const char *vswd_error_class(int code)
{
	static const char *const names[] = {
		[VSWD_ERR_GENERIC] = "GenericError",
		[VSWD_ERR_COMMAND_NOT_FOUND] = "CommandNotFound",
		[VSWD_ERR_INVALID] = "InvalidArgument",
		[VSWD_ERR_NOT_FOUND] = "NotFound",
		[VSWD_ERR_EXISTS] = "AlreadyExists",
		[VSWD_ERR_BUSY] = "Busy",
		[VSWD_ERR_PERMISSION] = "PermissionDenied",
		[VSWD_ERR_PROTOCOL] = "ProtocolError",
	};

	if (code < 0 || code >= (int)G_N_ELEMENTS(names))
		return names[VSWD_ERR_GENERIC];
	return names[code];
}

/* ------------------------------------------------------------------ */
/* MAC addresses                                                       */

bool vswd_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		/* sscanf takes "+1" or " 1" for %2x: only hex digits and colons. */
		if (!g_ascii_isxdigit(s[i * 3]) || !g_ascii_isxdigit(s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != ':'))
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return true;
}

void vswd_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

bool vswd_mac_usable(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6);
}

bool vswd_mac_reserved(const uint8_t mac[6])
{
	return mac[0] == 0x52 && (mac[1] == 0x55 || mac[1] == 0x56);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

static void msw_free(gpointer data)
{
	struct vswd_msw *s = data;

	g_free(s->name);
	g_free(s->ha_name);
	g_free(s->nic);
	if (s->allow_uids)
		g_array_unref(s->allow_uids);
	if (s->allow_gids)
		g_array_unref(s->allow_gids);
	g_free(s);
}

static void mport_free(gpointer data)
{
	struct vswd_mport *p = data;

	g_free(p->name);
	g_free(p);
}

static GArray *id_array_copy(const GArray *a)
{
	GArray *c;

	if (!a)
		return NULL;
	c = g_array_sized_new(FALSE, FALSE, sizeof(guint32), a->len);
	g_array_append_vals(c, a->data, a->len);
	return c;
}

static struct vswd_msw *msw_copy(const struct vswd_msw *s)
{
	struct vswd_msw *c = g_memdup2(s, sizeof(*s));

	c->name = g_strdup(s->name);
	c->ha_name = g_strdup(s->ha_name);
	c->nic = g_strdup(s->nic);
	c->allow_uids = id_array_copy(s->allow_uids);
	c->allow_gids = id_array_copy(s->allow_gids);
	return c;
}

static struct vswd_mport *mport_copy(const struct vswd_mport *p)
{
	struct vswd_mport *c = g_memdup2(p, sizeof(*p));

	c->name = g_strdup(p->name);
	return c;
}

static struct vswd_msw *msw_new(struct vswd_model *m, const char *name, bool is_default)
{
	struct vswd_msw *s = g_new0(struct vswd_msw, 1);

	s->id = m->next_id++;
	s->name = g_strdup(name);
	s->is_default = is_default;
	s->client_vlans = m->defaults.root ? VSWD_VLANS_NONE : VSWD_VLANS_ANY;
	return s;
}

struct vswd_model *vswd_model_new(const struct vswd_model_defaults *defaults)
{
	struct vswd_model *m = g_new0(struct vswd_model, 1);

	m->defaults = *defaults;
	m->next_id = 1;
	m->switches = g_ptr_array_new_with_free_func(msw_free);
	m->ports = g_ptr_array_new_with_free_func(mport_free);
	m->fwds = g_ptr_array_new_with_free_func(g_free);
	m->nat_raw = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	vswd_nat_settings_default(&m->nat, defaults);
	g_ptr_array_add(m->switches, msw_new(m, VSWD_DEFAULT_SWITCH, true));
	return m;
}

struct vswd_model *vswd_model_copy(const struct vswd_model *m)
{
	struct vswd_model *c = g_new0(struct vswd_model, 1);
	GHashTableIter it;
	gpointer k, v;

	c->defaults = m->defaults;
	c->next_id = m->next_id;
	c->switches = g_ptr_array_new_with_free_func(msw_free);
	c->ports = g_ptr_array_new_with_free_func(mport_free);
	c->fwds = g_ptr_array_new_with_free_func(g_free);
	c->nat_raw = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (unsigned i = 0; i < m->switches->len; i++)
		g_ptr_array_add(c->switches, msw_copy(m->switches->pdata[i]));
	for (unsigned i = 0; i < m->ports->len; i++)
		g_ptr_array_add(c->ports, mport_copy(m->ports->pdata[i]));
	for (unsigned i = 0; i < m->fwds->len; i++)
		g_ptr_array_add(c->fwds, g_memdup2(m->fwds->pdata[i], sizeof(struct vswd_mfwd)));
	g_hash_table_iter_init(&it, m->nat_raw);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(c->nat_raw, g_strdup(k), g_strdup(v));
	vswd_nat_settings_copy(&c->nat, &m->nat);
	return c;
}

void vswd_model_free(struct vswd_model *m)
{
	if (!m)
		return;
	g_ptr_array_unref(m->switches);
	g_ptr_array_unref(m->ports);
	g_ptr_array_unref(m->fwds);
	g_hash_table_unref(m->nat_raw);
	vswd_nat_settings_clear(&m->nat);
	g_free(m);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */

struct vswd_msw *vswd_model_switch(const struct vswd_model *m, const char *name,
				   GError **err)
{
	for (unsigned i = 0; i < m->switches->len; i++) {
		struct vswd_msw *s = m->switches->pdata[i];

		if (!strcmp(s->name, name))
			return s;
	}
	g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND, "switch '%.80s' does not exist", name);
	return NULL;
}

struct vswd_msw *vswd_model_switch_by_id(const struct vswd_model *m, uint32_t id)
{
	for (unsigned i = 0; i < m->switches->len; i++) {
		struct vswd_msw *s = m->switches->pdata[i];

		if (s->id == id)
			return s;
	}
	return NULL;
}

static int port_index(const struct vswd_model *m, uint32_t sw_id, const char *name)
{
	for (unsigned i = 0; i < m->ports->len; i++) {
		struct vswd_mport *p = m->ports->pdata[i];

		if (p->sw_id == sw_id && !strcmp(p->name, name))
			return (int)i;
	}
	return -1;
}

struct vswd_mport *vswd_model_port(const struct vswd_model *m, const struct vswd_msw *sw,
				   const char *name)
{
	int i = port_index(m, sw->id, name);

	return i < 0 ? NULL : m->ports->pdata[i];
}

/* ------------------------------------------------------------------ */
/* Switches                                                            */

static bool check_name(const char *what, const char *name, GError **err)
{
	if (vsw_name_valid(name))
		return true;
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
		    "invalid %s name '%.80s': use 1-%d characters of A-Z a-z 0-9 "
		    ". _ : @ -, not starting with '-' or '.'", what, name, VSW_NAME_MAX);
	return false;
}

/* Not a name in use, nor "Default" in any case. */
static bool check_new_switch_name(const struct vswd_model *m, const char *name, GError **err)
{
	if (!check_name("switch", name, err))
		return false;
	if (vswd_model_switch(m, name, NULL) || !g_ascii_strcasecmp(name, VSWD_DEFAULT_SWITCH)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS, "switch '%s' already exists", name);
		return false;
	}
	return true;
}

/* The switch @name, if it is not the Default one (which @verb cannot change). */
static struct vswd_msw *changeable(const struct vswd_model *m, const char *name,
				   const char *verb, GError **err)
{
	struct vswd_msw *s = vswd_model_switch(m, name, err);

	if (s && s->is_default) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "switch '%s' is the Default switch: it cannot be %s", name, verb);
		return NULL;
	}
	return s;
}

bool vswd_model_switch_add(struct vswd_model *m, const char *name, GError **err)
{
	if (!check_new_switch_name(m, name, err))
		return false;
	if (m->switches->len >= VSWD_SWITCHES_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "cannot add switch '%s': %d switches exist, the most vswitchd keeps",
			    name, VSWD_SWITCHES_MAX);
		return false;
	}
	g_ptr_array_add(m->switches, msw_new(m, name, false));
	return true;
}

bool vswd_model_switch_remove(struct vswd_model *m, const char *name, GError **err)
{
	struct vswd_msw *s = changeable(m, name, "removed", err);

	if (!s)
		return false;
	for (unsigned i = m->ports->len; i-- > 0;)
		if (((struct vswd_mport *)m->ports->pdata[i])->sw_id == s->id)
			g_ptr_array_remove_index(m->ports, i);
	g_ptr_array_remove(m->switches, s);
	return true;
}

bool vswd_model_switch_rename(struct vswd_model *m, const char *name,
			      const char *new_name, GError **err)
{
	struct vswd_msw *s = changeable(m, name, "renamed", err);

	if (!s)
		return false;
	if (!strcmp(name, new_name))
		return true;
	if (!check_new_switch_name(m, new_name, err)) {
		if (g_error_matches(*err, VSWD_ERROR, VSWD_ERR_EXISTS)) {
			g_clear_error(err);
			g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
				    "cannot rename switch '%s' to '%s': '%s' already exists",
				    name, new_name, new_name);
		}
		return false;
	}
	g_free(s->name);
	s->name = g_strdup(new_name);
	return true;
}

bool vswd_model_switch_set_access(struct vswd_model *m, const char *name,
				  GArray *uids, GArray *gids, GError **err)
{
	struct vswd_msw *s = vswd_model_switch(m, name, err);

	if (!s)
		return false;
	if ((uids ? uids->len : 0) + (gids ? gids->len : 0) > VSWD_ACCESS_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "switch '%s': at most %d users and groups in its access list",
			    name, VSWD_ACCESS_MAX);
		return false;
	}
	if (s->allow_uids)
		g_array_unref(s->allow_uids);
	if (s->allow_gids)
		g_array_unref(s->allow_gids);
	s->access_set = uids || gids;
	s->allow_uids = s->access_set ? (uids ? id_array_copy(uids) :
					 g_array_new(FALSE, FALSE, sizeof(guint32))) : NULL;
	s->allow_gids = s->access_set ? (gids ? id_array_copy(gids) :
					 g_array_new(FALSE, FALSE, sizeof(guint32))) : NULL;
	return true;
}

bool vswd_model_switch_set_vlans(struct vswd_model *m, const char *name,
				 enum vswd_vlan_policy policy, const uint64_t bits[64],
				 GError **err)
{
	struct vswd_msw *s = vswd_model_switch(m, name, err);

	if (!s)
		return false;
	s->client_vlans = policy;
	memset(s->vlan_bits, 0, sizeof(s->vlan_bits));
	if (policy == VSWD_VLANS_LIST) {
		memcpy(s->vlan_bits, bits, sizeof(s->vlan_bits));
		/* 0 (untagged) is always allowed; 4095 never exists. */
		s->vlan_bits[0] &= ~1ull;
		s->vlan_bits[63] &= ~(1ull << 63);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Host adapter and NIC (docs/external.md)                             */

const char *vswd_msw_type(const struct vswd_msw *s)
{
	if (s->is_default)
		return "default";
	if (s->nic)
		return "external";
	return s->ha_name ? "internal" : "private";
}

bool vswd_ifname_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 15 || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || g_ascii_isspace(*p) || !g_ascii_isprint(*p))
			return false;
	return true;
}

char *vswd_ha_name_default(const char *sw_name)
{
	GString *s = g_string_new("vsw-");

	for (const char *p = sw_name; *p && s->len < 15; p++)
		g_string_append_c(s, g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ?
				  *p : '_');
	return g_string_free(s, FALSE);
}

struct vswd_msw *vswd_model_ifname_user(const struct vswd_model *m, const char *ifname,
					bool *is_nic)
{
	for (unsigned i = 0; i < m->switches->len; i++) {
		struct vswd_msw *s = m->switches->pdata[i];

		if (s->nic && !strcmp(s->nic, ifname)) {
			if (is_nic)
				*is_nic = true;
			return s;
		}
		if (s->ha_name && !strcmp(s->ha_name, ifname)) {
			if (is_nic)
				*is_nic = false;
			return s;
		}
	}
	return NULL;
}

/* @ifname is free for @s's @what, or @err says which switch has it. */
static bool ifname_free(const struct vswd_model *m, const struct vswd_msw *s,
			const char *what, const char *ifname, bool want_nic, GError **err)
{
	bool is_nic = false;
	struct vswd_msw *o = vswd_model_ifname_user(m, ifname, &is_nic);

	if (!vswd_ifname_valid(ifname)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "switch '%s': invalid %s name '%.80s': use 1-15 characters, "
			    "no '/', ':' or spaces", s->name, what, ifname);
		return false;
	}
	if (!o || (o == s && is_nic == want_nic))
		return true;
	g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
		    "switch '%s': '%s' cannot be its %s: it is the %s of switch '%s'",
		    s->name, ifname, what, is_nic ? "NIC" : "host adapter", o->name);
	return false;
}

bool vswd_model_switch_set_host_adapter(struct vswd_model *m, const char *name, bool on,
					const char *ifname, GError **err)
{
	struct vswd_msw *s = vswd_model_switch(m, name, err);
	g_autofree char *dflt = NULL;

	if (!s)
		return false;
	if (s->is_default) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "switch '%s' is the Default switch: it takes no host adapter "
			    "(the host reaches its guests through the NAT)", name);
		return false;
	}
	if (!on) {
		g_clear_pointer(&s->ha_name, g_free);
		s->ha_vlan = 0;
		return true;
	}
	if (!ifname)
		ifname = s->ha_name ? s->ha_name : (dflt = vswd_ha_name_default(s->name));
	if (s->ha_name && !strcmp(s->ha_name, ifname))
		return true;
	if (!ifname_free(m, s, "host adapter", ifname, false, err)) {
		if (dflt)
			g_prefix_error(err, "(choose a name with --host-adapter-name) ");
		return false;
	}
	if (s->ha_name) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "switch '%s' already has host adapter '%s' (one per switch: remove "
			    "it first to have '%s')", name, s->ha_name, ifname);
		return false;
	}
	g_free(s->ha_name);
	s->ha_name = g_strdup(ifname);
	return true;
}

bool vswd_model_switch_set_nic(struct vswd_model *m, const char *name, const char *ifname,
			       bool move, GError **err)
{
	struct vswd_msw *s = vswd_model_switch(m, name, err);
	struct vswd_msw *o;
	bool is_nic = false;

	if (!s)
		return false;
	if (s->is_default) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_PERMISSION,
			    "switch '%s' is the Default switch: it takes no NIC", name);
		return false;
	}
	if (!ifname) {
		g_clear_pointer(&s->nic, g_free);
		s->nic_vlan = 0;
		return true;
	}
	o = vswd_model_ifname_user(m, ifname, &is_nic);
	if (o && o != s && is_nic && move) {
		g_clear_pointer(&o->nic, g_free);
		o->nic_vlan = 0;
	} else if (o && o != s && is_nic) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "switch '%s': NIC '%s' is bound to switch '%s' (a NIC serves one "
			    "switch; move it with --move)", name, ifname, o->name);
		return false;
	}
	if (!ifname_free(m, s, "NIC", ifname, true, err))
		return false;
	g_free(s->nic);
	s->nic = g_strdup(ifname);
	return true;
}

bool vswd_model_switch_set_adapter_vlan(struct vswd_model *m, const char *name, bool nic,
					int vlan, GError **err)
{
	struct vswd_msw *s = vswd_model_switch(m, name, err);

	if (!s)
		return false;
	if (vlan < 0 || vlan > VSW_VLAN_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "switch '%s': VLAN %d out of range (0 for untagged, or 1-%d)",
			    name, vlan, VSW_VLAN_MAX);
		return false;
	}
	if (nic ? !s->nic : !s->ha_name) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "switch '%s' has no %s", name, nic ? "NIC" : "host adapter");
		return false;
	}
	if (nic)
		s->nic_vlan = (uint16_t)vlan;
	else
		s->ha_vlan = (uint16_t)vlan;
	return true;
}

/* ------------------------------------------------------------------ */
/* Provisioned ports                                                   */

bool vswd_model_port_provision(struct vswd_model *m, const struct vswd_mport *p,
			       GError **err)
{
	struct vswd_msw *s = vswd_model_switch_by_id(m, p->sw_id);
	int old;

	if (!s) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND, "no such switch for port '%s'",
			    p->name);
		return false;
	}
	if (!check_name("port", p->name, err))
		return false;
	if (p->vlan > VSW_VLAN_MAX || p->nmacs > VSWD_PORT_MACS_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "port '%s' of switch '%s': VLAN must be 0-%d, at most %d MACs",
			    p->name, s->name, VSW_VLAN_MAX, VSWD_PORT_MACS_MAX);
		return false;
	}
	for (unsigned i = 0; i < p->nmacs; i++) {
		char a[18];

		vswd_mac_format(p->macs[i], a);
		if (!vswd_mac_usable(p->macs[i]) || vswd_mac_reserved(p->macs[i])) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "port '%s' of switch '%s': %s is not a MAC a VM port "
				    "may use (multicast, zero, or the NAT's 52:55/52:56)",
				    p->name, s->name, a);
			return false;
		}
		for (unsigned j = 0; j < m->ports->len; j++) {
			const struct vswd_mport *q = m->ports->pdata[j];

			if (q->sw_id != p->sw_id || !strcmp(q->name, p->name))
				continue;
			for (unsigned k = 0; k < q->nmacs; k++) {
				if (!memcmp(q->macs[k], p->macs[i], 6)) {
					g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
						    "port '%s' of switch '%s': MAC %s is "
						    "provisioned on port '%s' already",
						    p->name, s->name, a, q->name);
					return false;
				}
			}
		}
	}
	old = port_index(m, p->sw_id, p->name);
	if (old < 0 && m->ports->len >= VSWD_PROVISIONED_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
			    "cannot provision port '%s': %d ports are provisioned, the most "
			    "vswitchd keeps", p->name, VSWD_PROVISIONED_MAX);
		return false;
	}
	if (old >= 0)
		g_ptr_array_remove_index(m->ports, (guint)old);
	g_ptr_array_add(m->ports, mport_copy(p));
	return true;
}

bool vswd_model_port_unprovision(struct vswd_model *m, const char *sw, const char *name,
				 GError **err)
{
	struct vswd_msw *s = vswd_model_switch(m, sw, err);
	int i;

	if (!s)
		return false;
	i = port_index(m, s->id, name);
	if (i < 0) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND,
			    "switch '%s' has no provisioned port '%.80s'", sw, name);
		return false;
	}
	g_ptr_array_remove_index(m->ports, (guint)i);
	return true;
}

/* ------------------------------------------------------------------ */
/* Who may do what                                                     */

bool vswd_peer_in_group(const struct vswd_peer *p, gid_t gid)
{
	if (p->gid == gid)
		return true;
	for (unsigned i = 0; i < p->ngroups; i++)
		if (p->groups[i] == gid)
			return true;
	return false;
}

static bool id_listed(const GArray *a, guint32 id)
{
	for (unsigned i = 0; a && i < a->len; i++)
		if (g_array_index(a, guint32, i) == id)
			return true;
	return false;
}

bool vswd_may_use_switch(const struct vswd_policy *pol, const struct vswd_msw *sw,
			 const struct vswd_peer *peer)
{
	if (peer->admin)
		return true;
	if (!sw->access_set)
		return pol->socket_gid != VSWD_NO_ID &&
		       vswd_peer_in_group(peer, (gid_t)pol->socket_gid);
	if (id_listed(sw->allow_uids, peer->uid))
		return true;
	for (unsigned i = 0; sw->allow_gids && i < sw->allow_gids->len; i++)
		if (vswd_peer_in_group(peer, g_array_index(sw->allow_gids, guint32, i)))
			return true;
	return false;
}

void vswd_port_settings_from(const struct vswd_mport *p, struct vswd_port_settings *out)
{
	memset(out, 0, sizeof(*out));
	out->provisioned = true;
	out->vlan = p->vlan;
	out->nmacs = p->nmacs;
	memcpy(out->macs, p->macs, sizeof(out->macs));
	out->mac_spoofing = p->mac_spoofing;
	out->dhcp_guard = p->dhcp_guard;
	out->router_guard = p->router_guard;
}

static bool denied(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool denied(GError **err, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(err, VSWD_ERROR, VSWD_ERR_PERMISSION, msg);
	return false;
}

bool vswd_mac_claimable(const struct vswd_model *m, const struct vswd_msw *sw,
			const char *port, const uint8_t mac[6], GError **err)
{
	const struct vswd_mport *own = vswd_model_port(m, sw, port);
	char a[18];

	vswd_mac_format(mac, a);
	if (own && own->nmacs) {
		for (unsigned i = 0; i < own->nmacs; i++)
			if (!memcmp(own->macs[i], mac, 6))
				return true;
		return denied(err, "port '%s' of switch '%s' may use only its provisioned "
			      "MAC addresses, not %s", port, sw->name, a);
	}
	if (!vswd_mac_usable(mac)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "%s is not a MAC a port may send from (multicast or zero)", a);
		return false;
	}
	if (vswd_mac_reserved(mac))
		return denied(err, "%s is one of the NAT's addresses (52:55:..., 52:56:...)", a);
	for (unsigned i = 0; i < m->ports->len; i++) {
		const struct vswd_mport *p = m->ports->pdata[i];

		if (p->sw_id != sw->id || !strcmp(p->name, port))
			continue;
		for (unsigned k = 0; k < p->nmacs; k++)
			if (!memcmp(p->macs[k], mac, 6))
				return denied(err, "MAC %s is provisioned for port '%s' of "
					      "switch '%s'", a, p->name, sw->name);
	}
	return true;
}

bool vswd_attach_decide(const struct vswd_model *m, const struct vswd_policy *pol,
			const struct vswd_msw *sw, const char *port,
			const struct vswd_peer *peer, const struct vswd_attach_req *req,
			struct vswd_port_settings *out, GError **err)
{
	const struct vswd_mport *p = vswd_model_port(m, sw, port);

	if (!vswd_may_use_switch(pol, sw, peer))
		return denied(err, "uid %u may not attach ports to switch '%s' "
			      "(an administrator grants it: vswitchctl switch set %s "
			      "--allow-users or --allow-groups)",
			      (unsigned)peer->uid, sw->name, sw->name);
	if (p) {
		bool owner = (p->owner_uid != VSWD_NO_ID && p->owner_uid == peer->uid) ||
			     (p->owner_gid != VSWD_NO_ID &&
			      vswd_peer_in_group(peer, (gid_t)p->owner_gid));

		if (!peer->admin && !owner)
			return denied(err, "port '%s' of switch '%s' is provisioned for "
				      "another user: uid %u may not claim it", port, sw->name,
				      (unsigned)peer->uid);
		/* Exactly what the administrator set, whatever the client asks. */
		vswd_port_settings_from(p, out);
		/* Provisioned without MACs: the client's NIC MAC, as unprovisioned. */
		if (!out->nmacs && req->mac) {
			if (!vswd_mac_claimable(m, sw, port, req->mac, err))
				return false;
			out->nmacs = 1;
			memcpy(out->macs[0], req->mac, 6);
		}
		return true;
	}
	memset(out, 0, sizeof(*out));
	if (req->mac && !vswd_mac_claimable(m, sw, port, req->mac, err))
		return false;
	if (req->vlan && !peer->admin) {
		bool ok = sw->client_vlans == VSWD_VLANS_ANY ||
			  (sw->client_vlans == VSWD_VLANS_LIST &&
			   (sw->vlan_bits[req->vlan / 64] >> (req->vlan % 64) & 1));

		if (!ok)
			return denied(err, "switch '%s' does not let clients choose VLAN %d "
				      "(an administrator provisions the port, or allows it: "
				      "vswitchctl switch set %s --client-vlans)", sw->name,
				      req->vlan, sw->name);
	}
	out->vlan = (uint16_t)req->vlan;
	if (req->mac) {
		out->nmacs = 1;
		memcpy(out->macs[0], req->mac, 6);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The state file                                                      */

static bool bad(GError **err, const char *path, const char *group, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static bool bad(GError **err, const char *path, const char *group, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: [%s]: %s", path, group, what);
	return false;
}

static bool only_keys(GKeyFile *kf, const char *path, const char *group,
		      const char *const *allowed, GError **err)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		g_autofree char *v = NULL;

		if (!g_strv_contains(allowed, *k))
			return bad(err, path, group, "unknown key '%s'", *k);
		/* NULL here means a value that is not valid UTF-8. */
		v = g_key_file_get_string(kf, group, *k, NULL);
		if (!v)
			return bad(err, path, group, "%s: not a valid UTF-8 string", *k);
	}
	return true;
}

/* A decimal number within [@min, @max], digits only. */
static bool parse_num(const char *s, guint64 min, guint64 max, guint64 *out)
{
	return s && g_ascii_isdigit(s[0]) &&
	       g_ascii_string_to_unsigned(s, 10, min, max, out, NULL);
}

bool vswd_parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "false"))
		*out = false;
	else
		return false;
	return true;
}

/* "1000;1001" (uid or gid numbers) into a new array; NULL if malformed. */
static GArray *parse_ids(const char *v)
{
	g_auto(GStrv) parts = g_strsplit(v, ";", -1);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(guint32));

	for (char **p = parts; *p; p++) {
		guint64 n;

		if (!**p && !p[1])
			break;		/* a trailing ';', as GKeyFile lists have */
		if (!parse_num(*p, 0, G_MAXUINT32 - 1, &n) || a->len >= VSWD_ACCESS_MAX) {
			g_array_unref(a);
			return NULL;
		}
		g_array_append_vals(a, &(guint32){ (guint32)n }, 1);
	}
	return a;
}

bool vswd_vlan_list_parse(const char *v, uint64_t bits[64])
{
	g_auto(GStrv) parts = g_strsplit_set(v, ";,", -1);

	memset(bits, 0, 64 * sizeof(uint64_t));
	for (char **p = parts; *p; p++) {
		g_auto(GStrv) r = NULL;
		guint64 lo, hi;

		if (!**p && !p[1])
			break;
		r = g_strsplit(*p, "-", 2);
		if (!parse_num(r[0], 1, VSW_VLAN_MAX, &lo))
			return false;
		hi = lo;
		if (r[1] && !parse_num(r[1], lo, VSW_VLAN_MAX, &hi))
			return false;
		for (guint64 x = lo; x <= hi; x++)
			bits[x / 64] |= 1ull << (x % 64);
	}
	return true;
}

char *vswd_vlan_list_format(const uint64_t bits[64])
{
	GString *s = g_string_new(NULL);

	for (unsigned v = 1; v <= VSW_VLAN_MAX; v++) {
		unsigned end = v;

		if (!(bits[v / 64] >> (v % 64) & 1))
			continue;
		while (end + 1 <= VSW_VLAN_MAX && (bits[(end + 1) / 64] >> ((end + 1) % 64) & 1))
			end++;
		g_string_append_printf(s, "%s%u", s->len ? ";" : "", v);
		if (end > v)
			g_string_append_printf(s, "-%u", end);
		v = end;
	}
	return g_string_free(s, FALSE);
}

/* A VLAN key: 0 (untagged) to 4094; absent: 0. */
static bool key_vlan(GKeyFile *kf, const char *path, const char *group, const char *key,
		     uint16_t *out, GError **err)
{
	g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);
	guint64 n = 0;

	if (v && !parse_num(v, 0, VSW_VLAN_MAX, &n))
		return bad(err, path, group, "%s: expected 0 (untagged) or a VLAN 1-%d",
			   key, VSW_VLAN_MAX);
	*out = (uint16_t)n;
	return true;
}

/* host-adapter, nic and their VLANs; then the type written must be the one they make. */
static bool load_adapters(struct vswd_model *m, GKeyFile *kf, const char *path,
			  const char *group, struct vswd_msw *s, const char *type, GError **err)
{
	g_autofree char *ha = g_key_file_get_string(kf, group, "host-adapter", NULL);
	g_autofree char *nic = g_key_file_get_string(kf, group, "nic", NULL);
	uint16_t ha_vlan, nic_vlan;
	g_autoptr(GError) e = NULL;

	if (!key_vlan(kf, path, group, "host-adapter-vlan", &ha_vlan, err) ||
	    !key_vlan(kf, path, group, "nic-vlan", &nic_vlan, err))
		return false;
	if (ha && !vswd_model_switch_set_host_adapter(m, s->name, true, ha, &e))
		return bad(err, path, group, "host-adapter: %s", e->message);
	if (nic && !vswd_model_switch_set_nic(m, s->name, nic, false, &e))
		return bad(err, path, group, "nic: %s", e->message);
	if ((ha_vlan && !ha) || (nic_vlan && !nic))
		return bad(err, path, group, "a VLAN for an adapter the switch does not have");
	s->ha_vlan = ha_vlan;
	s->nic_vlan = nic_vlan;
	if (type && strcmp(type, vswd_msw_type(s)))
		return bad(err, path, group, "type '%s' does not match what is attached "
			   "(that makes it %s)", type, vswd_msw_type(s));
	return true;
}

static bool load_switch(struct vswd_model *m, GKeyFile *kf, const char *path,
			const char *group, GError **err)
{
	static const char *const keys[] = {
		"type", "allow-users", "allow-groups", "client-vlans", "host-adapter",
		"host-adapter-vlan", "nic", "nic-vlan", NULL
	};
	const char *name = group + strlen("switch:");
	bool is_default = !strcmp(name, VSWD_DEFAULT_SWITCH);
	g_autofree char *type = NULL, *users = NULL, *groups = NULL, *vlans = NULL;
	g_autoptr(GArray) uids = NULL;
	g_autoptr(GArray) gids = NULL;
	struct vswd_msw *s;

	if (!only_keys(kf, path, group, keys, err))
		return false;
	type = g_key_file_get_string(kf, group, "type", NULL);
	if (is_default) {
		if (type && strcmp(type, "default"))
			return bad(err, path, group, "type must be 'default'");
		s = m->switches->pdata[0];
	} else {
		if (type && strcmp(type, "private") && strcmp(type, "internal") &&
		    strcmp(type, "external"))
			return bad(err, path, group, "type must be private, internal or external");
		if (!vsw_name_valid(name) || !g_ascii_strcasecmp(name, VSWD_DEFAULT_SWITCH))
			return bad(err, path, group, "invalid switch name");
		if (vswd_model_switch(m, name, NULL))
			return bad(err, path, group, "switch listed twice");
		if (!vswd_model_switch_add(m, name, err))
			return false;
		s = m->switches->pdata[m->switches->len - 1];
	}
	users = g_key_file_get_string(kf, group, "allow-users", NULL);
	groups = g_key_file_get_string(kf, group, "allow-groups", NULL);
	if (users && !(uids = parse_ids(users)))
		return bad(err, path, group, "allow-users: expected uid numbers separated "
			   "by ';' (at most %d)", VSWD_ACCESS_MAX);
	if (groups && !(gids = parse_ids(groups)))
		return bad(err, path, group, "allow-groups: expected gid numbers separated "
			   "by ';' (at most %d)", VSWD_ACCESS_MAX);
	if ((uids || gids) && !vswd_model_switch_set_access(m, s->name, uids, gids, err))
		return false;
	vlans = g_key_file_get_string(kf, group, "client-vlans", NULL);
	if (vlans) {
		uint64_t bits[64];

		if (!strcmp(vlans, "none"))
			vswd_model_switch_set_vlans(m, s->name, VSWD_VLANS_NONE, NULL, NULL);
		else if (!strcmp(vlans, "any"))
			vswd_model_switch_set_vlans(m, s->name, VSWD_VLANS_ANY, NULL, NULL);
		else if (vswd_vlan_list_parse(vlans, bits))
			vswd_model_switch_set_vlans(m, s->name, VSWD_VLANS_LIST, bits, NULL);
		else
			return bad(err, path, group, "client-vlans: expected none, any, or "
				   "VLANs 1-4094 such as 10;20-29");
	}
	return load_adapters(m, kf, path, group, s, type, err);
}

static bool key_bool(GKeyFile *kf, const char *path, const char *group, const char *key,
		     bool *out, GError **err)
{
	g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);

	if (v && !vswd_parse_bool(v, out))
		return bad(err, path, group, "%s must be true or false, not '%s'", key, v);
	return true;
}

static bool key_id(GKeyFile *kf, const char *path, const char *group, const char *key,
		   int64_t *out, GError **err)
{
	g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);
	guint64 n;

	*out = VSWD_NO_ID;
	if (!v)
		return true;
	if (!parse_num(v, 0, G_MAXUINT32 - 1, &n))
		return bad(err, path, group, "%s: expected a number, not '%s'", key, v);
	*out = (int64_t)n;
	return true;
}

static bool load_port(struct vswd_model *m, GKeyFile *kf, const char *path,
		      const char *group, GError **err)
{
	static const char *const keys[] = {
		"vlan", "macs", "mac-spoofing", "dhcp-guard", "router-guard",
		"owner-user", "owner-group", NULL
	};
	const char *key = group + strlen("port:");
	const char *slash = strchr(key, '/');
	g_autofree char *swname = NULL, *vlan = NULL, *macs = NULL;
	struct vswd_mport p = { 0 };
	struct vswd_msw *s;
	guint64 n;

	if (!only_keys(kf, path, group, keys, err))
		return false;
	if (!slash)
		return bad(err, path, group, "expected [port:SWITCH/PORT]");
	swname = g_strndup(key, (gsize)(slash - key));
	if (!vsw_name_valid(swname) || !vsw_name_valid(slash + 1))
		return bad(err, path, group, "invalid switch or port name");
	s = vswd_model_switch(m, swname, NULL);
	if (!s)
		return bad(err, path, group, "no such switch");
	if (vswd_model_port(m, s, slash + 1))
		return bad(err, path, group, "port listed twice");
	p.sw_id = s->id;
	p.name = (char *)(slash + 1);
	vlan = g_key_file_get_string(kf, group, "vlan", NULL);
	if (vlan) {
		if (!parse_num(vlan, 0, VSW_VLAN_MAX, &n))
			return bad(err, path, group, "vlan must be 0..4094");
		p.vlan = (uint16_t)n;
	}
	macs = g_key_file_get_string(kf, group, "macs", NULL);
	if (macs) {
		g_auto(GStrv) list = g_strsplit(macs, ";", -1);

		for (char **l = list; *l; l++) {
			if (!**l && !l[1])
				break;
			if (p.nmacs >= VSWD_PORT_MACS_MAX || !vswd_mac_parse(*l, p.macs[p.nmacs]))
				return bad(err, path, group, "macs: expected at most %d MAC "
					   "addresses such as 52:54:00:12:34:56 separated by ';'",
					   VSWD_PORT_MACS_MAX);
			p.nmacs++;
		}
	}
	if (!key_bool(kf, path, group, "mac-spoofing", &p.mac_spoofing, err) ||
	    !key_bool(kf, path, group, "dhcp-guard", &p.dhcp_guard, err) ||
	    !key_bool(kf, path, group, "router-guard", &p.router_guard, err) ||
	    !key_id(kf, path, group, "owner-user", &p.owner_uid, err) ||
	    !key_id(kf, path, group, "owner-group", &p.owner_gid, err))
		return false;
	if (!vswd_model_port_provision(m, &p, err)) {
		g_autofree char *msg = g_strdup((*err)->message);

		g_clear_error(err);
		return bad(err, path, group, "%s", msg);
	}
	return true;
}

struct vswd_model *vswd_model_from_keyfile(GKeyFile *kf, const char *path,
					   const struct vswd_model_defaults *defaults,
					   GError **err)
{
	g_autoptr(vswd_model) m = vswd_model_new(defaults);
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	/* Switches first, so ports may name them in any order. */
	for (char **g = groups; *g; g++) {
		if (g_str_has_prefix(*g, "switch:")) {
			if (!load_switch(m, kf, path, *g, err))
				return NULL;
		} else if (!g_str_has_prefix(*g, "port:") && !vswd_natcfg_is_group(*g)) {
			bad(err, path, *g, "unknown section");
			return NULL;
		}
	}
	for (char **g = groups; *g; g++)
		if (g_str_has_prefix(*g, "port:") && !load_port(m, kf, path, *g, err))
			return NULL;
	if (!vswd_natcfg_load(m, kf, path, err))
		return NULL;
	return g_steal_pointer(&m);
}

static char *ids_format(const GArray *a)
{
	GString *s = g_string_new(NULL);

	for (unsigned i = 0; a && i < a->len; i++)
		g_string_append_printf(s, "%s%u", i ? ";" : "", g_array_index(a, guint32, i));
	return g_string_free(s, FALSE);
}

static gint cmp_switch(gconstpointer a, gconstpointer b)
{
	const struct vswd_msw *x = *(struct vswd_msw *const *)a;
	const struct vswd_msw *y = *(struct vswd_msw *const *)b;

	return strcmp(x->name, y->name);
}

static void save_switch(const struct vswd_msw *s, GKeyFile *kf)
{
	g_autofree char *group = g_strconcat("switch:", s->name, NULL);

	/* The Default switch is written only for what an administrator changed. */
	if (!s->is_default)
		g_key_file_set_string(kf, group, "type", vswd_msw_type(s));
	if (s->ha_name) {
		g_key_file_set_string(kf, group, "host-adapter", s->ha_name);
		if (s->ha_vlan)
			g_key_file_set_integer(kf, group, "host-adapter-vlan", s->ha_vlan);
	}
	if (s->nic) {
		g_key_file_set_string(kf, group, "nic", s->nic);
		if (s->nic_vlan)
			g_key_file_set_integer(kf, group, "nic-vlan", s->nic_vlan);
	}
	if (s->access_set) {
		g_autofree char *u = ids_format(s->allow_uids);
		g_autofree char *g = ids_format(s->allow_gids);

		g_key_file_set_string(kf, group, "allow-users", u);
		g_key_file_set_string(kf, group, "allow-groups", g);
	}
	switch (s->client_vlans) {
	case VSWD_VLANS_NONE:
		g_key_file_set_string(kf, group, "client-vlans", "none");
		break;
	case VSWD_VLANS_ANY:
		g_key_file_set_string(kf, group, "client-vlans", "any");
		break;
	case VSWD_VLANS_LIST: {
		g_autofree char *l = vswd_vlan_list_format(s->vlan_bits);

		g_key_file_set_string(kf, group, "client-vlans", l);
		break;
	}
	}
}

static void save_port(const struct vswd_model *m, const struct vswd_mport *p, GKeyFile *kf)
{
	const struct vswd_msw *s = vswd_model_switch_by_id(m, p->sw_id);
	g_autofree char *group = g_strdup_printf("port:%s/%s", s->name, p->name);

	g_key_file_set_integer(kf, group, "vlan", p->vlan);
	if (p->nmacs) {
		GString *l = g_string_new(NULL);

		for (unsigned i = 0; i < p->nmacs; i++) {
			char a[18];

			vswd_mac_format(p->macs[i], a);
			g_string_append_printf(l, "%s%s", i ? ";" : "", a);
		}
		g_key_file_set_string(kf, group, "macs", l->str);
		g_string_free(l, TRUE);
	}
	g_key_file_set_string(kf, group, "mac-spoofing", p->mac_spoofing ? "true" : "false");
	g_key_file_set_string(kf, group, "dhcp-guard", p->dhcp_guard ? "true" : "false");
	g_key_file_set_string(kf, group, "router-guard", p->router_guard ? "true" : "false");
	if (p->owner_uid != VSWD_NO_ID)
		g_key_file_set_int64(kf, group, "owner-user", p->owner_uid);
	if (p->owner_gid != VSWD_NO_ID)
		g_key_file_set_int64(kf, group, "owner-group", p->owner_gid);
}

gint vswd_mport_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
	const struct vswd_model *m = data;
	const struct vswd_mport *x = *(struct vswd_mport *const *)a;
	const struct vswd_mport *y = *(struct vswd_mport *const *)b;
	int c = strcmp(vswd_model_switch_by_id(m, x->sw_id)->name,
		       vswd_model_switch_by_id(m, y->sw_id)->name);

	return c ? c : strcmp(x->name, y->name);
}

GKeyFile *vswd_model_to_keyfile(const struct vswd_model *m)
{
	GKeyFile *kf = g_key_file_new();
	g_autoptr(GPtrArray) sws = g_ptr_array_new();
	g_autoptr(GPtrArray) ports = g_ptr_array_new();

	/* Sorted, so the file does not churn between saves. */
	for (unsigned i = 0; i < m->switches->len; i++)
		g_ptr_array_add(sws, m->switches->pdata[i]);
	g_ptr_array_sort(sws, cmp_switch);
	for (unsigned i = 0; i < sws->len; i++) {
		const struct vswd_msw *s = sws->pdata[i];

		/* The Default switch as it comes needs no group of its own. */
		if (s->is_default && !s->access_set &&
		    s->client_vlans == (m->defaults.root ? VSWD_VLANS_NONE : VSWD_VLANS_ANY))
			continue;
		save_switch(s, kf);
	}
	for (unsigned i = 0; i < m->ports->len; i++)
		g_ptr_array_add(ports, m->ports->pdata[i]);
	g_ptr_array_sort_with_data(ports, vswd_mport_cmp, (gpointer)m);
	for (unsigned i = 0; i < ports->len; i++)
		save_port(m, ports->pdata[i], kf);
	vswd_natcfg_save(m, kf);
	return kf;
}
