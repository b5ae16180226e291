// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mac.c - vswitchctl mac (alias fdb): a switch's MAC learning table.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdio.h>
#include <string.h>

#include "vswitchctl.h"

/* By VLAN, then MAC (lower-case hex with colons sorts as the address). */
static gint cmp_entry(gconstpointer a, gconstpointer b)
{
	JsonObject *x = *(JsonObject *const *)a;
	JsonObject *y = *(JsonObject *const *)b;
	int64_t vx = ctl_get_int(x, "vlan"), vy = ctl_get_int(y, "vlan");

	if (vx != vy)
		return vx < vy ? -1 : 1;
	return g_ascii_strcasecmp(ctl_get_str(x, "mac"), ctl_get_str(y, "mac"));
}

static int mac_list(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	g_autoptr(GPtrArray) sorted = NULL;
	struct ctl_table *t;
	JsonObject *a, *o;
	JsonArray *entries;
	JsonNode *ret;
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 1, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	a = json_object_new();
	json_object_set_string_member(a, "switch", pos[0]);
	ret = ctl_call(ctl, "mac-table", a, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	o = json_node_get_object(ret);
	entries = ctl_get_array(o, "entries");
	sorted = g_ptr_array_new();
	for (unsigned i = 0; i < json_array_get_length(entries); i++)
		g_ptr_array_add(sorted, json_array_get_object_element(entries, i));
	g_ptr_array_sort(sorted, cmp_entry);
	t = ctl_table_new("rllr", "VLAN", "MAC", "PORT", "AGE(s)");
	for (unsigned i = 0; i < sorted->len; i++) {
		JsonObject *e = sorted->pdata[i];

		ctl_table_cell(t, "%s", ctl_vlan_str(ctl_get_int(e, "vlan")));
		ctl_table_cell(t, "%s", ctl_get_str(e, "mac"));
		ctl_table_cell(t, "%s", ctl_get_str(e, "port"));
		ctl_table_cell(t, "%" G_GINT64_FORMAT, ctl_get_int(e, "age-ms") / 1000);
	}
	ctl_table_print(t);
	printf("%u of %" G_GINT64_FORMAT " entries in use; learned %" G_GINT64_FORMAT
	       ", moved %" G_GINT64_FORMAT ", evicted %" G_GINT64_FORMAT
	       ", aged out %" G_GINT64_FORMAT "\n",
	       json_array_get_length(entries), ctl_get_int(o, "capacity"),
	       ctl_get_int(o, "learned"), ctl_get_int(o, "moved"),
	       ctl_get_int(o, "evicted"), ctl_get_int(o, "aged"));
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

#define MAC_LIST_DETAILS \
	"Entries are keyed by (VLAN, MAC) and expire after the aging time; when the\n" \
	"table is full, a new address evicts the oldest entry of the port that\n" \
	"holds the most.  The last line counts addresses learned, moved between\n" \
	"ports, evicted and aged out since the switch was created.\n"

static const struct ctl_cmd mac_cmds[] = {
	{ "list", "SWITCH", "show a switch's MAC table (fdb show)",
	  mac_list, MAC_LIST_DETAILS },
	{ "show", "SWITCH", "alias of 'mac list'", mac_list, MAC_LIST_DETAILS, true },
	{ NULL }
};

const struct ctl_group ctl_group_mac = { "mac", mac_cmds, false };

static const struct ctl_cmd fdb_cmds[] = {
	{ "show", "SWITCH", "alias of 'mac list'", mac_list, MAC_LIST_DETAILS },
	{ "list", "SWITCH", "alias of 'mac list'", mac_list, MAC_LIST_DETAILS, true },
	{ NULL }
};

const struct ctl_group ctl_group_fdb = { "fdb", fdb_cmds, true };
