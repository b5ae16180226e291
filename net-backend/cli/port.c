// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port.c - vswitchctl port: list, show (counters, drops by reason), set
 * (VLAN, guards), and ports provisioned ahead of time.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * A provisioned port is one an administrator set up by switch and name
 * before any client attached it: its VLAN, the MAC addresses it may send
 * from, its guards, and the user or group whose client may claim it.
 * 'port set' on a live port provisions it too, so what it sets persists.
 */
#include <stdio.h>
#include <string.h>

#include "vswitch/vswitch.h"
#include "vswitchctl.h"

/* Sum of a port object's "drops" (reason -> count). */
static int64_t drops_total(JsonObject *port)
{
	JsonNode *n = json_object_get_member(port, "drops");
	g_autoptr(GList) reasons = NULL;
	JsonObject *drops;
	int64_t sum = 0;

	if (!n || !JSON_NODE_HOLDS_OBJECT(n))
		return 0;
	drops = json_node_get_object(n);
	reasons = json_object_get_members(drops);
	for (GList *l = reasons; l; l = l->next)
		sum += ctl_get_int(drops, l->data);
	return sum;
}

void ctl_port_table(JsonArray *ports, bool with_switch)
{
	struct ctl_table *t;

	if (with_switch)
		t = ctl_table_new("llllrrrrrr", "SWITCH", "PORT", "KIND", "VLAN", "MAC",
				  "RX-PKTS", "RX-BYTES", "TX-PKTS", "TX-BYTES", "DROPS");
	else
		t = ctl_table_new("lllrrrrrr", "PORT", "KIND", "VLAN", "MAC",
				  "RX-PKTS", "RX-BYTES", "TX-PKTS", "TX-BYTES", "DROPS");
	for (unsigned i = 0; i < json_array_get_length(ports); i++) {
		JsonObject *p = json_array_get_object_element(ports, i);
		const char *mac = ctl_get_str(p, "mac");

		if (with_switch)
			ctl_table_cell(t, "%s", ctl_get_str(p, "switch"));
		ctl_table_cell(t, "%s", ctl_get_str(p, "name"));
		ctl_table_cell(t, "%s", ctl_get_str(p, "kind"));
		ctl_table_cell(t, "%s", ctl_vlan_str(ctl_get_int(p, "vlan")));
		ctl_table_cell(t, "%s", *mac ? mac : "-");
		ctl_table_cell(t, "%" G_GINT64_FORMAT, ctl_get_int(p, "rx-packets"));
		ctl_table_cell(t, "%" G_GINT64_FORMAT, ctl_get_int(p, "rx-bytes"));
		ctl_table_cell(t, "%" G_GINT64_FORMAT, ctl_get_int(p, "tx-packets"));
		ctl_table_cell(t, "%" G_GINT64_FORMAT, ctl_get_int(p, "tx-bytes"));
		ctl_table_cell(t, "%" G_GINT64_FORMAT, drops_total(p));
	}
	ctl_table_print(t);
}

static int port_list(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	JsonObject *a = NULL;
	JsonNode *ret;
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 0, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (n == 1) {
		a = json_object_new();
		json_object_set_string_member(a, "switch", pos[0]);
	}
	ret = ctl_call(ctl, "port-list", a, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	ctl_port_table(ctl_get_array(json_node_get_object(ret), "ports"), true);
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

/* "csum tso4 ..." for VSW_OFFLOAD_* bits. */
static char *offload_names(int64_t bits)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ VSW_OFFLOAD_CSUM, "csum" }, { VSW_OFFLOAD_TSO4, "tso4" },
		{ VSW_OFFLOAD_TSO6, "tso6" }, { VSW_OFFLOAD_ECN, "ecn" },
		{ VSW_OFFLOAD_UFO, "ufo" }, { VSW_OFFLOAD_USO4, "uso4" },
		{ VSW_OFFLOAD_USO6, "uso6" },
	};
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (bits & names[i].bit) {
			g_string_append_printf(s, "%s%s", s->len ? " " : "", names[i].name);
			bits &= ~(int64_t)names[i].bit;
		}
	}
	if (bits)
		g_string_append_printf(s, "%s0x%" G_GINT64_MODIFIER "x", s->len ? " " : "", bits);
	if (!s->len)
		g_string_append(s, "none");
	return g_string_free(s, FALSE);
}

static const char *onoff(JsonObject *o, const char *member)
{
	return json_object_get_boolean_member_with_default(o, member, FALSE) ? "on" : "off";
}

/* "52:54:00:12:34:56 52:54:00:12:34:57", or "-". */
static char *macs_str(JsonObject *o, const char *sep)
{
	JsonArray *macs = ctl_get_array(o, "macs");
	GString *s = g_string_new(NULL);

	for (unsigned i = 0; i < json_array_get_length(macs); i++) {
		JsonNode *n = json_array_get_element(macs, i);

		if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
			g_string_append_printf(s, "%s%s", s->len ? sep : "", json_node_get_string(n));
	}
	if (!s->len)
		g_string_append(s, "-");
	return g_string_free(s, FALSE);
}

static void print_port(JsonObject *p)
{
	g_autofree char *offloads = offload_names(ctl_get_int(p, "offloads"));
	g_autofree char *macs = macs_str(p, " ");
	JsonNode *dn = json_object_get_member(p, "drops");
	const char *mac = ctl_get_str(p, "mac");

	ctl_field("port", "%s", ctl_get_str(p, "name"));
	ctl_field("switch", "%s", ctl_get_str(p, "switch"));
	ctl_field("kind", "%s", ctl_get_str(p, "kind"));
	ctl_field("vlan", "%s", ctl_vlan_str(ctl_get_int(p, "vlan")));
	ctl_field("mac", "%s", *mac ? mac : "-");
	ctl_field("macs", "%s", macs);
	ctl_field("provisioned", "%s",
		  json_object_get_boolean_member_with_default(p, "provisioned", FALSE) ?
		  "yes" : "no");
	ctl_field("mac-spoofing", "%s", onoff(p, "mac-spoofing"));
	ctl_field("dhcp-guard", "%s", onoff(p, "dhcp-guard"));
	ctl_field("router-guard", "%s", onoff(p, "router-guard"));
	if (json_object_has_member(p, "client-uid")) {
		g_autofree char *user = ctl_user_str(ctl_get_int(p, "client-uid"));

		ctl_field("client", "uid %" G_GINT64_FORMAT " (%s), pid %" G_GINT64_FORMAT,
			  ctl_get_int(p, "client-uid"), user, ctl_get_int(p, "client-pid"));
	}
	ctl_field("offloads", "%s", offloads);
	ctl_field("rx", "%" G_GINT64_FORMAT " packets, %" G_GINT64_FORMAT " bytes",
		  ctl_get_int(p, "rx-packets"), ctl_get_int(p, "rx-bytes"));
	ctl_field("tx", "%" G_GINT64_FORMAT " packets, %" G_GINT64_FORMAT " bytes",
		  ctl_get_int(p, "tx-packets"), ctl_get_int(p, "tx-bytes"));
	ctl_field("resets", "%" G_GINT64_FORMAT, ctl_get_int(p, "resets"));
	ctl_field("wakeups", "%" G_GINT64_FORMAT, ctl_get_int(p, "wakeups"));
	ctl_field("muted", "%" G_GINT64_FORMAT, ctl_get_int(p, "muted"));
	ctl_field("drops", "%" G_GINT64_FORMAT, drops_total(p));
	if (dn && JSON_NODE_HOLDS_OBJECT(dn)) {
		JsonObject *drops = json_node_get_object(dn);
		g_autoptr(GList) reasons = json_object_get_members(drops);

		for (GList *l = reasons; l; l = l->next)
			printf("  %-16s %" G_GINT64_FORMAT "\n", (const char *)l->data,
			       ctl_get_int(drops, l->data));
	}
}

static int port_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	JsonObject *a = json_object_new();
	JsonObject *port = NULL;
	JsonArray *ports;
	JsonNode *ret;
	char *pos[2];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 2, 2);

	if (n < 0) {
		json_object_unref(a);
		return CTL_PARSE_EXIT(n);
	}
	json_object_set_string_member(a, "switch", pos[0]);
	ret = ctl_call(ctl, "port-list", a, NULL);
	if (!ret)
		return CTL_EXIT_FAIL;
	ports = ctl_get_array(json_node_get_object(ret), "ports");
	for (unsigned i = 0; i < json_array_get_length(ports) && !port; i++) {
		JsonObject *p = json_array_get_object_element(ports, i);

		if (!strcmp(ctl_get_str(p, "name"), pos[1]))
			port = p;
	}
	if (!port) {
		json_node_unref(ret);
		return ctl_error("switch '%s' has no port '%s'", pos[0], pos[1]);
	}
	if (ctl->json) {
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

		json_node_set_object(node, port);
		ctl_print_json(node);
	} else {
		print_port(port);
	}
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

/* {"switch": SWITCH, "port": PORT} */
static JsonObject *port_arg(const char *sw, const char *port)
{
	JsonObject *a = json_object_new();

	json_object_set_string_member(a, "switch", sw);
	json_object_set_string_member(a, "port", port);
	return a;
}

/* --vlan N into @a's "vlan", if given.  Return: false after a usage error. */
static bool vlan_arg(const struct ctl_cmd *cmd, const char *s, JsonObject *a)
{
	int vlan;

	if (!s)
		return true;
	vlan = ctl_parse_vlan(s);
	if (vlan < 0) {
		ctl_usage_error(cmd, "invalid VLAN '%s': use 1-%d, or 0, 'none' or "
				"'untagged' for an untagged port", s, VSW_VLAN_MAX);
		return false;
	}
	json_object_set_int_member(a, "vlan", vlan);
	return true;
}

/* The three on/off options both 'port set' and 'port provision' take. */
struct guards {
	const char *spoofing, *dhcp, *router;
};

static bool guard_args(const struct ctl_cmd *cmd, const struct guards *g, JsonObject *a)
{
	return ctl_onoff_arg(cmd, "mac-spoofing", g->spoofing, a) &&
	       ctl_onoff_arg(cmd, "dhcp-guard", g->dhcp, a) &&
	       ctl_onoff_arg(cmd, "router-guard", g->router, a);
}

static int port_set(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	const char *vlan_s = NULL;
	struct guards g = { 0 };
	const struct ctl_opt opts[] = {
		{ "vlan", "N", NULL, &vlan_s },
		{ "mac-spoofing", "on|off", NULL, &g.spoofing },
		{ "dhcp-guard", "on|off", NULL, &g.dhcp },
		{ "router-guard", "on|off", NULL, &g.router },
		{ NULL }
	};
	JsonObject *a;
	char *pos[2];
	int n = ctl_parse_args(ctl, cmd, argc, argv, opts, pos, 2, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (!vlan_s && !g.spoofing && !g.dhcp && !g.router)
		return ctl_usage_error(cmd, "nothing to set: give --vlan N, --mac-spoofing, "
				       "--dhcp-guard or --router-guard");
	a = port_arg(pos[0], pos[1]);
	if (!vlan_arg(cmd, vlan_s, a) || !guard_args(cmd, &g, a)) {
		json_object_unref(a);
		return CTL_EXIT_USAGE;
	}
	return ctl_print_result(ctl, ctl_call(ctl, "port-set", a, NULL));
}

/*
 * A MAC address as "52:54:00:12:34:56", "52-54-00-12-34-56" or
 * "525400123456" (Hyper-V's way), into lower-case colon form in @out.
 */
static bool mac_norm(const char *s, char out[18])
{
	size_t len = strlen(s);
	char sep = len == 17 ? s[2] : 0;
	int k = 0;

	if (len != 12 && (len != 17 || (sep != ':' && sep != '-')))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (sep && i % 3 == 2) {
			if (s[i] != sep)
				return false;
			continue;
		}
		if (!g_ascii_isxdigit(s[i]))
			return false;
		out[k++] = g_ascii_tolower(s[i]);
		if (k % 3 == 2 && k < 17)
			out[k++] = ':';
	}
	out[17] = 0;
	return true;
}

static int port_provision(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	g_autoptr(GPtrArray) macs = g_ptr_array_new();
	const char *vlan_s = NULL, *owner_user = NULL, *owner_group = NULL;
	struct guards g = { 0 };
	const struct ctl_opt opts[] = {
		{ "vlan", "N", NULL, &vlan_s },
		{ "mac", "MAC", NULL, NULL, macs },
		{ "mac-spoofing", "on|off", NULL, &g.spoofing },
		{ "dhcp-guard", "on|off", NULL, &g.dhcp },
		{ "router-guard", "on|off", NULL, &g.router },
		{ "owner-user", "USER", NULL, &owner_user },
		{ "owner-group", "GROUP", NULL, &owner_group },
		{ NULL }
	};
	JsonArray *arr;
	JsonObject *a;
	char *pos[2];
	uint32_t id;
	int n = ctl_parse_args(ctl, cmd, argc, argv, opts, pos, 2, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	a = port_arg(pos[0], pos[1]);
	if (!vlan_arg(cmd, vlan_s, a) || !guard_args(cmd, &g, a))
		goto usage;
	arr = json_array_new();
	json_object_set_array_member(a, "macs", arr);
	for (unsigned i = 0; i < macs->len; i++) {
		g_auto(GStrv) list = g_strsplit(macs->pdata[i], ",", -1);

		for (char **m = list; *m; m++) {
			char norm[18];

			if (!mac_norm(*m, norm)) {
				ctl_usage_error(cmd, "invalid MAC address '%s' (expected "
						"52:54:00:12:34:56)", *m);
				goto usage;
			}
			json_array_add_string_element(arr, norm);
		}
	}
	if (owner_user) {
		if (!ctl_user_id(owner_user, &id)) {
			ctl_usage_error(cmd, "--owner-user: no user '%s'", owner_user);
			goto usage;
		}
		json_object_set_int_member(a, "owner-user", id);
	}
	if (owner_group) {
		if (!ctl_group_id(owner_group, &id)) {
			ctl_usage_error(cmd, "--owner-group: no group '%s'", owner_group);
			goto usage;
		}
		json_object_set_int_member(a, "owner-group", id);
	}
	return ctl_print_result(ctl, ctl_call(ctl, "port-provision", a, NULL));
usage:
	json_object_unref(a);
	return CTL_EXIT_USAGE;
}

static int port_unprovision(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	char *pos[2];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 2, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	return ctl_print_result(ctl, ctl_call(ctl, "port-unprovision",
					      port_arg(pos[0], pos[1]), NULL));
}

/* The Default switch first, then by switch and port name (as 'switch list'). */
static gint cmp_provisioned(gconstpointer a, gconstpointer b)
{
	JsonObject *x = *(JsonObject *const *)a;
	JsonObject *y = *(JsonObject *const *)b;
	const char *sx = ctl_get_str(x, "switch"), *sy = ctl_get_str(y, "switch");
	bool dx = !strcmp(sx, "Default"), dy = !strcmp(sy, "Default");
	int c;

	if (dx != dy)
		return dx ? -1 : 1;
	c = strcmp(sx, sy);
	return c ? c : strcmp(ctl_get_str(x, "name"), ctl_get_str(y, "name"));
}

/* "user:nobody,group:kvm", or "-" (administrators only). */
static char *owner_str(JsonObject *p)
{
	GString *s = g_string_new(NULL);

	if (json_object_has_member(p, "owner-user")) {
		g_autofree char *u = ctl_user_str(ctl_get_int(p, "owner-user"));

		g_string_append_printf(s, "user:%s", u);
	}
	if (json_object_has_member(p, "owner-group")) {
		g_autofree char *gr = ctl_group_str(ctl_get_int(p, "owner-group"));

		g_string_append_printf(s, "%sgroup:%s", s->len ? "," : "", gr);
	}
	if (!s->len)
		g_string_append(s, "-");
	return g_string_free(s, FALSE);
}

/* "mac-spoofing,dhcp-guard", or "-". */
static char *flags_str(JsonObject *p)
{
	static const char *const names[] = { "mac-spoofing", "dhcp-guard", "router-guard" };
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (json_object_get_boolean_member_with_default(p, names[i], FALSE))
			g_string_append_printf(s, "%s%s", s->len ? "," : "", names[i]);
	if (!s->len)
		g_string_append(s, "-");
	return g_string_free(s, FALSE);
}

static int port_provisioned(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	g_autoptr(GPtrArray) sorted = g_ptr_array_new();
	struct ctl_table *t;
	JsonObject *a = NULL;
	JsonArray *ports;
	JsonNode *ret;
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 0, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (n == 1) {
		a = json_object_new();
		json_object_set_string_member(a, "switch", pos[0]);
	}
	ret = ctl_call(ctl, "port-provisioned", a, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	ports = ctl_get_array(json_node_get_object(ret), "ports");
	for (unsigned i = 0; i < json_array_get_length(ports); i++)
		g_ptr_array_add(sorted, json_array_get_object_element(ports, i));
	g_ptr_array_sort(sorted, cmp_provisioned);
	t = ctl_table_new("lllllll", "SWITCH", "PORT", "VLAN", "MACS", "FLAGS", "OWNER",
			  "ATTACHED");
	for (unsigned i = 0; i < sorted->len; i++) {
		JsonObject *p = sorted->pdata[i];
		g_autofree char *macs = macs_str(p, ",");
		g_autofree char *flags = flags_str(p);
		g_autofree char *owner = owner_str(p);

		ctl_table_cell(t, "%s", ctl_get_str(p, "switch"));
		ctl_table_cell(t, "%s", ctl_get_str(p, "name"));
		ctl_table_cell(t, "%s", ctl_vlan_str(ctl_get_int(p, "vlan")));
		ctl_table_cell(t, "%s", macs);
		ctl_table_cell(t, "%s", flags);
		ctl_table_cell(t, "%s", owner);
		ctl_table_cell(t, "%s",
			       json_object_get_boolean_member_with_default(p, "attached", FALSE) ?
			       "yes" : "no");
	}
	ctl_table_print(t);
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

#define GUARD_OPTS_HELP \
	"  --mac-spoofing on|off  on: the port may send from any unicast MAC; off\n" \
	"                         (the default): only from its own, other frames are\n" \
	"                         mac-spoofing drops\n" \
	"  --dhcp-guard on|off    on: DHCP server messages from the port are dropped\n" \
	"  --router-guard on|off  on: router advertisements and redirects from the\n" \
	"                         port are dropped\n"

static const struct ctl_cmd port_cmds[] = {
	{ "list", "[SWITCH]", "list ports with their counters",
	  port_list,
	  "DROPS is the sum over all reasons; 'port show' and --json give each reason.\n"
	  "rx counts frames the switch received from the port, tx frames it delivered.\n"
	  "A port client (see 'vswitchctl whoami') sees only its own process's ports.\n" },
	{ "show", "SWITCH PORT", "show a port's settings and counters",
	  port_show,
	  "macs are the addresses the port may send from (without mac-spoofing);\n"
	  "provisioned says its settings come from an administrator (port provision,\n"
	  "port set); client is the process that attached it.  wakeups counts the\n"
	  "times its doorbell woke the switch, muted the seconds it rang too often\n"
	  "and was only polled.  Drop reasons: ring-full (counted on the egress\n"
	  "port), runt, vlan-violation, bad-source, hairpin, bad-offload,\n"
	  "mac-spoofing, dhcp-guard, router-guard, over-budget (on the ingress port).\n" },
	{ "set", "SWITCH PORT [--vlan N] [--mac-spoofing on|off] [--dhcp-guard on|off] "
	  "[--router-guard on|off]",
	  "set a port's VLAN and guards", port_set,
	  "  --vlan N               a VLAN ID 1-4094, or 0, 'none' or 'untagged' for an\n"
	  "                         untagged port\n"
	  GUARD_OPTS_HELP
	  "What is not given stays as it is.  It applies to the next frame, and\n"
	  "persists as the port's provisioned entry (created if there is none): the\n"
	  "port gets it back when its client attaches again, even after vswitchd\n"
	  "restarts.  The port may be attached or only provisioned.\n" },
	{ "provision", "SWITCH PORT [--vlan N] [--mac MAC]... [--mac-spoofing on|off] "
	  "[--dhcp-guard on|off] [--router-guard on|off] [--owner-user USER] "
	  "[--owner-group GROUP]",
	  "set up a port ahead of time", port_provision,
	  "A client that attaches a port of this name on SWITCH gets exactly these\n"
	  "settings, whatever it asks for; only the owner may attach it (and\n"
	  "administrators).  Provisioning a port again replaces all its settings.\n"
	  "  --vlan N               its access VLAN (default untagged)\n"
	  "  --mac MAC              a MAC address it may send from; repeat it, or give\n"
	  "                         several separated by commas (at most 8).  Without\n"
	  "                         it, the MAC its client declares\n"
	  GUARD_OPTS_HELP
	  "  --owner-user USER      the user (name or uid) whose client may attach it\n"
	  "  --owner-group GROUP    the group (name or gid) whose members may attach it\n"
	  "Without an owner, only administrators may attach it.  A live port of that\n"
	  "name takes the new settings at once (or is reset if its client may not\n"
	  "have it).\n" },
	{ "unprovision", "SWITCH PORT", "forget a provisioned port", port_unprovision,
	  "A port attached under that name stays attached until its client detaches.\n" },
	{ "provisioned", "[SWITCH]", "list provisioned ports", port_provisioned,
	  "FLAGS lists what is on of mac-spoofing, dhcp-guard and router-guard.\n"
	  "OWNER is user:NAME and/or group:NAME, or - when only administrators may\n"
	  "attach the port.  ATTACHED says whether a client has it now.\n" },
	{ NULL }
};

const struct ctl_group ctl_group_port = { "port", port_cmds, false };
