// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-nicstate.c - libFuzzer harness for a NIC's record
 * (STATE-DIR/nic-NIC.state), the file vswitchd reads at start-up after a
 * crash to know what a NIC had before it was bound (nicstate.c).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Input: the file's bytes.  Checks, beyond "no crash": a refused file
 * carries an error; an accepted one saves to a file that loads back and
 * shows (vswd_nic_state_to_json()) the very same way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nicstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir;

static char *shown(const struct vswd_nic_state *s)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autoptr(JsonNode) root = NULL;

	vswd_nic_state_to_json(s, b);
	root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	return json_generator_to_data(g, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *in = NULL, *out = NULL, *a = NULL, *b = NULL;
	g_autoptr(vswd_nic_state) s = NULL;
	g_autoptr(vswd_nic_state) again = NULL;
	GError *err = NULL;

	if (!dir)
		dir = g_dir_make_tmp("fuzz-nicstate-XXXXXX", NULL);
	if (!dir)
		abort();
	in = g_build_filename(dir, "in.state", NULL);
	out = g_build_filename(dir, "out.state", NULL);
	if (!g_file_set_contents(in, (const char *)data, (gssize)size, NULL))
		abort();
	s = vswd_nic_state_load(in, &err);
	g_unlink(in);
	if (!s) {
		if (!err)
			abort();
		g_clear_error(&err);
		return 0;
	}
	if (err)
		abort();
	if (!vswd_nic_state_save(s, out, &err))
		abort();
	again = vswd_nic_state_load(out, &err);
	if (!again)
		abort();
	a = shown(s);
	b = shown(again);
	if (strcmp(a, b))
		abort();
	g_unlink(out);
	return 0;
}
