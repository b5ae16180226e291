// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * whoami.c - vswitchctl whoami: who vswitchd sees on the socket, and the
 * role it gives that client.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdio.h>

#include "vswitchctl.h"

static int whoami(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	g_autofree char *user = NULL, *group = NULL;
	JsonObject *o;
	JsonNode *ret;
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, NULL, 0, 0);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	ret = ctl_call(ctl, "whoami", NULL, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	o = json_node_get_object(ret);
	user = ctl_user_str(ctl_get_int(o, "uid"));
	group = ctl_group_str(ctl_get_int(o, "gid"));
	ctl_field("uid", "%" G_GINT64_FORMAT " (%s)", ctl_get_int(o, "uid"), user);
	ctl_field("gid", "%" G_GINT64_FORMAT " (%s)", ctl_get_int(o, "gid"), group);
	ctl_field("pid", "%" G_GINT64_FORMAT, ctl_get_int(o, "pid"));
	ctl_field("role", "%s", ctl_get_str(o, "role"));
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

static const struct ctl_cmd whoami_cmds[] = {
	{ NULL, NULL, "show your uid and role in vswitchd",
	  whoami,
	  "vswitchd reads the client's uid, gid and pid from the kernel (SO_PEERCRED).\n"
	  "An administrator (root, a member of vswitchd's --admin-group, or, when\n"
	  "vswitchd runs without root, the user running it) may use every command.\n"
	  "A port client may attach ports to the switches that let it and list its\n"
	  "own process's ports; anything else is refused (PermissionDenied).\n" },
	{ NULL }
};

const struct ctl_group ctl_group_whoami = { "whoami", whoami_cmds, false };
