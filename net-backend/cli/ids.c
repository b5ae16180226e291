// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ids.c - users and groups for vswitchctl: names or numbers on the command
 * line, numbers in the protocol, names again in what it prints.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The daemon speaks uid and gid numbers only: it names no user, so its
 * answers do not depend on its own view of the user database.  Names are
 * resolved here, in the administrator's process, with getpwnam/getgrnam.
 */
#include <grp.h>
#include <pwd.h>

#include "vswitchctl.h"

/* Digits only, below 2^32 - 1 ((uid_t)-1 means "no user"). */
static bool parse_id(const char *s, uint32_t *out)
{
	guint64 v;

	if (!g_ascii_isdigit(s[0]) ||
	    !g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT32 - 1, &v, NULL))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool ctl_user_id(const char *s, uint32_t *out)
{
	struct passwd *pw;

	if (!*s)
		return false;
	if (g_ascii_isdigit(s[0]))
		return parse_id(s, out);
	pw = getpwnam(s);
	if (!pw)
		return false;
	*out = (uint32_t)pw->pw_uid;
	return true;
}

bool ctl_group_id(const char *s, uint32_t *out)
{
	struct group *gr;

	if (!*s)
		return false;
	if (g_ascii_isdigit(s[0]))
		return parse_id(s, out);
	gr = getgrnam(s);
	if (!gr)
		return false;
	*out = (uint32_t)gr->gr_gid;
	return true;
}

char *ctl_user_str(int64_t uid)
{
	struct passwd *pw = uid >= 0 && uid < G_MAXUINT32 ? getpwuid((uid_t)uid) : NULL;

	return pw ? g_strdup(pw->pw_name) : g_strdup_printf("%" G_GINT64_FORMAT, uid);
}

char *ctl_group_str(int64_t gid)
{
	struct group *gr = gid >= 0 && gid < G_MAXUINT32 ? getgrgid((gid_t)gid) : NULL;

	return gr ? g_strdup(gr->gr_name) : g_strdup_printf("%" G_GINT64_FORMAT, gid);
}
