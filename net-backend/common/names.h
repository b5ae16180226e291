/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * names.h - the one rule for switch and port names, shared by all parts.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#ifndef VSWITCH_NAMES_H
#define VSWITCH_NAMES_H

#include <stdbool.h>
#include <string.h>

#include "vswitch/vswitch.h"

/**
 * vsw_name_valid() - true if @s is a valid switch or port name:
 * 1..VSW_NAME_MAX characters of [A-Za-z0-9._:@-], not starting with '-'
 * or '.' (so a name never looks like an option or a hidden file).
 */
static inline bool vsw_name_valid(const char *s)
{
	size_t n;

	if (!s || !s[0] || s[0] == '-' || s[0] == '.')
		return false;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (n >= VSW_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == ':' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

/* Longest live-migration token (port-migrate-token, port-takeover). */
#define VSW_MOVE_TOKEN_MAX	64

/**
 * vsw_move_token_valid() - true if @t is a migration token: 16 to
 * VSW_MOVE_TOKEN_MAX lowercase hex digits, or "" (none).
 */
static inline bool vsw_move_token_valid(const char *t)
{
	size_t n = strlen(t);

	return n == 0 || (n >= 16 && n <= VSW_MOVE_TOKEN_MAX &&
			  strspn(t, "0123456789abcdef") == n);
}

#endif /* VSWITCH_NAMES_H */
