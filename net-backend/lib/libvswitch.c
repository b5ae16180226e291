// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvswitch.c - attach a port to vswitchd and move frames through its rings.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The control exchange (connect, greeting, port-attach with three fds)
 * happens once per port, as a state machine a main loop drives
 * (vsw_attach_start()/vsw_attach_continue()) or, for simple clients, in a
 * loop bounded by a timeout (vsw_attach()).  Everything after it is ring
 * work that never blocks, and requests (vsw_set_mac(), vsw_set_offload())
 * that are queued, sent as far as the socket takes them, and whose answers
 * vsw_ctrl_process() reads when they come: no call waits for the daemon.  The switch is not trusted either: its shm header is validated
 * before use and the ring code validates every index.
 *
 * Doorbells: vswitchd gives us the write end of a pipe to kick it and the
 * read end of one it kicks us with; a kick is a write of 8 bytes (a full
 * pipe means one is pending), clearing reads what is there.  An older
 * vswitchd gave eventfds, which work with the same calls.  A kick after
 * vswitchd went away meets a pipe without a reader: EPIPE, and SIGPIPE,
 * which a library must not deliver to a program that has not chosen to
 * ignore it, so the kick blocks and drops it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "vswitch/vswitch.h"
#include "names.h"
#include "ring-ops.h"

#define CTRL_LINE_MAX	65536
#define ATTACH_FDS	3

/* The client's end of one port. */
struct vsw_port {
	int ctrl_fd;			/* control connection */
	int kick_switch_fd;		/* we write: the switch has work */
	int event_fd;			/* we read: the switch kicked us */
	void *shm;
	size_t shm_size;
	struct vsw_ring_prod tx;	/* client -> switch */
	struct vsw_ring_cons rx;	/* switch -> client */
	struct vsw_rec_view cur;	/* frame returned by the last vsw_recv() */
	bool have_cur;
	bool broken;			/* ring corrupted or reset by the daemon */
	bool sigpipe_ignored;		/* SIG_IGN when the port was attached */
	int next_id;
	int mac_id;			/* the set-mac request answered last, or waited for */
	int mac_status;			/* its answer: 0, -errno, or -EINPROGRESS */
	int takeover_id;		/* the port-takeover request, or 0 */
	int takeover_status;		/* its answer, or -EINPROGRESS */
	bool incoming;			/* a migration destination's, not live yet */
	bool moved;			/* taken over by the migration destination */
	int vlan;
	char name[VSW_NAME_MAX + 1];
	char sw[VSW_NAME_MAX + 1];
	char *inbuf;			/* control input not yet parsed */
	size_t inlen;
	char *outbuf;			/* requests the socket did not take yet */
	size_t outlen;
};

/*
 * The system daemon's socket for root and for users without a runtime
 * directory of their own: libvirt's QEMU (user libvirt-qemu, no login
 * session, no XDG_RUNTIME_DIR) finds it there.  A user with a session
 * gets its own daemon's socket; a relative XDG_RUNTIME_DIR is ignored,
 * as the XDG base directory specification says.
 */
int vsw_default_sock_path(char *buf, size_t size)
{
	const char *dir = geteuid() == 0 ? NULL : getenv("XDG_RUNTIME_DIR");
	int n;

	if (dir && dir[0] == '/')
		n = snprintf(buf, size, "%s/vswitch/vswitchd.sock", dir);
	else
		n = snprintf(buf, size, "%s", VSW_SYSTEM_SOCK_PATH);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

const char *vsw_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -ENOENT: return "no daemon socket";
	case -ECONNREFUSED: return "daemon not running";
	case -ENODEV: return "no such switch";
	case -EEXIST: return "name taken";
	case -EINVAL: return "invalid argument";
	case -EPROTO: return "protocol error or corrupted ring";
	case -ETIMEDOUT: return "timed out";
	case -ECONNRESET: return "daemon went away";
	case -EAGAIN: return "ring full";
	case -EMSGSIZE: return "frame too long";
	case -EACCES: return "permission denied";
	case -EBUSY: return "busy";
	default: return strerror(-err);
	}
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * Read what the socket has into p->inbuf, keeping any fds that ride along
 * in @fds (up to ATTACH_FDS; extra ones are closed).  Return: bytes read,
 * 0 at EOF, or -errno.
 */
static ssize_t ctrl_read(struct vsw_port *p, int *fds, int *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	char tmp[4096];
	struct iovec iov = { tmp, sizeof(tmp) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(p->ctrl_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		int *in, k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		in = (int *)CMSG_DATA(c);
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			if (fds && *nfds < ATTACH_FDS)
				fds[(*nfds)++] = in[i];
			else
				close(in[i]);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		return -EPROTO;
	if (n == 0)
		return 0;
	if (p->inlen + (size_t)n > CTRL_LINE_MAX)
		return -EPROTO;
	memcpy(p->inbuf + p->inlen, tmp, (size_t)n);
	p->inlen += (size_t)n;
	return n;
}

/* Take one complete line out of p->inbuf; NULL if none yet. */
static char *ctrl_take_line(struct vsw_port *p)
{
	char *nl = memchr(p->inbuf, '\n', p->inlen);
	size_t len;
	char *line;

	if (!nl)
		return NULL;
	len = (size_t)(nl - p->inbuf);
	line = g_strndup(p->inbuf, len);
	memmove(p->inbuf, nl + 1, p->inlen - len - 1);
	p->inlen -= len + 1;
	return line;
}

/*
 * The next complete line, reading what the socket has (never waiting),
 * collecting fds.  Return: the parsed object (caller unrefs its node), or
 * NULL with *@rc: -EAGAIN (no complete line yet), -ECONNRESET (EOF),
 * -EPROTO (not a JSON object, or too long) or another -errno.
 */
static JsonNode *ctrl_next_msg(struct vsw_port *p, int *fds, int *nfds, int *rc)
{
	for (;;) {
		g_autofree char *line = ctrl_take_line(p);
		ssize_t n;

		if (line) {
			JsonNode *node = json_from_string(line, NULL);

			if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
				if (node)
					json_node_unref(node);
				*rc = -EPROTO;
				return NULL;
			}
			return node;
		}
		n = ctrl_read(p, fds, nfds);
		if (n == 0) {
			*rc = -ECONNRESET;
			return NULL;
		}
		if (n == -EINTR)
			continue;
		if (n < 0) {
			*rc = (int)n;
			return NULL;
		}
	}
}

/*
 * Send what is queued in p->outbuf as far as the socket takes it, never
 * waiting.  Return: 0 (sent, or the rest waits for POLLOUT) or -errno.
 */
static int ctrl_flush_out(struct vsw_port *p)
{
	while (p->outlen) {
		ssize_t n = send(p->ctrl_fd, p->outbuf, p->outlen,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		memmove(p->outbuf, p->outbuf + n, p->outlen - (size_t)n);
		p->outlen -= (size_t)n;
	}
	return 0;
}

/*
 * Queue one request line and send what the socket takes: a daemon that
 * does not read (stopped, busy) never blocks the caller; the rest goes
 * out when the control fd polls writable (vsw_ctrl_want_write()).
 * Return: 0, -ENOBUFS (CTRL_LINE_MAX bytes wait unsent already) or -errno.
 */
static int ctrl_send(struct vsw_port *p, const char *cmd, JsonNode *args,
		     int id)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	size_t len;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "execute");
	json_builder_add_string_value(b, cmd);
	if (args) {
		json_builder_set_member_name(b, "arguments");
		json_builder_add_value(b, args);
	}
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, id);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	len = strlen(text);
	if (p->outlen + len + 1 > CTRL_LINE_MAX)
		return -ENOBUFS;
	memcpy(p->outbuf + p->outlen, text, len);
	p->outbuf[p->outlen + len] = '\n';
	p->outlen += len + 1;
	return ctrl_flush_out(p);
}

static int class_to_errno(const char *cls)
{
	if (!g_strcmp0(cls, "NotFound"))
		return -ENODEV;
	if (!g_strcmp0(cls, "AlreadyExists"))
		return -EEXIST;
	if (!g_strcmp0(cls, "InvalidArgument"))
		return -EINVAL;
	if (!g_strcmp0(cls, "PermissionDenied"))
		return -EACCES;
	if (!g_strcmp0(cls, "Busy"))
		return -EBUSY;
	return -EPROTO;
}

/*
 * The errno of a reply's "error" object (by its "class"), and its "desc"
 * in *@desc if asked.  Return: 0 if the reply has no "error".
 */
static int reply_errno(JsonObject *o, const char **desc)
{
	JsonNode *en = json_object_get_member(o, "error");
	JsonObject *eo = en && JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;

	if (desc)
		*desc = eo ? json_object_get_string_member_with_default(eo, "desc", "") : "";
	if (!en)
		return 0;
	return class_to_errno(eo ? json_object_get_string_member_with_default(eo, "class", "") :
			      "");
}

/*
 * Handle an event line; Return: 0, or -EPROTO if it resets our port.
 */
static int handle_event(struct vsw_port *p, JsonObject *o)
{
	const char *ev = json_object_get_string_member_with_default(o, "event", "");
	JsonNode *dn = json_object_get_member(o, "data");
	JsonObject *data = dn && JSON_NODE_HOLDS_OBJECT(dn) ? json_node_get_object(dn) : NULL;

	if (!strcmp(ev, "PORT_RESET")) {
		p->broken = true;
		return -EPROTO;
	}
	if (!strcmp(ev, "PORT_MOVED")) {
		p->broken = true;
		p->moved = true;
		return -EXDEV;
	}
	if (!strcmp(ev, "PORT_VLAN") && data) {
		gint64 vlan = json_object_get_int_member_with_default(data, "vlan", -1);

		if (vlan >= 0 && vlan <= VSW_VLAN_MAX)
			p->vlan = (int)vlan;
	}
	return 0;
}

/* The answer to a request sent without waiting (vsw_set_mac(), vsw_set_offload()). */
static void handle_reply(struct vsw_port *p, JsonObject *o)
{
	gint64 id = json_object_get_int_member_with_default(o, "id", -1);

	if (p->takeover_id && id == p->takeover_id) {
		JsonNode *rn = json_object_get_member(o, "return");

		if (json_object_has_member(o, "error") || !rn || !JSON_NODE_HOLDS_OBJECT(rn)) {
			int rc = reply_errno(o, NULL);

			/* Neither an error nor an answer: a daemon we do not understand. */
			p->takeover_status = rc ? rc : -EPROTO;
		} else {
			gint64 vlan = json_object_get_int_member_with_default(
				json_node_get_object(rn), "vlan", -1);

			if (vlan >= 0 && vlan <= VSW_VLAN_MAX)
				p->vlan = (int)vlan;
			p->incoming = false;
			p->takeover_status = 0;
		}
		return;
	}
	if (id != p->mac_id)
		return;		/* set-offload: nothing waits for it */
	p->mac_status = reply_errno(o, NULL);
}

/* One line from the daemon after the attachment: an event or an answer. */
static int handle_message(struct vsw_port *p, JsonObject *o)
{
	if (json_object_has_member(o, "event"))
		return handle_event(p, o);
	handle_reply(p, o);
	return 0;
}

/*
 * One message while attaching: an event, or the reply to port-attach
 * (request @id).  Return: 1 and *@ret (the reply's "return" object, the
 * caller unrefs it), 0 (an event: read on), or -errno with @err set.
 */
static int attach_message(struct vsw_port *p, JsonObject *o, int id,
			  JsonNode **ret, char *err, size_t errlen)
{
	if (json_object_has_member(o, "event")) {
		if (handle_event(p, o) < 0) {
			set_err(err, errlen, "vswitchd reset the port");
			return -EPROTO;
		}
		return 0;
	}
	if (json_object_get_int_member_with_default(o, "id", -1) != id) {
		set_err(err, errlen, "vswitchd: reply out of order");
		return -EPROTO;
	}
	if (json_object_has_member(o, "error")) {
		const char *desc;
		int rc = reply_errno(o, &desc);

		set_err(err, errlen, "%s", desc[0] ? desc : "vswitchd refused");
		return rc;
	}
	if (!json_object_has_member(o, "return") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "return"))) {
		set_err(err, errlen, "vswitchd: malformed reply");
		return -EPROTO;
	}
	*ret = json_node_copy(json_object_get_member(o, "return"));
	return 1;
}

/* Check the switch's shm header before trusting any offset in it. */
static int map_shm(struct vsw_port *p, int memfd, uint64_t size_told)
{
	const struct vsw_shm_hdr *h;
	struct vsw_shm_hdr hdr;
	struct stat st;
	int seals;

	if (fstat(memfd, &st) < 0)
		return -errno;
	seals = fcntl(memfd, F_GET_SEALS);
	/* Without SHRINK the switch could truncate the file under us: SIGBUS. */
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EPROTO;
	if (st.st_size < (off_t)sizeof(hdr) || (uint64_t)st.st_size != size_told ||
	    (uint64_t)st.st_size > 2ull * VSW_DATA_SIZE_MAX + 65536)
		return -EPROTO;
	p->shm = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, memfd, 0);
	if (p->shm == MAP_FAILED) {
		p->shm = NULL;
		return -errno;
	}
	p->shm_size = (size_t)st.st_size;
	h = p->shm;
	memcpy(&hdr, h, sizeof(hdr));
	if (vsw_shm_hdr_check(&hdr, p->shm_size) < 0)
		return -EPROTO;
	vsw_ring_prod_init(&p->tx, (struct vsw_ring *)((uint8_t *)p->shm + hdr.ring_off[VSW_TX]),
			   (uint8_t *)p->shm + hdr.data_off[VSW_TX], hdr.data_size);
	vsw_ring_cons_init(&p->rx, (struct vsw_ring *)((uint8_t *)p->shm + hdr.ring_off[VSW_RX]),
			   (uint8_t *)p->shm + hdr.data_off[VSW_RX], hdr.data_size);
	return 0;
}

/*
 * Connect to vswitchd's socket without waiting: on a Unix socket, connect()
 * succeeds at once when a listener is there (even a stopped one: the
 * connection waits in its backlog), fails at once when none is, and says
 * EAGAIN when the backlog is full.  Return: the fd or -errno, @err set.
 */
static int connect_sock(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "socket: %s", strerror(errno));
		return rc;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		if (rc == -EAGAIN) {
			set_err(err, errlen, "cannot connect to %s: vswitchd accepts "
				"no more connections for now", path);
			close(fd);
			return rc;
		}
		/*
		 * Say what to check: a socket we may not use is a missing
		 * group membership (libvirt's QEMU user not in the group of
		 * vswitchd --socket-group), anything else a daemon not there.
		 */
		set_err(err, errlen, "cannot connect to %s: %s (%s)", path, strerror(-rc),
			rc == -EACCES || rc == -EPERM ?
			"is this user in the group of vswitchd --socket-group?" :
			"is vswitchd running?");
		close(fd);
		return rc;
	}
	return fd;
}

/* "52:54:00:12:34:56" */
static void mac_string(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static JsonNode *attach_args(const struct vsw_attach_opts *o)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "switch");
	json_builder_add_string_value(b, o->switch_name);
	if (o->port_name) {
		json_builder_set_member_name(b, "port");
		json_builder_add_string_value(b, o->port_name);
	}
	json_builder_set_member_name(b, "vlan");
	json_builder_add_int_value(b, o->vlan);
	if (o->mac) {
		char mac[18];

		mac_string(o->mac, mac);
		json_builder_set_member_name(b, "mac");
		json_builder_add_string_value(b, mac);
	}
	json_builder_set_member_name(b, "offloads");
	json_builder_add_int_value(b, o->offloads & VSW_OFFLOAD_ALL);
	if (o->incoming) {
		json_builder_set_member_name(b, "incoming");
		json_builder_add_boolean_value(b, TRUE);
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static int check_greeting(JsonObject *o, char *err, size_t errlen)
{
	JsonObject *v;

	if (!json_object_has_member(o, "vswitch") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "vswitch"))) {
		set_err(err, errlen, "the socket does not speak the vswitch protocol");
		return -EPROTO;
	}
	v = json_object_get_object_member(o, "vswitch");
	if (json_object_get_int_member_with_default(v, "protocol", 0) != VSW_PROTOCOL_VERSION) {
		set_err(err, errlen, "vswitchd speaks protocol %" G_GINT64_FORMAT ", we need %d",
			json_object_get_int_member_with_default(v, "protocol", 0),
			VSW_PROTOCOL_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Where an attachment stands (struct vsw_attach). */
enum attach_state {
	AT_GREETING,	/* connected: wait for the daemon's greeting */
	AT_REPLY,		/* port-attach sent: wait for the answer */
	AT_FDS,			/* answered: wait for the rest of the three fds */
};

struct vsw_attach {
	struct vsw_port *p;	/* the port being set up */
	enum attach_state state;
	int id;			/* of the port-attach request */
	JsonNode *args;		/* its arguments, until sent */
	JsonNode *ret;		/* its answer, once read */
	int fds[ATTACH_FDS];
	int nfds;
};

void vsw_attach_cancel(struct vsw_attach *a)
{
	if (!a)
		return;
	close_fds(a->fds, ATTACH_FDS);
	if (a->args)
		json_node_unref(a->args);
	if (a->ret)
		json_node_unref(a->ret);
	vsw_detach(a->p);
	free(a);
}

int vsw_attach_start(const struct vsw_attach_opts *opts, struct vsw_attach **out,
		     char *err, size_t errlen)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vsw_attach *a;
	struct vsw_port *p;
	int rc;

	*out = NULL;
	if (!opts->switch_name || !vsw_name_valid(opts->switch_name)) {
		set_err(err, errlen, "invalid switch name '%s'",
			opts->switch_name ? opts->switch_name : "");
		return -EINVAL;
	}
	if (opts->port_name && !vsw_name_valid(opts->port_name)) {
		set_err(err, errlen, "invalid port name '%s' (1-%d characters of "
			"A-Z a-z 0-9 . _ : @ -, not starting with '-' or '.')",
			opts->port_name, VSW_NAME_MAX);
		return -EINVAL;
	}
	if (opts->vlan < 0 || opts->vlan > VSW_VLAN_MAX) {
		set_err(err, errlen, "invalid VLAN %d (0 for untagged, or 1-%d)",
			opts->vlan, VSW_VLAN_MAX);
		return -EINVAL;
	}
	if (opts->sock_path) {
		if (strlen(opts->sock_path) >= sizeof(path)) {
			set_err(err, errlen, "socket path %s is too long", opts->sock_path);
			return -ENAMETOOLONG;
		}
		strcpy(path, opts->sock_path);
	} else {
		rc = vsw_default_sock_path(path, sizeof(path));
		if (rc < 0) {
			set_err(err, errlen, "no default vswitchd socket: %s",
				rc == -ENAMETOOLONG ? "$XDG_RUNTIME_DIR is too long" :
				vsw_strerror(rc));
			return rc;
		}
	}

	a = calloc(1, sizeof(*a));
	p = calloc(1, sizeof(*p));
	if (!a || !p) {
		free(a);
		free(p);
		return -ENOMEM;
	}
	a->p = p;
	a->fds[0] = a->fds[1] = a->fds[2] = -1;
	p->ctrl_fd = p->kick_switch_fd = p->event_fd = -1;
	p->inbuf = malloc(CTRL_LINE_MAX);
	p->outbuf = malloc(CTRL_LINE_MAX);
	if (!p->inbuf || !p->outbuf) {
		vsw_attach_cancel(a);
		return -ENOMEM;
	}
	p->ctrl_fd = connect_sock(path, err, errlen);
	if (p->ctrl_fd < 0) {
		rc = p->ctrl_fd;
		p->ctrl_fd = -1;
		vsw_attach_cancel(a);
		return rc;
	}
	p->next_id = 1;
	a->args = attach_args(opts);
	a->state = AT_GREETING;
	*out = a;
	return 0;
}

int vsw_attach_fd(const struct vsw_attach *a)
{
	return a->p->ctrl_fd;
}

short vsw_attach_events(const struct vsw_attach *a)
{
	return a->p->outlen ? POLLIN | POLLOUT : POLLIN;
}

/* The three fds are there: map the memory and fill in the port.  Return: 0 or -errno. */
static int attach_finish(struct vsw_attach *a, char *err, size_t errlen)
{
	struct vsw_port *p = a->p;
	JsonObject *r = json_node_get_object(a->ret);
	struct sigaction sa;
	const char *s;
	int rc;

	rc = map_shm(p, a->fds[0], (uint64_t)json_object_get_int_member_with_default(
				r, "shm-size", 0));
	if (rc < 0) {
		set_err(err, errlen, "vswitchd sent a port memory this library "
			"cannot use (version mismatch?)");
		return rc;
	}
	close(a->fds[0]);
	p->kick_switch_fd = a->fds[1];
	p->event_fd = a->fds[2];
	a->fds[0] = a->fds[1] = a->fds[2] = -1;
	p->sigpipe_ignored = !sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_IGN;
	s = json_object_get_string_member_with_default(r, "port", "");
	g_strlcpy(p->name, s, sizeof(p->name));
	s = json_object_get_string_member_with_default(r, "switch", "");
	g_strlcpy(p->sw, s, sizeof(p->sw));
	p->vlan = (int)json_object_get_int_member_with_default(r, "vlan", 0);
	p->incoming = json_object_get_boolean_member_with_default(r, "incoming", FALSE);
	if (!vsw_name_valid(p->name) || !vsw_name_valid(p->sw) ||
	    p->vlan < 0 || p->vlan > VSW_VLAN_MAX) {
		set_err(err, errlen, "vswitchd named the port '%s' on switch '%s'",
			p->name, p->sw);
		return -EPROTO;
	}
	return 0;
}

/* One step of the exchange; Return: -EINPROGRESS, 0 (done) or -errno. */
static int attach_step(struct vsw_attach *a, char *err, size_t errlen)
{
	struct vsw_port *p = a->p;
	int rc;

	rc = ctrl_flush_out(p);
	if (rc < 0) {
		set_err(err, errlen, "vswitchd: %s", vsw_strerror(rc));
		return rc;
	}
	while (a->state != AT_FDS) {
		g_autoptr(JsonNode) node = ctrl_next_msg(p, a->fds, &a->nfds, &rc);

		if (!node) {
			if (rc == -EAGAIN)
				return -EINPROGRESS;
			if (a->state == AT_GREETING)
				set_err(err, errlen, "vswitchd sent no greeting: %s",
					vsw_strerror(rc));
			else
				set_err(err, errlen, "vswitchd: %s", vsw_strerror(rc));
			return rc;
		}
		if (a->state == AT_GREETING) {
			rc = check_greeting(json_node_get_object(node), err, errlen);
			if (rc < 0)
				return rc;
			a->id = p->next_id++;
			rc = ctrl_send(p, "port-attach", a->args, a->id);
			a->args = NULL;	/* the request took it */
			if (rc < 0) {
				set_err(err, errlen, "vswitchd: %s", vsw_strerror(rc));
				return rc;
			}
			a->state = AT_REPLY;
			continue;
		}
		rc = attach_message(p, json_node_get_object(node), a->id, &a->ret,
				    err, errlen);
		if (rc < 0)
			return rc;
		if (rc > 0)
			a->state = AT_FDS;
	}
	/* The fds ride with the reply's bytes, or a little behind them. */
	while (a->nfds < ATTACH_FDS) {
		ssize_t n = ctrl_read(p, a->fds, &a->nfds);

		if (n == -EAGAIN)
			return -EINPROGRESS;
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			set_err(err, errlen, "vswitchd sent %d of %d port fds",
				a->nfds, ATTACH_FDS);
			return -EPROTO;
		}
	}
	return attach_finish(a, err, errlen);
}

int vsw_attach_continue(struct vsw_attach *a, struct vsw_port **out,
			char *err, size_t errlen)
{
	int rc = attach_step(a, err, errlen);

	*out = NULL;
	if (rc == -EINPROGRESS)
		return rc;
	if (rc == 0) {
		*out = a->p;
		a->p = NULL;
	}
	vsw_attach_cancel(a);
	return rc;
}

int vsw_attach(const struct vsw_attach_opts *opts, struct vsw_port **out,
	       char *err, size_t errlen)
{
	int64_t deadline = now_ms() + (opts->timeout_ms > 0 ? opts->timeout_ms : 5000);
	struct vsw_attach *a;
	int rc;

	*out = NULL;
	/* A full backlog clears as the daemon accepts: retry until the deadline. */
	while ((rc = vsw_attach_start(opts, &a, err, errlen)) == -EAGAIN &&
	       now_ms() < deadline)
		poll(NULL, 0, 10);
	if (rc < 0)
		return rc;
	while ((rc = vsw_attach_continue(a, out, err, errlen)) == -EINPROGRESS) {
		struct pollfd pfd = { vsw_attach_fd(a), vsw_attach_events(a), 0 };
		int64_t left = deadline - now_ms();

		if (left <= 0) {
			vsw_attach_cancel(a);
			set_err(err, errlen, "vswitchd did not answer within %d ms",
				opts->timeout_ms > 0 ? opts->timeout_ms : 5000);
			return -ETIMEDOUT;
		}
		poll(&pfd, 1, (int)left);
	}
	return rc;
}

void vsw_detach(struct vsw_port *p)
{
	if (!p)
		return;
	if (p->shm)
		munmap(p->shm, p->shm_size);
	if (p->ctrl_fd >= 0)
		close(p->ctrl_fd);
	if (p->kick_switch_fd >= 0)
		close(p->kick_switch_fd);
	if (p->event_fd >= 0)
		close(p->event_fd);
	free(p->inbuf);
	free(p->outbuf);
	free(p);
}

int vsw_port_event_fd(const struct vsw_port *p)
{
	return p->event_fd;
}

int vsw_port_ctrl_fd(const struct vsw_port *p)
{
	return p->ctrl_fd;
}

const char *vsw_port_name(const struct vsw_port *p)
{
	return p->name;
}

const char *vsw_port_switch(const struct vsw_port *p)
{
	return p->sw;
}

int vsw_port_vlan(const struct vsw_port *p)
{
	return p->vlan;
}

void *vsw_port_shm(const struct vsw_port *p, size_t *size)
{
	if (size)
		*size = p->shm_size;
	return p->shm;
}

static void kick(struct vsw_port *p)
{
	uint64_t one = 1;
	sigset_t pipe_set, old, pending;
	struct timespec now = { 0, 0 };
	bool was_pending;
	int saved = errno;

	/* EAGAIN: the pipe is full, a kick is pending; the peer will wake. */
	if (p->sigpipe_ignored) {
		(void)!write(p->kick_switch_fd, &one, sizeof(one));
		errno = saved;
		return;
	}
	/* Keep a SIGPIPE of ours from the program; leave one it had pending. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	if (write(p->kick_switch_fd, &one, sizeof(one)) < 0 && errno == EPIPE && !was_pending)
		sigtimedwait(&pipe_set, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
}

void vsw_event_clear(struct vsw_port *p)
{
	uint8_t buf[512];

	/* Every queued kick, in a bounded number of calls. */
	for (int i = 0; i < 4; i++)
		if (read(p->event_fd, buf, sizeof(buf)) < (ssize_t)sizeof(buf))
			break;
	/* Space came back or frames arrived: stop asking for space kicks. */
	vsw_prod_disarm(&p->tx);
}

int vsw_ctrl_process(struct vsw_port *p)
{
	if (p->moved)
		return -EXDEV;
	if (ctrl_flush_out(p) < 0)
		return -ECONNRESET;
	for (;;) {
		ssize_t n = ctrl_read(p, NULL, NULL);
		char *line;

		if (n == 0)
			return -ECONNRESET;
		if (n == -EAGAIN || n == -EINTR)
			break;
		if (n < 0)
			return n == -EPROTO ? -EPROTO : -ECONNRESET;
		while ((line = ctrl_take_line(p))) {
			JsonNode *node = json_from_string(line, NULL);
			int rc = 0;

			g_free(line);
			if (node && JSON_NODE_HOLDS_OBJECT(node))
				rc = handle_message(p, json_node_get_object(node));
			if (node)
				json_node_unref(node);
			if (rc < 0)
				return rc;
		}
	}
	return p->moved ? -EXDEV : p->broken ? -EPROTO : 0;
}

bool vsw_ctrl_want_write(const struct vsw_port *p)
{
	return p->outlen > 0;
}

/* Send one request on the port's connection; its answer comes later. */
static int ctrl_post(struct vsw_port *p, const char *cmd, JsonNode *args, int *id)
{
	if (p->broken)
		return -EPROTO;
	*id = p->next_id++;
	return ctrl_send(p, cmd, args, *id);
}

int vsw_set_offload(struct vsw_port *p, unsigned offloads)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	int id;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "offloads");
	json_builder_add_int_value(b, offloads & VSW_OFFLOAD_ALL);
	json_builder_end_object(b);
	return ctrl_post(p, "port-set-offload", json_builder_get_root(b), &id);
}

int vsw_set_mac(struct vsw_port *p, const uint8_t mac[6])
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	char text[18];
	int rc;

	mac_string(mac, text);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "mac");
	json_builder_add_string_value(b, text);
	json_builder_end_object(b);
	rc = ctrl_post(p, "port-set-mac", json_builder_get_root(b), &p->mac_id);
	p->mac_status = rc < 0 ? rc : -EINPROGRESS;
	return rc;
}

int vsw_mac_status(const struct vsw_port *p)
{
	return p->mac_status;
}

bool vsw_port_incoming(const struct vsw_port *p)
{
	return p->incoming;
}

bool vsw_port_moved(const struct vsw_port *p)
{
	return p->moved;
}

static JsonNode *token_args(const char *token)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "token");
	json_builder_add_string_value(b, token);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

int vsw_set_move_token(struct vsw_port *p, const char *token)
{
	int id;

	if (!vsw_move_token_valid(token))
		return -EINVAL;
	return ctrl_post(p, "port-migrate-token", token_args(token), &id);
}

int vsw_takeover(struct vsw_port *p, const char *token)
{
	int rc;

	if (!vsw_move_token_valid(token))
		return -EINVAL;
	rc = ctrl_post(p, "port-takeover", token_args(token), &p->takeover_id);
	p->takeover_status = rc < 0 ? rc : -EINPROGRESS;
	return rc;
}

int vsw_takeover_status(const struct vsw_port *p)
{
	return p->takeover_id ? p->takeover_status : 0;
}

void vsw_flush(struct vsw_port *p)
{
	if (vsw_prod_publish(&p->tx))
		kick(p);
}

int vsw_send(struct vsw_port *p, const struct vsw_vnet_hdr *hdr,
	     const struct iovec *iov, int iovcnt, unsigned flags)
{
	struct vsw_rec *rec;
	size_t len = 0;
	uint8_t *dst;
	int err;

	if (p->broken)
		return -EPROTO;
	for (int i = 0; i < iovcnt; i++) {
		len += iov[i].iov_len;
		if (len > VSW_FRAME_MAX)
			return -EMSGSIZE;
	}
	if (len < VSW_FRAME_MIN)
		return -EINVAL;
	rec = vsw_prod_reserve(&p->tx, (uint32_t)len, &err);
	if (!rec) {
		if (err) {
			p->broken = true;
			return err;
		}
		/* Full: publish what is batched, then ask for a space kick. */
		vsw_flush(p);
		if (!vsw_prod_arm(&p->tx, (uint32_t)len))
			return -EAGAIN;
		vsw_prod_disarm(&p->tx);
		rec = vsw_prod_reserve(&p->tx, (uint32_t)len, &err);
		if (!rec) {
			p->broken = err != 0;
			return err ? err : -EAGAIN;
		}
	}
	rec->len = (uint32_t)len;
	rec->flags = 0;
	rec->rsvd = 0;
	rec->rsvd2 = 0;
	if (hdr)
		rec->vnet = *hdr;
	else
		memset(&rec->vnet, 0, sizeof(rec->vnet));
	dst = (uint8_t *)(rec + 1);
	for (int i = 0; i < iovcnt; i++) {
		memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}
	vsw_prod_commit(&p->tx, (uint32_t)len);
	if (!(flags & VSW_SEND_MORE))
		vsw_flush(p);
	return 0;
}

bool vsw_tx_space(struct vsw_port *p, uint32_t len)
{
	int64_t avail = vsw_prod_free(&p->tx);

	if (avail >= 0 && avail >= (int64_t)vsw_prod_need(&p->tx, len))
		return true;
	p->tx.cons_cache = __atomic_load_n(&p->tx.ring->cons, __ATOMIC_ACQUIRE);
	avail = vsw_prod_free(&p->tx);
	return avail >= 0 && avail >= (int64_t)vsw_prod_need(&p->tx, len);
}

int vsw_recv(struct vsw_port *p, struct vsw_frame *f)
{
	int rc;

	if (p->broken)
		return -EPROTO;
	/*
	 * Peek straight into p->cur: a view built on the stack and copied
	 * whole made the copy's wide loads wait on narrower stores (failed
	 * store forwarding), the hottest spot of a receiving client.
	 */
	rc = vsw_cons_peek(&p->rx, &p->cur);
	if (rc < 0) {
		p->broken = true;
		return rc;
	}
	if (rc == 0)
		return 0;
	p->have_cur = true;
	f->vnet = p->cur.vnet;
	f->data = p->cur.data;
	f->len = p->cur.len;
	return 1;
}

const void *vsw_frame_hdr(const struct vsw_frame *f)
{
	/* struct vsw_rec ends with the header (ring.h, version 2). */
	return f->data - sizeof(struct vsw_vnet_hdr);
}

void vsw_recv_done(struct vsw_port *p)
{
	if (!p->have_cur)
		return;
	vsw_cons_advance(&p->rx, &p->cur);
	p->have_cur = false;
}

void vsw_recv_flush(struct vsw_port *p)
{
	if (vsw_cons_release(&p->rx))
		kick(p);
}

bool vsw_rx_arm(struct vsw_port *p)
{
	vsw_recv_flush(p);
	return vsw_cons_arm(&p->rx);
}

void vsw_rx_disarm(struct vsw_port *p)
{
	vsw_cons_disarm(&p->rx);
}

int vsw_wait(struct vsw_port *p, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ p->event_fd, POLLIN, 0 },
		{ p->ctrl_fd, POLLIN, 0 },
	};
	int n, rc;

	if (vsw_rx_arm(p))
		return 1;
	n = poll(pfd, 2, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd[1].revents) {
		rc = vsw_ctrl_process(p);
		if (rc < 0)
			return rc;
	}
	vsw_rx_disarm(p);
	if (pfd[0].revents) {
		vsw_event_clear(p);
		return 1;
	}
	return 0;
}
