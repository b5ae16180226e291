// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * version.c - vswitchctl version: the versions of vswitchctl and vswitchd.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdio.h>

#include "vswitch/vswitch.h"
#include "vswitchctl.h"

static int version(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) out = NULL;
	JsonObject *d;
	JsonNode *ret;
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, NULL, 0, 0);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (!ctl->json)
		printf("vswitchctl %s (protocol %d)\n", VSW_VERSION_STRING, VSW_PROTOCOL_VERSION);
	ret = ctl_call(ctl, "version", NULL, NULL);
	if (!ret)
		return CTL_EXIT_FAIL;
	d = json_node_get_object(ret);
	if (!ctl->json) {
		printf("vswitchd %s (protocol %" G_GINT64_FORMAT ")\n", ctl_get_str(d, "version"),
		       ctl_get_int(d, "protocol"));
		json_node_unref(ret);
		return CTL_EXIT_OK;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "client");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, VSW_VERSION_STRING);
	json_builder_set_member_name(b, "protocol");
	json_builder_add_int_value(b, VSW_PROTOCOL_VERSION);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "daemon");
	json_builder_add_value(b, ret);
	json_builder_end_object(b);
	out = json_builder_get_root(b);
	ctl_print_json(out);
	return CTL_EXIT_OK;
}

static const struct ctl_cmd version_cmds[] = {
	{ NULL, NULL, "show the versions of client and daemon", version,
	  "With --json: {\"client\": {\"version\", \"protocol\"}, \"daemon\": {...}}.\n" },
	{ NULL }
};

const struct ctl_group ctl_group_version = { "version", version_cmds, false };
