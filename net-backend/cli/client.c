// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * client.c - vswitchctl's side of the control protocol: connect, greeting,
 * one request and its reply, each bounded by --timeout.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Rules:
 *   - Nothing blocks without a deadline: the socket is non-blocking and every
 *     wait is a poll() on the time left of ctl->timeout_ms, counted from the
 *     start of each call (connecting included).
 *   - Everything the daemon says is parsed with json-glib; a line that is not
 *     a JSON object, or a reply longer than REPLY_MAX, ends the call.
 *   - Events (lines with "event") are skipped: vswitchctl owns no port.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vswitch/vswitch.h"
#include "vswitchctl.h"

/* A MAC table of 1M entries dumps to about 80 MiB. */
#define REPLY_MAX	(128 * 1024 * 1024)

/* Milliseconds left until @deadline (monotonic µs), at least 0. */
static int ms_left(gint64 deadline)
{
	gint64 left = deadline - g_get_monotonic_time();

	return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

/* Wait for @events on the connection.  Return: 0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, gint64 deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&pfd, 1, ms_left(deadline));

		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int timed_out(struct ctl *ctl)
{
	return ctl_error("vswitchd at %s did not answer within %d ms",
			 ctl->sock_path, ctl->timeout_ms);
}

/* Connect to ctl->sock_path.  Return: 0, or 1 after printing why not. */
static int connect_sock(struct ctl *ctl, gint64 deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(ctl->sock_path) >= sizeof(sa.sun_path))
		return ctl_error("cannot connect to %s: socket path too long", ctl->sock_path);
	memcpy(sa.sun_path, ctl->sock_path, strlen(ctl->sock_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ctl_error("cannot create a socket: %s", g_strerror(errno));
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EINPROGRESS) {
			socklen_t len = sizeof(int);
			int soerr = 0;

			rc = wait_fd(fd, POLLOUT, deadline);
			if (!rc && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				rc = -errno;
			else if (!rc)
				rc = -soerr;
			if (!rc)
				break;
		} else if (rc == -EAGAIN && ms_left(deadline) > 0) {
			/* The listen backlog is full: try again shortly. */
			g_usleep(MIN(10, ms_left(deadline)) * 1000);
			continue;
		}
		close(fd);
		if (rc == -EAGAIN || rc == -ETIMEDOUT)
			return timed_out(ctl);
		return ctl_error("cannot connect to %s: %s (is vswitchd running?)",
				 ctl->sock_path, g_strerror(-rc));
	}
	ctl->fd = fd;
	ctl->in = g_string_new(NULL);
	return 0;
}

/*
 * Read one line (without its '\n') and parse it as a JSON object.
 * Return: the object, or NULL after printing why there is none.
 */
static JsonObject *read_object(struct ctl *ctl, gint64 deadline)
{
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) e = NULL;
	JsonNode *root;
	char *nl;
	size_t len;

	while (!(nl = memchr(ctl->in->str, '\n', ctl->in->len))) {
		char buf[65536];
		ssize_t n = 0;
		int rc;

		if (ctl->in->len > REPLY_MAX) {
			ctl_error("vswitchd at %s sent a line longer than %d bytes",
				  ctl->sock_path, REPLY_MAX);
			return NULL;
		}
		rc = wait_fd(ctl->fd, POLLIN, deadline);
		if (rc == -ETIMEDOUT) {
			timed_out(ctl);
			return NULL;
		}
		if (rc == 0 && (n = recv(ctl->fd, buf, sizeof(buf), MSG_DONTWAIT)) < 0)
			rc = -errno;
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0) {
			ctl_error("cannot read from %s: %s", ctl->sock_path, g_strerror(-rc));
			return NULL;
		}
		if (n == 0) {
			ctl_error("vswitchd at %s closed the connection", ctl->sock_path);
			return NULL;
		}
		g_string_append_len(ctl->in, buf, n);
	}
	len = (size_t)(nl - ctl->in->str);
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, ctl->in->str, (gssize)len, &e)) {
		ctl_error("vswitchd at %s sent invalid JSON: %s", ctl->sock_path, e->message);
		return NULL;
	}
	g_string_erase(ctl->in, 0, (gssize)len + 1);
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		ctl_error("vswitchd at %s sent a line that is not a JSON object", ctl->sock_path);
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

/* Send @obj as one line.  Return: 0, or 1 after printing why not. */
static int send_object(struct ctl *ctl, JsonObject *obj, gint64 deadline)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autofree char *text = NULL, *line = NULL;
	size_t off = 0, len;

	json_node_set_object(node, obj);
	text = json_to_string(node, FALSE);
	line = g_strconcat(text, "\n", NULL);
	len = strlen(line);
	while (off < len) {
		ssize_t n = send(ctl->fd, line + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		int rc;

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return ctl_error("cannot send to %s: %s", ctl->sock_path, g_strerror(errno));
		rc = wait_fd(ctl->fd, POLLOUT, deadline);
		if (rc == -ETIMEDOUT)
			return timed_out(ctl);
		if (rc < 0)
			return ctl_error("cannot send to %s: %s", ctl->sock_path, g_strerror(-rc));
	}
	return 0;
}

/* Connect and check the greeting, unless connected.  Return: 0 or 1. */
static int ensure_connected(struct ctl *ctl, gint64 deadline)
{
	g_autoptr(JsonObject) greeting = NULL;
	JsonNode *n;
	JsonObject *v;
	int64_t proto;

	if (ctl->fd >= 0)
		return 0;
	if (!ctl->sock_path) {
		char path[108];
		int rc = vsw_default_sock_path(path, sizeof(path));

		if (rc == -ENAMETOOLONG)
			return ctl_error("no default socket: $XDG_RUNTIME_DIR is too long "
					 "(use --socket PATH)");
		if (rc < 0)
			return ctl_error("no default socket: %s (use --socket PATH)",
					 g_strerror(-rc));
		ctl->sock_path = g_strdup(path);
	}
	if (connect_sock(ctl, deadline))
		return 1;
	greeting = read_object(ctl, deadline);
	if (!greeting)
		goto fail;
	n = json_object_get_member(greeting, "vswitch");
	if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
		ctl_error("%s is not a vswitchd socket (no greeting)", ctl->sock_path);
		goto fail;
	}
	v = json_node_get_object(n);
	proto = ctl_get_int(v, "protocol");
	if (proto != VSW_PROTOCOL_VERSION) {
		ctl_error("vswitchd at %s speaks protocol %" G_GINT64_FORMAT
			  ", this vswitchctl speaks protocol %d", ctl->sock_path, proto,
			  VSW_PROTOCOL_VERSION);
		goto fail;
	}
	return 0;
fail:
	ctl_disconnect(ctl);
	return 1;
}

/* Read until a reply (not an event) arrives.  Return: it, or NULL. */
static JsonObject *read_reply(struct ctl *ctl, gint64 deadline)
{
	for (;;) {
		JsonObject *o = read_object(ctl, deadline);

		if (!o)
			return NULL;
		if (json_object_has_member(o, "return") || json_object_has_member(o, "error"))
			return o;
		if (!json_object_has_member(o, "event")) {
			json_object_unref(o);
			ctl_error("vswitchd at %s sent a line that is neither a reply nor an event",
				  ctl->sock_path);
			return NULL;
		}
		json_object_unref(o);
	}
}

JsonObject *ctl_call_request(struct ctl *ctl, JsonObject *request)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)ctl->timeout_ms * 1000;

	if (ensure_connected(ctl, deadline) || send_object(ctl, request, deadline))
		return NULL;
	return read_reply(ctl, deadline);
}

/* The "desc" of an error reply, or its class, or a stand-in. */
static const char *error_text(JsonObject *reply)
{
	JsonNode *n = json_object_get_member(reply, "error");
	JsonObject *e;

	if (!n || !JSON_NODE_HOLDS_OBJECT(n))
		return "vswitchd sent a malformed error reply";
	e = json_node_get_object(n);
	if (*ctl_get_str(e, "desc"))
		return ctl_get_str(e, "desc");
	if (*ctl_get_str(e, "class"))
		return ctl_get_str(e, "class");
	return "vswitchd sent an error without a description";
}

JsonNode *ctl_call(struct ctl *ctl, const char *execute, JsonObject *args,
		   JsonObject **reply_out)
{
	g_autoptr(JsonObject) req = json_object_new();
	g_autoptr(JsonObject) reply = NULL;
	int64_t id = ctl->next_id++;
	JsonNode *ret;

	json_object_set_string_member(req, "execute", execute);
	if (args && json_object_get_size(args))
		json_object_set_object_member(req, "arguments", args);
	else if (args)
		json_object_unref(args);
	json_object_set_int_member(req, "id", id);
	reply = ctl_call_request(ctl, req);
	if (!reply)
		return NULL;
	if (reply_out)
		*reply_out = json_object_ref(reply);
	if (json_object_has_member(reply, "id") && ctl_get_int(reply, "id") != id) {
		ctl_error("vswitchd at %s answered another request (id %" G_GINT64_FORMAT
			  ", expected %" G_GINT64_FORMAT ")", ctl->sock_path,
			  ctl_get_int(reply, "id"), id);
		return NULL;
	}
	if (json_object_has_member(reply, "error")) {
		ctl_error("%s", error_text(reply));
		return NULL;
	}
	ret = json_object_get_member(reply, "return");
	return json_node_copy(ret);
}

void ctl_disconnect(struct ctl *ctl)
{
	if (ctl->fd >= 0)
		close(ctl->fd);
	ctl->fd = -1;
	if (ctl->in)
		g_string_free(ctl->in, TRUE);
	ctl->in = NULL;
}
