// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port.c - vswitchctl port: list, show (counters, drops by reason), set VLAN.
 *
 * Copyright (C) 2026 The vswitch authors
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

static void print_port(JsonObject *p)
{
	g_autofree char *offloads = offload_names(ctl_get_int(p, "offloads"));
	JsonNode *dn = json_object_get_member(p, "drops");
	const char *mac = ctl_get_str(p, "mac");

	ctl_field("port", "%s", ctl_get_str(p, "name"));
	ctl_field("switch", "%s", ctl_get_str(p, "switch"));
	ctl_field("kind", "%s", ctl_get_str(p, "kind"));
	ctl_field("vlan", "%s", ctl_vlan_str(ctl_get_int(p, "vlan")));
	ctl_field("mac", "%s", *mac ? mac : "-");
	ctl_field("offloads", "%s", offloads);
	ctl_field("rx", "%" G_GINT64_FORMAT " packets, %" G_GINT64_FORMAT " bytes",
		  ctl_get_int(p, "rx-packets"), ctl_get_int(p, "rx-bytes"));
	ctl_field("tx", "%" G_GINT64_FORMAT " packets, %" G_GINT64_FORMAT " bytes",
		  ctl_get_int(p, "tx-packets"), ctl_get_int(p, "tx-bytes"));
	ctl_field("resets", "%" G_GINT64_FORMAT, ctl_get_int(p, "resets"));
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

static int port_set(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	const char *vlan_s = NULL;
	const struct ctl_opt opts[] = {
		{ "vlan", "N", NULL, &vlan_s },
		{ NULL }
	};
	JsonObject *a;
	char *pos[2];
	int vlan;
	int n = ctl_parse_args(ctl, cmd, argc, argv, opts, pos, 2, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (!vlan_s)
		return ctl_usage_error(cmd, "nothing to set: give --vlan N");
	vlan = ctl_parse_vlan(vlan_s);
	if (vlan < 0)
		return ctl_usage_error(cmd, "invalid VLAN '%s': use 1-%d, or 0, 'none' or "
				       "'untagged' for an untagged port", vlan_s, VSW_VLAN_MAX);
	a = json_object_new();
	json_object_set_string_member(a, "switch", pos[0]);
	json_object_set_string_member(a, "port", pos[1]);
	json_object_set_int_member(a, "vlan", vlan);
	return ctl_print_result(ctl, ctl_call(ctl, "port-set", a, NULL));
}

static const struct ctl_cmd port_cmds[] = {
	{ "list", "[SWITCH]", "list ports with their counters",
	  port_list,
	  "DROPS is the sum over all reasons; 'port show' and --json give each reason.\n"
	  "rx counts frames the switch received from the port, tx frames it delivered.\n" },
	{ "show", "SWITCH PORT", "show a port's counters, drops by reason",
	  port_show },
	{ "set", "SWITCH PORT --vlan N", "set a port's access VLAN (1-4094, or none)", port_set,
	  "N is a VLAN ID 1-4094, or 0, 'none' or 'untagged' for an untagged port.\n"
	  "It applies to the next frame, and persists: the port gets it back when\n"
	  "its client attaches again, even after vswitchd restarts.\n" },
	{ NULL }
};

const struct ctl_group ctl_group_port = { "port", port_cmds, false };
