// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nat.c - the Default switch's NAT: settings, port forwards, commands.
 *
 * Copyright (C) 2026 The vswitch authors
 *
 * The Default switch always has one port of kind "nat" (port-slirp.c):
 * libslirp gives its VMs DHCP, a DNS forwarder, outbound TCP/UDP/ICMP
 * through the daemon's own sockets, IPv6 (router advertisements, DNS) and
 * inbound port forwards.  This file reads the [nat] and [nat-forward:...]
 * groups of the state file, builds libslirp's configuration, keeps the
 * forwards and serves the nat-* commands (docs/default-switch.md):
 *
 *   [nat]
 *   subnet=10.0.2.0/24
 *   ipv6-prefix=fec0::/64
 *
 *   [nat-forward:tcp:127.0.0.1:8080]
 *   guest=10.0.2.15:80
 *
 * Rules:
 *   - [nat] is read once, at start-up: a change needs a restart.  It is
 *     written back as the file had it.  Every key and value is checked;
 *     anything wrong stops the daemon with a message naming the group and
 *     the key, like the rest of the file.
 *   - A forward listens on 127.0.0.1 unless the user names another
 *     address: QEMU's hostfwd listens on every address, a known pitfall.
 *   - Adding or removing a forward is saved before it is reported done;
 *     if saving fails, it is undone.
 *   - A saved forward that cannot listen at start-up (its port is taken)
 *     stays configured but inactive, and says why; it never stops the
 *     daemon.
 *   - Only untagged ports of the Default switch reach the NAT: its port is
 *     an access port without VLAN, and the switch never forwards between
 *     VLANs.
 *   - libslirp's DHCP lease table is runtime state that outlives a daemon
 *     restart (<state-dir>/nat-leases): guests keep their addresses across
 *     it, so a new guest must not be offered one of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "port-slirp.h"
#include "proto.h"
#include "vswitchd.h"

#define NAT_PORT_NAME		"nat"
#define NAT_GROUP		"nat"
#define FWD_PREFIX		"nat-forward:"
#define MTU_DEFAULT		1500
#define MTU_MIN			1280	/* IPv6's minimum */
#define MTU_MAX			65521	/* libslirp's IF_MTU_MAX */
#define PREFIX_LEN_MIN		8
#define PREFIX_LEN_MAX		27	/* room for .2, .3 and 16 leases */
#define DHCP_LEASES		16	/* libslirp's NB_BOOTP_CLIENTS */

/**
 * struct nat_settings - the NAT's addresses and options ([nat]).
 * @net, @mask:    the IPv4 subnet
 * @prefix_len:    its prefix length
 * @gateway:       libslirp's address: the gateway, and the host itself
 * @dns:           libslirp's DNS forwarder
 * @dhcp_start:    the first address DHCP hands out
 * @ipv6:          IPv6 enabled
 * @prefix6:       the IPv6 /64 announced by router advertisements
 * @gateway6:      @prefix6 ::2, the host
 * @dns6:          @prefix6 ::3, the DNS forwarder
 * @dns_search:    DHCP domain search list, or NULL
 * @domain:        DHCP domain name, or NULL
 * @mtu:           libslirp's MTU and MRU
 * @host_loopback: guests reach the host's 127.0.0.1 at @gateway
 */
struct nat_settings {
	struct in_addr net, mask;
	unsigned prefix_len;
	struct in_addr gateway, dns, dhcp_start;
	bool ipv6;
	struct in6_addr prefix6, gateway6, dns6;
	char **dns_search;
	char *domain;
	unsigned mtu;
	bool host_loopback;
};

/**
 * struct nat_fwd - one inbound port forward.
 * @udp:        UDP rather than TCP
 * @host_addr:  listening address
 * @host_port:  listening port
 * @guest_addr: where it goes
 * @guest_port: guest port
 * @active:     libslirp listens for it
 * @error:      why it is not active, or NULL
 */
struct nat_fwd {
	bool udp;
	struct in_addr host_addr;
	uint16_t host_port;
	struct in_addr guest_addr;
	uint16_t guest_port;
	bool active;
	char *error;
};

/**
 * struct vswd_nat - the NAT of the Default switch.
 * @d:          the daemon
 * @set:        its settings
 * @raw:        the [nat] keys as the file had them (written back verbatim)
 * @fwds:       struct nat_fwd *
 * @vp:         its port on the Default switch, once started
 * @leases_src: a save of the DHCP leases is scheduled
 */
struct vswd_nat {
	struct vswd *d;
	struct nat_settings set;
	GHashTable *raw;
	GPtrArray *fwds;
	struct vswd_port *vp;
	guint leases_src;
};

/*
 * <state-dir>/nat-leases: libslirp's DHCP lease table, so that after a
 * restart of the daemon (guests keep their addresses, 24 h leases) a new
 * guest is not offered an address a running guest holds.  Runtime state,
 * binary, rewritten whole; a file that does not match the settings or
 * libslirp's state version is ignored.
 */
#define LEASES_FILE		"nat-leases"
#define LEASES_MAGIC		"VSWNATL1"
#define LEASES_SAVE_DELAY_S	1

struct leases_hdr {
	char magic[8];
	uint32_t version;	/* slirp_state_version() */
	uint32_t net;		/* the settings the table belongs to */
	uint32_t mask;
	uint32_t dhcp_start;
};

static void fwd_free(gpointer data)
{
	struct nat_fwd *f = data;

	g_free(f->error);
	g_free(f);
}

/* The host and the DNS forwarder in the IPv6 prefix: ::2 and ::3, as in QEMU. */
static void derive6(struct nat_settings *s)
{
	s->gateway6 = s->prefix6;
	s->gateway6.s6_addr[15] = 2;
	s->dns6 = s->prefix6;
	s->dns6.s6_addr[15] = 3;
}

static void settings_defaults(struct nat_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->net.s_addr = htonl(0x0a000200);		/* 10.0.2.0 */
	s->prefix_len = 24;
	s->mask.s_addr = htonl(0xffffff00);
	s->gateway.s_addr = htonl(0x0a000202);		/* 10.0.2.2 */
	s->dns.s_addr = htonl(0x0a000203);		/* 10.0.2.3 */
	s->dhcp_start.s_addr = htonl(0x0a00020f);	/* 10.0.2.15 */
	s->ipv6 = true;
	inet_pton(AF_INET6, "fec0::", &s->prefix6);	/* QEMU's, like the rest */
	s->mtu = MTU_DEFAULT;
	s->host_loopback = true;
	derive6(s);
}

/* The NAT state, created with default settings on first use. */
static struct vswd_nat *nat_get(struct vswd *d)
{
	if (!d->nat) {
		d->nat = g_new0(struct vswd_nat, 1);
		d->nat->d = d;
		settings_defaults(&d->nat->set);
		d->nat->raw = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		d->nat->fwds = g_ptr_array_new_with_free_func(fwd_free);
	}
	return d->nat;
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

static char *ip4_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

static char *ip6_str(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN])
{
	inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
	return buf;
}

/* Parse a dotted-quad IPv4 address, nothing else. */
static bool parse_ip4(const char *s, struct in_addr *a)
{
	return s && inet_pton(AF_INET, s, a) == 1;
}

/* Parse a decimal number in [@min, @max]: digits only. */
static bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	guint64 v;

	if (!s || !g_ascii_isdigit(s[0]) ||
	    !g_ascii_string_to_unsigned(s, 10, min, max, &v, NULL))
		return false;
	*out = (unsigned)v;
	return true;
}

/* "A.B.C.D:PORT" */
static bool parse_ip4_port(const char *s, struct in_addr *a, uint16_t *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	g_autofree char *addr = NULL;
	unsigned p;

	if (!colon)
		return false;
	addr = g_strndup(s, (gsize)(colon - s));
	if (!parse_ip4(addr, a) || !parse_uint(colon + 1, 1, 65535, &p))
		return false;
	*port = (uint16_t)p;
	return true;
}

static bool in_subnet(const struct nat_settings *s, struct in_addr a)
{
	return (a.s_addr & s->mask.s_addr) == s->net.s_addr;
}

/* An address of the subnet that a host may have: not network, not broadcast. */
static bool host_in_subnet(const struct nat_settings *s, struct in_addr a)
{
	uint32_t host = ntohl(a.s_addr) & ~ntohl(s->mask.s_addr);

	return in_subnet(s, a) && host != 0 && host != ~ntohl(s->mask.s_addr);
}

/*
 * libslirp gives DHCP_LEASES addresses from dhcp-start up, without looking
 * at the subnet: all of them must be host addresses of it, and none may
 * be the gateway or the DNS forwarder.
 */
static bool dhcp_range_ok(const struct nat_settings *s)
{
	for (uint32_t i = 0; i < DHCP_LEASES; i++) {
		struct in_addr a = { htonl(ntohl(s->dhcp_start.s_addr) + i) };

		if (!host_in_subnet(s, a) || a.s_addr == s->gateway.s_addr ||
		    a.s_addr == s->dns.s_addr)
			return false;
	}
	return true;
}

/* A DNS name: labels of 1-63 letters, digits and inner '-', 253 bytes at most. */
static bool dns_name_valid(const char *n)
{
	g_auto(GStrv) labels = NULL;

	if (!*n || strlen(n) > 253)
		return false;
	labels = g_strsplit(n, ".", -1);
	for (char **l = labels; *l; l++) {
		size_t len = strlen(*l);

		if (!len || len > 63 || (*l)[0] == '-' || (*l)[len - 1] == '-')
			return false;
		for (const char *c = *l; *c; c++)
			if (!g_ascii_isalnum(*c) && *c != '-')
				return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* The state file                                                      */

static bool bad(GError **err, const char *path, const char *group, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

static bool bad(GError **err, const char *path, const char *group, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "%s: [%s]: %s", path, group, what);
	return false;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "false")) {
		*out = false;
		return true;
	}
	return false;
}

/* "P::/64" into @s->prefix6; the host and DNS follow from it. */
static bool parse_prefix6(const char *v, struct nat_settings *s)
{
	const char *slash = strchr(v, '/');
	g_autofree char *addr = NULL;
	struct in6_addr a;
	unsigned len;

	if (!slash || !parse_uint(slash + 1, 64, 64, &len))
		return false;
	addr = g_strndup(v, (gsize)(slash - v));
	if (inet_pton(AF_INET6, addr, &a) != 1)
		return false;
	/* Bits beyond the /64 must be zero: the prefix is what it says. */
	for (int i = 8; i < 16; i++)
		if (a.s6_addr[i])
			return false;
	/* Not multicast, not link-local, not unspecified. */
	if (a.s6_addr[0] == 0xff || (a.s6_addr[0] == 0xfe && (a.s6_addr[1] & 0xc0) == 0x80) ||
	    !memcmp(&a, &in6addr_any, sizeof(a)))
		return false;
	s->prefix6 = a;
	return true;
}

/* The address at @offset in the subnet (QEMU's scheme: .2, .3, .15). */
static struct in_addr subnet_at(const struct nat_settings *s, uint32_t offset)
{
	struct in_addr a;

	a.s_addr = s->net.s_addr | (htonl(offset) & ~s->mask.s_addr);
	return a;
}

/* [nat] @key's value into *@slot (freeing the previous one); NULL if absent. */
static const char *value(GKeyFile *kf, const char *key, char **slot)
{
	g_free(*slot);
	*slot = g_key_file_get_string(kf, NAT_GROUP, key, NULL);
	return *slot;
}

static bool load_settings(struct vswd *d, struct vswd_nat *nat, GKeyFile *kf,
			  GError **err)
{
	static const char *const keys[] = {
		"subnet", "gateway", "dns", "dhcp-start", "ipv6", "ipv6-prefix",
		"dns-search", "domain", "mtu", "host-loopback", NULL
	};
	const char *path = d->conf_path, *g = NAT_GROUP;
	struct nat_settings *s = &nat->set;
	g_auto(GStrv) names = g_key_file_get_keys(kf, g, NULL, NULL);
	g_autofree char *v = NULL;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	for (char **k = names; k && *k; k++) {
		g_autofree char *text = NULL;
		g_autoptr(GError) e = NULL;

		if (!g_strv_contains(keys, *k))
			return bad(err, path, g, "unknown key '%s' (known: subnet, gateway, "
				   "dns, dhcp-start, ipv6, ipv6-prefix, dns-search, domain, "
				   "mtu, host-loopback)", *k);
		/* Every value must read as a string: an absent one is a default. */
		text = g_key_file_get_string(kf, g, *k, &e);
		if (!text)
			return bad(err, path, g, "%s: %s", *k, e->message);
		g_hash_table_insert(nat->raw, g_strdup(*k),
				    g_key_file_get_value(kf, g, *k, NULL));
	}

	if (value(kf, "subnet", &v)) {
		const char *slash = strchr(v, '/');
		g_autofree char *addr = slash ? g_strndup(v, (gsize)(slash - v)) : NULL;
		unsigned len;

		if (!slash || !parse_ip4(addr, &s->net) ||
		    !parse_uint(slash + 1, PREFIX_LEN_MIN, PREFIX_LEN_MAX, &len))
			return bad(err, path, g, "subnet '%s': expected an IPv4 network "
				   "such as 10.0.2.0/24 (prefix length %d-%d)", v,
				   PREFIX_LEN_MIN, PREFIX_LEN_MAX);
		s->prefix_len = len;
		s->mask.s_addr = htonl(0xffffffffu << (32 - len));
		if (s->net.s_addr & ~s->mask.s_addr)
			return bad(err, path, g, "subnet '%s': host bits are set "
				   "(did you mean %s/%u?)", v,
				   ip4_str((struct in_addr){ s->net.s_addr & s->mask.s_addr }, a),
				   len);
		s->gateway = subnet_at(s, 2);
		s->dns = subnet_at(s, 3);
		s->dhcp_start = subnet_at(s, 15);
	}
	if (value(kf, "gateway", &v) && !parse_ip4(v, &s->gateway))
		return bad(err, path, g, "gateway '%s' is not an IPv4 address", v);
	if (value(kf, "dns", &v) && !parse_ip4(v, &s->dns))
		return bad(err, path, g, "dns '%s' is not an IPv4 address", v);
	if (value(kf, "dhcp-start", &v) && !parse_ip4(v, &s->dhcp_start))
		return bad(err, path, g, "dhcp-start '%s' is not an IPv4 address", v);
	if (!host_in_subnet(s, s->gateway))
		return bad(err, path, g, "gateway %s is not a host address of subnet %s/%u",
			   ip4_str(s->gateway, a), ip4_str(s->net, b), s->prefix_len);
	if (!host_in_subnet(s, s->dns))
		return bad(err, path, g, "dns %s is not a host address of subnet %s/%u",
			   ip4_str(s->dns, a), ip4_str(s->net, b), s->prefix_len);
	if (!host_in_subnet(s, s->dhcp_start))
		return bad(err, path, g, "dhcp-start %s is not a host address of subnet %s/%u",
			   ip4_str(s->dhcp_start, a), ip4_str(s->net, b), s->prefix_len);
	if (s->gateway.s_addr == s->dns.s_addr)
		return bad(err, path, g, "gateway and dns must differ");
	if (!dhcp_range_ok(s)) {
		struct in_addr last = { htonl(ntohl(s->dhcp_start.s_addr) + DHCP_LEASES - 1) };
		char c[INET_ADDRSTRLEN];

		return bad(err, path, g, "dhcp-start %s: the %d addresses DHCP gives "
			   "(%s-%s) must be host addresses of subnet %s/%u other than "
			   "the gateway and dns", ip4_str(s->dhcp_start, a), DHCP_LEASES,
			   ip4_str(s->dhcp_start, a), ip4_str(last, b),
			   ip4_str(s->net, c), s->prefix_len);
	}

	if (value(kf, "ipv6", &v) && !parse_bool(v, &s->ipv6))
		return bad(err, path, g, "ipv6 must be true or false, not '%s'", v);
	if (value(kf, "ipv6-prefix", &v) && !parse_prefix6(v, s))
		return bad(err, path, g, "ipv6-prefix '%s': expected a unicast /64 "
			   "such as fd00:10:0:2::/64 (the rest zero)", v);
	derive6(s);

	if (g_key_file_has_key(kf, g, "dns-search", NULL)) {
		g_auto(GStrv) list = g_key_file_get_string_list(kf, g, "dns-search",
								NULL, NULL);

		if (!list || !list[0])
			return bad(err, path, g, "dns-search is empty: give domains "
				   "separated by ';' or remove the key");
		for (char **n = list; *n; n++)
			if (!dns_name_valid(*n))
				return bad(err, path, g, "dns-search: '%s' is not a domain name", *n);
		s->dns_search = g_steal_pointer(&list);
	}
	if (value(kf, "domain", &v)) {
		if (!dns_name_valid(v))
			return bad(err, path, g, "domain '%s' is not a domain name", v);
		s->domain = g_strdup(v);
	}
	if (value(kf, "mtu", &v) && !parse_uint(v, MTU_MIN, MTU_MAX, &s->mtu))
		return bad(err, path, g, "mtu must be %d-%d, not '%s'", MTU_MIN, MTU_MAX, v);
	if (value(kf, "host-loopback", &v) && !parse_bool(v, &s->host_loopback))
		return bad(err, path, g, "host-loopback must be true or false, not '%s'", v);
	return true;
}

static const char *fwd_proto(const struct nat_fwd *f)
{
	return f->udp ? "udp" : "tcp";
}

static guint fwd_index(struct vswd_nat *nat, const struct nat_fwd *f)
{
	guint i;

	for (i = 0; i < nat->fwds->len; i++)
		if (nat->fwds->pdata[i] == f)
			break;
	return i;
}

static struct nat_fwd *fwd_dup(const struct nat_fwd *f)
{
	struct nat_fwd *n = g_new(struct nat_fwd, 1);

	*n = *f;
	return n;
}

static struct nat_fwd *fwd_find(struct vswd_nat *nat, bool udp, struct in_addr addr,
				uint16_t port)
{
	for (unsigned i = 0; i < nat->fwds->len; i++) {
		struct nat_fwd *f = nat->fwds->pdata[i];

		if (f->udp == udp && f->host_addr.s_addr == addr.s_addr &&
		    f->host_port == port)
			return f;
	}
	return NULL;
}

/* Where a forward may go: a host address of the subnet that is not libslirp's. */
static bool guest_addr_ok(const struct nat_settings *s, struct in_addr a)
{
	return host_in_subnet(s, a) && a.s_addr != s->gateway.s_addr &&
	       a.s_addr != s->dns.s_addr;
}

/* [nat-forward:PROTO:ADDR:PORT] guest=ADDR:PORT */
static bool load_fwd(struct vswd *d, struct vswd_nat *nat, GKeyFile *kf,
		     const char *group, GError **err)
{
	const char *path = d->conf_path, *spec = group + strlen(FWD_PREFIX);
	g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);
	g_autofree char *guest = NULL;
	struct nat_fwd f = { 0 };
	char a[INET_ADDRSTRLEN];

	for (char **k = names; k && *k; k++)
		if (strcmp(*k, "guest"))
			return bad(err, path, group, "unknown key '%s' (known: guest)", *k);
	if (g_str_has_prefix(spec, "tcp:"))
		f.udp = false;
	else if (g_str_has_prefix(spec, "udp:"))
		f.udp = true;
	else
		return bad(err, path, group, "expected [nat-forward:tcp|udp:ADDRESS:PORT]");
	if (!parse_ip4_port(spec + 4, &f.host_addr, &f.host_port))
		return bad(err, path, group, "expected [nat-forward:%s:ADDRESS:PORT] with an "
			   "IPv4 address and a port 1-65535", fwd_proto(&f));
	if (!g_key_file_has_key(kf, group, "guest", NULL))
		return bad(err, path, group, "missing key 'guest' (guest=10.0.2.15:80)");
	guest = g_key_file_get_string(kf, group, "guest", NULL);
	if (!guest)
		return bad(err, path, group, "guest: not a valid UTF-8 string");
	if (!parse_ip4_port(guest, &f.guest_addr, &f.guest_port))
		return bad(err, path, group, "guest '%s': expected ADDRESS:PORT, "
			   "such as 10.0.2.15:80", guest);
	if (!guest_addr_ok(&nat->set, f.guest_addr))
		return bad(err, path, group, "guest '%s': not a guest address of the "
			   "NAT subnet %s/%u (nor its gateway or DNS)", guest,
			   ip4_str(nat->set.net, a), nat->set.prefix_len);
	if (fwd_find(nat, f.udp, f.host_addr, f.host_port))
		return bad(err, path, group, "forward listed twice");
	g_ptr_array_add(nat->fwds, fwd_dup(&f));
	return true;
}

bool vswd_nat_config_load(struct vswd *d, GKeyFile *kf, GError **err)
{
	struct vswd_nat *nat = nat_get(d);
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	/* Settings first: forwards are checked against the subnet. */
	if (g_key_file_has_group(kf, NAT_GROUP) && !load_settings(d, nat, kf, err))
		return false;
	for (char **g = groups; *g; g++)
		if (g_str_has_prefix(*g, FWD_PREFIX) && !load_fwd(d, nat, kf, *g, err))
			return false;
	return true;
}

static gint cmp_fwd(gconstpointer a, gconstpointer b)
{
	const struct nat_fwd *x = *(struct nat_fwd *const *)a;
	const struct nat_fwd *y = *(struct nat_fwd *const *)b;

	if (x->udp != y->udp)
		return x->udp ? 1 : -1;
	if (x->host_addr.s_addr != y->host_addr.s_addr)
		return ntohl(x->host_addr.s_addr) < ntohl(y->host_addr.s_addr) ? -1 : 1;
	return (int)x->host_port - (int)y->host_port;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void vswd_nat_config_save(struct vswd *d, GKeyFile *kf)
{
	struct vswd_nat *nat = d->nat;
	g_autoptr(GPtrArray) keys = NULL, fwds = NULL;
	GHashTableIter it;
	gpointer k;

	if (!nat)
		return;
	keys = g_ptr_array_new();
	g_hash_table_iter_init(&it, nat->raw);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(keys, k);
	g_ptr_array_sort(keys, cmp_str);
	for (unsigned i = 0; i < keys->len; i++)
		g_key_file_set_value(kf, NAT_GROUP, keys->pdata[i],
				     g_hash_table_lookup(nat->raw, keys->pdata[i]));
	/* Sorted, so the file does not churn between saves. */
	fwds = g_ptr_array_new();
	for (unsigned i = 0; i < nat->fwds->len; i++)
		g_ptr_array_add(fwds, nat->fwds->pdata[i]);
	g_ptr_array_sort(fwds, cmp_fwd);
	for (unsigned i = 0; i < fwds->len; i++) {
		const struct nat_fwd *f = fwds->pdata[i];
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
		g_autofree char *group = g_strdup_printf(FWD_PREFIX "%s:%s:%u", fwd_proto(f),
							 ip4_str(f->host_addr, a),
							 f->host_port);
		g_autofree char *guest = g_strdup_printf("%s:%u", ip4_str(f->guest_addr, b),
							 f->guest_port);

		g_key_file_set_string(kf, group, "guest", guest);
	}
}

/* ------------------------------------------------------------------ */
/* DHCP leases across restarts                                         */

static char *leases_path(struct vswd *d)
{
	return g_build_filename(d->cfg.state_dir, LEASES_FILE, NULL);
}

static void leases_hdr_fill(const struct nat_settings *s, struct leases_hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, LEASES_MAGIC, sizeof(h->magic));
	h->version = (uint32_t)slirp_state_version();
	h->net = s->net.s_addr;
	h->mask = s->mask.s_addr;
	h->dhcp_start = s->dhcp_start.s_addr;
}

static void leases_save(struct vswd_nat *nat)
{
	g_autofree char *path = leases_path(nat->d);
	g_autoptr(GBytes) state = vsw_port_slirp_save_leases(nat->vp->port);
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_autoptr(GError) e = NULL;
	struct leases_hdr h;
	gsize len;
	const guint8 *data = g_bytes_get_data(state, &len);

	leases_hdr_fill(&nat->set, &h);
	g_byte_array_append(buf, (const guint8 *)&h, sizeof(h));
	g_byte_array_append(buf, data, (guint)len);
	if (!g_file_set_contents_full(path, (const char *)buf->data, buf->len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &e))
		g_warning("cannot save the NAT's DHCP leases: %s", e->message);
}

static gboolean leases_save_cb(gpointer data)
{
	struct vswd_nat *nat = data;

	nat->leases_src = 0;
	leases_save(nat);
	return G_SOURCE_REMOVE;
}

/* libslirp answered a DHCP request: save the table soon (once per burst). */
static void on_lease(void *data)
{
	struct vswd_nat *nat = data;

	if (!nat->leases_src)
		nat->leases_src = g_timeout_add_seconds(LEASES_SAVE_DELAY_S,
							leases_save_cb, nat);
}

static void leases_load(struct vswd_nat *nat)
{
	g_autofree char *path = leases_path(nat->d);
	g_autofree char *data = NULL;
	g_autoptr(GError) e = NULL;
	g_autoptr(GBytes) state = NULL;
	struct leases_hdr want, got;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, &e)) {
		if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning("cannot read the NAT's DHCP leases: %s", e->message);
		return;
	}
	leases_hdr_fill(&nat->set, &want);
	if (len >= sizeof(got))
		memcpy(&got, data, sizeof(got));
	if (len < sizeof(got) || memcmp(&got, &want, sizeof(got))) {
		g_message("%s is for other NAT settings or another libslirp: "
			  "DHCP leases start empty", path);
		return;
	}
	state = g_bytes_new(data + sizeof(got), len - sizeof(got));
	if (vsw_port_slirp_load_leases(nat->vp->port, (int)got.version, state) < 0)
		g_warning("%s is damaged: DHCP leases start empty", path);
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                      */

/* Make libslirp listen for @f; Return: 0 or -errno. */
static int fwd_activate(struct vswd_nat *nat, struct nat_fwd *f)
{
	int rc = vsw_port_slirp_add_fwd(nat->vp->port, f->udp, f->host_addr,
					 f->host_port, f->guest_addr, f->guest_port);

	g_clear_pointer(&f->error, g_free);
	f->active = rc == 0;
	if (rc < 0)
		f->error = g_strdup(g_strerror(-rc));
	return rc;
}

bool vswd_nat_start(struct vswd *d, GError **err)
{
	struct vswd_nat *nat = nat_get(d);
	struct nat_settings *s = &nat->set;
	struct vswd_switch *sw = vswd_switch_find(d, VSWD_DEFAULT_SWITCH, err);
	SlirpConfig c = { 0 };
	struct vsw_port *p;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN];
	char h[INET_ADDRSTRLEN], f6[INET6_ADDRSTRLEN];

	if (!sw)
		return false;
	c.in_enabled = true;
	c.vnetwork = s->net;
	c.vnetmask = s->mask;
	c.vhost = s->gateway;
	c.vdhcp_start = s->dhcp_start;
	c.vnameserver = s->dns;
	c.in6_enabled = s->ipv6;
	c.vprefix_addr6 = s->prefix6;
	c.vprefix_len = 64;
	c.vhost6 = s->gateway6;
	c.vnameserver6 = s->dns6;
	c.vdnssearch = (const char **)s->dns_search;
	c.vdomainname = s->domain;
	c.if_mtu = s->mtu;
	c.if_mru = s->mtu;
	c.disable_host_loopback = !s->host_loopback;
	p = vsw_port_slirp_new(NAT_PORT_NAME, d->cfg.ring_size, &c, err);
	if (!p)
		return false;
	/* libslirp's gateway MAC, 52:55:<gateway address>, for port listings. */
	snprintf(p->mac, sizeof(p->mac), "52:55:%02x:%02x:%02x:%02x",
		 ((uint8_t *)&s->gateway)[0], ((uint8_t *)&s->gateway)[1],
		 ((uint8_t *)&s->gateway)[2], ((uint8_t *)&s->gateway)[3]);
	nat->vp = vswd_port_add(d, sw, p, NULL, err);
	if (!nat->vp) {
		p->ops->destroy(p);
		return false;
	}
	leases_load(nat);
	vsw_port_slirp_on_lease(p, on_lease, nat);
	g_message("NAT on switch '%s': subnet %s/%u, gateway %s, DNS %s, DHCP from %s%s%s",
		  sw->name, ip4_str(s->net, a), s->prefix_len, ip4_str(s->gateway, b),
		  ip4_str(s->dns, e), ip4_str(s->dhcp_start, h),
		  s->ipv6 ? ", IPv6 " : "", s->ipv6 ? ip6_str(&s->prefix6, f6) : "");
	for (unsigned i = 0; i < nat->fwds->len; i++) {
		struct nat_fwd *f = nat->fwds->pdata[i];

		if (fwd_activate(nat, f) < 0)
			g_warning("NAT forward %s %s:%u -> %s:%u is inactive: cannot listen: %s",
				  fwd_proto(f), ip4_str(f->host_addr, a), f->host_port,
				  ip4_str(f->guest_addr, b), f->guest_port, f->error);
	}
	return true;
}

void vswd_nat_stop(struct vswd *d)
{
	struct vswd_nat *nat = d->nat;

	if (!nat)
		return;
	if (nat->leases_src)
		g_source_remove(nat->leases_src);
	if (nat->vp) {
		leases_save(nat);
		vswd_port_remove(d, nat->vp);
	}
	g_ptr_array_unref(nat->fwds);
	g_hash_table_unref(nat->raw);
	g_strfreev(nat->set.dns_search);
	g_free(nat->set.domain);
	g_free(nat);
	d->nat = NULL;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

static struct vswd_nat *nat_running(struct vswd *d, GError **err)
{
	if (!d->nat || !d->nat->vp) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_GENERIC,
			    "the NAT of switch '%s' is not running", VSWD_DEFAULT_SWITCH);
		return NULL;
	}
	return d->nat;
}

static JsonNode *fwd_to_json(const struct nat_fwd *f)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	char a[INET_ADDRSTRLEN];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "proto");
	json_builder_add_string_value(b, fwd_proto(f));
	json_builder_set_member_name(b, "host-addr");
	json_builder_add_string_value(b, ip4_str(f->host_addr, a));
	json_builder_set_member_name(b, "host-port");
	json_builder_add_int_value(b, f->host_port);
	json_builder_set_member_name(b, "guest-addr");
	json_builder_add_string_value(b, ip4_str(f->guest_addr, a));
	json_builder_set_member_name(b, "guest-port");
	json_builder_add_int_value(b, f->guest_port);
	json_builder_set_member_name(b, "active");
	json_builder_add_boolean_value(b, f->active);
	if (f->error) {
		json_builder_set_member_name(b, "error");
		json_builder_add_string_value(b, f->error);
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static void add_counter(JsonBuilder *b, const char *name, uint64_t v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, (gint64)v);
}

static JsonNode *cmd_nat_show(struct vswd *d, struct vswd_conn *c, JsonObject *a,
			      GError **err)
{
	struct vswd_nat *nat = nat_running(d, err);
	g_autoptr(JsonBuilder) b = NULL;
	struct nat_settings *s;
	struct vsw_slirp_stats st;
	char buf[INET6_ADDRSTRLEN];
	g_autofree char *subnet = NULL;

	if (!nat)
		return NULL;
	s = &nat->set;
	vsw_port_slirp_get_stats(nat->vp->port, &st);
	subnet = g_strdup_printf("%s/%u", ip4_str(s->net, buf), s->prefix_len);
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "switch");
	json_builder_add_string_value(b, nat->vp->sw->name);
	json_builder_set_member_name(b, "port");
	json_builder_add_string_value(b, nat->vp->port->name);
	json_builder_set_member_name(b, "subnet");
	json_builder_add_string_value(b, subnet);
	json_builder_set_member_name(b, "gateway");
	json_builder_add_string_value(b, ip4_str(s->gateway, buf));
	json_builder_set_member_name(b, "dns");
	json_builder_add_string_value(b, ip4_str(s->dns, buf));
	json_builder_set_member_name(b, "dhcp-start");
	json_builder_add_string_value(b, ip4_str(s->dhcp_start, buf));
	json_builder_set_member_name(b, "ipv6");
	json_builder_add_boolean_value(b, s->ipv6);
	if (s->ipv6) {
		g_autofree char *prefix = g_strdup_printf("%s/64", ip6_str(&s->prefix6, buf));

		json_builder_set_member_name(b, "ipv6-prefix");
		json_builder_add_string_value(b, prefix);
		json_builder_set_member_name(b, "gateway6");
		json_builder_add_string_value(b, ip6_str(&s->gateway6, buf));
		json_builder_set_member_name(b, "dns6");
		json_builder_add_string_value(b, ip6_str(&s->dns6, buf));
	}
	json_builder_set_member_name(b, "dns-search");
	json_builder_begin_array(b);
	for (char **n = s->dns_search; n && *n; n++)
		json_builder_add_string_value(b, *n);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "domain");
	json_builder_add_string_value(b, s->domain ? s->domain : "");
	json_builder_set_member_name(b, "mtu");
	json_builder_add_int_value(b, s->mtu);
	json_builder_set_member_name(b, "host-loopback");
	json_builder_add_boolean_value(b, s->host_loopback);
	json_builder_set_member_name(b, "forwards");
	json_builder_add_int_value(b, nat->fwds->len);
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	add_counter(b, "to-nat", st.to_nat);
	add_counter(b, "to-nat-malformed", st.to_nat_malformed);
	add_counter(b, "to-nat-ignored", st.to_nat_ignored);
	add_counter(b, "to-nat-ring-full",
		    vsw_ctr_read(&nat->vp->port->ctr.drops[VSW_DROP_RING_FULL]));
	add_counter(b, "from-nat", st.from_nat);
	add_counter(b, "from-nat-ring-full", st.from_nat_ring_full);
	add_counter(b, "from-nat-bad-size", st.from_nat_bad_size);
	add_counter(b, "guest-errors", st.guest_errors);
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *cmd_nat_connections(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				     GError **err)
{
	struct vswd_nat *nat = nat_running(d, err);
	g_autofree char *info = NULL;

	if (!nat)
		return NULL;
	info = vsw_port_slirp_connections(nat->vp->port);
	return vswd_object_with("text", json_node_init_string(json_node_alloc(), info));
}

/* The forward's key from the arguments: proto, host-addr (127.0.0.1), host-port. */
static bool fwd_key_args(JsonObject *a, struct nat_fwd *f, GError **err)
{
	const char *proto = vswd_arg_string(a, "proto", true, err);
	const char *host = proto ? vswd_arg_string(a, "host-addr", false, err) : NULL;
	int64_t port = 0;

	if (!proto || (err && *err) ||
	    !vswd_arg_int(a, "host-port", 1, 65535, true, &port, err))
		return false;
	if (!strcmp(proto, "tcp")) {
		f->udp = false;
	} else if (!strcmp(proto, "udp")) {
		f->udp = true;
	} else {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid protocol '%.16s' (tcp or udp)", proto);
		return false;
	}
	/* Loopback unless the user names another address (QEMU's pitfall). */
	if (!host)
		host = "127.0.0.1";
	if (!parse_ip4(host, &f->host_addr)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid host address '%.64s' (an IPv4 address such as "
			    "127.0.0.1, or 0.0.0.0 for every address)", host);
		return false;
	}
	f->host_port = (uint16_t)port;
	return true;
}

static int listen_error_class(int rc)
{
	switch (rc) {
	case -EADDRINUSE:
		return VSWD_ERR_BUSY;
	case -EACCES:
	case -EPERM:
		return VSWD_ERR_PERMISSION;
	case -EADDRNOTAVAIL:
		return VSWD_ERR_INVALID;
	default:
		return VSWD_ERR_GENERIC;
	}
}

static JsonNode *cmd_nat_forward_add(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				     GError **err)
{
	struct vswd_nat *nat = nat_running(d, err);
	struct nat_fwd f = { 0 }, *nf, *old;
	const char *guest;
	int64_t gport = 0;
	char ha[INET_ADDRSTRLEN], ga[INET_ADDRSTRLEN], sn[INET_ADDRSTRLEN];
	int rc;

	if (!nat || !fwd_key_args(a, &f, err))
		return NULL;
	guest = vswd_arg_string(a, "guest-addr", true, err);
	if (!guest || !vswd_arg_int(a, "guest-port", 1, 65535, true, &gport, err))
		return NULL;
	if (!parse_ip4(guest, &f.guest_addr) || !guest_addr_ok(&nat->set, f.guest_addr)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid guest address '%.64s': expected a guest address of "
			    "the NAT subnet %s/%u, such as %s", guest,
			    ip4_str(nat->set.net, sn), nat->set.prefix_len,
			    ip4_str(nat->set.dhcp_start, ga));
		return NULL;
	}
	f.guest_port = (uint16_t)gport;
	old = fwd_find(nat, f.udp, f.host_addr, f.host_port);
	if (old) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "NAT forward %s %s:%u already exists (to %s:%u)", fwd_proto(&f),
			    ip4_str(f.host_addr, ha), f.host_port,
			    ip4_str(old->guest_addr, ga), old->guest_port);
		return NULL;
	}
	nf = fwd_dup(&f);
	rc = fwd_activate(nat, nf);
	if (rc < 0) {
		g_set_error(err, VSWD_ERROR, listen_error_class(rc),
			    "NAT forward %s %s:%u: cannot listen: %s%s", fwd_proto(nf),
			    ip4_str(nf->host_addr, ha), nf->host_port, nf->error,
			    rc == -EACCES && nf->host_port < 1024 ?
			    " (ports below 1024 need privileges)" : "");
		fwd_free(nf);
		return NULL;
	}
	g_ptr_array_add(nat->fwds, nf);
	if (!vswd_config_save(d, err)) {
		vsw_port_slirp_remove_fwd(nat->vp->port, nf->udp, nf->host_addr,
					  nf->host_port);
		g_ptr_array_remove(nat->fwds, nf);
		return NULL;
	}
	g_message("NAT forward %s %s:%u -> %s:%u added", fwd_proto(nf),
		  ip4_str(nf->host_addr, ha), nf->host_port, ip4_str(nf->guest_addr, ga),
		  nf->guest_port);
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_nat_forward_remove(struct vswd *d, struct vswd_conn *c, JsonObject *a,
					GError **err)
{
	struct vswd_nat *nat = nat_running(d, err);
	struct nat_fwd key = { 0 }, *f;
	char ha[INET_ADDRSTRLEN];

	if (!nat || !fwd_key_args(a, &key, err))
		return NULL;
	f = fwd_find(nat, key.udp, key.host_addr, key.host_port);
	if (!f) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND,
			    "no NAT forward %s %s:%u", fwd_proto(&key),
			    ip4_str(key.host_addr, ha), key.host_port);
		return NULL;
	}
	/* Saved without it first; only then does libslirp stop listening. */
	g_ptr_array_steal_index(nat->fwds, fwd_index(nat, f));
	if (!vswd_config_save(d, err)) {
		g_ptr_array_add(nat->fwds, f);
		return NULL;
	}
	if (f->active)
		vsw_port_slirp_remove_fwd(nat->vp->port, f->udp, f->host_addr, f->host_port);
	g_message("NAT forward %s %s:%u removed", fwd_proto(f), ip4_str(f->host_addr, ha),
		  f->host_port);
	fwd_free(f);
	return json_node_new(JSON_NODE_NULL);
}

static JsonNode *cmd_nat_forward_list(struct vswd *d, struct vswd_conn *c, JsonObject *a,
				      GError **err)
{
	struct vswd_nat *nat = nat_running(d, err);
	g_autoptr(GPtrArray) fwds = NULL;
	JsonArray *arr;
	JsonNode *n;

	if (!nat)
		return NULL;
	fwds = g_ptr_array_new();
	for (unsigned i = 0; i < nat->fwds->len; i++)
		g_ptr_array_add(fwds, nat->fwds->pdata[i]);
	g_ptr_array_sort(fwds, cmp_fwd);
	arr = json_array_new();
	for (unsigned i = 0; i < fwds->len; i++)
		json_array_add_element(arr, fwd_to_json(fwds->pdata[i]));
	n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, arr);
	return vswd_object_with("forwards", n);
}

const struct vswd_command vswd_nat_commands[] = {
	{ "nat-show", cmd_nat_show, ARGS(NULL) },
	{ "nat-connections", cmd_nat_connections, ARGS(NULL) },
	{ "nat-forward-add", cmd_nat_forward_add,
	  ARGS("proto", "host-addr", "host-port", "guest-addr", "guest-port") },
	{ "nat-forward-remove", cmd_nat_forward_remove,
	  ARGS("proto", "host-addr", "host-port") },
	{ "nat-forward-list", cmd_nat_forward_list, ARGS(NULL) },
	{ NULL }
};
