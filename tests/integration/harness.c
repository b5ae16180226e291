// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * harness.c - start vswitchd and vsw-peer processes for integration tests.
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <limits.h>

#include <glib/gstdio.h>

#include "harness.h"

#define WAIT_MS		5000	/* bound on any start-up or reply */

static char *build_dir;
static char *vswitchd_bin;
static char *peer_bin;
static char *attack_bin;
static char *ctl_bin;
static char *lib_dir;
static char *copy_dir;		/* the tools, where any user can run them */

gint64 now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

void harness_init(int *argc, char ***argv)
{
	const char *b = g_getenv("VSWITCH_BUILD_DIR");

	g_test_init(argc, argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!b)
		b = BUILD_DIR;
	build_dir = g_strdup(b);
	vswitchd_bin = g_build_filename(b, "net-backend", "daemon", "vswitchd", NULL);
	peer_bin = g_build_filename(b, "tests", "vsw-peer", NULL);
	attack_bin = g_build_filename(b, "tests", "vsw-attack", NULL);
	ctl_bin = g_build_filename(b, "net-backend", "cli", "vswitchctl", NULL);
	lib_dir = g_build_filename(b, "net-backend", "lib", NULL);
}

static void remove_copies(void)
{
	g_autofree char *cmd = NULL;

	if (!copy_dir)
		return;
	cmd = g_strdup_printf("rm -rf '%s'", copy_dir);
	if (system(cmd) != 0)
		g_printerr("cannot remove %s\n", copy_dir);
}

char *build_file(const char *rel)
{
	return g_build_filename(build_dir, rel, NULL);
}

/*
 * The client tools, where another user can run them: the build may live
 * where only root can reach (a clone under /root), so copy them, with
 * libvswitch, to a directory anyone may enter.
 */
const char *tools_for_others(void)
{
	g_autofree char *cmd = NULL;

	if (copy_dir)
		return copy_dir;
	copy_dir = g_dir_make_tmp("vsw-tools-XXXXXX", NULL);
	g_assert_nonnull(copy_dir);
	/* vsw-attack only where the test that uses it had it built. */
	cmd = g_strdup_printf("cp '%s' '%s' '%s'/libvswitch.so '%s'/libvswitch.so.0 '%s'/ && "
			      "{ [ ! -e '%s' ] || cp '%s' '%s'/; } && chmod -R a+rX '%s'",
			      peer_bin, ctl_bin, lib_dir, lib_dir, copy_dir, attack_bin,
			      attack_bin, copy_dir, copy_dir);
	g_assert_cmpint(system(cmd), ==, 0);
	atexit(remove_copies);
	return copy_dir;
}

void as_user(GPtrArray *argv, uid_t uid, gid_t group)
{
	/* Static: @argv is spawned before the next call, and nothing leaks. */
	static char env[PATH_MAX + 32], reuid[32], regid[32], groups[32];

	if (!uid)
		return;
	g_snprintf(env, sizeof(env), "LD_LIBRARY_PATH=%s", tools_for_others());
	g_snprintf(reuid, sizeof(reuid), "--reuid=%u", (unsigned)uid);
	g_snprintf(regid, sizeof(regid), "--regid=%u", (unsigned)uid);
	if (group)
		g_snprintf(groups, sizeof(groups), "--groups=%u", (unsigned)group);
	else
		g_strlcpy(groups, "--clear-groups", sizeof(groups));
	g_ptr_array_add(argv, "setpriv");
	g_ptr_array_add(argv, reuid);
	g_ptr_array_add(argv, regid);
	g_ptr_array_add(argv, groups);
	g_ptr_array_add(argv, "env");
	g_ptr_array_add(argv, env);
}

/* Wait (bounded) for @pid to exit; *@status gets its wait status. */
static bool wait_exit(GPid pid, int ms, int *status)
{
	gint64 end = now_ms() + ms;
	int st = 0;

	while (now_ms() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD)) {
			if (status)
				*status = r == pid ? st : 0;
			return true;
		}
		g_usleep(5000);
	}
	return false;
}

void die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static bool sock_ready(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void spawn_daemon(struct daemon *d, const char *const *extra)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) err = NULL;
	gint64 end;
	int logfd;

	g_ptr_array_add(argv, vswitchd_bin);
	g_ptr_array_add(argv, "--socket");
	g_ptr_array_add(argv, d->sock);
	g_ptr_array_add(argv, "--state-dir");
	g_ptr_array_add(argv, d->state);
	for (; extra && *extra; extra++)
		g_ptr_array_add(argv, (char *)*extra);
	g_ptr_array_add(argv, NULL);
	logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	g_assert_cmpint(logfd, >=, 0);
	g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL,
					     G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
					     &d->pid, -1, logfd, logfd, &err));
	close(logfd);
	end = now_ms() + WAIT_MS;
	while (!sock_ready(d->sock)) {
		if (now_ms() > end || waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			g_autofree char *log = NULL;

			g_file_get_contents(d->log, &log, NULL, NULL);
			g_error("vswitchd did not start: %s", log ? log : "");
		}
		g_usleep(5000);
	}
}

void daemon_start(struct daemon *d, const char *const *extra)
{
	memset(d, 0, sizeof(*d));
	d->dir = g_dir_make_tmp("vsw-test-XXXXXX", NULL);
	g_assert_nonnull(d->dir);
	d->sock = g_build_filename(d->dir, "vswitchd.sock", NULL);
	d->state = g_build_filename(d->dir, "state", NULL);
	d->log = g_build_filename(d->dir, "vswitchd.log", NULL);
	spawn_daemon(d, extra);
}

void daemon_stop(struct daemon *d)
{
	int status = 0;

	if (!d->pid)
		return;
	kill(d->pid, SIGTERM);
	if (!wait_exit(d->pid, WAIT_MS, &status)) {
		kill(d->pid, SIGKILL);
		wait_exit(d->pid, WAIT_MS, NULL);
		g_error("vswitchd did not stop on SIGTERM (log: %s)", d->log);
	}
	d->pid = 0;
	/* A clean exit also means no sanitizer report (ASan/LSan exit non-zero). */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_autofree char *log = NULL;

		g_file_get_contents(d->log, &log, NULL, NULL);
		g_error("vswitchd exited with status 0x%x: %s", status, log ? log : "");
	}
}

void daemon_restart(struct daemon *d, const char *const *extra)
{
	daemon_stop(d);
	spawn_daemon(d, extra);
}

bool need_root(void)
{
	g_autofree char *setpriv = g_find_program_in_path("setpriv");

	if (geteuid() != 0 || !setpriv) {
		g_test_skip("needs root and setpriv to run a client as another user");
		return false;
	}
	return true;
}

void add_switch(struct daemon *d, const char *name)
{
	g_autofree char *args = g_strdup_printf("{\"name\":\"%s\"}", name);

	json_node_unref(ctl_ok(d, "switch-add", args));
}

void expect_frame(struct peer *p, const char *hex)
{
	g_autofree char *got = peer_recv(p, ARRIVE_MS);

	g_assert_nonnull(got);
	g_assert_cmpstr(got, ==, hex);
}

void expect_nothing(struct peer *p)
{
	g_autofree char *got = peer_recv(p, QUIET_MS);

	g_assert_null(got);
}

void wait_counter(struct daemon *d, const char *sw, const char *port,
		  const char *counter, gint64 want, int ms)
{
	gint64 end = now_ms() + ms, v;

	while ((v = port_counter(d, sw, port, counter)) != want && now_ms() < end)
		g_usleep(10000);
	g_assert_cmpint(v, ==, want);
}

bool daemon_alive(struct daemon *d)
{
	return d->pid && waitpid(d->pid, NULL, WNOHANG) == 0;
}

void daemon_cleanup(struct daemon *d)
{
	g_autofree char *cmd = NULL;

	daemon_stop(d);
	if (g_getenv("VSWITCH_KEEP_LOGS")) {
		g_test_message("logs kept in %s", d->dir);
	} else {
		g_unlink(d->log);
		g_unlink(d->sock);
		cmd = g_build_filename(d->state, "vswitchd.conf", NULL);
		g_unlink(cmd);
		g_rmdir(d->state);
		g_rmdir(d->dir);
	}
	g_free(d->dir);
	g_free(d->sock);
	g_free(d->state);
	g_free(d->log);
	memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------------------ */

static int ctl_connect(struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sa.sun_path, d->sock, sizeof(sa.sun_path));
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	return fd;
}

/* Read one line (bounded); NULL on EOF or timeout. */
static char *read_line(int fd, GString *buf, int ms)
{
	gint64 end = now_ms() + ms;

	for (;;) {
		char *nl = memchr(buf->str, '\n', buf->len);
		struct pollfd pfd = { fd, POLLIN, 0 };
		char tmp[65536];
		ssize_t n;
		int left;

		if (nl) {
			char *line = g_strndup(buf->str, (gsize)(nl - buf->str));

			g_string_erase(buf, 0, nl - buf->str + 1);
			return line;
		}
		left = (int)(end - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return NULL;
		n = read(fd, tmp, sizeof(tmp));
		if (n <= 0)
			return NULL;
		g_string_append_len(buf, tmp, n);
	}
}

char *ctl_raw(struct daemon *d, const char *bytes, size_t len)
{
	g_autoptr(GString) buf = g_string_new(NULL);
	g_autofree char *greeting = NULL;
	int fd = ctl_connect(d);
	size_t off = 0;
	char *line;

	greeting = read_line(fd, buf, WAIT_MS);
	g_assert_nonnull(greeting);
	while (off < len) {
		ssize_t n = send(fd, bytes + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	line = read_line(fd, buf, WAIT_MS);
	close(fd);
	return line;
}

JsonNode *ctl(struct daemon *d, const char *execute, const char *args_json)
{
	g_autofree char *req = g_strdup_printf("{\"execute\":\"%s\",\"arguments\":%s}\n",
					       execute, args_json ? args_json : "{}");
	g_autofree char *line = ctl_raw(d, req, strlen(req));
	JsonNode *n;

	g_assert_nonnull(line);
	n = json_from_string(line, NULL);
	g_assert_nonnull(n);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(n));
	return n;
}

JsonNode *ctl_ok(struct daemon *d, const char *execute, const char *args_json)
{
	g_autoptr(JsonNode) n = ctl(d, execute, args_json);
	JsonObject *o = json_node_get_object(n);

	if (!json_object_has_member(o, "return")) {
		g_autofree char *s = json_to_string(n, FALSE);

		g_error("%s %s failed: %s", execute, args_json ? args_json : "", s);
	}
	return json_node_copy(json_object_get_member(o, "return"));
}

char *ctl_err(struct daemon *d, const char *execute, const char *args_json,
	      char **desc)
{
	g_autoptr(JsonNode) n = ctl(d, execute, args_json);
	JsonObject *o = json_node_get_object(n);
	JsonObject *e;

	if (!json_object_has_member(o, "error")) {
		g_autofree char *s = json_to_string(n, FALSE);

		g_error("%s %s should have failed: %s", execute, args_json ? args_json : "", s);
	}
	e = json_object_get_object_member(o, "error");
	if (desc)
		*desc = g_strdup(json_object_get_string_member(e, "desc"));
	return g_strdup(json_object_get_string_member(e, "class"));
}

gint64 port_counter(struct daemon *d, const char *sw, const char *port,
		    const char *counter)
{
	g_autofree char *args = g_strdup_printf("{\"switch\":\"%s\"}", sw);
	g_autoptr(JsonNode) r = ctl_ok(d, "port-list", args);
	JsonArray *ports = json_object_get_array_member(json_node_get_object(r), "ports");

	for (guint i = 0; i < json_array_get_length(ports); i++) {
		JsonObject *p = json_array_get_object_element(ports, i);

		if (strcmp(json_object_get_string_member(p, "name"), port))
			continue;
		if (g_str_has_prefix(counter, "drops."))
			return json_object_get_int_member(
				json_object_get_object_member(p, "drops"), counter + 6);
		return json_object_get_int_member(p, counter);
	}
	return -1;
}

/* ------------------------------------------------------------------ */

bool peer_start_opts(struct peer *p, struct daemon *d, const char *sw, const char *port,
		     int vlan, const struct peer_opts *o, char **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *vlan_s = g_strdup_printf("%d", vlan);
	g_autofree char *mac_s = NULL;
	g_autofree char *bin = NULL;
	g_autofree char *line = NULL;

	memset(p, 0, sizeof(*p));
	as_user(argv, o->uid, o->group);
	bin = o->uid ? g_build_filename(tools_for_others(), "vsw-peer", NULL) : g_strdup(peer_bin);
	g_ptr_array_add(argv, bin);
	g_ptr_array_add(argv, "--socket");
	g_ptr_array_add(argv, d->sock);
	g_ptr_array_add(argv, "--switch");
	g_ptr_array_add(argv, (char *)sw);
	if (port) {
		g_ptr_array_add(argv, "--port");
		g_ptr_array_add(argv, (char *)port);
	}
	g_ptr_array_add(argv, "--vlan");
	g_ptr_array_add(argv, vlan_s);
	if (o->mac) {
		mac_s = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", o->mac[0], o->mac[1],
					o->mac[2], o->mac[3], o->mac[4], o->mac[5]);
		g_ptr_array_add(argv, "--mac");
		g_ptr_array_add(argv, mac_s);
	}
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
					       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
					       die_with_parent, NULL,
					       &p->pid, &p->in, &p->out, NULL, &err));
	p->buf = g_string_new(NULL);
	line = read_line(p->out, p->buf, WAIT_MS);
	g_assert_nonnull(line);
	if (g_str_has_prefix(line, "attached ")) {
		g_auto(GStrv) f = g_strsplit(line, " ", 3);

		p->name = g_strdup(f[1]);
		p->vlan = atoi(f[2]);
		return true;
	}
	if (error)
		*error = g_strdup(line);
	peer_stop(p);
	return false;
}

bool peer_start(struct peer *p, struct daemon *d, const char *sw,
		const char *port, int vlan, char **error)
{
	const struct peer_opts o = { 0 };

	return peer_start_opts(p, d, sw, port, vlan, &o, error);
}

void daemon_open_dir(struct daemon *d)
{
	g_assert_cmpint(g_chmod(d->dir, 0755), ==, 0);
}

JsonNode *ctl_as(struct daemon *d, uid_t uid, gid_t group, const char *execute,
		 const char *args_json)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *req = g_strdup_printf("{\"execute\":\"%s\",\"arguments\":%s}",
					       execute, args_json ? args_json : "{}");
	g_autofree char *bin = g_build_filename(tools_for_others(), "vswitchctl", NULL);
	g_autofree char *out = NULL, *errs = NULL;
	JsonNode *n;
	int status;

	as_user(argv, uid, group);
	g_ptr_array_add(argv, bin);
	g_ptr_array_add(argv, "--json");
	g_ptr_array_add(argv, "--socket");
	g_ptr_array_add(argv, d->sock);
	g_ptr_array_add(argv, "raw");
	g_ptr_array_add(argv, req);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
				   NULL, NULL, &out, &errs, &status, NULL));
	n = json_from_string(out, NULL);
	if (!n || !JSON_NODE_HOLDS_OBJECT(n))
		g_error("vswitchctl raw as uid %u: %s %s", (unsigned)uid, out, errs);
	return n;
}

char *peer_cmd(struct peer *p, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	va_list ap;
	size_t off = 0, len;
	char *line;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	len = strlen(cmd);
	while (off < len) {
		ssize_t n = write(p->in, cmd + off, len - off);

		g_assert_cmpint(n, >, 0);
		off += (size_t)n;
	}
	g_assert_cmpint(write(p->in, "\n", 1), ==, 1);
	/* Commands carry their own timeouts (at most a few seconds). */
	line = read_line(p->out, p->buf, 30000);
	g_assert_nonnull(line);
	return line;
}

void peer_stop(struct peer *p)
{
	if (!p->pid)
		return;
	if (p->in >= 0 && write(p->in, "quit\n", 5) < 0)
		kill(p->pid, SIGTERM);
	close(p->in);
	close(p->out);
	if (!wait_exit(p->pid, WAIT_MS, NULL)) {
		kill(p->pid, SIGKILL);
		wait_exit(p->pid, WAIT_MS, NULL);
	}
	p->pid = 0;
	if (p->buf)
		g_string_free(p->buf, TRUE);
	p->buf = NULL;
	g_free(p->name);
	p->name = NULL;
}

void peer_kill(struct peer *p)
{
	kill(p->pid, SIGKILL);
	wait_exit(p->pid, WAIT_MS, NULL);
	close(p->in);
	close(p->out);
	p->pid = 0;
	g_string_free(p->buf, TRUE);
	p->buf = NULL;
	g_free(p->name);
	p->name = NULL;
}

char *frame_hex(const uint8_t dst[6], const uint8_t src[6], uint16_t type,
		const char *payload)
{
	GString *s = g_string_new(NULL);

	for (int i = 0; i < 6; i++)
		g_string_append_printf(s, "%02x", dst[i]);
	for (int i = 0; i < 6; i++)
		g_string_append_printf(s, "%02x", src[i]);
	g_string_append_printf(s, "%04x", type);
	for (const char *c = payload; *c; c++)
		g_string_append_printf(s, "%02x", (uint8_t)*c);
	/* Pad to the Ethernet minimum, like a NIC would. */
	while (s->len < 2 * 60)
		g_string_append(s, "00");
	return g_string_free(s, FALSE);
}

void peer_send(struct peer *p, const char *hex)
{
	g_autofree char *r = peer_cmd(p, "send %s", hex);

	g_assert_cmpstr(r, ==, "ok");
}

char *peer_recv(struct peer *p, int ms)
{
	char *r = peer_cmd(p, "recv %d", ms);

	if (g_str_has_prefix(r, "frame ")) {
		char *hex = g_strdup(r + 6);

		g_free(r);
		return hex;
	}
	g_assert_cmpstr(r, ==, "none");
	g_free(r);
	return NULL;
}
