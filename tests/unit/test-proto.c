// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-proto.c - unit tests of the control protocol parser and accessors.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <glib.h>
#include <string.h>

#include "proto.h"
#include "vswitchd.h"

static bool parse(const char *line, struct vswd_request *req, GError **err)
{
	return vswd_request_parse(line, strlen(line), req, err);
}

static void test_good(void)
{
	struct vswd_request req;
	g_autoptr(GError) err = NULL;

	g_assert_true(parse("{\"execute\":\"switch-add\",\"arguments\":{\"name\":\"lab\"},\"id\":7}",
			    &req, &err));
	g_assert_cmpstr(req.execute, ==, "switch-add");
	g_assert_cmpstr(vswd_arg_string(req.args, "name", true, &err), ==, "lab");
	g_assert_no_error(err);
	g_assert_nonnull(req.id);
	g_assert_cmpint(json_node_get_int(req.id), ==, 7);
	vswd_request_clear(&req);

	/* No arguments: an empty object. */
	g_assert_true(parse("{\"execute\":\"version\"}", &req, &err));
	g_assert_nonnull(req.args);
	g_assert_cmpuint(json_object_get_size(req.args), ==, 0);
	g_assert_null(req.id);
	vswd_request_clear(&req);
}

static void assert_refused(const char *line, size_t len)
{
	struct vswd_request req;
	g_autoptr(GError) err = NULL;

	g_assert_false(vswd_request_parse(line, len, &req, &err));
	g_assert_error(err, VSWD_ERROR, VSWD_ERR_PROTOCOL);
	vswd_request_clear(&req);
}

static void test_bad(void)
{
	g_autofree char *deep = NULL;
	g_autofree char *nested_ok = NULL;
	GString *s = g_string_new("{\"execute\":\"x\",\"arguments\":{\"a\":");
	struct vswd_request req;
	static const char with_nul[] = "{\"execute\":\"x\"}\0junk";

	assert_refused("", 0);
	assert_refused("   ", 3);
	assert_refused("nonsense", 8);
	assert_refused("[]", 2);
	assert_refused("\"string\"", 8);
	assert_refused("{}", 2);
	assert_refused("{\"execute\":null}", 16);
	assert_refused("{\"execute\":[\"x\"]}", 17);
	assert_refused("{\"execute\":\"x\",\"arguments\":5}", 29);
	assert_refused("{\"execute\":\"x\",\"extra\":5}", 25);
	assert_refused("{\"execute\":\"\xc3\x28\"}", 16);		/* bad UTF-8 */
	assert_refused(with_nul, sizeof(with_nul) - 1);
	for (int i = 0; i < 100; i++)
		g_string_append(s, "[");
	deep = g_string_free(s, FALSE);
	assert_refused(deep, strlen(deep));
	/* Brackets inside strings do not count as nesting. */
	nested_ok = g_strdup("{\"execute\":\"x\",\"arguments\":{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[\"}}");
	g_assert_true(vswd_request_parse(nested_ok, strlen(nested_ok), &req, NULL));
	vswd_request_clear(&req);
	{
		g_autofree char *big = g_malloc(VSWD_LINE_MAX + 2);

		memset(big, ' ', VSWD_LINE_MAX + 1);
		assert_refused(big, VSWD_LINE_MAX + 1);
	}
}

static void test_id_kept_on_error(void)
{
	struct vswd_request req;
	g_autoptr(GError) err = NULL;
	g_autofree char *reply = NULL;

	g_assert_false(parse("{\"execute\":1,\"id\":\"abc\"}", &req, &err));
	g_assert_nonnull(req.id);
	reply = vswd_reply_error(err, req.id);
	g_assert_nonnull(strstr(reply, "\"id\":\"abc\""));
	g_assert_nonnull(strstr(reply, "\"class\":\"ProtocolError\""));
	g_assert_true(g_str_has_suffix(reply, "}\n"));
	vswd_request_clear(&req);
}

static void test_accessors(void)
{
	struct vswd_request req;
	int64_t v = -1;
	bool b = false;

	g_assert_true(parse("{\"execute\":\"x\",\"arguments\":{\"s\":\"t\",\"i\":5,"
			    "\"b\":true,\"f\":1.5,\"n\":null}}", &req, NULL));
	{
		g_autoptr(GError) e = NULL;

		g_assert_true(vswd_arg_int(req.args, "i", 0, 10, true, &v, &e));
		g_assert_cmpint(v, ==, 5);
		g_assert_true(vswd_arg_bool(req.args, "b", &b, &e));
		g_assert_true(b);
		g_assert_true(vswd_arg_int(req.args, "absent", 0, 10, false, &v, &e));
		g_assert_cmpint(v, ==, 5);
		g_assert_null(vswd_arg_string(req.args, "absent", false, &e));
		g_assert_no_error(e);
	}
	{
		g_autoptr(GError) e = NULL;

		g_assert_false(vswd_arg_int(req.args, "i", 6, 10, true, &v, &e));
		g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
		g_assert_nonnull(strstr(e->message, "'i'"));
	}
	{
		g_autoptr(GError) e = NULL;

		g_assert_false(vswd_arg_int(req.args, "f", 0, 10, true, &v, &e));
		g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	}
	{
		g_autoptr(GError) e = NULL;

		g_assert_null(vswd_arg_string(req.args, "i", true, &e));
		g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	}
	{
		g_autoptr(GError) e = NULL;

		g_assert_false(vswd_arg_bool(req.args, "n", &b, &e));
		g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	}
	{
		g_autoptr(GError) e = NULL;

		g_assert_null(vswd_arg_string(req.args, "absent", true, &e));
		g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	}
	{
		g_autoptr(GError) e = NULL;
		const char *const allowed[] = { "s", "i", "b", "f", NULL };

		g_assert_false(vswd_args_check(req.args, "x", allowed, &e));
		g_assert_nonnull(strstr(e->message, "'n'"));
	}
	vswd_request_clear(&req);
}

static void test_replies(void)
{
	g_autofree char *g = vswd_greeting();
	g_autofree char *ok = vswd_reply_ok(NULL, NULL);
	g_autoptr(GError) e = g_error_new(VSWD_ERROR, VSWD_ERR_NOT_FOUND,
					  "switch 'x' does not exist");
	g_autofree char *er = vswd_reply_error(e, NULL);

	g_assert_cmpstr(g, ==, "{\"vswitch\":{\"version\":\"" VSW_VERSION_STRING
			"\",\"protocol\":1}}\n");
	g_assert_cmpstr(ok, ==, "{\"return\":{}}\n");
	g_assert_cmpstr(er, ==, "{\"error\":{\"class\":\"NotFound\",\"desc\":"
			"\"switch 'x' does not exist\"}}\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/proto/good", test_good);
	g_test_add_func("/proto/bad", test_bad);
	g_test_add_func("/proto/id-kept-on-error", test_id_kept_on_error);
	g_test_add_func("/proto/accessors", test_accessors);
	g_test_add_func("/proto/replies", test_replies);
	return g_test_run();
}
