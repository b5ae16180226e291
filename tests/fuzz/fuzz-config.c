// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-config.c - libFuzzer harness for the state file: vswd_config_load()
 * with its [switch:], [port:], [nat] and [nat-forward:] groups.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Input: the file's bytes.  Checks, beyond "no crash": a refused file
 * carries an error; an accepted one saves to a file that loads again and
 * saves to the very same bytes (what vswitchd writes, it reads back).
 * Runs a real data path thread (switches need one); no port is created and
 * the NAT is not started, so no frame and no socket is involved.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vswitchd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vswd d;

/* Leave no temporary file behind. */
static void remove_tmp(void)
{
	unlink(d.conf_path);
	rmdir(d.cfg.state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("vswitch-fuzz-config.XXXXXX", &err);

	if (!dir)
		abort();
	d.cfg.state_dir = dir;
	d.cfg.mac_capacity = 16;
	d.cfg.mac_aging_ms = 1000;
	d.cfg.ring_size = VSW_DATA_SIZE_MIN;
	d.conf_path = g_build_filename(dir, "vswitchd.conf", NULL);
	atexit(remove_tmp);
	d.dp = vsw_dp_new(0, 0, &err);
	if (!d.dp)
		abort();
	return 0;
}

static void reset(void)
{
	GHashTableIter it;
	gpointer v;

	vswd_nat_stop(&d);
	if (d.switches) {
		g_hash_table_iter_init(&it, d.switches);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			g_hash_table_iter_steal(&it);
			vswd_switch_free(&d, v);
		}
		g_hash_table_unref(d.switches);
	}
	if (d.vlan_overrides)
		g_hash_table_unref(d.vlan_overrides);
	d.switches = g_hash_table_new(g_str_hash, g_str_equal);
	d.vlan_overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/* Load the file; Return: true if accepted (a refusal must say why). */
static bool load(void)
{
	GError *err = NULL;

	reset();
	if (!vswd_switch_add_default(&d, &err))
		abort();
	if (vswd_config_load(&d, &err)) {
		if (err)
			abort();
		return true;
	}
	if (!err)
		abort();
	g_error_free(err);
	return false;
}

static char *save(void)
{
	GError *err = NULL;
	char *text = NULL;

	if (!vswd_config_save(&d, &err) ||
	    !g_file_get_contents(d.conf_path, &text, NULL, &err))
		abort();
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *first, *second;

	if (!g_file_set_contents(d.conf_path, (const char *)data, (gssize)size, NULL))
		abort();
	if (!load())
		return 0;
	first = save();
	if (!load())
		abort();	/* vswitchd wrote a file it refuses */
	second = save();
	if (strcmp(first, second))
		abort();	/* saving is not stable */
	g_free(first);
	g_free(second);
	return 0;
}
