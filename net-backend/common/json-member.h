/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json-member.h - one object member with its value, for the JsonBuilders
 * of vswitchd's replies and of the NAT helper's messages; and how deep a
 * JSON text nests, checked before json-glib parses untrusted input.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_JSON_MEMBER_H
#define VSWITCH_JSON_MEMBER_H

#include <stdbool.h>
#include <stddef.h>

#include <json-glib/json-glib.h>

static inline void vsw_json_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static inline void vsw_json_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v);
}

static inline void vsw_json_bool(JsonBuilder *b, const char *name, bool v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, v);
}

/*
 * vsw_json_depth() - the deepest nesting of [ and { outside strings.
 * json-glib's parser recurses, so a line of 60000 '[' must be refused
 * before it gets there.
 */
static inline unsigned vsw_json_depth(const char *s, size_t len)
{
	unsigned depth = 0, max = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return max;
}

#endif /* VSWITCH_JSON_MEMBER_H */
