// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * switch.c - vswitchctl switch: list, add, remove, rename, show.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdio.h>

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

static int switch_add(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 1, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	return ctl_print_result(ctl, ctl_call(ctl, "switch-add", name_arg(pos[0]), NULL));
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
	if (json_array_get_length(ports)) {
		putchar('\n');
		ctl_port_table(ports, false);
	}
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

static const struct ctl_cmd switch_cmds[] = {
	{ "list", NULL, "list switches", switch_list },
	{ "add", "NAME", "create a private switch", switch_add },
	{ "remove", "NAME [--force]", "remove a switch",
	  switch_remove,
	  "Without --force, a switch with ports attached is not removed.  With it,\n"
	  "its ports are reset: their clients (QEMU) see the connection close.\n"
	  "The Default switch cannot be removed.\n" },
	{ "rename", "NAME NEW-NAME", "rename a switch", switch_rename,
	  "Ports stay attached; the VLANs set on them follow the switch.\n" },
	{ "show", "NAME", "show a switch and its ports", switch_show },
	{ NULL }
};

const struct ctl_group ctl_group_switch = { "switch", switch_cmds, false };
