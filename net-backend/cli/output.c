// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * output.c - vswitchctl's output: aligned tables, detail fields, JSON, and
 * tolerant readers of reply members.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vswitchctl.h"

struct ctl_table {
	unsigned ncols;
	char *align;
	GPtrArray *cells;	/* char *, row by row, header first */
};

struct ctl_table *ctl_table_new(const char *align, ...)
{
	struct ctl_table *t = g_new0(struct ctl_table, 1);
	va_list ap;

	t->ncols = (unsigned)strlen(align);
	t->align = g_strdup(align);
	t->cells = g_ptr_array_new_with_free_func(g_free);
	va_start(ap, align);
	for (unsigned i = 0; i < t->ncols; i++)
		g_ptr_array_add(t->cells, g_strdup(va_arg(ap, const char *)));
	va_end(ap);
	return t;
}

void ctl_table_cell(struct ctl_table *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_ptr_array_add(t->cells, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

void ctl_table_print(struct ctl_table *t)
{
	g_autofree size_t *width = g_new0(size_t, t->ncols);
	unsigned n = t->cells->len;

	for (unsigned i = 0; i < n; i++) {
		size_t w = g_utf8_strlen(t->cells->pdata[i], -1);

		width[i % t->ncols] = MAX(width[i % t->ncols], w);
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned col = i % t->ncols;
		const char *s = t->cells->pdata[i];
		bool last = col == t->ncols - 1 || i == n - 1;
		int pad = (int)(width[col] - g_utf8_strlen(s, -1));

		if (t->align[col] == 'r')
			printf("%*s%s", pad, "", s);
		else if (last)
			fputs(s, stdout);
		else
			printf("%s%*s", s, pad, "");
		fputs(last ? "\n" : "  ", stdout);
	}
	g_ptr_array_unref(t->cells);
	g_free(t->align);
	g_free(t);
}

void ctl_field(const char *key, const char *fmt, ...)
{
	g_autofree char *label = g_strconcat(key, ":", NULL);
	va_list ap;

	printf("%-14s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void ctl_print_json(JsonNode *node)
{
	g_autofree char *text = json_to_string(node, TRUE);

	puts(text);
}

int ctl_print_result(struct ctl *ctl, JsonNode *node)
{
	if (!node)
		return CTL_EXIT_FAIL;
	if (ctl->json)
		ctl_print_json(node);
	json_node_unref(node);
	return CTL_EXIT_OK;
}

static JsonNode *member_value(JsonObject *o, const char *member)
{
	JsonNode *n = o ? json_object_get_member(o, member) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) ? n : NULL;
}

int64_t ctl_get_int(JsonObject *o, const char *member)
{
	JsonNode *n = member_value(o, member);

	if (!n)
		return 0;
	switch (json_node_get_value_type(n)) {
	case G_TYPE_INT64:
		return json_node_get_int(n);
	case G_TYPE_DOUBLE:
		return (int64_t)json_node_get_double(n);
	default:
		return 0;
	}
}

const char *ctl_get_str(JsonObject *o, const char *member)
{
	JsonNode *n = member_value(o, member);

	if (!n || json_node_get_value_type(n) != G_TYPE_STRING)
		return "";
	return json_node_get_string(n);
}

JsonArray *ctl_get_array(JsonObject *o, const char *member)
{
	static JsonArray *empty;
	JsonNode *n = o ? json_object_get_member(o, member) : NULL;

	if (n && JSON_NODE_HOLDS_ARRAY(n))
		return json_node_get_array(n);
	if (!empty)
		empty = json_array_new();
	return empty;
}

const char *ctl_vlan_str(int64_t vlan)
{
	static char buf[24];

	if (vlan == 0)
		return "none";
	snprintf(buf, sizeof(buf), "%" G_GINT64_FORMAT, vlan);
	return buf;
}
