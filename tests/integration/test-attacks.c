// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-attacks.c - a hostile guest harms only itself (issue 8).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * One vswitchd serves every VM on the host, so a guest-facing QEMU is an
 * attacker.  Each test here runs a real vswitchd, honest clients
 * (vsw-peer) and an attacker (vsw-attack: what a compromised QEMU can do
 * to its fds, its shared memory, its frames and the control socket), then
 * checks that only the attacker paid: the others' frames still flow,
 * control requests are still answered, counters name the culprit, the
 * daemon's fds and CPU time stay bounded, and it still stops cleanly on
 * SIGTERM (daemon_stop() asserts a clean exit, so under ASan also no
 * sanitizer report).  Assertions are on counters, replies and process
 * states; the few bounds involving time bound what the daemon *consumed*
 * (CPU seconds) or give a generous deadline, never a speed.
 *
 * Tests that switch to another user (uid 65534) need root and skip without.
 * The fd-passing tests ask the kernel what it does (SO_PASSRIGHTS, Linux
 * 6.16) and assert what must hold for that answer; their old-kernel
 * variants run the daemon as on a kernel without it (Debian 12's 6.1).
 *
 * Frames travel only through the ports' shared memory; the one socket
 * beyond AF_UNIX is the fd-passing attack's TCP connection over loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "harness.h"

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0c };
static const uint8_t MAC_D[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0d };
static const uint8_t MAC_F[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0f };
static const uint8_t MAC_R[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x11 };
static const uint8_t MAC_X[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x66 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define NOBODY		65534	/* the unprivileged client */
#define REPLY_MS	30000	/* bound for a tool's reply (commands bound themselves) */
/* datapath.h: the most one frame may cost (one, plus one per copy written). */
#define FRAME_COST_MAX	4096

static char *attack_bin;	/* vsw-attack under test */
static char *vswitchd_bin;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* The group uid NOBODY can be in, by name (for --socket-group). */
static const char *nobody_group(void)
{
	struct group *gr = getgrgid(NOBODY);

	g_assert_nonnull(gr);
	return gr->gr_name;
}

/*
 * Spawn vsw-attack @mode with @args (NULL-terminated), as @uid (0: as we
 * are) with supplementary group @group (0: none), driven line by line
 * through @p (peer_cmd(), peer_stop() work on it).
 */
static void attacker_spawn(struct peer *p, struct daemon *d, const char *mode,
			   const char *const *args, uid_t uid, gid_t group)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *bin = uid ? g_build_filename(tools_for_others(), "vsw-attack", NULL) :
				     g_strdup(attack_bin);
	g_autoptr(GError) err = NULL;

	memset(p, 0, sizeof(*p));
	as_user(argv, uid, group);
	g_ptr_array_add(argv, bin);
	g_ptr_array_add(argv, (char *)mode);
	g_ptr_array_add(argv, "--socket");
	g_ptr_array_add(argv, d->sock);
	for (; args && *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	g_assert_true(g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
					       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
					       die_with_parent, NULL,
					       &p->pid, &p->in, &p->out, NULL, &err));
	p->buf = g_string_new(NULL);
}

/* Write one command line to @p without waiting for its reply. */
static void peer_write(struct peer *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void peer_write(struct peer *p, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	size_t off = 0, len;
	va_list ap;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	cmd = g_realloc(cmd, strlen(cmd) + 2);
	strcat(cmd, "\n");
	len = strlen(cmd);
	while (off < len) {
		ssize_t n = write(p->in, cmd + off, len - off);

		g_assert_cmpint(n, >, 0);
		off += (size_t)n;
	}
}

/* The next reply line of @p, within @ms; NULL on EOF or timeout. */
static char *peer_read(struct peer *p, int ms)
{
	gint64 end = now_ms() + ms;

	for (;;) {
		char *nl = memchr(p->buf->str, '\n', p->buf->len);
		struct pollfd pfd = { p->out, POLLIN, 0 };
		char tmp[65536];
		ssize_t n;
		int left;

		if (nl) {
			char *line = g_strndup(p->buf->str, (gsize)(nl - p->buf->str));

			g_string_erase(p->buf, 0, nl - p->buf->str + 1);
			return line;
		}
		left = (int)(end - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return NULL;
		n = read(p->out, tmp, sizeof(tmp));
		if (n <= 0)
			return NULL;
		g_string_append_len(p->buf, tmp, n);
	}
}

static char *mac_str(const uint8_t m[6])
{
	return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
			       m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* vsw-attack port on @sw, sending from @mac, taking @offloads. */
static void attacker_port(struct peer *p, struct daemon *d, const char *sw,
			  const char *name, const uint8_t *mac, unsigned offloads)
{
	g_autofree char *m = mac_str(mac);
	g_autofree char *o = g_strdup_printf("%u", offloads);
	const char *args[] = { "--switch", sw, "--port", name, "--mac", m,
			       "--offloads", o, NULL };
	g_autofree char *line = NULL;

	attacker_spawn(p, d, "port", args, 0, 0);
	line = peer_read(p, REPLY_MS);
	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, "attached "))
		g_error("vsw-attack port %s on %s: %s", name, sw, line);
	p->name = g_strdup(name);
}

/* A vsw-peer on @sw declaring @mac. */
static void honest(struct peer *p, struct daemon *d, const char *sw, const char *port,
		   int vlan, const uint8_t *mac)
{
	const struct peer_opts o = { .mac = mac };
	g_autofree char *error = NULL;

	if (!peer_start_opts(p, d, sw, port, vlan, &o, &error))
		g_error("peer %s on %s: %s", port, sw, error);
}

/* @p must reply exactly @want to @cmd. */
static void expect_reply(struct peer *p, const char *cmd, const char *want)
{
	g_autofree char *r = peer_cmd(p, "%s", cmd);

	g_assert_cmpstr(r, ==, want);
}

/* expect_reply() with a command built from @fmt. */
static void expect_replyf(struct peer *p, const char *want, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static void expect_replyf(struct peer *p, const char *want, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	va_list ap;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	expect_reply(p, cmd, want);
}

/* Two honest ports (a: MAC_A, b: MAC_B) still talk, both ways. */
static void honest_pair_talks(struct peer *a, struct peer *b)
{
	g_autofree char *ab = frame_hex(MAC_B, MAC_A, 0x88b5, "honest-a-to-b");
	g_autofree char *ba = frame_hex(MAC_A, MAC_B, 0x88b5, "honest-b-to-a");

	peer_send(a, ab);
	expect_frame(b, ab);
	peer_send(b, ba);
	expect_frame(a, ba);
}

/* A control request is still answered (within the harness's bound). */
static void control_answers(struct daemon *d)
{
	g_autoptr(JsonNode) v = ctl_ok(d, "version", NULL);
	g_autoptr(JsonNode) l = ctl_ok(d, "switch-list", NULL);
}

/* CPU seconds (user + system, all threads) @pid has used. */
static double proc_cpu_s(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	unsigned long long ut, st;
	char *p;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	p = strrchr(text, ')');
	g_assert_nonnull(p);
	/* After "pid (comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime (fields 3..15). */
	g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			       &ut, &st), ==, 2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Open fds of @pid. */
static int proc_fds(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	int n = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir))
		n++;
	return n;
}

/* Ports attached to @sw right now. */
static guint ports_on(struct daemon *d, const char *sw)
{
	g_autofree char *args = g_strdup_printf("{\"switch\":\"%s\"}", sw);
	g_autoptr(JsonNode) r = ctl_ok(d, "port-list", args);

	return json_array_get_length(json_object_get_array_member(json_node_get_object(r),
								  "ports"));
}

/* Hex of a @len-byte frame from @src to @dst (ethertype 0x88b5). */
static char *big_frame_hex(const uint8_t dst[6], const uint8_t src[6], size_t len)
{
	GString *s = g_string_new(NULL);

	for (int i = 0; i < 6; i++)
		g_string_append_printf(s, "%02x", dst[i]);
	for (int i = 0; i < 6; i++)
		g_string_append_printf(s, "%02x", src[i]);
	g_string_append(s, "88b5");
	for (size_t i = 14; i < len; i++)
		g_string_append_printf(s, "%02x", (unsigned)(i & 0xff));
	return g_string_free(s, FALSE);
}

/* ------------------------------------------------------------------ */
/* 1. Doorbell fds and shared memory                                   */

/*
 * The attacker makes both doorbell pipe ends it holds blocking, shrinks
 * the pipe the switch kicks it through to one page, asks for a kick on
 * every publish and release and never reads one, writes odd-sized kicks,
 * fills the switch's doorbell pipe until EAGAIN, and never reads its ring
 * or its control connection; a second attacker closes the end it kicks
 * the switch with and goes on sending; a third holds its memfd and tries
 * to shrink, grow and reseal it, punches holes under the switch's feet
 * (ring indices included) and closes both doorbell ends.  Another peer
 * floods them with broadcasts.  The daemon must go on forwarding
 * elsewhere, answer, and stop cleanly on SIGTERM with all of it still in
 * place.
 */
static void test_doorbell_fds(void)
{
	static const uint8_t MAC_Y[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x77 };
	struct daemon d;
	struct peer a, b, s, x, y, f, r;
	g_autofree char *flood = big_frame_hex(BCAST, MAC_F, 1514);
	g_autofree char *rmac = mac_str(MAC_R);
	g_autofree char *ys = frame_hex(MAC_C, MAC_Y, 0x88b5, "no-kick-y-to-s");
	g_autofree char *sy = frame_hex(MAC_Y, MAC_C, 0x88b5, "s-to-y");
	const char *rargs[] = { "--switch", "lab", "--port", "r", "--mac", rmac, NULL };
	g_autofree char *line = NULL, *pipes = NULL, *blk = NULL, *got = NULL;
	long sent = 0, kick_cap = 0, event_cap = 0, fill = 0, ku, kc, eu, ec;
	gint64 y_wake0, y_wake, t_y0, t_y, x_wake, x_muted;
	char how[16] = "";

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	add_switch(&d, "other");
	add_switch(&d, "side");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	honest(&f, &d, "lab", "f", 0, MAC_F);
	honest(&s, &d, "side", "s", 0, MAC_C);
	attacker_port(&x, &d, "lab", "x", MAC_X, 0);
	attacker_port(&y, &d, "side", "y", MAC_Y, 0);
	attacker_spawn(&r, &d, "rawport", rargs, 0, 0);
	line = peer_read(&r, REPLY_MS);
	g_assert_cmpstr(line, ==, "attached r");

	/* Both ends x holds blocking; the switch's kicks get one page, never read. */
	expect_reply(&x, "fds-block", "ok blocking 2");
	g_free(line);
	line = peer_cmd(&x, "pipe-size 0 4096");
	g_assert_cmpint(sscanf(line, "ok %ld %ld", &kick_cap, &event_cap), ==, 2);
	g_assert_cmpint(kick_cap, >=, 4096);
	g_assert_cmpint(event_cap, >=, 4096);
	expect_reply(&x, "arm", "ok");
	/* Kicks no reader counting 8-byte kicks expects. */
	expect_reply(&x, "kick-odd 100", "ok 100");
	/* Its kick pipe full: the switch reads a bounded amount per wakeup. */
	g_free(line);
	line = peer_cmd(&x, "kick-until-eagain 100000000");
	g_assert_cmpint(sscanf(line, "ok %ld %15s", &sent, how), ==, 2);
	g_assert_cmpstr(how, ==, "eagain");
	g_assert_cmpint(sent, >=, (kick_cap - 1024) / 8);	/* less what it had not read yet */
	/* A blocking kick on a full pipe makes x wait (or give up), not the switch. */
	blk = peer_cmd(&x, "kick-blocking 3000");
	g_assert_true(g_str_has_prefix(blk, "ok waited ") || !strcmp(blk, "blocked"));

	/* y closes the end it kicks the switch with, and goes on sending unkicked. */
	expect_reply(&y, "kick-close", "ok");
	t_y0 = now_ms();
	y_wake0 = port_counter(&d, "side", "y", "wakeups");
	expect_replyf(&y, "ok", "send %s", ys);
	expect_frame(&s, ys);	/* served anyway, at the switch's next wakeup */
	peer_send(&s, sy);	/* y still hears the switch */
	g_free(got);
	got = peer_cmd(&y, "recvhdr %d", ARRIVE_MS);
	g_assert_true(g_str_has_prefix(got, "frame "));

	/*
	 * Each frame x sends is consumed, and with NEED_SPACE set the switch
	 * kicks after each: until x's event pipe is full.
	 */
	g_free(line);
	line = peer_cmd(&x, "fill-event 5000");
	g_assert_cmpint(sscanf(line, "ok full %ld", &fill), ==, 1);
	g_assert_cmpint(fill, <=, event_cap / 8);

	/* The memfd is sealed: no shrinking, growing or new seals. */
	expect_reply(&r, "memfd", "shrink EPERM grow EPERM write EPERM seal EPERM punch ok");

	/* Deliver plenty to both: x's ring and pipes fill up. */
	expect_replyf(&f, "ok 5000", "sendn 5000 %s", flood);
	g_free(line);
	line = peer_cmd(&x, "kick-until-eagain 100000000");
	g_assert_true(g_str_has_prefix(line, "ok ") && g_str_has_suffix(line, " eagain"));
	/* Zeroes under the switch's feet, ring indices included; then no doorbells. */
	expect_reply(&r, "punch-all", "ok");
	expect_reply(&r, "close-doorbells", "ok");
	expect_replyf(&f, "ok 2000", "sendn 2000 %s", flood);

	/* Only the attackers paid. */
	g_assert_true(daemon_alive(&d));
	control_answers(&d);
	honest_pair_talks(&a, &b);
	expect_reply(&y, "status 100", "alive");	/* no doorbell is no reset */
	g_assert_cmpint(port_counter(&d, "lab", "x", "drops.ring-full"), >, 0);
	g_assert_cmpint(port_counter(&d, "other", "a", "drops.ring-full"), ==, 0);
	g_assert_cmpint(port_counter(&d, "other", "b", "drops.ring-full"), ==, 0);
	/* y's hung-up doorbell: one wakeup a second (the read that sees it), not a spin. */
	y_wake = port_counter(&d, "side", "y", "wakeups") - y_wake0;
	t_y = now_ms() - t_y0;
	g_assert_cmpint(y_wake, <=, t_y / 1000 + 3);
	x_wake = port_counter(&d, "lab", "x", "wakeups");
	x_muted = port_counter(&d, "lab", "x", "muted");
	g_test_message("x: %ld kicks to EAGAIN (pipe of %ld bytes), blocking kick: %s; "
		       "%" G_GINT64_FORMAT " wakeups, muted %" G_GINT64_FORMAT " times, "
		       "%" G_GINT64_FORMAT " ring-full drops", sent, kick_cap, blk, x_wake,
		       x_muted, port_counter(&d, "lab", "x", "drops.ring-full"));
	g_test_message("y (kick end closed): %" G_GINT64_FORMAT " wakeups in %" G_GINT64_FORMAT
		       " ms", y_wake, t_y);

	/* SIGTERM with all of it in place: a clean exit within the harness bound. */
	daemon_stop(&d);
	pipes = peer_cmd(&x, "pipes");
	g_assert_cmpint(sscanf(pipes, "kick %ld %ld event %ld %ld", &ku, &kc, &eu, &ec), ==, 4);
	/* Its event pipe is full: the switch's later kicks met EAGAIN, it never waited. */
	g_assert_cmpint(ec, ==, event_cap);
	g_assert_cmpint(eu, ==, ec);
	g_test_message("x: %ld kicks from the switch queued unread (pipe full after %ld frames "
		       "it consumed), %ld bytes of its own unread by the switch", eu / 8, fill, ku);

	peer_stop(&x);
	peer_stop(&y);
	peer_stop(&s);
	peer_stop(&r);
	peer_stop(&f);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/*
 * Passing fds: the attacker hands the switch, as SCM_RIGHTS, a TCP socket
 * whose close lingers (SO_LINGER, a FIN that cannot go out), and closes
 * its own copy.  Whoever drops the last reference waits for the linger
 * time: the attacker, if the daemon let go first; else a daemon thread,
 * which must never be the main loop or the data path.  LINGER_S is longer
 * than the harness waits for a reply, so a main loop that waited fails
 * the request that it did not answer.
 */
#define LINGER_S	10
#define PROBE_MS	3000	/* a greeting takes milliseconds; a stuck loop, LINGER_S */

/* Does the kernel refuse descriptors to a socket with SO_PASSRIGHTS off (6.16)? */
static bool kernel_refuses_fds(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char c = 0;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int sv[2], off = 0, e = 0;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
	memset(cbuf, 0, sizeof(cbuf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
	if (setsockopt(sv[1], SOL_SOCKET, 83 /* SO_PASSRIGHTS */, &off, sizeof(off)) == 0 &&
	    sendmsg(sv[0], &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		e = errno;
	close(sv[0]);
	close(sv[1]);
	return e == EPERM;
}

/*
 * Start the daemon; @old_kernel: as on a kernel without SO_PASSRIGHTS
 * (VSWITCHD_TEST_PASS_RIGHTS, net-backend/daemon/closer.c), so that
 * descriptors reach it and its closer threads are what stands.
 */
static void start_for_kernel(struct daemon *d, const char *const *args, bool old_kernel)
{
	if (old_kernel)
		g_setenv("VSWITCHD_TEST_PASS_RIGHTS", "1", TRUE);
	daemon_start(d, args);
	g_unsetenv("VSWITCHD_TEST_PASS_RIGHTS");
}

/*
 * The main loop greets a new connection within @ms.  A connection the
 * daemon refuses (at its limit) is tried again: closed at once, or, while
 * its closer thread is busy, left without a word, so each one is given
 * half a second (a greeting takes milliseconds).
 */
static bool main_loop_answers(struct daemon *d, int ms)
{
	gint64 end = now_ms() + ms;

	while (now_ms() < end) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct pollfd pfd = { fd, POLLIN, 0 };
		char buf[256];
		ssize_t n = -1;
		int left;

		g_strlcpy(sa.sun_path, d->sock, sizeof(sa.sun_path));
		g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
		left = (int)MIN(end - now_ms(), 500);
		if (left > 0 && poll(&pfd, 1, left) > 0)
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		close(fd);
		if (n > 0)
			return true;
		if (n == 0)
			g_usleep(20000);	/* refused, closed at once: again */
	}
	return false;
}

/* Name and wait channel of @pid's thread @comm (for messages). */
static char *thread_wchan(GPid pid, const char *comm)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
	g_autoptr(GDir) tasks = g_dir_open(dir, 0, NULL);
	const char *tid;

	while (tasks && (tid = g_dir_read_name(tasks))) {
		g_autofree char *cp = g_build_filename(dir, tid, "comm", NULL);
		g_autofree char *wp = g_build_filename(dir, tid, "wchan", NULL);
		g_autofree char *c = NULL, *w = NULL;

		if (g_file_get_contents(cp, &c, NULL, NULL) && !strcmp(g_strchomp(c), comm) &&
		    g_file_get_contents(wp, &w, NULL, NULL))
			return g_strdup(w);
	}
	return g_strdup("?");
}

/*
 * @reply is "ok ... close-ms N ...": the descriptor went through.  Return:
 * true if the attacker's own close was quick (the daemon holds the last
 * reference), false if it lingered (the daemon had let go first: the
 * attacker paid).
 */
static bool daemon_holds(const char *reply)
{
	const char *p = strstr(reply, " close-ms ");
	long ms = -1;

	g_assert_true(g_str_has_prefix(reply, "ok "));
	g_assert_nonnull(p);
	g_assert_cmpint(sscanf(p, " close-ms %ld", &ms), ==, 1);
	g_assert_cmpint(ms, >=, 0);
	return ms < 1000 * LINGER_S / 2;
}

/*
 * The daemon holds the last reference to a lingering socket (the closer
 * thread waits on it): for a while the main loop greets and answers, and
 * the pair on @a/@b talks; then every fd it held is closed once the linger
 * time is over (none lost behind the wait).
 */
static void watch_linger(struct daemon *d, struct peer *a, struct peer *b, int fd0,
			const char *what)
{
	g_autofree char *wchan = NULL;
	gint64 end = now_ms() + 2500;
	int peak = 0, fds = 0, rounds = 0;

	while (now_ms() < end) {
		g_assert_true(main_loop_answers(d, PROBE_MS));
		control_answers(d);
		honest_pair_talks(a, b);
		peak = MAX(peak, proc_fds(d->pid) - fd0);
		rounds++;
		g_usleep(50000);
	}
	wchan = thread_wchan(d->pid, "vswitch-closer");
	g_test_message("%s: %d rounds of greeting, requests and frames answered while the "
		       "closer thread waits (wchan %s); %d more daemon fds meanwhile",
		       what, rounds, wchan, peak);
	end = now_ms() + (LINGER_S + 5) * 1000;
	while ((fds = proc_fds(d->pid)) > fd0 && now_ms() < end)
		g_usleep(50000);
	g_assert_cmpint(fds, <=, fd0);
}

/*
 * After @reply ("ok ..."): if the daemon holds the last reference, it must
 * answer while that lingers (watch_linger()); if the attacker's own close
 * lingered, it alone paid, and the daemon answers all the same.
 */
static void check_passed(struct daemon *d, struct peer *a, struct peer *b, int fd0,
			 const char *reply, const char *what)
{
	if (daemon_holds(reply)) {
		watch_linger(d, a, b, fd0, what);
		return;
	}
	g_test_message("%s: the daemon let go first, the attacker's own close lingered (%s)",
		       what, reply);
	g_assert_true(main_loop_answers(d, PROBE_MS));
	control_answers(d);
	honest_pair_talks(a, b);
}

/*
 * linger-prep, then @cmd (a linger-early): again while the attacker's own
 * close lingered (the daemon let go first; rare: it has to accept the
 * connection first), at most 3 times.  Return: the last reply.
 */
static char *pass_early(struct peer *x, const char *cmd)
{
	char *r = NULL;

	for (int i = 0; i < 3; i++) {
		g_free(r);
		expect_reply(x, "linger-prep " G_STRINGIFY(LINGER_S), "ok");
		r = peer_cmd(x, "%s", cmd);
		if (!g_str_has_prefix(r, "ok ") || daemon_holds(r))
			break;
		g_test_message("the attacker's own close lingered, again: %s", r);
	}
	return r;
}

/*
 * A pipe carries no descriptors: nothing the attacker passes on either
 * end of its doorbells reaches the switch, and its doorbell still works.
 */
static void test_fd_passing_doorbell(void)
{
	struct daemon d;
	struct peer a, b, c, x;
	g_autofree char *xc = frame_hex(MAC_C, MAC_X, 0x88b5, "x-after-the-attempt");

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	add_switch(&d, "other");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	honest(&c, &d, "lab", "c", 0, MAC_C);
	attacker_port(&x, &d, "lab", "x", MAC_X, 0);
	expect_reply(&x, "linger-prep " G_STRINGIFY(LINGER_S), "ok");
	expect_reply(&x, "linger-pass kick", "err ENOTSOCK");
	expect_reply(&x, "linger-prep " G_STRINGIFY(LINGER_S), "ok");
	expect_reply(&x, "linger-pass event", "err ENOTSOCK");
	/* Nothing froze, and x's doorbell and ring still work. */
	g_assert_true(main_loop_answers(&d, PROBE_MS));
	control_answers(&d);
	honest_pair_talks(&a, &b);
	expect_replyf(&x, "ok", "send %s", xc);
	expect_frame(&c, xc);
	expect_reply(&x, "status 100", "alive");
	peer_stop(&x);
	peer_stop(&c);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/*
 * On the control connection: where the kernel has SO_PASSRIGHTS, the
 * daemon turns it off on every connection it accepts, and the attacker's
 * sendmsg() fails (EPERM); where it has not, the descriptor arrives and
 * the daemon's main loop and data path must not be the ones that wait.
 * Either way, a connection that passes it before the daemon accepted it
 * (so before it could refuse) gets it there: the main loop and the data
 * path go on answering while it lingers, and SIGTERM still exits cleanly
 * while a close lingers.
 */
static void fd_passing_control(bool old_kernel)
{
	struct daemon d;
	struct peer a, b, c, x;
	g_autofree char *r = NULL, *xc = frame_hex(MAC_C, MAC_X, 0x88b5, "x-still-here");
	bool refuses = !old_kernel && kernel_refuses_fds();
	int fd0;

	start_for_kernel(&d, NULL, old_kernel);
	add_switch(&d, "lab");
	add_switch(&d, "other");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	honest(&c, &d, "lab", "c", 0, MAC_C);
	attacker_port(&x, &d, "lab", "x", MAC_X, 0);
	g_test_message("kernel refuses descriptors with SO_PASSRIGHTS off: %s",
		       refuses ? "yes" : "no");

	/* On its established connection. */
	fd0 = proc_fds(d.pid);
	expect_reply(&x, "linger-prep " G_STRINGIFY(LINGER_S), "ok");
	r = peer_cmd(&x, "linger-pass ctrl");
	if (refuses) {
		g_assert_cmpstr(r, ==, "err EPERM");
		/* The refusal cost x nothing either: its connection and ring still serve. */
		expect_reply(&x, "status 100", "alive");
		expect_replyf(&x, "ok", "send %s", xc);
		expect_frame(&c, xc);
	} else {
		gint64 end = now_ms() + 5000;

		/*
		 * Read at once: the daemon takes it, turns its lingering off
		 * and closes it on a closer thread; and x, which broke the
		 * protocol, loses its connection and with it its port.
		 */
		check_passed(&d, &a, &b, fd0, r, "passed on the control connection");
		while (port_counter(&d, "lab", "x", "rx-packets") >= 0 && now_ms() < end)
			g_usleep(50000);
		g_assert_cmpint(port_counter(&d, "lab", "x", "rx-packets"), ==, -1);
	}

	/* Before the daemon accepted the connection. */
	fd0 = proc_fds(d.pid);
	g_free(r);
	r = pass_early(&x, "linger-early 1000");
	g_test_message("passed before accept: %s", r);
	if (g_str_has_prefix(r, "err EPERM")) {
		/* The daemon refuses descriptors on its listening socket already. */
		g_assert_true(refuses);
	} else {
		g_assert_true(g_str_has_suffix(r, " greeted"));
		check_passed(&d, &a, &b, fd0, r, "passed before accept");
	}

	/* SIGTERM while a close lingers: a clean exit within the harness bound. */
	g_free(r);
	r = pass_early(&x, "linger-early 1000");
	g_assert_true(g_str_has_prefix(r, "ok ") || (refuses && g_str_has_prefix(r, "err EPERM")));
	daemon_stop(&d);

	peer_stop(&x);
	peer_stop(&c);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

static void test_fd_passing_control(void)
{
	fd_passing_control(false);
}

/* What Debian 12's kernel (6.1, no SO_PASSRIGHTS) lets through. */
static void test_fd_passing_control_old_kernel(void)
{
	fd_passing_control(true);
}

/*
 * The same, on a connection the daemon refuses (at --max-connections):
 * it passes the lingering socket before the daemon accepts it, and the
 * daemon, over its limit, closes it at once, its unread message with it.
 * That close must not be done by the main loop.
 */
#define MAX_CONNS	4	/* a and b hold two; the attacker the rest */

static void fd_passing_refused(bool old_kernel)
{
	const char *args[] = { "--max-connections", G_STRINGIFY(MAX_CONNS), NULL };
	struct daemon d;
	struct peer a, b, k;
	g_autofree char *r = NULL, *want = NULL;
	int fd0;

	start_for_kernel(&d, args, old_kernel);
	add_switch(&d, "other");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	fd0 = proc_fds(d.pid);
	attacker_spawn(&k, &d, "conn", NULL, 0, 0);
	want = g_strdup_printf("opened %d refused 1", MAX_CONNS - 2);
	expect_reply(&k, "open 1000 0", want);
	r = pass_early(&k, "linger-early 1000");
	g_test_message("passed on a connection the daemon refuses: %s", r);
	if (g_str_has_prefix(r, "err EPERM")) {
		/* Refused by the kernel already (the listening socket refuses them). */
		g_assert_true(!old_kernel && kernel_refuses_fds());
	} else {
		g_assert_true(g_str_has_suffix(r, " closed"));	/* refused, as it should */
		if (!daemon_holds(r))
			g_test_message("the daemon let go first: the attacker paid");
	}
	/* The attacker gives its connections back: the daemon can greet again. */
	expect_reply(&k, "close", "ok");
	/* The refused connection's close lingers on a closer thread, not here. */
	g_assert_true(main_loop_answers(&d, PROBE_MS));
	honest_pair_talks(&a, &b);
	control_answers(&d);
	honest_pair_talks(&a, &b);
	{
		gint64 end = now_ms() + (LINGER_S + 5) * 1000;
		int fds;

		while ((fds = proc_fds(d.pid)) > fd0 && now_ms() < end)
			g_usleep(50000);
		g_assert_cmpint(fds, <=, fd0);
	}
	peer_stop(&k);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

static void test_fd_passing_refused(void)
{
	fd_passing_refused(false);
}

static void test_fd_passing_refused_old_kernel(void)
{
	fd_passing_refused(true);
}

/* ------------------------------------------------------------------ */
/* 2. GSO amplification                                                */

/*
 * A 64 KiB TSO frame: IPv4 total length 65535, TCP header 20 bytes, so
 * 65495 payload bytes; NEEDS_CSUM at the TCP checksum (34, 16).
 */
#define TSO_PAYLOAD	65495
#define TSO_ARGS	"tcp4 65495 flags=1 gso=1"

static void test_gso_amplification(void)
{
	struct daemon d;
	struct peer a, b, x, r, x2, q[6];
	g_autofree char *rmac = mac_str(MAC_R);
	g_autofree char *segs = NULL, *burst = NULL, *want = NULL;
	long total = 0;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	add_switch(&d, "other");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	attacker_port(&x, &d, "lab", "x", MAC_X, 0);
	attacker_port(&r, &d, "lab", "r", MAC_R, 0);	/* takes no offloads */
	expect_replyf(&x, "ok", "dst %s", rmac);

	/* gso_size 1: 65495 segments asked for; refused, counted, nothing out. */
	expect_reply(&x, TSO_ARGS " gsz=1", "ok 1");
	wait_counter(&d, "lab", "x", "drops.bad-offload", 1, 5000);
	expect_reply(&r, "segs 300", "segs 0 payload 0 maxlen 0 bad 0 offl 0");
	g_assert_cmpint(port_counter(&d, "lab", "r", "tx-packets"), ==, 0);

	/* gso_size 88 (the TCP floor): ceil(65495 / 88) = 745 good segments. */
	want = g_strdup_printf("segs %d payload %d maxlen %d bad 0 offl 0",
			       (TSO_PAYLOAD + 87) / 88, TSO_PAYLOAD, 14 + 20 + 20 + 88);
	expect_reply(&x, TSO_ARGS " gsz=88", "ok 1");
	expect_reply(&r, "segs 2000", want);
	/* Without NEEDS_CSUM and with a wrong checksum: computed from scratch. */
	expect_reply(&x, "tcp4 65495 gso=1 gsz=88 csum=bad", "ok 1");
	expect_reply(&r, "segs 2000", want);
	g_assert_cmpint(port_counter(&d, "lab", "x", "drops.bad-offload"), ==, 1);

	/* 200 of them (149000 segments) at a receiver that stops reading, meanwhile ... */
	peer_write(&x, TSO_ARGS " gsz=88 n=200");
	for (int i = 0; i < 10; i++)
		honest_pair_talks(&a, &b);	/* ... the pair elsewhere keeps talking */
	burst = peer_read(&x, REPLY_MS);
	g_assert_cmpstr(burst, ==, "ok 200");
	honest_pair_talks(&a, &b);
	g_assert_cmpint(port_counter(&d, "lab", "r", "drops.ring-full"), >, 0);
	g_assert_cmpint(port_counter(&d, "lab", "x", "drops.over-budget"), ==, 0);

	/*
	 * A broadcast one to six ports without offloads: 6 * 745 segments
	 * asked for, but one frame may cost at most FRAME_COST_MAX: the rest
	 * is dropped and counted on the sender.
	 */
	add_switch(&d, "amp");
	attacker_port(&x2, &d, "amp", "x2", MAC_X, 0);
	for (int i = 0; i < 6; i++) {
		g_autofree char *name = g_strdup_printf("q%d", i);
		uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x00, 0x01, (uint8_t)i };

		honest(&q[i], &d, "amp", name, 0, mac);
	}
	expect_reply(&x2, TSO_ARGS " gsz=88", "ok 1");
	for (int i = 0; i < 6; i++) {
		g_autofree char *c = peer_cmd(&q[i], "count 1000");
		long n;

		g_assert_cmpint(sscanf(c, "count %ld", &n), ==, 1);
		g_assert_cmpint(n, <=, (TSO_PAYLOAD + 87) / 88);
		total += n;
	}
	g_assert_cmpint(total, ==, FRAME_COST_MAX - 1);
	g_assert_cmpint(port_counter(&d, "amp", "x2", "drops.over-budget"), ==, 1);
	honest_pair_talks(&a, &b);
	g_test_message("broadcast TSO frame: %ld of %d segments written, the rest over budget",
		       total, 6 * ((TSO_PAYLOAD + 87) / 88));

	for (int i = 0; i < 6; i++)
		peer_stop(&q[i]);
	peer_stop(&x2);
	peer_stop(&x);
	peer_stop(&r);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* 3. Offload metadata                                                 */

/*
 * What a receiver that takes every offload sees of a sender's virtio-net
 * header: only NEEDS_CSUM survives, at the frame's own L4 checksum;
 * hdr_len is rebuilt from the headers; gso_size and gso_type pass only
 * when the headers agree with them.  recvhdr prints: LEN FLAGS GSO_TYPE
 * HDR_LEN GSO_SIZE CSUM_START CSUM_OFFSET NUM_BUFFERS csum=STATE.
 */
static const struct {
	const char *send;
	const char *got;
} rebuilt[] = {
	/* DATA_VALID on a bad checksum: dropped from the header, the bad sum stays */
	{ "tcp4 100 flags=2 csum=bad", "frame 154 0 0 0 0 0 0 0 csum=bad" },
	/* unknown flag bits */
	{ "tcp4 100 flags=0xfc", "frame 154 0 0 0 0 0 0 0 csum=good" },
	{ "tcp4 100 flags=0xff", "frame 154 1 0 0 0 34 16 0 csum=partial" },
	/* GSO fields and num_buffers on a frame without GSO */
	{ "tcp4 100 flags=1 hdr=999 gsz=1234 nb=0xffff", "frame 154 1 0 0 0 34 16 0 csum=partial" },
	/* lying hdr_len */
	{ "tcp4 4000 flags=1 gso=1 gsz=1448 hdr=0xffff", "frame 4054 1 1 54 1448 34 16 0 csum=partial" },
	{ "tcp4 4000 flags=3 gso=1 gsz=1448 hdr=20", "frame 4054 1 1 54 1448 34 16 0 csum=partial" },
	{ "tcp4 4000 flags=1 gso=1 gsz=1448 doff=8 hdr=54", "frame 4066 1 1 66 1448 34 16 0 csum=partial" },
	{ "tcp4 4000 flags=1 gso=0x81 gsz=1448 hdr=1", "frame 4054 1 129 54 1448 34 16 0 csum=partial" },
	/* NEEDS_CSUM away from the L4 checksum: done in software, no DATA_VALID */
	{ "udp4 100 flags=1 cs=50 co=0 csum=good", "frame 142 0 0 0 0 0 0 0 " },
	{ "udp4 100 flags=3 cs=50 co=0 csum=good", "frame 142 0 0 0 0 0 0 0 " },
};

/* Contradictions: dropped, counted as bad-offload, nothing delivered. */
static const char *const contradictions[] = {
	"tcp4 4000 flags=1 gso=4 gsz=1448",		/* TCPV6 on IPv4 */
	"udp4 4000 flags=1 gso=1 gsz=1448",		/* TCPV4 on UDP */
	"tcp4 4000 flags=1 gso=5 gsz=1448",		/* UDP_L4 on TCP */
	"tcp4 4000 flags=1 gso=3 gsz=1448",		/* UFO on TCP */
	"udp4 4000 flags=1 gso=0x83 gsz=1448",		/* ECN with UFO */
	"tcp4 4000 flags=1 gso=2 gsz=1448",		/* unknown GSO type */
	"tcp4 4000 flags=1 gso=1 gsz=1448 cs=14 co=10",	/* GSO, NEEDS_CSUM on the IP header */
	"tcp4 4000 flags=1 gso=1 gsz=1448 totlie=100",	/* IPv4 length beyond the frame */
	"tcp4 4000 flags=1 gso=1 gsz=0xffff",		/* GSO_BY_FRAGS */
	"tcp4 4000 flags=1 gso=1 gsz=87",		/* below the TCP floor */
	"tcp4 100 flags=1 cs=150 co=16",		/* checksum field past the end */
	"tcp4 100 flags=1 cs=4 co=0",			/* checksum inside the MAC header */
};

static void test_offload_metadata(void)
{
	struct daemon d;
	struct peer a, b, x, r;
	g_autofree char *rmac = mac_str(MAC_R);

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	add_switch(&d, "other");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	attacker_port(&x, &d, "lab", "x", MAC_X, 0);
	attacker_port(&r, &d, "lab", "r", MAC_R, 127);	/* takes every offload */
	expect_replyf(&x, "ok", "dst %s", rmac);

	for (size_t i = 0; i < G_N_ELEMENTS(rebuilt); i++) {
		g_autofree char *got = NULL;

		expect_reply(&x, rebuilt[i].send, "ok 1");
		got = peer_cmd(&r, "recvhdr %d", ARRIVE_MS);
		if (!g_str_has_prefix(got, rebuilt[i].got))
			g_error("'%s' arrived as '%s', expected '%s'", rebuilt[i].send, got,
				rebuilt[i].got);
	}
	g_assert_cmpint(port_counter(&d, "lab", "x", "drops.bad-offload"), ==, 0);

	for (size_t i = 0; i < G_N_ELEMENTS(contradictions); i++) {
		expect_reply(&x, contradictions[i], "ok 1");
		wait_counter(&d, "lab", "x", "drops.bad-offload", (gint64)i + 1, 5000);
	}
	/* None got through: the next frame r sees is the next good one. */
	expect_reply(&x, "tcp4 100", "ok 1");
	expect_reply(&r, "recvhdr 3000", "frame 154 0 0 0 0 0 0 0 csum=good");
	g_assert_cmpint(port_counter(&d, "lab", "r", "tx-packets"),
			==, G_N_ELEMENTS(rebuilt) + 1);
	honest_pair_talks(&a, &b);

	peer_stop(&x);
	peer_stop(&r);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* 4. Reset/close churn                                                */

#define CHURN_ROUNDS	200

static void test_reset_close_churn(void)
{
	struct daemon d;
	struct peer a, b;
	g_autofree char *rounds = g_strdup_printf("%d", CHURN_ROUNDS);
	g_autofree char *out = NULL, *errs = NULL, *want = NULL;
	const char *argv[] = { attack_bin, "churn", "--socket", NULL, "--switch", "lab",
			       "--rounds", rounds, NULL };
	double cpu0, cpu;
	int fd0, fds = 0, status;
	gint64 end;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	add_switch(&d, "other");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	honest_pair_talks(&a, &b);
	fd0 = proc_fds(d.pid);
	cpu0 = proc_cpu_s(d.pid);

	argv[3] = d.sock;
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, die_with_parent, NULL,
				   &out, &errs, &status, NULL));
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("vsw-attack churn: %s %s", out, errs);
	want = g_strdup_printf("ok %d attached %d resets ", CHURN_ROUNDS, CHURN_ROUNDS);
	g_assert_true(g_str_has_prefix(out, want));

	/* Every connection and port of the attacker is gone: fds back to the baseline. */
	end = now_ms() + 5000;
	while (now_ms() < end && ((fds = proc_fds(d.pid)) > fd0 || ports_on(&d, "lab")))
		g_usleep(20000);
	cpu = proc_cpu_s(d.pid) - cpu0;
	g_test_message("churn: %s; daemon fds %d before, %d after; %.2f CPU s",
		       g_strchomp(out), fd0, fds, cpu);
	g_assert_cmpint(fds, <=, fd0);
	g_assert_cmpuint(ports_on(&d, "lab"), ==, 0);
	/* A daemon spinning on a dead port would burn all of the loop's time. */
	g_assert_cmpfloat(cpu, <, 2.0);
	honest_pair_talks(&a, &b);
	control_answers(&d);
	/* Nor does the attacker fill the log: one line per reset at most 10 per 10 s. */
	{
		g_autofree char *log = NULL;
		unsigned lines = 0;

		g_assert_true(g_file_get_contents(d.log, &log, NULL, NULL));
		for (const char *p = log; (p = strstr(p, "resetting port")); p++)
			lines++;
		g_test_message("churn: %u reset lines in the log for %d resets", lines,
			       CHURN_ROUNDS);
		g_assert_cmpuint(lines, >=, 1);
		g_assert_cmpuint(lines, <=, 20);
	}

	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* 5. Connection flood                                                 */

static void test_connection_flood(void)
{
	const char *args[] = { "--socket-group", NULL, "--max-connections-per-user", "16",
			       "--idle-timeout", "2", NULL };
	struct daemon d;
	struct peer c, a, b;
	double cpu0, cpu;

	if (!need_root())
		return;
	args[1] = nobody_group();
	daemon_start(&d, args);
	daemon_open_dir(&d);
	add_switch(&d, "other");
	honest(&a, &d, "other", "a", 0, MAC_A);
	honest(&b, &d, "other", "b", 0, MAC_B);
	cpu0 = proc_cpu_s(d.pid);

	attacker_spawn(&c, &d, "conn", NULL, NOBODY, NOBODY);
	/* 16 connections, each with half a request: the 17th is closed at once. */
	expect_reply(&c, "open 1000 1", "opened 16 refused 1");
	/* An administrator is not counted: it connects and is served. */
	control_answers(&d);
	honest_pair_talks(&a, &b);
	/* More attempts cost the daemon an accept and a close each, nothing more. */
	expect_reply(&c, "hammer 500", "hammer 500 greeted 0 refused 500");
	/* Nothing complete for --idle-timeout: all closed, and the quota is free again. */
	expect_reply(&c, "await-close 10000", "closed 16 of 16");
	expect_reply(&c, "open 1000 0", "opened 16 refused 1");
	expect_reply(&c, "await-close 10000", "closed 16 of 16");
	cpu = proc_cpu_s(d.pid) - cpu0;
	/* Not a spin: an accept and a close per refusal, a timer per idle connection. */
	g_assert_cmpfloat(cpu, <, 1.0);
	/*
	 * A client that sends requests and reads no reply is dropped once
	 * its unread replies pass a bound (the daemon's work is the requests'
	 * own: it is not bounded here).
	 */
	{
		g_autofree char *r = peer_cmd(&c, "noread 100000000");
		long sent = 0;

		g_assert_cmpint(sscanf(r, "disconnected %ld", &sent), ==, 1);
		g_test_message("connection flood: %.2f CPU s; a client reading no reply "
			       "dropped after %ld bytes of requests (%.2f CPU s)", cpu, sent,
			       proc_cpu_s(d.pid) - cpu0 - cpu);
	}
	g_assert_true(daemon_alive(&d));
	control_answers(&d);
	honest_pair_talks(&a, &b);

	peer_stop(&c);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/* A user's clients attach at most --max-ports-per-user ports; others are not affected. */
static void test_port_quota(void)
{
	const char *args[] = { "--socket-group", NULL, "--max-ports-per-user", "3", NULL };
	struct daemon d;
	struct peer p[4], a, b;

	if (!need_root())
		return;
	args[1] = nobody_group();
	daemon_start(&d, args);
	daemon_open_dir(&d);
	add_switch(&d, "lab");
	for (int i = 0; i < 4; i++) {
		g_autofree char *name = g_strdup_printf("n%d", i);
		g_autofree char *mac = g_strdup_printf("52:54:00:00:02:%02x", i);
		const char *pargs[] = { "--switch", "lab", "--port", name, "--mac", mac, NULL };
		g_autofree char *line = NULL;

		attacker_spawn(&p[i], &d, "port", pargs, NOBODY, NOBODY);
		line = peer_read(&p[i], REPLY_MS);
		g_assert_nonnull(line);
		if (i < 3)
			g_assert_true(g_str_has_prefix(line, "attached "));
		else
			g_assert_nonnull(strstr(line, "max-ports-per-user"));
	}
	g_assert_cmpuint(ports_on(&d, "lab"), ==, 3);
	/* Administrators are not counted. */
	honest(&a, &d, "lab", "a", 0, MAC_A);
	honest(&b, &d, "lab", "b", 0, MAC_B);
	honest_pair_talks(&a, &b);
	/* A port given back is a port free again. */
	peer_stop(&p[0]);
	peer_stop(&p[3]);
	{
		const char *pargs[] = { "--switch", "lab", "--port", "n4", NULL };
		g_autofree char *line = NULL;
		gint64 end = now_ms() + 5000;

		while (ports_on(&d, "lab") != 2 && now_ms() < end)
			g_usleep(10000);
		attacker_spawn(&p[0], &d, "port", pargs, NOBODY, NOBODY);
		line = peer_read(&p[0], REPLY_MS);
		g_assert_nonnull(line);
		g_assert_true(g_str_has_prefix(line, "attached "));
	}
	for (int i = 0; i < 3; i++)
		peer_stop(&p[i]);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* 6. The socket's permission window                                   */

/*
 * vswitchd started with umask 000 (and no --socket-group) while uid
 * NOBODY hammers connect() on the socket path from before the daemon
 * starts until it serves: no connect ever gets through, and the socket
 * is 0600 (the state 0700/0600) from the start.
 */
static void test_socket_permission_window(void)
{
	struct daemon d = { 0 };
	struct peer probe;
	g_autoptr(GError) err = NULL;
	g_autofree char *line = NULL, *conf = NULL;
	long attempts, connected, enoent, eacces, refused, other;
	const char *argv[] = { vswitchd_bin, "--socket", NULL, "--state-dir", NULL, NULL };
	struct stat st;
	int logfd;

	if (!need_root())
		return;
	d.dir = g_dir_make_tmp("vsw-test-XXXXXX", NULL);
	g_assert_nonnull(d.dir);
	d.sock = g_build_filename(d.dir, "vswitchd.sock", NULL);
	d.state = g_build_filename(d.dir, "state", NULL);
	d.log = g_build_filename(d.dir, "vswitchd.log", NULL);
	daemon_open_dir(&d);	/* the prober must reach the path, not fail on the directory */

	attacker_spawn(&probe, &d, "probe", NULL, NOBODY, 0);
	line = peer_read(&probe, REPLY_MS);
	g_assert_cmpstr(line, ==, "ready");

	argv[2] = d.sock;
	argv[4] = d.state;
	logfd = open(d.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	g_assert_cmpint(logfd, >=, 0);
	{
		mode_t old = umask(0);	/* inherited by the daemon */

		g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, NULL,
						     G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
						     NULL, &d.pid, -1, logfd, logfd, &err));
		umask(old);
	}
	close(logfd);
	/* Ready when it answers (not merely listens). */
	for (gint64 end = now_ms() + 5000;; g_usleep(5000)) {
		g_autofree char *log = NULL;
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool up;

		g_strlcpy(sa.sun_path, d.sock, sizeof(sa.sun_path));
		up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (up)
			break;
		if (now_ms() > end || waitpid(d.pid, NULL, WNOHANG) == d.pid) {
			g_file_get_contents(d.log, &log, NULL, NULL);
			g_error("vswitchd did not start: %s", log ? log : "");
		}
	}
	control_answers(&d);
	add_switch(&d, "lab");	/* the state file gets written under umask 000 too */
	g_usleep(100 * 1000);
	peer_write(&probe, "stop");
	g_free(line);
	line = peer_read(&probe, REPLY_MS);
	g_assert_nonnull(line);
	g_assert_cmpint(sscanf(line, "attempts %ld connected %ld enoent %ld eacces %ld "
			       "refused %ld other %ld", &attempts, &connected, &enoent,
			       &eacces, &refused, &other), ==, 6);
	g_test_message("probe as uid %d: %s", NOBODY, line);
	g_assert_cmpint(connected, ==, 0);
	g_assert_cmpint(eacces, >, 0);		/* it did race the socket into being */
	g_assert_cmpint(other, ==, 0);

	g_assert_cmpint(lstat(d.sock, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	g_assert_cmpint(stat(d.state, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0700);
	conf = g_build_filename(d.state, "vswitchd.conf", NULL);
	g_assert_cmpint(stat(conf, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);

	peer_stop(&probe);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* 7. Doorbell spam                                                    */

#define WAKEUPS_PER_S	1000

/*
 * The attacker writes kicks into its doorbell pipe as fast as it can: the
 * switch reads up to 512 bytes a wakeup and, past --wakeups-per-s in a
 * second, stops listening to it until the next one (muted); its ring is
 * still served, and nobody else is muted.
 */
static void test_doorbell_spam(void)
{
	const char *args[] = { "--wakeups-per-s", G_STRINGIFY(WAKEUPS_PER_S), NULL };
	struct daemon d;
	struct peer x, b, a2, b2;
	g_autofree char *to_b = frame_hex(MAC_B, MAC_X, 0x88b5, "through-the-noise");
	g_autofree char *r = NULL, *cnt = NULL, *want = NULL;
	gint64 t0, t1, wakeups, muted, buckets;
	long kicks, frames, tried;

	daemon_start(&d, args);
	add_switch(&d, "lab");
	add_switch(&d, "other");
	honest(&a2, &d, "other", "a", 0, MAC_A);
	honest(&b2, &d, "other", "b", 0, MAC_B);
	honest(&b, &d, "lab", "b", 0, MAC_B);
	t0 = now_ms();
	attacker_port(&x, &d, "lab", "x", MAC_X, 0);

	/* Kicks as fast as it can for 2 s, and a real frame every 100 ms. */
	r = peer_cmd(&x, "kick-flood 2000 100 %s", to_b);
	g_assert_cmpint(sscanf(r, "ok %ld %ld %ld", &kicks, &frames, &tried), ==, 3);
	g_assert_cmpint(frames, >=, 10);
	/* Muted, its ring is still served: every frame arrived. */
	cnt = peer_cmd(&b, "count %d", 1000);
	want = g_strdup_printf("count %ld", frames);
	g_assert_cmpstr(cnt, ==, want);

	wakeups = port_counter(&d, "lab", "x", "wakeups");
	muted = port_counter(&d, "lab", "x", "muted");
	t1 = now_ms();
	/* Wakeups are counted per second of the monotonic clock: seconds touched. */
	buckets = (t1 - t0) / 1000 + 2;
	g_test_message("doorbell spam: %ld kick writes in 2 s, %ld into the pipe (the others "
		       "met it full) -> %" G_GINT64_FORMAT " wakeups, muted %" G_GINT64_FORMAT
		       " times, over %" G_GINT64_FORMAT " ms", tried, kicks, wakeups, muted,
		       t1 - t0);
	g_assert_cmpint(muted, >, 0);
	g_assert_cmpint(wakeups, <=, (WAKEUPS_PER_S + 1) * buckets);
	g_assert_cmpint(port_counter(&d, "lab", "b", "muted"), ==, 0);
	honest_pair_talks(&a2, &b2);
	peer_send(&x, to_b);
	expect_frame(&b, to_b);

	peer_stop(&x);
	peer_stop(&b);
	peer_stop(&a2);
	peer_stop(&b2);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* 8. kill -9 during configuration changes                             */

enum op_kind { OP_ADD, OP_REMOVE, OP_PROVISION };

struct op {
	enum op_kind kind;
	char *sw;
	char *port;
	bool acked;
};

static void op_free(gpointer data)
{
	struct op *o = data;

	g_free(o->sw);
	g_free(o->port);
	g_free(o);
}

static struct op *op_new(GPtrArray *ops, enum op_kind kind, const char *sw, const char *port)
{
	struct op *o = g_new0(struct op, 1);

	o->kind = kind;
	o->sw = g_strdup(sw);
	o->port = g_strdup(port);
	g_ptr_array_add(ops, o);
	return o;
}

/* Was switch @sw removed by an op sent after op @i? */
static bool removed_after(GPtrArray *ops, guint i, const char *sw)
{
	for (guint k = i + 1; k < ops->len; k++) {
		const struct op *o = ops->pdata[k];

		if (o->kind == OP_REMOVE && !strcmp(o->sw, sw))
			return true;
	}
	return false;
}

static bool state_has_tmp(const char *state, char **which)
{
	g_autoptr(GDir) dir = g_dir_open(state, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		if (g_str_has_suffix(name, ".tmp") ||
		    (g_str_has_prefix(name, "vswitchd.conf.") && strlen(name) == 20) ||
		    (g_str_has_prefix(name, "nat-leases.") && strlen(name) == 17)) {
			if (which)
				*which = g_strdup(name);
			return true;
		}
	}
	return false;
}

/* Every acknowledged change is in the running daemon's configuration. */
static void check_acked(struct daemon *d, GPtrArray *ops)
{
	g_autoptr(JsonNode) sl = ctl_ok(d, "switch-list", NULL);
	g_autoptr(JsonNode) pl = ctl_ok(d, "port-provisioned", NULL);
	JsonArray *sws = json_object_get_array_member(json_node_get_object(sl), "switches");
	JsonArray *ps = json_object_get_array_member(json_node_get_object(pl), "ports");
	g_autoptr(GHashTable) have = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) prov = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < json_array_get_length(sws); i++)
		g_hash_table_add(have, g_strdup(json_object_get_string_member(
			json_array_get_object_element(sws, i), "name")));
	for (guint i = 0; i < json_array_get_length(ps); i++) {
		JsonObject *p = json_array_get_object_element(ps, i);

		g_hash_table_add(prov, g_strdup_printf("%s/%s",
			json_object_get_string_member(p, "switch"),
			json_object_get_string_member(p, "name")));
	}
	for (guint i = 0; i < ops->len; i++) {
		const struct op *o = ops->pdata[i];
		g_autofree char *key = NULL;

		if (!o->acked)
			continue;
		switch (o->kind) {
		case OP_ADD:
			if (!removed_after(ops, i, o->sw) && !g_hash_table_contains(have, o->sw))
				g_error("acknowledged switch-add %s lost", o->sw);
			break;
		case OP_REMOVE:
			if (g_hash_table_contains(have, o->sw))
				g_error("acknowledged switch-remove %s undone", o->sw);
			break;
		case OP_PROVISION:
			key = g_strdup_printf("%s/%s", o->sw, o->port);
			if (!removed_after(ops, i, o->sw) && !g_hash_table_contains(prov, key))
				g_error("acknowledged port-provision %s lost", key);
			break;
		}
	}
}

/* Read every reply the dead daemon got out; mark those that succeeded. */
static void collect_acks(int fd, GPtrArray *ops, guint first_id)
{
	g_autoptr(GString) in = g_string_new(NULL);
	char buf[65536];
	char *line, *nl;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, 5000) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		g_string_append_len(in, buf, n);
	}
	line = in->str;
	while ((nl = strchr(line, '\n'))) {
		g_autoptr(JsonNode) node = NULL;
		JsonObject *o;

		*nl = 0;
		node = json_from_string(line, NULL);
		line = nl + 1;
		if (!node || !JSON_NODE_HOLDS_OBJECT(node))
			continue;
		o = json_node_get_object(node);
		if (json_object_has_member(o, "id") && json_object_has_member(o, "return")) {
			gint64 id = json_object_get_int_member(o, "id");

			g_assert_cmpint(id, >=, first_id);
			g_assert_cmpint(id, <, ops->len);
			((struct op *)ops->pdata[id])->acked = true;
		}
	}
}

#define KILL_ROUNDS	50

static void test_kill9_during_config(void)
{
	const char *args[] = { "--mac-capacity", "16", NULL };
	g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func(op_free);
	struct daemon d;
	int tmp_seen = 0, acked = 0;

	daemon_start(&d, args);
	for (int round = 0; round < KILL_ROUNDS; round++) {
		g_autoptr(GString) req = g_string_new(NULL);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		guint first = ops->len;
		g_autofree char *left = NULL;
		size_t off = 0;
		int fd, status;

		/* This round's requests, pipelined on one connection. */
		for (int k = 0; k < 4; k++) {
			g_autofree char *sw = g_strdup_printf("r%dk%d", round, k);
			g_autofree char *port = g_strdup_printf("p%d", round);

			op_new(ops, OP_ADD, sw, NULL);
			g_string_append_printf(req, "{\"execute\":\"switch-add\",\"arguments\":"
					       "{\"name\":\"%s\"},\"id\":%u}\n", sw, ops->len - 1);
			op_new(ops, OP_PROVISION, sw, port);
			g_string_append_printf(req, "{\"execute\":\"port-provision\",\"arguments\":"
					       "{\"switch\":\"%s\",\"port\":\"%s\",\"vlan\":%d},"
					       "\"id\":%u}\n", sw, port, round + 1, ops->len - 1);
		}
		for (int k = 0; round && k < 3; k++) {
			g_autofree char *sw = g_strdup_printf("r%dk%d", round - 1, k);

			op_new(ops, OP_REMOVE, sw, NULL);
			g_string_append_printf(req, "{\"execute\":\"switch-remove\",\"arguments\":"
					       "{\"name\":\"%s\"},\"id\":%u}\n", sw, ops->len - 1);
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		g_strlcpy(sa.sun_path, d.sock, sizeof(sa.sun_path));
		g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
		while (off < req->len) {
			ssize_t n = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL);

			g_assert_cmpint(n, >, 0);
			off += (size_t)n;
		}
		/* A random moment: before, during or after the saves. */
		if (g_test_rand_int_range(0, 4))
			g_usleep((gulong)g_test_rand_int_range(0, 40) * 1000);
		kill(d.pid, SIGKILL);
		g_assert_cmpint(waitpid(d.pid, &status, 0), ==, d.pid);
		g_assert_true(WIFSIGNALED(status));
		d.pid = 0;
		collect_acks(fd, ops, first);
		close(fd);
		if (state_has_tmp(d.state, &left)) {
			tmp_seen++;
			g_test_message("round %d: killed with %s in the state directory", round, left);
		}
		/* Now and then, what an older version's interrupted save left. */
		if (round % 10 == 5) {
			g_autofree char *old = g_build_filename(d.state, "vswitchd.conf.Xy12Z9", NULL);
			g_autofree char *lt = g_build_filename(d.state, "nat-leases.tmp", NULL);

			g_assert_true(g_file_set_contents(old, "[switch:junk\n", -1, NULL));
			g_assert_true(g_file_set_contents(lt, "junk", -1, NULL));
		}

		daemon_restart(&d, args);	/* fails the test if the state does not load */
		g_assert_false(state_has_tmp(d.state, NULL));
		check_acked(&d, ops);
	}
	for (guint i = 0; i < ops->len; i++)
		acked += ((struct op *)ops->pdata[i])->acked;
	g_test_message("kill -9: %d rounds, %u requests, %d acknowledged, %d kills left a "
		       "temporary file", KILL_ROUNDS, ops->len, acked, tmp_seen);
	g_assert_cmpint(acked, >, 0);
	g_assert_cmpint(acked, <, (int)ops->len);	/* some kills did interrupt */
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* Kept: what holds today and must stay true                           */

/*
 * A port that never drains its ring costs the others nothing: its
 * ring-full drops are counted on it, and a pair on the same switch loses
 * no frame of the same broadcasts.
 */
static void test_stuck_receiver(void)
{
	const char *args[] = { "--ring-kib", "256", NULL };
	struct daemon d;
	struct peer s, a, b;
	g_autofree char *flood = big_frame_hex(BCAST, MAC_A, 1514);
	g_autofree char *to_b = frame_hex(MAC_B, MAC_A, 0x88b5, "unicast");
	const int batches = 20, batch = 100;
	gint64 s_tx, s_drops;

	daemon_start(&d, args);
	add_switch(&d, "lab");
	honest(&s, &d, "lab", "s", 0, MAC_C);	/* never reads */
	honest(&a, &d, "lab", "a", 0, MAC_A);
	honest(&b, &d, "lab", "b", 0, MAC_B);
	for (int i = 0; i < batches; i++) {
		g_autofree char *want = g_strdup_printf("ok %d", batch);
		g_autofree char *cnt = NULL, *wc = g_strdup_printf("count %d", batch);

		expect_replyf(&a, want, "sendn %d %s", batch, flood);
		cnt = peer_cmd(&b, "count %d", 300);
		g_assert_cmpstr(cnt, ==, wc);
	}
	s_tx = port_counter(&d, "lab", "s", "tx-packets");
	s_drops = port_counter(&d, "lab", "s", "drops.ring-full");
	g_test_message("stuck receiver: %" G_GINT64_FORMAT " frames in its ring, "
		       "%" G_GINT64_FORMAT " ring-full drops", s_tx, s_drops);
	g_assert_cmpint(s_drops, >, 0);
	g_assert_cmpint(s_tx + s_drops, ==, batches * batch);
	g_assert_cmpint(port_counter(&d, "lab", "b", "tx-packets"), ==, batches * batch);
	g_assert_cmpint(port_counter(&d, "lab", "b", "drops.ring-full"), ==, 0);
	g_assert_cmpint(port_counter(&d, "lab", "a", "drops.ring-full"), ==, 0);
	peer_send(&a, to_b);
	expect_frame(&b, to_b);

	peer_stop(&s);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/*
 * QinQ (0x88a8, 0x9100, double 0x8100) and truncated tags from access
 * ports cross no VLAN: nobody gets them, each is a vlan-violation of its
 * sender.
 */
static const char *const hops[] = {
	/* after the addresses: TPID, TCI, ... */
	"88a80014080045000014000000004011000000",	/* 802.1ad, VID 20 */
	"91000014080045000014000000004011000000",	/* 0x9100, VID 20 */
	"8100000a81000014080045000014000000004011",	/* 802.1Q 20 inside 802.1Q 10 */
	"81000014080045000014000000004011000000",	/* 802.1Q, VID 20 */
	"8100",						/* tag cut after the TPID */
	"810000",					/* ... after one byte */
	"81000014",					/* ... after the TCI */
	"88a8",						/* 802.1ad cut */
	"910000",					/* 0x9100 cut */
};

static void test_qinq_and_truncated_tags(void)
{
	struct daemon d;
	struct peer a, b, c, u;
	g_autofree char *hello = frame_hex(BCAST, MAC_A, 0x88b5, "vlan-10-only");

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	honest(&a, &d, "lab", "a", 10, MAC_A);
	honest(&b, &d, "lab", "b", 10, MAC_B);
	honest(&c, &d, "lab", "c", 20, MAC_C);
	honest(&u, &d, "lab", "u", 0, MAC_D);

	for (int from_untagged = 0; from_untagged < 2; from_untagged++) {
		struct peer *sender = from_untagged ? &u : &a;
		const char *name = from_untagged ? "u" : "a";
		const uint8_t *mac = from_untagged ? MAC_D : MAC_A;

		for (size_t i = 0; i < G_N_ELEMENTS(hops); i++) {
			g_autofree char *hex = g_strdup_printf(
				"ffffffffffff%02x%02x%02x%02x%02x%02x%s", mac[0], mac[1],
				mac[2], mac[3], mac[4], mac[5], hops[i]);

			peer_send(sender, hex);
		}
		wait_counter(&d, "lab", name, "drops.vlan-violation", G_N_ELEMENTS(hops), 5000);
		expect_nothing(&a);
		expect_nothing(&b);
		expect_nothing(&c);
		expect_nothing(&u);
	}
	/* The access ports' own VLAN still works, and only it. */
	peer_send(&a, hello);
	expect_frame(&b, hello);
	expect_nothing(&c);
	expect_nothing(&u);
	g_assert_cmpint(port_counter(&d, "lab", "b", "tx-packets"), ==, 1);

	peer_stop(&a);
	peer_stop(&b);
	peer_stop(&c);
	peer_stop(&u);
	daemon_cleanup(&d);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	attack_bin = build_file("tests/vsw-attack");
	vswitchd_bin = build_file("net-backend/daemon/vswitchd");
	g_test_add_func("/attack/doorbell-fds", test_doorbell_fds);
	g_test_add_func("/attack/fd-passing-doorbell", test_fd_passing_doorbell);
	g_test_add_func("/attack/fd-passing-control", test_fd_passing_control);
	g_test_add_func("/attack/fd-passing-control/old-kernel",
			test_fd_passing_control_old_kernel);
	g_test_add_func("/attack/fd-passing-refused", test_fd_passing_refused);
	g_test_add_func("/attack/fd-passing-refused/old-kernel",
			test_fd_passing_refused_old_kernel);
	g_test_add_func("/attack/gso-amplification", test_gso_amplification);
	g_test_add_func("/attack/offload-metadata", test_offload_metadata);
	g_test_add_func("/attack/reset-close-churn", test_reset_close_churn);
	g_test_add_func("/attack/connection-flood", test_connection_flood);
	g_test_add_func("/attack/port-quota", test_port_quota);
	g_test_add_func("/attack/socket-permission-window", test_socket_permission_window);
	g_test_add_func("/attack/doorbell-spam", test_doorbell_spam);
	g_test_add_func("/attack/kill9-during-config", test_kill9_during_config);
	g_test_add_func("/keep/stuck-receiver", test_stuck_receiver);
	g_test_add_func("/keep/qinq-and-truncated-tags", test_qinq_and_truncated_tags);
	return g_test_run();
}
