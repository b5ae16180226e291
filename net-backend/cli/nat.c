// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nat.c - vswitchctl nat: the Default switch's NAT, its port forwards.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 *   vswitchctl nat show
 *   vswitchctl nat set KEY VALUE|--default
 *   vswitchctl nat reset KEY
 *   vswitchctl nat forward list
 *   vswitchctl nat forward add tcp|udp [HOSTADDR:]HOSTPORT GUESTADDR:GUESTPORT
 *   vswitchctl nat forward remove tcp|udp [HOSTADDR:]HOSTPORT
 *   vswitchctl nat connections
 *
 * A forward listens on 127.0.0.1 unless HOSTADDR is given.
 */
#include <stdio.h>
#include <string.h>

#include "vswitchctl.h"

static int nat_show(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	JsonObject *o, *counters = NULL;
	JsonNode *ret, *cn;
	GString *search;
	JsonArray *arr;
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, NULL, 0, 0);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	ret = ctl_call(ctl, "nat-show", NULL, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	o = json_node_get_object(ret);
	search = g_string_new(NULL);
	arr = ctl_get_array(o, "dns-search");
	for (unsigned i = 0; i < json_array_get_length(arr); i++)
		g_string_append_printf(search, "%s%s", i ? " " : "",
				       json_array_get_string_element(arr, i));
	ctl_field("switch", "%s (port %s)", ctl_get_str(o, "switch"), ctl_get_str(o, "port"));
	if (json_object_get_boolean_member_with_default(o, "running", FALSE))
		ctl_field("state", "running, pid %" G_GINT64_FORMAT, ctl_get_int(o, "pid"));
	else if (ctl_get_int(o, "pid"))
		ctl_field("state", "starting, pid %" G_GINT64_FORMAT, ctl_get_int(o, "pid"));
	else
		ctl_field("state", "not running (vswitchd starts it again by itself)");
	ctl_field("restarts", "%" G_GINT64_FORMAT " (crashes %" G_GINT64_FORMAT ")",
		  ctl_get_int(o, "restarts"), ctl_get_int(o, "crashes"));
	ctl_field("subnet", "%s", ctl_get_str(o, "subnet"));
	ctl_field("gateway", "%s", ctl_get_str(o, "gateway"));
	ctl_field("dns", "%s", ctl_get_str(o, "dns"));
	ctl_field("dhcp-start", "%s", ctl_get_str(o, "dhcp-start"));
	if (json_object_get_boolean_member_with_default(o, "ipv6", FALSE)) {
		ctl_field("ipv6-prefix", "%s", ctl_get_str(o, "ipv6-prefix"));
		ctl_field("gateway6", "%s", ctl_get_str(o, "gateway6"));
		ctl_field("dns6", "%s", ctl_get_str(o, "dns6"));
	} else {
		ctl_field("ipv6", "off");
	}
	ctl_field("dns-search", "%s", search->len ? search->str : "-");
	ctl_field("domain", "%s", *ctl_get_str(o, "domain") ? ctl_get_str(o, "domain") : "-");
	ctl_field("mtu", "%" G_GINT64_FORMAT, ctl_get_int(o, "mtu"));
	if (json_object_get_boolean_member_with_default(o, "host-loopback", FALSE))
		ctl_field("host-loopback", "on (%s reaches the host's 127.0.0.1)",
			  ctl_get_str(o, "gateway"));
	else
		ctl_field("host-loopback", "off");
	ctl_field("forwards", "%" G_GINT64_FORMAT, ctl_get_int(o, "forwards"));
	cn = json_object_get_member(o, "counters");
	if (cn && JSON_NODE_HOLDS_OBJECT(cn))
		counters = json_node_get_object(cn);
	if (counters) {
		g_autoptr(GList) names = json_object_get_members(counters);

		printf("counters:\n");
		for (GList *l = names; l; l = l->next)
			printf("  %-20s %" G_GINT64_FORMAT "\n", (const char *)l->data,
			       ctl_get_int(counters, l->data));
	}
	g_string_free(search, TRUE);
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

/* The [nat] settings 'nat set' knows, for its help and its checks. */
static const char *const nat_keys[] = {
	"subnet", "gateway", "dns", "dhcp-start", "ipv6", "ipv6-prefix",
	"dns-search", "domain", "mtu", "host-loopback", NULL
};

/* nat-set {key, value}; @value NULL resets the key to its default. */
static int nat_set_call(struct ctl *ctl, const struct ctl_cmd *cmd, const char *key,
			const char *value)
{
	g_autofree char *v = NULL;
	JsonObject *a;

	if (!g_strv_contains(nat_keys, key))
		return ctl_usage_error(cmd, "unknown NAT setting '%s' (known: subnet, gateway, "
				       "dns, dhcp-start, ipv6, ipv6-prefix, dns-search, domain, "
				       "mtu, host-loopback)", key);
	if (value && (!strcmp(key, "ipv6") || !strcmp(key, "host-loopback"))) {
		int on = ctl_parse_onoff(value);

		if (on < 0)
			return ctl_usage_error(cmd, "invalid value '%s' for %s: on or off",
					       value, key);
		v = g_strdup(on ? "true" : "false");
	} else if (value && !strcmp(key, "dns-search")) {
		/* Commas or spaces, as a person writes a list; ';' for the state file. */
		g_auto(GStrv) names = g_strsplit_set(value, ",; ", -1);
		GString *l = g_string_new(NULL);

		for (char **n = names; *n; n++)
			if (**n)
				g_string_append_printf(l, "%s%s", l->len ? ";" : "", *n);
		v = g_string_free(l, FALSE);
	} else if (value) {
		v = g_strdup(value);
	}
	a = json_object_new();
	json_object_set_string_member(a, "key", key);
	if (v)
		json_object_set_string_member(a, "value", v);
	else
		json_object_set_null_member(a, "value");
	return ctl_print_result(ctl, ctl_call(ctl, "nat-set", a, NULL));
}

static int nat_set(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	bool reset = false;
	const struct ctl_opt opts[] = {
		{ "default", NULL, &reset, NULL },
		{ NULL }
	};
	char *pos[2];
	int n = ctl_parse_args(ctl, cmd, argc, argv, opts, pos, 1, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	if (reset && n == 2)
		return ctl_usage_error(cmd, "give a VALUE or --default, not both");
	if (!reset && n == 1)
		return ctl_usage_error(cmd, "missing VALUE (or --default)");
	return nat_set_call(ctl, cmd, pos[0], reset ? NULL : pos[1]);
}

static int nat_reset(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	char *pos[1];
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, pos, 1, 1);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	return nat_set_call(ctl, cmd, pos[0], NULL);
}

static int nat_connections(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	JsonNode *ret;
	int n = ctl_parse_args(ctl, cmd, argc, argv, NULL, NULL, 0, 0);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	ret = ctl_call(ctl, "nat-connections", NULL, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	fputs(ctl_get_str(json_node_get_object(ret), "text"), stdout);
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

/* "tcp" or "udp" into @a's "proto"; Return: false after a usage error. */
static bool proto_arg(const struct ctl_cmd *cmd, const char *s, JsonObject *a)
{
	if (strcmp(s, "tcp") && strcmp(s, "udp")) {
		ctl_usage_error(cmd, "invalid protocol '%s': tcp or udp", s);
		return false;
	}
	json_object_set_string_member(a, "proto", s);
	return true;
}

/* "[ADDR:]PORT" into @a's @addr_key (if given) and @port_key. */
static bool addr_port_arg(const struct ctl_cmd *cmd, const char *s, bool addr_required,
			  const char *addr_key, const char *port_key, JsonObject *a)
{
	const char *colon = strrchr(s, ':');
	const char *port_s = colon ? colon + 1 : s;
	guint64 port;

	if ((addr_required && !colon) || (colon && colon == s) ||
	    !g_ascii_isdigit(port_s[0]) ||
	    !g_ascii_string_to_unsigned(port_s, 10, 1, 65535, &port, NULL)) {
		ctl_usage_error(cmd, "invalid '%s': expected %sPORT (port 1-65535)", s,
				addr_required ? "ADDRESS:" : "[ADDRESS:]");
		return false;
	}
	if (colon) {
		g_autofree char *addr = g_strndup(s, (gsize)(colon - s));

		json_object_set_string_member(a, addr_key, addr);
	}
	json_object_set_int_member(a, port_key, (gint64)port);
	return true;
}

static const struct ctl_cmd fwd_add_cmd = {
	"forward", "add tcp|udp [HOSTADDR:]HOSTPORT GUESTADDR:GUESTPORT",
	"forward a host port to a guest", NULL,
	"The forward listens on 127.0.0.1 unless HOSTADDR is given (0.0.0.0 for\n"
	"every address: think twice, other machines can then reach the guest).\n"
	"It persists across restarts.\n"
};
static const struct ctl_cmd fwd_remove_cmd = {
	"forward", "remove tcp|udp [HOSTADDR:]HOSTPORT", "remove a forward", NULL,
	"HOSTADDR defaults to 127.0.0.1, as for 'nat forward add'.\n"
};
static const struct ctl_cmd fwd_list_cmd = {
	"forward", "list", "list the forwards", NULL, NULL
};

static int fwd_list(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_table *t;
	JsonArray *fwds;
	JsonNode *ret;
	int n = ctl_parse_args(ctl, &fwd_list_cmd, argc, argv, NULL, NULL, 0, 0);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	ret = ctl_call(ctl, "nat-forward-list", NULL, NULL);
	if (!ret || ctl->json)
		return ctl_print_result(ctl, ret);
	fwds = ctl_get_array(json_node_get_object(ret), "forwards");
	t = ctl_table_new("lllll", "PROTO", "HOST", "GUEST", "STATE", "ERROR");
	for (unsigned i = 0; i < json_array_get_length(fwds); i++) {
		JsonObject *f = json_array_get_object_element(fwds, i);
		bool active = json_object_get_boolean_member_with_default(f, "active", FALSE);

		ctl_table_cell(t, "%s", ctl_get_str(f, "proto"));
		ctl_table_cell(t, "%s:%" G_GINT64_FORMAT, ctl_get_str(f, "host-addr"),
			       ctl_get_int(f, "host-port"));
		ctl_table_cell(t, "%s:%" G_GINT64_FORMAT, ctl_get_str(f, "guest-addr"),
			       ctl_get_int(f, "guest-port"));
		ctl_table_cell(t, "%s", active ? "active" : "inactive");
		ctl_table_cell(t, "%s", active ? "-" : ctl_get_str(f, "error"));
	}
	ctl_table_print(t);
	json_node_unref(ret);
	return CTL_EXIT_OK;
}

static int fwd_add(struct ctl *ctl, int argc, char **argv)
{
	JsonObject *a;
	char *pos[3];
	int n = ctl_parse_args(ctl, &fwd_add_cmd, argc, argv, NULL, pos, 3, 3);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	a = json_object_new();
	if (!proto_arg(&fwd_add_cmd, pos[0], a) ||
	    !addr_port_arg(&fwd_add_cmd, pos[1], false, "host-addr", "host-port", a) ||
	    !addr_port_arg(&fwd_add_cmd, pos[2], true, "guest-addr", "guest-port", a)) {
		json_object_unref(a);
		return CTL_EXIT_USAGE;
	}
	return ctl_print_result(ctl, ctl_call(ctl, "nat-forward-add", a, NULL));
}

static int fwd_remove(struct ctl *ctl, int argc, char **argv)
{
	JsonObject *a;
	char *pos[2];
	int n = ctl_parse_args(ctl, &fwd_remove_cmd, argc, argv, NULL, pos, 2, 2);

	if (n < 0)
		return CTL_PARSE_EXIT(n);
	a = json_object_new();
	if (!proto_arg(&fwd_remove_cmd, pos[0], a) ||
	    !addr_port_arg(&fwd_remove_cmd, pos[1], false, "host-addr", "host-port", a)) {
		json_object_unref(a);
		return CTL_EXIT_USAGE;
	}
	return ctl_print_result(ctl, ctl_call(ctl, "nat-forward-remove", a, NULL));
}

/* nat forward add|remove|list ...: argv[0] is "forward", argv[1] the verb. */
static int nat_forward(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "list"))
		return fwd_list(ctl, argc < 2 ? argc : argc - 1, argc < 2 ? argv : argv + 1);
	if (!strcmp(argv[1], "add"))
		return fwd_add(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[1], "remove") || !strcmp(argv[1], "rm"))
		return fwd_remove(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return ctl_parse_args(ctl, cmd, argc, argv, NULL, NULL, 0, 0) == CTL_PARSE_HELP ?
		       CTL_EXIT_OK : CTL_EXIT_USAGE;
	return ctl_usage_error(cmd, "unknown 'nat forward' command '%s'", argv[1]);
}

static const struct ctl_cmd nat_cmds[] = {
	{ "show", NULL, "show the Default switch's NAT", nat_show,
	  "The NAT runs in a sandboxed helper process (state: its pid); restarts\n"
	  "counts the times vswitchd started it again after it died, crashes the\n"
	  "times it died unexpectedly.  Settings: 'nat set', docs/default-switch.md.\n"
	  "Counters: to-nat frames went from the switch to the NAT, from-nat the\n"
	  "other way; -malformed and -ignored frames never reached the NAT,\n"
	  "-ring-full frames were dropped; fragments, reassembled and\n"
	  "fragments-dropped count IP fragments the NAT received, the datagrams it\n"
	  "rebuilt from them and the fragments it gave up on.\n" },
	{ "set", "KEY VALUE|--default", "change a NAT setting", nat_set,
	  "KEY is one of:\n"
	  "  subnet NET/LEN          the IPv4 subnet (default 10.0.2.0/24, prefix 8-27);\n"
	  "                          gateway (.2), dns (.3) and dhcp-start (.15)\n"
	  "                          follow it unless set themselves\n"
	  "  gateway ADDR            the NAT's address: the host, for guests\n"
	  "  dns ADDR                the DNS forwarder's address\n"
	  "  dhcp-start ADDR         the first of the 16 addresses DHCP gives\n"
	  "  ipv6 on|off             IPv6: router advertisements, DNS (default on)\n"
	  "  ipv6-prefix PREFIX/64   the IPv6 prefix (default fec0::/64)\n"
	  "  dns-search DOMAIN,...   DHCP's domain search list\n"
	  "  domain DOMAIN           DHCP's domain name\n"
	  "  mtu N                   the guests' MTU, 1280-65521 (default 1500)\n"
	  "  host-loopback on|off    guests reach the host's 127.0.0.1 at the gateway\n"
	  "                          address (default off when vswitchd runs as root)\n"
	  "--default (or 'nat reset KEY') forgets the setting: its default applies.\n"
	  "The setting is checked and saved; if it changes what the NAT does, the\n"
	  "NAT restarts with it: its connections are lost, the guests' DHCP leases\n"
	  "kept unless the subnet or dhcp-start changed.  It persists.\n" },
	{ "reset", "KEY", "reset a NAT setting to its default", nat_reset,
	  "The same as 'nat set KEY --default'.\n" },
	{ "forward", "add|remove|list ...", "manage port forwards to guests",
	  nat_forward,
	  "  nat forward add tcp|udp [HOSTADDR:]HOSTPORT GUESTADDR:GUESTPORT\n"
	  "  nat forward remove tcp|udp [HOSTADDR:]HOSTPORT\n"
	  "  nat forward list\n"
	  "A forward listens on 127.0.0.1 unless HOSTADDR is given, and persists.\n" },
	{ "connections", NULL, "show the NAT's connections", nat_connections },
	{ NULL }
};

const struct ctl_group ctl_group_nat = { "nat", nat_cmds, false };
