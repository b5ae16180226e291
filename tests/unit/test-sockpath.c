// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-sockpath.c - which vswitchd a client finds by default
 * (vsw_default_sock_path(), docs/protocol.md).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The rule depends on the effective uid, so the non-root cases run in a
 * subprocess that, when the test runs as root, becomes nobody first (as
 * libvirt's QEMU is not root); run as a user, they need no change.  The
 * root case is skipped when the test is not root.  The errors of a failed
 * connection name what to check: a daemon not running, or a socket this
 * user may not use (not in vswitchd's --socket-group).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "vswitch/vswitch.h"

static void expect_path(const char *want)
{
	char buf[108];
	int n = vsw_default_sock_path(buf, sizeof(buf));

	g_assert_cmpint(n, ==, (int)strlen(want));
	g_assert_cmpstr(buf, ==, want);
}

/* In a subprocess: become nobody if root. */
static void become_user(void)
{
	struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw ? pw->pw_uid : 65534;
	gid_t gid = pw ? pw->pw_gid : 65534;

	if (geteuid() != 0)
		return;
	g_assert_cmpint(setgroups(0, NULL), ==, 0);
	g_assert_cmpint(setresgid(gid, gid, gid), ==, 0);
	g_assert_cmpint(setresuid(uid, uid, uid), ==, 0);
	g_assert_cmpint(geteuid(), !=, 0);
}

static void test_root(void)
{
	if (geteuid() != 0) {
		g_test_skip("needs root");
		return;
	}
	/* Root's socket whatever XDG_RUNTIME_DIR says. */
	g_setenv("XDG_RUNTIME_DIR", "/run/user/0", TRUE);
	expect_path("/run/vswitch/vswitchd.sock");
	g_unsetenv("XDG_RUNTIME_DIR");
	expect_path("/run/vswitch/vswitchd.sock");
}

static void test_user_session(void)
{
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	become_user();
	g_setenv("XDG_RUNTIME_DIR", "/run/user/1234", TRUE);
	expect_path("/run/user/1234/vswitch/vswitchd.sock");
}

static void test_user_no_session(void)
{
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	become_user();
	/* libvirt's QEMU: no XDG_RUNTIME_DIR, the system daemon's socket. */
	g_unsetenv("XDG_RUNTIME_DIR");
	expect_path(VSW_SYSTEM_SOCK_PATH);
	expect_path("/run/vswitch/vswitchd.sock");
	/* Set but empty or relative: not a runtime directory (XDG spec). */
	g_setenv("XDG_RUNTIME_DIR", "", TRUE);
	expect_path("/run/vswitch/vswitchd.sock");
	g_setenv("XDG_RUNTIME_DIR", "run/user/1234", TRUE);
	expect_path("/run/vswitch/vswitchd.sock");
}

static void test_too_long(void)
{
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	char small[16], big[200], buf[108];

	become_user();
	memset(big, 'x', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	g_setenv("XDG_RUNTIME_DIR", big, TRUE);
	g_assert_cmpint(vsw_default_sock_path(buf, sizeof(buf)), ==, -ENAMETOOLONG);
	g_unsetenv("XDG_RUNTIME_DIR");
	g_assert_cmpint(vsw_default_sock_path(small, sizeof(small)), ==, -ENAMETOOLONG);
}

/* vsw_attach() to @path must fail with @want_rc and @want in its error. */
static void expect_attach_error(const char *path, int want_rc, const char *want)
{
	struct vsw_attach_opts o = { .sock_path = path, .switch_name = "lab",
				     .timeout_ms = 2000 };
	struct vsw_port *p = NULL;
	char err[256] = "";

	g_assert_cmpint(vsw_attach(&o, &p, err, sizeof(err)), ==, want_rc);
	g_assert_null(p);
	g_assert_nonnull(strstr(err, path));
	if (!strstr(err, want))
		g_error("error '%s' does not say '%s'", err, want);
}

static void test_connect_errors(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autofree char *dir = NULL, *path = NULL;
	int fd;

	if (!g_test_subprocess()) {
		/* Made here: the subprocess may not remove it from TMPDIR. */
		dir = g_dir_make_tmp("vsw-sockpath-XXXXXX", NULL);
		g_assert_nonnull(dir);
		if (geteuid() == 0) {
			struct passwd *pw = getpwnam("nobody");

			g_assert_cmpint(chown(dir, pw ? pw->pw_uid : 65534,
					      pw ? pw->pw_gid : 65534), ==, 0);
		}
		g_setenv("VSW_SOCKPATH_DIR", dir, TRUE);
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
		path = g_build_filename(dir, "vswitchd.sock", NULL);
		unlink(path);
		rmdir(dir);
		g_test_trap_assert_passed();
		return;
	}
	/* Not root, which may connect to any socket. */
	become_user();
	path = g_build_filename(g_getenv("VSW_SOCKPATH_DIR"), "vswitchd.sock", NULL);
	expect_attach_error(path, -ENOENT, "No such file or directory (is vswitchd running?)");

	/* A listening socket without write permission for us: EACCES. */
	g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(listen(fd, 1), ==, 0);
	g_assert_cmpint(chmod(path, 0440), ==, 0);
	expect_attach_error(path, -EACCES,
			    "Permission denied (is this user in the group of vswitchd --socket-group?)");
	close(fd);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sockpath/root", test_root);
	g_test_add_func("/sockpath/user-session", test_user_session);
	g_test_add_func("/sockpath/user-no-session", test_user_no_session);
	g_test_add_func("/sockpath/too-long", test_too_long);
	g_test_add_func("/sockpath/connect-errors", test_connect_errors);
	return g_test_run();
}
