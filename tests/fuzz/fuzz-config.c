// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-config.c - libFuzzer harness for the state file: the model's
 * reader (vswd_model_from_keyfile()) with its [switch:], [port:], [nat]
 * and [nat-forward:] groups.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Input: the file's bytes.  Checks, beyond "no crash": a refused file
 * carries an error; an accepted one writes out to a file that reads back
 * and writes out to the very same bytes (what vswitchd writes, it reads
 * back), as root and rootless.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read @text; Return: the model, or NULL (a refusal must say why). */
static struct vswd_model *load(const char *text, size_t len, bool root)
{
	struct vswd_model_defaults defaults = { .root = root };
	g_autoptr(GKeyFile) kf = g_key_file_new();
	GError *err = NULL;
	struct vswd_model *m;

	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, NULL))
		return NULL;
	m = vswd_model_from_keyfile(kf, "fuzz.conf", &defaults, &err);
	if (!m && !err)
		abort();
	if (m && err)
		abort();
	g_clear_error(&err);
	return m;
}

static char *save(const struct vswd_model *m)
{
	g_autoptr(GKeyFile) kf = vswd_model_to_keyfile(m);

	return g_key_file_to_data(kf, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int root = 0; root < 2; root++) {
		struct vswd_model *m = load((const char *)data, size, root), *again;
		char *first, *second;

		if (!m)
			continue;
		first = save(m);
		again = load(first, strlen(first), root);
		if (!again)
			abort();	/* vswitchd wrote a file it refuses */
		second = save(again);
		if (strcmp(first, second))
			abort();	/* saving is not stable */
		g_free(first);
		g_free(second);
		vswd_model_free(m);
		vswd_model_free(again);
	}
	return 0;
}
