// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - the switch configuration that survives restarts (a GKeyFile).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * <state-dir>/vswitchd.conf holds what an administrator set up: switches
 * and the VLANs set at run time on named ports.  Ports themselves are
 * runtime state owned by their clients, which re-attach by themselves.
 *
 *   [switch:lab]
 *   type=private
 *
 *   [port:lab/vm1.net0]
 *   vlan=20
 *
 * The file is untrusted input: every group, key and value is checked, and
 * a file with anything unknown or invalid stops the daemon with a message
 * naming the group and the key, rather than being silently rewritten
 * (which would lose what it held).  Saving writes a new file and renames
 * it over the old one, so a crash never leaves half a file.
 */
#include <errno.h>
#include <string.h>

#include "names.h"
#include "vswitchd.h"

#define CONF_HEADER \
	" vswitchd state, written by vswitchd: edit it only while vswitchd is stopped."

static bool bad(GError **err, const char *path, const char *group,
		const char *what)
{
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: [%s]: %s", path,
		    group, what);
	return false;
}

static bool only_keys(GKeyFile *kf, const char *path, const char *group,
		      const char *const *allowed, GError **err)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		if (!g_strv_contains(allowed, *k)) {
			g_autofree char *msg = g_strdup_printf("unknown key '%s'", *k);

			return bad(err, path, group, msg);
		}
	}
	return true;
}

static bool load_switch(struct vswd *d, GKeyFile *kf, const char *group,
			GError **err)
{
	static const char *const keys[] = { "type", NULL };
	const char *name = group + strlen("switch:");
	g_autofree char *type = NULL;

	if (!only_keys(kf, d->conf_path, group, keys, err))
		return false;
	if (g_key_file_has_key(kf, group, "type", NULL)) {
		/* NULL here means a value that is not valid UTF-8. */
		type = g_key_file_get_string(kf, group, "type", NULL);
		if (!type || strcmp(type, "private"))
			return bad(err, d->conf_path, group, "type must be 'private'");
	}
	if (!vsw_name_valid(name) || !g_ascii_strcasecmp(name, VSWD_DEFAULT_SWITCH))
		return bad(err, d->conf_path, group, "invalid switch name");
	if (g_hash_table_contains(d->switches, name))
		return bad(err, d->conf_path, group, "switch listed twice");
	return vswd_switch_add(d, name, err) != NULL;
}

static bool load_port(struct vswd *d, GKeyFile *kf, const char *group,
		      GError **err)
{
	static const char *const keys[] = { "vlan", NULL };
	const char *key = group + strlen("port:");
	const char *slash = strchr(key, '/');
	g_autofree char *sw = NULL;
	g_autoptr(GError) e = NULL;
	int vlan;

	if (!only_keys(kf, d->conf_path, group, keys, err))
		return false;
	if (!slash)
		return bad(err, d->conf_path, group, "expected [port:SWITCH/PORT]");
	sw = g_strndup(key, (gsize)(slash - key));
	if (!vsw_name_valid(sw) || !vsw_name_valid(slash + 1))
		return bad(err, d->conf_path, group, "invalid switch or port name");
	vlan = g_key_file_get_integer(kf, group, "vlan", &e);
	if (e || vlan < 0 || vlan > VSW_VLAN_MAX)
		return bad(err, d->conf_path, group, "vlan must be 0..4094");
	g_hash_table_insert(d->vlan_overrides, g_strdup(key), GINT_TO_POINTER(vlan + 1));
	return true;
}

static bool load(struct vswd *d, GKeyFile *kf, GError **err)
{
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_file(kf, d->conf_path, G_KEY_FILE_KEEP_COMMENTS, &e)) {
		if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: %s",
			    d->conf_path, e->message);
		return false;
	}
	groups = g_key_file_get_groups(kf, NULL);
	/* Switches first, so ports may name them in any order. */
	for (char **g = groups; *g; g++) {
		if (g_str_has_prefix(*g, "switch:")) {
			if (!load_switch(d, kf, *g, err))
				return false;
		} else if (!g_str_has_prefix(*g, "port:") &&
			   /* NAT groups: vswd_nat_config_load() below */
			   strcmp(*g, "nat") && !g_str_has_prefix(*g, "nat-forward:")) {
			return bad(err, d->conf_path, *g, "unknown section");
		}
	}
	for (char **g = groups; *g; g++) {
		if (g_str_has_prefix(*g, "port:") && !load_port(d, kf, *g, err))
			return false;
	}
	for (char **g = groups; *g; g++) {
		if (g_str_has_prefix(*g, "port:")) {
			g_autofree char *sw = g_strndup(*g + 5, strcspn(*g + 5, "/"));

			if (!g_hash_table_contains(d->switches, sw) &&
			    g_ascii_strcasecmp(sw, VSWD_DEFAULT_SWITCH))
				return bad(err, d->conf_path, *g, "no such switch");
		}
	}
	/* The Default switch's NAT: [nat], [nat-forward:...] (nat.c). */
	return vswd_nat_config_load(d, kf, err);
}

bool vswd_config_load(struct vswd *d, GError **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	bool ok;

	d->loading = true;
	ok = load(d, kf, err);
	d->loading = false;
	return ok;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool vswd_config_save(struct vswd *d, GError **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GError) e = NULL;
	g_autofree char *data = NULL;
	GHashTableIter it;
	gpointer k, v;
	gsize len;

	/* A half-loaded state must never overwrite the file it comes from. */
	if (d->loading)
		return true;
	/* Sorted, so the file does not churn between saves. */
	g_hash_table_iter_init(&it, d->switches);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (!((struct vswd_switch *)v)->is_default)
			g_ptr_array_add(names, k);
	g_ptr_array_sort(names, cmp_str);
	for (unsigned i = 0; i < names->len; i++) {
		g_autofree char *group = g_strconcat("switch:", names->pdata[i], NULL);

		g_key_file_set_string(kf, group, "type", "private");
	}
	g_ptr_array_set_size(names, 0);
	g_hash_table_iter_init(&it, d->vlan_overrides);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(names, k);
	g_ptr_array_sort(names, cmp_str);
	for (unsigned i = 0; i < names->len; i++) {
		g_autofree char *group = g_strconcat("port:", names->pdata[i], NULL);

		g_key_file_set_integer(kf, group, "vlan",
				       GPOINTER_TO_INT(g_hash_table_lookup(d->vlan_overrides,
									   names->pdata[i])) - 1);
	}
	/* The Default switch's NAT: [nat], [nat-forward:...] (nat.c). */
	vswd_nat_config_save(d, kf);
	g_key_file_set_comment(kf, NULL, NULL, CONF_HEADER, NULL);
	data = g_key_file_to_data(kf, &len, NULL);
	if (!g_file_set_contents_full(d->conf_path, data, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &e)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
			    "cannot save the configuration to %s: %s",
			    d->conf_path, e->message);
		return false;
	}
	return true;
}
