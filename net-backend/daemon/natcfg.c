// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * natcfg.c - the Default switch's NAT in the model: its settings ([nat])
 * and port forwards ([nat-forward:...]), parsed strictly (see model.h).
 *
 * Copyright (C) 2026 The vswitch authors
 *
 *   [nat]
 *   subnet=10.0.2.0/24
 *   ipv6-prefix=fec0::/64
 *   host-loopback=true
 *
 *   [nat-forward:tcp:127.0.0.1:8080]
 *   guest=10.0.2.15:80
 *
 * Rules:
 *   - Every [nat] key is optional; each value is checked and a wrong one is
 *     an error naming the group and the key.  The keys are written back as
 *     they were set, so the file keeps what the administrator wrote.
 *   - host-loopback (guests reach the host's 127.0.0.1 at the gateway
 *     address) defaults to false when vswitchd runs as root: a guest of
 *     the system daemon must not reach every local service of the host
 *     unless an administrator says so.  Rootless it defaults to true, as
 *     QEMU's and passt's user networking map the gateway to the user's own
 *     loopback.
 *   - A forward listens on 127.0.0.1 unless the administrator names another
 *     address (QEMU's hostfwd listens on every address, a known pitfall),
 *     and goes to a host address of the subnet other than the gateway and
 *     the DNS forwarder.  A forward is named by (protocol, address, port).
 *   - Changing the subnet is refused while a forward points outside the new one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#define NAT_GROUP		"nat"
#define FWD_PREFIX		"nat-forward:"
#define MTU_DEFAULT		1500
#define MTU_MIN			1280	/* IPv6's minimum; natd/nat.h NATD_GUEST_MTU_MIN */
#define MTU_MAX			65521	/* libslirp's IF_MTU_MAX; NATD_GUEST_MTU_MAX */
#define PREFIX_LEN_MIN		8
#define PREFIX_LEN_MAX		27	/* room for .2, .3 and 16 leases */
#define DHCP_LEASES		16	/* libslirp's NB_BOOTP_CLIENTS */
#define FWDS_MAX		256

static const char *const nat_keys[] = {
	"subnet", "gateway", "dns", "dhcp-start", "ipv6", "ipv6-prefix",
	"dns-search", "domain", "mtu", "host-loopback", NULL
};

bool vswd_natcfg_is_group(const char *group)
{
	return !strcmp(group, NAT_GROUP) || g_str_has_prefix(group, FWD_PREFIX);
}

static char *ip4_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
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

static bool in_subnet(const struct vswd_nat_settings *s, struct in_addr a)
{
	return (a.s_addr & s->mask.s_addr) == s->net.s_addr;
}

/* An address of the subnet that a host may have: not network, not broadcast. */
static bool host_in_subnet(const struct vswd_nat_settings *s, struct in_addr a)
{
	uint32_t host = ntohl(a.s_addr) & ~ntohl(s->mask.s_addr);

	return in_subnet(s, a) && host != 0 && host != ~ntohl(s->mask.s_addr);
}

bool vswd_nat_guest_addr_ok(const struct vswd_nat_settings *s, struct in_addr a)
{
	return host_in_subnet(s, a) && a.s_addr != s->gateway.s_addr &&
	       a.s_addr != s->dns.s_addr;
}

/*
 * libslirp gives DHCP_LEASES addresses from dhcp-start up, without looking
 * at the subnet: all of them must be host addresses of it, and none may
 * be the gateway or the DNS forwarder.
 */
static bool dhcp_range_ok(const struct vswd_nat_settings *s)
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

/* The host and the DNS forwarder in the IPv6 prefix: ::2 and ::3, as in QEMU. */
static void derive6(struct vswd_nat_settings *s)
{
	s->gateway6 = s->prefix6;
	s->gateway6.s6_addr[15] = 2;
	s->dns6 = s->prefix6;
	s->dns6.s6_addr[15] = 3;
}

void vswd_nat_settings_default(struct vswd_nat_settings *s, const struct vswd_model_defaults *d)
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
	s->host_loopback = !d->root;
	derive6(s);
}

void vswd_nat_settings_clear(struct vswd_nat_settings *s)
{
	g_strfreev(s->dns_search);
	g_free(s->domain);
	s->dns_search = NULL;
	s->domain = NULL;
}

void vswd_nat_settings_copy(struct vswd_nat_settings *dst, const struct vswd_nat_settings *src)
{
	*dst = *src;
	dst->dns_search = g_strdupv(src->dns_search);
	dst->domain = g_strdup(src->domain);
}

bool vswd_nat_settings_equal(const struct vswd_nat_settings *a, const struct vswd_nat_settings *b)
{
	guint na = a->dns_search ? g_strv_length(a->dns_search) : 0;
	guint nb = b->dns_search ? g_strv_length(b->dns_search) : 0;

	if (na != nb || g_strcmp0(a->domain, b->domain))
		return false;
	for (guint i = 0; i < na; i++)
		if (strcmp(a->dns_search[i], b->dns_search[i]))
			return false;
	return a->net.s_addr == b->net.s_addr && a->mask.s_addr == b->mask.s_addr &&
	       a->gateway.s_addr == b->gateway.s_addr && a->dns.s_addr == b->dns.s_addr &&
	       a->dhcp_start.s_addr == b->dhcp_start.s_addr && a->ipv6 == b->ipv6 &&
	       !memcmp(&a->prefix6, &b->prefix6, sizeof(a->prefix6)) &&
	       a->mtu == b->mtu && a->host_loopback == b->host_loopback;
}

/* "P::/64" into @s->prefix6; the host and DNS follow from it. */
static bool parse_prefix6(const char *v, struct vswd_nat_settings *s)
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
static struct in_addr subnet_at(const struct vswd_nat_settings *s, uint32_t offset)
{
	struct in_addr a;

	a.s_addr = s->net.s_addr | (htonl(offset) & ~s->mask.s_addr);
	return a;
}

static bool bad(GError **err, const char *where, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static bool bad(GError **err, const char *where, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID, "%s%s", where, what);
	return false;
}

static bool parse_subnet(const char *v, struct vswd_nat_settings *s, const char *where,
			 GError **err)
{
	const char *slash = strchr(v, '/');
	g_autofree char *addr = slash ? g_strndup(v, (gsize)(slash - v)) : NULL;
	char a[INET_ADDRSTRLEN];
	unsigned len;

	if (!slash || !parse_ip4(addr, &s->net) ||
	    !parse_uint(slash + 1, PREFIX_LEN_MIN, PREFIX_LEN_MAX, &len))
		return bad(err, where, "subnet '%s': expected an IPv4 network such as "
			   "10.0.2.0/24 (prefix length %d-%d)", v, PREFIX_LEN_MIN, PREFIX_LEN_MAX);
	s->prefix_len = len;
	s->mask.s_addr = htonl(0xffffffffu << (32 - len));
	if (s->net.s_addr & ~s->mask.s_addr)
		return bad(err, where, "subnet '%s': host bits are set (did you mean %s/%u?)", v,
			   ip4_str((struct in_addr){ s->net.s_addr & s->mask.s_addr }, a), len);
	s->gateway = subnet_at(s, 2);
	s->dns = subnet_at(s, 3);
	s->dhcp_start = subnet_at(s, 15);
	return true;
}

static bool check_addresses(const struct vswd_nat_settings *s, const char *where, GError **err)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
	struct in_addr last;

	if (!host_in_subnet(s, s->gateway))
		return bad(err, where, "gateway %s is not a host address of subnet %s/%u",
			   ip4_str(s->gateway, a), ip4_str(s->net, b), s->prefix_len);
	if (!host_in_subnet(s, s->dns))
		return bad(err, where, "dns %s is not a host address of subnet %s/%u",
			   ip4_str(s->dns, a), ip4_str(s->net, b), s->prefix_len);
	if (!host_in_subnet(s, s->dhcp_start))
		return bad(err, where, "dhcp-start %s is not a host address of subnet %s/%u",
			   ip4_str(s->dhcp_start, a), ip4_str(s->net, b), s->prefix_len);
	if (s->gateway.s_addr == s->dns.s_addr)
		return bad(err, where, "gateway and dns must differ");
	if (dhcp_range_ok(s))
		return true;
	last.s_addr = htonl(ntohl(s->dhcp_start.s_addr) + DHCP_LEASES - 1);
	return bad(err, where, "dhcp-start %s: the %d addresses DHCP gives (%s-%s) must be "
		   "host addresses of subnet %s/%u other than the gateway and dns",
		   ip4_str(s->dhcp_start, a), DHCP_LEASES, ip4_str(s->dhcp_start, a),
		   ip4_str(last, b), ip4_str(s->net, c), s->prefix_len);
}

bool vswd_nat_settings_parse(GHashTable *raw, const struct vswd_model_defaults *d,
			     struct vswd_nat_settings *out, const char *where, GError **err)
{
	struct vswd_nat_settings s;
	const char *v;
	GHashTableIter it;
	gpointer k;

	vswd_nat_settings_default(&s, d);
	g_hash_table_iter_init(&it, raw);
	while (g_hash_table_iter_next(&it, &k, NULL))
		if (!g_strv_contains(nat_keys, k))
			return bad(err, where, "unknown key '%s' (known: subnet, gateway, dns, "
				   "dhcp-start, ipv6, ipv6-prefix, dns-search, domain, mtu, "
				   "host-loopback)", (const char *)k);

	if ((v = g_hash_table_lookup(raw, "subnet")) && !parse_subnet(v, &s, where, err))
		return false;
	if ((v = g_hash_table_lookup(raw, "gateway")) && !parse_ip4(v, &s.gateway))
		return bad(err, where, "gateway '%s' is not an IPv4 address", v);
	if ((v = g_hash_table_lookup(raw, "dns")) && !parse_ip4(v, &s.dns))
		return bad(err, where, "dns '%s' is not an IPv4 address", v);
	if ((v = g_hash_table_lookup(raw, "dhcp-start")) && !parse_ip4(v, &s.dhcp_start))
		return bad(err, where, "dhcp-start '%s' is not an IPv4 address", v);
	if (!check_addresses(&s, where, err))
		return false;
	if ((v = g_hash_table_lookup(raw, "ipv6")) && !vswd_parse_bool(v, &s.ipv6))
		return bad(err, where, "ipv6 must be true or false, not '%s'", v);
	if ((v = g_hash_table_lookup(raw, "ipv6-prefix")) && !parse_prefix6(v, &s))
		return bad(err, where, "ipv6-prefix '%s': expected a unicast /64 such as "
			   "fd00:10:0:2::/64 (the rest zero)", v);
	derive6(&s);
	if ((v = g_hash_table_lookup(raw, "mtu")) && !parse_uint(v, MTU_MIN, MTU_MAX, &s.mtu))
		return bad(err, where, "mtu must be %d-%d, not '%s'", MTU_MIN, MTU_MAX, v);
	if ((v = g_hash_table_lookup(raw, "host-loopback")) && !vswd_parse_bool(v, &s.host_loopback))
		return bad(err, where, "host-loopback must be true or false, not '%s'", v);
	if ((v = g_hash_table_lookup(raw, "domain"))) {
		if (!dns_name_valid(v))
			return bad(err, where, "domain '%s' is not a domain name", v);
		s.domain = g_strdup(v);
	}
	if ((v = g_hash_table_lookup(raw, "dns-search"))) {
		g_auto(GStrv) list = g_strsplit(v, ";", -1);
		GPtrArray *names = g_ptr_array_new();

		for (char **n = list; *n; n++) {
			if (!**n && !n[1])
				break;		/* GKeyFile lists end with ';' */
			if (!dns_name_valid(*n)) {
				g_ptr_array_free(names, TRUE);
				g_free(s.domain);
				return bad(err, where, "dns-search: '%s' is not a domain name", *n);
			}
			g_ptr_array_add(names, g_strdup(*n));
		}
		if (!names->len) {
			g_ptr_array_free(names, TRUE);
			g_free(s.domain);
			return bad(err, where, "dns-search is empty: give domains separated "
				   "by ';' or remove the key");
		}
		g_ptr_array_add(names, NULL);
		s.dns_search = (char **)g_ptr_array_free(names, FALSE);
	}
	vswd_nat_settings_clear(out);
	*out = s;
	return true;
}

/* ------------------------------------------------------------------ */
/* Forwards                                                            */

bool vswd_mfwd_equal(const struct vswd_mfwd *a, const struct vswd_mfwd *b)
{
	return a->udp == b->udp && a->host_addr.s_addr == b->host_addr.s_addr &&
	       a->host_port == b->host_port && a->guest_addr.s_addr == b->guest_addr.s_addr &&
	       a->guest_port == b->guest_port;
}

struct vswd_mfwd *vswd_model_fwd_find(const struct vswd_model *m, bool udp,
				      struct in_addr host_addr, uint16_t host_port)
{
	for (unsigned i = 0; i < m->fwds->len; i++) {
		struct vswd_mfwd *f = m->fwds->pdata[i];

		if (f->udp == udp && f->host_addr.s_addr == host_addr.s_addr &&
		    f->host_port == host_port)
			return f;
	}
	return NULL;
}

bool vswd_model_fwd_add(struct vswd_model *m, const struct vswd_mfwd *f, GError **err)
{
	char ha[INET_ADDRSTRLEN], ga[INET_ADDRSTRLEN], sn[INET_ADDRSTRLEN];
	const struct vswd_mfwd *old = vswd_model_fwd_find(m, f->udp, f->host_addr, f->host_port);

	if (old) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_EXISTS,
			    "NAT forward %s %s:%u already exists (to %s:%u)", f->udp ? "udp" : "tcp",
			    ip4_str(f->host_addr, ha), f->host_port,
			    ip4_str(old->guest_addr, ga), old->guest_port);
		return false;
	}
	if (!vswd_nat_guest_addr_ok(&m->nat, f->guest_addr) || !f->host_port || !f->guest_port) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "invalid guest address '%s': expected a guest address of the NAT "
			    "subnet %s/%u, such as %s", ip4_str(f->guest_addr, ga),
			    ip4_str(m->nat.net, sn), m->nat.prefix_len,
			    ip4_str(m->nat.dhcp_start, ha));
		return false;
	}
	if (m->fwds->len >= FWDS_MAX) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY, "the NAT has %d forwards, the most "
			    "vswitchd keeps", FWDS_MAX);
		return false;
	}
	g_ptr_array_add(m->fwds, g_memdup2(f, sizeof(*f)));
	return true;
}

bool vswd_model_fwd_remove(struct vswd_model *m, bool udp, struct in_addr host_addr,
			   uint16_t host_port, GError **err)
{
	struct vswd_mfwd *f = vswd_model_fwd_find(m, udp, host_addr, host_port);
	char ha[INET_ADDRSTRLEN];

	if (!f) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_NOT_FOUND, "no NAT forward %s %s:%u",
			    udp ? "udp" : "tcp", ip4_str(host_addr, ha), host_port);
		return false;
	}
	g_ptr_array_remove(m->fwds, f);
	return true;
}

/* ------------------------------------------------------------------ */
/* Changing a setting                                                  */

/* Every forward still goes to a guest address of @s. */
static bool fwds_fit(const struct vswd_model *m, const struct vswd_nat_settings *s,
		     GError **err)
{
	for (unsigned i = 0; i < m->fwds->len; i++) {
		const struct vswd_mfwd *f = m->fwds->pdata[i];
		char ha[INET_ADDRSTRLEN], ga[INET_ADDRSTRLEN];

		if (!vswd_nat_guest_addr_ok(s, f->guest_addr)) {
			g_set_error(err, VSWD_ERROR, VSWD_ERR_BUSY,
				    "NAT forward %s %s:%u goes to %s, outside the new subnet: "
				    "remove it first", f->udp ? "udp" : "tcp",
				    ip4_str(f->host_addr, ha), f->host_port,
				    ip4_str(f->guest_addr, ga));
			return false;
		}
	}
	return true;
}

bool vswd_model_nat_set(struct vswd_model *m, const char *key, const char *value,
			GError **err)
{
	g_autoptr(GHashTable) raw = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct vswd_nat_settings s = { 0 };
	GHashTableIter it;
	gpointer k, v;

	if (!g_strv_contains(nat_keys, key)) {
		g_set_error(err, VSWD_ERROR, VSWD_ERR_INVALID,
			    "unknown NAT setting '%.40s' (known: subnet, gateway, dns, dhcp-start, "
			    "ipv6, ipv6-prefix, dns-search, domain, mtu, host-loopback)", key);
		return false;
	}
	g_hash_table_iter_init(&it, m->nat_raw);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(raw, g_strdup(k), g_strdup(v));
	if (value)
		g_hash_table_insert(raw, g_strdup(key), g_strdup(value));
	else
		g_hash_table_remove(raw, key);
	if (!vswd_nat_settings_parse(raw, &m->defaults, &s, "", err))
		return false;
	if (!fwds_fit(m, &s, err)) {
		vswd_nat_settings_clear(&s);
		return false;
	}
	vswd_nat_settings_clear(&m->nat);
	m->nat = s;
	g_hash_table_unref(m->nat_raw);
	m->nat_raw = g_steal_pointer(&raw);
	return true;
}

/* ------------------------------------------------------------------ */
/* The state file                                                      */

/* [nat-forward:PROTO:ADDR:PORT] guest=ADDR:PORT */
static bool load_fwd(struct vswd_model *m, GKeyFile *kf, const char *path,
		     const char *group, GError **err)
{
	const char *spec = group + strlen(FWD_PREFIX);
	g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);
	g_autofree char *where = g_strdup_printf("%s: [%s]: ", path, group);
	g_autofree char *guest = NULL;
	struct vswd_mfwd f = { 0 };
	char a[INET_ADDRSTRLEN];

	for (char **k = names; k && *k; k++)
		if (strcmp(*k, "guest"))
			return bad(err, where, "unknown key '%s' (known: guest)", *k);
	if (g_str_has_prefix(spec, "tcp:"))
		f.udp = false;
	else if (g_str_has_prefix(spec, "udp:"))
		f.udp = true;
	else
		return bad(err, where, "expected [nat-forward:tcp|udp:ADDRESS:PORT]");
	if (!parse_ip4_port(spec + 4, &f.host_addr, &f.host_port))
		return bad(err, where, "expected [nat-forward:%s:ADDRESS:PORT] with an IPv4 "
			   "address and a port 1-65535", f.udp ? "udp" : "tcp");
	if (!g_key_file_has_key(kf, group, "guest", NULL))
		return bad(err, where, "missing key 'guest' (guest=10.0.2.15:80)");
	guest = g_key_file_get_string(kf, group, "guest", NULL);
	if (!guest)
		return bad(err, where, "guest: not a valid UTF-8 string");
	if (!parse_ip4_port(guest, &f.guest_addr, &f.guest_port))
		return bad(err, where, "guest '%s': expected ADDRESS:PORT, such as 10.0.2.15:80",
			   guest);
	if (!vswd_nat_guest_addr_ok(&m->nat, f.guest_addr))
		return bad(err, where, "guest '%s': not a guest address of the NAT subnet "
			   "%s/%u (nor its gateway or DNS)", guest, ip4_str(m->nat.net, a),
			   m->nat.prefix_len);
	if (vswd_model_fwd_find(m, f.udp, f.host_addr, f.host_port))
		return bad(err, where, "forward listed twice");
	if (m->fwds->len >= FWDS_MAX)
		return bad(err, where, "more than %d forwards", FWDS_MAX);
	g_ptr_array_add(m->fwds, g_memdup2(&f, sizeof(f)));
	return true;
}

bool vswd_natcfg_load(struct vswd_model *m, GKeyFile *kf, const char *path, GError **err)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	/* Settings first: forwards are checked against the subnet. */
	if (g_key_file_has_group(kf, NAT_GROUP)) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, NAT_GROUP, NULL, NULL);
		g_autofree char *where = g_strdup_printf("%s: [%s]: ", path, NAT_GROUP);

		for (char **k = keys; k && *k; k++) {
			g_autoptr(GError) e = NULL;
			char *text = g_key_file_get_string(kf, NAT_GROUP, *k, &e);

			/* Every value must read as a string (valid UTF-8). */
			if (!text)
				return bad(err, where, "%s: %s", *k, e->message);
			g_hash_table_insert(m->nat_raw, g_strdup(*k), text);
		}
		if (!vswd_nat_settings_parse(m->nat_raw, &m->defaults, &m->nat, where, err))
			return false;
	}
	for (char **g = groups; *g; g++)
		if (g_str_has_prefix(*g, FWD_PREFIX) && !load_fwd(m, kf, path, *g, err))
			return false;
	return true;
}

gint vswd_mfwd_cmp(gconstpointer a, gconstpointer b)
{
	const struct vswd_mfwd *x = *(struct vswd_mfwd *const *)a;
	const struct vswd_mfwd *y = *(struct vswd_mfwd *const *)b;

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

void vswd_natcfg_save(const struct vswd_model *m, GKeyFile *kf)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	g_autoptr(GPtrArray) fwds = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, m->nat_raw);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(keys, k);
	g_ptr_array_sort(keys, cmp_str);
	for (unsigned i = 0; i < keys->len; i++)
		g_key_file_set_string(kf, NAT_GROUP, keys->pdata[i],
				      g_hash_table_lookup(m->nat_raw, keys->pdata[i]));
	for (unsigned i = 0; i < m->fwds->len; i++)
		g_ptr_array_add(fwds, m->fwds->pdata[i]);
	g_ptr_array_sort(fwds, vswd_mfwd_cmp);
	for (unsigned i = 0; i < fwds->len; i++) {
		const struct vswd_mfwd *f = fwds->pdata[i];
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
		g_autofree char *group = g_strdup_printf(FWD_PREFIX "%s:%s:%u",
							 f->udp ? "udp" : "tcp",
							 ip4_str(f->host_addr, a), f->host_port);
		g_autofree char *guest = g_strdup_printf("%s:%u", ip4_str(f->guest_addr, b),
							 f->guest_port);

		g_key_file_set_string(kf, group, "guest", guest);
	}
}
