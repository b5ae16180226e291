// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-switch.c - a real vswitchd with real libvswitch client processes.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * Frames here travel only through the ports' shared memory: no network
 * interface is created and nothing is sent on any network.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "vswitch/vswitch.h"

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0c };
static const uint8_t MAC_D[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0d };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };


/* The MAC each test port sends from: "a" MAC_A, "b" MAC_B, "c" MAC_C, else MAC_D. */
static const uint8_t *mac_of(const char *port)
{
	return !strcmp(port, "a") ? MAC_A : !strcmp(port, "b") ? MAC_B :
	       !strcmp(port, "c") ? MAC_C : MAC_D;
}

/* A peer on @sw that declares its port's MAC (MAC address spoofing is off). */
static void start(struct peer *p, struct daemon *d, const char *sw,
		  const char *port, int vlan)
{
	const struct peer_opts o = { .mac = mac_of(port) };
	g_autofree char *error = NULL;

	if (!peer_start_opts(p, d, sw, port, vlan, &o, &error))
		g_error("peer %s on %s: %s", port, sw, error);
}

/* The request must fail with error class @cls. */
static void expect_error(struct daemon *d, const char *cmd, const char *args,
			 const char *cls)
{
	g_autofree char *got = ctl_err(d, cmd, args, NULL);

	g_assert_cmpstr(got, ==, cls);
}

/* Unknown unicast floods; once both ends are learnt, only the owner gets it. */
static void test_unicast_after_learning(void)
{
	struct daemon d;
	struct peer a, b, c;
	g_autofree char *ab1 = frame_hex(MAC_B, MAC_A, 0x88b5, "first");
	g_autofree char *ba = frame_hex(MAC_A, MAC_B, 0x88b5, "reply");
	g_autofree char *ab2 = frame_hex(MAC_B, MAC_A, 0x88b5, "second");
	g_autoptr(JsonNode) mt = NULL;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 0);
	start(&b, &d, "lab", "b", 0);
	start(&c, &d, "lab", "c", 0);

	peer_send(&a, ab1);
	expect_frame(&b, ab1);
	expect_frame(&c, ab1);		/* B unknown yet: flooded */
	peer_send(&b, ba);
	expect_frame(&a, ba);
	expect_nothing(&c);		/* A was learnt from its first frame */
	peer_send(&a, ab2);
	expect_frame(&b, ab2);
	expect_nothing(&c);		/* B was learnt from its reply */
	expect_nothing(&a);		/* never back to the sender */

	mt = ctl_ok(&d, "mac-table", "{\"switch\":\"lab\"}");
	g_assert_cmpint(json_array_get_length(json_object_get_array_member(
		json_node_get_object(mt), "entries")), ==, 2);

	peer_stop(&a);
	peer_stop(&b);
	peer_stop(&c);
	daemon_cleanup(&d);
}

/* Broadcast reaches the ports of the sender's VLAN and no others. */
static void test_vlan_isolation(void)
{
	struct daemon d;
	struct peer a, b, c, u;
	g_autofree char *bc = frame_hex(BCAST, MAC_A, 0x0806, "who-has");
	g_autofree char *to_c = frame_hex(MAC_C, MAC_A, 0x88b5, "hop?");
	g_autofree char *from_c = frame_hex(BCAST, MAC_C, 0x88b5, "c-here");
	g_autofree char *from_u = frame_hex(BCAST, MAC_D, 0x88b5, "u-here");

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 10);
	start(&b, &d, "lab", "b", 10);
	start(&c, &d, "lab", "c", 20);
	start(&u, &d, "lab", "u", 0);
	g_assert_cmpint(a.vlan, ==, 10);
	g_assert_cmpint(c.vlan, ==, 20);

	peer_send(&a, bc);
	expect_frame(&b, bc);
	expect_nothing(&c);
	expect_nothing(&u);

	/* Even a unicast to an address learnt in VLAN 20 stays in VLAN 10. */
	peer_send(&c, from_c);
	expect_nothing(&a);
	expect_nothing(&u);
	peer_send(&a, to_c);
	expect_frame(&b, to_c);		/* unknown in VLAN 10: flooded there */
	expect_nothing(&c);

	/* Untagged ports form their own domain. */
	peer_send(&u, from_u);
	expect_nothing(&a);
	expect_nothing(&b);
	expect_nothing(&c);

	peer_stop(&a);
	peer_stop(&b);
	peer_stop(&c);
	peer_stop(&u);
	daemon_cleanup(&d);
}

/* port-set moves a live port to another VLAN for the very next frame. */
static void test_vlan_change_at_run_time(void)
{
	struct daemon d;
	struct peer a, c;
	g_autofree char *bc1 = frame_hex(BCAST, MAC_A, 0x88b5, "before");
	g_autofree char *bc2 = frame_hex(BCAST, MAC_A, 0x88b5, "after");
	g_autofree char *vlan = NULL;
	g_autoptr(JsonNode) r = NULL;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 10);
	start(&c, &d, "lab", "c", 20);

	peer_send(&a, bc1);
	expect_nothing(&c);
	r = ctl_ok(&d, "port-set", "{\"switch\":\"lab\",\"port\":\"c\",\"vlan\":10}");
	peer_send(&a, bc2);
	expect_frame(&c, bc2);
	g_assert_cmpint(port_counter(&d, "lab", "c", "vlan"), ==, 10);
	/* The client hears of it (QEMU shows it in "info network"). */
	vlan = peer_cmd(&c, "vlan %d", 300);
	g_assert_cmpstr(vlan, ==, "vlan 10");

	expect_error(&d, "port-set", "{\"switch\":\"lab\",\"port\":\"c\",\"vlan\":4095}", "InvalidArgument");
	expect_error(&d, "port-set", "{\"switch\":\"lab\",\"port\":\"nope\",\"vlan\":1}", "NotFound");

	peer_stop(&a);
	peer_stop(&c);
	daemon_cleanup(&d);
}

/* Counters count what went in and out, bytes included. */
static void test_counters(void)
{
	struct daemon d;
	struct peer a, b;
	g_autofree char *f = frame_hex(MAC_B, MAC_A, 0x88b5, "count-me");
	g_autofree char *r = NULL;
	int n = 25;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 0);
	start(&b, &d, "lab", "b", 0);
	for (int i = 0; i < n; i++)
		peer_send(&a, f);
	r = peer_cmd(&b, "count %d", 1000);
	g_assert_cmpstr(r, ==, "count 25");
	g_assert_cmpint(port_counter(&d, "lab", "a", "rx-packets"), ==, n);
	g_assert_cmpint(port_counter(&d, "lab", "a", "rx-bytes"), ==, n * 60);
	g_assert_cmpint(port_counter(&d, "lab", "b", "tx-packets"), ==, n);
	g_assert_cmpint(port_counter(&d, "lab", "b", "tx-bytes"), ==, n * 60);
	g_assert_cmpint(port_counter(&d, "lab", "a", "tx-packets"), ==, 0);
	g_assert_cmpint(port_counter(&d, "lab", "b", "rx-packets"), ==, 0);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/*
 * Switches and run-time VLANs survive the daemon's death; clients outlive
 * it and re-attach.
 */
static void test_persistence(void)
{
	struct daemon d;
	struct peer a, b;
	g_autoptr(JsonNode) r1 = NULL, r2 = NULL, list = NULL;
	JsonArray *sws;
	g_autofree char *bc = frame_hex(BCAST, MAC_A, 0x88b5, "again");
	g_autofree char *status = NULL;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	add_switch(&d, "lab2");
	r1 = ctl_ok(&d, "switch-rename", "{\"name\":\"lab2\",\"new-name\":\"prod\"}");
	start(&a, &d, "lab", "a", 0);
	r2 = ctl_ok(&d, "port-set", "{\"switch\":\"lab\",\"port\":\"a\",\"vlan\":7}");

	/* Killed, not stopped: what it persisted is all there is. */
	g_assert_cmpint(kill(d.pid, SIGKILL), ==, 0);
	g_assert_cmpint(waitpid(d.pid, NULL, 0), ==, d.pid);
	d.pid = 0;
	/*
	 * a's doorbell has no reader now: libvswitch must not kill a client
	 * that does not ignore SIGPIPE (vsw-peer does not) when it kicks.
	 */
	g_free(peer_cmd(&a, "send %s", bc));
	g_free(peer_cmd(&a, "send %s", bc));
	daemon_restart(&d, NULL);
	status = peer_cmd(&a, "status %d", 2000);
	g_assert_cmpstr(status, ==, "gone");	/* the old daemon dropped it */
	peer_stop(&a);

	list = ctl_ok(&d, "switch-list", NULL);
	sws = json_object_get_array_member(json_node_get_object(list), "switches");
	g_assert_cmpint(json_array_get_length(sws), ==, 3);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(sws, 0), "name"), ==, "Default");
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(sws, 1), "name"), ==, "lab");
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(sws, 2), "name"), ==, "prod");

	/* Re-attached under the same name, the port gets its run-time VLAN back. */
	start(&a, &d, "lab", "a", 0);
	g_assert_cmpint(a.vlan, ==, 7);
	start(&b, &d, "lab", "b", 7);
	peer_send(&a, bc);
	expect_frame(&b, bc);
	peer_stop(&a);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/* A client that dies loses its port; its name is free again. */
static void test_port_cleanup(void)
{
	struct daemon d;
	struct peer a, a2;
	gint64 end;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 0);
	g_assert_cmpint(port_counter(&d, "lab", "a", "rx-packets"), ==, 0);
	peer_kill(&a);
	end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
	while (port_counter(&d, "lab", "a", "rx-packets") != -1) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	start(&a2, &d, "lab", "a", 0);
	peer_stop(&a2);
	daemon_cleanup(&d);
}

/* What a user gets wrong gets an error that names it. */
static void test_attach_errors(void)
{
	struct daemon d;
	struct peer a, b;
	g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *cls = NULL, *desc = NULL;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	g_assert_false(peer_start(&b, &d, "nosuch", "b", 0, &e1));
	g_assert_nonnull(strstr(e1, "switch 'nosuch' does not exist"));
	g_assert_false(peer_start(&b, &d, "lab", "b", 5000, &e2));
	g_assert_nonnull(strstr(e2, "VLAN"));
	start(&a, &d, "lab", "a", 0);
	g_assert_false(peer_start(&b, &d, "lab", "a", 0, &e3));
	g_assert_nonnull(strstr(e3, "already has a port 'a'"));

	cls = ctl_err(&d, "switch-remove", "{\"name\":\"lab\"}", &desc);
	g_assert_cmpstr(cls, ==, "Busy");
	g_assert_nonnull(strstr(desc, "switch 'lab' has 1 port(s) attached"));
	expect_error(&d, "switch-remove", "{\"name\":\"Default\"}", "PermissionDenied");
	expect_error(&d, "switch-rename", "{\"name\":\"Default\",\"new-name\":\"x\"}", "PermissionDenied");
	expect_error(&d, "switch-add", "{\"name\":\"default\"}", "AlreadyExists");

	/* A MAC told after attaching shows in the port list. */
	{
		g_autofree char *r = peer_cmd(&a, "mac 52:54:00:AB:cd:01");
		g_autoptr(JsonNode) list = ctl_ok(&d, "port-list", "{\"switch\":\"lab\"}");
		JsonArray *ports = json_object_get_array_member(json_node_get_object(list), "ports");

		g_assert_cmpstr(r, ==, "ok");
		g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(ports, 0),
							      "mac"), ==, "52:54:00:ab:cd:01");
		g_free(r);
		r = peer_cmd(&a, "mac 52:54");
		g_assert_cmpstr(r, ==, "err bad-mac");
	}

	/* Forced removal resets the ports of the switch. */
	{
		g_autoptr(JsonNode) r = ctl_ok(&d, "switch-remove",
					       "{\"name\":\"lab\",\"force\":true}");
		g_autofree char *st = peer_cmd(&a, "status %d", 2000);

		g_assert_cmpstr(st, ==, "reset");
	}
	peer_stop(&a);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* A client's main loop never waits on the daemon (docs/protocol.md)   */

/* Drive @a until it ends or @ms pass; Return: its result, or -ETIMEDOUT. */
static int attach_drive(struct vsw_attach *a, struct vsw_port **p, int ms,
			char *err, size_t errlen)
{
	gint64 deadline = now_ms() + ms;
	int rc;

	while ((rc = vsw_attach_continue(a, p, err, errlen)) == -EINPROGRESS) {
		struct pollfd pfd = { vsw_attach_fd(a), vsw_attach_events(a), 0 };

		if (now_ms() >= deadline) {
			vsw_attach_cancel(a);
			return -ETIMEDOUT;
		}
		poll(&pfd, 1, 50);
	}
	return rc;
}

/* A member of port @port in the daemon's port list, or -1 (no such port). */
static gint64 listed(struct daemon *d, const char *port, const char *member)
{
	g_autoptr(JsonNode) list = ctl_ok(d, "port-list", "{\"switch\":\"lab\"}");
	JsonArray *ports = json_object_get_array_member(json_node_get_object(list), "ports");

	for (guint i = 0; i < json_array_get_length(ports); i++) {
		JsonObject *o = json_array_get_object_element(ports, i);

		if (!g_strcmp0(json_object_get_string_member(o, "name"), port))
			return json_object_get_int_member_with_default(o, member, -1);
	}
	return -1;
}

/*
 * Attaching in the background: a stopped daemon leaves the attachment
 * pending (QEMU's main loop goes on), a daemon that continues completes
 * it, and refusals arrive with the daemon's words.
 */
static void test_attach_async(void)
{
	struct vsw_attach_opts o = { .switch_name = "lab", .port_name = "bg" };
	struct daemon d;
	struct vsw_attach *a;
	struct vsw_port *p = NULL, *q = NULL;
	char err[256] = "";
	int rc;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	o.sock_path = d.sock;

	/* Stopped: connecting succeeds (the backlog), nothing more comes. */
	g_assert_cmpint(kill(d.pid, SIGSTOP), ==, 0);
	g_assert_cmpint(vsw_attach_start(&o, &a, err, sizeof(err)), ==, 0);
	g_assert_cmpint(vsw_attach_continue(a, &p, err, sizeof(err)), ==, -EINPROGRESS);
	{
		struct pollfd pfd = { vsw_attach_fd(a), POLLIN, 0 };

		g_assert_cmpint(poll(&pfd, 1, 300), ==, 0);
	}
	g_assert_cmpint(kill(d.pid, SIGCONT), ==, 0);
	rc = attach_drive(a, &p, 5000, err, sizeof(err));
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpstr(vsw_port_name(p), ==, "bg");
	g_assert_cmpstr(vsw_port_switch(p), ==, "lab");

	/*
	 * Requests to a stopped daemon queue up instead of blocking, and are
	 * refused once 64 KiB wait; they go out when it continues, in order.
	 */
	g_assert_cmpint(kill(d.pid, SIGSTOP), ==, 0);
	{
		int nobufs = 0;

		for (int i = 0; i < 20000 && !nobufs; i++) {
			rc = vsw_set_offload(p, i & 1 ? VSW_OFFLOAD_CSUM : VSW_OFFLOAD_ALL);
			g_assert_true(rc == 0 || rc == -ENOBUFS);
			nobufs += rc == -ENOBUFS;
		}
		g_assert_cmpint(nobufs, ==, 1);
		g_assert_true(vsw_ctrl_want_write(p));
	}
	g_assert_cmpint(kill(d.pid, SIGCONT), ==, 0);
	{
		gint64 deadline = now_ms() + 60000;

		while (vsw_ctrl_want_write(p) && now_ms() < deadline) {
			struct pollfd pfd = { vsw_port_ctrl_fd(p), POLLIN | POLLOUT, 0 };

			poll(&pfd, 1, 50);
			g_assert_cmpint(vsw_ctrl_process(p), ==, 0);
		}
		g_assert_false(vsw_ctrl_want_write(p));
		/* Taken after all the others. */
		g_assert_cmpint(vsw_set_offload(p, VSW_OFFLOAD_TSO6), ==, 0);
		while (listed(&d, "bg", "offloads") != VSW_OFFLOAD_TSO6 && now_ms() < deadline) {
			poll(NULL, 0, 20);
			g_assert_cmpint(vsw_ctrl_process(p), ==, 0);
		}
		g_assert_cmpint(listed(&d, "bg", "offloads"), ==, VSW_OFFLOAD_TSO6);
	}

	/* The daemon's refusals, in its words, through the same calls. */
	o.port_name = "bg";
	g_assert_cmpint(vsw_attach_start(&o, &a, err, sizeof(err)), ==, 0);
	g_assert_cmpint(attach_drive(a, &q, 5000, err, sizeof(err)), ==, -EEXIST);
	g_assert_nonnull(strstr(err, "already has a port 'bg'"));
	o.switch_name = "nosuch";
	o.port_name = "x";
	g_assert_cmpint(vsw_attach_start(&o, &a, err, sizeof(err)), ==, 0);
	g_assert_cmpint(attach_drive(a, &q, 5000, err, sizeof(err)), ==, -ENODEV);
	g_assert_nonnull(strstr(err, "switch 'nosuch' does not exist"));

	/* Given up half-way: the daemon keeps no port for it. */
	o.switch_name = "lab";
	o.port_name = "gone";
	g_assert_cmpint(kill(d.pid, SIGSTOP), ==, 0);
	g_assert_cmpint(vsw_attach_start(&o, &a, err, sizeof(err)), ==, 0);
	vsw_attach_cancel(a);
	g_assert_cmpint(kill(d.pid, SIGCONT), ==, 0);
	g_assert_cmpint(listed(&d, "gone", "offloads"), ==, -1);
	g_assert_cmpint(listed(&d, "bg", "offloads"), ==, VSW_OFFLOAD_TSO6);

	/* A daemon that dies mid-way: the attachment fails, no wait. */
	g_assert_cmpint(kill(d.pid, SIGSTOP), ==, 0);
	g_assert_cmpint(vsw_attach_start(&o, &a, err, sizeof(err)), ==, 0);
	vsw_detach(p);
	g_assert_cmpint(kill(d.pid, SIGKILL), ==, 0);
	g_assert_cmpint(waitpid(d.pid, NULL, 0), ==, d.pid);
	d.pid = 0;
	rc = attach_drive(a, &q, 5000, err, sizeof(err));
	g_assert_cmpint(rc, ==, -ECONNRESET);
	g_assert_null(q);
	g_assert_nonnull(strstr(err, "vswitchd sent no greeting"));
	daemon_cleanup(&d);
}

/* Process @p's control input until @pred(p) or @ms pass. */
static bool ctrl_until(struct vsw_port *p, bool (*pred)(struct vsw_port *), int ms, int *rc)
{
	gint64 deadline = now_ms() + ms;

	*rc = 0;
	while (!pred(p) && now_ms() < deadline) {
		struct pollfd pfd = { vsw_port_ctrl_fd(p), POLLIN, 0 };

		poll(&pfd, 1, 50);
		*rc = vsw_ctrl_process(p);
		if (*rc < 0)
			break;
	}
	return pred(p);
}

static bool takeover_answered(struct vsw_port *p)
{
	return vsw_takeover_status(p) != -EINPROGRESS;
}

static bool port_moved(struct vsw_port *p)
{
	return vsw_port_moved(p);
}

/*
 * Live migration on one host (design.md "Live migration"): the
 * destination attaches as the incoming instance of the source's port and
 * takes it over with the token the source gave; without the token nobody
 * can, not even a client of the same user.
 */
static void test_migrate_takeover(void)
{
	static const char token[] = "00112233445566778899aabbccddeeff";
	struct vsw_attach_opts o = { .switch_name = "lab", .port_name = "vm", .vlan = 10,
				     .mac = MAC_A };
	g_autofree char *f = frame_hex(BCAST, MAC_A, 0x88b5, "counted");
	struct vsw_port *src = NULL, *dst = NULL, *thief = NULL, *fresh = NULL;
	struct daemon d;
	struct peer b;
	char err[256] = "";
	gint64 rx;
	int rc;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	o.sock_path = d.sock;
	g_assert_cmpint(vsw_attach(&o, &src, err, sizeof(err)), ==, 0);
	start(&b, &d, "lab", "b", 10);
	/* Some traffic from the source, to see its counters carried over. */
	{
		struct iovec iov;
		uint8_t buf[64];
		size_t n = strlen(f) / 2;

		for (size_t i = 0; i < n; i++)
			sscanf(f + 2 * i, "%2hhx", &buf[i]);
		iov.iov_base = buf;
		iov.iov_len = n;
		for (int i = 0; i < 5; i++)
			g_assert_cmpint(vsw_send(src, NULL, &iov, 1, 0), ==, 0);
		expect_frame(&b, f);
	}
	for (gint64 end = now_ms() + 5000; listed(&d, "vm", "rx-packets") < 5 && now_ms() < end;)
		poll(NULL, 0, 20);
	rx = listed(&d, "vm", "rx-packets");
	g_assert_cmpint(rx, ==, 5);

	/* An administrator moves the live port to VLAN 20. */
	{
		g_autoptr(JsonNode) r = ctl_ok(&d, "port-set",
					       "{\"switch\":\"lab\",\"port\":\"vm\",\"vlan\":20}");
	}

	/* Without "incoming" the name is taken, as ever. */
	g_assert_cmpint(vsw_attach(&o, &dst, err, sizeof(err)), ==, -EEXIST);
	/* With it: an incoming instance, live elsewhere, carrying nothing yet. */
	o.incoming = true;
	g_assert_cmpint(vsw_attach(&o, &dst, err, sizeof(err)), ==, 0);
	g_assert_true(vsw_port_incoming(dst));
	/* Another client of the same user may hold one too: without the token it gets nothing. */
	g_assert_cmpint(vsw_attach(&o, &thief, err, sizeof(err)), ==, 0);
	g_assert_true(vsw_port_incoming(thief));

	/* No token given yet, or the wrong one: refused, the source keeps it. */
	g_assert_cmpint(vsw_takeover(dst, token), ==, 0);
	g_assert_true(ctrl_until(dst, takeover_answered, 5000, &rc));
	g_assert_cmpint(vsw_takeover_status(dst), ==, -EACCES);
	g_assert_cmpint(vsw_set_move_token(src, token), ==, 0);
	g_assert_cmpint(vsw_set_move_token(src, "not hex"), ==, -EINVAL);
	g_assert_cmpint(vsw_takeover(thief, "ffffffffffffffffffffffffffffffff"), ==, 0);
	g_assert_true(ctrl_until(thief, takeover_answered, 5000, &rc));
	g_assert_cmpint(vsw_takeover_status(thief), ==, -EACCES);
	g_assert_true(vsw_port_incoming(thief));
	g_assert_true(vsw_port_incoming(dst));
	g_assert_cmpint(vsw_ctrl_process(src), ==, 0);

	/* The right token: the port moves, with its VLAN and its counters. */
	g_assert_cmpint(vsw_takeover(dst, token), ==, 0);
	g_assert_true(ctrl_until(dst, takeover_answered, 5000, &rc));
	g_assert_cmpint(vsw_takeover_status(dst), ==, 0);
	g_assert_false(vsw_port_incoming(dst));
	g_assert_cmpint(vsw_port_vlan(dst), ==, 20);
	g_assert_true(ctrl_until(src, port_moved, 5000, &rc));
	g_assert_cmpint(rc, ==, -EXDEV);
	g_assert_cmpint(vsw_ctrl_process(src), ==, -EXDEV);
	g_assert_cmpint(listed(&d, "vm", "rx-packets"), ==, rx);
	g_assert_cmpint(listed(&d, "vm", "vlan"), ==, 20);
	vsw_detach(src);

	/* Incoming where the source is not (another host): attached at once. */
	o.port_name = "fresh";
	o.mac = MAC_C;
	g_assert_cmpint(vsw_attach(&o, &fresh, err, sizeof(err)), ==, 0);
	g_assert_false(vsw_port_incoming(fresh));
	g_assert_cmpint(listed(&d, "fresh", "rx-packets"), ==, 0);

	/* The thief's incoming port is still nothing; the token is spent with the port. */
	g_assert_cmpint(vsw_takeover(thief, token), ==, 0);
	g_assert_true(ctrl_until(thief, takeover_answered, 5000, &rc));
	g_assert_cmpint(vsw_takeover_status(thief), ==, -EACCES);
	vsw_detach(thief);
	vsw_detach(fresh);
	vsw_detach(dst);
	peer_stop(&b);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* Bad input: the offender is refused or reset, everyone else carries on */

/* b and c must still talk after whatever a did. */
static void assert_others_fine(struct peer *b, struct peer *c)
{
	g_autofree char *f = frame_hex(MAC_C, MAC_B, 0x88b5, "still-here");

	peer_send(b, f);
	expect_frame(c, f);
}

static void test_bad_tagged_frame(void)
{
	struct daemon d;
	struct peer a, b, c;
	g_autofree char *tagged = NULL;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 10);
	start(&b, &d, "lab", "b", 10);
	start(&c, &d, "lab", "c", 10);
	/* An 802.1Q frame for VLAN 20 (priority 1) from an access port of VLAN 10. */
	tagged = frame_hex(BCAST, MAC_A, 0x8100, "\x20\x14\x08\x06hop");
	peer_send(&a, tagged);
	expect_nothing(&b);
	g_assert_cmpint(port_counter(&d, "lab", "a", "drops.vlan-violation"), ==, 1);
	/* Priority-tagged (VID 0, priority 3): 802.1Q puts it in the port's VLAN. */
	{
		g_autofree char *prio = frame_hex(BCAST, MAC_A, 0x8100, "\x60");
		/* What the others get: the same frame without its tag (56 bytes). */
		g_autofree char *untagged = frame_hex(BCAST, MAC_A, 0x0000, "");

		untagged[2 * 56] = '\0';
		peer_send(&a, prio);
		expect_frame(&b, untagged);
		expect_frame(&c, untagged);
		g_assert_cmpint(port_counter(&d, "lab", "a", "drops.vlan-violation"), ==, 1);
	}
	/* Same from an untagged port. */
	peer_stop(&a);
	start(&a, &d, "lab", "a", 0);
	peer_send(&a, tagged);
	expect_nothing(&b);
	g_assert_cmpint(port_counter(&d, "lab", "a", "drops.vlan-violation"), ==, 1);
	assert_others_fine(&b, &c);
	peer_stop(&a);
	peer_stop(&b);
	peer_stop(&c);
	daemon_cleanup(&d);
}

static void test_bad_runt_and_oversize(void)
{
	struct daemon d;
	struct peer a, b, c;
	g_autofree char *r1 = NULL, *r2 = NULL, *st = NULL;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 0);
	start(&b, &d, "lab", "b", 0);
	start(&c, &d, "lab", "c", 0);
	/* A 5-byte frame: counted and dropped, the port lives on. */
	r1 = peer_cmd(&a, "raw-rec 5");
	g_assert_cmpstr(r1, ==, "ok");
	wait_counter(&d, "lab", "a", "drops.runt", 1, ARRIVE_MS);
	expect_nothing(&b);
	g_assert_cmpint(port_counter(&d, "lab", "a", "resets"), ==, 0);
	/* A length beyond any frame: the ring is nonsense, the port is reset. */
	r2 = peer_cmd(&a, "raw-rec 1000000");
	g_assert_cmpstr(r2, ==, "ok");
	st = peer_cmd(&a, "status %d", 3000);
	g_assert_cmpstr(st, ==, "reset");
	g_assert_true(daemon_alive(&d));
	assert_others_fine(&b, &c);
	peer_stop(&a);
	peer_stop(&b);
	peer_stop(&c);
	daemon_cleanup(&d);
}

static void test_bad_ring_index(void)
{
	struct daemon d;
	struct peer a, b, c;
	g_autofree char *r = NULL, *st = NULL;

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 0);
	start(&b, &d, "lab", "b", 0);
	start(&c, &d, "lab", "c", 0);
	r = peer_cmd(&a, "raw-prod 0x7ffffff8");
	g_assert_cmpstr(r, ==, "ok");
	st = peer_cmd(&a, "status %d", 3000);
	g_assert_cmpstr(st, ==, "reset");
	g_assert_true(daemon_alive(&d));
	assert_others_fine(&b, &c);
	g_assert_cmpint(port_counter(&d, "lab", "a", "rx-packets"), ==, -1);	/* gone */
	peer_stop(&a);
	peer_stop(&b);
	peer_stop(&c);
	daemon_cleanup(&d);
}

/* A guest flooding random source MACs evicts only its own entries. */
static void test_bad_mac_flood(void)
{
	const char *const args[] = { "--mac-capacity", "64", NULL };
	struct daemon d;
	struct peer a, b, c;
	g_autofree char *flood = NULL, *r = NULL, *cnt = NULL;
	g_autofree char *to_c = frame_hex(MAC_C, MAC_B, 0x88b5, "unicast");
	g_autofree char *hello_c = frame_hex(BCAST, MAC_C, 0x88b5, "hello");
	static const uint8_t zero[6];
	g_autoptr(JsonNode) mt = NULL;
	JsonObject *o;

	daemon_start(&d, args);
	add_switch(&d, "lab");
	start(&a, &d, "lab", "a", 0);
	start(&b, &d, "lab", "b", 0);
	start(&c, &d, "lab", "c", 0);
	peer_send(&c, hello_c);		/* C learnt */
	expect_frame(&b, hello_c);
	expect_frame(&a, hello_c);

	flood = frame_hex(MAC_D, zero, 0x88b5, "flood");
	/* MAC address spoofing off (the default): none of it is even learnt. */
	r = peer_cmd(&a, "sendn 20000 %s", flood);
	g_assert_cmpstr(r, ==, "ok 20000");
	wait_counter(&d, "lab", "a", "drops.mac-spoofing", 20000, ARRIVE_MS);
	mt = ctl_ok(&d, "mac-table", "{\"switch\":\"lab\"}");
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(mt), "evicted"), ==, 0);
	g_clear_pointer(&mt, json_node_unref);
	g_free(r);
	/* Spoofing allowed by an administrator: learnt, and fair eviction holds. */
	r = peer_cmd(&a, "mac 52:54:00:00:00:0a");
	g_free(r);
	{
		g_autoptr(JsonNode) ok = ctl_ok(&d, "port-set",
			"{\"switch\":\"lab\",\"port\":\"a\",\"mac-spoofing\":true}");
	}
	r = peer_cmd(&a, "sendn 20000 %s", flood);
	g_assert_cmpstr(r, ==, "ok 20000");
	cnt = peer_cmd(&b, "count %d", 1000);	/* drain what was flooded */
	g_free(cnt);
	cnt = peer_cmd(&c, "count %d", 200);

	/* C's address survived: B's unicast reaches C alone. */
	peer_send(&b, to_c);
	expect_frame(&c, to_c);
	expect_nothing(&a);

	mt = ctl_ok(&d, "mac-table", "{\"switch\":\"lab\"}");
	o = json_node_get_object(mt);
	g_assert_cmpint(json_object_get_int_member(o, "capacity"), ==, 64);
	g_assert_cmpint(json_array_get_length(json_object_get_array_member(o, "entries")), <=, 64);
	g_assert_cmpint(json_object_get_int_member(o, "evicted"), >=, 20000 - 64);
	g_assert_true(daemon_alive(&d));
	peer_stop(&a);
	peer_stop(&b);
	peer_stop(&c);
	daemon_cleanup(&d);
}

static void assert_protocol_error(struct daemon *d, const char *bytes, size_t len,
				  const char *cls)
{
	g_autofree char *line = ctl_raw(d, bytes, len);
	g_autoptr(JsonNode) n = NULL;
	JsonObject *e;

	g_assert_nonnull(line);
	n = json_from_string(line, NULL);
	g_assert_nonnull(n);
	e = json_object_get_object_member(json_node_get_object(n), "error");
	g_assert_nonnull(e);
	g_assert_cmpstr(json_object_get_string_member(e, "class"), ==, cls);
}

/* Malformed control requests are refused; the daemon keeps serving. */
static void test_bad_control_requests(void)
{
	struct daemon d;
	g_autoptr(GString) deep = g_string_new("{\"execute\":\"version\",\"arguments\":");
	g_autofree char *huge = g_malloc(70000);
	g_autoptr(JsonNode) ok = NULL;

	daemon_start(&d, NULL);
	assert_protocol_error(&d, "nonsense\n", 9, "ProtocolError");
	assert_protocol_error(&d, "[1,2]\n", 6, "ProtocolError");
	assert_protocol_error(&d, "{\"execute\":5}\n", 14, "ProtocolError");
	assert_protocol_error(&d, "{\"execute\":\"version\",\"x\":1}\n", 28, "ProtocolError");
	assert_protocol_error(&d, "{\"execute\":\"version\",\"arguments\":[]}\n", 37, "ProtocolError");
	assert_protocol_error(&d, "{\"execute\":\"ver\xff\"}\n", 19, "ProtocolError");
	for (int i = 0; i < 5000; i++)
		g_string_append_c(deep, '[');
	g_string_append(deep, "\n");
	assert_protocol_error(&d, deep->str, deep->len, "ProtocolError");
	memset(huge, 'a', 70000);
	assert_protocol_error(&d, huge, 70000, "ProtocolError");
	assert_protocol_error(&d, "{\"execute\":\"rm -rf\"}\n", 21, "CommandNotFound");
	expect_error(&d, "switch-add", "{\"name\":7}", "InvalidArgument");
	expect_error(&d, "switch-add", "{\"name\":\"x\",\"colour\":\"red\"}", "InvalidArgument");
	expect_error(&d, "switch-add", "{\"name\":\"../etc\"}", "InvalidArgument");
	expect_error(&d, "port-attach", "{\"switch\":\"Default\",\"vlan\":-1}", "InvalidArgument");
	expect_error(&d, "port-attach", "{\"switch\":\"Default\",\"mac\":\"zz:zz\"}", "InvalidArgument");
	g_assert_true(daemon_alive(&d));
	ok = ctl_ok(&d, "switch-list", NULL);
	daemon_cleanup(&d);
}

/* A state file with something unknown stops the daemon and stays as it was. */
static void test_bad_config_file(void)
{
	struct daemon d;
	g_autofree char *conf = NULL, *after = NULL;
	const char *bad = "[switch:lab]\ntype=private\n[switch:bad name]\n";

	daemon_start(&d, NULL);
	add_switch(&d, "lab");
	daemon_stop(&d);
	conf = g_build_filename(d.state, "vswitchd.conf", NULL);
	g_assert_true(g_file_set_contents(conf, bad, -1, NULL));
	{
		const char *argv[] = { NULL, "--socket", d.sock, "--state-dir", d.state, NULL };
		g_autofree char *out = NULL, *err = NULL;
		g_autofree char *bin = g_build_filename(g_getenv("VSWITCH_BUILD_DIR") ?
			g_getenv("VSWITCH_BUILD_DIR") : BUILD_DIR, "net-backend", "daemon",
			"vswitchd", NULL);
		int status;

		argv[0] = bin;
		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL,
					   &out, &err, &status, NULL));
		g_assert_false(g_spawn_check_wait_status(status, NULL));
		g_assert_nonnull(strstr(err, "switch:bad name"));
	}
	g_assert_true(g_file_get_contents(conf, &after, NULL, NULL));
	g_assert_cmpstr(after, ==, bad);
	daemon_cleanup(&d);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/switch/unicast-after-learning", test_unicast_after_learning);
	g_test_add_func("/switch/vlan-isolation", test_vlan_isolation);
	g_test_add_func("/switch/vlan-change-at-run-time", test_vlan_change_at_run_time);
	g_test_add_func("/switch/counters", test_counters);
	g_test_add_func("/switch/persistence", test_persistence);
	g_test_add_func("/switch/port-cleanup", test_port_cleanup);
	g_test_add_func("/switch/attach-errors", test_attach_errors);
	g_test_add_func("/switch/attach-async", test_attach_async);
	g_test_add_func("/switch/migrate-takeover", test_migrate_takeover);
	g_test_add_func("/bad/tagged-frame", test_bad_tagged_frame);
	g_test_add_func("/bad/runt-and-oversize", test_bad_runt_and_oversize);
	g_test_add_func("/bad/ring-index", test_bad_ring_index);
	g_test_add_func("/bad/mac-flood", test_bad_mac_flood);
	g_test_add_func("/bad/control-requests", test_bad_control_requests);
	g_test_add_func("/bad/config-file", test_bad_config_file);
	return g_test_run();
}
