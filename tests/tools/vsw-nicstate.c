// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vsw-nicstate - drive vswitchd's nicstate.c by hand or from a test: what
 * a NIC has, stripping it for a switch, handing it to a host adapter, and
 * giving it back, each step a separate process working from the state file
 * (as a restarted vswitchd would).
 *
 * Usage:
 *   vsw-nicstate capture IF FILE    check IF may be bound, record it in FILE
 *   vsw-nicstate dedicate FILE      strip the NIC for a dedicated switch
 *   vsw-nicstate share FILE HOSTIF  move its configuration to HOSTIF
 *   vsw-nicstate restore FILE       give the NIC back what FILE recorded
 *   vsw-nicstate show FILE          print what FILE recorded, as JSON
 * Exit: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "nicstate.h"

static int usage(void)
{
	fprintf(stderr, "usage: vsw-nicstate capture IF FILE | dedicate FILE | share FILE HOSTIF |\n"
			"                    restore FILE | show FILE\n");
	return 2;
}

static int failed(GError *e)
{
	fprintf(stderr, "vsw-nicstate: %s\n", e->message);
	g_error_free(e);
	return 1;
}

int main(int argc, char **argv)
{
	g_autoptr(vswd_nic_state) s = NULL;
	GError *e = NULL;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "capture") && argc == 4) {
		s = vswd_nic_capture(argv[2], &e);
		if (!s || !vswd_nic_state_save(s, argv[3], &e))
			return failed(e);
		return 0;
	}
	if (argc < 3)
		return usage();
	if (!strcmp(cmd, "share") ? argc != 4 : argc != 3)
		return usage();
	s = vswd_nic_state_load(argv[2], &e);
	if (!s)
		return failed(e);
	if (!strcmp(cmd, "dedicate")) {
		if (!vswd_nic_dedicate(s, &e))
			return failed(e);
	} else if (!strcmp(cmd, "share")) {
		if (!vswd_nic_share(s, argv[3], &e))
			return failed(e);
	} else if (!strcmp(cmd, "restore")) {
		if (!vswd_nic_restore(s, &e))
			return failed(e);
	} else if (!strcmp(cmd, "show")) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonGenerator) g = json_generator_new();
		g_autoptr(JsonNode) root = NULL;
		g_autofree char *text = NULL;

		vswd_nic_state_to_json(s, b);
		root = json_builder_get_root(b);
		json_generator_set_root(g, root);
		json_generator_set_pretty(g, TRUE);
		text = json_generator_to_data(g, NULL);
		printf("%s\n", text);
	} else {
		return usage();
	}
	return 0;
}
