/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.h - files in the state directory (see store.c for the rules).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_STORE_H
#define VSWITCH_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define VSWD_CONF_FILE		"vswitchd.conf"
#define VSWD_LEASES_FILE	"nat-leases"

/**
 * vswd_store_load() - the model in the state file @path; a missing file
 * is an empty model.  Return: NULL with @err on anything wrong.
 */
struct vswd_model *vswd_store_load(const char *path, const struct vswd_model_defaults *defaults,
				   GError **err);
/** vswd_store_save() - write @m to @path atomically. */
bool vswd_store_save(const char *path, const struct vswd_model *m, GError **err);
/** vswd_store_write() - replace @path by @len bytes of @data atomically (mode 0600). */
bool vswd_store_write(const char *path, const void *data, size_t len, GError **err);
/** vswd_store_cleanup() - remove temporary files an interrupted save left in @dir. */
void vswd_store_cleanup(const char *dir);

#endif /* VSWITCH_STORE_H */
