// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * raw.c - vswitchctl raw: send any protocol command, print the whole reply.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdio.h>

#include "vswitchctl.h"

/* Parse @text as a JSON object.  Return: it, or NULL with @err set. */
static JsonObject *parse_object(const char *text, GError **err)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	if (!json_parser_load_from_data(parser, text, -1, err))
		return NULL;
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(err, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
				    "not a JSON object");
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

static int raw(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	g_autoptr(JsonObject) req = NULL;
	g_autoptr(JsonObject) reply = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) e = NULL;
	char *pos[2];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 1, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (pos[0][0] == '{') {
		if (n > 1)
			return ctl_usage_error(cmd, "a whole request takes no ARGS-JSON");
		req = parse_object(pos[0], &e);
		if (!req)
			return ctl_usage_error(cmd, "invalid request '%s': %s", pos[0], e->message);
	} else {
		req = json_object_new();
		json_object_set_string_member(req, "execute", pos[0]);
		if (n > 1) {
			JsonObject *args = parse_object(pos[1], &e);

			if (!args)
				return ctl_usage_error(cmd, "invalid ARGS-JSON '%s': %s", pos[1],
						       e->message);
			json_object_set_object_member(req, "arguments", args);
		}
		json_object_set_int_member(req, "id", ctl->next_id++);
	}
	reply = ctl_call_request(ctl, req);
	if (!reply)
		return CTL_EXIT_FAIL;
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(node, reply);
	ctl_print_json(node);
	return json_object_has_member(reply, "error") ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static const struct ctl_cmd raw_cmds[] = {
	{ NULL, "COMMAND [ARGS-JSON]",
	  "send a protocol command, print the reply", raw,
	  "COMMAND is a command of the control protocol (docs/protocol.md) and\n"
	  "ARGS-JSON its arguments object; or give a whole request object.  The\n"
	  "reply is printed as it came, errors included (exit status 1 then).\n"
	  "\n"
	  "  vswitchctl raw switch-show '{\"name\": \"Default\"}'\n"
	  "  vswitchctl raw '{\"execute\": \"version\", \"id\": \"x\"}'\n" },
	{ NULL }
};

const struct ctl_group ctl_group_raw = { "raw", raw_cmds, false };
