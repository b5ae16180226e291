/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json-member.h - one object member with its value, for the JsonBuilders
 * of vswitchd's replies and of the NAT helper's messages.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_JSON_MEMBER_H
#define VSWITCH_JSON_MEMBER_H

#include <stdbool.h>

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

#endif /* VSWITCH_JSON_MEMBER_H */
