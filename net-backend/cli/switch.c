// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * switch.c - vswitchctl switch: list, add, remove, rename, show, and set
 * (who may attach ports, which VLANs they may ask for).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdio.h>
#include <string.h>

#include "vswitch/vswitch.h"
#include "vswitchctl.h"

/* {"name": NAME}, the argument most commands here take. */
static JsonObject *name_arg(const char *name)
{
	JsonObject *a = json_object_new();

	json_object_set_string_member(a, "name", name);
	return a;
}

static int switch_list(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_table *t;
	JsonArray *sws;
	JsonNode *ret;
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, NULL, 0, 0);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	ret = ctl_call(ctl, "switch-list", NULL, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	sws = ctl_get_array(json_node_get_object(ret), "switches");
	t = ctl_table_new("llr", "NAME", "TYPE", "PORTS");
	for (unsigned i = 0; i < json_array_get_length(sws); i++) {
		JsonObject *sw = json_array_get_object_element(sws, i);

		ctl_table_cell(t, "%s", ctl_get_str(sw, "name"));
		ctl_table_cell(t, "%s", ctl_get_str(sw, "type"));
		ctl_table_cell(t, "%" G_GINT64_FORMAT, ctl_get_int(sw, "ports"));
	}
	ctl_table_print(t);
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

/*
 * The adapter options of switch add and switch set, as ctl_opt entries
 * filling @o; adapter_args() turns them into switch-add/-set arguments.
 */
struct adapter_opts {
	const char *type, *nic, *ha_name, *ha_vlan, *nic_vlan;
	bool no_nic, move, shared, dedicated, ha, no_ha;
};

#define ADAPTER_OPTS(o) \
	{ "nic", "IFNAME", NULL, &(o).nic }, \
	{ "shared", NULL, &(o).shared, NULL }, \
	{ "dedicated", NULL, &(o).dedicated, NULL }, \
	{ "host-adapter", NULL, &(o).ha, NULL }, \
	{ "host-adapter-name", "IFNAME", NULL, &(o).ha_name }, \
	{ "host-adapter-vlan", "VLAN", NULL, &(o).ha_vlan }, \
	{ "nic-vlan", "VLAN", NULL, &(o).nic_vlan }

/* Return: false after a usage error. */
static bool adapter_args(const struct ctl_cmd *cmd, const struct adapter_opts *o, JsonObject *a)
{
	struct {
		const char *opt, *val, *arg;
	} vlans[] = {
		{ "host-adapter-vlan", o->ha_vlan, "host-adapter-vlan" },
		{ "nic-vlan", o->nic_vlan, "nic-vlan" },
	};

	if (o->shared && o->dedicated) {
		ctl_usage_error(cmd, "--shared and --dedicated exclude each other");
		return false;
	}
	if (o->ha && o->no_ha) {
		ctl_usage_error(cmd, "--host-adapter and --no-host-adapter exclude each other");
		return false;
	}
	if (o->nic && o->no_nic) {
		ctl_usage_error(cmd, "--nic and --no-nic exclude each other");
		return false;
	}
	if (o->type) {
		g_autofree char *t = g_ascii_strdown(o->type, -1);

		if (strcmp(t, "private") && strcmp(t, "internal") && strcmp(t, "external")) {
			ctl_usage_error(cmd, "invalid --type '%s': private, internal or external",
					o->type);
			return false;
		}
		json_object_set_string_member(a, "type", t);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(vlans); i++) {
		int v;

		if (!vlans[i].val)
			continue;
		v = ctl_parse_vlan(vlans[i].val);
		if (v < 0) {
			ctl_usage_error(cmd, "invalid --%s '%s': none or 1-%d", vlans[i].opt,
					vlans[i].val, VSW_VLAN_MAX);
			return false;
		}
		json_object_set_int_member(a, vlans[i].arg, v);
	}
	if (o->nic)
		json_object_set_string_member(a, "nic", o->nic);
	if (o->no_nic)
		json_object_set_boolean_member(a, "no-nic", TRUE);
	if (o->move)
		json_object_set_boolean_member(a, "move", TRUE);
	if (o->shared || o->dedicated)
		json_object_set_string_member(a, "mode", o->shared ? "shared" : "dedicated");
	if (o->ha || o->no_ha)
		json_object_set_boolean_member(a, "host-adapter", o->ha);
	if (o->ha_name)
		json_object_set_string_member(a, "host-adapter-name", o->ha_name);
	return true;
}

static int switch_add(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct adapter_opts o = { 0 };
	const struct ctl_opt opts[] = {
		{ "type", "TYPE", NULL, &o.type },
		ADAPTER_OPTS(o),
		{ NULL }
	};
	JsonObject *a;
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, opts, pos, 1, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	a = name_arg(pos[0]);
	if (!adapter_args(cmd, &o, a)) {
		json_object_unref(a);
		return CTL_EXIT_USAGE;
	}
	return ctl_print_result(ctl, ctl_call(ctl, "switch-add", a, NULL));
}

static int switch_remove(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	bool force = false;
	const struct ctl_opt opts[] = {
		{ "force", NULL, &force, NULL },
		{ NULL }
	};
	JsonObject *a;
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, opts, pos, 1, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	a = name_arg(pos[0]);
	if (force)
		json_object_set_boolean_member(a, "force", TRUE);
	return ctl_print_result(ctl, ctl_call(ctl, "switch-remove", a, NULL));
}

static int switch_rename(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	JsonObject *a;
	char *pos[2];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 2, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	a = name_arg(pos[0]);
	json_object_set_string_member(a, "new-name", pos[1]);
	return ctl_print_result(ctl, ctl_call(ctl, "switch-rename", a, NULL));
}

/* "nobody, 1001" for a uid or gid list, names where they resolve. */
static void append_ids(GString *s, JsonArray *ids, bool groups)
{
	for (unsigned i = 0; i < json_array_get_length(ids); i++) {
		int64_t id = json_array_get_int_element(ids, i);
		g_autofree char *name = groups ? ctl_group_str(id) : ctl_user_str(id);

		g_string_append_printf(s, "%s%s", i ? ", " : "", name);
	}
}

/* Who may attach ports to switch @sw (a switch object), for a person. */
static char *access_str(JsonObject *sw)
{
	JsonArray *users = ctl_get_array(sw, "allow-users");
	JsonArray *groups = ctl_get_array(sw, "allow-groups");
	GString *s;

	if (json_object_get_boolean_member_with_default(sw, "access-default", TRUE))
		return g_strdup("default (members of vswitchd's --socket-group)");
	if (!json_array_get_length(users) && !json_array_get_length(groups))
		return g_strdup("administrators only");
	s = g_string_new(NULL);
	if (json_array_get_length(users)) {
		g_string_append(s, "users ");
		append_ids(s, users, false);
	}
	if (json_array_get_length(groups)) {
		g_string_append(s, s->len ? "; groups " : "groups ");
		append_ids(s, groups, true);
	}
	return g_string_free(s, FALSE);
}

static const char *vlan_str(int64_t v, char buf[8])
{
	if (!v)
		return "untagged";
	g_snprintf(buf, 8, "%" G_GINT64_FORMAT, v);
	return buf;
}

/* What the NIC had before it was bound (nicstate.c's view of its record). */
static void show_before(JsonObject *b)
{
	JsonArray *addrs = ctl_get_array(b, "addresses");
	JsonArray *routes = ctl_get_array(b, "routes");
	JsonNode *v6 = json_object_get_member(b, "ipv6-disabled");
	GString *s = g_string_new(NULL);

	ctl_field("NIC before", "MTU %" G_GINT64_FORMAT ", %s, IPv6 %s",
		  ctl_get_int(b, "mtu"),
		  json_object_get_boolean_member_with_default(b, "up", FALSE) ? "up" : "down",
		  !v6 || JSON_NODE_HOLDS_NULL(v6) ? "absent" :
		  json_node_get_boolean(v6) ? "disabled" : "enabled");
	for (unsigned i = 0; addrs && i < json_array_get_length(addrs); i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
				       ctl_get_str(json_array_get_object_element(addrs, i),
						   "address"));
	ctl_field("  addresses", "%s", s->len ? s->str : "none");
	for (unsigned i = 0; routes && i < json_array_get_length(routes); i++) {
		JsonObject *r = json_array_get_object_element(routes, i);

		g_string_printf(s, "%s", ctl_get_str(r, "dst"));
		if (json_object_has_member(r, "gateway"))
			g_string_append_printf(s, " via %s", ctl_get_str(r, "gateway"));
		g_string_append_printf(s, " table %s metric %" G_GINT64_FORMAT,
				       ctl_get_str(r, "table"), ctl_get_int(r, "metric"));
		ctl_field(i ? "" : "  routes", "%s", s->str);
	}
	if (!routes || !json_array_get_length(routes))
		ctl_field("  routes", "none");
	g_string_free(s, TRUE);
}

/* The host adapter, the NIC, and what the NIC had before it was bound. */
static void show_adapters(JsonObject *sw)
{
	JsonNode *ha = json_object_get_member(sw, "host-adapter");
	JsonNode *nic = json_object_get_member(sw, "nic");
	char buf[8];

	if (ha && JSON_NODE_HOLDS_OBJECT(ha)) {
		JsonObject *o = json_node_get_object(ha);

		ctl_field("host adapter", "%s (%s, VLAN %s)", ctl_get_str(o, "name"),
			  ctl_get_str(o, "state"), vlan_str(ctl_get_int(o, "vlan"), buf));
	}
	if (nic && JSON_NODE_HOLDS_OBJECT(nic)) {
		JsonObject *o = json_node_get_object(nic);
		JsonNode *before = json_object_get_member(o, "before");

		ctl_field("NIC", "%s (%s, %s, native VLAN %s)%s%s", ctl_get_str(o, "name"),
			  ctl_get_str(o, "mode"), ctl_get_str(o, "state"),
			  vlan_str(ctl_get_int(o, "vlan"), buf),
			  json_object_has_member(o, "error") ? ": " : "",
			  json_object_has_member(o, "error") ? ctl_get_str(o, "error") : "");
		if (before && JSON_NODE_HOLDS_OBJECT(before))
			show_before(json_node_get_object(before));
	}
}

static int switch_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	JsonObject *sw;
	JsonArray *ports;
	JsonNode *ret;
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 1, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	ret = ctl_call(ctl, "switch-show", name_arg(pos[0]), NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	sw = json_node_get_object(ret);
	ports = ctl_get_array(sw, "ports");
	ctl_field("switch", "%s", ctl_get_str(sw, "name"));
	ctl_field("type", "%s", ctl_get_str(sw, "type"));
	ctl_field("ports", "%u", json_array_get_length(ports));
	ctl_field("mac table", "%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " entries",
		  ctl_get_int(sw, "mac-entries"), ctl_get_int(sw, "mac-capacity"));
	{
		g_autofree char *access = access_str(sw);
		const char *vlans = ctl_get_str(sw, "client-vlans");

		ctl_field("access", "%s", access);
		ctl_field("client-vlans", "%s", !strcmp(vlans, "none") ? "none (untagged only)" :
			  *vlans ? vlans : "-");
	}
	show_adapters(sw);
	if (json_array_get_length(ports)) {
		putchar('\n');
		ctl_port_table(ports, false);
	}
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

/*
 * "alice,1001" (users or groups, names or numbers) into a JSON array of
 * numbers, without repeats; "none" is the empty list.  Return: NULL after
 * a usage error.
 */
static JsonArray *id_list_arg(const struct ctl_cmd *cmd, const char *opt, const char *s,
			      bool groups)
{
	g_auto(GStrv) parts = NULL;
	g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	JsonArray *arr = json_array_new();

	if (!g_ascii_strcasecmp(s, "none"))
		return arr;
	parts = g_strsplit(s, ",", -1);
	for (char **p = parts; *p; p++) {
		const char *w = g_strstrip(*p);
		bool dup = false;
		uint32_t id;

		if (!(groups ? ctl_group_id(w, &id) : ctl_user_id(w, &id))) {
			json_array_unref(arr);
			ctl_usage_error(cmd, "--%s: no %s '%s' (give names or numbers separated "
					"by commas, or 'none')", opt, groups ? "group" : "user", w);
			return NULL;
		}
		for (unsigned i = 0; i < seen->len; i++)
			dup |= g_array_index(seen, uint32_t, i) == id;
		if (dup)
			continue;
		g_array_append_val(seen, id);
		json_array_add_int_element(arr, id);
	}
	return arr;
}

/* One VLAN of a list: 1-4094, digits only. */
static bool vlan_num(const char *s, int *v)
{
	*v = g_ascii_isdigit(s[0]) ? ctl_parse_vlan(s) : -1;
	return *v > 0;
}

/* "10,20-29" (or with ';'): VLANs 1-4094, ranges low to high. */
static bool vlan_list_valid(const char *s)
{
	g_auto(GStrv) parts = g_strsplit_set(s, ",;", -1);

	for (char **p = parts; *p; p++) {
		g_auto(GStrv) r = g_strsplit(*p, "-", 2);
		int lo, hi;

		if (!r[0] || !vlan_num(r[0], &lo))
			return false;
		hi = lo;
		if (r[1] && (!vlan_num(r[1], &hi) || hi < lo))
			return false;
	}
	return parts[0] != NULL;
}

static int switch_set(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	const char *users = NULL, *groups = NULL, *vlans = NULL;
	bool access_default = false;
	struct adapter_opts o = { 0 };
	const struct ctl_opt opts[] = {
		{ "allow-users", "U,...", NULL, &users },
		{ "allow-groups", "G,...", NULL, &groups },
		{ "access-default", NULL, &access_default, NULL },
		{ "client-vlans", "VLANS", NULL, &vlans },
		ADAPTER_OPTS(o),
		{ "no-nic", NULL, &o.no_nic, NULL },
		{ "move", NULL, &o.move, NULL },
		{ "no-host-adapter", NULL, &o.no_ha, NULL },
		{ NULL }
	};
	JsonArray *arr;
	JsonObject *a;
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, opts, pos, 1, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (o.move && !o.nic)
		return ctl_usage_error(cmd, "--move goes with --nic");
	if (!users && !groups && !access_default && !vlans && !o.nic && !o.no_nic &&
	    !o.shared && !o.dedicated && !o.ha && !o.no_ha && !o.ha_name && !o.ha_vlan &&
	    !o.nic_vlan)
		return ctl_usage_error(cmd, "nothing to set: see 'vswitchctl switch set --help'");
	if (access_default && (users || groups))
		return ctl_usage_error(cmd, "--access-default and --allow-users/--allow-groups "
				       "exclude each other");
	if (vlans && g_ascii_strcasecmp(vlans, "none") && g_ascii_strcasecmp(vlans, "any") &&
	    !vlan_list_valid(vlans))
		return ctl_usage_error(cmd, "invalid --client-vlans '%s': none, any, or VLANs "
				       "1-%d such as 10,20-29", vlans, VSW_VLAN_MAX);
	a = name_arg(pos[0]);
	if (!adapter_args(cmd, &o, a))
		goto usage;
	if (users) {
		arr = id_list_arg(cmd, "allow-users", users, false);
		if (!arr)
			goto usage;
		json_object_set_array_member(a, "allow-users", arr);
	}
	if (groups) {
		arr = id_list_arg(cmd, "allow-groups", groups, true);
		if (!arr)
			goto usage;
		json_object_set_array_member(a, "allow-groups", arr);
	}
	if (access_default)
		json_object_set_boolean_member(a, "access-default", TRUE);
	if (vlans) {
		g_autofree char *v = g_ascii_strdown(vlans, -1);

		json_object_set_string_member(a, "client-vlans", v);
	}
	return ctl_print_result(ctl, ctl_call(ctl, "switch-set", a, NULL));
usage:
	json_object_unref(a);
	return CTL_EXIT_USAGE;
}

static const struct ctl_cmd switch_cmds[] = {
	{ "list", NULL, "list switches", switch_list },
	{ "add", "NAME [--type private|internal|external] [--nic IFNAME] "
	  "[--shared|--dedicated] [--host-adapter-name IFNAME] [--host-adapter-vlan VLAN] "
	  "[--nic-vlan VLAN]",
	  "create a switch", switch_add,
	  "Types, as in Hyper-V (docs/external.md):\n"
	  "  private    VMs only (the default)\n"
	  "  internal   VMs and a host adapter: a TAP device on the host, named\n"
	  "             vsw-NAME unless --host-adapter-name says otherwise\n"
	  "  external   VMs and the physical NIC --nic IFNAME, which is\n"
	  "             --shared (the default): a host adapter with the NIC's MAC\n"
	  "                 takes over its addresses, routes and MTU, so the host\n"
	  "                 keeps its connectivity through the switch; or\n"
	  "             --dedicated: the host stops using the NIC (its addresses\n"
	  "                 are removed, IPv6 disabled on it)\n"
	  "--nic alone implies external, --host-adapter-name alone internal.\n"
	  "  --host-adapter-vlan VLAN  the host adapter's access VLAN (none: untagged)\n"
	  "  --nic-vlan VLAN           the NIC's native VLAN: untagged frames on the\n"
	  "                            wire belong to it; other VLANs leave tagged\n"
	  "What the NIC had is written to the state directory first and given back\n"
	  "when it is unbound, when the switch is removed and when vswitchd stops.\n" },
	{ "remove", "NAME [--force]", "remove a switch",
	  switch_remove,
	  "Without --force, a switch with ports attached is not removed.  With it,\n"
	  "its ports are reset: their clients (QEMU) see the connection close.\n"
	  "The Default switch cannot be removed.\n" },
	{ "rename", "NAME NEW-NAME", "rename a switch", switch_rename,
	  "Ports stay attached; the VLANs set on them follow the switch.\n" },
	{ "show", "NAME", "show a switch, its adapters and ports", switch_show,
	  "For a switch with a NIC, also what the NIC had before it was bound (what\n"
	  "it gets back when it is unbound); --json gives it in full.\n" },
	{ "set", "NAME [--allow-users U,...] [--allow-groups G,...] [--access-default] "
	  "[--client-vlans none|any|LIST] [--nic IFNAME [--move]] [--no-nic] "
	  "[--shared|--dedicated] [--host-adapter] [--no-host-adapter] "
	  "[--host-adapter-name IFNAME] [--host-adapter-vlan VLAN] [--nic-vlan VLAN]",
	  "set access, VLANs, host adapter and NIC",
	  switch_set,
	  "Administrators may always attach ports.  Port clients (other users on the\n"
	  "socket: QEMU run by libvirt, say) may attach ports to a switch only if:\n"
	  "  --allow-users U,...   they run as one of these users\n"
	  "  --allow-groups G,...  or are members of one of these groups\n"
	  "Users and groups are names or numbers, separated by commas; 'none' empties\n"
	  "the list.  Each option replaces its own list and keeps the other one; both\n"
	  "lists empty lets administrators only.\n"
	  "  --access-default      forget both lists: members of vswitchd's\n"
	  "                        --socket-group may attach ports (the default)\n"
	  "\n"
	  "  --client-vlans none|any|LIST\n"
	  "      the VLANs a port client may ask for when it attaches a port that no\n"
	  "      administrator provisioned: none (untagged only; the default when\n"
	  "      vswitchd runs as root), any (the default without root), or a list\n"
	  "      such as 10,20-29.  A provisioned port gets its own VLAN regardless.\n"
	  "\n"
	  "\n"
	  "The host adapter and the NIC (the switch's type follows from them):\n"
	  "  --nic IFNAME          bind a NIC (External); one bound to another switch\n"
	  "                        is refused unless --move takes it from there\n"
	  "  --no-nic              unbind it: it gets back what it had\n"
	  "  --shared, --dedicated whether the host keeps using the NIC through a\n"
	  "                        host adapter that takes over its addresses\n"
	  "  --host-adapter, --no-host-adapter   add or remove the host adapter\n"
	  "  --host-adapter-name IFNAME, --host-adapter-vlan VLAN, --nic-vlan VLAN\n"
	  "                        as for 'switch add'\n"
	  "Ports stay attached through every change.\n"
	  "\n"
	  "Settings persist; a port already attached keeps running.\n" },
	{ NULL }
};

const struct ctl_group ctl_group_switch = { "switch", switch_cmds, false };
