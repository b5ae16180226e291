/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto.h - parse control requests and build replies (docs/protocol.md).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Everything a client sends is untrusted.  A request line is checked for
 * size, nesting depth, UTF-8, shape and argument types here, before any
 * command sees it; the accessors below refuse wrong types with an error
 * that names the argument.
 */
#ifndef VSWITCH_PROTO_H
#define VSWITCH_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#define VSWD_LINE_MAX	65536
#define VSWD_DEPTH_MAX	16

/**
 * struct vswd_request - one parsed request.
 * @execute: command name
 * @args:    its arguments (an empty object if none were given)
 * @id:      the request id to echo, or NULL
 * @root:    owns the above
 */
struct vswd_request {
	const char *execute;
	JsonObject *args;
	JsonNode *id;
	JsonNode *root;
};

/**
 * vswd_request_parse() - parse one line (without its newline).
 * Return: true with @req filled (vswd_request_clear() it), or false with
 * @err in VSWD_ERROR/VSWD_ERR_PROTOCOL.  On failure @req->id may still
 * hold the id, when one could be read, so the error reply can carry it.
 */
bool vswd_request_parse(const char *line, size_t len, struct vswd_request *req,
			GError **err);
void vswd_request_clear(struct vswd_request *req);

/** vswd_reply_ok() - "{"return": @ret, "id": @id}\n"; @ret NULL means {}. */
char *vswd_reply_ok(JsonNode *ret, JsonNode *id);
/** vswd_reply_error() - "{"error": {"class", "desc"}, "id": @id}\n". */
char *vswd_reply_error(const GError *e, JsonNode *id);
/** vswd_event_line() - "{"event": @name, "data": @data}\n". */
char *vswd_event_line(const char *name, JsonNode *data);
/** vswd_version_json() - {"version": ..., "protocol": ...} of this daemon. */
JsonNode *vswd_version_json(void);
/** vswd_greeting() - the line sent on connect. */
char *vswd_greeting(void);

/**
 * vswd_args_check() - refuse members of @args not in NULL-terminated @allowed.
 */
bool vswd_args_check(JsonObject *args, const char *cmd,
		     const char *const *allowed, GError **err);
/**
 * vswd_arg_string() - string argument @name.
 * Return: the string, or NULL: absent (no @err unless @required) or not a
 * string (@err set).
 */
const char *vswd_arg_string(JsonObject *args, const char *name, bool required,
			    GError **err);
/**
 * vswd_arg_int() - integer argument @name within [@min, @max], into @val.
 * Return: false with @err on a wrong type or range, or if absent and
 * @required; @val is left alone when absent.
 */
bool vswd_arg_int(JsonObject *args, const char *name, int64_t min, int64_t max,
		  bool required, int64_t *val, GError **err);
/** vswd_arg_bool() - boolean argument @name, like vswd_arg_int(). */
bool vswd_arg_bool(JsonObject *args, const char *name, bool *val, GError **err);

#endif /* VSWITCH_PROTO_H */
