// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-proto.c - libFuzzer harness for the control protocol parser.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Feeds arbitrary bytes to vswd_request_parse() as one request line, then
 * runs every argument accessor on what it accepted, the way the command
 * table does.  Checks, beyond "no crash": an accepted request always has
 * a command name and an argument object; a refused one carries an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "vswitchd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "name", "switch", "port", "vlan",
					       "force", "offloads", NULL };
	struct vswd_request req;
	GError *err = NULL;

	if (!vswd_request_parse((const char *)data, size, &req, &err)) {
		if (!err)
			abort();
		g_error_free(err);
		vswd_request_clear(&req);
		return 0;
	}
	if (err || !req.execute || !req.args)
		abort();
	vswd_args_check(req.args, req.execute, allowed, &err);
	g_clear_error(&err);
	for (const char *const *a = allowed; *a; a++) {
		int64_t v = 0;
		bool b = false;

		vswd_arg_string(req.args, *a, true, &err);
		g_clear_error(&err);
		vswd_arg_int(req.args, *a, 0, 4094, true, &v, &err);
		g_clear_error(&err);
		if (v < 0 || v > 4094)
			abort();
		vswd_arg_bool(req.args, *a, &b, &err);
		g_clear_error(&err);
	}
	{
		char *ok = vswd_reply_ok(NULL, req.id);

		if (!ok || !strchr(ok, '\n'))
			abort();
		g_free(ok);
	}
	vswd_request_clear(&req);
	return 0;
}
