// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-model.c - unit tests of the configuration model: its rules, its
 * state file format, and who may attach what (vswd_attach_decide()).
 *
 * Copyright (C) 2026 The vswitch authors
 */
#include <string.h>

#include <glib.h>

#include "model.h"

static const struct vswd_model_defaults ROOT = { .root = true };
static const struct vswd_model_defaults ROOTLESS = { .root = false };
static const uint8_t MAC1[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t MAC2[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t GATEWAY[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

#define CLIENT_UID	1000
#define QEMU_GID	64055

static struct vswd_peer client(uid_t uid, gid_t extra_group)
{
	struct vswd_peer p = { .uid = uid, .gid = uid, .pid = 4242 };

	if (extra_group) {
		p.groups[0] = extra_group;
		p.ngroups = 1;
	}
	return p;
}

static void assert_denied(const GError *e)
{
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_PERMISSION);
}

static void test_switch_rules(void)
{
	g_autoptr(vswd_model) m = vswd_model_new(&ROOT);
	g_autoptr(GError) e = NULL;

	g_assert_true(vswd_model_switch_add(m, "lab", NULL));
	g_assert_false(vswd_model_switch_add(m, "lab", &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_EXISTS);
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_add(m, "default", &e));	/* any case */
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_EXISTS);
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_add(m, "../etc", &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_remove(m, VSWD_DEFAULT_SWITCH, &e));
	assert_denied(e);
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_rename(m, VSWD_DEFAULT_SWITCH, "x", &e));
	assert_denied(e);
	g_clear_error(&e);
	g_assert_true(vswd_model_switch_rename(m, "lab", "prod", NULL));
	g_assert_null(vswd_model_switch(m, "lab", NULL));
	g_assert_nonnull(vswd_model_switch(m, "prod", NULL));
	for (int i = m->switches->len; i < VSWD_SWITCHES_MAX; i++) {
		g_autofree char *n = g_strdup_printf("s%d", i);

		g_assert_true(vswd_model_switch_add(m, n, NULL));
	}
	g_assert_false(vswd_model_switch_add(m, "one-too-many", &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_BUSY);
}

/* One host adapter and one NIC per switch; none on Default; no interface twice. */
static void test_adapter_rules(void)
{
	g_autoptr(vswd_model) m = vswd_model_new(&ROOT);
	g_autoptr(GError) e = NULL;
	struct vswd_msw *a, *b;

	g_assert_true(vswd_model_switch_add(m, "a", NULL));
	g_assert_true(vswd_model_switch_add(m, "b", NULL));
	a = vswd_model_switch(m, "a", NULL);
	b = vswd_model_switch(m, "b", NULL);
	g_assert_cmpstr(vswd_msw_type(a), ==, "private");
	g_assert_true(vswd_model_switch_set_host_adapter(m, "a", true, NULL, NULL));
	g_assert_cmpstr(a->ha_name, ==, "vsw-a");
	g_assert_cmpstr(vswd_msw_type(a), ==, "internal");
	/* One host adapter per switch: a second name is refused, the same one is fine. */
	g_assert_false(vswd_model_switch_set_host_adapter(m, "a", true, "other", &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_EXISTS);
	g_assert_nonnull(strstr(e->message, "already has host adapter 'vsw-a'"));
	g_clear_error(&e);
	g_assert_true(vswd_model_switch_set_host_adapter(m, "a", true, "vsw-a", NULL));
	g_assert_true(vswd_model_switch_set_host_adapter(m, "a", true, NULL, NULL));
	/* Derived names are cut to 15 bytes and made of safe characters. */
	{
		g_autofree char *n = vswd_ha_name_default("a-very-long:switch@name");

		g_assert_cmpstr(n, ==, "vsw-a-very-long");
	}
	g_assert_true(vswd_model_switch_set_nic(m, "a", "eth0", false, NULL));
	g_assert_cmpstr(vswd_msw_type(a), ==, "external");
	/* A NIC serves one switch: refused, unless moved. */
	g_assert_false(vswd_model_switch_set_nic(m, "b", "eth0", false, &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_EXISTS);
	g_assert_nonnull(strstr(e->message, "bound to switch 'a'"));
	g_clear_error(&e);
	g_assert_true(vswd_model_switch_set_nic(m, "b", "eth0", true, NULL));
	g_assert_null(a->nic);
	g_assert_cmpstr(b->nic, ==, "eth0");
	g_assert_cmpstr(vswd_msw_type(a), ==, "internal");
	/* A host adapter is never a NIC, and the other way round. */
	g_assert_false(vswd_model_switch_set_nic(m, "b", "vsw-a", false, &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_EXISTS);
	g_assert_nonnull(strstr(e->message, "host adapter of switch 'a'"));
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_set_nic(m, "a", "vsw-a", false, &e));
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_set_host_adapter(m, "a", true, "eth0", &e));
	g_assert_nonnull(strstr(e->message, "NIC of switch 'b'"));
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_set_host_adapter(m, "b", true, "vsw-a", &e));
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_set_nic(m, "b", "bad/name", false, &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_set_nic(m, "b", "sixteen-chars-xx", false, &e));
	g_clear_error(&e);
	/* The Default switch refuses both. */
	g_assert_false(vswd_model_switch_set_host_adapter(m, VSWD_DEFAULT_SWITCH, true, NULL, &e));
	assert_denied(e);
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_set_nic(m, VSWD_DEFAULT_SWITCH, "eth1", false, &e));
	assert_denied(e);
	g_clear_error(&e);
	/* VLANs: only for adapters the switch has, 0-4094. */
	g_assert_true(vswd_model_switch_set_adapter_vlan(m, "a", false, 10, NULL));
	g_assert_cmpint(a->ha_vlan, ==, 10);
	g_assert_false(vswd_model_switch_set_adapter_vlan(m, "a", true, 10, &e));
	g_clear_error(&e);
	g_assert_false(vswd_model_switch_set_adapter_vlan(m, "b", true, 4095, &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	g_clear_error(&e);
	/* Removing the host adapter: Private again. */
	g_assert_true(vswd_model_switch_set_host_adapter(m, "a", false, NULL, NULL));
	g_assert_cmpstr(vswd_msw_type(a), ==, "private");
	g_assert_cmpint(a->ha_vlan, ==, 0);
}

static struct vswd_mport mport(const struct vswd_msw *sw, const char *name, uint16_t vlan)
{
	struct vswd_mport p = {
		.sw_id = sw->id, .name = (char *)name, .vlan = vlan,
		.owner_uid = VSWD_NO_ID, .owner_gid = VSWD_NO_ID,
	};

	return p;
}

static void test_provision_rules(void)
{
	g_autoptr(vswd_model) m = vswd_model_new(&ROOT);
	g_autoptr(GError) e = NULL;
	struct vswd_msw *sw;
	struct vswd_mport p, q;

	vswd_model_switch_add(m, "lab", NULL);
	sw = vswd_model_switch(m, "lab", NULL);
	p = mport(sw, "vm1.net0", 10);
	p.nmacs = 1;
	memcpy(p.macs[0], MAC1, 6);
	g_assert_true(vswd_model_port_provision(m, &p, NULL));
	/* The same MAC on another port of the switch is refused. */
	q = mport(sw, "vm2.net0", 10);
	q.nmacs = 1;
	memcpy(q.macs[0], MAC1, 6);
	g_assert_false(vswd_model_port_provision(m, &q, &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_EXISTS);
	g_clear_error(&e);
	/* The NAT's MACs and multicast are never a VM port's. */
	memcpy(q.macs[0], GATEWAY, 6);
	g_assert_false(vswd_model_port_provision(m, &q, &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	g_clear_error(&e);
	q.macs[0][0] = 0x01;
	g_assert_false(vswd_model_port_provision(m, &q, &e));
	g_clear_error(&e);
	/* Replacing the entry of the same port is fine. */
	p.vlan = 20;
	g_assert_true(vswd_model_port_provision(m, &p, NULL));
	g_assert_cmpint(vswd_model_port(m, sw, "vm1.net0")->vlan, ==, 20);
	g_assert_cmpint(m->ports->len, ==, 1);
	/* A rename keeps the switch's ports, a removal takes them. */
	g_assert_true(vswd_model_switch_rename(m, "lab", "prod", NULL));
	g_assert_nonnull(vswd_model_port(m, vswd_model_switch(m, "prod", NULL), "vm1.net0"));
	g_assert_true(vswd_model_switch_remove(m, "prod", NULL));
	g_assert_cmpint(m->ports->len, ==, 0);
}

/* Administrators may attach anywhere, with any VLAN. */
static void test_attach_admin(void)
{
	g_autoptr(vswd_model) m = vswd_model_new(&ROOT);
	struct vswd_policy pol = { .socket_gid = VSWD_NO_ID };
	struct vswd_peer admin = client(0, 0);
	struct vswd_attach_req req = { .vlan = 42, .mac = MAC1 };
	struct vswd_port_settings s;

	admin.admin = true;
	vswd_model_switch_add(m, "lab", NULL);
	g_assert_true(vswd_attach_decide(m, &pol, vswd_model_switch(m, "lab", NULL), "p",
					 &admin, &req, &s, NULL));
	g_assert_cmpint(s.vlan, ==, 42);
	g_assert_cmpint(s.nmacs, ==, 1);
	g_assert_false(s.mac_spoofing);	/* off by default, for everyone */
	g_assert_false(s.provisioned);
}

/* A port client needs the switch's access, by default the socket group. */
static void test_attach_access(void)
{
	g_autoptr(vswd_model) m = vswd_model_new(&ROOT);
	struct vswd_policy pol = { .socket_gid = QEMU_GID };
	struct vswd_peer stranger = client(CLIENT_UID, 0), qemu = client(CLIENT_UID, QEMU_GID);
	struct vswd_attach_req req = { 0 };
	struct vswd_port_settings s;
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GError) e = NULL;
	struct vswd_msw *sw;

	vswd_model_switch_add(m, "lab", NULL);
	sw = vswd_model_switch(m, "lab", NULL);
	g_assert_false(vswd_attach_decide(m, &pol, sw, "p", &stranger, &req, &s, &e));
	assert_denied(e);
	g_assert_nonnull(strstr(e->message, "uid 1000 may not attach ports to switch 'lab'"));
	g_clear_error(&e);
	g_assert_true(vswd_attach_decide(m, &pol, sw, "p", &qemu, &req, &s, NULL));
	/* An access list replaces the default: the group alone no longer does. */
	g_array_append_vals(uids, &(guint32){ 2000 }, 1);
	g_assert_true(vswd_model_switch_set_access(m, "lab", uids, NULL, NULL));
	g_assert_false(vswd_attach_decide(m, &pol, sw, "p", &qemu, &req, &s, &e));
	assert_denied(e);
	g_clear_error(&e);
	stranger.uid = 2000;
	g_assert_true(vswd_attach_decide(m, &pol, sw, "p", &stranger, &req, &s, NULL));
}

/* A port client may choose its VLAN only where the switch allows it. */
static void test_attach_vlan_policy(void)
{
	g_autoptr(vswd_model) m = vswd_model_new(&ROOT);
	struct vswd_policy pol = { .socket_gid = QEMU_GID };
	struct vswd_peer qemu = client(CLIENT_UID, QEMU_GID);
	struct vswd_attach_req req = { .vlan = 10 };
	struct vswd_port_settings s;
	g_autoptr(GError) e = NULL;
	struct vswd_msw *sw;
	uint64_t bits[64];

	vswd_model_switch_add(m, "lab", NULL);
	sw = vswd_model_switch(m, "lab", NULL);
	g_assert_cmpint(sw->client_vlans, ==, VSWD_VLANS_NONE);	/* as root */
	g_assert_false(vswd_attach_decide(m, &pol, sw, "p", &qemu, &req, &s, &e));
	assert_denied(e);
	g_assert_nonnull(strstr(e->message, "VLAN 10"));
	g_clear_error(&e);
	req.vlan = 0;	/* asking for nothing is always fine */
	g_assert_true(vswd_attach_decide(m, &pol, sw, "p", &qemu, &req, &s, NULL));
	g_assert_true(vswd_vlan_list_parse("10;20-29", bits));
	vswd_model_switch_set_vlans(m, "lab", VSWD_VLANS_LIST, bits, NULL);
	req.vlan = 25;
	g_assert_true(vswd_attach_decide(m, &pol, sw, "p", &qemu, &req, &s, NULL));
	g_assert_cmpint(s.vlan, ==, 25);
	req.vlan = 30;
	g_assert_false(vswd_attach_decide(m, &pol, sw, "p", &qemu, &req, &s, &e));
	g_clear_error(&e);
	vswd_model_switch_set_vlans(m, "lab", VSWD_VLANS_ANY, NULL, NULL);
	g_assert_true(vswd_attach_decide(m, &pol, sw, "p", &qemu, &req, &s, NULL));
	/* Rootless, clients may choose by default (the user owns it all). */
	{
		g_autoptr(vswd_model) r = vswd_model_new(&ROOTLESS);

		vswd_model_switch_add(r, "lab", NULL);
		g_assert_cmpint(vswd_model_switch(r, "lab", NULL)->client_vlans, ==,
				VSWD_VLANS_ANY);
	}
}

/* Provisioned ports: only the owner claims them, and gets exactly their settings. */
static void test_attach_provisioned(void)
{
	g_autoptr(vswd_model) m = vswd_model_new(&ROOT);
	struct vswd_policy pol = { .socket_gid = QEMU_GID };
	struct vswd_peer owner = client(CLIENT_UID, QEMU_GID);
	struct vswd_peer squatter = client(CLIENT_UID + 1, QEMU_GID);
	struct vswd_attach_req req = { .vlan = 99, .mac = MAC2 };
	struct vswd_port_settings s;
	g_autoptr(GError) e = NULL;
	struct vswd_msw *sw;
	struct vswd_mport p;

	vswd_model_switch_add(m, "lab", NULL);
	sw = vswd_model_switch(m, "lab", NULL);
	vswd_model_switch_set_vlans(m, "lab", VSWD_VLANS_ANY, NULL, NULL);
	p = mport(sw, "vm1.net0", 20);
	p.owner_uid = CLIENT_UID;
	p.nmacs = 1;
	memcpy(p.macs[0], MAC1, 6);
	p.dhcp_guard = true;
	g_assert_true(vswd_model_port_provision(m, &p, NULL));
	g_assert_false(vswd_attach_decide(m, &pol, sw, "vm1.net0", &squatter, &req, &s, &e));
	assert_denied(e);
	g_assert_nonnull(strstr(e->message, "provisioned for another user"));
	g_clear_error(&e);
	g_assert_true(vswd_attach_decide(m, &pol, sw, "vm1.net0", &owner, &req, &s, NULL));
	g_assert_true(s.provisioned);
	g_assert_cmpint(s.vlan, ==, 20);		/* not the 99 it asked for */
	g_assert_cmpint(s.nmacs, ==, 1);
	g_assert_cmpmem(s.macs[0], 6, MAC1, 6);	/* not the MAC it declared */
	g_assert_true(s.dhcp_guard);
	/* An owner group works too; no owner at all means administrators only. */
	p.owner_uid = VSWD_NO_ID;
	p.owner_gid = QEMU_GID;
	vswd_model_port_provision(m, &p, NULL);
	g_assert_true(vswd_attach_decide(m, &pol, sw, "vm1.net0", &squatter, &req, &s, NULL));
	p.owner_gid = VSWD_NO_ID;
	vswd_model_port_provision(m, &p, NULL);
	g_assert_false(vswd_attach_decide(m, &pol, sw, "vm1.net0", &owner, &req, &s, &e));
	g_clear_error(&e);
	/* Nobody else may declare a MAC provisioned for that port, nor the NAT's. */
	req.vlan = 0;
	req.mac = MAC1;
	g_assert_false(vswd_attach_decide(m, &pol, sw, "other", &owner, &req, &s, &e));
	assert_denied(e);
	g_assert_nonnull(strstr(e->message, "provisioned for port 'vm1.net0'"));
	g_clear_error(&e);
	req.mac = GATEWAY;
	g_assert_false(vswd_attach_decide(m, &pol, sw, "other", &owner, &req, &s, &e));
	assert_denied(e);
}

static struct vswd_model *from_text(const char *text, const struct vswd_model_defaults *def,
				    GError **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	g_assert_true(g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, NULL));
	return vswd_model_from_keyfile(kf, "test.conf", def, err);
}

static char *to_text(const struct vswd_model *m)
{
	g_autoptr(GKeyFile) kf = vswd_model_to_keyfile(m);

	return g_key_file_to_data(kf, NULL, NULL);
}

static void test_state_file(void)
{
	const char *text =
		"[switch:lab]\ntype=private\nallow-users=1000;1001\nallow-groups=64055\n"
		"client-vlans=10;20-29\n"
		"[switch:lan]\ntype=external\nnic=eth0\nnic-vlan=5\nhost-adapter=vsw-lan\n"
		"host-adapter-vlan=10\n"
		"[switch:Default]\nallow-groups=64055\n"
		"[port:lab/vm1.net0]\nvlan=20\nmacs=52:54:00:00:00:01\nmac-spoofing=false\n"
		"dhcp-guard=true\nrouter-guard=false\nowner-user=1000\n"
		"[port:lab/old]\nvlan=7\n"
		"[nat]\nhost-loopback=true\n"
		"[nat-forward:tcp:127.0.0.1:8080]\nguest=10.0.2.15:80\n";
	g_autoptr(vswd_model) m = from_text(text, &ROOT, NULL);
	g_autoptr(vswd_model) again = NULL;
	g_autofree char *first = NULL, *second = NULL;
	const struct vswd_msw *lab, *def;
	const struct vswd_mport *p;

	g_assert_nonnull(m);
	lab = vswd_model_switch(m, "lab", NULL);
	def = vswd_model_switch(m, VSWD_DEFAULT_SWITCH, NULL);
	g_assert_true(lab->access_set);
	g_assert_cmpint(lab->allow_uids->len, ==, 2);
	g_assert_cmpint(lab->client_vlans, ==, VSWD_VLANS_LIST);
	g_assert_true(lab->vlan_bits[25 / 64] >> (25 % 64) & 1);
	g_assert_false(lab->vlan_bits[30 / 64] >> (30 % 64) & 1);
	g_assert_true(def->access_set);
	p = vswd_model_port(m, lab, "vm1.net0");
	g_assert_cmpint(p->owner_uid, ==, 1000);
	g_assert_true(p->dhcp_guard);
	/* An entry of an older version (only a VLAN): administrators claim it. */
	p = vswd_model_port(m, lab, "old");
	g_assert_cmpint(p->vlan, ==, 7);
	g_assert_cmpint(p->owner_uid, ==, VSWD_NO_ID);
	g_assert_true(m->nat.host_loopback);
	g_assert_cmpint(m->fwds->len, ==, 1);
	lab = vswd_model_switch(m, "lan", NULL);
	g_assert_cmpstr(lab->nic, ==, "eth0");
	g_assert_cmpint(lab->nic_vlan, ==, 5);
	g_assert_cmpstr(lab->ha_name, ==, "vsw-lan");
	g_assert_cmpint(lab->ha_vlan, ==, 10);
	/* What is written reads back the same. */
	first = to_text(m);
	again = from_text(first, &ROOT, NULL);
	g_assert_nonnull(again);
	second = to_text(again);
	g_assert_cmpstr(first, ==, second);
}

static void test_state_file_errors(void)
{
	static const struct {
		const char *text, *what;
	} bad[] = {
		{ "[switch:lab]\ncolour=red\n", "unknown key 'colour'" },
		{ "[switch:lab]\nallow-users=alice\n", "allow-users" },
		{ "[switch:lab]\nclient-vlans=5000\n", "client-vlans" },
		{ "[switch:Default]\ntype=private\n", "type must be 'default'" },
		{ "[port:lab/p]\nvlan=1\n", "no such switch" },
		{ "[switch:lab]\n[port:lab/p]\nmacs=52:55:0a:00:02:02\n", "NAT" },
		{ "[switch:lab]\n[port:lab/p]\nowner-user=-1\n", "owner-user" },
		{ "[switch:lab]\n[port:lab/p]\nmac-spoofing=maybe\n", "mac-spoofing" },
		{ "[nat]\nhost-loopback=yes\n", "host-loopback" },
		{ "[wat]\n", "unknown section" },
		{ "[switch:lab]\ntype=internal\n", "does not match" },
		{ "[switch:lab]\ntype=external\nhost-adapter=x\n", "does not match" },
		{ "[switch:lab]\nnic=a/b\n", "invalid NIC name" },
		{ "[switch:a]\nnic=eth0\n[switch:b]\nnic=eth0\n", "bound to switch" },
		{ "[switch:a]\nnic=eth0\n[switch:b]\nhost-adapter=eth0\n", "NIC of switch" },
		{ "[switch:lab]\nnic-vlan=3\n", "does not have" },
		{ "[switch:lab]\nnic=e\nnic-vlan=4095\n", "nic-vlan" },
		{ "[switch:Default]\nnic=eth0\n", "Default" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) e = NULL;
		g_autoptr(vswd_model) m = from_text(bad[i].text, &ROOT, &e);

		g_assert_null(m);
		g_assert_nonnull(e);
		if (!strstr(e->message, bad[i].what))
			g_error("'%s': expected '%s' in '%s'", bad[i].text, bad[i].what,
				e->message);
	}
}

/* Root keeps the host's loopback from guests unless asked; rootless does not. */
static void test_nat_defaults(void)
{
	g_autoptr(vswd_model) root = vswd_model_new(&ROOT);
	g_autoptr(vswd_model) user = vswd_model_new(&ROOTLESS);
	g_autoptr(GError) e = NULL;

	g_assert_false(root->nat.host_loopback);
	g_assert_true(user->nat.host_loopback);
	g_assert_true(vswd_model_nat_set(root, "host-loopback", "true", NULL));
	g_assert_true(root->nat.host_loopback);
	g_assert_false(vswd_model_nat_set(root, "mtu", "70000", &e));
	g_assert_error(e, VSWD_ERROR, VSWD_ERR_INVALID);
	g_clear_error(&e);
	g_assert_false(vswd_model_nat_set(root, "colour", "red", &e));
	g_clear_error(&e);
	/* A forward pins the subnet it points into. */
	{
		struct vswd_mfwd f = { .host_port = 8080, .guest_port = 80 };

		f.host_addr.s_addr = htonl(0x7f000001);
		f.guest_addr.s_addr = htonl(0x0a00020f);
		g_assert_true(vswd_model_fwd_add(root, &f, NULL));
		g_assert_false(vswd_model_nat_set(root, "subnet", "10.9.0.0/24", &e));
		g_assert_error(e, VSWD_ERROR, VSWD_ERR_BUSY);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/model/switch-rules", test_switch_rules);
	g_test_add_func("/model/provision-rules", test_provision_rules);
	g_test_add_func("/model/adapter-rules", test_adapter_rules);
	g_test_add_func("/model/attach/admin", test_attach_admin);
	g_test_add_func("/model/attach/access", test_attach_access);
	g_test_add_func("/model/attach/vlan-policy", test_attach_vlan_policy);
	g_test_add_func("/model/attach/provisioned", test_attach_provisioned);
	g_test_add_func("/model/state-file", test_state_file);
	g_test_add_func("/model/state-file-errors", test_state_file_errors);
	g_test_add_func("/model/nat-defaults", test_nat_defaults);
	return g_test_run();
}
