// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store.c - files in the state directory: the configuration and the NAT's
 * DHCP leases, written atomically.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Rules:
 *   - A file is replaced whole: written to "<name>.tmp" (one fixed name,
 *     so a crash leaves at most one such file and the next save reuses
 *     it), flushed to disk, then renamed over the old one.  Readers see
 *     the old or the new file, never half of one.
 *   - At start-up, temporary files of an earlier run ("<name>.tmp", and the
 *     "<name>.XXXXXX" files of versions that used g_file_set_contents())
 *     are removed: only vswitchd writes in its state directory.
 *   - A state file that cannot be read or parsed is an error: the daemon
 *     stops and the file stays as it is (model.c says what "parsed" means).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "store.h"

#define CONF_HEADER \
	" vswitchd state, written by vswitchd: edit it only while vswitchd is stopped."

bool vswd_store_write(const char *path, const void *data, size_t len, GError **err)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	size_t off = 0;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto fail;
	return true;
fail:
	g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC, "cannot write %s: %s", path,
		    g_strerror(errno));
	unlink(tmp);
	return false;
}

/* "<base>.XXXXXX" as g_file_set_contents() names its temporary files. */
static bool old_tmp_name(const char *name, const char *base)
{
	size_t n = strlen(base);

	if (strncmp(name, base, n) || name[n] != '.' || strlen(name + n + 1) != 6)
		return false;
	for (const char *c = name + n + 1; *c; c++)
		if (!g_ascii_isalnum(*c))
			return false;
	return true;
}

void vswd_store_cleanup(const char *dir)
{
	static const char *const bases[] = { VSWD_CONF_FILE, VSWD_LEASES_FILE };
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		for (size_t i = 0; i < G_N_ELEMENTS(bases); i++) {
			g_autofree char *tmp = g_strconcat(bases[i], ".tmp", NULL);

			if (strcmp(name, tmp) && !old_tmp_name(name, bases[i]))
				continue;
			g_autofree char *path = g_build_filename(dir, name, NULL);

			if (unlink(path) == 0)
				g_message("removed %s, left by an interrupted save", path);
		}
	}
}

struct vswd_model *vswd_store_load(const char *path, const struct vswd_model_defaults *defaults,
				   GError **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
		if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return vswd_model_new(defaults);
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: %s", path, e->message);
		return NULL;
	}
	return vswd_model_from_keyfile(kf, path, defaults, err);
}

bool vswd_store_save(const char *path, const struct vswd_model *m, GError **err)
{
	g_autoptr(GKeyFile) kf = vswd_model_to_keyfile(m);
	g_autofree char *data = NULL;
	gsize len;

	g_key_file_set_comment(kf, NULL, NULL, CONF_HEADER, NULL);
	data = g_key_file_to_data(kf, &len, NULL);
	if (!vswd_store_write(path, data, len, err)) {
		g_prefix_error(err, "cannot save the configuration: ");
		return false;
	}
	return true;
}
