// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-roles.c - who may do what: administrators and port clients, ports
 * the administrator owns, and Hyper-V's port guards, tried against a real
 * vswitchd with real clients.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The port client is a real other user: vsw-peer and vswitchctl run as
 * nobody (uid 65534) through setpriv, in group "users" (gid 100), the
 * daemon's --socket-group; the kernel tells the daemon who they are.
 * Frames travel only through the ports' shared memory: no network
 * interface is created.  Needs root (setpriv); skips without it.
 */
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define NOBODY		65534
#define USERS_GID	100

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0c };
static const uint8_t GATEWAY[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };


static const char *const daemon_args[] = { "--socket-group", "users", NULL };

static void start_daemon(struct daemon *d)
{
	daemon_start(d, daemon_args);
	daemon_open_dir(d);
}

/* The reply's error class, or NULL if it succeeded. */
static char *error_class(JsonNode *reply)
{
	JsonObject *o = json_node_get_object(reply);

	if (!json_object_has_member(o, "error"))
		return NULL;
	return g_strdup(json_object_get_string_member(json_object_get_object_member(o, "error"),
						      "class"));
}

static void start_as(struct peer *p, struct daemon *d, const char *sw, const char *port,
		     int vlan, const uint8_t *mac, uid_t uid)
{
	const struct peer_opts o = { .mac = mac, .uid = uid, .group = uid ? USERS_GID : 0 };
	g_autofree char *error = NULL;

	if (!peer_start_opts(p, d, sw, port, vlan, &o, &error))
		g_error("peer %s on %s as uid %u: %s", port, sw, (unsigned)uid, error);
}

/* ------------------------------------------------------------------ */
/* Roles                                                               */

/* Every command but a port's own is refused to a port client. */
static void test_port_client_commands(void)
{
	static const struct {
		const char *cmd, *args;
	} admin[] = {
		{ "switch-list", "{}" },
		{ "switch-show", "{\"name\":\"Default\"}" },
		{ "switch-add", "{\"name\":\"mine\"}" },
		{ "switch-remove", "{\"name\":\"lab\",\"force\":true}" },
		{ "switch-rename", "{\"name\":\"lab\",\"new-name\":\"x\"}" },
		{ "switch-set", "{\"name\":\"lab\",\"client-vlans\":\"any\"}" },
		{ "port-set", "{\"switch\":\"lab\",\"port\":\"victim\",\"vlan\":66}" },
		{ "port-provision", "{\"switch\":\"lab\",\"port\":\"p\",\"owner-user\":65534}" },
		{ "port-unprovision", "{\"switch\":\"lab\",\"port\":\"p\"}" },
		{ "port-provisioned", "{}" },
		{ "mac-table", "{\"switch\":\"lab\"}" },
		{ "nat-show", "{}" },
		{ "nat-set", "{\"key\":\"host-loopback\",\"value\":\"true\"}" },
		{ "nat-connections", "{}" },
		{ "nat-forward-add", "{\"proto\":\"tcp\",\"host-addr\":\"0.0.0.0\",\"host-port\":80,"
				     "\"guest-addr\":\"10.0.2.15\",\"guest-port\":80}" },
		{ "nat-forward-remove", "{\"proto\":\"tcp\",\"host-port\":80}" },
		{ "nat-forward-list", "{}" },
	};
	struct daemon d;
	struct peer victim;
	g_autoptr(JsonNode) who = NULL, ports = NULL, list = NULL;
	JsonObject *o;

	if (!need_root())
		return;
	start_daemon(&d);
	{
		g_autoptr(JsonNode) r = ctl_ok(&d, "switch-add", "{\"name\":\"lab\"}");
	}
	start_as(&victim, &d, "lab", "victim", 0, MAC_B, 0);
	who = ctl_as(&d, NOBODY, USERS_GID, "whoami", NULL);
	o = json_object_get_object_member(json_node_get_object(who), "return");
	g_assert_cmpstr(json_object_get_string_member(o, "role"), ==, "port-client");
	g_assert_cmpint(json_object_get_int_member(o, "uid"), ==, NOBODY);
	for (size_t i = 0; i < G_N_ELEMENTS(admin); i++) {
		g_autoptr(JsonNode) r = ctl_as(&d, NOBODY, USERS_GID, admin[i].cmd, admin[i].args);
		g_autofree char *cls = error_class(r);

		if (g_strcmp0(cls, "PermissionDenied"))
			g_error("%s as a port client: %s, not PermissionDenied", admin[i].cmd,
				cls ? cls : "accepted");
	}
	/* Nothing changed: the switch, its port and its VLAN are as they were. */
	list = ctl_ok(&d, "switch-list", NULL);
	g_assert_cmpint(json_array_get_length(json_object_get_array_member(
		json_node_get_object(list), "switches")), ==, 2);
	g_assert_cmpint(port_counter(&d, "lab", "victim", "vlan"), ==, 0);
	/* A port client sees no one else's port. */
	ports = ctl_as(&d, NOBODY, USERS_GID, "port-list", NULL);
	o = json_object_get_object_member(json_node_get_object(ports), "return");
	g_assert_cmpint(json_array_get_length(json_object_get_array_member(o, "ports")), ==, 0);
	peer_stop(&victim);
	daemon_cleanup(&d);
}

/* Attaching: the switch's access list, and the VLANs a client may ask for. */
static void test_attach_policy(void)
{
	struct daemon d;
	struct peer p;
	g_autofree char *e1 = NULL, *e2 = NULL;
	const struct peer_opts o = { .mac = MAC_A, .uid = NOBODY, .group = USERS_GID };
	g_autoptr(JsonNode) r1 = NULL, r2 = NULL, r3 = NULL;

	if (!need_root())
		return;
	start_daemon(&d);
	r1 = ctl_ok(&d, "switch-add", "{\"name\":\"lab\"}");
	/* Default access: the socket group.  No VLAN of its choosing, as root. */
	start_as(&p, &d, "lab", "mine", 0, MAC_A, NOBODY);
	g_assert_cmpint(p.vlan, ==, 0);
	peer_stop(&p);
	g_assert_false(peer_start_opts(&p, &d, "lab", "mine", 10, &o, &e1));
	g_assert_nonnull(strstr(e1, "does not let clients choose VLAN 10"));
	r2 = ctl_ok(&d, "switch-set", "{\"name\":\"lab\",\"client-vlans\":\"10,20\"}");
	start_as(&p, &d, "lab", "mine", 10, MAC_A, NOBODY);
	g_assert_cmpint(p.vlan, ==, 10);
	peer_stop(&p);
	/* An access list without nobody shuts it out. */
	r3 = ctl_ok(&d, "switch-set", "{\"name\":\"lab\",\"allow-users\":[1000]}");
	g_assert_false(peer_start_opts(&p, &d, "lab", "mine", 0, &o, &e2));
	g_assert_nonnull(strstr(e2, "uid 65534 may not attach ports to switch 'lab'"));
	daemon_cleanup(&d);
}

/* A provisioned port: only its owner claims it, with the administrator's settings. */
static void test_provisioned_port(void)
{
	struct daemon d;
	struct peer p;
	g_autofree char *e1 = NULL, *e2 = NULL;
	const struct peer_opts o = { .mac = MAC_A, .uid = NOBODY, .group = USERS_GID };
	g_autoptr(JsonNode) r1 = NULL, r2 = NULL, r3 = NULL;

	if (!need_root())
		return;
	start_daemon(&d);
	r1 = ctl_ok(&d, "switch-add", "{\"name\":\"lab\"}");
	r2 = ctl_ok(&d, "port-provision", "{\"switch\":\"lab\",\"port\":\"vm1.net0\",\"vlan\":20,"
		    "\"macs\":[\"52:54:00:00:00:0a\"],\"owner-user\":1000}");
	/* Squatting: nobody is not the owner, now or after a restart. */
	g_assert_false(peer_start_opts(&p, &d, "lab", "vm1.net0", 0, &o, &e1));
	g_assert_nonnull(strstr(e1, "provisioned for another user"));
	daemon_restart(&d, daemon_args);
	g_assert_false(peer_start_opts(&p, &d, "lab", "vm1.net0", 0, &o, &e2));
	g_assert_nonnull(strstr(e2, "provisioned for another user"));
	/* The owner gets VLAN 20 whatever it asks (and it may not ask here). */
	r3 = ctl_ok(&d, "port-provision", "{\"switch\":\"lab\",\"port\":\"vm1.net0\",\"vlan\":20,"
		    "\"macs\":[\"52:54:00:00:00:0a\"],\"owner-user\":65534}");
	start_as(&p, &d, "lab", "vm1.net0", 0, MAC_A, NOBODY);
	g_assert_cmpint(p.vlan, ==, 20);
	g_assert_cmpint(port_counter(&d, "lab", "vm1.net0", "vlan"), ==, 20);
	peer_stop(&p);
	daemon_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* Port guards                                                         */

/* A port spoofing a victim's MAC steals nothing with the guard on; with it off it learns. */
static void test_mac_spoofing(void)
{
	struct daemon d;
	struct peer thief, victim, sender;
	g_autofree char *spoof = frame_hex(BCAST, MAC_B, 0x88b5, "i-am-b");
	g_autofree char *to_b = frame_hex(MAC_B, MAC_C, 0x88b5, "for-b");
	g_autofree char *hello_b = frame_hex(BCAST, MAC_B, 0x88b5, "b-here");
	g_autoptr(JsonNode) r1 = NULL, r2 = NULL;
	g_autofree char *cnt = NULL;

	daemon_start(&d, NULL);
	r1 = ctl_ok(&d, "switch-add", "{\"name\":\"lab\"}");
	start_as(&thief, &d, "lab", "thief", 0, MAC_A, 0);
	start_as(&victim, &d, "lab", "victim", 0, MAC_B, 0);
	start_as(&sender, &d, "lab", "sender", 0, MAC_C, 0);
	peer_send(&victim, hello_b);			/* B learnt on victim */
	expect_frame(&thief, hello_b);
	expect_frame(&sender, hello_b);
	for (int i = 0; i < 50; i++)
		peer_send(&thief, spoof);
	wait_counter(&d, "lab", "thief", "drops.mac-spoofing", 50, ARRIVE_MS);
	expect_nothing(&victim);
	for (int i = 0; i < 20; i++)
		peer_send(&sender, to_b);
	cnt = peer_cmd(&victim, "count %d", 1000);
	g_assert_cmpstr(cnt, ==, "count 20");
	g_clear_pointer(&cnt, g_free);
	cnt = peer_cmd(&thief, "count %d", 300);
	g_assert_cmpstr(cnt, ==, "count 0");		/* 0 frames stolen */
	/* Spoofing allowed by an administrator: the thief is learnt as B. */
	r2 = ctl_ok(&d, "port-set", "{\"switch\":\"lab\",\"port\":\"thief\","
		    "\"mac-spoofing\":true}");
	peer_send(&thief, spoof);
	expect_frame(&victim, spoof);
	peer_send(&sender, to_b);
	expect_frame(&thief, to_b);
	expect_nothing(&victim);
	peer_stop(&thief);
	peer_stop(&victim);
	peer_stop(&sender);
	daemon_cleanup(&d);
}

/* Nobody but the NAT sends from the gateway's MAC, whatever its guards. */
static void test_gateway_mac(void)
{
	struct daemon d;
	struct peer thief, guest;
	g_autofree char *spoof = frame_hex(BCAST, GATEWAY, 0x0806, "gateway?");
	g_autofree char *to_gw = frame_hex(GATEWAY, MAC_C, 0x88b5, "for-the-nat");
	g_autoptr(JsonNode) r = NULL, mt = NULL;
	g_autofree char *cnt = NULL;
	JsonArray *entries;
	bool on_nat = false;

	daemon_start(&d, NULL);
	start_as(&thief, &d, "Default", "thief", 0, MAC_A, 0);
	start_as(&guest, &d, "Default", "guest", 0, MAC_C, 0);
	r = ctl_ok(&d, "port-set", "{\"switch\":\"Default\",\"port\":\"thief\","
		   "\"mac-spoofing\":true}");
	for (int i = 0; i < 20; i++)
		peer_send(&thief, spoof);
	wait_counter(&d, "Default", "thief", "drops.mac-spoofing", 20, ARRIVE_MS);
	/* The NAT answers an ARP for the gateway: the gateway is learnt on "nat". */
	{
		g_autofree char *arp = g_strconcat("ffffffffffff52540000000c0806",
						   "0001080006040001", "52540000000c0a00020f",
						   "0000000000000a000202", NULL);
		g_autofree char *reply = NULL;

		while (strlen(arp) < 120) {
			char *longer = g_strconcat(arp, "00", NULL);

			g_free(arp);
			arp = longer;
		}
		peer_send(&guest, arp);
		reply = peer_recv(&guest, ARRIVE_MS);
		g_assert_nonnull(reply);
		g_assert_true(g_str_has_prefix(reply, "52540000000c52550a000202" "0806"));
		/* The thief heard the broadcast request, as any port does. */
		cnt = peer_cmd(&thief, "count %d", 300);
		g_assert_cmpstr(cnt, ==, "count 1");
		g_clear_pointer(&cnt, g_free);
	}
	for (int i = 0; i < 10; i++)
		peer_send(&guest, to_gw);
	cnt = peer_cmd(&thief, "count %d", 500);
	g_assert_cmpstr(cnt, ==, "count 0");		/* nothing meant for the NAT */
	mt = ctl_ok(&d, "mac-table", "{\"switch\":\"Default\"}");
	entries = json_object_get_array_member(json_node_get_object(mt), "entries");
	for (guint i = 0; i < json_array_get_length(entries); i++) {
		JsonObject *e = json_array_get_object_element(entries, i);

		if (!strcmp(json_object_get_string_member(e, "mac"), "52:55:0a:00:02:02"))
			on_nat = !strcmp(json_object_get_string_member(e, "port"), "nat");
	}
	g_assert_true(on_nat);
	peer_stop(&thief);
	peer_stop(&guest);
	daemon_cleanup(&d);
}

/* Hex of an Ethernet + IPv4 + UDP frame from @src, ports @sport -> @dport, BOOTP op @op. */
static char *udp4_hex(const uint8_t src[6], uint16_t sport, uint16_t dport, uint8_t op)
{
	GString *s = g_string_new(NULL);

	for (int i = 0; i < 6; i++)
		g_string_append(s, "ff");
	for (int i = 0; i < 6; i++)
		g_string_append_printf(s, "%02x", src[i]);
	g_string_append(s, "0800");
	/* IPv4: 20 + 8 + 240 bytes (a BOOTP message), UDP, 10.0.2.99 -> broadcast */
	g_string_append(s, "4500011c00000000401100000a000263ffffffff");
	g_string_append_printf(s, "%04x%04x01080000", sport, dport);
	g_string_append_printf(s, "%02x01060000000001", op);	/* op htype hlen hops xid.. */
	while (s->len < 2 * (14 + 20 + 8 + 240))
		g_string_append(s, "00");
	return g_string_free(s, FALSE);
}

/* Hex of an Ethernet + IPv6 + ICMPv6 frame of @type from @src to all nodes. */
static char *icmp6_hex(const uint8_t src[6], uint8_t type)
{
	GString *s = g_string_new("333300000001");

	for (int i = 0; i < 6; i++)
		g_string_append_printf(s, "%02x", src[i]);
	g_string_append(s, "86dd");
	g_string_append(s, "6000000000103aff");		/* payload 16, ICMPv6, hop limit 255 */
	g_string_append(s, "fe800000000000005054000000000000a");
	g_string_truncate(s, s->len - 1);
	g_string_append(s, "ff020000000000000000000000000001");
	g_string_append_printf(s, "%02x00000040000708", type);	/* type code csum hlim flags lifetime */
	g_string_append(s, "0000000000000000");
	return g_string_free(s, FALSE);
}

static void test_dhcp_router_guards(void)
{
	struct daemon d;
	struct peer rogue, other;
	g_autofree char *offer = udp4_hex(MAC_A, 67, 68, 2);
	g_autofree char *request = udp4_hex(MAC_A, 68, 67, 1);
	g_autofree char *ra = icmp6_hex(MAC_A, 134);
	g_autofree char *redirect = icmp6_hex(MAC_A, 137);
	g_autofree char *rs = icmp6_hex(MAC_A, 133);
	g_autoptr(JsonNode) r1 = NULL, r2 = NULL, r3 = NULL;

	daemon_start(&d, NULL);
	r1 = ctl_ok(&d, "switch-add", "{\"name\":\"lab\"}");
	start_as(&rogue, &d, "lab", "rogue", 0, MAC_A, 0);
	start_as(&other, &d, "lab", "other", 0, MAC_B, 0);
	/* Guards off (Hyper-V's default): a DHCP server in a VM is heard. */
	peer_send(&rogue, offer);
	expect_frame(&other, offer);
	peer_send(&rogue, ra);
	expect_frame(&other, ra);
	r2 = ctl_ok(&d, "port-set", "{\"switch\":\"lab\",\"port\":\"rogue\","
		    "\"dhcp-guard\":true,\"router-guard\":true}");
	peer_send(&rogue, offer);
	peer_send(&rogue, ra);
	peer_send(&rogue, redirect);
	expect_nothing(&other);
	wait_counter(&d, "lab", "rogue", "drops.dhcp-guard", 1, ARRIVE_MS);
	wait_counter(&d, "lab", "rogue", "drops.router-guard", 2, ARRIVE_MS);
	/* A client's DHCP request and a router solicitation still go through. */
	peer_send(&rogue, request);
	expect_frame(&other, request);
	peer_send(&rogue, rs);
	expect_frame(&other, rs);
	/* The guards persist with the port (provisioned from the live port). */
	r3 = ctl_ok(&d, "port-provisioned", "{\"switch\":\"lab\"}");
	g_assert_true(json_object_get_boolean_member(json_array_get_object_element(
		json_object_get_array_member(json_node_get_object(r3), "ports"), 0), "dhcp-guard"));
	peer_stop(&rogue);
	peer_stop(&other);
	daemon_cleanup(&d);
}

int main(int argc, char **argv)
{
	harness_init(&argc, &argv);
	g_test_add_func("/roles/port-client-commands", test_port_client_commands);
	g_test_add_func("/roles/attach-policy", test_attach_policy);
	g_test_add_func("/roles/provisioned-port", test_provisioned_port);
	g_test_add_func("/guards/mac-spoofing", test_mac_spoofing);
	g_test_add_func("/guards/gateway-mac", test_gateway_mac);
	g_test_add_func("/guards/dhcp-router", test_dhcp_router_guards);
	return g_test_run();
}
