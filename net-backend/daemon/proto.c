// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proto.c - the control protocol's parser and reply builders.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <string.h>

#include "vswitch/vswitch.h"
#include "json-member.h"
#include "model.h"
#include "proto.h"

static bool fail(GError **err, const char *msg)
{
	g_set_error_literal(err, VSWD_ERROR, VSWD_ERR_PROTOCOL, msg);
	return false;
}

bool vswd_request_parse(const char *line, size_t len, struct vswd_request *req,
			GError **err)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *o;
	JsonNode *n;
	GList *members;

	memset(req, 0, sizeof(*req));
	if (len > VSWD_LINE_MAX)
		return fail(err, "request longer than 65536 bytes");
	if (memchr(line, '\0', len))
		return fail(err, "request contains a NUL byte");
	if (!g_utf8_validate(line, (gssize)len, NULL))
		return fail(err, "request is not valid UTF-8");
	if (vsw_json_depth(line, len) > VSWD_DEPTH_MAX)
		return fail(err, "request nests deeper than 16 levels");
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, line, (gssize)len, NULL))
		return fail(err, "request is not valid JSON");
	n = json_parser_get_root(parser);
	if (!n || !JSON_NODE_HOLDS_OBJECT(n))
		return fail(err, "request is not a JSON object");
	req->root = json_node_ref(n);
	o = json_node_get_object(n);
	if (json_object_has_member(o, "id"))
		req->id = json_object_get_member(o, "id");
	members = json_object_get_members(o);
	for (GList *l = members; l; l = l->next) {
		const char *m = l->data;

		if (strcmp(m, "execute") && strcmp(m, "arguments") && strcmp(m, "id")) {
			g_list_free(members);
			g_set_error(err, VSWD_ERROR, VSWD_ERR_PROTOCOL,
				    "unknown member '%.64s' in request", m);
			return false;
		}
	}
	g_list_free(members);
	n = json_object_get_member(o, "execute");
	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return fail(err, "request has no 'execute' string");
	req->execute = json_node_get_string(n);
	n = json_object_get_member(o, "arguments");
	if (n && !JSON_NODE_HOLDS_OBJECT(n))
		return fail(err, "'arguments' is not an object");
	if (n) {
		req->args = json_object_ref(json_node_get_object(n));
	} else {
		req->args = json_object_new();
	}
	return true;
}

void vswd_request_clear(struct vswd_request *req)
{
	if (req->args)
		json_object_unref(req->args);
	if (req->root)
		json_node_unref(req->root);
	memset(req, 0, sizeof(*req));
}

static char *finish(JsonBuilder *b)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *text = json_to_string(root, FALSE);

	return g_strconcat(text, "\n", NULL);
}

/* End a reply: the request's id, if it had one, then the line. */
static char *finish_reply(JsonBuilder *b, JsonNode *id)
{
	if (id) {
		json_builder_set_member_name(b, "id");
		json_builder_add_value(b, json_node_copy(id));
	}
	json_builder_end_object(b);
	return finish(b);
}

char *vswd_reply_ok(JsonNode *ret, JsonNode *id)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "return");
	if (ret) {
		json_builder_add_value(b, json_node_copy(ret));
	} else {
		json_builder_begin_object(b);
		json_builder_end_object(b);
	}
	return finish_reply(b, id);
}

char *vswd_reply_error(const GError *e, JsonNode *id)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	int code = e->domain == VSWD_ERROR ? e->code : VSWD_ERR_GENERIC;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "error");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "class");
	json_builder_add_string_value(b, vswd_error_class(code));
	json_builder_set_member_name(b, "desc");
	json_builder_add_string_value(b, e->message);
	json_builder_end_object(b);
	return finish_reply(b, id);
}

char *vswd_event_line(const char *name, JsonNode *data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "event");
	json_builder_add_string_value(b, name);
	json_builder_set_member_name(b, "data");
	json_builder_add_value(b, data);
	json_builder_end_object(b);
	return finish(b);
}

JsonNode *vswd_version_json(void)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, VSW_VERSION_STRING);
	json_builder_set_member_name(b, "protocol");
	json_builder_add_int_value(b, VSW_PROTOCOL_VERSION);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

char *vswd_greeting(void)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "vswitch");
	json_builder_add_value(b, vswd_version_json());
	json_builder_end_object(b);
	return finish(b);
}

bool vswd_args_check(JsonObject *args, const char *cmd,
		     const char *const *allowed, GError **err)
{
	GList *members = json_object_get_members(args);
	bool ok = true;

	for (GList *l = members; l && ok; l = l->next) {
		const char *m = l->data;
		bool known = false;

		for (const char *const *a = allowed; *a; a++)
			known = known || !strcmp(*a, m);
		if (!known) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "'%s' takes no argument '%.64s'", cmd, m);
			ok = false;
		}
	}
	g_list_free(members);
	return ok;
}

static JsonNode *scalar(JsonObject *args, const char *name, GType type)
{
	JsonNode *n = json_object_get_member(args, name);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != type)
		return NULL;
	return n;
}

const char *vswd_arg_string(JsonObject *args, const char *name, bool required,
			    GError **err)
{
	JsonNode *n;

	if (!json_object_has_member(args, name)) {
		if (required)
			g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
				    "argument '%s' is required", name);
		return NULL;
	}
	n = scalar(args, name, G_TYPE_STRING);
	if (!n) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "argument '%s' must be a string", name);
		return NULL;
	}
	return json_node_get_string(n);
}

bool vswd_arg_int(JsonObject *args, const char *name, int64_t min, int64_t max,
		  bool required, int64_t *val, GError **err)
{
	JsonNode *n;
	int64_t v;

	if (!json_object_has_member(args, name)) {
		if (!required)
			return true;
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "argument '%s' is required", name);
		return false;
	}
	n = scalar(args, name, G_TYPE_INT64);
	if (!n) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "argument '%s' must be an integer", name);
		return false;
	}
	v = json_node_get_int(n);
	if (v < min || v > max) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "argument '%s' is %" G_GINT64_FORMAT ", outside %"
			    G_GINT64_FORMAT "..%" G_GINT64_FORMAT, name, v, min, max);
		return false;
	}
	*val = v;
	return true;
}

bool vswd_arg_bool(JsonObject *args, const char *name, bool *val, GError **err)
{
	JsonNode *n;

	if (!json_object_has_member(args, name))
		return true;
	n = scalar(args, name, G_TYPE_BOOLEAN);
	if (!n) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "argument '%s' must be true or false", name);
		return false;
	}
	*val = json_node_get_boolean(n);
	return true;
}
